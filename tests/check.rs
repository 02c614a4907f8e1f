//! `--check`: exit 0 on fresh state, 1 on stale state with the right listing, never a write.

use crate::util::{Repo, assert_same_state};

#[test]
fn fresh_state_passes_and_check_writes_nothing() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let before = repo.state_files();
    repo.run(&["--check"])
        .expect_code(0)
        .expect_stderr_contains("is fresh");
    assert_eq!(before, repo.state_files());
}

#[test]
fn missing_state_is_stale() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("manifest.json does not exist");
    assert!(
        !repo.state().exists(),
        "--check must not create the state dir"
    );
}

#[test]
fn lists_added_modified_and_deleted_files_per_chunk() {
    let repo = Repo::from_fixture("mixed");
    repo.write("discover.toml", "[chunks]\nmax_files = 4\n");
    repo.run(&[]).expect_code(0);
    let before = repo.state_files();

    repo.write("src/lib/api.ts", "export const changed = 1;\n");
    repo.write("py/app/extra.py", "def extra():\n    pass\n");
    repo.remove("py/app/views.py");
    let run = repo.run(&["--check"]);
    run.expect_code(1)
        .expect_stdout_contains("stale chunk src/lib (")
        .expect_stdout_contains("  modified src/lib/api.ts")
        .expect_stdout_contains("stale chunk py/app (")
        .expect_stdout_contains("  added    py/app/extra.py")
        .expect_stdout_contains("  deleted  py/app/views.py")
        .expect_stdout_contains("1 file(s) added, 1 modified, 1 deleted");
    // An untouched chunk is stale only for its links: a file was added and one removed,
    // which may change where its imports lead.
    let untouched = run
        .stdout()
        .lines()
        .find(|l| l.starts_with("stale chunk src/app "))
        .map(str::to_string);
    assert_eq!(
        untouched.as_deref(),
        Some(
            "stale chunk src/app (calls: linked against exports, mounts or a file set that changed since; exports: linked against exports, mounts or a file set that changed since; routes: linked against exports, mounts or a file set that changed since)"
        ),
        "{}",
        run.stdout()
    );
    assert_eq!(before, repo.state_files(), "--check wrote something");
}

#[test]
fn a_new_file_elsewhere_makes_import_resolution_stale() {
    let repo = Repo::empty();
    repo.write("discover.toml", "[chunks]\nmax_files = 1\n");
    repo.write("a/main.ts", "import { x } from '../b/x';\n");
    repo.write("c/other.ts", "export const o = 1;\n");
    repo.run(&[]).expect_code(0);
    repo.write("b/x.ts", "export const x = 1;\n");
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("stale chunk a (calls: linked against exports, mounts or a file set that changed since; exports: linked against exports, mounts or a file set that changed since; imports: files added or removed elsewhere");
    repo.run(&["--incremental"]).expect_code(0);
    let imports = crate::util::read_json(&repo.state().join("imports/a.json"));
    assert_eq!(crate::util::items(&imports)[0]["targets"][0], "b/x.ts");
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn deleted_output_file_and_orphans_are_stale() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    std::fs::remove_file(repo.state().join("symbols/_root.json")).unwrap();
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("symbols: output file missing");
    repo.run(&[]).expect_code(0);
    // An output of ours (its header names its own path) that the manifest does not list is
    // an orphan; a file that is not provably ours is somebody's and is left alone.
    repo.write(
        ".state/symbols/ghost.json",
        "{\n  \"extractor\": \"symbols\",\n  \"version\": 3,\n  \"chunk\": \"ghost\",\n  \"items\": []\n}\n",
    );
    repo.write(".state/symbols/notes.json", "{}\n");
    repo.write(
        ".state/symbols/wrong.json",
        "{\"extractor\": \"symbols\", \"chunk\": \"other\"}\n",
    );
    let run = repo.run(&["--check"]);
    run.expect_code(1)
        .expect_stdout_contains("not in the manifest: symbols/ghost.json");
    assert!(!run.stdout().contains("notes.json"), "{}", run.stdout());
    assert!(!run.stdout().contains("wrong.json"), "{}", run.stdout());
    repo.run(&["--incremental"]).expect_code(0);
    assert!(!repo.state().join("symbols/ghost.json").exists());
    assert!(repo.state().join("symbols/notes.json").is_file());
    assert!(repo.state().join("symbols/wrong.json").is_file());
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn a_manifest_that_says_the_same_in_other_bytes_is_stale() {
    use discover::manifest::{Manifest, manifest_json_bytes};
    let repo = Repo::from_fixture("mixed");
    repo.write("discover.toml", "[chunks]\nmax_files = 1\n");
    repo.run(&[]).expect_code(0);
    let path = repo.state().join("manifest.json");
    let original = std::fs::read(&path).unwrap();
    let manifest: Manifest = serde_json::from_slice(&original).unwrap();
    assert!(manifest.chunks.len() > 1 && manifest.extractors.len() > 1);
    // Each says what a run would write in bytes a run would not write: reformatted, or
    // rendered as discover renders, but with the extractors out of order or one described
    // otherwise. Chunks out of order also move the links digest (taken in manifest order).
    let differs = "manifest.json differs from what a run would write";
    let mut reordered = manifest.clone();
    reordered.chunks.reverse();
    let mut extractors = manifest.clone();
    extractors.extractors.reverse();
    let mut described = manifest.clone();
    described.extractors[0].description = "another description".into();
    for (what, bytes, says) in [
        (
            "reformatted",
            serde_json::to_vec_pretty(&manifest).unwrap(),
            differs,
        ),
        (
            "extractors reordered",
            manifest_json_bytes(&extractors),
            differs,
        ),
        (
            "described otherwise",
            manifest_json_bytes(&described),
            differs,
        ),
        (
            "chunks reordered",
            manifest_json_bytes(&reordered),
            "linked against",
        ),
    ] {
        assert_ne!(bytes, original, "{what}");
        std::fs::write(&path, &bytes).unwrap();
        repo.run(&["--check"])
            .expect_code(1)
            .expect_stdout_contains(says);
        repo.run(&["--incremental"]).expect_code(0);
        assert_eq!(std::fs::read(&path).unwrap(), original, "{what}");
        repo.run(&["--check"]).expect_code(0);
    }
}

#[test]
fn a_file_where_the_manifest_records_an_empty_output_is_stale() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let manifest = repo.manifest();
    // The first output with no items (and so no file).
    let (chunk, extractor) = manifest["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| {
            let empty = c["outputs"]
                .as_array()?
                .iter()
                .find(|o| o.get("bytes").is_none())?;
            Some((
                c["name"].as_str()?.to_string(),
                empty["extractor"].as_str()?.to_string(),
            ))
        })
        .expect("an empty output");
    let rel = format!(".state/{extractor}/{chunk}.json");
    assert!(!repo.path().join(&rel).exists());
    repo.write(
        &rel,
        format!(
            "{{\"extractor\":\"{extractor}\",\"version\":1,\"chunk\":\"{chunk}\",\"files\":{{}}}}\n"
        ),
    );
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains(&format!(
            "{extractor}: output file differs from the manifest"
        ));
    repo.run(&["--incremental"]).expect_code(0);
    assert!(!repo.path().join(&rel).exists());
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn outputs_behind_a_symbolic_link_are_looked_up() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    // The symbols outputs kept elsewhere, linked in: the listing does not enter the link,
    // so the outputs behind it are looked up one by one, and found.
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("symbols");
    std::fs::rename(repo.state().join("symbols"), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, repo.state().join("symbols")).unwrap();
    repo.run(&["--check"]).expect_code(0);
    repo.run(&["--incremental"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
    std::fs::remove_file(moved.join("_root.json")).unwrap();
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("symbols: output file missing");
}

#[test]
fn newly_skipped_file_makes_the_manifest_stale() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    repo.write("src/blob.js", b"\x00\x01binary".as_slice());
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("the set of skipped files changed");
}

#[test]
fn the_hash_cache_never_hides_an_edit() {
    let repo = Repo::from_fixture("mixed");
    // Files modified in the last seconds are never cached; age the copy.
    age_every_file(repo.path());
    repo.run(&[]).expect_code(0);
    let cache_dir = repo.cache.path().join("discover");
    assert_eq!(
        std::fs::read_dir(&cache_dir).unwrap().count(),
        1,
        "one cache file per root"
    );
    repo.run(&["--check"]).expect_code(0);

    // Same size, and the mtime set back to what it was: only ctime tells.
    edit_in_place(&repo.path().join("src/lib/api.ts"), 0);
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("  modified src/lib/api.ts");
    repo.run(&["--check", "--no-cache"])
        .expect_code(1)
        .expect_stdout_contains("  modified src/lib/api.ts");
}

#[test]
fn the_output_cache_never_hides_an_edited_output() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let written = repo.state_files();
    // Files written in the last seconds are never cached; age sources and outputs, and let
    // a second run learn their hashes.
    age_every_file(repo.path());
    repo.run(&[]).expect_code(0);
    let cache_dir = repo.cache.path().join("discover");
    assert_eq!(
        std::fs::read_dir(&cache_dir).unwrap().count(),
        2,
        "a cache of the sources and one of the outputs"
    );

    // An output edited in place, same size, its mtime set back: only ctime tells.
    let (rel, _) = written
        .iter()
        .find(|(rel, _)| rel.starts_with("symbols/"))
        .expect("a symbols output");
    let path = repo.state().join(rel);
    let bytes = std::fs::read(&path).unwrap();
    edit_in_place(&path, bytes.iter().position(|&b| b == b'"').unwrap() + 1);
    repo.run(&[]).expect_code(0);
    assert_same_state(&repo.state_files(), &written);
}

#[test]
fn no_cache_leaves_the_cache_alone() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&["--no-cache"]).expect_code(0);
    repo.run(&["--check", "--no-cache"]).expect_code(0);
    assert!(!repo.cache.path().join("discover").exists());
}

#[test]
fn an_edited_output_is_stale_and_never_reused() {
    let repo = Repo::from_fixture("mixed");
    repo.write("discover.toml", "[chunks]\nmax_files = 4\n");
    repo.run(&[]).expect_code(0);
    let good = repo.state_files();
    let path = repo.state().join("symbols/src/lib.json");
    let edited = String::from_utf8(good["symbols/src/lib.json"].clone())
        .unwrap()
        .replace("\"#ENDPOINT\"", "\"#ENDPOINT_EDITED_BY_HAND\"");
    std::fs::write(&path, edited).unwrap();
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains(
            "stale chunk src/lib (symbols: output file differs from the manifest)",
        );
    // A source edit in the same chunk must not resurrect the hand-edited items.
    repo.write("src/lib/esm.mjs", "export const url = 2;\n");
    repo.run(&["--incremental"]).expect_code(0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("ENDPOINT_EDITED_BY_HAND"), "{text}");
    crate::util::assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

/// Sets every file under `dir` an hour back: files modified in the last seconds are never
/// cached.
fn age_every_file(dir: &std::path::Path) {
    let aged = std::process::Command::new("find")
        .arg(dir)
        .args([
            "-type",
            "f",
            "-exec",
            "touch",
            "-m",
            "-d",
            "1 hour ago",
            "{}",
            "+",
        ])
        .status()
        .unwrap();
    assert!(aged.success());
}

/// Changes the byte at `at` of `path`, keeping its size, and sets its mtime back to what
/// it was: only ctime tells.
fn edit_in_place(path: &std::path::Path, at: usize) {
    let meta = std::fs::metadata(path).unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
    std::fs::write(path, &bytes).unwrap();
    let stamp = format!(
        "@{}",
        meta.modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    );
    let touched = std::process::Command::new("touch")
        .args(["-m", "-d", &stamp])
        .arg(path)
        .status()
        .unwrap();
    assert!(touched.success());
    assert_eq!(std::fs::metadata(path).unwrap().len(), meta.len());
}

#[test]
fn check_json_reports_staleness_as_data() {
    let repo = Repo::from_fixture("mixed");
    repo.write("discover.toml", "[chunks]\nmax_files = 4\n");
    repo.run(&[]).expect_code(0);
    let run = repo.run(&["--check", "--json"]);
    run.expect_code(0);
    let fresh: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON");
    assert_eq!(fresh["fresh"], true);
    assert_eq!(fresh["exit_code"], 0);
    assert!(fresh["stale_chunks"].as_array().unwrap().is_empty());

    repo.write("src/lib/api.ts", "export const changed = 1;\n");
    repo.remove("py/app/views.py");
    let run = repo.run(&["--check", "--json"]);
    run.expect_code(1);
    let stale: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON");
    assert_eq!(stale["fresh"], false);
    assert_eq!(stale["exit_code"], 1);
    assert_eq!(stale["modified"], serde_json::json!(["src/lib/api.ts"]));
    assert_eq!(stale["deleted"], serde_json::json!(["py/app/views.py"]));
    assert_eq!(stale["refresh"], "discover --incremental");
    let lib = stale["stale_chunks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chunk"] == "src/lib")
        .expect("src/lib is stale");
    assert_eq!(
        lib["files"],
        serde_json::json!([{"how": "modified", "path": "src/lib/api.ts"}])
    );
    assert!(
        lib["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["extractor"] == "symbols" && r["reason"] == "sources changed"),
        "{lib}"
    );
}

#[test]
fn hints_name_the_root_and_state_dir_they_mean() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    repo.write("src/lib/api.ts", "export const changed = 1;\n");
    let outer = repo.path().parent().unwrap();
    let name = repo.path().file_name().unwrap().to_str().unwrap();
    let state = format!("{name}/.state");
    let run = repo.run_in(outer, &[name, "--check", "--state-dir", &state]);
    run.expect_code(1).expect_stdout_contains(&format!(
        "run `discover --incremental {name} --state-dir {name}/.state`"
    ));
}

#[test]
fn an_empty_tree_says_it_found_no_sources() {
    let repo = Repo::empty();
    repo.write("README.md", "nothing to see\n");
    repo.run(&[])
        .expect_code(0)
        .expect_stderr_contains("warning: no source files found in `.`");
    let run = repo.run(&["--json", "-q"]);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON");
    assert!(
        summary["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("no source files found"),
        "{summary}"
    );
    assert!(summary["elapsed_ms"].is_u64(), "{summary}");
}

#[test]
fn the_summary_fits_80_columns() {
    let repo = crate::parallel::wide_tree();
    for args in [&[][..], &["-j", "2"]] {
        let run = repo.run(args);
        run.expect_code(0);
        for line in run.stderr().lines() {
            assert!(
                line.chars().count() <= 80,
                "{} columns: {line}",
                line.chars().count()
            );
        }
    }
}
