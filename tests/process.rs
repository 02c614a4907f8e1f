//! Background runs of the binary for the fault and signal tests: streamed stderr, signals,
//! and checks that no process survives.

use crate::util::{Repo, Run, listing};
use std::process::Command;

/// A discover process running in the background, with its stderr lines streamed.
pub struct Spawned {
    pub child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Repo {
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Spawned {
        use std::io::BufRead;
        let mut command = self.command();
        command
            .args(args)
            .current_dir(self.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn discover");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Spawned {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command();
        command.args(args).current_dir(self.path());
        for (k, v) in env {
            command.env(k, v);
        }
        let output = command.output().expect("spawn discover");
        Run {
            argv: args.iter().map(|s| s.to_string()).collect(),
            output,
            state_listing: listing(&self.state()),
        }
    }
}

impl Spawned {
    /// Waits (at most a minute) for a stderr line containing `needle` and returns it.
    #[track_caller]
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line containing {needle:?}; saw:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the exit and drains the rest of stderr.
    pub fn finish(mut self) -> (i32, Vec<String>) {
        use std::os::unix::process::ExitStatusExt;
        let status = self.child.wait().expect("wait");
        while let Ok(line) = self.lines.recv_timeout(std::time::Duration::from_secs(10)) {
            self.seen.push(line);
        }
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        (code, self.seen)
    }
}

/// Pids mentioned in discover's verbose and fault lines (`pid N`, `grandchild N`).
pub fn pids_in(lines: &[String]) -> Vec<u32> {
    let mut pids = Vec::new();
    for line in lines {
        for marker in ["pid ", "grandchild "] {
            let mut rest = line.as_str();
            while let Some(at) = rest.find(marker) {
                rest = &rest[at + marker.len()..];
                let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                if let Ok(pid) = digits.parse() {
                    pids.push(pid);
                }
            }
        }
    }
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// Whether a process is alive (a zombie counts as dead).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits (at most 30 s) until none of `pids` is alive; names the survivors otherwise.
#[track_caller]
pub fn assert_all_gone(pids: &[u32]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let survivors: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
        if survivors.is_empty() {
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!("processes survived: {survivors:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
