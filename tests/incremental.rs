//! `--incremental` after any edits produces the bytes a full run would.

use crate::util::{Repo, assert_same_state, files_under};
use proptest::prelude::*;

const DIRS: [&str; 4] = ["", "app", "app/ui", "lib"];

/// File contents that import each other, so that adding or removing one file changes how
/// other chunks' imports resolve.
fn contents(variant: u8, ext: &str) -> String {
    match (ext, variant % 6) {
        ("py", 0) => "from . import helpers\nimport lib.core\n\ndef run():\n    pass\n".into(),
        ("py", 1) => "class Model:\n    def save(self):\n        pass\n".into(),
        ("py", 2) => "from ..lib import core as c\nVALUE = 1\n".into(),
        ("py", 4) => "from .f1 import *\nfrom . import f2\n\ndef go():\n    Model()\n    f2.run()\n".into(),
        ("py", 5) => "from .f0 import run as Model\n__all__ = ['Model']\n".into(),
        ("py", _) => "def broken(:\n    pass\n".into(),
        (_, 0) => "import { f } from './f0';\nexport function g() { return f(); }\n".into(),
        (_, 1) => "export * from '../lib/f1';\nexport const x = require('./f2');\n".into(),
        (_, 2) => "export class K { m(): void {} }\nexport interface I { a: string }\n".into(),
        // Calls through barrels and namespaces into other files, which edits elsewhere move.
        (_, 4) => "import { g, K } from './f1';\nimport * as lib from '../lib/f1';\nexport * from './f2';\nexport function h() { g(); lib.x(); return new K(); }\n".into(),
        (_, 5) => "export { g as x, K } from './f0';\nexport * from '../lib/f2';\nexport default function () { return 1; }\n".into(),
        (_, _) => "export const broken = (;\n".into(),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Add {
        dir: usize,
        name: u8,
        ext: bool,
        variant: u8,
    },
    Edit {
        pick: usize,
        variant: u8,
    },
    Delete {
        pick: usize,
    },
    Rename {
        pick: usize,
        dir: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..DIRS.len(), 0u8..6, any::<bool>(), 0u8..6).prop_map(|(dir, name, ext, variant)| {
            Op::Add {
                dir,
                name,
                ext,
                variant,
            }
        }),
        (any::<usize>(), 0u8..6).prop_map(|(pick, variant)| Op::Edit { pick, variant }),
        any::<usize>().prop_map(|pick| Op::Delete { pick }),
        (any::<usize>(), 0..DIRS.len()).prop_map(|(pick, dir)| Op::Rename { pick, dir }),
    ]
}

fn sources(repo: &Repo) -> Vec<String> {
    files_under(repo.path())
        .into_keys()
        .filter(|p| !p.starts_with(".state") && p != "discover.toml")
        .collect()
}

fn path_in(dir: usize, file: &str) -> String {
    if DIRS[dir].is_empty() {
        file.to_string()
    } else {
        format!("{}/{file}", DIRS[dir])
    }
}

fn apply(repo: &Repo, op: &Op) {
    let files = sources(repo);
    match *op {
        Op::Add {
            dir,
            name,
            ext,
            variant,
        } => {
            let ext = if ext { "py" } else { "ts" };
            repo.write(
                &path_in(dir, &format!("f{name}.{ext}")),
                contents(variant, ext),
            );
        }
        Op::Edit { pick, variant } if !files.is_empty() => {
            let path = &files[pick % files.len()];
            let ext = path.rsplit('.').next().unwrap_or("ts");
            repo.write(path, contents(variant, ext));
        }
        Op::Delete { pick } if !files.is_empty() => repo.remove(&files[pick % files.len()]),
        Op::Rename { pick, dir } if !files.is_empty() => {
            let from = &files[pick % files.len()];
            let name = from.rsplit('/').next().unwrap();
            let to = path_in(dir, name);
            let bytes = std::fs::read(repo.path().join(from)).unwrap();
            repo.remove(from);
            repo.write(&to, bytes);
        }
        _ => {}
    }
}

fn seeded() -> Repo {
    let repo = Repo::empty();
    // Small chunks, so edits move files across chunk boundaries.
    repo.write("discover.toml", "[chunks]\nmax_files = 3\n");
    repo.write("app/f0.ts", contents(0, "ts"));
    repo.write("app/ui/f1.ts", contents(1, "ts"));
    repo.write("lib/f1.ts", contents(2, "ts"));
    repo.write("lib/core.py", contents(1, "py"));
    repo.write("app/helpers.py", contents(0, "py"));
    repo.write("app/__init__.py", "");
    repo
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn incremental_after_random_edits_equals_a_full_run(
        ops in proptest::collection::vec(op(), 1..8),
        checkpoints in proptest::collection::vec(any::<bool>(), 8),
    ) {
        let repo = seeded();
        repo.run(&[]).expect_code(0);
        for (i, op) in ops.iter().enumerate() {
            apply(&repo, op);
            // Sometimes several edits accumulate between incremental runs.
            if checkpoints[i] {
                repo.run(&["--incremental"]).expect_code(0);
            }
        }
        repo.run(&["--incremental"]).expect_code(0);
        repo.run(&["--check"]).expect_code(0);

        assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
    }
}

#[test]
fn incremental_reextracts_only_the_stale_chunk_and_parses_only_changed_files() {
    let repo = seeded();
    repo.run(&[]).expect_code(0);
    repo.write("lib/core.py", "def changed():\n    pass\n");
    repo.run(&["--incremental"])
        .expect_code(0)
        .expect_stderr_contains(
            "1 of 1 chunk(s) extracted, in process: 1 file(s) parsed, 1 reused",
        );
    // The same through workers, and in the JSON summary.
    repo.write("lib/core.py", "def changed_again():\n    pass\n");
    let run = repo.run(&["--incremental", "-j", "2", "--json"]);
    run.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(
        (
            summary["files_parsed"].as_u64(),
            summary["files_reused"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let symbols = crate::util::read_json(&repo.state().join("symbols/lib.json"));
    let symbols_items = crate::util::items(&symbols);
    let names: Vec<&str> = symbols_items
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["changed_again", "K", "m", "I"]);
}

#[test]
fn incremental_drops_chunks_whose_sources_are_gone() {
    let repo = seeded();
    repo.run(&[]).expect_code(0);
    assert!(repo.state().join("symbols/lib.json").is_file());
    repo.remove("lib/f1.ts");
    repo.remove("lib/core.py");
    repo.run(&["--incremental"])
        .expect_code(0)
        .expect_stderr_contains("1 removed");
    assert!(!repo.state().join("symbols/lib.json").exists());
    assert!(!repo.state().join("imports/lib.json").exists());
    let manifest = repo.manifest();
    let names: Vec<&str> = manifest["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"lib"), "{names:?}");
}

#[test]
fn leftover_temp_files_are_removed() {
    let repo = seeded();
    repo.run(&[]).expect_code(0);
    repo.write(".state/symbols/.app.json.4242.discover-tmp", "{ half");
    repo.run(&["--incremental"])
        .expect_code(0)
        .expect_stderr_contains("removed 1 temp file(s)");
    assert!(
        !repo
            .state()
            .join("symbols/.app.json.4242.discover-tmp")
            .exists()
    );
}
