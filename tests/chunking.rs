//! The default chunking rule and its configuration in discover.toml.

use crate::util::Repo;

fn chunk_names(repo: &Repo) -> Vec<String> {
    repo.manifest()["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// The chunks of `tree()` once `src/features/*` are split out.
const SPLIT: [&str; 5] = [
    "_root",
    "src",
    "src/features/billing",
    "src/features/orders",
    "tools",
];

fn tree() -> Repo {
    let repo = Repo::empty();
    repo.write("index.ts", "export const a = 1;\n");
    for i in 0..3 {
        repo.write(
            &format!("src/features/billing/b{i}.ts"),
            "export const b = 1;\n",
        );
        repo.write(
            &format!("src/features/orders/o{i}.tsx"),
            "export const o = 1;\n",
        );
    }
    repo.write("src/main.ts", "export const m = 1;\n");
    repo.write("tools/gen.py", "X = 1\n");
    repo
}

#[test]
fn a_small_repository_is_one_chunk() {
    let repo = tree();
    repo.run(&[]).expect_code(0);
    assert_eq!(chunk_names(&repo), ["_root"]);
}

#[test]
fn directories_over_the_budget_split_into_children() {
    let repo = tree();
    repo.write("discover.toml", "[chunks]\nmax_files = 4\n");
    repo.run(&[]).expect_code(0);
    assert_eq!(chunk_names(&repo), SPLIT);
    // A directory's own files form a chunk named after it; nested names map to nested files.
    assert!(repo.state().join("symbols/src.json").is_file());
    assert!(
        repo.state()
            .join("symbols/src/features/billing.json")
            .is_file()
    );
}

#[test]
fn configured_roots_always_get_their_own_chunk() {
    let repo = tree();
    repo.write("discover.toml", "[chunks]\nroots = [\"src/features/*\"]\n");
    repo.run(&[]).expect_code(0);
    assert_eq!(chunk_names(&repo), SPLIT);
}

#[test]
fn include_and_exclude_globs_select_files() {
    let repo = tree();
    repo.write(
        "discover.toml",
        "include = [\"src/**\"]\nexclude = [\"**/orders/**\"]\n",
    );
    repo.run(&[]).expect_code(0);
    let files: Vec<String> = repo.manifest()["chunks"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        files,
        [
            "src/features/billing/b0.ts",
            "src/features/billing/b1.ts",
            "src/features/billing/b2.ts",
            "src/main.ts"
        ]
    );
}

#[test]
fn ignored_and_dependency_directories_are_skipped() {
    let repo = tree();
    repo.write(".gitignore", "generated/\n");
    repo.write("generated/out.ts", "export const g = 1;\n");
    repo.write("node_modules/dep/index.js", "module.exports = 1;\n");
    repo.write("dist/bundle.js", "var x;\n");
    repo.write("env/pyvenv.cfg", "home = /usr\n");
    repo.write("env/lib/site.py", "X = 1\n");
    repo.run(&[]).expect_code(0);
    let manifest = serde_json::to_string(&repo.manifest()).unwrap();
    for gone in ["generated/", "node_modules/", "dist/", "env/lib"] {
        assert!(
            !manifest.contains(gone),
            "{gone} should be skipped: {manifest}"
        );
    }
}

#[test]
fn oversized_chunk_output_is_warned_about() {
    let repo = tree();
    repo.write("discover.toml", "[chunks]\nwarn_size = \"100B\"\n");
    repo.run(&[])
        .expect_code(0)
        .expect_stderr_contains("warning: .state/symbols/_root.json is");
}

#[test]
fn a_chunk_below_a_directory_named_like_another_chunks_output_is_refused() {
    // Chunk `lib` is written to `<extractor>/lib.json`; chunk `lib.json/x` would need that
    // path as a directory. Other chunks sort between the two (`lib-extra`, `lib.json`).
    let repo = Repo::empty();
    repo.write(
        "discover.toml",
        "[chunks]\nroots = [\"lib\", \"lib-extra\", \"lib.json/*\"]\n",
    );
    repo.write("lib/a.ts", "export const a = 1;\n");
    repo.write("lib-extra/e.ts", "export const e = 1;\n");
    repo.write("lib.json/own.ts", "export const o = 1;\n");
    repo.write("lib.json/x/b.ts", "export const b = 1;\n");
    let run = repo.run(&[]);
    assert_ne!(run.code(), 0);
    run.expect_stderr_contains(
        "chunk names `lib` and `lib.json/x` would share the output file `lib.json`",
    );
    assert!(!repo.state().join("manifest.json").exists());
    // Without the clash, the same layout is fine.
    repo.remove("lib.json/x/b.ts");
    repo.run(&[]).expect_code(0);
    assert_eq!(chunk_names(&repo), ["lib", "lib-extra", "lib.json"]);
}
