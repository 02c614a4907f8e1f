//! The extractor catalogue against hand-written expectations: each extractor runs alone
//! (`--only`) over `tests/fixtures/catalogue`, and every item it writes, across all chunks,
//! must equal `tests/expected/<extractor>.json`. The expected files are written by hand from
//! reading the fixture sources, not copied from output: a mismatch is either a bug in the
//! extractor or a case the expectation got wrong, and a person decides which. The actual
//! items of a failing run are left in `target/catalogue-actual/<extractor>.json`. The call
//! graph, which has an edge per call in every fixture file, is compared on its own
//! fixtures only, as are the React extractors.
//!
//! An extractor alone scans from the root of each file where its query is shallow; with the
//! call graph in the run, every query runs at the anchors of the call graph's walk instead.
//! `whole_catalogue_in_one_run` holds the second way to the same expectations.

use crate::util::{Repo, read_json};
use std::path::Path;

/// Runs `extractor` over the catalogue tree and compares the items of files under one of
/// `prefixes` (every file when empty) with the expectation.
fn check_extractor(extractor: &str, prefixes: &[&str]) {
    let repo = Repo::from_fixture("catalogue");
    repo.run(&["--only", extractor, "-q"]).expect_code(0);
    compare(&repo, extractor, prefixes);
}

/// Where each extractor's expectation applies: its fixtures, or every file.
const SCOPES: &[(&str, &[&str])] = &[
    ("calls", &["calls/"]),
    ("components", &["react/"]),
    ("hooks", &["react/"]),
    ("mounts", &["routes/"]),
    ("routes", &[]),
    ("schemas", &[]),
    ("tests", &[]),
    ("types", &[]),
];

#[test]
fn whole_catalogue_in_one_run() {
    let repo = Repo::from_fixture("catalogue");
    repo.run(&["-q"]).expect_code(0);
    for (extractor, prefixes) in SCOPES {
        compare(&repo, extractor, prefixes);
    }
}

/// Compares the items `repo`'s state holds for `extractor` with the expectation.
fn compare(repo: &Repo, extractor: &str, prefixes: &[&str]) {
    let dir = repo.state().join(extractor);
    let mut actual: Vec<serde_json::Value> = Vec::new();
    let mut outputs: Vec<_> = crate::util::files_under(&dir)
        .into_keys()
        .map(|rel| dir.join(rel))
        .collect();
    outputs.sort();
    for output in outputs {
        let json = read_json(&output);
        assert_eq!(json["extractor"], extractor, "{}", output.display());
        actual.extend(
            crate::util::items(&json)
                .iter()
                .filter(|item| {
                    let file = item["file"].as_str().unwrap();
                    prefixes.is_empty() || prefixes.iter().any(|p| file.starts_with(p))
                })
                .cloned(),
        );
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected_path = manifest_dir.join(format!("tests/expected/{extractor}.json"));
    let expected = read_json(&expected_path);
    let actual = serde_json::Value::Array(actual);
    if actual != expected {
        let out_dir = manifest_dir.join("target/catalogue-actual");
        std::fs::create_dir_all(&out_dir).unwrap();
        let out = out_dir.join(format!("{extractor}.json"));
        std::fs::write(&out, serde_json::to_string_pretty(&actual).unwrap()).unwrap();
        let (want, got) = (expected.as_array().unwrap(), actual.as_array().unwrap());
        let first = want
            .iter()
            .zip(got)
            .position(|(a, b)| a != b)
            .unwrap_or(want.len().min(got.len()));
        panic!(
            "{extractor}: {} items expected, {} found; first difference at item {first}:\nexpected: {}\nfound:    {}\n(all found items: {}; compare with {})",
            want.len(),
            got.len(),
            want.get(first).map_or("(none)".into(), |v| v.to_string()),
            got.get(first).map_or("(none)".into(), |v| v.to_string()),
            out.display(),
            expected_path.display(),
        );
    }
}

fn scope(extractor: &str) -> &'static [&'static str] {
    SCOPES
        .iter()
        .find(|(name, _)| *name == extractor)
        .map_or(&[], |(_, prefixes)| prefixes)
}

#[test]
fn calls() {
    check_extractor("calls", scope("calls"));
}

#[test]
fn components() {
    check_extractor("components", scope("components"));
}

#[test]
fn hooks() {
    check_extractor("hooks", scope("hooks"));
}

#[test]
fn mounts() {
    check_extractor("mounts", scope("mounts"));
}

#[test]
fn routes() {
    check_extractor("routes", scope("routes"));
}

#[test]
fn schemas() {
    check_extractor("schemas", scope("schemas"));
}

#[test]
fn tests() {
    check_extractor("tests", scope("tests"));
}

#[test]
fn types() {
    check_extractor("types", scope("types"));
}
