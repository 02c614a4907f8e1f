//! Test-only fault injection, compiled in with the `fault-injection` feature: the variable
//! `DISCOVER_FAULT=KIND:PATH[,KIND:PATH...]` makes the worker misbehave when it reaches the
//! file PATH. Kinds: `hang`, `abort`, `alloc` (grow without bound), `grandchild` (spawn a
//! long-lived child, then hang), `corrupt` (write a garbage frame), `slow` (the parse budget
//! runs out, in workers and in-process alike), `truncate` (the file is cut to half its
//! length on disk just before it is read for parsing and restored just after, in any mode),
//! `stall` (the thread sleeps half a second inside the file's parse budget, as a thread
//! waiting for a core on a loaded machine does);
//! `startup:exit` makes every worker exit before its handshake, `batch:late` keeps a worker's
//! results queued (unsent) for ten minutes, and `sync:eio` makes every flush of the state
//! directory fail with EIO. Without the feature every hook is a no-op.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Hang,
    Abort,
    Alloc,
    Grandchild,
    Corrupt,
    Slow,
    Truncate,
    Rewrite,
    Stall,
}

#[cfg(feature = "fault-injection")]
pub fn fault_for(path: &str) -> Option<Fault> {
    let spec = std::env::var("DISCOVER_FAULT").ok()?;
    spec.split(',').find_map(|entry| {
        let (kind, target) = entry.split_once(':')?;
        if target != path {
            return None;
        }
        Some(match kind {
            "hang" => Fault::Hang,
            "abort" => Fault::Abort,
            "alloc" => Fault::Alloc,
            "grandchild" => Fault::Grandchild,
            "corrupt" => Fault::Corrupt,
            "slow" => Fault::Slow,
            "truncate" => Fault::Truncate,
            "rewrite" => Fault::Rewrite,
            "stall" => Fault::Stall,
            _ => return None,
        })
    })
}

#[cfg(not(feature = "fault-injection"))]
pub fn fault_for(_path: &str) -> Option<Fault> {
    None
}

/// `DISCOVER_FAULT=startup:exit` makes every worker exit before its handshake.
#[cfg(feature = "fault-injection")]
pub fn at_worker_start() {
    let spec = std::env::var("DISCOVER_FAULT").unwrap_or_default();
    if spec.split(',').any(|entry| entry == "startup:exit") {
        std::process::exit(7);
    }
}

#[cfg(not(feature = "fault-injection"))]
pub fn at_worker_start() {}

/// How long a worker's queued results may wait to be sent: `DISCOVER_FAULT=batch:late`
/// makes it ten minutes, as if the writer thread never got a core, so that a test sees what
/// reaches the parent without it.
#[cfg(feature = "fault-injection")]
pub fn batch_period(period: Duration) -> Duration {
    let spec = std::env::var("DISCOVER_FAULT").unwrap_or_default();
    if spec.split(',').any(|entry| entry == "batch:late") {
        Duration::from_secs(600)
    } else {
        period
    }
}

#[cfg(not(feature = "fault-injection"))]
pub fn batch_period(period: Duration) -> Duration {
    period
}

/// `DISCOVER_FAULT=sync:eio` makes flushing the state directory fail as a dying disk does.
#[cfg(feature = "fault-injection")]
pub fn at_sync() -> std::io::Result<()> {
    let spec = std::env::var("DISCOVER_FAULT").unwrap_or_default();
    if spec.split(',').any(|entry| entry == "sync:eio") {
        return Err(std::io::Error::from_raw_os_error(libc::EIO));
    }
    Ok(())
}

#[cfg(not(feature = "fault-injection"))]
pub fn at_sync() -> std::io::Result<()> {
    Ok(())
}

/// Puts a file's bytes back when dropped (see `cut_before_read`).
pub struct Restore(Option<(std::path::PathBuf, Vec<u8>)>);

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some((path, bytes)) = self.0.take() {
            let _ = std::fs::write(path, bytes);
        }
    }
}

/// For a `truncate` fault on `rel`: cuts `full` to half its length on disk, as an editor
/// saving it would, until the returned guard is dropped. For a `rewrite` fault: writes
/// as many bytes, all blanks, so that only the file's times tell the change.
pub fn cut_before_read(full: &std::path::Path, rel: &str) -> Restore {
    let fault = fault_for(rel);
    if fault != Some(Fault::Truncate) && fault != Some(Fault::Rewrite) {
        return Restore(None);
    }
    let Ok(bytes) = std::fs::read(full) else {
        return Restore(None);
    };
    let _ = if fault == Some(Fault::Truncate) {
        std::fs::write(full, &bytes[..bytes.len() / 2])
    } else {
        std::fs::write(full, vec![b' '; bytes.len()])
    };
    Restore(Some((full.to_path_buf(), bytes)))
}

/// For a `stall` fault: half a second of wall time inside the file's budget, no CPU time.
pub fn while_parsing(path: &str) {
    if fault_for(path) == Some(Fault::Stall) {
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The parse budget for `path`: zero for a `slow` fault, so the real cancellation path runs.
pub fn parse_budget(path: &str, budget: Duration) -> Duration {
    if fault_for(path) == Some(Fault::Slow) {
        Duration::ZERO
    } else {
        budget
    }
}

/// Misbehaves as configured for `path`, in a worker. `corrupt` is left to the caller, which
/// owns the protocol stream.
pub fn before_file_in_worker(path: &str) {
    match fault_for(path) {
        Some(Fault::Hang) => {
            // Tests wait for this line before they signal or kill anything.
            eprintln!("fault: hanging on {path}");
            hang()
        }
        Some(Fault::Abort) => std::process::abort(),
        Some(Fault::Alloc) => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                // Touch every page so the memory is resident, not just reserved.
                hoard.push(vec![1u8; 8 << 20]);
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        Some(Fault::Grandchild) => {
            let child = std::process::Command::new("sleep").arg("600").spawn();
            if let Ok(child) = child {
                eprintln!("fault: spawned grandchild {}", child.id());
            }
            hang()
        }
        _ => {}
    }
}

fn hang() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
