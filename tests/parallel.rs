//! `--parallel` and `-j N` write the bytes the sequential run writes, for any N.

use crate::util::{Repo, assert_same_state};

/// A tree with enough chunks and bytes to spread over several tasks and workers.
pub fn wide_tree() -> Repo {
    let repo = Repo::empty();
    repo.write("discover.toml", "[chunks]\nmax_files = 5\n");
    for d in 0..6 {
        for f in 0..7 {
            let body = format!(
                "import {{ f{f} }} from '../d{}/m{f}';\nexport function g{d}_{f}() {{ return f{f}(); }}\nexport class C{d}{f} {{ m(): void {{}} }}\n{}",
                (d + 1) % 6,
                "// filler to give the file some weight\n".repeat(40 * (f + 1))
            );
            repo.write(&format!("d{d}/m{f}.ts"), body);
            repo.write(
                &format!("py{d}/mod{f}.py"),
                format!(
                    "from . import mod{}\n\ndef h{f}():\n    pass\n",
                    (f + 1) % 7
                ),
            );
        }
        repo.write(&format!("py{d}/__init__.py"), "");
    }
    repo
}

#[test]
fn any_worker_count_gives_the_sequential_bytes() {
    // The catalogue holds an item of every built-in extractor with every optional field
    // both set and unset: each must cross the worker pipe intact.
    for repo in [
        wide_tree(),
        Repo::from_fixture("mixed"),
        Repo::from_fixture("catalogue"),
    ] {
        let sequential = repo.state_of_run(&[]);
        for args in [
            &["-j", "1"][..],
            &["-j", "2"],
            &["-j", "4"],
            &["--parallel"],
        ] {
            assert_same_state(&sequential, &repo.state_of_run(args));
        }
    }
}

#[test]
fn parallel_incremental_equals_a_full_run() {
    let repo = wide_tree();
    repo.run(&["-j", "2"]).expect_code(0);
    repo.write("d0/m0.ts", "export const changed = 1;\n");
    repo.remove("d3/m3.ts");
    repo.write("d5/extra.ts", "import { x } from '../d3/m3';\n");
    repo.run(&["--incremental", "-j", "3"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn worker_limits_need_workers() {
    let repo = wide_tree();
    repo.run(&["--timeout", "1s"])
        .expect_code(2)
        .expect_stderr_contains("--timeout limits worker processes; add --parallel or -j N");
    repo.run(&["--max-memory", "1GiB"]).expect_code(2);
    repo.run(&["-j", "0"])
        .expect_code(2)
        .expect_stderr_contains("at least 1");
    repo.run(&["-j", "2", "--timeout", "soon"])
        .expect_code(2)
        .expect_stderr_contains("invalid duration `soon` for --timeout");
    assert!(!repo.state().exists());
}

#[test]
fn json_summary_reports_the_run() {
    let repo = wide_tree();
    let run = repo.run(&["-j", "2", "--json"]);
    run.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON summary");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["workers"], 2);
    assert_eq!(summary["files"], 90);
    assert_eq!(summary["chunks_extracted"], summary["chunks"]);
    let extractors = summary["extractors"].as_array().unwrap();
    assert_eq!(extractors.len(), 11);
    assert_eq!(extractors[8]["name"], "symbols");
    assert_eq!(extractors[8]["items"], 6 * 7 * 3 + 6 * 7);
    assert!(summary["worker_peaks"][0].as_u64().unwrap() > 0);
}
