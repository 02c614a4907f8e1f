//! Test harness: a temp copy of a fixture tree, a way to run the binary on it, and readers
//! for the `.state/` it writes. Failures print argv, stdout, stderr and the state tree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_discover");

pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub struct Repo {
    pub dir: tempfile::TempDir,
    /// The per-machine hash cache of this test's runs, kept out of the real home.
    pub cache: tempfile::TempDir,
}

pub struct Run {
    pub argv: Vec<String>,
    pub output: Output,
    pub state_listing: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    fn describe(&self) -> String {
        format!(
            "argv: {:?}\nexit: {}\n--- stdout\n{}\n--- stderr\n{}\n--- .state\n{}",
            self.argv,
            self.code(),
            self.stdout(),
            self.stderr(),
            self.state_listing
        )
    }
    /// Asserts the exit code, printing everything about the run when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "unexpected exit code\n{}",
            self.describe()
        );
        self
    }
    #[track_caller]
    pub fn expect_stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }
    #[track_caller]
    pub fn expect_stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }
}

impl Repo {
    pub fn empty() -> Repo {
        Repo {
            dir: tempfile::tempdir().expect("temp dir"),
            cache: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A copy of `tests/fixtures/<name>`.
    pub fn from_fixture(name: &str) -> Repo {
        let repo = Repo::empty();
        copy_tree(&fixture_dir(name), repo.path());
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).expect("remove");
    }

    pub fn state(&self) -> PathBuf {
        self.path().join(".state")
    }

    /// Runs the binary with the repo as working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(self.path(), args)
    }

    /// The binary with its environment: the hash cache in this test's own directory.
    pub fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .env("XDG_CACHE_HOME", self.cache.path())
            .env_remove("RUST_BACKTRACE");
        command
    }

    pub fn run_in(&self, cwd: &Path, args: &[&str]) -> Run {
        let output = self
            .command()
            .args(args)
            .current_dir(cwd)
            .output()
            .expect("spawn discover");
        Run {
            argv: args.iter().map(|s| s.to_string()).collect(),
            output,
            state_listing: listing(&self.state()),
        }
    }

    /// Every file under the state dir, by relative path.
    pub fn state_files(&self) -> BTreeMap<String, Vec<u8>> {
        files_under(&self.state())
    }

    /// The state a run with `args` writes into a fresh directory outside the repo (a full
    /// run, for comparison with the repo's own state).
    pub fn state_of_run(&self, args: &[&str]) -> BTreeMap<String, Vec<u8>> {
        let out = tempfile::tempdir().expect("temp dir");
        let state = out.path().join("state");
        let mut argv = vec!["--state-dir", state.to_str().expect("UTF-8 temp path")];
        argv.extend_from_slice(args);
        self.run(&argv).expect_code(0);
        files_under(&state)
    }

    pub fn manifest(&self) -> serde_json::Value {
        read_json(&self.state().join("manifest.json"))
    }
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

pub fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

pub fn listing(root: &Path) -> String {
    files_under(root)
        .iter()
        .map(|(path, bytes)| format!("{path} ({} bytes)\n", bytes.len()))
        .collect()
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Asserts two state trees are byte-identical, naming the first difference.
#[track_caller]
pub fn assert_same_state(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    let names_a: Vec<&String> = a.keys().collect();
    let names_b: Vec<&String> = b.keys().collect();
    assert_eq!(names_a, names_b, "state trees hold different files");
    for (path, bytes) in a {
        if bytes != &b[path] {
            panic!(
                "{path} differs:\n--- first\n{}\n--- second\n{}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&b[path])
            );
        }
    }
}

/// The items of a rendered `<extractor>/<chunk>.json` as its readers see them, restored
/// by the README's rules (written here apart from discover's own reader): each with its
/// `file` (the key it is listed under), its ids into that file (written `#Name`) whole
/// again, a `name` (and a symbol's or type's `parent`) its id gives, and the `module` and
/// `imported` of call edges from the chunk's `imports` table. Fields the output leaves out
/// (`false`, `null`, empty lists) stay absent.
pub fn items(json: &serde_json::Value) -> Vec<serde_json::Value> {
    use serde_json::Value;
    fn expand(value: &mut Value, file: &str, is_id: bool) {
        match value {
            Value::String(s) if is_id && s.len() > 1 && s.starts_with('#') => {
                s.insert_str(0, file);
            }
            Value::Array(list) => {
                for v in list {
                    expand(v, file, is_id);
                }
            }
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    let id = matches!(
                        key.as_str(),
                        "id" | "target" | "router" | "handlers" | "request" | "response"
                    );
                    expand(v, file, id);
                }
            }
            _ => {}
        }
    }
    /// `A~2.b~3` → `A.b`.
    fn unsuffixed(qualified: &str) -> String {
        qualified
            .split('.')
            .map(|part| match part.rsplit_once('~') {
                Some((name, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => name,
                _ => part,
            })
            .collect::<Vec<_>>()
            .join(".")
    }
    let extractor = json["extractor"].as_str().unwrap_or("");
    let files = json["files"]
        .as_object()
        .unwrap_or_else(|| panic!("a chunk file lists its items under `files`: {json}"));
    let mut out = Vec::new();
    for (file, list) in files {
        let bindings = &json["imports"][file.as_str()];
        for item in list.as_array().unwrap() {
            let mut item = item.clone();
            let qualified = item["id"]
                .as_str()
                .and_then(|id| id.strip_prefix('#'))
                .map(str::to_string);
            expand(&mut item, file, false);
            let map = item.as_object_mut().unwrap();
            if let Some(qualified) = qualified {
                let whole = unsuffixed(&qualified);
                let simple = matches!(extractor, "symbols" | "types");
                if !map.contains_key("name")
                    && matches!(
                        extractor,
                        "calls" | "components" | "hooks" | "schemas" | "symbols" | "types"
                    )
                {
                    let name = if simple {
                        whole.rsplit('.').next().unwrap().to_string()
                    } else {
                        whole.clone()
                    };
                    map.insert("name".into(), Value::String(name));
                }
                if simple {
                    match map.get("parent") {
                        Some(Value::Null) => {
                            map.remove("parent");
                        }
                        None => {
                            if let Some((parent, _)) = whole.rsplit_once('.') {
                                map.insert("parent".into(), Value::String(parent.into()));
                            }
                        }
                        Some(_) => {}
                    }
                }
            }
            if extractor == "exports" {
                match (map.get("local"), map.get("id").and_then(Value::as_str)) {
                    (Some(Value::Null), _) => {
                        map.remove("local");
                    }
                    (None, Some(id)) if id.starts_with(&format!("{file}#")) => {
                        let local = unsuffixed(&id[file.len() + 1..]);
                        map.insert("local".into(), Value::String(local));
                    }
                    _ => {}
                }
            }
            if let Some(edges) = map.get_mut("edges").and_then(Value::as_array_mut) {
                for edge in edges {
                    let edge = edge.as_object_mut().unwrap();
                    let own = edge.get("target").and_then(Value::as_str).is_some_and(|t| {
                        t.strip_prefix(file.as_str())
                            .is_some_and(|r| r.starts_with('#'))
                    });
                    if edge.contains_key("module") || edge.contains_key("shadowed") || own {
                        continue;
                    }
                    let callee = ["call", "new", "render", "reference"]
                        .iter()
                        .find_map(|k| edge.get(*k).and_then(Value::as_str))
                        .unwrap();
                    let name = callee.split('.').next().unwrap();
                    if let Some([module, imported]) = bindings[name].as_array().map(Vec::as_slice) {
                        edge.insert("module".into(), module.clone());
                        edge.insert("imported".into(), imported.clone());
                    }
                }
            }
            map.insert("file".into(), Value::String(file.clone()));
            out.push(item);
        }
    }
    out
}

/// An item's list field: empty when the output left it out.
pub fn list(value: &serde_json::Value) -> &[serde_json::Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// A call edge's callee, under its kind (`call`, `new`, `render` or `reference`).
pub fn callee(edge: &serde_json::Value) -> &str {
    ["call", "new", "render", "reference"]
        .iter()
        .find_map(|kind| edge[*kind].as_str())
        .unwrap_or_else(|| panic!("an edge without a callee: {edge}"))
}
