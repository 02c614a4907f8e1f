//! Misbehaving workers (fault injection, `--features fault-injection`): a hang, a crash, a
//! runaway allocation, a grandchild, a corrupt frame cost one file, never the run; signals
//! stop a run cleanly; no process outlives the parent.

use crate::process::{assert_all_gone, pids_in};
use crate::util::{Repo, assert_same_state, files_under};

const POISON: &str = "poison/bad.ts";

/// The wide tree plus one file, alone in its chunk, that nobody imports.
fn poisoned_tree() -> Repo {
    let repo = crate::parallel::wide_tree();
    repo.write(POISON, "export function bad() { return 1; }\n");
    repo
}

/// Outputs of a sequential run over the same tree without the poisoned file.
fn clean_outputs(repo: &Repo) -> std::collections::BTreeMap<String, Vec<u8>> {
    let clean = Repo::empty();
    crate::util::copy_tree(repo.path(), clean.path());
    std::fs::remove_dir_all(clean.state()).ok();
    clean.remove(POISON);
    clean.run(&[]).expect_code(0);
    outputs(&clean.state_files())
}

fn outputs(
    state: &std::collections::BTreeMap<String, Vec<u8>>,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    state
        .iter()
        .filter(|(p, _)| p.as_str() != "manifest.json" && !p.ends_with("/poison.json"))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect()
}

/// The manifest lists the poisoned file as skipped for `reason`.
#[track_caller]
fn assert_skipped(repo: &Repo, reason: &str) {
    let skipped = repo.manifest()["skipped"].clone();
    let listed = skipped
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["path"] == POISON && s["reason"] == reason);
    assert!(listed, "{POISON} not skipped for {reason}: {skipped}");
}

/// Runs with the fault on the poisoned file; returns the run's stderr.
fn run_fault(kind: &str, extra: &[&str], reason: &str, message: &str) -> String {
    let repo = poisoned_tree();
    let fault = format!("{kind}:{POISON}");
    let mut args = vec!["-j", "2", "-v"];
    args.extend_from_slice(extra);
    let run = repo.run_env(&args, &[("DISCOVER_FAULT", &fault)]);
    run.expect_code(1)
        .expect_stderr_contains(&format!("skipping {POISON}: {message}"))
        .expect_stderr_contains(&format!("{POISON} ({message}"));

    // Recorded in the manifest, so --check stays truthful.
    assert_skipped(&repo, reason);
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("stale chunk poison");

    // Every other chunk is exactly what a clean sequential run writes.
    assert_same_state(&clean_outputs(&repo), &outputs(&repo.state_files()));
    // The poisoned chunk's only file was skipped: no items, so no output file, and the
    // manifest records the empty output.
    assert!(!repo.state().join("symbols/poison.json").exists());
    let manifest = repo.manifest();
    let chunk = manifest["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "poison")
        .expect("poison chunk in the manifest");
    let symbols = chunk["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["extractor"] == "symbols")
        .unwrap();
    // An empty output's `items`, `bytes` and `hash` are left out.
    assert_eq!(
        (
            symbols.get("items"),
            symbols.get("bytes"),
            symbols.get("hash")
        ),
        (None, None, None),
        "{symbols}"
    );

    // No worker (nor anything it spawned) survives.
    let pids = pids_in(&[run.stderr()]);
    assert!(
        !pids.is_empty(),
        "no worker pids in the verbose output:\n{}",
        run.stderr()
    );
    assert_all_gone(&pids);

    // Without the fault, --incremental completes the job.
    repo.run(&["--incremental", "-j", "2"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
    run.stderr()
}

#[test]
fn a_hanging_file_times_out_and_is_skipped() {
    let stderr = run_fault(
        "hang",
        &["--timeout", "1s"],
        "task-timeout",
        "timed out after 1000 ms",
    );
    // The worker sends its results in batches, but those of the files before the hanging
    // one reach the parent while it hangs (its writer thread sends them): the first stop
    // already names it, and only it and the files after it are retried.
    let first = stderr
        .lines()
        .find(|l| l.contains(") failed on task "))
        .unwrap_or_else(|| panic!("no failed task in:\n{stderr}"));
    assert!(
        first.contains(&format!("files left, at {POISON}): timed out")),
        "{first}"
    );
}

#[test]
fn a_crashing_file_is_skipped() {
    run_fault(
        "abort",
        &[],
        "worker-crashed",
        "worker crashed: killed by signal 6 (SIGABRT)",
    );
}

#[test]
fn a_runaway_allocation_is_over_the_memory_limit() {
    run_fault(
        "alloc",
        &["--max-memory", "300MiB"],
        "over-memory-limit",
        "over memory limit (",
    );
}

#[test]
fn a_corrupt_frame_is_a_protocol_error() {
    run_fault(
        "corrupt",
        &[],
        "protocol-error",
        "worker sent a corrupt frame",
    );
}

#[test]
fn a_grandchild_dies_with_its_worker() {
    let repo = poisoned_tree();
    let fault = format!("grandchild:{POISON}");
    let run = repo.run_env(
        &["-j", "2", "-v", "--timeout", "1s"],
        &[("DISCOVER_FAULT", &fault)],
    );
    run.expect_code(1)
        .expect_stderr_contains("fault: spawned grandchild");
    let pids = pids_in(&[run.stderr()]);
    assert!(
        pids.len() >= 3,
        "expected worker and grandchild pids:\n{}",
        run.stderr()
    );
    assert_all_gone(&pids);
}

#[test]
fn a_file_over_the_parse_budget_is_skipped_in_process_too() {
    let repo = poisoned_tree();
    let fault = format!("slow:{POISON}");
    repo.run_env(&[], &[("DISCOVER_FAULT", &fault)])
        .expect_code(1)
        .expect_stderr_contains(&format!("{POISON} (parse budget of 10000 ms exceeded)"));
    assert_skipped(&repo, "parse-timeout");
    repo.run(&["--incremental"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
}

fn interrupt(signal: &str, code: i32) {
    let repo = poisoned_tree();
    repo.run(&[]).expect_code(0);
    let complete = repo.state_files();
    // Change every file so the interrupted run has real work in flight.
    for d in 0..6 {
        repo.write(&format!("d{d}/m0.ts"), format!("export const v{d} = 2;\n"));
    }
    repo.write(POISON, "export function bad() { return 2; }\n");
    let fault = format!("hang:{POISON}");
    let mut running = repo.spawn(&["-j", "2", "-v"], &[("DISCOVER_FAULT", &fault)]);
    running.wait_for_line(&format!("fault: hanging on {POISON}"));
    running.signal(signal);
    let (exit, lines) = running.finish();
    assert_eq!(exit, code, "{}", lines.join("\n"));
    assert!(
        lines.iter().any(|l| l.contains("interrupted:")),
        "{}",
        lines.join("\n")
    );
    assert_all_gone(&pids_in(&lines));

    let state = repo.state_files();
    assert!(
        state.keys().all(|p| !p.contains("discover-tmp")),
        "temp files left: {:?}",
        state.keys()
    );
    // The manifest describes what is on disk: --check is truthful about the unfinished work.
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("stale chunk poison");
    repo.run(&["--incremental"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
    assert_ne!(complete, repo.state_files());
}

#[test]
fn sigint_stops_a_parallel_run_cleanly() {
    interrupt("INT", 130);
}

#[test]
fn sigterm_stops_a_parallel_run_cleanly() {
    interrupt("TERM", 143);
}

#[test]
fn workers_and_grandchildren_die_with_a_killed_parent() {
    let repo = poisoned_tree();
    // The worker spawns a long-lived child on the poisoned file, then hangs.
    let fault = format!("grandchild:{POISON}");
    let mut running = repo.spawn(&["-j", "2", "-v"], &[("DISCOVER_FAULT", &fault)]);
    running.wait_for_line("fault: spawned grandchild");
    running.signal("KILL");
    let (exit, lines) = running.finish();
    assert_eq!(exit, 128 + 9);
    let pids: Vec<u32> = pids_in(&lines);
    assert!(!pids.is_empty(), "{}", lines.join("\n"));
    assert_all_gone(&pids);
    let leftovers: Vec<String> = files_under(&repo.state())
        .into_keys()
        .filter(|p| p.contains("discover-tmp"))
        .collect();
    // A killed parent may leave temp files; the next run removes them.
    repo.run(&["--incremental"]).expect_code(0);
    for leftover in leftovers {
        assert!(!repo.state().join(leftover).exists());
    }
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn a_pool_that_cannot_start_is_an_error_not_a_loop() {
    let repo = poisoned_tree();
    repo.run_env(&["-j", "2"], &[("DISCOVER_FAULT", "startup:exit")])
        .expect_code(2)
        .expect_stderr_contains("worker processes in a row exited before their handshake (last: worker crashed: exited with code 7)");
    assert!(!repo.state().join("manifest.json").exists());
}

/// What a terminal `width` columns wide shows after `bytes`, as lines (scrolled-off ones
/// kept, trailing blanks cut): enough of a terminal for what the progress bar writes (text
/// that wraps at the last column, `\r`, `\n`, cursor up and down, clear line and clear
/// below). Any
/// other control sequence fails the test, rather than being misread.
fn screen(bytes: &[u8], width: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let down = |lines: &mut Vec<Vec<char>>, row: &mut usize| {
        *row += 1;
        if *row == lines.len() {
            lines.push(Vec::new());
        }
    };
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                down(&mut lines, &mut row);
                col = 0;
            }
            '\x1b' => {
                assert_eq!(
                    chars.next(),
                    Some('['),
                    "an escape other than CSI: {text:?}"
                );
                let mut params = String::new();
                let command = loop {
                    match chars.next() {
                        Some(p @ ('0'..='9' | ';' | '?')) => params.push(p),
                        Some(command) => break command,
                        None => panic!("a control sequence cut short: {text:?}"),
                    }
                };
                let n = params.parse::<usize>().unwrap_or(1);
                match (command, params.as_str()) {
                    ('A', _) => row = row.saturating_sub(n),
                    ('B', _) => {
                        for _ in 0..n {
                            down(&mut lines, &mut row);
                        }
                    }
                    ('K', "2") => lines[row].clear(),
                    ('K', "" | "0") => lines[row].truncate(col),
                    ('J', "" | "0") => {
                        lines[row].truncate(col);
                        lines.truncate(row + 1);
                    }
                    ('h' | 'l', "?25") => {} // the cursor shown or hidden
                    _ => panic!("control sequence ESC[{params}{command} in {text:?}"),
                }
            }
            c => {
                // A character past the last column goes to the start of the next line.
                if col == width {
                    down(&mut lines, &mut row);
                    col = 0;
                }
                let line = &mut lines[row];
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.resize(col, ' ');
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    lines
        .into_iter()
        .map(|l| l.into_iter().collect::<String>().trim_end().to_string())
        .collect()
}

/// On a terminal the bar shows the time spent, the rate and the time left; what a run
/// reports while it is drawn (here a file that hangs, then is skipped) is printed above it,
/// and no copy of the bar is left among those lines or after the run.
#[test]
fn on_a_terminal_the_bar_shows_its_pace_and_messages_leave_no_copy_of_it() {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};

    let repo = poisoned_tree();
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new descriptors into the integers given; the name buffer
    // and terminal settings may be null, and the window size points at a live winsize.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened, and each is owned here once.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };

    let mut command = repo.command();
    command
        .args(["-j", "1", "--timeout", "1s"])
        .current_dir(repo.path())
        .env("DISCOVER_FAULT", format!("hang:{POISON}"))
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::from(slave));
    let mut child = command.spawn().expect("spawn discover on a terminal");
    // The only slave descriptor left is the child's: once it exits, reading the master
    // ends (EIO on Linux).
    drop(command);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut master = std::fs::File::from(master);
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.raw_os_error() == Some(libc::EIO) => break,
                Err(e) => panic!("reading the terminal: {e}"),
            }
        }
        let _ = tx.send(out);
    });
    let status = child.wait().expect("wait for discover");
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the terminal never closed");
    let shown = screen(&out, 80);
    let all = shown.join("\n");
    assert_eq!(status.code(), Some(1), "{all}");

    // The bar was drawn, with its pace: "<elapsed> <bar> <n>/<total> files, <rate>/s,
    // ETA <left>", and each frame fits the terminal's one line (a line printed above the
    // bar goes out in the same write, before it). The raw bytes: the bar is cleared by
    // the end.
    let raw = String::from_utf8_lossy(&out);
    let frames: Vec<&str> = raw
        .split(['\r', '\n'])
        .filter(|l| l.contains(" files, ") && l.contains("/s, ETA "))
        .collect();
    assert!(!frames.is_empty(), "no bar with its pace in {raw:?}");
    for frame in frames {
        // The row that says "files," starts with the elapsed time: the bar did not wrap.
        let rows = screen(frame.as_bytes(), 80);
        let row = rows.iter().find(|r| r.contains(" files, ")).unwrap();
        let elapsed = row.trim_start().split(' ').next().unwrap();
        assert!(
            elapsed.len() >= 2
                && elapsed.ends_with(['s', 'm', 'h'])
                && elapsed[..elapsed.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_digit()),
            "a bar wider than the terminal's 80 columns: {frame:?}"
        );
    }

    // The lines the run printed while the bar was up are whole, and no copy of the bar is
    // left on the screen.
    let skipped = format!("skipping {POISON}: timed out after 1000 ms");
    assert!(
        shown.iter().any(|l| l == &skipped),
        "no line that is exactly {skipped:?} in:\n{all}"
    );
    assert!(
        shown
            .iter()
            .any(|l| l.starts_with("worker 0 (pid ") && l.contains(") failed on task ")),
        "no line about the failed task in:\n{all}"
    );
    assert!(
        !shown
            .iter()
            .any(|l| l.contains(" files, ") || l.contains("ETA ")),
        "a copy of the bar was left:\n{all}"
    );
}
