//! Platform code: process groups, signals to them, reaping with the kernel's peak-memory
//! figure, and resident-memory readings from /proc. Linux is the platform discover runs on.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

/// Puts the child in its own process group (so a signal reaches its children too) and asks
/// the kernel to kill it if the parent dies, however it dies.
pub fn isolate(command: &mut Command) {
    command.process_group(0);
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            // SIGTERM rather than SIGKILL: the worker catches it and kills its whole group,
            // so that what it spawned dies with it.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl.
            if libc::getppid() == 1 {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// Sends `signal` to every process of the group `pgid`.
pub fn signal_group(pgid: u32, signal: i32) {
    // SAFETY: plain system call; a group that is gone yields ESRCH, which is fine.
    unsafe {
        libc::killpg(pgid as libc::pid_t, signal);
    }
}

/// How a reaped child ended, with the kernel's peak resident set size.
#[derive(Debug, Clone, Copy)]
pub struct Reaped {
    pub status: ExitStatus,
    pub max_rss: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl ExitStatus {
    pub fn describe(self) -> String {
        match self {
            ExitStatus::Code(code) => format!("exited with code {code}"),
            ExitStatus::Signal(sig) => format!("killed by signal {sig} ({})", signal_name(sig)),
        }
    }
}

pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        _ => "signal",
    }
}

/// Reaps `pid` if it has exited (`block` waits for it).
pub fn reap(pid: u32, block: bool) -> Option<Reaped> {
    let mut status = 0;
    // SAFETY: rusage is plain data, fully written by wait4 on success.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let flags = if block { 0 } else { libc::WNOHANG };
    // SAFETY: plain system call on our own child.
    let got = unsafe { libc::wait4(pid as libc::pid_t, &mut status, flags, &mut usage) };
    if got <= 0 {
        return None;
    }
    let status = if libc::WIFSIGNALED(status) {
        ExitStatus::Signal(libc::WTERMSIG(status))
    } else {
        ExitStatus::Code(libc::WEXITSTATUS(status))
    };
    Some(Reaped {
        status,
        max_rss: (usage.ru_maxrss.max(0) as u64) * 1024,
    })
}

/// Whether `pid` has exited, without reaping it: while it is an unreaped zombie its pid,
/// and so its process group id, cannot be reused, so the group can still be signalled safely.
pub fn has_exited(pid: u32) -> bool {
    // SAFETY: siginfo is plain data written by waitid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: plain system call on our own child.
    let got = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    // SAFETY: si_pid is set by waitid when a child changed state.
    got == 0 && unsafe { info.si_pid() } != 0
}

/// Terminates a worker's whole group: SIGTERM, up to `grace` for the worker to go, then
/// SIGKILL to the group (grandchildren included), and only then reaps the worker.
pub fn terminate_group(pid: u32, grace: Duration) -> Option<Reaped> {
    signal_group(pid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && !has_exited(pid) {
        std::thread::sleep(Duration::from_millis(5));
    }
    signal_group(pid, libc::SIGKILL);
    reap(pid, true)
}

/// Current and peak resident set size of a process, in bytes, from /proc.
pub fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Resets this process's peak resident set size, so the next reading is a task's own peak.
pub fn reset_own_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's peak resident set size since the last reset, in bytes.
pub fn own_peak() -> u64 {
    memory(std::process::id()).map_or(0, |(_, peak)| peak)
}

/// `syncfs(2)`: flushes every dirty page and inode of the file system holding `file`.
pub fn syncfs(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the duration of the call.
    if unsafe { libc::syncfs(file.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// How `flock` went.
#[derive(Debug, PartialEq, Eq)]
pub enum Flock {
    Taken,
    /// Another open file description holds a conflicting lock.
    Busy,
}

/// `flock(2)` on `file`: exclusive or shared, waiting or not. The lock lives as long as the
/// open file description, and the kernel drops it when the process dies, however it dies.
pub fn flock(file: &std::fs::File, exclusive: bool, wait: bool) -> std::io::Result<Flock> {
    use std::os::fd::AsRawFd;
    let mut op = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    if !wait {
        op |= libc::LOCK_NB;
    }
    loop {
        // SAFETY: plain system call on a descriptor open for the duration of the call.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(Flock::Taken);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(Flock::Busy),
            Some(libc::EINTR) => continue,
            _ => return Err(err),
        }
    }
}

/// Releases a lock taken with `flock`.
pub fn unlock(file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: plain system call on a descriptor open for the duration of the call.
    unsafe {
        libc::flock(file.as_raw_fd(), libc::LOCK_UN);
    }
}

/// The pid holding an exclusive `flock` on the file or directory with this metadata, read
/// from `/proc/locks` (for messages only: `None` when it cannot be told).
pub fn flock_holder(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let dev = meta.dev();
    let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff);
    let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0xff);
    let mut by_inode = None;
    for line in locks.lines() {
        // `1: FLOCK  ADVISORY  WRITE 4242 08:02:131099 0 EOF`; waiters carry a `->`.
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 6 || fields[1] != "FLOCK" || fields[3] != "WRITE" {
            continue;
        }
        let Ok(pid) = fields[4].parse::<u32>() else {
            continue;
        };
        let mut id = fields[5].split(':');
        let (Some(maj), Some(min), Some(ino)) = (id.next(), id.next(), id.next()) else {
            continue;
        };
        if ino.parse::<u64>().ok() != Some(meta.ino()) {
            continue;
        }
        let same_dev = u64::from_str_radix(maj, 16).ok() == Some(major)
            && u64::from_str_radix(min, 16).ok() == Some(minor);
        if same_dev {
            return Some(pid);
        }
        // Stacked file systems may show another device for the same inode.
        by_inode = Some(pid);
    }
    by_inode
}

/// CPU time the calling thread has used: unlike the wall clock, it does not grow while
/// the thread waits for a core on a loaded machine.
pub fn thread_cpu_time() -> Duration {
    // SAFETY: timespec is plain data, fully written by clock_gettime on success.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: plain system call writing into a local.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Whether a process with this pid exists (it may be another program with a reused pid).
pub fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// A file's bytes with its metadata from just before and just after they were read (of the
/// open file, so a file renamed over the path meanwhile is not mistaken for it).
pub struct ReadFile {
    pub bytes: Vec<u8>,
    pub before: std::fs::Metadata,
    pub after: std::fs::Metadata,
}

/// Reads a source file, refusing anything but a regular file: opening a FIFO or a device
/// for reading could block forever or never end, so the file is opened without blocking
/// and checked before a byte is read.
pub fn read_regular_file(path: &std::path::Path) -> std::io::Result<ReadFile> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let before = file.metadata()?;
    if !before.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    // Read up to the end by hand: `read_to_end` on a file asks its size and position again
    // (two more system calls a file) for a size already known. One byte of room past it
    // lets the read that finds the end need no growth.
    let mut bytes = Vec::with_capacity(before.len() as usize + 1);
    loop {
        if bytes.len() == bytes.capacity() {
            bytes.reserve(8192);
        }
        let start = bytes.len();
        let room = bytes.capacity() - start;
        bytes.resize(start + room, 0);
        match file.read(&mut bytes[start..]) {
            Ok(0) => {
                bytes.truncate(start);
                break;
            }
            Ok(n) => bytes.truncate(start + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => bytes.truncate(start),
            Err(e) => return Err(e),
        }
    }
    let after = file.metadata()?;
    Ok(ReadFile {
        bytes,
        before,
        after,
    })
}
