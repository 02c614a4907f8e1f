//! Bad inputs get a clear error naming the file or value, and never lose or corrupt state.

use crate::util::Repo;

#[test]
fn binary_non_utf8_large_and_dangling_files_are_skipped_with_reasons() {
    let repo = Repo::from_fixture("mixed");
    repo.write("src/blob.ts", b"export const x = 1;\x00\x00".as_slice());
    repo.write("src/latin1.py", b"name = '\xe9t\xe9'\n".as_slice());
    repo.write("src/huge.js", format!("var x = '{}';\n", "x".repeat(4096)));
    std::os::unix::fs::symlink("does-not-exist.ts", repo.path().join("src/dangling.ts")).unwrap();
    let run = repo.run(&["--max-file-size", "2KiB"]);
    run.expect_code(0)
        .expect_stderr_contains("src/blob.ts (binary")
        .expect_stderr_contains("src/latin1.py (not UTF-8: invalid UTF-8 at byte 8)")
        .expect_stderr_contains("src/huge.js (too large: 4.0 KiB > 2.0 KiB)")
        .expect_stderr_contains("src/dangling.ts (unreadable");
    let skipped = repo.manifest()["skipped"].clone();
    assert_eq!(
        skipped,
        serde_json::json!([
            {"path": "src/blob.ts", "reason": "binary"},
            {"path": "src/dangling.ts", "reason": "unreadable"},
            {"path": "src/huge.js", "reason": "too-large"},
            {"path": "src/latin1.py", "reason": "not-utf8"},
        ])
    );
    // The rest of the tree is still inventoried.
    assert!(
        repo.manifest()["chunks"][0]["files"]
            .as_array()
            .unwrap()
            .len()
            >= 15
    );
    repo.run(&["--check", "--max-file-size", "2KiB"])
        .expect_code(0);
}

#[test]
fn symlink_loops_are_reported_not_fatal() {
    let repo = Repo::from_fixture("mixed");
    std::os::unix::fs::symlink("..", repo.path().join("src/loop")).unwrap();
    repo.run(&[])
        .expect_code(0)
        .expect_stderr_contains("(symlink loop");
    assert!(repo.state().join("symbols/_root.json").is_file());
}

#[test]
fn syntax_errors_are_counted_and_what_parses_is_kept() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[])
        .expect_code(0)
        .expect_stderr_contains("syntax errors: 3 in 1 file(s)");
    let manifest = repo.manifest();
    let broken = manifest["chunks"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "src/broken.ts")
        .cloned()
        .unwrap();
    assert_eq!(broken["syntax_errors"], 3);
    let symbols = crate::util::read_json(&repo.state().join("symbols/_root.json"));
    let symbols_items = crate::util::items(&symbols);
    let names: Vec<&str> = symbols_items
        .iter()
        .filter(|s| s["file"] == "src/broken.ts")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fine", "broken", "StillFound"]);
}

#[test]
fn corrupt_truncated_or_foreign_manifests_mean_a_full_rebuild() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let good = repo.state_files();
    let manifest = String::from_utf8(good["manifest.json"].clone()).unwrap();
    let cases = [
        (
            "truncated",
            manifest[..manifest.len() / 2].to_string(),
            "is not a valid manifest",
        ),
        (
            "garbage",
            "not json at all".to_string(),
            "is not a valid manifest",
        ),
        (
            "foreign",
            manifest.replacen(
                &format!("\"format\":{}", discover::manifest::FORMAT_VERSION),
                "\"format\":99",
                1,
            ),
            "has format version 99",
        ),
        (
            "wrong shape",
            manifest.replacen("\"chunks\"", "\"chunkz\"", 1),
            "is not a valid manifest",
        ),
    ];
    for (what, bytes, message) in cases {
        repo.write(".state/manifest.json", &bytes);
        repo.run(&["--check"])
            .expect_code(1)
            .expect_stdout_contains(message);
        repo.run(&[])
            .expect_code(0)
            .expect_stderr_contains(message)
            .expect_stderr_contains("treating every chunk as stale");
        assert_eq!(
            good,
            repo.state_files(),
            "rebuild after a {what} manifest differs"
        );
    }
}

#[test]
fn usage_errors_exit_2_and_name_the_culprit() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&["does/not/exist"])
        .expect_code(2)
        .expect_stderr_contains("cannot inventory `does/not/exist`");
    repo.run(&["tsconfig.json"])
        .expect_code(2)
        .expect_stderr_contains("cannot inventory `tsconfig.json`: not a directory");
    repo.run(&["--max-file-size", "lots"])
        .expect_code(2)
        .expect_stderr_contains("invalid size `lots` for --max-file-size");
    repo.run(&["--check", "--incremental"]).expect_code(2);
    repo.write("discover.toml", "[chunks]\nmax_filez = 3\n");
    repo.run(&[])
        .expect_code(2)
        .expect_stderr_contains("invalid `discover.toml`")
        .expect_stderr_contains("max_filez");
    repo.write("discover.toml", "exclude = [\"a/[\"]\n");
    repo.run(&[])
        .expect_code(2)
        .expect_stderr_contains("invalid glob `a/[` in `exclude` of `discover.toml`");
    assert!(!repo.state().exists(), "failed runs must write nothing");
}

#[test]
fn refuses_a_state_dir_it_does_not_own() {
    let repo = Repo::from_fixture("mixed");
    repo.write("data/keep.json", "{\"precious\": true}\n");
    repo.run(&["--state-dir", "data"])
        .expect_code(2)
        .expect_stderr_contains("refusing to use `data` as the state directory");
    assert!(repo.path().join("data/keep.json").is_file());
}

#[test]
fn a_bare_ampersand_in_jsx_text_loses_nothing() {
    // tree-sitter's JSX grammars stop at a bare `&` in text; discover re-parses with it
    // replaced so that the file parses cleanly, while a real error nearby is still counted.
    let repo = Repo::empty();
    let terms =
        std::fs::read(crate::util::fixture_dir("catalogue").join("react/Terms.tsx")).unwrap();
    repo.write("src/Terms.tsx", &terms);
    repo.write(
        "src/Legacy.jsx",
        "export function Legacy() {\n  return <p>Tom & Jerry, R&D &mdash; &</p>;\n}\n",
    );
    repo.write(
        "src/Broken.jsx",
        "export function Broken(a) {\n  return <p>Q & A</p> & (a +;\n}\nexport const After = () => <i>x</i>;\n",
    );
    repo.run(&[]).expect_code(0);
    let manifest = repo.manifest();
    let errors: Vec<(String, u64)> = manifest["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["files"].as_array().unwrap())
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["syntax_errors"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let count = |path: &str| errors.iter().find(|(p, _)| p == path).unwrap().1;
    assert_eq!(count("src/Terms.tsx"), 0, "{errors:?}");
    assert_eq!(count("src/Legacy.jsx"), 0, "{errors:?}");
    assert!(count("src/Broken.jsx") > 0, "{errors:?}");
    let components = crate::util::read_json(&repo.state().join("components/_root.json"));
    let components_items = crate::util::items(&components);
    let names: Vec<&str> = components_items
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Broken", "After", "Legacy", "Terms", "Footer"]);
    // The call graph of the re-parsed file is whole: the hook call and the render inside
    // the once-broken JSX are edges of `Terms`.
    let calls = crate::util::read_json(&repo.state().join("calls/_root.json"));
    let calls_items = crate::util::items(&calls);
    let terms = calls_items
        .iter()
        .find(|n| n["id"] == "src/Terms.tsx#Terms")
        .expect("Terms is a node");
    let edges: Vec<(&str, u64)> = terms["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (crate::util::callee(e), e["at"][0].as_u64().unwrap()))
        .collect();
    assert_eq!(edges, [("useState", 6), ("setOpen", 11), ("Footer", 12)]);
}
