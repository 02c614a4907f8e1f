//! `discover mcp` driven by a real client: the official MCP Python SDK (`pip install mcp`,
//! which CI installs) runs `tests/mcp_client.py` against the binary, over stdio.

use crate::util::Repo;
use serde_json::Value;
use std::process::Command;

#[test]
fn an_mcp_client_lists_the_tools_and_calls_them() {
    let has_sdk = Command::new("python3")
        .args(["-c", "import mcp"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has_sdk,
        "this test drives `discover mcp` with the MCP Python SDK: `python3 -m pip install mcp`"
    );
    let repo = Repo::from_fixture("links");
    repo.run(&["-q"]).expect_code(0);
    let client = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp_client.py");
    let cache = tempfile::tempdir().unwrap();
    let run = Command::new("python3")
        .arg(client)
        .arg(env!("CARGO_BIN_EXE_discover"))
        .arg(repo.path())
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .expect("spawn python3");
    let output = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(
        run.status.success(),
        "client failed:\n{output}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let steps: Vec<Value> = output
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(steps[0]["server"], "discover");
    assert_eq!(
        steps[1]["names"],
        serde_json::json!([
            "symbol",
            "callers",
            "callees",
            "exports",
            "importers",
            "routes",
            "uses",
            "tests_for"
        ])
    );
    assert_eq!(
        steps[1]["callers_schema"]["required"],
        serde_json::json!(["symbol"])
    );
    assert_eq!(
        steps[1]["callers_schema"]["properties"]["depth"]["type"],
        "integer"
    );

    let callers = &steps[2];
    assert_eq!(callers["error"], false);
    let answers = callers["structured"]["answers"].as_array().unwrap();
    let sites: Vec<(String, u64)> = answers
        .iter()
        .map(|a| {
            (
                a["callee"].as_str().unwrap().to_string(),
                a["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sites,
        [
            ("formatPrice".to_string(), 7),
            ("lib.formatPrice".to_string(), 13),
            ("formatPrice".to_string(), 18),
            ("lib.formatPrice".to_string(), 19)
        ]
    );
    assert!(
        callers["text"]
            .as_str()
            .unwrap()
            .contains("src/app/main.ts:7")
    );
    assert_eq!(callers["structured"]["stale"], Value::Null);

    let exports = &steps[3];
    let names: Vec<&str> = exports["structured"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["formatPrice", "assist", "default", "TAX"]);
    // Nothing found is an answer; a bad argument is a tool error, and the server lives on.
    assert_eq!(steps[4]["structured"]["answers"], serde_json::json!([]));
    assert_eq!(steps[5]["error"], true);
    assert!(
        steps[5]["text"]
            .as_str()
            .unwrap()
            .contains("`depth` must be an integer")
    );
    assert_eq!(steps[6]["error"], false);
}
