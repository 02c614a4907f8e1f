//! SIGINT / SIGTERM: the first one asks the run to stop cleanly (the run and the dispatcher
//! poll `received`, the parser polls the flag); a second one kills every worker group at once and
//! exits. signal-hook rather than ctrlc: the exit code (130 or 143) depends on which signal
//! arrived, which ctrlc does not report.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

/// Process groups of live workers, killed outright by a second signal.
static WORKER_GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

pub fn register_worker(pid: u32) {
    if let Ok(mut groups) = WORKER_GROUPS.lock() {
        groups.push(pid);
    }
}

pub fn unregister_worker(pid: u32) {
    if let Ok(mut groups) = WORKER_GROUPS.lock() {
        groups.retain(|&p| p != pid);
    }
}

pub struct Interrupts {
    first: Arc<AtomicI32>,
    handle: Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Interrupts {
    /// Starts listening; until dropped, SIGINT and SIGTERM no longer end the process at once.
    pub fn install() -> std::io::Result<Interrupts> {
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        let handle = signals.handle();
        let first = Arc::new(AtomicI32::new(0));
        let seen = Arc::clone(&first);
        let thread = std::thread::spawn(move || {
            for sig in signals.forever() {
                if seen
                    .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    eprintln!(
                        "\n{} received: stopping; send it again to kill at once",
                        crate::unix::signal_name(sig)
                    );
                } else {
                    if let Ok(groups) = WORKER_GROUPS.lock() {
                        for &pid in groups.iter() {
                            crate::unix::signal_group(pid, libc::SIGKILL);
                        }
                    }
                    std::process::exit(exit_code(sig));
                }
            }
        });
        Ok(Interrupts {
            first,
            handle,
            thread: Some(thread),
        })
    }

    /// The first signal received, if any.
    pub fn received(&self) -> Option<i32> {
        match self.first.load(Ordering::SeqCst) {
            0 => None,
            sig => Some(sig),
        }
    }

    /// A cheap poll function for code that cannot hold `self`.
    pub fn flag(&self) -> Arc<AtomicI32> {
        Arc::clone(&self.first)
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn exit_code(sig: i32) -> i32 {
    crate::exit::ExitCode::of_signal(sig).code()
}
