//! `discover watch`: keeps `.state/` fresh while people edit. File-system events (inotify
//! through `notify`; the thread blocks, no polling) are filtered — the state directory
//! (its own writes), `.git/`, paths the root's `.gitignore` ignores, files that are no
//! source or configuration — then debounced: a run starts once the tree has been quiet
//! for a moment, or a while after the first change of a burst, and events that arrive
//! during a run coalesce into the next one. Each run is an ordinary `--incremental` run,
//! under the state lock, with its output on stderr and one line on stdout.

use crate::cli::{Args, Mode, RunConfig};
use crate::lang::Lang;
use clap::Parser;
use notify::{EventKind, RecursiveMode, Watcher};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the tree must be quiet before a run starts.
const QUIET: Duration = Duration::from_millis(300);
/// The longest a run waits for a burst to end (a `git checkout` of thousands of files):
/// at most one run per this long while it lasts.
const MAX_WAIT: Duration = Duration::from_secs(3);

enum Message {
    Changed(Vec<PathBuf>),
    WatchError(String),
    Signal(i32),
}

/// Runs `discover watch` with the arguments after `watch` (those of an incremental run);
/// returns the exit code.
pub fn main(args: &[OsString]) -> i32 {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "Keep .state/ fresh while the sources change: an incremental run now, then one after each\n\
             burst of edits (debounced), until ^C.\n\n\
             Usage: discover watch [ROOT] [OPTIONS]\n\n\
             Takes the options of an incremental run (--state-dir, --only, -j, --parallel, ...);\n\
             prints a line per run on stdout, the runs' warnings on stderr."
        );
        return 0;
    }
    let argv = ["discover".into(), "--incremental".into(), "-q".into()]
        .into_iter()
        .chain(args.iter().cloned());
    let cfg = match Args::try_parse_from(argv)
        .map_err(|e| e.to_string())
        .and_then(|a| a.resolve().map_err(|e| e.to_string()))
    {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("error: {}", e.trim_start_matches("error: "));
            return 2;
        }
    };
    debug_assert_eq!(cfg.mode, Mode::Incremental);
    match watch(&cfg) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn watch(cfg: &RunConfig) -> Result<i32, String> {
    let (tx, rx) = mpsc::channel::<Message>();
    // Signals arrive as messages, so the loop blocks on one channel; a run in progress
    // stops on them by itself (it installs its own handler) and reports it.
    let mut signals = signal_hook::iterator::Signals::new([libc::SIGINT, libc::SIGTERM])
        .map_err(|e| format!("cannot install the signal handler: {e}"))?;
    let signal_tx = tx.clone();
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if signal_tx.send(Message::Signal(signal)).is_err() {
                break;
            }
        }
    });
    let root = std::fs::canonicalize(&cfg.root).map_err(|e| e.to_string())?;
    let state = std::fs::canonicalize(&cfg.state_dir).unwrap_or_else(|_| root.join(".state"));
    let filter = Filter::new(&root, &state);
    let event_tx = tx.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let message = match event {
            Ok(event) if matches!(event.kind, EventKind::Access(_)) => return,
            Ok(event) => Message::Changed(event.paths),
            Err(e) => Message::WatchError(e.to_string()),
        };
        let _ = event_tx.send(message);
    })
    .map_err(|e| format!("cannot watch {}: {e}", cfg.root_shown))?;
    watcher
        .watch(&root, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", cfg.root_shown))?;

    // The state as the sources are now, then the changes as they come.
    if let Some(code) = refresh(cfg, 0)? {
        return Ok(code);
    }
    say(&format!(
        "watching {} (state: {}); ^C to stop",
        cfg.root_shown, cfg.state_shown
    ));
    loop {
        let first = match rx.recv() {
            Ok(Message::Changed(paths)) => paths.iter().filter(|p| filter.relevant(p)).count(),
            Ok(Message::WatchError(e)) => {
                eprintln!("warning: watching: {e}");
                0
            }
            Ok(Message::Signal(signal)) => return Ok(128 + signal),
            Err(_) => return Err("the watcher stopped".into()),
        };
        if first == 0 {
            continue;
        }
        // Debounce: wait for quiet, but not forever.
        let started = Instant::now();
        let mut changes = first;
        loop {
            let left = MAX_WAIT.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            match rx.recv_timeout(QUIET.min(left)) {
                Ok(Message::Changed(paths)) => {
                    changes += paths.iter().filter(|p| filter.relevant(p)).count();
                }
                Ok(Message::WatchError(e)) => eprintln!("warning: watching: {e}"),
                Ok(Message::Signal(signal)) => return Ok(128 + signal),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("the watcher stopped".into());
                }
            }
        }
        if let Some(code) = refresh(cfg, changes)? {
            return Ok(code);
        }
    }
}

/// One incremental run; `Some(code)` when the watch ends (the run was interrupted).
/// Changes made during the run wait in the channel and start the next one.
fn refresh(cfg: &RunConfig, changes: usize) -> Result<Option<i32>, String> {
    let started = Instant::now();
    let code = match crate::run::execute(cfg) {
        Ok(code) => code.code(),
        Err(e) => {
            // A bad edit to discover.toml, say: reported, and the next change retries.
            eprintln!("error: {e}");
            2
        }
    };
    if code >= 128 {
        return Ok(Some(code));
    }
    say_run(changes, code, started);
    Ok(None)
}

fn say_run(changes: usize, code: i32, started: Instant) {
    let what = if changes == 0 {
        "initial run".to_string()
    } else {
        format!("{changes} file event(s)")
    };
    let verdict = match code {
        0 => "up to date",
        1 => "up to date, some files skipped",
        _ => "run failed",
    };
    say(&format!(
        "{verdict} after {what} in {} ms",
        started.elapsed().as_millis()
    ));
}

fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Which changed paths can change the state.
struct Filter {
    root: PathBuf,
    state: PathBuf,
    gitignore: ignore::gitignore::Gitignore,
}

impl Filter {
    fn new(root: &Path, state: &Path) -> Filter {
        let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
        let _ = builder.add(root.join(".gitignore"));
        Filter {
            root: root.to_path_buf(),
            state: state.to_path_buf(),
            gitignore: builder
                .build()
                .unwrap_or_else(|_| ignore::gitignore::Gitignore::empty()),
        }
    }

    fn relevant(&self, path: &Path) -> bool {
        if path.starts_with(&self.state) || !path.starts_with(&self.root) {
            return false;
        }
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        if rel.components().any(|c| c.as_os_str() == ".git") {
            return false;
        }
        let is_dir = path.is_dir();
        if self
            .gitignore
            .matched_path_or_any_parents(rel, is_dir)
            .is_ignore()
        {
            return false;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        is_dir
            || Lang::from_path(name).is_some()
            || name == crate::config::CONFIG_FILE
            || name == ".gitignore"
            || crate::resolve::is_resolution_config(name)
            // A removed directory (or file without an extension) is gone: it cannot be
            // asked whether it was a directory.
            || (!path.exists() && !name.contains('.'))
    }
}
