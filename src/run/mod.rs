//! One run of discover, in stages that have a file each: `plan` (walk and hash, chunks,
//! staleness, the work list, tasks), the executor (`crate::orchestrator`, in process or in
//! workers) that extracts, `write` (finished chunks into outputs, then the manifest, orphans
//! and the flush) and `report` (the summary, or `--check`'s verdict). This file drives
//! them. The run owns all state; extraction returns facts and never touches the disk.

mod plan;
mod report;
mod write;

use crate::chunk::ChunkError;
use crate::cli::{CliError, Mode, RunConfig};
use crate::config::ConfigError;
use crate::exit::ExitCode;
use crate::extract::{ExtractorId, ExtractorSet, QueryLoadError};
use crate::lock::StateLock;
use crate::manifest::MANIFEST_FILE;
use crate::orchestrator::{self, ExecOptions, ExecReport, Flow};
use crate::signals::Interrupts;
use crate::state::{StateDir, StateError};
use crate::task::{Failure, FileOutcome};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Cli(#[from] CliError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(
        "{0}; the manifest was not updated, so `discover --check` reports the state stale and `discover --incremental` completes it"
    )]
    Unflushed(StateError),
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    #[error("bundled query failed to load (a bug in discover): {0}")]
    Query(#[from] QueryLoadError),
    #[error(transparent)]
    Exec(#[from] orchestrator::ExecError),
    #[error("worker pool failed: {0}")]
    Worker(String),
    #[error("cannot install the signal handler: {0}")]
    Signals(std::io::Error),
}

/// What the writing stages counted.
#[derive(Default)]
pub struct Tally {
    pub extracted_chunks: BTreeMap<ExtractorId, usize>,
    /// Output files that did not exist before this run.
    pub created: BTreeMap<ExtractorId, usize>,
    /// Existing output files whose bytes changed (or that were removed, now empty).
    pub rewritten: BTreeMap<ExtractorId, usize>,
    /// Files whose outcome the executor delivered (parsed, or failed trying).
    pub parsed: usize,
    /// Warnings of the run, in order (printed to stderr, and listed by `--json`).
    pub warnings: Vec<String>,
    pub removed: usize,
    pub failures: Vec<(String, Failure)>,
    pub written_chunks: usize,
}

/// Whether the process ends with this run (the command line; not `discover watch`, which
/// runs again): then the run's large structures are left to the exit, not freed one
/// allocation at a time (a millisecond or two of a one-file `--incremental`).
static ONE_SHOT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `execute`, in a process that exits when it returns.
pub fn execute_and_exit(cfg: &RunConfig) -> Result<ExitCode, RunError> {
    ONE_SHOT.store(true, std::sync::atomic::Ordering::Relaxed);
    execute(cfg)
}

/// Drops `value`, or leaves it to the process's exit when that comes next. Only for values
/// whose drop has no effect outside the process's memory.
fn release<T>(value: T) {
    if ONE_SHOT.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
    }
}

/// Runs discover and returns the exit code. A writing run holds the state directory's
/// lock from before it looks at the directory until after its last write.
pub fn execute(cfg: &RunConfig) -> Result<ExitCode, RunError> {
    if cfg.mode == Mode::Check {
        return check(cfg);
    }
    let lock = StateLock::acquire(&cfg.state_dir, &cfg.state_shown, cfg.wait_for_lock)?;
    crate::timing::mark("locked");
    let result = write(cfg);
    // A run refused before it wrote anything leaves no directory of its own making behind
    // (`remove_dir` removes only an empty one).
    if result.is_err()
        && let Some(dir) = &lock.created
    {
        let _ = std::fs::remove_dir(dir);
    }
    result
}

/// The state directory; its outputs' hash cache is loaded by the survey, alongside the walk.
fn state_dir(cfg: &RunConfig) -> StateDir {
    StateDir::new(cfg.state_dir.clone(), cfg.state_shown.clone())
}

/// `--check`: plan, then judge; no lock, no write to the state.
fn check(cfg: &RunConfig) -> Result<ExitCode, RunError> {
    let state = state_dir(cfg);
    // A writer that holds the lock now may have written outputs its manifest does not
    // describe yet: asked before and after looking.
    let writer_at_start = crate::lock::writer(&cfg.state_dir);
    let survey = plan::survey(cfg, &state, plan::Purpose::Judge)?;
    let writer = writer_at_start.or_else(|| crate::lock::writer(&cfg.state_dir));
    state.store_output_cache();
    let code = report::check(cfg, &state, &survey, writer);
    release((survey, state));
    Ok(code)
}

/// Whether the state matches the sources, by the test `--check` makes (without printing):
/// `None` when fresh, else the command that refreshes it.
pub fn freshness(cfg: &RunConfig) -> Result<Option<String>, RunError> {
    let state = state_dir(cfg);
    let writer_at_start = crate::lock::writer(&cfg.state_dir);
    let survey = plan::survey(cfg, &state, plan::Purpose::Judge)?;
    let writer = writer_at_start.or_else(|| crate::lock::writer(&cfg.state_dir));
    state.store_output_cache();
    let fresh =
        report::problems(cfg, &state, &survey, writer).is_empty() && survey.staleness.is_empty();
    Ok((!fresh).then(|| cfg.command_hint("--incremental")))
}

/// A writing run: plan, extract, write, report.
fn write(cfg: &RunConfig) -> Result<ExitCode, RunError> {
    let state = state_dir(cfg);
    let started = std::time::Instant::now();
    // Also checks that the directory is discover's and, under the lock, removes every temp
    // file (a dead run's).
    let survey = plan::survey(cfg, &state, plan::Purpose::Write)?;
    crate::timing::mark("surveyed");
    let mut warnings = Vec::new();
    if let Some(problem) = &survey.manifest_problem {
        warnings.push(format!("{problem}; treating every chunk as stale"));
    }
    if survey.inventory.files.is_empty() {
        warnings.push(format!(
            "no source files found in `{}` (TypeScript, JavaScript and Python files, by extension, outside ignored paths)",
            cfg.root_shown
        ));
    }
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    if survey.leftovers > 0 && !cfg.quiet {
        eprintln!(
            "removed {} temp file(s) left by an interrupted run",
            survey.leftovers
        );
    }
    let mut work = plan::work(cfg, &state, &survey)?;
    crate::timing::mark("planned");
    let planned = work.pending.len();
    let tasks = std::mem::take(&mut work.tasks);
    let task_count = tasks.len();

    // Outputs first, as chunks finish; the manifest last, so until it is renamed into place
    // the old manifest describes the sources these outputs no longer match (stale).
    let mut writer = write::ChunkWriter::new(cfg, &state, &survey, &work.removals);
    let printed = warnings.len();
    writer.tally.warnings = warnings;
    writer.finish_ready(&survey, &mut work.pending)?;

    let interrupts = Interrupts::install().map_err(RunError::Signals)?;
    let options = ExecOptions {
        root: cfg.root.clone(),
        jobs: cfg.jobs,
        timeout: cfg.timeout,
        max_memory: cfg.max_memory,
        file_budget: cfg.file_timeout,
        grace: Duration::from_millis(1000),
        verbose: cfg.verbose,
        progress: !cfg.quiet && !cfg.json,
    };
    // The executor hands over outcomes and takes back a `Flow`; a failure to write a chunk
    // is kept here, the executor told to stop, and the run ends with it once it has.
    let mut failed: Option<RunError> = None;
    let report: ExecReport = {
        let pending = &mut work.pending;
        let owner = &work.owner;
        let mut sink = |file: u32, outcome: FileOutcome| -> Flow {
            if failed.is_some() {
                return Flow::Stop;
            }
            let Some(&(position, slot)) = owner.get(&file) else {
                failed = Some(RunError::Worker(format!(
                    "an outcome arrived for file {file}, which no chunk asked for"
                )));
                return Flow::Stop;
            };
            let chunk = &mut pending[position];
            if chunk.outcomes[slot].replace(outcome).is_none() {
                chunk.remaining -= 1;
                writer.tally.parsed += 1;
            }
            if chunk.remaining == 0
                && let Err(e) = writer.finish(&survey, chunk)
            {
                failed = Some(e);
                return Flow::Stop;
            }
            Flow::Continue
        };
        let executed = if cfg.jobs == 0 {
            let set = ExtractorSet::new(&cfg.selected);
            orchestrator::run_sequential(tasks, &set, &options, &interrupts, &mut sink)
        } else {
            orchestrator::run_parallel(tasks, &options, &interrupts, &mut sink)
        };
        executed?
    };
    if let Some(e) = failed {
        return Err(e);
    }
    crate::timing::mark("extracted");
    let completed = work.pending.iter().filter(|p| p.remaining == 0).count();
    // Also after an interrupt: the chunks that finished are written, linked against the
    // surfaces the manifest records for the others.
    writer.link(&survey, &|name| work.wants(name))?;
    crate::timing::mark("linked and written");
    let (manifest, tally) = writer.finalize(&survey, &work.pending, &|name| work.wants(name))?;
    crate::timing::mark("finalized");
    for warning in &tally.warnings[printed..] {
        eprintln!("warning: {warning}");
    }

    let summary = report::Summary {
        cfg,
        state: &state,
        inventory: &survey.inventory,
        chunks: &survey.chunks,
        manifest: &manifest,
        tally: &tally,
        report: &report,
        planned,
        completed,
        tasks: task_count,
        reused: work.reused,
        peaks: report::extractor_peaks(&work.pending, &survey.chunks, &report),
        had_state: survey.old_bytes.is_some(),
        elapsed: started.elapsed(),
    };
    if cfg.json {
        summary.print_json();
    } else if cfg.quiet {
        summary.print_problems("");
    } else {
        summary.print();
    }
    // A signal that arrived while the manifest was written still counts.
    let interrupted = report.interrupted.or_else(|| interrupts.received());
    drop(interrupts);
    if let Some(sig) = interrupted {
        eprintln!(
            "interrupted: {completed} of {planned} chunk(s) extracted and written, {} describes them; run `{}` to finish",
            state.show(MANIFEST_FILE),
            cfg.command_hint("--incremental")
        );
        return Ok(ExitCode::of_signal(sig));
    }
    let code = summary.exit_code();
    release((survey, manifest, work, state));
    Ok(code)
}
