//! Tasks: batches of files, sized by bytes, each parsed once for all of its extractors; and
//! the outcome of one file, the unit results travel in (in process or over the worker pipe).

use crate::extract::{self, ExtractContext, ExtractError, ExtractorId, ExtractorSet, FileFacts};
use crate::lang::Lang;
use crate::walk::{self, SkipReason, SourceFile};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFile {
    /// Index into the run's inventory.
    pub index: u32,
    pub path: String,
    pub lang: Lang,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: u32,
    pub files: Vec<TaskFile>,
    pub extractors: Vec<ExtractorId>,
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileOutcome {
    Done(FileFacts),
    Failed(Failure),
}

/// Why a file was skipped during extraction. The first kinds happen in any mode; the last
/// ones are the orchestrator's findings about a worker that misbehaved on this file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Failure {
    /// Parsing and querying took longer than the per-file budget.
    OverBudget { millis: u64 },
    /// The file changed into something unreadable since the walk.
    Unreadable(String),
    /// tree-sitter could not parse it.
    Parser(String),
    /// The worker did not finish a task holding only this file in time.
    Timeout { millis: u64 },
    /// The worker died on this file.
    Crashed(String),
    /// The worker went over `--max-memory` on this file.
    OverMemory { peak: u64, limit: u64 },
    /// The worker sent a corrupt frame on this file.
    Protocol(String),
    /// Failed in an earlier run, and not retried since.
    Earlier(SkipReason),
}

impl Failure {
    /// The stable reason recorded in the manifest's skipped list.
    pub fn reason(&self) -> SkipReason {
        match self {
            Failure::OverBudget { .. } => SkipReason::ParseTimeout,
            Failure::Unreadable(_) => SkipReason::Unreadable,
            Failure::Parser(_) => SkipReason::ParseFailed,
            Failure::Timeout { .. } => SkipReason::TaskTimeout,
            Failure::Crashed(_) => SkipReason::WorkerCrashed,
            Failure::OverMemory { .. } => SkipReason::OverMemoryLimit,
            Failure::Protocol(_) => SkipReason::ProtocolError,
            Failure::Earlier(reason) => *reason,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Failure::OverBudget { millis } => format!("parse budget of {millis} ms exceeded"),
            Failure::Unreadable(why) => format!("unreadable: {why}"),
            Failure::Parser(why) => format!("parse failed: {why}"),
            Failure::Timeout { millis } => format!("timed out after {millis} ms"),
            Failure::Crashed(why) => format!("worker crashed: {why}"),
            Failure::OverMemory { peak, limit } => format!(
                "over memory limit ({} > {})",
                crate::config::human_size(*peak),
                crate::config::human_size(*limit)
            ),
            Failure::Protocol(why) => format!("worker sent a corrupt frame: {why}"),
            Failure::Earlier(reason) => format!("{} in an earlier run", reason.describe()),
        }
    }
}

/// Extracts one file: read, re-check it is text, parse once, run the extractors.
pub fn run_file(
    ctx: &mut ExtractContext,
    set: &ExtractorSet,
    root: &Path,
    file: &TaskFile,
    extractors: &[ExtractorId],
    budget: Duration,
    cancelled: &dyn Fn() -> bool,
) -> Result<FileOutcome, ExtractError> {
    let full = root.join(&file.path);
    let restore = crate::fault::cut_before_read(&full, &file.path);
    let read = crate::unix::read_regular_file(&full);
    drop(restore);
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(e) => return Ok(FileOutcome::Failed(Failure::Unreadable(e.to_string()))),
    };
    if let Err((_, why)) = walk::check_text(&bytes) {
        return Ok(FileOutcome::Failed(Failure::Unreadable(why)));
    }
    match extract::extract_file(
        ctx, set, &file.path, file.lang, &bytes, extractors, budget, cancelled,
    ) {
        // The manifest records the hash of these very bytes, not the walk's: a file that
        // changed between the walk and this read is then stale, not silently fresh.
        Ok(facts) => Ok(FileOutcome::Done(facts.with_source_hash(&bytes))),
        Err(ExtractError::OverBudget(budget)) => Ok(FileOutcome::Failed(Failure::OverBudget {
            millis: budget.as_millis() as u64,
        })),
        Err(ExtractError::Parser(why)) => Ok(FileOutcome::Failed(Failure::Parser(why))),
        Err(e @ ExtractError::Cancelled) => Err(e),
    }
}

/// Splits the work into tasks of about `target_bytes` of source each. Files stay in chunk
/// order; consecutive chunks with the same extractors share a task, and a large chunk spans
/// several.
pub fn plan_tasks(
    work: &[(Vec<usize>, Vec<ExtractorId>)],
    files: &[SourceFile],
    target_bytes: u64,
) -> Vec<Task> {
    let mut tasks: Vec<Task> = Vec::new();
    let mut bytes = 0u64;
    for (chunk_files, extractors) in work {
        for &index in chunk_files {
            let file = &files[index];
            let fits = tasks.last().is_some_and(|t| {
                &t.extractors == extractors
                    && (bytes + file.size <= target_bytes || t.files.is_empty())
            });
            if !fits {
                tasks.push(Task {
                    id: tasks.len() as u32,
                    files: Vec::new(),
                    extractors: extractors.clone(),
                });
                bytes = 0;
            }
            bytes += file.size;
            if let Some(task) = tasks.last_mut() {
                task.files.push(TaskFile {
                    index: index as u32,
                    path: file.path.clone(),
                    lang: file.lang,
                    size: file.size,
                });
            }
        }
    }
    tasks
}
