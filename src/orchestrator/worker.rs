//! The worker: the same binary run as `discover __worker`. It reads tasks from stdin, writes
//! only protocol frames to stdout, and never touches `.state/`. When its command pipe
//! closes (the parent is gone, however it died) it kills its own process group.

use super::protocol::{FromWorker, PROTOCOL_VERSION, ToWorker, append_frame, read_frame};
use crate::extract::{ExtractContext, ExtractorId, ExtractorSet};
use crate::task::{FileOutcome, run_file};
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::{Mutex, mpsc};
use std::time::Duration;

/// The hidden argument that turns the binary into a worker.
pub const WORKER_COMMAND: &str = "__worker";

pub fn worker_main() -> i32 {
    match serve() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("worker {}: {e}", std::process::id());
            3
        }
    }
}

fn serve() -> Result<(), String> {
    crate::fault::at_worker_start();
    // Frames go out through a handle of their own on stdout: `Stdout` is line-buffered, and
    // would split a binary frame into a write at every newline byte it holds and another
    // at the flush.
    let out = std::fs::File::from(
        std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| format!("cannot take stdout: {e}"))?,
    );
    let outbox = Outbox::open(out);
    outbox.flush_on_panic();
    outbox.send(&FromWorker::Hello {
        protocol: PROTOCOL_VERSION,
        pid: std::process::id(),
    })?;
    outbox.flush()?;

    // SIGTERM (from the parent, or the kernel when the parent dies) takes the whole group:
    // anything this worker spawned must not outlive it. What is queued goes out first: a
    // parent that stops its workers on an interrupt reads their pipes to the end, and the
    // files they finished still count.
    if let Ok(mut signals) = signal_hook::iterator::Signals::new([libc::SIGTERM]) {
        let pending = outbox.handle();
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                lock(&pending).write();
                crate::unix::signal_group(std::process::id(), libc::SIGKILL);
            }
        });
    }

    // A reader thread owns stdin, so that the end of the pipe is noticed even while the main
    // thread is stuck in a pathological file.
    let (tx, rx) = mpsc::channel::<ToWorker>();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        while let Ok(Some(message)) = read_frame::<ToWorker>(&mut input) {
            // Task frames name the repository's own extractors: they are registered before
            // the next frame is decoded (the main thread reports a mismatch).
            if let ToWorker::Init { extractors, .. } = &message {
                let _ = crate::extract::install_registry(extractors.clone());
            }
            if tx.send(message).is_err() {
                break;
            }
        }
        // The parent closed the pipe or died: take down this worker and anything it spawned.
        crate::unix::signal_group(std::process::id(), libc::SIGKILL);
        std::process::exit(0);
    });

    let Ok(ToWorker::Init {
        protocol,
        root,
        file_budget_ms,
        extractors,
    }) = rx.recv()
    else {
        return Err("expected an Init frame first".into());
    };
    if protocol != PROTOCOL_VERSION {
        return Err(format!(
            "parent speaks protocol {protocol}, this worker speaks {PROTOCOL_VERSION}"
        ));
    }
    crate::extract::install_registry(extractors)?;
    let root = PathBuf::from(std::ffi::OsString::from_vec(root));
    let budget = Duration::from_millis(file_budget_ms);
    let mut sets: HashMap<Vec<ExtractorId>, ExtractorSet> = HashMap::new();
    let mut ctx = ExtractContext::default();
    let never = || false;

    while let Ok(message) = rx.recv() {
        let task = match message {
            ToWorker::Task(task) => task,
            ToWorker::Shutdown => return Ok(()),
            ToWorker::Init { .. } => return Err("unexpected second Init frame".into()),
        };
        if !sets.contains_key(&task.extractors) {
            let set = ExtractorSet::new(&task.extractors);
            sets.insert(task.extractors.clone(), set);
        }
        let set = &sets[&task.extractors];
        crate::unix::reset_own_peak();
        // Files are extracted in the task's order and each reported when done: the parent
        // knows the file under way as the first one not reported, without a frame (and a
        // wakeup of the parent) to announce it.
        for file in &task.files {
            crate::fault::before_file_in_worker(&file.path);
            if crate::fault::fault_for(&file.path) == Some(crate::fault::Fault::Corrupt) {
                outbox.send_raw(&[5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff]);
            }
            let outcome =
                match run_file(&mut ctx, set, &root, file, &task.extractors, budget, &never) {
                    Ok(outcome) => outcome,
                    // Cancellation is the parent's business; a worker is simply killed.
                    Err(e) => FileOutcome::Failed(crate::task::Failure::Parser(format!("{e:?}"))),
                };
            outbox.send(&FromWorker::FileDone {
                task: task.id,
                file: file.index,
                outcome,
            })?;
        }
        // The parent hands out the next task on this frame: it goes at once.
        outbox.send(&FromWorker::TaskDone {
            task: task.id,
            peak: crate::unix::own_peak(),
        })?;
        outbox.flush()?;
    }
    Ok(())
}

/// How long a finished file's frame may wait to go out with the next ones.
const BATCH: Duration = Duration::from_millis(50);

/// The worker's frames to the parent, written in batches: a frame for every file woke the
/// parent (and put it between the workers on a busy machine) thousands of times a run,
/// some 6 context switches a file. A file's frame goes out within `BATCH`, written by a
/// thread of its own, so that the results of the files before one that hangs or runs out
/// of memory still reach the parent before it stops this worker: only then does its
/// retry start at the file that failed. A task's last frame goes out at once.
struct Outbox {
    shared: std::sync::Arc<Mutex<Pending>>,
}

struct Pending {
    out: std::fs::File,
    frames: Vec<u8>,
    /// Why the pipe to the parent failed, when it did.
    broken: Option<String>,
}

impl Pending {
    fn write(&mut self) {
        if self.frames.is_empty() || self.broken.is_some() {
            return;
        }
        if let Err(e) = self.out.write_all(&self.frames) {
            self.broken = Some(format!("cannot write to the parent: {e}"));
        }
        self.frames.clear();
    }
}

impl Outbox {
    fn open(out: std::fs::File) -> Outbox {
        let shared = std::sync::Arc::new(Mutex::new(Pending {
            out,
            frames: Vec::new(),
            broken: None,
        }));
        let writer = std::sync::Arc::clone(&shared);
        std::thread::spawn(move || {
            let period = crate::fault::batch_period(BATCH);
            loop {
                std::thread::sleep(period);
                let mut pending = lock(&writer);
                pending.write();
                if pending.broken.is_some() {
                    return;
                }
            }
        });
        Outbox { shared }
    }

    /// Sends what is queued before a panic's message: the message goes to stderr, which
    /// the parent shows with the file under way, the first one it has no result for.
    fn flush_on_panic(&self) {
        let shared = self.handle();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Not when the panic came while the lock was held: that would deadlock.
            if let Ok(mut pending) = shared.try_lock() {
                pending.write();
            }
            previous(info);
        }));
    }

    /// The queue, for a thread that sends what is in it.
    fn handle(&self) -> std::sync::Arc<Mutex<Pending>> {
        std::sync::Arc::clone(&self.shared)
    }

    /// Queues a frame.
    fn send(&self, message: &FromWorker) -> Result<(), String> {
        let mut pending = lock(&self.shared);
        if let Some(why) = &pending.broken {
            return Err(why.clone());
        }
        append_frame(&mut pending.frames, message).map_err(|e| e.to_string())
    }

    /// Queues bytes as they are (the corrupt-frame fault).
    fn send_raw(&self, bytes: &[u8]) {
        lock(&self.shared).frames.extend_from_slice(bytes);
    }

    /// Writes what is queued now.
    fn flush(&self) -> Result<(), String> {
        let mut pending = lock(&self.shared);
        pending.write();
        pending.broken.clone().map_or(Ok(()), Err)
    }
}

fn lock(pending: &Mutex<Pending>) -> std::sync::MutexGuard<'_, Pending> {
    // A panic while holding the lock kills the worker anyway; its buffer stays usable.
    pending
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Without a flush, a queued frame still reaches the parent: the writer thread sends it.
    /// (A worker stuck in a file never flushes; what it finished before must not wait.)
    #[test]
    fn a_queued_frame_goes_out_without_a_flush() {
        let (mut reader, writer) = std::io::pipe().unwrap();
        let outbox = Outbox::open(std::fs::File::from(std::os::fd::OwnedFd::from(writer)));
        let sent = FromWorker::TaskDone { task: 3, peak: 7 };
        outbox.send(&sent).unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read_frame::<FromWorker>(&mut reader).map_err(|e| e.to_string()));
        });
        let got = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the queued frame never came");
        assert_eq!(got.unwrap(), Some(sent));
    }
}
