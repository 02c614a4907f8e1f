//! `discover query VERB …`: answers read from `.state/` alone, never from the sources.
//! Text for people (a line per answer, `file:line` first), `--json` for scripts (an array
//! of objects, each with `file` and `line`). Exit 0 when something was found, 1 when
//! nothing was, 2 on bad input. A stale state (the test `--check` makes) is warned about
//! on stderr with the command that refreshes it.

use crate::cli::RunConfig;
use crate::exit::ExitCode;
use crate::extract::{ExtractorId, Items};
use crate::manifest::{self, MANIFEST_FILE, Manifest};
use clap::{Parser, Subcommand};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

mod index;

pub use index::Index;
use index::{Def, EdgeRow, Table, Use, def_key, qualified, simple};

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
fn staleness_warning(cfg: &RunConfig) -> Option<String> {
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
fn answers(state: &Index, verb: &Verb) -> Result<Vec<Answer>, String> {
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

/// The answers to `verb` about the state of `cfg`, and (when `check`) the staleness
/// warning. The staleness test walks the sources; it runs beside the answer, not before it.
pub fn ask(
    cfg: &RunConfig,
    verb: &Verb,
    check: bool,
) -> Result<(Vec<Answer>, Option<String>), String> {
    let (answers, stale) = std::thread::scope(|scope| {
        let stale = check.then(|| scope.spawn(|| staleness_warning(cfg)));
        let answers =
            Index::open(&cfg.state_dir, &cfg.state_shown).and_then(|index| answers(&index, verb));
        let stale = stale.and_then(|c| c.join().ok()).flatten();
        (answers, stale)
    });
    Ok((answers?, stale))
}

fn run(args: &QueryArgs) -> Result<bool, String> {
    let cfg = config(args.root.as_deref(), args.state_dir.as_deref())?;
    let (answers, stale) = ask(&cfg, &args.verb, !args.no_check)?;
    if let Some(warning) = stale {
        eprintln!("warning: {warning}");
    }
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

/// The inventory on disk, read to build the index: the manifest, and each extractor's
/// items.
pub struct State {
    dir: PathBuf,
    shown: String,
    manifest: Manifest,
}

impl State {
    /// The state whose manifest has the bytes `manifest`.
    fn parse(dir: &Path, shown: &str, manifest: &[u8]) -> Result<State, String> {
        let shown_manifest = format!("{shown}/{MANIFEST_FILE}");
        let manifest = manifest::parse(manifest, &shown_manifest).map_err(|e| e.to_string())?;
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

    /// Every source file of the inventory.
    fn files(&self) -> impl Iterator<Item = &str> {
        self.manifest
            .chunks
            .iter()
            .flat_map(|c| c.files.iter().map(|f| f.path.as_str()))
    }
}

/// Fails unless `path` is a source file or directory of the inventory.
fn known_path(index: &Index, path: &str) -> Result<(), String> {
    if index.has_under(Table::Files, path)? {
        Ok(())
    } else {
        Err(format!("`{path}` is no file or directory of the inventory"))
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

/// The definitions a name or id may mean: those filed under its simple name.
fn candidates(index: &Index, name: &str) -> Result<Vec<Def>, String> {
    index.equal(Table::Defs, &def_key(name))
}

/// Whether `def` is a definition named `name` (by its qualified or its simple name).
fn named(def: &Def, name: &str) -> bool {
    let q = qualified(&def.id);
    q == name || simple(q) == name
}

/// The ids a name or id means: an id as given; a name, every definition so named.
fn ids_for(index: &Index, name: &str) -> Result<BTreeSet<String>, String> {
    if name.contains('#') {
        return Ok(BTreeSet::from([name.to_string()]));
    }
    Ok(candidates(index, name)?
        .into_iter()
        .filter(|d| named(d, name))
        .map(|d| d.id)
        .collect())
}

fn symbol(index: &Index, name: &str) -> Result<Vec<Answer>, String> {
    let candidates = candidates(index, name)?;
    let exact: Vec<&Def> = candidates.iter().filter(|d| d.id == name).collect();
    let by_name: Vec<&Def> = candidates.iter().filter(|d| named(d, name)).collect();
    // Names that start with NAME, any case: the keys are simple names in lower case.
    let prefixed: Vec<Def>;
    let mut found = if !exact.is_empty() {
        exact
    } else if !by_name.is_empty() {
        by_name
    } else {
        prefixed = index
            .prefixed::<Def>(Table::Defs, &name.to_lowercase())?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        prefixed.iter().collect()
    };
    found.sort_by(|a, b| (&a.file, a.line, &a.id).cmp(&(&b.file, b.line, &b.id)));
    found.dedup_by(|a, b| a.id == b.id && a.line == b.line);
    Ok(found
        .into_iter()
        .map(|d| {
            answer(
                &d.file,
                d.line,
                format!("{:<9} {}  {}", d.kind, d.id, d.detail),
                json!({ "id": d.id, "kind": d.kind, "detail": d.detail }),
            )
        })
        .collect())
}

fn callers(index: &Index, name: &str, depth: u32) -> Result<Vec<Answer>, String> {
    let mut wanted = ids_for(index, name)?;
    let mut seen: BTreeSet<String> = wanted.clone();
    let mut out = Vec::new();
    for level in 1..=depth {
        let mut edges: Vec<EdgeRow> = Vec::new();
        for target in &wanted {
            edges.extend(index.edges_to(target)?);
        }
        edges.sort_by(|a, b| {
            (&a.file, a.line, a.column, &a.caller).cmp(&(&b.file, b.line, b.column, &b.caller))
        });
        let mut next = BTreeSet::new();
        for edge in edges {
            let target = edge.target.clone().unwrap_or_default();
            let step = if depth > 1 {
                format!("[{level}] ")
            } else {
                String::new()
            };
            out.push(answer(
                &edge.file,
                edge.line,
                format!("{step}{} {} → {target}", edge.caller, edge.callee),
                json!({
                    "column": edge.column,
                    "caller": edge.caller,
                    "callee": edge.callee,
                    "kind": edge.kind,
                    "target": target,
                    "depth": level,
                }),
            ));
            if seen.insert(edge.caller.clone()) {
                next.insert(edge.caller);
            }
        }
        if next.is_empty() {
            break;
        }
        wanted = next;
    }
    Ok(out)
}

fn callees(index: &Index, name: &str) -> Result<Vec<Answer>, String> {
    let mut out = Vec::new();
    for id in ids_for(index, name)? {
        for edge in index.edges_from(&id)? {
            let target = edge
                .target
                .as_deref()
                .map_or(String::new(), |t| format!(" → {t}"));
            out.push(answer(
                &edge.file,
                edge.line,
                format!("{} calls {}{target}", edge.caller, edge.callee),
                json!({
                    "column": edge.column,
                    "caller": edge.caller,
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

fn exports(index: &Index, path: &str) -> Result<Vec<Answer>, String> {
    let path = normalize(path);
    known_path(index, &path)?;
    Ok(index
        .under::<crate::extract::Export>(Table::Exports, &path)?
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.name != "*")
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

/// The imports of `path` (or a file under it), and with `transitive` the imports of those
/// importers among them that re-export it, each with the barrel it came through.
fn importing_files(
    index: &Index,
    path: &str,
    transitive: bool,
) -> Result<Vec<(crate::extract::Import, Option<String>)>, String> {
    type Import = crate::extract::Import;
    let mut out = Vec::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<(Vec<Import>, Option<String>)> = VecDeque::new();
    let direct: Vec<Import> = index
        .under::<Import>(Table::Imports, path)?
        .into_iter()
        .map(|(target, import)| {
            done.insert(target);
            import
        })
        .collect();
    queue.push_back((direct, None));
    while let Some((imports, via)) = queue.pop_front() {
        for import in imports {
            let reexports = kind_text(&import.kind) == "reexport";
            if transitive && reexports && done.insert(import.file.clone()) {
                let further = index.equal::<Import>(Table::Imports, &import.file)?;
                queue.push_back((further, Some(import.file.clone())));
            }
            out.push((import, via.clone()));
        }
    }
    out.sort_by(|a, b| (&a.0.file, a.0.line).cmp(&(&b.0.file, b.0.line)));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

fn importers(index: &Index, path: &str, transitive: bool) -> Result<Vec<Answer>, String> {
    let path = normalize(path);
    known_path(index, &path)?;
    Ok(importing_files(index, &path, transitive)?
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

fn routes(index: &Index, pattern: Option<&str>) -> Result<Vec<Answer>, String> {
    let pattern = pattern.map(str::to_lowercase);
    Ok(index
        .prefixed::<crate::extract::Route>(Table::Routes, "")?
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| {
            pattern.as_deref().is_none_or(|p| {
                r.path.to_lowercase().contains(p)
                    || r.url
                        .as_deref()
                        .is_some_and(|u| u.to_lowercase().contains(p))
                    || r.handlers.iter().any(|h| h.to_lowercase().contains(p))
                    || r.methods.iter().any(|m| m.to_lowercase() == p)
            })
        })
        .map(|r| {
            let handlers = if r.handlers.is_empty() {
                "-".to_string()
            } else {
                r.handlers.join(", ")
            };
            let url = r
                .url
                .clone()
                .unwrap_or_else(|| format!("{} (url unresolved)", r.path));
            answer(
                &r.file,
                r.line,
                format!("{} {url}  {handlers}", r.methods.join(",")),
                json!({
                    "methods": r.methods,
                    "path": r.path,
                    "url": r.url,
                    "url_unresolved": r.url_unresolved,
                    "handlers": r.handlers,
                    "kind": r.kind,
                    "framework": r.framework,
                }),
            )
        })
        .collect())
}

fn uses(index: &Index, name: &str) -> Result<Vec<Answer>, String> {
    let mut out: Vec<Answer> = index
        .equal::<Use>(Table::Uses, name)?
        .into_iter()
        .map(|u| {
            answer(
                &u.file,
                u.line,
                format!("{} {} {} {name}", u.kind, u.id, u.how),
                json!({ "id": u.id, "kind": u.kind, "how": u.how }),
            )
        })
        .collect();
    out.sort_by(|a, b| a.text.cmp(&b.text));
    Ok(out)
}

fn tests_for(index: &Index, target: &str) -> Result<Vec<Answer>, String> {
    // Files whose tests cover the target, each with why.
    let mut why: BTreeMap<String, String> = BTreeMap::new();
    let path = normalize(target);
    if !target.contains('#') && !path.is_empty() && known_path(index, &path).is_ok() {
        for (import, via) in importing_files(index, &path, true)? {
            let through = via.map_or(String::new(), |v| format!(" through {v}"));
            why.entry(import.file)
                .or_insert_with(|| format!("imports {}{through}", import.specifier));
        }
    } else {
        let mut edges = Vec::new();
        for id in ids_for(index, target)? {
            edges.extend(index.edges_to(&id)?);
        }
        // The first call in each file says why.
        edges.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        for edge in edges {
            why.entry(edge.file)
                .or_insert_with(|| format!("calls {} at line {}", edge.callee, edge.line));
        }
    }
    let mut out = Vec::new();
    for (file, reason) in &why {
        for t in index.equal::<crate::extract::TestCase>(Table::Tests, file)? {
            out.push(answer(
                &t.file,
                t.line,
                format!("{} ({reason})", t.name),
                json!({
                    "name": t.name,
                    "kind": t.kind,
                    "framework": t.framework,
                    "why": reason,
                }),
            ));
        }
    }
    Ok(out)
}
