//! Extractor edge cases that the scan strategy (depth-bounded symbol scans, anchor-word
//! import scans) must not lose.

use crate::util::{Repo, read_json};

fn items(repo: &Repo, extractor: &str) -> Vec<serde_json::Value> {
    crate::util::items(&read_json(
        &repo.state().join(format!("{extractor}/_root.json")),
    ))
}

fn names(items: &[serde_json::Value], file: &str) -> Vec<String> {
    items
        .iter()
        .filter(|i| i["file"] == file)
        .map(|i| {
            format!(
                "{}:{}",
                i["name"].as_str().unwrap(),
                i["parent"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

#[test]
fn deeply_nested_containers_keep_their_symbols() {
    let repo = Repo::empty();
    repo.write(
        "deep.py",
        "try:\n    import fcntl\nexcept ImportError:\n    if True:\n        if False:\n            pass\n        else:\n            def lock(f):  # not locked\n                def inner():\n                    pass\n                return inner\n\nclass A:\n    class B:\n        class C:\n            def m(self):\n                pass\n",
    );
    repo.write(
        "expr.ts",
        "export const Foo = class {\n  method() {}\n};\nexport namespace N {\n  export const Bar = class {\n    other() {}\n  };\n}\n",
    );
    repo.write(
        "deep.d.ts",
        "declare module \"m\" {\n  export namespace Outer {\n    export namespace Inner {\n      export class K {\n        method(): void;\n      }\n    }\n  }\n}\n",
    );
    repo.run(&[]).expect_code(0);
    let symbols = items(&repo, "symbols");
    assert_eq!(
        names(&symbols, "deep.py"),
        ["lock:-", "A:-", "B:A", "C:B", "m:C"]
    );
    assert_eq!(
        names(&symbols, "deep.d.ts"),
        ["m:-", "Outer:m", "Inner:Outer", "K:Inner", "method:K"]
    );
    assert_eq!(
        names(&symbols, "expr.ts"),
        ["Foo:-", "method:Foo", "N:-", "Bar:N", "other:Bar"]
    );
    let lock = symbols.iter().find(|s| s["name"] == "lock").unwrap();
    assert_eq!(
        lock["signature"], "def lock(f)",
        "a comment after the colon is not signature"
    );
}

#[test]
fn imports_anywhere_in_the_file_are_found() {
    let repo = Repo::empty();
    repo.write(
        "lazy.py",
        "def f():\n    if True:\n        from json import loads\n        mod = __import__('os')\n    return loads\n",
    );
    repo.write(
        "deep.js",
        "function a() {\n  return function b() {\n    if (x) { const { c } = require('./c'); return import('./d'); }\n  };\n}\n",
    );
    repo.write(
        "re.ts",
        "export { a as b } from './c';\nexport * from \"./d\";\n",
    );
    repo.write("c.js", "");
    repo.write("d.ts", "");
    repo.run(&[]).expect_code(0);
    let imports = items(&repo, "imports");
    let summary: Vec<String> = imports
        .iter()
        .map(|i| {
            format!(
                "{} {} {} {}",
                i["file"].as_str().unwrap(),
                i["kind"].as_str().unwrap(),
                i["specifier"].as_str().unwrap(),
                serde_json::Value::Array(crate::util::list(&i["targets"]).to_vec())
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "deep.js require ./c [\"c.js\"]",
            "deep.js dynamic ./d [\"d.ts\"]",
            "lazy.py static json []",
            "lazy.py dynamic os []",
            "re.ts reexport ./c [\"c.js\"]",
            "re.ts reexport ./d [\"d.ts\"]",
        ]
    );
}

#[test]
fn ambient_declarations_defaults_and_long_signatures() {
    let repo = Repo::empty();
    repo.write(
        "a.ts",
        "declare global {\n  var __APP__: string;\n  interface Window { x: number }\n}\ndeclare module \"x\" {\n  export function f(): void;\n  interface I { a: string }\n  const c: number;\n}\nexport default function main() {}\nfunction helper() {}\nexport { helper as default2 };\nconst value = 1;\nexport default value;\n",
    );
    let long = format!("export const table = {{ {} }};\n", "k: 1, ".repeat(60));
    repo.write("long.ts", &long);
    repo.run(&["--only", "symbols"]).expect_code(0);
    let symbols = items(&repo, "symbols");
    let row = |file: &str, name: &str| {
        let s = symbols
            .iter()
            .find(|s| s["file"] == file && s["name"] == name)
            .unwrap_or_else(|| panic!("no symbol {name} in {file}: {symbols:?}"));
        (
            s["kind"].as_str().unwrap().to_string(),
            s["exported"].as_bool().unwrap_or(false),
            s["default"].as_bool().unwrap_or(false),
            s["parent"].as_str().unwrap_or("-").to_string(),
        )
    };
    let expect = |kind: &str, exported, default, parent: &str| {
        (kind.to_string(), exported, default, parent.to_string())
    };
    // What `declare global` declares is global, under the container `global`.
    assert_eq!(
        row("a.ts", "__APP__"),
        expect("variable", true, false, "global")
    );
    assert_eq!(
        row("a.ts", "Window"),
        expect("interface", true, false, "global")
    );
    // In an ambient module, `export` is implied (the types extractor says the same).
    assert_eq!(row("a.ts", "f"), expect("function", true, false, "x"));
    assert_eq!(row("a.ts", "I"), expect("interface", true, false, "x"));
    assert_eq!(row("a.ts", "c"), expect("variable", true, false, "x"));
    // The default export, written in front or in a separate statement.
    assert_eq!(row("a.ts", "main"), expect("function", true, true, "-"));
    assert_eq!(row("a.ts", "value"), expect("variable", true, true, "-"));
    assert_eq!(row("a.ts", "helper"), expect("function", true, false, "-"));
    // The keyword counts towards the 200 characters of a signature (and the ellipsis).
    let table = symbols.iter().find(|s| s["name"] == "table").unwrap();
    let signature = table["signature"].as_str().unwrap();
    assert!(
        signature.starts_with("const table = { k: 1,"),
        "{signature}"
    );
    assert_eq!(signature.chars().count(), 201, "{signature}");
    assert!(signature.ends_with('…'), "{signature}");
}

#[test]
fn python_defaults_are_called_where_the_def_runs() {
    let repo = Repo::empty();
    repo.write(
        "app.py",
        "from fastapi import Depends, APIRouter\n\nrouter = APIRouter()\n\ndef get_db():\n    return 1\n\ndef compute():\n    return 2\n\n@router.get(\"/\")\ndef read(db=Depends(get_db), x: int = compute()) -> int:\n    return helper()\n\nclass Box:\n    def size(self, n=compute()):\n        return n\n\ndef outer():\n    def inner(y=compute()):\n        return y\n    return inner\n",
    );
    repo.run(&["--only", "calls"]).expect_code(0);
    let nodes = items(&repo, "calls");
    let edges = |name: &str| -> Vec<(String, u64)> {
        nodes
            .iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("no node {name}: {nodes:?}"))["edges"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|e| {
                (
                    crate::util::callee(e).to_string(),
                    e["at"][0].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let list = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
        pairs.iter().map(|(c, l)| (c.to_string(), *l)).collect()
    };
    // Decorators, defaults and annotations run in the enclosing scope, when `def` runs.
    assert_eq!(
        edges("<module>"),
        list(&[
            ("APIRouter", 3),
            ("router.get", 11),
            ("Depends", 12),
            // `get_db` passed as a value: a reference, made where `Depends` is called.
            ("get_db", 12),
            ("compute", 12)
        ])
    );
    assert_eq!(edges("read"), list(&[("helper", 13)]));
    assert_eq!(edges("Box"), list(&[("compute", 16)]));
    assert!(edges("Box.size").is_empty());
    assert_eq!(edges("outer"), list(&[("compute", 20)]));
    assert!(edges("outer.inner").is_empty());
}
