//! The worker: the same binary run as `discover __worker`. It reads tasks from stdin, writes
//! only protocol frames to stdout, and never touches `.state/`. When its command pipe
//! closes (the parent is gone, however it died) it kills its own process group.

use super::protocol::{FromWorker, PROTOCOL_VERSION, ToWorker, read_frame, write_frame};
use crate::extract::{ExtractContext, ExtractorId, ExtractorSet};
use crate::task::{FileOutcome, run_file};
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::mpsc;
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
    // at the flush (some 22,000 writes for the bench corpus's 6,100 files instead of two a
    // file).
    let mut out = std::fs::File::from(
        std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| format!("cannot take stdout: {e}"))?,
    );
    write_frame(
        &mut out,
        &FromWorker::Hello {
            protocol: PROTOCOL_VERSION,
            pid: std::process::id(),
        },
    )
    .map_err(|e| e.to_string())?;

    // SIGTERM (from the parent, or the kernel when the parent dies) takes the whole group:
    // anything this worker spawned must not outlive it.
    if let Ok(mut signals) = signal_hook::iterator::Signals::new([libc::SIGTERM]) {
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
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
        for file in &task.files {
            send(
                &mut out,
                &FromWorker::FileStarted {
                    task: task.id,
                    file: file.index,
                },
            )?;
            crate::fault::before_file_in_worker(&file.path);
            if crate::fault::fault_for(&file.path) == Some(crate::fault::Fault::Corrupt) {
                let _ = out.write_all(&[5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff]);
                let _ = out.flush();
            }
            let outcome =
                match run_file(&mut ctx, set, &root, file, &task.extractors, budget, &never) {
                    Ok(outcome) => outcome,
                    // Cancellation is the parent's business; a worker is simply killed.
                    Err(e) => FileOutcome::Failed(crate::task::Failure::Parser(format!("{e:?}"))),
                };
            send(
                &mut out,
                &FromWorker::FileDone {
                    task: task.id,
                    file: file.index,
                    outcome,
                },
            )?;
        }
        send(
            &mut out,
            &FromWorker::TaskDone {
                task: task.id,
                peak: crate::unix::own_peak(),
            },
        )?;
    }
    Ok(())
}

fn send(out: &mut impl Write, message: &FromWorker) -> Result<(), String> {
    write_frame(out, message).map_err(|e| e.to_string())
}
