//! Progress for humans: a bar on a terminal (files done, items so far, what each worker is
//! on), plain lines with --verbose, nothing otherwise.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: Option<ProgressBar>,
    verbose: bool,
    current: Vec<String>,
    items: usize,
}

impl Progress {
    pub fn new(enabled: bool, verbose: bool, total_files: usize, slots: usize) -> Progress {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(total_files as u64),
                ProgressDrawTarget::stderr(),
            );
            // Elapsed time, files per second and the time left first, then the items and
            // what each worker is on, cut at the terminal's width.
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed:>3} {bar:20} {pos}/{len} files, {per_sec:0}, ETA {eta} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            verbose,
            current: vec![String::new(); slots.max(1)],
            items: 0,
        }
    }

    /// A line for the human reading stderr, printed above the bar.
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// A line shown only with --verbose.
    pub fn detail(&self, text: impl FnOnce() -> String) {
        if self.verbose {
            self.line(&text());
        }
    }

    pub fn working_on(&mut self, slot: usize, path: &str) {
        if let Some(entry) = self.current.get_mut(slot) {
            entry.clear();
            entry.push_str(path);
        }
        self.redraw();
    }

    pub fn file_done(&mut self, items: usize) {
        self.items += items;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        self.redraw();
    }

    fn redraw(&self) {
        if let Some(bar) = &self.bar {
            let busy: Vec<&str> = self
                .current
                .iter()
                .filter(|c| !c.is_empty())
                .map(String::as_str)
                .collect();
            bar.set_message(format!("{} items | {}", self.items, busy.join(" | ")));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
