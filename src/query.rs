//! `discover query VERB …`: answers read from `.state/` alone, never from the sources.
//! Text for people (a line per answer, `file:line` first), `--json` for scripts (an array
//! of objects, each with `file` and `line`). Exit 0 when something was found, 1 when
//! nothing was, 2 on bad input. A stale state (the test `--check` makes) is warned about
//! on stderr with the command that refreshes it.

use crate::cli::RunConfig;
use crate::exit::ExitCode;
use crate::extract::{CallNode, ExtractorId, Items};
use crate::manifest::{self, MANIFEST_FILE, Manifest};
use clap::{Parser, Subcommand};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

/// Ask the inventory in .state/: where things are defined, who calls what, what a
/// directory exports, who imports a file, which handler serves a URL, which tests cover a
/// module.
#[derive(Debug, Parser)]
#[command(name = "discover query", after_help = QUERY_HELP)]
pub struct QueryArgs {
    #[command(subcommand)]
    verb: Verb,

    /// Repository whose inventory is read [default: found upwards from here, as `discover`
    /// finds it].
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,

    /// The inventory's directory [default: ROOT/.state].
    #[arg(long, global = true, value_name = "DIR")]
    state_dir: Option<PathBuf>,

    /// Print the answers as a JSON array on stdout.
    #[arg(long, global = true)]
    json: bool,

    /// Do not compare the state with the sources first (no staleness warning).
    #[arg(long, global = true)]
    no_check: bool,
}

const QUERY_HELP: &str = "\
Names and ids: an id is `path#Qualified.Name` (`src/cart.ts#Cart.add`); a bare name
(`add`, `Cart.add`) means every definition of that name.

Exit codes:
  0    something was found
  1    nothing was found
  2    bad input, or no inventory (run `discover` first)";

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Where a definition is: an exact id, else an exact name, else names that start with
    /// NAME (any case).
    Symbol { name: String },
    /// Call sites that reach NAME (a name or an id), with the calling definition.
    Callers {
        name: String,
        /// Also the callers of the callers, up to N levels.
        #[arg(long, default_value_t = 1, value_name = "N")]
        depth: u32,
    },
    /// The calls NAME (a name or an id) makes.
    Callees { name: String },
    /// The public surface of a file or directory (through re-exports).
    Exports { path: String },
    /// Who imports a file, or any file of a directory.
    Importers {
        path: String,
        /// Also who imports it through barrels (files that re-export it).
        #[arg(long)]
        transitive: bool,
    },
    /// Routes whose path or handler contains PATTERN (any case), or whose method is it.
    Routes { pattern: Option<String> },
    /// Components and hooks that call the hook NAME or render the component NAME.
    Uses { name: String },
    /// Test cases whose files import PATH (through barrels), or call ID or NAME.
    #[command(name = "tests-for")]
    TestsFor { target: String },
}

/// Runs `discover query` with the arguments after `query`; returns the exit code.
pub fn main(args: &[std::ffi::OsString]) -> i32 {
    let parsed = QueryArgs::try_parse_from(
        std::iter::once(std::ffi::OsString::from("discover query")).chain(args.iter().cloned()),
    );
    let args = match parsed {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::Usage.code()
            } else {
                ExitCode::Ok.code()
            };
        }
    };
    match run(&args) {
        Ok(found) => {
            if found {
                ExitCode::Ok.code()
            } else {
                ExitCode::StaleOrPartial.code()
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::Usage.code()
        }
    }
}

/// One answer: the JSON object, and its line of text.
pub struct Answer {
    pub object: Map<String, Value>,
    pub text: String,
}

fn answer(file: &str, line: u32, text: String, fields: Value) -> Answer {
    let mut object = Map::new();
    object.insert("file".into(), json!(file));
    object.insert("line".into(), json!(line));
    if let Value::Object(rest) = fields {
        object.extend(rest);
    }
    Answer {
        object,
        text: format!("{file}:{line}  {text}"),
    }
}

/// The root and state directory as a run would find them, from the working directory.
pub fn config(root: Option<&Path>, state_dir: Option<&Path>) -> Result<RunConfig, String> {
    let mut argv: Vec<std::ffi::OsString> = vec!["discover".into(), "--check".into(), "-q".into()];
    if let Some(root) = root {
        argv.push(root.into());
    }
    if let Some(dir) = state_dir {
        argv.push("--state-dir".into());
        argv.push(dir.into());
    }
    crate::cli::Args::try_parse_from(argv)
        .map_err(|e| e.to_string())?
        .resolve()
        .map_err(|e| e.to_string())
}

/// The warning for a stale state, naming the command that refreshes it; `None` when the
/// state is current.
pub fn staleness_warning(cfg: &RunConfig) -> Option<String> {
    match crate::run::freshness(cfg) {
        Ok(Some(refresh)) => Some(format!(
            "{} is stale (the sources changed since it was written); run `{refresh}`",
            cfg.state_shown
        )),
        Ok(None) => None,
        Err(e) => Some(format!("cannot tell whether the state is current: {e}")),
    }
}

/// The answers to one question.
pub fn answers(state: &State, verb: &Verb) -> Result<Vec<Answer>, String> {
    match verb {
        Verb::Symbol { name } => symbol(state, name),
        Verb::Callers { name, depth } => callers(state, name, (*depth).max(1)),
        Verb::Callees { name } => callees(state, name),
        Verb::Exports { path } => exports(state, path),
        Verb::Importers { path, transitive } => importers(state, path, *transitive),
        Verb::Routes { pattern } => routes(state, pattern.as_deref()),
        Verb::Uses { name } => uses(state, name),
        Verb::TestsFor { target } => tests_for(state, target),
    }
}

fn run(args: &QueryArgs) -> Result<bool, String> {
    let cfg = config(args.root.as_deref(), args.state_dir.as_deref())?;
    let state = State::open(&cfg.state_dir, &cfg.state_shown)?;
    if !args.no_check
        && let Some(warning) = staleness_warning(&cfg)
    {
        eprintln!("warning: {warning}");
    }
    let answers = answers(&state, &args.verb)?;
    let found = !answers.is_empty();
    if args.json {
        let array: Vec<Value> = answers
            .into_iter()
            .map(|a| Value::Object(a.object))
            .collect();
        let mut bytes = serde_json::to_vec_pretty(&array).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        let _ = std::io::Write::write_all(&mut std::io::stdout(), &bytes);
    } else {
        let mut text = String::new();
        for a in &answers {
            text.push_str(&a.text);
            text.push('\n');
        }
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        if !found {
            eprintln!("nothing found");
        }
    }
    Ok(found)
}

/// The inventory on disk: the manifest, and each extractor's items read on demand.
pub struct State {
    dir: PathBuf,
    shown: String,
    manifest: Manifest,
}

impl State {
    pub fn open(dir: &Path, shown: &str) -> Result<State, String> {
        let path = dir.join(MANIFEST_FILE);
        let shown_manifest = format!("{shown}/{MANIFEST_FILE}");
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "no inventory: {shown_manifest} does not exist; run `discover` first"
                ));
            }
            Err(e) => return Err(format!("cannot read {shown_manifest}: {e}")),
        };
        let manifest = manifest::parse(&bytes, &shown_manifest).map_err(|e| e.to_string())?;
        Ok(State {
            dir: dir.to_path_buf(),
            shown: shown.to_string(),
            manifest,
        })
    }

    /// Every item of one extractor, across chunks.
    fn items(&self, extractor: ExtractorId) -> Result<Items, String> {
        let mut all = Items::empty(extractor);
        for chunk in &self.manifest.chunks {
            let Some(output) = chunk
                .outputs
                .iter()
                .find(|o| o.extractor == extractor.name() && o.bytes > 0)
            else {
                continue;
            };
            let rel = crate::state::StateDir::output_rel(extractor.name(), &chunk.name);
            let bytes = std::fs::read(self.dir.join(&rel))
                .map_err(|e| format!("cannot read {}/{rel}: {e}", self.shown))?;
            let items = Items::from_output_json(extractor, &bytes).ok_or_else(|| {
                format!(
                    "{}/{rel} is not a {} output of this version; run `discover`",
                    self.shown,
                    extractor.name()
                )
            })?;
            if items.extractor() == extractor && output.version == extractor.version() {
                all.extend(items);
            }
        }
        Ok(all)
    }

    fn nodes(&self) -> Result<Vec<CallNode>, String> {
        match self.items(ExtractorId::CALLS)? {
            Items::Calls(nodes) => Ok(nodes),
            _ => Ok(Vec::new()),
        }
    }

    /// Whether `path` is a source file or directory of the inventory.
    fn has_path(&self, path: &str) -> bool {
        let dir = format!("{path}/");
        self.manifest
            .chunks
            .iter()
            .flat_map(|c| c.files.iter())
            .any(|f| f.path == path || f.path.starts_with(&dir) || path.is_empty())
    }
}

/// `src/x/` and `./src/x` as the inventory writes paths.
fn normalize(path: &str) -> String {
    let mut p = path.trim_end_matches('/');
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}

fn under(file: &str, path: &str) -> bool {
    path.is_empty() || file == path || file.strip_prefix(path).is_some_and(|r| r.starts_with('/'))
}

/// The simple name of a qualified one, without a `~N`.
fn simple(qualified: &str) -> &str {
    let last = qualified.rsplit('.').next().unwrap_or(qualified);
    last.split('~').next().unwrap_or(last)
}

/// The ids a name or id means: an id as given; a name, every definition so named (by its
/// qualified or its simple name).
fn ids_for(state: &State, nodes: &[CallNode], name: &str) -> Result<BTreeSet<String>, String> {
    if name.contains('#') {
        return Ok(BTreeSet::from([name.to_string()]));
    }
    let mut ids: BTreeSet<String> = nodes
        .iter()
        .filter(|n| n.name == name || simple(&n.name) == name)
        .map(|n| n.id.clone())
        .collect();
    if let Items::Symbols(symbols) = state.items(ExtractorId::SYMBOLS)? {
        ids.extend(
            symbols
                .into_iter()
                .filter(|s| s.name == name || s.id.rsplit('#').next() == Some(name))
                .map(|s| s.id),
        );
    }
    Ok(ids)
}

/// A definition as `symbol` lists it: id, kind, file, line, detail.
type Definition = (String, String, String, u32, String);

fn symbol(state: &State, name: &str) -> Result<Vec<Answer>, String> {
    let mut all: Vec<Definition> = Vec::new();
    if let Items::Symbols(symbols) = state.items(ExtractorId::SYMBOLS)? {
        for s in symbols {
            all.push((s.id, kind_text(&s.kind), s.file, s.line, s.signature));
        }
    }
    let known: BTreeSet<String> = all.iter().map(|d| d.0.clone()).collect();
    for node in state.nodes()? {
        // Nested functions are nodes only; the module node is no definition.
        if known.contains(&node.id) || node.name == "<module>" {
            continue;
        }
        all.push((
            node.id,
            kind_text(&node.kind),
            node.file,
            node.line,
            node.name,
        ));
    }
    let qualified = |id: &str| {
        id.rsplit_once('#')
            .map_or(id.to_string(), |(_, q)| q.to_string())
    };
    let lower = name.to_lowercase();
    let tiers: [&dyn Fn(&Definition) -> bool; 3] = [
        &|d| d.0 == name,
        &|d| {
            let q = qualified(&d.0);
            q == name || simple(&q) == name
        },
        &|d| simple(&qualified(&d.0)).to_lowercase().starts_with(&lower),
    ];
    for matches in tiers {
        let mut found: Vec<&Definition> = all.iter().filter(|d| matches(d)).collect();
        if found.is_empty() {
            continue;
        }
        found.sort_by(|a, b| (&a.2, a.3, &a.0).cmp(&(&b.2, b.3, &b.0)));
        found.dedup_by(|a, b| a.0 == b.0 && a.3 == b.3);
        return Ok(found
            .into_iter()
            .map(|(id, kind, file, line, detail)| {
                answer(
                    file,
                    *line,
                    format!("{kind:<9} {id}  {detail}"),
                    json!({ "id": id, "kind": kind, "detail": detail }),
                )
            })
            .collect());
    }
    Ok(Vec::new())
}

fn callers(state: &State, name: &str, depth: u32) -> Result<Vec<Answer>, String> {
    let nodes = state.nodes()?;
    let mut wanted = ids_for(state, &nodes, name)?;
    let mut seen: BTreeSet<String> = wanted.clone();
    let mut out = Vec::new();
    for level in 1..=depth {
        let mut next = BTreeSet::new();
        for node in &nodes {
            for edge in &node.edges {
                let Some(target) = edge.target.as_deref() else {
                    continue;
                };
                if !wanted.contains(target) {
                    continue;
                }
                out.push(answer(
                    &node.file,
                    edge.line,
                    format!(
                        "{}{} {} → {target}",
                        if depth > 1 {
                            format!("[{level}] ")
                        } else {
                            String::new()
                        },
                        node.id,
                        edge.callee
                    ),
                    json!({
                        "column": edge.column,
                        "caller": node.id,
                        "callee": edge.callee,
                        "kind": edge.kind,
                        "target": target,
                        "depth": level,
                    }),
                ));
                if seen.insert(node.id.clone()) {
                    next.insert(node.id.clone());
                }
            }
        }
        if next.is_empty() {
            break;
        }
        wanted = next;
    }
    Ok(out)
}

fn callees(state: &State, name: &str) -> Result<Vec<Answer>, String> {
    let nodes = state.nodes()?;
    let ids = ids_for(state, &nodes, name)?;
    let mut out = Vec::new();
    for node in nodes.iter().filter(|n| ids.contains(&n.id)) {
        for edge in &node.edges {
            let target = edge
                .target
                .as_deref()
                .map_or(String::new(), |t| format!(" → {t}"));
            out.push(answer(
                &node.file,
                edge.line,
                format!("{} calls {}{target}", node.id, edge.callee),
                json!({
                    "column": edge.column,
                    "caller": node.id,
                    "callee": edge.callee,
                    "kind": edge.kind,
                    "target": edge.target,
                    "module": edge.module,
                }),
            ));
        }
    }
    Ok(out)
}

fn exports(state: &State, path: &str) -> Result<Vec<Answer>, String> {
    let path = normalize(path);
    if !state.has_path(&path) {
        return Err(format!("`{path}` is no file or directory of the inventory"));
    }
    let Items::Exports(items) = state.items(ExtractorId::EXPORTS)? else {
        return Ok(Vec::new());
    };
    Ok(items
        .into_iter()
        .filter(|e| under(&e.file, &path) && e.name != "*")
        .map(|e| {
            let id = e.id.clone().unwrap_or_else(|| "-".to_string());
            answer(
                &e.file,
                e.line,
                format!("{} ({}) → {id}", e.name, kind_text(&e.kind)),
                json!({ "name": e.name, "kind": e.kind, "id": e.id, "module": e.module }),
            )
        })
        .collect())
}

fn kind_text<T: serde::Serialize>(kind: &T) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The files that import `path` (or a file under it), and with `transitive` the files
/// that import those among them that re-export it, each with the barrel it came through.
fn importing_files(
    state: &State,
    path: &str,
    transitive: bool,
) -> Result<Vec<(crate::extract::Import, Option<String>)>, String> {
    let Items::Imports(imports) = state.items(ExtractorId::IMPORTS)? else {
        return Ok(Vec::new());
    };
    let mut by_target: HashMap<&str, Vec<&crate::extract::Import>> = HashMap::new();
    for import in &imports {
        for target in &import.targets {
            by_target.entry(target.as_str()).or_default().push(import);
        }
    }
    let mut out = Vec::new();
    let mut queue: VecDeque<(String, Option<String>)> = by_target
        .keys()
        .filter(|t| under(t, path))
        .map(|t| (t.to_string(), None))
        .collect();
    let mut done: BTreeSet<String> = queue.iter().map(|(t, _)| t.clone()).collect();
    while let Some((target, via)) = queue.pop_front() {
        for import in by_target.get(target.as_str()).into_iter().flatten() {
            out.push(((*import).clone(), via.clone()));
            let reexports = kind_text(&import.kind) == "reexport";
            if transitive && reexports && done.insert(import.file.clone()) {
                queue.push_back((import.file.clone(), Some(import.file.clone())));
            }
        }
    }
    out.sort_by(|a, b| (&a.0.file, a.0.line).cmp(&(&b.0.file, b.0.line)));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

fn importers(state: &State, path: &str, transitive: bool) -> Result<Vec<Answer>, String> {
    let path = normalize(path);
    if !state.has_path(&path) {
        return Err(format!("`{path}` is no file or directory of the inventory"));
    }
    Ok(importing_files(state, &path, transitive)?
        .into_iter()
        .map(|(import, via)| {
            let through = via
                .as_deref()
                .map_or(String::new(), |v| format!(" (through {v})"));
            answer(
                &import.file,
                import.line,
                format!("imports {}{through}", import.specifier),
                json!({
                    "specifier": import.specifier,
                    "names": import.names,
                    "kind": import.kind,
                    "through": via,
                }),
            )
        })
        .collect())
}

fn routes(state: &State, pattern: Option<&str>) -> Result<Vec<Answer>, String> {
    let Items::Routes(routes) = state.items(ExtractorId::ROUTES)? else {
        return Ok(Vec::new());
    };
    let pattern = pattern.map(str::to_lowercase);
    Ok(routes
        .into_iter()
        .filter(|r| {
            pattern.as_deref().is_none_or(|p| {
                r.path.to_lowercase().contains(p)
                    || r.handler
                        .as_deref()
                        .is_some_and(|h| h.to_lowercase().contains(p))
                    || r.methods.iter().any(|m| m.to_lowercase() == p)
            })
        })
        .map(|r| {
            let handler = r.handler.clone().unwrap_or_else(|| "-".to_string());
            answer(
                &r.file,
                r.line,
                format!("{} {}  {handler}", r.methods.join(","), r.path),
                json!({
                    "methods": r.methods,
                    "path": r.path,
                    "handler": r.handler,
                    "framework": r.framework,
                }),
            )
        })
        .collect())
}

fn uses(state: &State, name: &str) -> Result<Vec<Answer>, String> {
    let mut out = Vec::new();
    if let Items::Components(components) = state.items(ExtractorId::COMPONENTS)? {
        for c in components {
            let how = if c.hooks.iter().any(|h| h == name) {
                "calls"
            } else if c.children.iter().any(|h| h == name) {
                "renders"
            } else {
                continue;
            };
            out.push(answer(
                &c.file,
                c.line,
                format!("component {} {how} {name}", c.id),
                json!({ "id": c.id, "kind": "component", "how": how }),
            ));
        }
    }
    if let Items::Hooks(hooks) = state.items(ExtractorId::HOOKS)? {
        for h in hooks
            .into_iter()
            .filter(|h| h.hooks.iter().any(|x| x == name))
        {
            out.push(answer(
                &h.file,
                h.line,
                format!("hook {} calls {name}", h.id),
                json!({ "id": h.id, "kind": "hook", "how": "calls" }),
            ));
        }
    }
    out.sort_by(|a, b| a.text.cmp(&b.text));
    Ok(out)
}

fn tests_for(state: &State, target: &str) -> Result<Vec<Answer>, String> {
    // Files whose tests cover the target, each with why.
    let mut why: HashMap<String, String> = HashMap::new();
    let path = normalize(target);
    if !target.contains('#') && state.has_path(&path) && !path.is_empty() {
        for (import, via) in importing_files(state, &path, true)? {
            let through = via.map_or(String::new(), |v| format!(" through {v}"));
            why.entry(import.file)
                .or_insert_with(|| format!("imports {}{through}", import.specifier));
        }
    } else {
        let nodes = state.nodes()?;
        let ids = ids_for(state, &nodes, target)?;
        for node in &nodes {
            if let Some(edge) = node
                .edges
                .iter()
                .find(|e| e.target.as_deref().is_some_and(|t| ids.contains(t)))
            {
                why.entry(node.file.clone())
                    .or_insert_with(|| format!("calls {} at line {}", edge.callee, edge.line));
            }
        }
    }
    let Items::Tests(tests) = state.items(ExtractorId::TESTS)? else {
        return Ok(Vec::new());
    };
    Ok(tests
        .into_iter()
        .filter_map(|t| {
            let reason = why.get(&t.file)?.clone();
            Some(answer(
                &t.file,
                t.line,
                format!("{} ({reason})", t.name),
                json!({
                    "name": t.name,
                    "kind": t.kind,
                    "framework": t.framework,
                    "why": reason,
                }),
            ))
        })
        .collect())
}
