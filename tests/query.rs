//! `discover query`: answers read from the state, checked against expectations written by
//! hand from the fixtures' sources.

use crate::util::Repo;
use serde_json::Value;

/// The JSON answers of `discover query ARGS --json`, with its exit code.
fn ask(repo: &Repo, args: &[&str]) -> (i32, Vec<Value>) {
    let mut argv = vec!["query"];
    argv.extend_from_slice(args);
    argv.push("--json");
    let run = repo.run(&argv);
    let answers: Vec<Value> = serde_json::from_str(&run.stdout())
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout(), run.stderr()));
    (run.code(), answers)
}

/// `field` of each answer, as text.
fn column(answers: &[Value], field: &str) -> Vec<String> {
    answers
        .iter()
        .map(|a| match &a[field] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[test]
fn symbol_callers_and_callees_follow_the_links() {
    let repo = Repo::from_fixture("links");
    repo.run(&["-q"]).expect_code(0);

    let (code, found) = ask(&repo, &["symbol", "formatPrice"]);
    assert_eq!(code, 0);
    assert_eq!(column(&found, "id"), ["src/lib/format.ts#formatPrice"]);
    assert_eq!(
        (found[0]["file"].as_str(), found[0]["line"].as_u64()),
        (Some("src/lib/format.ts"), Some(1))
    );
    // No exact name: names that start with it, any case.
    let (_, found) = ask(&repo, &["symbol", "FROM"]);
    assert_eq!(
        column(&found, "id"),
        ["src/lib/a.ts#fromA", "src/lib/b.ts#fromB"]
    );

    // Through the barrel and through the namespace import; called, then passed as a value.
    let (_, found) = ask(&repo, &["callers", "formatPrice"]);
    assert_eq!(
        column(&found, "callee"),
        [
            "formatPrice",
            "lib.formatPrice",
            "formatPrice",
            "lib.formatPrice"
        ]
    );
    assert_eq!(column(&found, "caller"), ["src/app/main.ts#run"; 4]);
    assert_eq!(column(&found, "line"), ["7", "13", "18", "19"]);
    assert_eq!(
        column(&found, "kind"),
        ["call", "call", "reference", "reference"]
    );
    // By id, and transitively: `make` is called by `go` (through an alias), nothing calls `go`.
    let (_, found) = ask(&repo, &["callers", "py/pkg/models.py#make", "--depth", "3"]);
    assert_eq!(column(&found, "caller"), ["py/main.py#go", "py/main.py#go"]);
    assert_eq!(column(&found, "callee"), ["pkg.models.make", "build"]);

    let (_, found) = ask(&repo, &["callees", "src/cjs/main.js#main"]);
    assert_eq!(
        column(&found, "target"),
        [
            "src/cjs/util.js#a",
            "src/cjs/util.js#a",
            "src/cjs/util.js#run",
            "src/cjs/util.js#run",
            "src/cjs/single.js#run"
        ]
    );
}

#[test]
fn exports_and_importers_of_a_directory() {
    let repo = Repo::from_fixture("links");
    repo.run(&["-q"]).expect_code(0);
    let (_, found) = ask(&repo, &["exports", "src/lib/index.ts"]);
    assert_eq!(
        column(&found, "name"),
        [
            "assist",
            "formatPrice",
            "extra",
            "fmt",
            "formatting",
            "fromA",
            "fromB"
        ]
    );
    let (_, found) = ask(&repo, &["exports", "./py/pkg/"]);
    let names = column(&found, "name");
    assert!(
        names.contains(&"slug".to_string()) && names.contains(&"User".to_string()),
        "{names:?}"
    );

    // `main.ts` imports `format.ts` directly once, and twice through the barrel.
    let (_, found) = ask(&repo, &["importers", "src/lib/format.ts"]);
    assert_eq!(
        column(&found, "file"),
        [
            "src/app/main.ts",
            "src/lib/index.ts",
            "src/lib/index.ts",
            "src/lib/index.ts"
        ]
    );
    let (_, found) = ask(&repo, &["importers", "src/lib/format.ts", "--transitive"]);
    let through: Vec<String> = found
        .iter()
        .filter(|a| a["file"] == "src/app/main.ts")
        .map(|a| a["through"].to_string())
        .collect();
    assert_eq!(
        through,
        ["\"src/lib/index.ts\"", "\"src/lib/index.ts\"", "null"]
    );
}

#[test]
fn uses_routes_and_tests_for() {
    let repo = Repo::from_fixture("mixed");
    repo.run(&["-q"]).expect_code(0);
    let (_, found) = ask(&repo, &["uses", "useSettings"]);
    assert_eq!(
        column(&found, "id"),
        ["src/app/App.tsx#App", "src/app/hooks.ts#useTheme"]
    );
    let (code, found) = ask(&repo, &["callers", "slugify"]);
    assert_eq!(code, 0);
    assert_eq!(
        column(&found, "caller"),
        ["py/app/views.py#Renderer.render"]
    );

    let repo = Repo::empty();
    repo.write(
        "src/math/sum.ts",
        "export function sum(a: number, b: number) { return a + b; }\n",
    );
    repo.write("src/math/index.ts", "export * from './sum';\n");
    repo.write(
        "test/sum.test.ts",
        "import { sum } from '../src/math';\ndescribe('sum', () => {\n  it('adds', () => { expect(sum(1, 2)).toBe(3); });\n});\n",
    );
    repo.write("test/other.test.ts", "it('is alone', () => {});\n");
    repo.write(
        "api/server.js",
        "const express = require('express');\nconst app = express();\napp.get('/health', health);\nfunction health(req, res) {}\n",
    );
    repo.run(&["-q"]).expect_code(0);
    // Through the barrel, and by the definition's name.
    for target in ["src/math/sum.ts", "sum"] {
        let (code, found) = ask(&repo, &["tests-for", target]);
        assert_eq!(code, 0, "{target}");
        assert_eq!(column(&found, "name"), ["sum", "sum > adds"], "{target}");
    }
    let (_, found) = ask(&repo, &["routes", "HEALTH"]);
    assert_eq!(column(&found, "url"), ["/health"]);
    assert_eq!(column(&found, "handlers"), ["[\"api/server.js#health\"]"]);
}

#[test]
fn exit_codes_and_the_stale_warning() {
    let repo = Repo::from_fixture("links");
    // No inventory yet.
    repo.run(&["query", "symbol", "x"])
        .expect_code(2)
        .expect_stderr_contains("run `discover` first");
    repo.run(&["-q"]).expect_code(0);
    let (code, found) = ask(&repo, &["symbol", "noSuchThing"]);
    assert_eq!((code, found.len()), (1, 0));
    repo.run(&["query", "exports", "no/such/dir"])
        .expect_code(2)
        .expect_stderr_contains("`no/such/dir` is no file or directory");
    repo.run(&["query", "frobnicate"]).expect_code(2);
    // Answers come from the state as it is, with a warning naming the refresh.
    repo.write("src/app/cart.ts", "export class Basket {}\n");
    let run = repo.run(&["query", "symbol", "Cart"]);
    run.expect_code(0)
        .expect_stdout_contains("src/app/cart.ts:1")
        .expect_stderr_contains("is stale")
        .expect_stderr_contains("discover --incremental");
    // From a subdirectory, the root is found upwards.
    let run = repo.run_in(
        &repo.path().join("src/lib"),
        &["query", "symbol", "extra", "--no-check"],
    );
    run.expect_code(0)
        .expect_stdout_contains("src/lib/extra.ts:1");
}

/// The query index's table files, under the test's own per-machine cache.
fn index_files(repo: &Repo) -> Vec<std::path::PathBuf> {
    crate::util::files_under(&repo.cache.path().join("discover/index"))
        .into_keys()
        .map(|rel| repo.cache.path().join("discover/index").join(rel))
        .collect()
}

#[test]
fn the_index_follows_the_state_and_survives_damage() {
    let repo = Repo::from_fixture("links");
    repo.run(&["-q"]).expect_code(0);
    let (code, _) = ask(&repo, &["symbol", "Basket", "--no-check"]);
    assert_eq!(code, 1);
    let built = index_files(&repo);
    assert!(
        built.iter().any(|p| p.ends_with("defs.bin")),
        "the first question stores the index in the cache: {built:?}"
    );
    // Nothing of the index goes into the state.
    assert!(
        repo.state_files().keys().all(|k| !k.ends_with(".bin")),
        "{:?}",
        repo.state_files().keys()
    );

    // A state written again is indexed again: the answer is the new state's.
    repo.write("src/app/cart.ts", "export class Basket {}\n");
    repo.run(&["-q", "--incremental"]).expect_code(0);
    let (code, found) = ask(&repo, &["symbol", "Basket"]);
    assert_eq!(code, 0);
    assert_eq!(column(&found, "id"), ["src/app/cart.ts#Basket"]);

    // A damaged table is an error that names it, and the next question rebuilds the index.
    for path in index_files(&repo) {
        if path.ends_with("defs.bin") {
            std::fs::write(&path, b"DQX1\xff\xff\xff\xff").unwrap();
        }
    }
    repo.run(&["query", "symbol", "Basket", "--no-check"])
        .expect_code(2)
        .expect_stderr_contains("query index")
        .expect_stderr_contains("damaged")
        .expect_stderr_contains("defs.bin");
    let (code, found) = ask(&repo, &["symbol", "Basket", "--no-check"]);
    assert_eq!(code, 0);
    assert_eq!(column(&found, "id"), ["src/app/cart.ts#Basket"]);

    // Without a usable cache the index is built in memory, with the same answers.
    let run = repo
        .command()
        .args(["query", "symbol", "Basket", "--json", "--no-check"])
        .current_dir(repo.path())
        .env("XDG_CACHE_HOME", repo.path().join("src/app/cart.ts"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&run.stdout).contains("src/app/cart.ts#Basket"));
}
