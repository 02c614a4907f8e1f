//! The safety guarantees: discover never deletes or overwrites what it did not write, one
//! writer at a time, the manifest tells the truth under races, edits and failing disks, and
//! limits that cannot turn load into lost files.

use crate::util::{Repo, assert_same_state, files_under};
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir` with its bytes and modification time: "no byte changed".
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    files_under(dir)
        .into_iter()
        .map(|(rel, bytes)| {
            let mtime = std::fs::metadata(dir.join(&rel))
                .and_then(|m| m.modified())
                .expect("mtime");
            (rel, (bytes, mtime))
        })
        .collect()
}

#[test]
fn a_directory_of_somebody_elses_json_is_refused_untouched() {
    let repo = Repo::from_fixture("mixed");
    // Named like discover's output directories, but nobody's outputs.
    for (dir, file) in [
        ("components", "Button.json"),
        ("hooks", "useCart.json"),
        ("types", "api.json"),
        ("routes", "index.json"),
    ] {
        repo.write(&format!("app/{dir}/{file}"), "{\"mine\": true}\n");
    }
    // Named like a temp file a killed run of discover leaves, which a run removes only
    // from a directory it owns.
    repo.write("app/.notes.json.99.discover-tmp", "draft\n");
    let before = snapshot(&repo.path().join("app"));
    for args in [
        &["--state-dir", "app"][..],
        &["--state-dir", "app", "--incremental"],
        &["--state-dir", "app", "-j", "2"],
    ] {
        repo.run(args)
            .expect_code(2)
            .expect_stderr_contains("refusing to use `app` as the state directory")
            .expect_stderr_contains("`app/components/Button.json` was not written by discover");
        assert_eq!(before, snapshot(&repo.path().join("app")), "{args:?}");
    }
}

#[test]
fn a_browser_extension_root_is_refused_untouched() {
    let repo = Repo::empty();
    repo.write(
        "manifest.json",
        "{\"manifest_version\": 3, \"name\": \"ext\", \"version\": \"1.0\"}\n",
    );
    repo.write("package.json", "{\"name\": \"ext\"}\n");
    repo.write("tsconfig.json", "{\"compilerOptions\": {}}\n");
    repo.write("locales/en.json", "{\"hello\": \"Hello\"}\n");
    repo.write("src/background.ts", "export function start() {}\n");
    let before = snapshot(repo.path());
    let run = repo.run(&[".", "--state-dir", "."]);
    run.expect_code(2)
        .expect_stderr_contains("`./manifest.json` was not written by discover");
    assert_eq!(before, snapshot(repo.path()));
    // With --json, scripts get the error as an object on stdout.
    let run = repo.run(&[".", "--state-dir", ".", "--json"]);
    run.expect_code(2);
    let error: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON on stdout");
    assert_eq!(error["exit_code"], 2);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("was not written by discover"),
        "{error}"
    );
    assert_eq!(before, snapshot(repo.path()));
}

#[test]
fn a_damaged_manifest_of_ours_is_rebuilt_without_touching_foreign_files() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let good = repo.state_files();
    let manifest = String::from_utf8(good["manifest.json"].clone()).unwrap();
    // Cut short mid-way (still recognisably ours), next to files that are not ours.
    repo.write(".state/manifest.json", &manifest[..manifest.len() / 3]);
    repo.write(".state/NOTES.md", "my notes\n");
    repo.write(".state/symbols/handmade.json", "{\"items\": []}\n");
    repo.run(&[])
        .expect_code(0)
        .expect_stderr_contains("treating every chunk as stale");
    let mut after = repo.state_files();
    assert_eq!(
        after.remove("NOTES.md").as_deref(),
        Some(&b"my notes\n"[..])
    );
    assert!(after.remove("symbols/handmade.json").is_some());
    assert_same_state(&good, &after);
}

#[test]
fn a_state_killed_before_its_first_manifest_is_still_ours() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let good = repo.state_files();
    // What a run killed before it wrote the manifest leaves: outputs and a temp file.
    std::fs::remove_file(repo.state().join("manifest.json")).unwrap();
    repo.write(".state/symbols/.x.json.4242.discover-tmp", "{\"half");
    repo.run(&[]).expect_code(0);
    assert_same_state(&good, &repo.state_files());
}

#[test]
fn an_output_edited_in_place_is_stale_and_restored() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let good = repo.state_files();
    // The cache now knows every output's metadata.
    repo.run(&["--check"]).expect_code(0);
    let path = repo.state().join("symbols/_root.json");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let text = String::from_utf8(good["symbols/_root.json"].clone()).unwrap();
    let edited = text.replacen("\"line\":1,", "\"line\":7,", 1);
    assert_ne!(edited, text);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, &edited).unwrap();
    // Same size and, as far as a careful editor can, the same modification time.
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("symbols: output file differs from the manifest");
    repo.run(&["--incremental"]).expect_code(0);
    assert_same_state(&good, &repo.state_files());
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn a_fifo_named_like_a_source_is_skipped_not_read() {
    let repo = Repo::from_fixture("mixed");
    let fifo = repo.path().join("src/pipe.ts");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    for args in [&[][..], &["-j", "2"]] {
        repo.run(args).expect_code(0);
        let skipped = repo.manifest()["skipped"].clone();
        assert!(
            skipped
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["path"] == "src/pipe.ts" && s["reason"] == "not-a-file"),
            "{skipped}"
        );
        repo.run(&["--check"]).expect_code(0);
    }
}

#[test]
fn stray_cache_temp_files_are_removed() {
    let repo = Repo::from_fixture("mixed");
    let cache = repo.cache.path().join("discover");
    std::fs::create_dir_all(&cache).unwrap();
    // A pid above any pid_max: its process cannot exist.
    std::fs::write(cache.join(".4294967295.tmp"), b"stray").unwrap();
    // A live process's temp file may be mid-write: it stays.
    let live = cache.join(format!(".{}.tmp", std::process::id()));
    std::fs::write(&live, b"in flight").unwrap();
    repo.run(&[]).expect_code(0);
    assert!(!cache.join(".4294967295.tmp").exists());
    assert!(live.exists());
}

#[test]
fn implausible_limits_are_refused_before_anything_is_written() {
    let repo = Repo::from_fixture("mixed");
    let cases: [(&[&str], &str); 8] = [
        (
            &["-j", "1", "--max-memory", "512"],
            "below the smallest workable limit",
        ),
        (&["-j", "1", "--max-memory", "-5"], "is negative"),
        (&["--file-timeout", "0"], "must be more than zero"),
        (&["--file-timeout", "0s"], "must be more than zero"),
        (&["-j", "1", "--timeout", "0"], "must be more than zero"),
        (&["-j", "1", "--timeout", "-3s"], "cannot be negative"),
        (&["-j", "-1"], "at least 1"),
        (
            &["-j", "many"],
            "expected a whole number of worker processes",
        ),
    ];
    for (args, message) in cases {
        repo.run(args)
            .expect_code(2)
            .expect_stderr_contains(message);
    }
    assert!(!repo.state().exists(), "a refused run wrote something");
}

#[test]
fn too_many_workers_are_clamped() {
    let repo = crate::parallel::wide_tree();
    let run = repo.run(&["-j", "100000", "--json"]);
    run.expect_code(0)
        .expect_stderr_contains("more than 4 workers per core");
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let workers = summary["workers"].as_u64().unwrap();
    assert!(workers >= 1 && workers <= 4 * cores, "{summary}");
    assert!(workers <= summary["tasks"].as_u64().unwrap(), "{summary}");
    assert!(
        summary["skipped"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn quiet_still_says_what_was_skipped() {
    let repo = Repo::from_fixture("mixed");
    repo.write("src/blob.js", b"\x00\x01binary".as_slice());
    let run = repo.run(&["-q"]);
    run.expect_code(0)
        .expect_stderr_contains("warning: skipped 1 file(s):")
        .expect_stderr_contains("src/blob.js (binary");
    assert!(!run.stderr().contains("items in"), "{}", run.stderr());
}

#[test]
fn a_brand_new_state_is_written_not_rewritten() {
    let repo = Repo::from_fixture("mixed");
    let run = repo.run(&[]);
    run.expect_code(0)
        .expect_stderr_contains(": 1 extracted, 1 written");
    assert!(!run.stderr().contains("rewritten"), "{}", run.stderr());
}

#[test]
fn per_extractor_peaks_belong_to_the_tasks_that_ran_them() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&["--only", "symbols"]).expect_code(0);
    // Symbols are fresh: only the other extractors run, in a worker.
    let run = repo.run(&["--incremental", "-j", "1", "--json"]);
    run.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    for e in summary["extractors"].as_array().unwrap() {
        let peak = e["peak_rss"].as_u64().unwrap();
        if e["name"] == "symbols" {
            assert_eq!(peak, 0, "symbols ran in no task: {summary}");
            assert_eq!(e["extracted"], 0, "{summary}");
        } else {
            assert!(peak > 0, "{summary}");
        }
    }
}

#[cfg(feature = "fault-injection")]
mod faulted {
    use crate::process::Spawned;
    use crate::util::{Repo, assert_same_state};

    const HANG: &str = "src/lib/api.ts";

    /// A parallel run holding the lock while its worker hangs on `HANG`.
    fn hanging_writer(repo: &Repo) -> Spawned {
        let fault = format!("hang:{HANG}");
        let mut running = repo.spawn(&["-j", "1"], &[("DISCOVER_FAULT", &fault)]);
        running.wait_for_line(&format!("fault: hanging on {HANG}"));
        running
    }

    #[test]
    fn a_second_writer_waits_or_fails_and_check_is_never_fresh_meanwhile() {
        let repo = Repo::from_fixture("mixed");
        repo.run(&[]).expect_code(0);
        repo.write(HANG, "export const changed = 1;\n");
        let first = hanging_writer(&repo);
        let pid = first.child.id();

        repo.run(&["--no-wait"])
            .expect_code(2)
            .expect_stderr_contains(&format!(
                "is being written by another discover run (pid {pid})"
            ));
        repo.run(&["--incremental", "--no-wait", "--json"])
            .expect_code(2)
            .expect_stdout_contains("\"exit_code\": 2");
        repo.run(&["--check"])
            .expect_code(1)
            .expect_stdout_contains(&format!("another discover run (pid {pid}) is writing"));

        let mut second = repo.spawn(&["--incremental"], &[]);
        second.wait_for_line(&format!("waiting for another discover run (pid {pid})"));
        first.signal("TERM");
        let (code, lines) = first.finish();
        assert_eq!(code, 143, "{}", lines.join("\n"));
        let (code, lines) = second.finish();
        assert_eq!(code, 0, "{}", lines.join("\n"));
        repo.run(&["--check"]).expect_code(0);
        assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
    }

    #[test]
    fn a_killed_writer_leaves_no_stale_lock() {
        let repo = Repo::from_fixture("mixed");
        let first = hanging_writer(&repo);
        first.signal("KILL");
        first.finish();
        repo.run(&["--no-wait"]).expect_code(0);
        repo.run(&["--check"]).expect_code(0);
    }

    #[test]
    fn the_hash_recorded_is_that_of_the_bytes_parsed() {
        for args in [&[][..], &["-j", "2"]] {
            let repo = Repo::from_fixture("mixed");
            let fault = format!("truncate:{HANG}");
            // The walk hashes the whole file; the parse sees half of it; then it is restored.
            repo.run_env(args, &[("DISCOVER_FAULT", &fault)])
                .expect_code(0);
            stale_then_repaired(&repo);
        }
    }

    #[test]
    fn a_settled_file_rewritten_to_the_same_size_before_it_is_read_is_hashed_again() {
        // Extraction takes the walk's hash when the file's metadata is the walk's, and the
        // walk's is only trusted for files last modified seconds ago or more: here every
        // file was, an hour ago, and the rewrite keeps the size, so only the file's times
        // tell it apart.
        for args in [&[][..], &["-j", "2"]] {
            let repo = Repo::from_fixture("mixed");
            let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
            for rel in crate::util::files_under(repo.path()).keys() {
                std::fs::File::options()
                    .write(true)
                    .open(repo.path().join(rel))
                    .and_then(|f| f.set_modified(hour_ago))
                    .unwrap();
            }
            let fault = format!("rewrite:{HANG}");
            repo.run_env(args, &[("DISCOVER_FAULT", &fault)])
                .expect_code(0);
            stale_then_repaired(&repo);
        }
    }

    /// `--check` names `HANG` as modified, and `--incremental` brings the state to what a
    /// full run writes.
    fn stale_then_repaired(repo: &Repo) {
        repo.run(&["--check"])
            .expect_code(1)
            .expect_stdout_contains(&format!("  modified {HANG}"));
        repo.run(&["--incremental"]).expect_code(0);
        repo.run(&["--check"]).expect_code(0);
        assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
    }

    #[test]
    fn a_failed_flush_fails_the_run_and_keeps_the_manifest_truthful() {
        let repo = Repo::from_fixture("mixed");
        let eio = [("DISCOVER_FAULT", "sync:eio")];
        // First run: no manifest may appear.
        repo.run_env(&[], &eio)
            .expect_code(2)
            .expect_stderr_contains("failed to flush `.state` to disk")
            .expect_stderr_contains("the manifest was not updated");
        assert!(!repo.state().join("manifest.json").exists());
        repo.run(&["--check"]).expect_code(1);

        // Over a good state: the old manifest stays, and says the state is stale.
        repo.run(&[]).expect_code(0);
        let manifest = std::fs::read(repo.state().join("manifest.json")).unwrap();
        repo.write(HANG, "export const changed = 1;\n");
        repo.run_env(&["--incremental"], &eio).expect_code(2);
        assert_eq!(
            manifest,
            std::fs::read(repo.state().join("manifest.json")).unwrap()
        );
        stale_then_repaired(&repo);
    }

    #[test]
    fn outputs_a_killed_run_left_are_flushed_before_a_manifest_describes_them() {
        let repo = Repo::from_fixture("mixed");
        repo.run(&[]).expect_code(0);
        let manifest = std::fs::read(repo.state().join("manifest.json")).unwrap();
        // A run killed between its outputs' renames and its manifest: the new outputs are
        // in place (maybe only in the page cache), the old manifest still says what was.
        repo.write(HANG, "export const changed = 1;\n");
        repo.run(&["--incremental"]).expect_code(0);
        std::fs::write(repo.state().join("manifest.json"), &manifest).unwrap();
        // The next run finds those outputs already holding its bytes and rewrites none,
        // but its manifest describes them: they are flushed first, and a failed flush
        // keeps the old manifest.
        repo.run_env(&["--incremental"], &[("DISCOVER_FAULT", "sync:eio")])
            .expect_code(2)
            .expect_stderr_contains("failed to flush `.state` to disk");
        assert_eq!(
            manifest,
            std::fs::read(repo.state().join("manifest.json")).unwrap()
        );
        repo.run(&["--incremental"]).expect_code(0);
        repo.run(&["--check"]).expect_code(0);
        assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
    }

    #[test]
    fn the_file_budget_counts_cpu_time_not_waiting() {
        // Half a second asleep inside a 200 ms budget: a thread waiting for a core on a
        // loaded machine uses no CPU, and its file is not skipped.
        let repo = Repo::from_fixture("mixed");
        let fault = format!("stall:{HANG}");
        for args in [
            &["--file-timeout", "200ms"][..],
            &["--file-timeout", "200ms", "-j", "2"],
        ] {
            repo.run_env(args, &[("DISCOVER_FAULT", &fault)])
                .expect_code(0);
            assert!(repo.manifest()["skipped"].as_array().unwrap().is_empty());
        }
    }

    /// The worker hangs on the last file with the results of the files before it queued,
    /// not yet sent (it sends them in batches, and `batch:late` holds them): stopping it,
    /// the parent still gets them (the worker sends what is queued on SIGTERM).
    #[test]
    fn an_interrupted_run_counts_only_the_files_it_parsed() {
        let repo = crate::parallel::wide_tree();
        repo.write("zz/last.ts", "export const last = 1;\n");
        let total = 6 * 15 + 1;
        let fault = "hang:zz/last.ts,batch:late";
        let mut running = repo.spawn(&["-j", "1"], &[("DISCOVER_FAULT", fault)]);
        running.wait_for_line("fault: hanging on zz/last.ts");
        running.signal("INT");
        let (code, lines) = running.finish();
        assert_eq!(code, 130, "{}", lines.join("\n"));
        let parsed = format!(": {} file(s) parsed, 0 reused", total - 1);
        assert!(
            lines.iter().any(|l| l.contains(&parsed)),
            "{parsed}\n{}",
            lines.join("\n")
        );
    }

    #[test]
    fn quiet_still_explains_a_failed_file() {
        let repo = Repo::from_fixture("mixed");
        let fault = format!("abort:{HANG}");
        let run = repo.run_env(&["-q", "-j", "1"], &[("DISCOVER_FAULT", &fault)]);
        run.expect_code(1)
            .expect_stderr_contains("warning: failed and skipped 1 file(s)")
            .expect_stderr_contains(HANG);
    }
}

#[test]
fn the_state_explains_itself_and_a_readme_of_someone_else_stays() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&["-q"]).expect_code(0);
    let guide = std::fs::read_to_string(repo.state().join("README.md")).unwrap();
    for needle in [
        "`symbols/<chunk>.json`",
        "path#Qualified.Name",
        "discover query callers X",
    ] {
        assert!(guide.contains(needle), "{needle} not in {guide}");
    }
    // The same bytes from another run; an edit is stale and repaired.
    assert_eq!(
        repo.state_of_run(&[])["README.md"],
        guide.as_bytes(),
        "the guide depends on the run"
    );
    repo.write(".state/README.md", guide.replace("Ids", "IDs"));
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("README.md differs from what a run would write");
    repo.run(&["--incremental", "-q"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);

    // A README.md discover did not write is left alone, and said so.
    repo.write(".state/README.md", "# Our notes about the inventory\n");
    repo.run(&["--incremental"])
        .expect_code(0)
        .expect_stderr_contains("README.md was not written by discover; left as it is");
    assert_eq!(
        std::fs::read_to_string(repo.state().join("README.md")).unwrap(),
        "# Our notes about the inventory\n"
    );
}
