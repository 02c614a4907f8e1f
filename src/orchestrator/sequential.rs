//! In-process execution: the same tasks, one file after another, with the per-file budget
//! and the interrupt flag polled as the parser works. A second thread compiles the queries
//! meanwhile, grammar by grammar in the order the files need them.

use super::progress::Progress;
use super::{ExecError, ExecOptions, ExecReport, Flow, Sink, WorkerStats};
use crate::extract::{ExtractContext, ExtractorSet};
use crate::lang::Lang;
use crate::signals::Interrupts;
use crate::task::{FileOutcome, Task, run_file};
use std::sync::atomic::Ordering;

/// Runs of fewer files compile their queries as the files need them.
const SMALL_RUN: usize = 32;

pub fn run_sequential(
    tasks: Vec<Task>,
    set: &ExtractorSet,
    options: &ExecOptions,
    interrupts: &Interrupts,
    sink: &mut Sink<'_>,
) -> Result<ExecReport, ExecError> {
    // The grammars in the order their first files come.
    let mut langs: Vec<Lang> = Vec::new();
    for file in tasks.iter().flat_map(|t| &t.files) {
        if let Some(lang) = Lang::from_path(&file.path)
            && !langs.contains(&lang)
        {
            langs.push(lang);
            if langs.len() == Lang::ALL.len() {
                break;
            }
        }
    }
    // The bundled queries run on the walk matcher and cost next to nothing to read; a
    // repository's own queries are compiled by tree-sitter. A small run (an editor's
    // one-file `--incremental`) compiles only the queries its files need, each when its
    // first file comes; a larger one compiles every query on a second thread meanwhile.
    let files: usize = tasks.iter().map(|t| t.files.len()).sum();
    std::thread::scope(|scope| {
        if files >= SMALL_RUN {
            scope.spawn(|| set.prepare(&langs));
        } else {
            set.compile_together();
        }
        extract_all(tasks, set, options, interrupts, sink)
    })
}

fn extract_all(
    tasks: Vec<Task>,
    set: &ExtractorSet,
    options: &ExecOptions,
    interrupts: &Interrupts,
    sink: &mut Sink<'_>,
) -> Result<ExecReport, ExecError> {
    let total: usize = tasks.iter().map(|t| t.files.len()).sum();
    let mut progress = Progress::new(options.progress, options.verbose, total, 1);
    let mut report = ExecReport::default();
    let mut ctx = ExtractContext::default();
    let flag = interrupts.flag();
    let cancelled = move || flag.load(Ordering::SeqCst) != 0;
    let mut stats = WorkerStats {
        spawned: 0,
        ..WorkerStats::default()
    };
    'tasks: for task in tasks {
        progress.detail(|| {
            format!(
                "task {} started in process ({} files, first {})",
                task.id,
                task.files.len(),
                task.files[0].path
            )
        });
        crate::unix::reset_own_peak();
        for file in &task.files {
            if let Some(sig) = interrupts.received() {
                report.interrupted = Some(sig);
                break 'tasks;
            }
            progress.working_on(0, &file.path);
            match run_file(
                &mut ctx,
                set,
                &options.root,
                file,
                &task.extractors,
                options.file_budget,
                &cancelled,
            ) {
                Ok(outcome) => {
                    let items = match &outcome {
                        FileOutcome::Done(facts) => facts.items.iter().map(|i| i.len()).sum(),
                        FileOutcome::Failed(_) => 0,
                    };
                    let flow = sink(file.index, outcome);
                    progress.file_done(items);
                    if flow == Flow::Stop {
                        report.stopped = true;
                        break 'tasks;
                    }
                }
                Err(_) => {
                    report.interrupted = interrupts.received();
                    break 'tasks;
                }
            }
        }
        let peak = crate::unix::own_peak();
        for file in &task.files {
            report.file_peaks.insert(file.index, peak);
        }
        stats.tasks += 1;
        stats.peak = stats.peak.max(peak);
        progress.detail(|| {
            format!(
                "task {} done, peak {}",
                task.id,
                crate::config::human_size(peak)
            )
        });
    }
    progress.finish();
    report.workers.push(stats);
    Ok(report)
}
