//! Identical inputs give identical bytes: reruns, other creation orders, other working
//! directories; and the snapshot of the mixed-language fixture, reviewed by hand.

use crate::util::{Repo, assert_same_state, copy_tree, fixture_dir};
use std::fmt::Write;

#[test]
fn mixed_fixture_snapshot() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let mut all = String::new();
    for (path, bytes) in repo.state_files() {
        let text = String::from_utf8(bytes).expect("state is UTF-8");
        let text = text.replace(
            concat!("discover ", env!("CARGO_PKG_VERSION")),
            "discover [version]",
        );
        writeln!(all, "===== {path}\n{text}").unwrap();
    }
    insta::assert_snapshot!("mixed_state", all);
}

#[test]
fn rerun_changes_no_byte_and_rewrites_nothing() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let first = repo.state_files();
    let mtimes = |repo: &Repo| -> Vec<std::time::SystemTime> {
        first
            .keys()
            .map(|p| {
                std::fs::metadata(repo.state().join(p))
                    .unwrap()
                    .modified()
                    .unwrap()
            })
            .collect()
    };
    let before = mtimes(&repo);
    repo.run(&[])
        .expect_code(0)
        .expect_stderr_contains(": 1 extracted, 0 new, 0 rewritten");
    assert_same_state(&first, &repo.state_files());
    assert_eq!(
        before,
        mtimes(&repo),
        "unchanged outputs must not be rewritten"
    );
}

#[test]
fn creation_order_and_working_directory_do_not_matter() {
    let a = Repo::from_fixture("mixed");
    a.run(&[]).expect_code(0);

    // Recreate the tree file by file in reverse order, so directory entry order differs.
    let b = Repo::empty();
    let mut files: Vec<_> = crate::util::files_under(&fixture_dir("mixed"))
        .into_iter()
        .collect();
    files.reverse();
    for (path, bytes) in files {
        b.write(&path, bytes);
    }
    // Run from outside the tree, naming it by an absolute path.
    let outside = tempfile::tempdir().unwrap();
    let root = b.path().to_str().unwrap().to_string();
    b.run_in(outside.path(), &[&root]).expect_code(0);
    assert_same_state(&a.state_files(), &b.state_files());

    // And by a relative path with `..` in it.
    let c = Repo::empty();
    std::fs::create_dir_all(c.path().join("repo")).unwrap();
    std::fs::create_dir_all(c.path().join("elsewhere")).unwrap();
    copy_tree(&fixture_dir("mixed"), &c.path().join("repo"));
    c.run_in(&c.path().join("elsewhere"), &["../repo"])
        .expect_code(0);
    assert_same_state(
        &a.state_files(),
        &crate::util::files_under(&c.path().join("repo/.state")),
    );
}

#[test]
fn state_holds_no_absolute_paths_or_temp_files() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&[]).expect_code(0);
    let root = repo.path().to_string_lossy().into_owned();
    for (path, bytes) in repo.state_files() {
        assert!(!path.contains("discover-tmp"), "temp file left: {path}");
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains(&root), "{path} holds the absolute root path");
        let end = if path == "README.md" { "\n" } else { "}\n" };
        assert!(text.ends_with(end), "{path} lacks the trailing newline");
    }
}

#[test]
fn state_dir_elsewhere_leaves_the_root_clean() {
    let repo = Repo::from_fixture("mixed");
    let out = tempfile::tempdir().unwrap();
    let state = out.path().join("inventory");
    repo.run(&["--state-dir", state.to_str().unwrap()])
        .expect_code(0);
    assert!(
        !repo.state().exists(),
        "nothing may be written under ROOT/.state"
    );
    assert!(state.join("manifest.json").is_file());
    let default = Repo::from_fixture("mixed");
    default.run(&[]).expect_code(0);
    assert_same_state(&default.state_files(), &crate::util::files_under(&state));
}
