//! `--only` and `--only-chunks` restrict the work and leave everything else untouched, with a
//! truthful manifest.

use crate::util::{Repo, read_json};

/// The built-in extractors, in name order.
const BUILT_INS: [&str; 11] = [
    "calls",
    "components",
    "exports",
    "hooks",
    "imports",
    "mounts",
    "routes",
    "schemas",
    "symbols",
    "tests",
    "types",
];

fn two_chunks() -> Repo {
    let repo = Repo::empty();
    repo.write("discover.toml", "[chunks]\nmax_files = 1\n");
    repo.write("a/one.ts", "export function one() {}\nimport './two';\n");
    repo.write("b/two.py", "def two():\n    pass\n");
    repo
}

#[test]
fn only_symbols_writes_only_symbols() {
    let repo = two_chunks();
    repo.run(&["--only", "symbols"]).expect_code(0);
    assert!(repo.state().join("symbols/a.json").is_file());
    assert!(!repo.state().join("imports").exists());
    let manifest = repo.manifest();
    assert_eq!(manifest["extractors"].as_array().unwrap().len(), 1);
    // The check of all extractors says imports were never extracted.
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("imports: not extracted yet");
    repo.run(&["--check", "--only", "symbols"]).expect_code(0);
}

#[test]
fn only_leaves_other_extractors_untouched_and_stale() {
    let repo = two_chunks();
    repo.run(&[]).expect_code(0);
    let imports_before = std::fs::read(repo.state().join("imports/a.json")).unwrap();
    repo.write(
        "a/one.ts",
        "export function renamed() {}\nimport './gone';\n",
    );
    repo.run(&["--only", "symbols"]).expect_code(0);
    assert_eq!(
        imports_before,
        std::fs::read(repo.state().join("imports/a.json")).unwrap()
    );
    let symbols = read_json(&repo.state().join("symbols/a.json"));
    assert_eq!(crate::util::items(&symbols)[0]["name"], "renamed");
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("stale chunk a (calls: sources changed; components: sources changed; exports: sources changed; hooks: sources changed; imports: sources changed; mounts: sources changed; routes: sources changed; schemas: sources changed; tests: sources changed; types: sources changed)");
    repo.run(&["--incremental"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn only_chunks_reextracts_just_those() {
    let repo = two_chunks();
    repo.run(&[]).expect_code(0);
    repo.write("a/one.ts", "export function changedA() {}\n");
    repo.write("b/two.py", "def changed_b():\n    pass\n");
    repo.run(&["--only-chunks", "a"]).expect_code(0);
    let a = read_json(&repo.state().join("symbols/a.json"));
    assert_eq!(crate::util::items(&a)[0]["name"], "changedA");
    let b = read_json(&repo.state().join("symbols/b.json"));
    assert_eq!(
        crate::util::items(&b)[0]["name"],
        "two",
        "chunk b must stay untouched"
    );
    let run = repo.run(&["--check"]);
    run.expect_code(1).expect_stdout_contains("stale chunk b (");
    assert!(!run.stdout().contains("stale chunk a "), "{}", run.stdout());
}

#[test]
fn unknown_names_are_usage_errors() {
    let repo = two_chunks();
    repo.run(&[]).expect_code(0);
    let before = repo.state_files();
    repo.run(&["--only-chunks", "nope"])
        .expect_code(2)
        .expect_stderr_contains("unknown chunk(s) in --only-chunks: nope");
    repo.run(&["--only", "symbols,widgets"])
        .expect_code(2)
        .expect_stderr_contains(
            "unknown extractor `widgets` in --only; known extractors: calls, components, exports, hooks, imports, mounts, routes, schemas, symbols, tests, types",
        );
    assert_eq!(before, repo.state_files());
}

#[test]
fn list_extractors_names_each_with_a_description() {
    let repo = Repo::empty();
    let run = repo.run(&["--list-extractors"]);
    run.expect_code(0);
    let lines: Vec<String> = run.stdout().lines().map(str::to_string).collect();
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, BUILT_INS);
    for line in &lines {
        // name, version, then a description of some words.
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(fields[1].starts_with('v'), "{line}");
        assert!(fields.len() > 5, "{line}");
    }
    assert!(
        lines[8].contains("v6") && lines[8].contains("functions"),
        "{lines:?}"
    );
}

#[test]
fn incremental_after_an_only_run_reextracts_what_only_skipped() {
    let repo = two_chunks();
    repo.write("a/two.ts", "export const two = 2;\n");
    repo.run(&[]).expect_code(0);
    repo.write(
        "a/one.ts",
        "import { two } from './two';\nexport function one() {}\n",
    );
    repo.run(&["--only", "symbols"]).expect_code(0);
    repo.run(&["--incremental"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
    let imports = read_json(&repo.state().join("imports/a.json"));
    assert_eq!(
        crate::util::items(&imports)[0]["targets"][0],
        "a/two.ts",
        "{imports}"
    );
    crate::util::assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn help_names_every_extractor_and_keeps_the_exit_codes_indented() {
    let repo = Repo::empty();
    let run = repo.run(&["--help"]);
    run.expect_code(0);
    let help = run.stdout();
    for name in BUILT_INS {
        assert!(help.contains(name), "--help does not name {name}");
    }
    assert!(help.contains("Examples:"), "{help}");
    // Continuation lines of an exit code keep the column of its text.
    assert!(
        help.contains(
            "  1    --check: .state/ is stale; otherwise some files failed and were\n       skipped"
        ),
        "{help}"
    );
}

#[test]
fn a_run_from_a_subdirectory_finds_its_root() {
    // By discover.toml, by an existing state, by the git top level.
    for marker in ["discover.toml", ".state/manifest.json", ".git/HEAD"] {
        let repo = Repo::empty();
        repo.write("src/form/Field.ts", "export function field() {}\n");
        repo.write("lib/util.ts", "export const util = 1;\n");
        if marker == ".state/manifest.json" {
            repo.run(&[]).expect_code(0);
        } else {
            repo.write(marker, "");
        }
        let sub = repo.path().join("src/form");
        let run = repo.run_in(&sub, &[]);
        run.expect_code(0)
            .expect_stderr_contains("the root is `../..`");
        assert!(
            !sub.join(".state").exists(),
            "{marker}: a state in the subdirectory"
        );
        let symbols = read_json(&repo.state().join("symbols/_root.json"));
        assert_eq!(crate::util::items(&symbols).len(), 2, "{marker}");
        repo.run_in(&sub, &["--check"]).expect_code(0);
        // A stale state's hint names the root it means.
        repo.write("lib/util.ts", "export const util = 2;\n");
        repo.run_in(&sub, &["--check"])
            .expect_code(1)
            .expect_stdout_contains("run `discover --incremental ../..`");
    }
    // With no marker anywhere, the working directory is the root.
    let repo = Repo::empty();
    repo.write("a/x.ts", "export const x = 1;\n");
    repo.run_in(&repo.path().join("a"), &[]).expect_code(0);
    assert!(repo.path().join("a/.state/manifest.json").is_file());
}
