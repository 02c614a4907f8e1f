//! One writer at a time: every writing run holds an exclusive `flock` on the state directory
//! itself, so no lock file ever appears in `.state/` and a run killed by SIGKILL leaves no
//! stale lock (the kernel drops it with the process). `--check` takes no lock; it only asks
//! whether a writer holds one.

use crate::state::StateError;
use crate::unix::{self, Flock};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a `--no-wait` run retries before it calls the directory busy: `--check` probes
/// the lock for a few microseconds, and that must not make a writer fail.
const NO_WAIT_GRACE: Duration = Duration::from_millis(200);

/// The held lock; dropping it releases the directory.
#[derive(Debug)]
pub struct StateLock {
    _dir: fs::File,
    /// The state directory did not exist and was created to be locked.
    pub created: Option<PathBuf>,
}

impl StateLock {
    /// Takes the exclusive lock on `path` (creating the directory when it is missing). When
    /// another run holds it: waits, after saying so on stderr, or with `wait` false fails
    /// at once naming the holder.
    pub fn acquire(path: &Path, shown: &str, wait: bool) -> Result<StateLock, StateError> {
        let io = |action: &'static str, source: std::io::Error| StateError::Io {
            action,
            path: shown.to_string(),
            source,
        };
        let created = if path.is_dir() {
            None
        } else {
            fs::create_dir_all(path).map_err(|e| io("create", e))?;
            Some(path.to_path_buf())
        };
        let dir = fs::File::open(path).map_err(|e| io("open", e))?;
        let give_up = Instant::now() + NO_WAIT_GRACE;
        let mut told = false;
        loop {
            match unix::flock(&dir, true, false) {
                Ok(Flock::Taken) => return Ok(StateLock { _dir: dir, created }),
                Ok(Flock::Busy) => {}
                // Some network file systems cannot lock at all: the run goes on, unguarded,
                // rather than not at all.
                Err(e) => {
                    eprintln!(
                        "warning: cannot lock `{shown}` ({e}); a second run writing it at the same time would not be noticed"
                    );
                    return Ok(StateLock { _dir: dir, created });
                }
            }
            let holder = describe_holder(&dir);
            if !wait {
                if Instant::now() < give_up {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                return Err(StateError::Busy {
                    path: shown.to_string(),
                    holder,
                });
            }
            if !told {
                eprintln!(
                    "waiting for {holder} to finish writing `{shown}` (--no-wait fails instead)"
                );
                told = true;
            }
            // Blocks until the holder is done; the kernel wakes us when its lock goes.
            if unix::flock(&dir, true, true).map_err(|e| io("lock", e))? == Flock::Taken {
                return Ok(StateLock { _dir: dir, created });
            }
        }
    }
}

/// `Some(description)` when a writing run holds the lock on `path` right now. Probes with a
/// shared lock released at once; a missing directory has no writer.
pub fn writer(path: &Path) -> Option<String> {
    let dir = fs::File::open(path).ok()?;
    match unix::flock(&dir, false, false) {
        Ok(Flock::Taken) => {
            unix::unlock(&dir);
            None
        }
        Ok(Flock::Busy) => Some(describe_holder(&dir)),
        Err(_) => None,
    }
}

fn describe_holder(dir: &fs::File) -> String {
    match dir.metadata().ok().and_then(|m| unix::flock_holder(&m)) {
        Some(pid) => format!("another discover run (pid {pid})"),
        None => "another discover run".to_string(),
    }
}
