//! Query extractors a repository brings in `discover.toml`: items per match, the same bytes
//! in every mode, versioned by their query, listed, selectable, and refused with a clear
//! error when wrong.

use crate::util::{Repo, assert_same_state, read_json};

const ENV_QUERY: &str = r#"; process.env.NAME reads
(member_expression
  object: (member_expression
    object: (identifier) @_process (#eq? @_process "process")
    property: (property_identifier) @_env (#eq? @_env "env"))
  property: (property_identifier) @name) @item
"#;

const FLAGS_QUERY: &str = r#"(call_expression
  function: (identifier) @reader (#any-of? @reader "useFlag" "isEnabled")
  arguments: (arguments . (string (string_fragment) @name))) @item
"#;

const PY_ENV_QUERY: &str = r#"(call
  function: (attribute
    object: (identifier) @_os (#eq? @_os "os")
    attribute: (identifier) @_getenv (#eq? @_getenv "getenv"))
  arguments: (argument_list . (string (string_content) @name))) @item
"#;

const CONFIG: &str = r#"[[extractors]]
name = "env-vars"
description = "process.env reads"
languages = ["typescript", "tsx", "javascript"]
query = "queries/env-vars.scm"

[[extractors]]
name = "feature-flags"
description = "feature flags read through useFlag / isEnabled"
languages = ["typescript", "tsx"]
query = "queries/flags.scm"
"#;

/// A small app reading environment variables and feature flags.
fn app() -> Repo {
    let repo = Repo::empty();
    repo.write("discover.toml", CONFIG);
    repo.write("queries/env-vars.scm", ENV_QUERY);
    repo.write("queries/flags.scm", FLAGS_QUERY);
    repo.write(
        "src/config.ts",
        "export const url = process.env.API_URL ?? \"http://localhost\";\n\
         export function debug() {\n\
         \x20 return process.env.DEBUG === \"1\" || process.env.API_URL;\n\
         }\n",
    );
    repo.write(
        "src/Banner.tsx",
        "import { useFlag } from './flags';\n\
         export function Banner() {\n\
         \x20 const on = useFlag('new-banner');\n\
         \x20 return on ? <b>{process.env.REGION}</b> : null;\n\
         }\n",
    );
    repo.write(
        "src/flags.ts",
        "export function useFlag(name: string) { return isEnabled(\"beta\") && name !== ''; }\n\
         declare function isEnabled(flag: string): boolean;\n",
    );
    repo.write(
        "py/settings.py",
        "import os\nDB = os.getenv(\"DATABASE_URL\")\n",
    );
    repo
}

fn items(repo: &Repo, extractor: &str, chunk: &str) -> serde_json::Value {
    serde_json::Value::Array(crate::util::items(&read_json(
        &repo.state().join(format!("{extractor}/{chunk}.json")),
    )))
}

#[test]
fn env_reads_and_feature_flags_become_items() {
    let repo = app();
    repo.run(&[]).expect_code(0);
    let env = items(&repo, "env-vars", "_root");
    let expected = serde_json::json!([
        {"file": "src/Banner.tsx", "line": 4, "column": 19, "name": "REGION"},
        {"file": "src/config.ts", "line": 1, "column": 20, "name": "API_URL"},
        {"file": "src/config.ts", "line": 3, "column": 10, "name": "DEBUG"},
        {"file": "src/config.ts", "line": 3, "column": 39, "name": "API_URL"},
    ]);
    assert_eq!(env, expected);
    let flags = items(&repo, "feature-flags", "_root");
    let expected = serde_json::json!([
        {"file": "src/Banner.tsx", "line": 3, "column": 14, "name": "new-banner", "reader": "useFlag"},
        {"file": "src/flags.ts", "line": 1, "column": 48, "name": "beta", "reader": "isEnabled"},
    ]);
    assert_eq!(flags, expected);
    // Listed in the manifest with the built-ins, versioned by the query's content.
    let manifest = repo.manifest();
    let listed: Vec<&str> = manifest["extractors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"env-vars") && listed.contains(&"feature-flags"));
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn a_python_query_extractor_runs_on_python() {
    let repo = app();
    repo.write("queries/env-vars.scm", PY_ENV_QUERY);
    repo.write(
        "discover.toml",
        CONFIG.replace(
            "languages = [\"typescript\", \"tsx\", \"javascript\"]",
            "languages = [\"python\"]",
        ),
    );
    repo.run(&["--only", "env-vars"]).expect_code(0);
    assert_eq!(
        items(&repo, "env-vars", "_root"),
        serde_json::json!([
            {"file": "py/settings.py", "line": 2, "column": 6, "name": "DATABASE_URL"}
        ])
    );
    // `--only` left every other extractor alone.
    assert!(!repo.state().join("symbols").exists());
}

#[test]
fn every_mode_writes_the_same_bytes() {
    let repo = app();
    let sequential = repo.state_of_run(&[]);
    for jobs in ["1", "2", "4"] {
        assert_same_state(&sequential, &repo.state_of_run(&["-j", jobs]));
    }
    // Incremental after edits equals a full run.
    repo.run(&[]).expect_code(0);
    repo.write(
        "src/config.ts",
        "export const port = process.env.PORT;\nexport const url = process.env.API_URL;\n",
    );
    repo.run(&["--incremental", "-j", "2"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn editing_the_query_makes_its_outputs_stale() {
    let repo = app();
    repo.run(&[]).expect_code(0);
    repo.write(
        "queries/flags.scm",
        FLAGS_QUERY.replace("\"useFlag\" \"isEnabled\"", "\"useFlag\""),
    );
    let run = repo.run(&["--check"]);
    run.expect_code(1)
        .expect_stdout_contains("feature-flags: extractor version changed");
    assert!(!run.stdout().contains("symbols:"), "{}", run.stdout());
    repo.run(&["--incremental"]).expect_code(0);
    assert_eq!(
        items(&repo, "feature-flags", "_root")
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn an_extractor_taken_out_of_the_config_is_removed() {
    let repo = app();
    repo.run(&[]).expect_code(0);
    assert!(repo.state().join("feature-flags/_root.json").is_file());
    repo.write(
        "discover.toml",
        &CONFIG[..CONFIG
            .find("\n[[extractors]]\nname = \"feature-flags\"")
            .unwrap()],
    );
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("`feature-flags`, which is no longer registered");
    repo.run(&["--incremental"]).expect_code(0);
    assert!(!repo.state().join("feature-flags").exists());
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn list_extractors_includes_the_repositorys_own() {
    let repo = app();
    let run = repo.run(&["--list-extractors"]);
    run.expect_code(0)
        .expect_stdout_contains("env-vars       query  process.env reads (queries/env-vars.scm)")
        .expect_stdout_contains("feature-flags  query  feature flags read through useFlag");
}

#[test]
fn mistakes_are_usage_errors_that_write_nothing() {
    let cases: [(&str, &str, &str); 7] = [
        (
            "name = \"symbols\"\nlanguages = [\"python\"]\nquery = \"q.scm\"",
            "(identifier) @name",
            "`symbols` is a built-in extractor",
        ),
        (
            "name = \"env\"\nlanguages = [\"rust\"]\nquery = \"q.scm\"",
            "(identifier) @name",
            "unknown language `rust`",
        ),
        (
            "name = \"Env Vars\"\nlanguages = [\"python\"]\nquery = \"q.scm\"",
            "(identifier) @name",
            "a name is lowercase letters",
        ),
        (
            "name = \"env\"\nlanguages = [\"python\"]\nquery = \"missing.scm\"",
            "",
            "cannot read its query `missing.scm`",
        ),
        (
            "name = \"env\"\nlanguages = [\"python\"]\nquery = \"q.scm\"",
            "(identifier) @name\n(call function: (nope)) @item",
            "invalid query `q.scm` for python at 2:",
        ),
        (
            "name = \"env\"\nlanguages = [\"python\"]\nquery = \"q.scm\"",
            "(identifier) @item",
            "captures no `@name`",
        ),
        (
            "name = \"env\"\nlanguages = [\"python\"]\nquery = \"q.scm\"",
            "(identifier) @name @line",
            "uses the capture `@line` at 1:",
        ),
    ];
    for (entry, query, message) in cases {
        let repo = Repo::empty();
        repo.write("a.py", "x = 1\n");
        repo.write("discover.toml", format!("[[extractors]]\n{entry}\n"));
        if !query.is_empty() {
            repo.write("q.scm", query);
        }
        repo.run(&[]).expect_code(2).expect_stderr_contains(message);
        repo.run(&["--list-extractors"])
            .expect_code(2)
            .expect_stderr_contains(message);
        assert!(!repo.state().exists(), "{message}: a refused run wrote");
    }
}
