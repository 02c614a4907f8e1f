//! The link stage: export surfaces and call targets across files, checked against
//! expectations written by hand from `tests/fixtures/links` (barrels, `export *` that
//! conflict and that form a cycle, namespaces, CommonJS, Python packages, `__all__`,
//! submodules, a definition made twice), and kept exact by incremental runs.

use crate::util::{Repo, assert_same_state, files_under, read_json};

/// `(node id, callee, target)` of every edge the state holds for files under `prefix`.
fn edges(repo: &Repo, prefix: &str) -> Vec<(String, String, Option<String>)> {
    let dir = repo.state().join("calls");
    let mut out = Vec::new();
    for rel in files_under(&dir).into_keys() {
        let json = read_json(&dir.join(rel));
        for node in &crate::util::items(&json) {
            if !node["file"].as_str().unwrap().starts_with(prefix) {
                continue;
            }
            for edge in crate::util::list(&node["edges"]) {
                out.push((
                    node["id"].as_str().unwrap().to_string(),
                    crate::util::callee(edge).to_string(),
                    edge["target"].as_str().map(str::to_string),
                ));
            }
        }
    }
    out.sort();
    out
}

/// `(name, kind, id)` of each export item of `file`.
fn exports(repo: &Repo, file: &str) -> Vec<(String, String, Option<String>)> {
    let dir = repo.state().join("exports");
    let mut out = Vec::new();
    for rel in files_under(&dir).into_keys() {
        let json = read_json(&dir.join(rel));
        for item in &crate::util::items(&json) {
            if item["file"] == file {
                out.push((
                    item["name"].as_str().unwrap().to_string(),
                    item["kind"].as_str().unwrap().to_string(),
                    item["id"].as_str().map(str::to_string),
                ));
            }
        }
    }
    out.sort();
    out
}

/// `(name, module)` of each export item of `file` that names a module.
fn export_modules(repo: &Repo, file: &str) -> Vec<(String, String)> {
    let dir = repo.state().join("exports");
    let mut out = Vec::new();
    for rel in files_under(&dir).into_keys() {
        let json = read_json(&dir.join(rel));
        for item in &crate::util::items(&json) {
            if item["file"] == file
                && let Some(module) = item["module"].as_str()
            {
                out.push((
                    item["name"].as_str().unwrap().to_string(),
                    module.to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn owned(rows: &[(&str, &str, Option<&str>)]) -> Vec<(String, String, Option<String>)> {
    let mut out: Vec<_> = rows
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.map(str::to_string)))
        .collect();
    out.sort();
    out
}

#[test]
fn call_edges_reach_definitions_across_files() {
    let repo = Repo::from_fixture("links");
    repo.run(&["-q"]).expect_code(0);
    let run = "src/app/main.ts#run";
    assert_eq!(
        edges(&repo, "src/app/"),
        owned(&[
            (run, "formatPrice", Some("src/lib/format.ts#formatPrice")),
            // `export { helper as assist }`: the definition is `helper`.
            (run, "assist", Some("src/lib/format.ts#helper")),
            (run, "fmt", Some("src/lib/format.ts#default")),
            // A method of an imported value is not a definition the file can name.
            (run, "TAX.toString", None),
            (run, "extra", Some("src/lib/extra.ts#extra")),
            // Through `export * from "./a"`, which stars `./b`, which stars `./a` again.
            (run, "fromB", Some("src/lib/b.ts#fromB")),
            (
                run,
                "lib.formatPrice",
                Some("src/lib/format.ts#formatPrice")
            ),
            (run, "lib.formatting.formatPrice", None),
            (run, "Default", Some("src/lib/format.ts#default")),
            (run, "missing", None),
            (run, "Cart", Some("src/app/cart.ts#Cart")),
            // Passed as values: `reference` edges, linked as calls are.
            (run, "[1, 2].map", None),
            (run, "formatPrice", Some("src/lib/format.ts#formatPrice")),
            (run, "setTimeout", None),
            (
                run,
                "lib.formatPrice",
                Some("src/lib/format.ts#formatPrice")
            ),
        ])
    );
    let main = "src/cjs/main.js#main";
    let module = "src/cjs/main.js#<module>";
    assert_eq!(
        edges(&repo, "src/cjs/"),
        owned(&[
            (module, "require", None),
            (module, "require", None),
            (module, "require", None),
            (main, "util.a", Some("src/cjs/util.js#a")),
            (main, "a", Some("src/cjs/util.js#a")),
            (main, "start", Some("src/cjs/util.js#run")),
            (main, "util.start", Some("src/cjs/util.js#run")),
            // `module.exports = run`: calling the module calls `run`.
            (main, "single", Some("src/cjs/single.js#run")),
        ])
    );
    let go = "py/main.py#go";
    assert_eq!(
        edges(&repo, "py/main.py"),
        owned(&[
            (go, "User", Some("py/pkg/models.py#User")),
            // `from .util import *` in the package: `__all__` lists `slug` only.
            (go, "slug", Some("py/pkg/util.py#slug")),
            (go, "other", None),
            // `import pkg.models` binds `pkg`; `models` is its submodule.
            (go, "pkg.models.make", Some("py/pkg/models.py#make")),
            (go, "build", Some("py/pkg/models.py#make")),
            // `pick` is defined twice, under `if` and `else`.
            (go, "cond.pick", None),
            // Imported by the package after its `__all__`, which does not list it: still
            // an attribute of the package.
            (go, "Context", Some("py/tpl/context.py#Context")),
            (go, "Engine", Some("py/tpl/engine.py#Engine")),
            (go, "sorted", None),
            (go, "slug", Some("py/pkg/util.py#slug")),
            // The package imports `filters` from itself (`from . import filters`): the
            // name is its submodule.
            (go, "filters.upper", Some("py/tpl/filters.py#upper")),
            (go, "tpl.filters.upper", Some("py/tpl/filters.py#upper")),
        ])
    );
    // The same submodule, called in the package itself.
    assert_eq!(
        edges(&repo, "py/tpl/__init__.py"),
        owned(&[(
            "py/tpl/__init__.py#render",
            "filters.upper",
            Some("py/tpl/filters.py#upper")
        )])
    );
}

#[test]
fn exports_list_a_barrels_surface() {
    let repo = Repo::from_fixture("links");
    repo.run(&["--only", "calls,exports", "-q"]).expect_code(0);
    assert_eq!(
        exports(&repo, "src/lib/index.ts"),
        owned(&[
            ("*", "star", None),
            ("*", "star", None),
            ("*", "star", None),
            ("assist", "star", Some("src/lib/format.ts#helper")),
            ("formatPrice", "star", Some("src/lib/format.ts#formatPrice")),
            ("extra", "star", Some("src/lib/extra.ts#extra")),
            // `TAX` comes through two `export *` from two definitions: exported by neither.
            ("fmt", "reexport", Some("src/lib/format.ts#default")),
            ("formatting", "namespace", None),
            ("fromA", "star", Some("src/lib/a.ts#fromA")),
            ("fromB", "star", Some("src/lib/b.ts#fromB")),
        ])
    );
    assert_eq!(
        exports(&repo, "src/lib/format.ts"),
        owned(&[
            (
                "formatPrice",
                "local",
                Some("src/lib/format.ts#formatPrice")
            ),
            ("assist", "local", Some("src/lib/format.ts#helper")),
            ("default", "local", Some("src/lib/format.ts#default")),
            ("TAX", "local", Some("src/lib/format.ts#TAX")),
        ])
    );
    // A CommonJS barrel: a name given another module itself is that module's object.
    assert_eq!(
        exports(&repo, "src/cjs-barrel/index.js"),
        owned(&[
            ("single", "namespace", None),
            ("util", "namespace", None),
            ("lazy", "local", None),
        ])
    );
    assert_eq!(
        export_modules(&repo, "src/cjs-barrel/index.js"),
        [
            ("single".to_string(), "../cjs/single".to_string()),
            ("util".to_string(), "../cjs/util".to_string()),
        ]
    );
    assert_eq!(
        exports(&repo, "src/cjs-barrel/all.js"),
        owned(&[
            ("single", "namespace", None),
            ("helper", "local", Some("src/cjs-barrel/all.js#helper")),
            ("named", "local", Some("src/cjs-barrel/all.js#helper")),
            // A string key is its contents; a computed one names nothing.
            ("quoted", "local", Some("src/cjs-barrel/all.js#helper")),
            ("sum", "local", None),
        ])
    );
    assert_eq!(
        exports(&repo, "py/pkg/__init__.py"),
        owned(&[
            ("User", "reexport", Some("py/pkg/models.py#User")),
            ("*", "star", None),
            ("slug", "star", Some("py/pkg/util.py#slug")),
        ])
    );
    // `other` is public but not in `__all__`: listed (`unlisted: true`), never starred.
    assert_eq!(
        exports(&repo, "py/pkg/util.py"),
        owned(&[
            ("slug", "local", Some("py/pkg/util.py#slug")),
            ("other", "local", Some("py/pkg/util.py#other")),
        ])
    );
    assert_eq!(
        exports(&repo, "py/tpl/__init__.py"),
        owned(&[
            // A submodule, no definition: no id.
            ("filters", "reexport", None),
            ("Engine", "reexport", Some("py/tpl/engine.py#Engine")),
            ("Context", "reexport", Some("py/tpl/context.py#Context")),
            ("render", "local", Some("py/tpl/__init__.py#render")),
        ])
    );
    assert_eq!(
        exports(&repo, "py/pkg/cond.py"),
        owned(&[("pick", "local", None)])
    );
}

#[test]
fn a_rename_behind_a_barrel_relinks_callers_without_parsing_them() {
    let repo = Repo::from_fixture("links");
    repo.run(&["-q"]).expect_code(0);
    repo.write(
        "src/lib/format.ts",
        "export function formatCost(n: number): string {\n  return n.toFixed(2);\n}\n\nfunction helper() {}\nexport { helper as assist };\n\nexport default function () {\n  return 1;\n}\n\nexport const TAX = 0.2;\n",
    );
    // Only the edited chunk is stale until a run sees its new surface; that run relinks
    // the callers.
    let check = repo.run(&["--check"]);
    check
        .expect_code(1)
        .expect_stdout_contains("stale chunk src/lib (calls: sources changed;");
    assert!(
        !check.stdout().contains("stale chunk src/app "),
        "{}",
        check.stdout()
    );
    let run = repo.run(&["--incremental", "--json"]);
    run.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(summary["files_parsed"], 1, "{summary}");
    let run_edges = edges(&repo, "src/app/");
    assert!(
        run_edges.contains(&("src/app/main.ts#run".into(), "formatPrice".into(), None)),
        "{run_edges:?}"
    );
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn edits_that_move_links_give_the_bytes_of_a_full_run() {
    let repo = Repo::from_fixture("links");
    repo.run(&[]).expect_code(0);
    let edits: &[(&str, &str)] = &[
        // A barrel gains an `export *`, which makes `formatPrice` ambiguous.
        (
            "src/lib/index.ts",
            "export * from \"./format\";\nexport * from \"./extra\";\nexport * from \"./dup\";\nexport { default as fmt } from \"./format\";\nexport * as formatting from \"./format\";\nexport * from \"./a\";\n",
        ),
        ("src/lib/dup.ts", "export function formatPrice() {}\n"),
        // A definition moves to another file behind the same barrel.
        ("src/lib/extra.ts", "export const TAX = 1;\n"),
        ("src/lib/moved.ts", "export function extra() {}\n"),
        (
            "src/lib/a.ts",
            "export * from \"./b\";\nexport * from \"./moved\";\n\nexport function fromA() {}\n",
        ),
        // A Python package stops re-exporting a name.
        ("py/pkg/__init__.py", "from .util import *\n"),
    ];
    for (i, (path, text)) in edits.iter().enumerate() {
        repo.write(path, text);
        if i % 2 == 1 {
            repo.run(&["--incremental", "-j", "2"]).expect_code(0);
        }
    }
    repo.run(&["--incremental"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
    let run = "src/app/main.ts#run";
    let found = edges(&repo, "src/app/");
    for expected in [
        (run, "formatPrice", None),
        (run, "extra", Some("src/lib/moved.ts#extra")),
    ] {
        let expected = owned(&[expected]).remove(0);
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
    let go = edges(&repo, "py/main.py");
    assert!(
        go.contains(&("py/main.py#go".into(), "User".into(), None)),
        "{go:?}"
    );
}

/// An edit that leaves every export surface as it was (a line added at the top moves every
/// item) relinks only what was extracted, with a linker over the files those lists reach:
/// barrels, stars, CommonJS, Python packages and submodules, and routes composed across
/// files (the catalogue's Django, FastAPI and Express apps). Each step gives the bytes of a
/// full run.
#[test]
fn an_edit_that_keeps_every_surface_links_against_just_what_it_reaches() {
    for fixture in ["links", "catalogue"] {
        let repo = Repo::from_fixture(fixture);
        repo.run(&["-q"]).expect_code(0);
        let mut sources: Vec<String> = files_under(repo.path())
            .into_keys()
            .filter(|f| {
                !f.starts_with(".state")
                    && [".ts", ".tsx", ".js", ".py"].iter().any(|e| f.ends_with(e))
            })
            .collect();
        sources.sort();
        let mut partial = 0;
        for (i, file) in sources.iter().enumerate() {
            // Every fourth file of the catalogue (all of the small fixture), and every
            // Django URL configuration (its routes compose across files).
            if i % 4 != 0 && sources.len() > 30 && !file.ends_with("urls.py") {
                continue;
            }
            let before = std::fs::read(repo.path().join(file)).unwrap();
            let comment: &[u8] = if file.ends_with(".py") {
                b"# moved\n"
            } else {
                b"// moved\n"
            };
            repo.write(file, [comment, &before].concat());
            let run = repo.run(&["--incremental", "-v"]);
            run.expect_code(0);
            if run.stderr().contains("those the fresh lists reach") {
                partial += 1;
            }
            assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
        }
        eprintln!(
            "{fixture}: {partial} partial links of {} sources",
            sources.len()
        );
        assert!(partial > 5, "{fixture}: {partial} partial links");
    }
}

/// Partial linking trusts the surfaces the manifest records and the chunks' file lists;
/// it is tried only where the run checked them, and never in a full run (where its dry run
/// would link everything twice).
#[test]
fn partial_linking_is_tried_only_where_the_run_checked_what_it_trusts() {
    const PARTIAL: &str = "those the fresh lists reach";
    let repo = Repo::from_fixture("links");
    let full = repo.run(&["-v"]);
    full.expect_code(0);
    assert!(!full.stderr().contains(PARTIAL), "{}", full.stderr());
    let main = std::fs::read_to_string(repo.path().join("src/app/main.ts")).unwrap();
    let edit = |n: usize| {
        repo.write(
            "src/app/main.ts",
            format!("{}{main}", "// moved\n".repeat(n)),
        )
    };
    // Without `exports`, an older exports output may hold files its chunk no longer lists.
    edit(1);
    let only = repo.run(&["--incremental", "--only", "calls", "-v"]);
    only.expect_code(0);
    assert!(!only.stderr().contains(PARTIAL), "{}", only.stderr());
    // A chunk left stale by `--only-chunks` keeps a surface nobody checked.
    repo.write(
        "src/lib/extra.ts",
        "export function extra() {}\n// edited\n",
    );
    edit(2);
    let some = repo.run(&["--only-chunks", "src/app", "-v"]);
    some.expect_code(0);
    assert!(!some.stderr().contains(PARTIAL), "{}", some.stderr());
    // With everything checked, a one-file edit links partially, to a full run's bytes.
    repo.run(&["--incremental", "-q"]).expect_code(0);
    edit(3);
    let one = repo.run(&["--incremental", "-v"]);
    one.expect_code(0);
    assert!(one.stderr().contains(PARTIAL), "{}", one.stderr());
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn only_chunks_leaves_other_links_stale_and_check_says_so() {
    let repo = Repo::from_fixture("links");
    repo.run(&["-q"]).expect_code(0);
    repo.write("src/app/cart.ts", "export class Basket {}\n");
    repo.run(&["--only-chunks", "src/app", "-q"]).expect_code(0);
    // `src/app` was linked against the new surface; nothing else imports the cart.
    repo.run(&["--check"]).expect_code(1);
    repo.run(&["--incremental", "-q"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

/// Every item of `extractor` in the state, as `(name, id)`.
fn ids(repo: &Repo, extractor: &str) -> Vec<(String, String)> {
    let dir = repo.state().join(extractor);
    let mut out = Vec::new();
    for rel in files_under(&dir).into_keys() {
        let json = read_json(&dir.join(rel));
        for item in &crate::util::items(&json) {
            out.push((
                item["name"].as_str().unwrap().to_string(),
                item["id"].as_str().unwrap_or("null").to_string(),
            ));
        }
    }
    out.sort();
    out
}

fn pairs(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<_> = rows
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn every_extractor_gives_a_definition_the_same_id() {
    let repo = Repo::empty();
    repo.write(
        "geo.ts",
        "export function area(s: string): number;\nexport function area(s: number): number;\nexport function area(s: any) { return 1; }\n\nexport namespace Geometry {\n  export function scale() {}\n  export interface Point { x: number }\n}\n\nexport class Shape {\n  get size() { return 1; }\n  set size(v) {}\n}\n\nexport interface Shape { tag: string }\n",
    );
    repo.write(
        "config.py",
        "class Config:\n    @property\n    def name(self):\n        return 1\n\n    @name.setter\n    def name(self, value):\n        pass\n\n    class Meta:\n        def load(self):\n            pass\n",
    );
    repo.run(&["-q"]).expect_code(0);
    // Overload signatures share their implementation's id; a getter and a setter are two
    // definitions of `Shape.size`; the namespace qualifies what it holds.
    assert_eq!(
        ids(&repo, "symbols"),
        pairs(&[
            ("area", "geo.ts#area"),
            ("area", "geo.ts#area"),
            ("area", "geo.ts#area"),
            ("Geometry", "geo.ts#Geometry"),
            ("scale", "geo.ts#Geometry.scale"),
            ("Point", "geo.ts#Geometry.Point"),
            ("Shape", "geo.ts#Shape"),
            ("size", "geo.ts#Shape.size"),
            ("size", "geo.ts#Shape.size~2"),
            ("Shape", "geo.ts#Shape"),
            ("Config", "config.py#Config"),
            ("name", "config.py#Config.name"),
            ("name", "config.py#Config.name~2"),
            ("Meta", "config.py#Config.Meta"),
            ("load", "config.py#Config.Meta.load"),
        ])
    );
    assert_eq!(
        ids(&repo, "calls"),
        pairs(&[
            ("area", "geo.ts#area"),
            ("Geometry.scale", "geo.ts#Geometry.scale"),
            ("Shape", "geo.ts#Shape"),
            ("Shape.size", "geo.ts#Shape.size"),
            ("Shape.size", "geo.ts#Shape.size~2"),
            ("Config", "config.py#Config"),
            ("Config.name", "config.py#Config.name"),
            ("Config.name", "config.py#Config.name~2"),
            ("Config.Meta", "config.py#Config.Meta"),
            ("Config.Meta.load", "config.py#Config.Meta.load"),
        ])
    );
    assert_eq!(
        ids(&repo, "types"),
        pairs(&[
            ("Point", "geo.ts#Geometry.Point"),
            ("Shape", "geo.ts#Shape"),
            ("Shape", "geo.ts#Shape"),
        ])
    );
    let exported = ids(&repo, "exports");
    for id in [
        "geo.ts#area",
        "geo.ts#Geometry",
        "geo.ts#Shape",
        "config.py#Config",
    ] {
        assert!(
            exported.iter().any(|(_, i)| i == id),
            "{id} not in {exported:?}"
        );
    }
}

#[test]
fn a_damaged_surface_never_leaves_wrong_links_behind() {
    let repo = Repo::from_fixture("links");
    repo.run(&["-q"]).expect_code(0);
    // A surface output edited in place, then a run of the call graph alone, which links
    // against what it can read.
    let damaged = files_under(&repo.state().join("exports"))
        .into_keys()
        .find(|rel| {
            std::fs::read_to_string(repo.state().join("exports").join(rel))
                .unwrap()
                .contains("\"fromB\"")
        })
        .expect("an exports output with fromB");
    let path = repo.state().join("exports").join(&damaged);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"fromB\"", "\"fromX\"")).unwrap();
    repo.run(&["--only", "calls", "-q"]).expect_code(0);
    repo.run(&["--check"]).expect_code(1);
    repo.run(&["--incremental", "-q"]).expect_code(0);
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}
