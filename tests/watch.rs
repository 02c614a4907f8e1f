//! `discover watch` with real edits: it refreshes the state after each burst, with a
//! bounded number of runs, ignores its own writes, and stops cleanly on SIGINT.

use crate::util::{BIN, Repo};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Waits for the next stdout line of the watcher, failing after `seconds`.
fn next_line(lines: &mpsc::Receiver<String>, seconds: u64) -> String {
    lines
        .recv_timeout(Duration::from_secs(seconds))
        .unwrap_or_else(|_| panic!("no line from `discover watch` within {seconds} s"))
}

#[test]
fn watch_refreshes_after_edits_and_stops_on_sigint() {
    let repo = Repo::from_fixture("links");
    let cache = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("watch")
        .current_dir(repo.path())
        .env("XDG_CACHE_HOME", cache.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn discover watch");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    assert!(next_line(&lines, 30).starts_with("up to date after initial run"));
    assert!(next_line(&lines, 5).starts_with("watching "));
    repo.run(&["--check"]).expect_code(0);

    // One edit: one run, and the state is fresh after it.
    repo.write("src/app/new.ts", "export function added() {}\n");
    let line = next_line(&lines, 30);
    assert!(line.starts_with("up to date after "), "{line}");
    repo.run(&["--check"]).expect_code(0);
    let symbols = std::fs::read_to_string(repo.state().join("symbols/src/app.json")).unwrap();
    assert!(symbols.contains("\"#added\""), "{symbols}");

    // Its own writes start nothing: no line comes while nothing changes.
    assert!(lines.recv_timeout(Duration::from_secs(2)).is_err());

    // A burst of 400 files: a bounded number of runs, then fresh.
    for i in 0..400 {
        repo.write(
            &format!("src/gen/g{i}.ts"),
            format!("export const v{i} = {i};\n"),
        );
    }
    let mut runs = 0;
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(8)) {
        assert!(line.starts_with("up to date after "), "{line}");
        runs += 1;
    }
    assert!((1..=4).contains(&runs), "{runs} runs for one burst");
    repo.run(&["--check"]).expect_code(0);

    // ^C: the watcher exits like an interrupted run.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
}
