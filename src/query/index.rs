//! The query index: what `discover query` and `discover mcp` read instead of `.state/`'s
//! JSON, derived from it once per state and kept in the per-machine cache
//! (`$XDG_CACHE_HOME/discover/index/`), never in `.state/`. It is keyed by the hash of the
//! manifest (which names every output's content hash) and of this build's extractor
//! versions, so a state written again, by any run, is indexed again, and an index is never
//! read for a state it does not describe.
//!
//! Reading the state's JSON for a question costs about as much as the state is large (0.1–0.5 s
//! on the bench corpus); the index answers in milliseconds because each question reads one
//! or two tables of rows sorted by the key it asks by, finds its rows by binary search, and
//! decodes only those. A table is one file:
//!
//! ```text
//! "DQX1"  count: u32  offsets: [u32; count + 1]  rows
//! row = key length: u32, key (UTF-8), payload (JSON of the row, to the next offset)
//! ```
//!
//! Rows of equal keys keep the order of the state (chunk by chunk, item by item).

use super::State;
use crate::extract::{ExtractorId, Items};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// Bumped whenever a table's layout or a payload changes.
const INDEX_VERSION: u32 = 1;
const MAGIC: &[u8; 4] = b"DQX1";
/// Indexes of earlier states are removed once they are this old (seconds): a query of
/// another process may still be reading one.
const KEEP_SECONDS: u64 = 600;

/// The tables, each sorted by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Every definition (symbols, and call-graph nodes that are no symbol), by its simple
    /// name in lower case. Payload [`Def`].
    Defs,
    /// Call edges that have a target, by target id. Payload [`EdgeRow`].
    EdgesByTarget,
    /// Every call edge, by the id of the definition that makes it. Payload [`EdgeRow`].
    EdgesByCaller,
    /// Exported names, by file. Payload [`crate::extract::Export`].
    Exports,
    /// Imports, once per file they resolve to, by that file. Payload
    /// [`crate::extract::Import`].
    Imports,
    /// Test cases, by file. Payload [`crate::extract::TestCase`].
    Tests,
    /// Routes, by file. Payload [`crate::extract::Route`].
    Routes,
    /// Components and hooks, by each hook they call and component they render. Payload
    /// [`Use`].
    Uses,
    /// Every source file of the inventory, with an empty payload.
    Files,
}

const TABLES: [Table; 9] = [
    Table::Defs,
    Table::EdgesByTarget,
    Table::EdgesByCaller,
    Table::Exports,
    Table::Imports,
    Table::Tests,
    Table::Routes,
    Table::Uses,
    Table::Files,
];

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Defs => "defs",
            Table::EdgesByTarget => "edges-by-target",
            Table::EdgesByCaller => "edges-by-caller",
            Table::Exports => "exports",
            Table::Imports => "imports",
            Table::Tests => "tests",
            Table::Routes => "routes",
            Table::Uses => "uses",
            Table::Files => "files",
        }
    }

    /// Into how many files the table is split by a hash of its keys: the edge tables
    /// hold most of the index's bytes and are only ever asked for one key, so a question
    /// reads a sixteenth of them.
    fn shards(self) -> usize {
        match self {
            Table::EdgesByTarget | Table::EdgesByCaller => SHARDS,
            _ => 1,
        }
    }

    /// The first part of the table, in the order the parts are numbered.
    fn base(self) -> usize {
        TABLES
            .iter()
            .take_while(|t| **t != self)
            .map(|t| t.shards())
            .sum()
    }

    /// The part that holds the rows of `key`.
    fn part(self, key: &str) -> usize {
        if self.shards() == 1 {
            return self.base();
        }
        // FNV-1a: stable, and the index is read only by the build that wrote it anyway.
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        self.base() + (hash % self.shards() as u64) as usize
    }
}

const SHARDS: usize = 16;
/// Files in an index: one per table, `SHARDS` per edge table.
const PARTS: usize = TABLES.len() - 2 + 2 * SHARDS;

/// The file name of a part.
fn part_file(part: usize) -> String {
    let table = TABLES
        .iter()
        .rev()
        .find(|t| t.base() <= part)
        .copied()
        .unwrap_or(Table::Defs);
    if table.shards() == 1 {
        format!("{}.bin", table.name())
    } else {
        format!("{}-{:02}.bin", table.name(), part - table.base())
    }
}

/// A definition as `symbol` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Def {
    pub id: String,
    pub kind: String,
    pub file: String,
    pub line: u32,
    pub detail: String,
}

/// A call edge with the definition that makes it. Stored without what the key says: by
/// target as [`ByTarget`], by caller as [`ByCaller`] (most of the index's bytes are edges).
#[derive(Debug, Clone)]
pub struct EdgeRow {
    pub caller: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub callee: String,
    pub kind: String,
    pub target: Option<String>,
    pub module: Option<String>,
}

/// An edge filed by its target: caller, line, column, callee, kind, module.
type ByTarget = (String, u32, u32, String, String, Option<String>);
/// An edge filed by its caller: line, column, callee, kind, target, module.
type ByCaller = (u32, u32, String, String, Option<String>, Option<String>);

/// The file of a definition's id (`path#Q` → `path`).
fn id_file(id: &str) -> String {
    id.split_once('#').map_or(id, |(file, _)| file).to_string()
}

/// A component or hook that calls a hook or renders a component.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Use {
    pub id: String,
    pub kind: String,
    pub how: String,
    pub file: String,
    pub line: u32,
}

/// One table's bytes, checked to be well formed when loaded.
struct Rows {
    bytes: Vec<u8>,
    count: usize,
}

impl Rows {
    fn parse(bytes: Vec<u8>) -> Option<Rows> {
        if bytes.len() < 8 || &bytes[..4] != MAGIC {
            return None;
        }
        let count = u32::from_le_bytes(bytes[4..8].try_into().ok()?) as usize;
        let data = 8 + (count + 1) * 4;
        if bytes.len() < data {
            return None;
        }
        let rows = Rows { bytes, count };
        // Offsets ascend within the data, and every key fits in its row and is UTF-8: a
        // damaged table is refused whole, never read past.
        let mut previous = data;
        for i in 0..=count {
            let at = rows.offset(i);
            if at < previous || at > rows.bytes.len() {
                return None;
            }
            if i < count {
                let end = rows.offset(i + 1);
                if end < at + 4 || end > rows.bytes.len() {
                    return None;
                }
                let len = u32::from_le_bytes(rows.bytes[at..at + 4].try_into().ok()?) as usize;
                if at + 4 + len > end
                    || std::str::from_utf8(&rows.bytes[at + 4..at + 4 + len]).is_err()
                {
                    return None;
                }
            }
            previous = at;
        }
        Some(rows)
    }

    fn offset(&self, i: usize) -> usize {
        let at = 8 + i * 4;
        let word: [u8; 4] = self.bytes[at..at + 4].try_into().unwrap_or_default();
        8 + (self.count + 1) * 4 + u32::from_le_bytes(word) as usize
    }

    fn row(&self, i: usize) -> (&str, &[u8]) {
        let (start, end) = (self.offset(i), self.offset(i + 1));
        let word: [u8; 4] = self.bytes[start..start + 4].try_into().unwrap_or_default();
        let key_end = start + 4 + u32::from_le_bytes(word) as usize;
        // Checked in `parse`.
        let key = std::str::from_utf8(&self.bytes[start + 4..key_end]).unwrap_or_default();
        (key, &self.bytes[key_end..end])
    }

    /// The first row whose key is not below `key`.
    fn lower_bound(&self, key: &str) -> usize {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.row(mid).0 < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Rows whose key satisfies `keep`, from the first whose key is not below `from`, until
    /// the first that does not.
    fn run<'a>(
        &'a self,
        from: &str,
        keep: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        (self.lower_bound(from)..self.count)
            .map(|i| self.row(i))
            .take_while(move |(k, _)| keep(k))
    }
}

/// Serialises rows into a table: sorted by key, stably, so equal keys keep their order.
fn encode(mut rows: Vec<(String, Vec<u8>)>) -> Vec<u8> {
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut data = Vec::new();
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    for (key, payload) in &rows {
        offsets.push(data.len() as u32);
        data.extend_from_slice(&(key.len() as u32).to_le_bytes());
        data.extend_from_slice(key.as_bytes());
        data.extend_from_slice(payload);
    }
    offsets.push(data.len() as u32);
    let mut out = Vec::with_capacity(8 + offsets.len() * 4 + data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    for o in offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    out.extend_from_slice(&data);
    out
}

fn row<T: Serialize>(key: &str, payload: &T) -> Result<(String, Vec<u8>), String> {
    Ok((
        key.to_string(),
        serde_json::to_vec(payload).map_err(|e| e.to_string())?,
    ))
}

/// The simple name of a qualified one, without a `~N`.
pub fn simple(qualified: &str) -> &str {
    let last = qualified.rsplit('.').next().unwrap_or(qualified);
    last.split('~').next().unwrap_or(last)
}

/// The qualified name of an id (`path#Q` → `Q`).
pub fn qualified(id: &str) -> &str {
    id.rsplit_once('#').map_or(id, |(_, q)| q)
}

/// The key a definition is found by.
pub fn def_key(id: &str) -> String {
    simple(qualified(id)).to_lowercase()
}

/// Every table, derived from the state's items.
fn build(state: &State) -> Result<Vec<Vec<u8>>, String> {
    let mut tables: Vec<Vec<(String, Vec<u8>)>> = vec![Vec::new(); PARTS];
    let mut push =
        |table: Table, entry: (String, Vec<u8>)| tables[table.part(&entry.0)].push(entry);

    let mut known = std::collections::BTreeSet::new();
    if let Items::Symbols(symbols) = state.items(ExtractorId::SYMBOLS)? {
        for s in symbols {
            known.insert(s.id.clone());
            let def = Def {
                kind: super::kind_text(&s.kind),
                id: s.id,
                file: s.file,
                line: s.line,
                detail: s.signature,
            };
            push(Table::Defs, row(&def_key(&def.id), &def)?);
        }
    }
    if let Items::Calls(nodes) = state.items(ExtractorId::CALLS)? {
        for node in nodes {
            for edge in node.edges {
                let edge = EdgeRow {
                    caller: node.id.clone(),
                    file: node.file.clone(),
                    line: edge.line,
                    column: edge.column,
                    callee: edge.callee,
                    kind: super::kind_text(&edge.kind),
                    target: edge.target,
                    module: edge.module,
                };
                let by_caller: ByCaller = (
                    edge.line,
                    edge.column,
                    edge.callee.clone(),
                    edge.kind.clone(),
                    edge.target.clone(),
                    edge.module.clone(),
                );
                if let Some(target) = &edge.target {
                    let by_target: ByTarget = (
                        edge.caller,
                        edge.line,
                        edge.column,
                        edge.callee,
                        edge.kind,
                        edge.module,
                    );
                    push(Table::EdgesByTarget, row(target, &by_target)?);
                }
                push(Table::EdgesByCaller, row(&node.id, &by_caller)?);
            }
            // Nested functions are nodes only; the module node is no definition.
            if known.contains(&node.id) || node.name == "<module>" {
                continue;
            }
            let def = Def {
                kind: super::kind_text(&node.kind),
                id: node.id,
                file: node.file,
                line: node.line,
                detail: node.name,
            };
            push(Table::Defs, row(&def_key(&def.id), &def)?);
        }
    }
    if let Items::Exports(exports) = state.items(ExtractorId::EXPORTS)? {
        for e in exports {
            push(Table::Exports, row(&e.file, &e)?);
        }
    }
    if let Items::Imports(imports) = state.items(ExtractorId::IMPORTS)? {
        for i in imports {
            for target in &i.targets {
                push(Table::Imports, row(target, &i)?);
            }
        }
    }
    if let Items::Tests(tests) = state.items(ExtractorId::TESTS)? {
        for t in tests {
            push(Table::Tests, row(&t.file, &t)?);
        }
    }
    if let Items::Routes(routes) = state.items(ExtractorId::ROUTES)? {
        for r in routes {
            push(Table::Routes, row(&r.file, &r)?);
        }
    }
    if let Items::Components(components) = state.items(ExtractorId::COMPONENTS)? {
        for c in components {
            let uses = c
                .hooks
                .iter()
                .map(|h| (h, "calls"))
                .chain(c.children.iter().map(|h| (h, "renders")));
            let mut seen = std::collections::BTreeSet::new();
            for (name, how) in uses {
                // A component that calls and renders one name counts as calling it.
                if seen.insert(name.as_str()) {
                    let u = Use {
                        id: c.id.clone(),
                        kind: "component".into(),
                        how: how.into(),
                        file: c.file.clone(),
                        line: c.line,
                    };
                    push(Table::Uses, row(name, &u)?);
                }
            }
        }
    }
    if let Items::Hooks(hooks) = state.items(ExtractorId::HOOKS)? {
        for h in hooks {
            let names: std::collections::BTreeSet<&String> = h.hooks.iter().collect();
            for name in names {
                let u = Use {
                    id: h.id.clone(),
                    kind: "hook".into(),
                    how: "calls".into(),
                    file: h.file.clone(),
                    line: h.line,
                };
                push(Table::Uses, row(name, &u)?);
            }
        }
    }
    for file in state.files() {
        push(Table::Files, (file.to_string(), Vec::new()));
    }
    Ok(tables.into_iter().map(encode).collect())
}

/// Where an index's tables come from.
enum Source {
    /// Files in the per-machine cache, read as questions need them.
    Dir(PathBuf),
    /// Built in memory: the cache is unavailable or could not be written.
    Memory(Vec<Vec<u8>>),
}

/// The index of one state, its tables loaded as questions need them.
pub struct Index {
    source: Source,
    shown: String,
    parts: [OnceCell<Rows>; PARTS],
}

impl Index {
    /// The index of the state in `state_dir` (shown as `shown`): from the cache, or built
    /// from the state and stored there.
    pub fn open(state_dir: &Path, shown: &str) -> Result<Index, String> {
        let manifest_path = state_dir.join(crate::manifest::MANIFEST_FILE);
        let shown_manifest = format!("{shown}/{}", crate::manifest::MANIFEST_FILE);
        let manifest = match std::fs::read(&manifest_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "no inventory: {shown_manifest} does not exist; run `discover` first"
                ));
            }
            Err(e) => return Err(format!("cannot read {shown_manifest}: {e}")),
        };
        let home =
            crate::hash_cache::cache_dir().map(|d| d.join("index").join(state_key(state_dir)));
        let key = index_key(&manifest);
        let source = match &home {
            Some(home) if home.join(&key).is_dir() => Source::Dir(home.join(&key)),
            _ => {
                let state = State::parse(state_dir, shown, &manifest)?;
                let tables = build(&state)?;
                match home.and_then(|home| store(&home, &key, &tables)) {
                    Some(dir) => Source::Dir(dir),
                    None => Source::Memory(tables),
                }
            }
        };
        Ok(Index {
            source,
            shown: shown.to_string(),
            parts: std::array::from_fn(|_| OnceCell::new()),
        })
    }

    fn rows(&self, part: usize) -> Result<&Rows, String> {
        let cell = &self.parts[part];
        if let Some(rows) = cell.get() {
            return Ok(rows);
        }
        let (bytes, path) = match &self.source {
            Source::Memory(parts) => (parts[part].clone(), None),
            Source::Dir(dir) => {
                let path = dir.join(part_file(part));
                let bytes = std::fs::read(&path).map_err(|_| self.damaged(Some(&path)))?;
                (bytes, Some(path))
            }
        };
        let Some(rows) = Rows::parse(bytes) else {
            return Err(self.damaged(path.as_deref()));
        };
        Ok(cell.get_or_init(|| rows))
    }

    /// The error for a damaged table. The index is removed, so the next question builds
    /// it again from the state.
    fn damaged(&self, path: Option<&Path>) -> String {
        if let Source::Dir(dir) = &self.source {
            let _ = std::fs::remove_dir_all(dir);
        }
        format!(
            "the query index of {} is damaged{}; it was removed and is rebuilt by the next question",
            self.shown,
            path.map_or(String::new(), |p| format!(" ({})", p.display()))
        )
    }

    fn decode<T: DeserializeOwned>(&self, part: usize, payload: &[u8]) -> Result<T, String> {
        serde_json::from_slice(payload).map_err(|_| {
            let path = match &self.source {
                Source::Dir(dir) => Some(dir.join(part_file(part))),
                Source::Memory(_) => None,
            };
            self.damaged(path.as_deref())
        })
    }

    /// The rows of `table` whose key is `key`, decoded.
    pub fn equal<T: DeserializeOwned>(&self, table: Table, key: &str) -> Result<Vec<T>, String> {
        let part = table.part(key);
        self.rows(part)?
            .run(key, |k| k == key)
            .map(|(_, p)| self.decode(part, p))
            .collect()
    }

    /// The rows of `table` (one not split into shards) whose key starts with `prefix`,
    /// with their keys, decoded.
    pub fn prefixed<T: DeserializeOwned>(
        &self,
        table: Table,
        prefix: &str,
    ) -> Result<Vec<(String, T)>, String> {
        debug_assert_eq!(table.shards(), 1);
        let part = table.base();
        self.rows(part)?
            .run(prefix, |k| k.starts_with(prefix))
            .map(|(k, p)| Ok((k.to_string(), self.decode(part, p)?)))
            .collect()
    }

    /// The rows of `table` whose key is the file `path` or a file under the directory
    /// `path` (every row when `path` is empty), decoded.
    pub fn under<T: DeserializeOwned>(
        &self,
        table: Table,
        path: &str,
    ) -> Result<Vec<(String, T)>, String> {
        if path.is_empty() {
            return self.prefixed(table, "");
        }
        let mut out: Vec<(String, T)> = self
            .equal(table, path)?
            .into_iter()
            .map(|t| (path.to_string(), t))
            .collect();
        out.extend(self.prefixed(table, &format!("{path}/"))?);
        Ok(out)
    }

    /// The call edges that reach the definition `id`.
    pub fn edges_to(&self, id: &str) -> Result<Vec<EdgeRow>, String> {
        Ok(self
            .equal::<ByTarget>(Table::EdgesByTarget, id)?
            .into_iter()
            .map(|(caller, line, column, callee, kind, module)| EdgeRow {
                file: id_file(&caller),
                caller,
                line,
                column,
                callee,
                kind,
                target: Some(id.to_string()),
                module,
            })
            .collect())
    }

    /// The call edges the definition `id` makes.
    pub fn edges_from(&self, id: &str) -> Result<Vec<EdgeRow>, String> {
        Ok(self
            .equal::<ByCaller>(Table::EdgesByCaller, id)?
            .into_iter()
            .map(|(line, column, callee, kind, target, module)| EdgeRow {
                caller: id.to_string(),
                file: id_file(id),
                line,
                column,
                callee,
                kind,
                target,
                module,
            })
            .collect())
    }

    /// Whether any row of `table` has the key `path` or one under the directory `path`.
    pub fn has_under(&self, table: Table, path: &str) -> Result<bool, String> {
        debug_assert_eq!(table.shards(), 1);
        let rows = self.rows(table.base())?;
        if path.is_empty() {
            return Ok(rows.count > 0);
        }
        let dir = format!("{path}/");
        Ok(rows.run(path, |k| k == path).next().is_some()
            || rows.run(&dir, |k| k.starts_with(&dir)).next().is_some())
    }
}

/// The directory of one state directory's indexes.
fn state_key(state_dir: &Path) -> String {
    let dir = state_dir
        .canonicalize()
        .unwrap_or_else(|_| state_dir.to_path_buf());
    crate::hash::short_hex(blake3::hash(dir.as_os_str().as_encoded_bytes()).as_bytes())
}

/// The name of the index of a state: its manifest's bytes, and what this build makes of
/// them (the index layout, and each extractor's version, since items of another version
/// are not read).
fn index_key(manifest: &[u8]) -> String {
    let mut key = blake3::Hasher::new();
    key.update(&INDEX_VERSION.to_le_bytes());
    key.update(env!("CARGO_PKG_VERSION").as_bytes());
    for id in ExtractorId::all() {
        key.update(id.name().as_bytes());
        key.update(&id.version().to_le_bytes());
    }
    key.update(manifest);
    crate::hash::short_hex(key.finalize().as_bytes())
}

/// Writes the tables under `home/key`, whole or not at all (a directory written aside and
/// renamed into place), and removes indexes of earlier states that nobody can still be
/// reading. `None` when the cache cannot be written.
fn store(home: &Path, key: &str, tables: &[Vec<u8>]) -> Option<PathBuf> {
    std::fs::create_dir_all(home).ok()?;
    let done = home.join(key);
    let temp = home.join(format!(".{key}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    let written = std::fs::create_dir(&temp).is_ok()
        && tables
            .iter()
            .enumerate()
            .all(|(part, bytes)| std::fs::write(temp.join(part_file(part)), bytes).is_ok());
    // Another question may have stored the same index meanwhile: theirs is as good.
    if !written || (std::fs::rename(&temp, &done).is_err() && !done.is_dir()) {
        let _ = std::fs::remove_dir_all(&temp);
        return None;
    }
    let _ = std::fs::remove_dir_all(&temp);
    if let Ok(entries) = std::fs::read_dir(home) {
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > KEEP_SECONDS);
            if entry.file_name() != key && old {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    Some(done)
}
