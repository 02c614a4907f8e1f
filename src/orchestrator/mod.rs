//! Running tasks: in process (sequential), or in a pool of isolated worker processes that
//! may hang, crash or bloat without taking the run down.

mod dispatcher;
mod progress;
mod protocol;
mod sequential;
mod worker;

pub use dispatcher::run_parallel;
pub use protocol::{PROTOCOL_VERSION, ProtocolError};
pub use sequential::run_sequential;
pub use worker::{WORKER_COMMAND, worker_main};

use crate::task::FileOutcome;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// How tasks are run.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub root: PathBuf,
    /// Worker processes; 0 runs in process.
    pub jobs: usize,
    pub timeout: Duration,
    pub max_memory: Option<u64>,
    pub file_budget: Duration,
    /// Between SIGTERM and SIGKILL when a worker is stopped.
    pub grace: Duration,
    pub verbose: bool,
    pub progress: bool,
}

/// What the consumer of outcomes tells the executor after each one. The executor reports
/// events and returns control: it never carries the consumer's own errors, which the
/// consumer keeps and acts on once the executor has returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop dispatching, stop the workers, return (`ExecReport::stopped`).
    Stop,
}

/// Receives each file's outcome as it arrives.
pub type Sink<'a> = dyn FnMut(u32, FileOutcome) -> Flow + 'a;

/// Why the executor itself could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("worker pool failed: {0}")]
    Worker(String),
}

/// What running the tasks measured.
#[derive(Debug, Default)]
pub struct ExecReport {
    /// The first SIGINT / SIGTERM, when the run was interrupted.
    pub interrupted: Option<i32>,
    /// Peak resident memory of the task each file ran in, by file index.
    pub file_peaks: HashMap<u32, u64>,
    /// Per worker: tasks completed and peak resident memory (the kernel's figure at reap).
    pub workers: Vec<WorkerStats>,
    /// Tasks re-run after a failure (halves of a failed task).
    pub retries: usize,
    /// The sink asked to stop before every task was done.
    pub stopped: bool,
}

#[derive(Debug, Default, Clone)]
pub struct WorkerStats {
    pub tasks: usize,
    pub peak: u64,
    pub spawned: usize,
}
