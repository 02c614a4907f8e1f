//! Tasks: batches of files, sized by bytes, each parsed once for all of its extractors; and
//! the outcome of one file, the unit results travel in (in process or over the worker pipe).

use crate::extract::{self, ExtractContext, ExtractError, ExtractorId, ExtractorSet, FileFacts};
use crate::hash_cache::Stamp;
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
    /// The walk's settled metadata of the file and the hash of its bytes then
    /// ([`SourceFile::settled`]).
    pub known: Option<(Stamp, String)>,
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
    let read = match read {
        Ok(read) => read,
        Err(e) => return Ok(FileOutcome::Failed(Failure::Unreadable(e.to_string()))),
    };
    let bytes = &read.bytes;
    if let Err((_, why)) = walk::check_text(bytes) {
        return Ok(FileOutcome::Failed(Failure::Unreadable(why)));
    }
    // The manifest records the hash of these very bytes: a file that changed between the
    // walk and this read is then stale, not silently fresh. When the open file kept the
    // walk's settled metadata through the read, the bytes are the ones the walk hashed.
    let hash = match &file.known {
        Some((stamp, hash)) if stamp.held_through(&read) => hash.clone(),
        _ => crate::hash::content_hash(bytes),
    };
    match extract::extract_file(
        ctx, set, &file.path, file.lang, bytes, extractors, budget, cancelled,
    ) {
        Ok(facts) => Ok(FileOutcome::Done(facts.with_source_hash(hash))),
        Err(ExtractError::OverBudget(budget)) => Ok(FileOutcome::Failed(Failure::OverBudget {
            millis: budget.as_millis() as u64,
        })),
        Err(ExtractError::Parser(why)) => Ok(FileOutcome::Failed(Failure::Parser(why))),
        Err(e @ ExtractError::Cancelled) => Err(e),
    }
}

/// Splits the work into tasks for `jobs` workers (0: in process, one task). Files stay in
/// chunk order; consecutive chunks with the same extractors share a task, and a large chunk
/// spans several.
///
/// Task sizes shrink as the work is handed out (guided self-scheduling): each task takes
/// about a `4 * jobs`-th of the bytes still unassigned, between 64 KiB and 2 MiB. Large
/// tasks first keep the round trips few; small ones last keep the workers finishing
/// together. With equal tasks of 2 MiB (a quarter second of parsing each), one worker sat
/// idle while the other finished its last task.
pub fn plan_tasks(
    work: &[(Vec<usize>, Vec<ExtractorId>)],
    files: &[SourceFile],
    jobs: usize,
) -> Vec<Task> {
    let mut remaining: u64 = work
        .iter()
        .flat_map(|(f, _)| f.iter().map(|&i| files[i].size))
        .sum();
    let mut tasks: Vec<Task> = Vec::new();
    let mut bytes = 0u64;
    let mut target = task_target_bytes(remaining, jobs);
    for (chunk_files, extractors) in work {
        for &index in chunk_files {
            let file = &files[index];
            let fits = tasks.last().is_some_and(|t| {
                &t.extractors == extractors && (bytes + file.size <= target || t.files.is_empty())
            });
            if !fits {
                tasks.push(Task {
                    id: tasks.len() as u32,
                    files: Vec::new(),
                    extractors: extractors.clone(),
                });
                bytes = 0;
                target = task_target_bytes(remaining, jobs);
            }
            bytes += file.size;
            remaining -= file.size;
            if let Some(task) = tasks.last_mut() {
                task.files.push(TaskFile {
                    index: index as u32,
                    path: file.path.clone(),
                    lang: file.lang,
                    size: file.size,
                    known: file.settled.clone().map(|s| (s, file.hash.clone())),
                });
            }
        }
    }
    tasks
}

/// Bytes of source for the next task, with `remaining` bytes not yet in a task.
fn task_target_bytes(remaining: u64, jobs: usize) -> u64 {
    if jobs == 0 {
        return u64::MAX;
    }
    (remaining / (jobs as u64 * 4)).clamp(64 << 10, 2 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    fn files(sizes: &[u64]) -> Vec<SourceFile> {
        (sizes.iter().enumerate())
            .map(|(i, &size)| SourceFile {
                path: format!("f{i}.ts"),
                lang: Lang::TypeScript,
                hash: String::new(),
                size,
                settled: None,
            })
            .collect()
    }

    #[test]
    fn tasks_shrink_toward_the_end_and_cover_every_file_once_in_order() {
        // 400 files of 40 KiB: 16,000 KiB for 2 workers.
        let files = files(&[40 << 10; 400]);
        let all = vec![ExtractorId::SYMBOLS];
        let work = vec![((0..400).collect::<Vec<_>>(), all.clone())];
        let tasks = plan_tasks(&work, &files, 2);
        let order: Vec<u32> = tasks
            .iter()
            .flat_map(|t| t.files.iter().map(|f| f.index))
            .collect();
        assert_eq!(order, (0..400).collect::<Vec<u32>>());
        let sizes: Vec<u64> = (tasks.iter())
            .map(|t| t.files.iter().map(|f| f.size).sum())
            .collect();
        // The first takes an eighth of the work, capped at 2 MiB; the last ones are at the
        // 64 KiB floor (one 40 KiB file each, as a second would pass it); sizes never grow.
        assert_eq!(sizes[0], 2000 << 10);
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
        assert_eq!(*sizes.last().unwrap(), 40 << 10);
        assert!(sizes[sizes.len() - 2] <= 80 << 10, "{sizes:?}");
        // In process: one task.
        assert_eq!(plan_tasks(&work, &files, 0).len(), 1);
    }

    #[test]
    fn a_change_of_extractors_starts_a_task() {
        let files = files(&[1 << 10; 4]);
        let work = vec![
            (vec![0, 1], vec![ExtractorId::SYMBOLS]),
            (vec![2, 3], vec![ExtractorId::SYMBOLS, ExtractorId::IMPORTS]),
        ];
        let tasks = plan_tasks(&work, &files, 2);
        let split: Vec<Vec<u32>> = (tasks.iter())
            .map(|t| t.files.iter().map(|f| f.index).collect())
            .collect();
        assert_eq!(split, [vec![0, 1], vec![2, 3]]);
    }
}
