//! The extractor registry: one row per extractor — the built-in catalogue, then the query
//! extractors a repository declares in `discover.toml` — and `ExtractorId`, a row's index.
//! Everything that differs between extractors (name, version, description, grammars, query
//! files, word gates, the Rust layer that turns matches into items) is read from the row.
//!
//! The registry is built once per process: the parent installs it from `discover.toml`
//! before anything asks for an extractor, a worker from its `Init` frame. Ids travel and are
//! stored by name, never by index.

use super::Items;
use super::gates;
use super::scan::Scan;
use crate::lang::{Lang, QueryFamily};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::OnceLock;

/// Which Rust layer turns an extractor's matches (or the tree) into items; the engine has
/// one arm per layer. `Query` is the generic one: an item per match, captures as fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Calls,
    Components,
    Exports,
    Hooks,
    Imports,
    Mounts,
    Routes,
    Schemas,
    Symbols,
    Tests,
    Types,
    Query,
}

/// How the engine runs an extractor over a file.
#[derive(Clone, Copy)]
pub enum Run {
    /// The call graph: built by the file's one walk, which also collects every query's
    /// anchors.
    Walk,
    /// Symbols and imports: their matches gathered wherever their query ran (anchored,
    /// container rescans, word stretches), each read by the layer's `from_match`.
    Gather,
    /// A query scan handed to the extractor's Rust layer.
    Scan(fn(&mut Scan<'_, '_>, ExtractorId) -> Items),
    /// The export surface: read from the top of the tree, with the ids of the call graph's
    /// top-level nodes (the walk runs for it when the call graph is not wanted).
    Surface,
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Run::Walk => "walk",
            Run::Gather => "gather",
            Run::Scan(_) => "scan",
            Run::Surface => "surface",
        })
    }
}

/// A query file shipped inside the binary, for the grammars of one family.
#[derive(Debug)]
pub struct QueryFile {
    pub family: QueryFamily,
    /// Repository-relative path, for error messages.
    pub path: &'static str,
    pub source: &'static str,
}

/// `extractors/<dir>/<stem>.scm`, bundled.
macro_rules! query_file {
    ($dir:literal, $family:ident, $stem:literal) => {
        QueryFile {
            family: QueryFamily::$family,
            path: concat!("extractors/", $dir, "/", $stem, ".scm"),
            source: include_str!(concat!("../../extractors/", $dir, "/", $stem, ".scm")),
        }
    };
}

/// A word gate: whether a file (language, path, text) can hold anything an extractor finds.
pub type Gate = fn(Lang, &str, &[u8]) -> bool;

/// The words every match contains, in files of a language.
pub type WordsOf = fn(Lang) -> Option<&'static [&'static str]>;

/// One extractor.
#[derive(Debug)]
pub struct ExtractorDef {
    pub name: &'static str,
    /// Bumped whenever the output for the same input changes, so that every chunk it wrote
    /// turns stale. A query extractor's version is derived from its query file's content.
    pub version: u32,
    pub description: &'static str,
    /// The grammars it runs on; it never runs on another.
    pub langs: &'static [Lang],
    /// The item type it yields (one `Items` variant per built-in layer).
    pub layer: Layer,
    pub run: Run,
    /// Its bundled query files, by family (a TypeScript file may inherit JavaScript's).
    pub queries: &'static [QueryFile],
    /// Capture names its Rust layer reads; `None`: every capture is read (query extractors).
    pub captures: Option<&'static [&'static str]>,
    /// Whether a file can hold anything it finds, judged from the path and a substring
    /// search, before any query runs; `None`: every file of its languages can.
    pub gate: Option<Gate>,
    /// How deep below a scan's root a match may start (see `ExtractorId::max_start_depth`).
    pub max_start_depth: Option<u32>,
    /// Words every match contains, per language, when a query pass is limited to the
    /// stretches of the file around them.
    pub words: Option<WordsOf>,
    /// A repository's own query file (repository-relative path and text), for `Query`.
    pub query: Option<(&'static str, &'static str)>,
}

const JS_TS: &[Lang] = &[Lang::TypeScript, Lang::Tsx, Lang::JavaScript];
const ALL_LANGS: &[Lang] = &[Lang::TypeScript, Lang::Tsx, Lang::JavaScript, Lang::Python];

/// The built-in catalogue, in name order (the order of the summary and the manifest). A
/// new built-in extractor is a row here, its query files under `extractors/`, its Rust
/// layer in a file of its own, and its item type in `items!` (`mod.rs`).
const BUILTINS: [ExtractorDef; 11] = [
    ExtractorDef {
        name: "calls",
        version: 7,
        description: "the call graph: functions, methods and components with the calls, `new`s, JSX renders and definitions passed as values they make",
        langs: ALL_LANGS,
        layer: Layer::Calls,
        run: Run::Walk,
        queries: &[],
        captures: Some(super::calls::CAPTURES),
        gate: None,
        max_start_depth: None,
        words: None,
        query: None,
    },
    ExtractorDef {
        name: "components",
        version: 4,
        description: "React components: props, hooks called, child components rendered, contexts used",
        // Components need JSX (`LangDef::jsx`).
        langs: &[Lang::Tsx, Lang::JavaScript],
        layer: Layer::Components,
        run: Run::Scan(|scan, _| Items::Components(super::components::extract(scan))),
        queries: &[
            query_file!("components", TypeScript, "typescript"),
            query_file!("components", JavaScript, "javascript"),
        ],
        captures: Some(super::components::CAPTURES),
        gate: Some(gates::components),
        max_start_depth: None,
        words: None,
        query: None,
    },
    ExtractorDef {
        name: "exports",
        version: 3,
        description: "each file's export surface: every exported name with the definition it reaches through re-exports",
        langs: ALL_LANGS,
        layer: Layer::Exports,
        run: Run::Surface,
        queries: &[],
        captures: Some(&[]),
        gate: None,
        max_start_depth: None,
        words: None,
        query: None,
    },
    ExtractorDef {
        name: "hooks",
        version: 3,
        description: "custom React hooks: parameters, return type, hooks called",
        langs: JS_TS,
        layer: Layer::Hooks,
        run: Run::Scan(|scan, _| Items::Hooks(super::hooks::extract(scan))),
        queries: &[
            query_file!("hooks", TypeScript, "typescript"),
            query_file!("hooks", JavaScript, "javascript"),
        ],
        captures: Some(super::hooks::CAPTURES),
        gate: Some(gates::hooks),
        max_start_depth: None,
        words: None,
        query: None,
    },
    ExtractorDef {
        name: "imports",
        version: 2,
        description: "import / require / re-export statements, resolved to local files where possible",
        langs: ALL_LANGS,
        layer: Layer::Imports,
        run: Run::Gather,
        queries: &[
            query_file!("imports", TypeScript, "typescript"),
            query_file!("imports", JavaScript, "javascript"),
            query_file!("imports", Python, "python"),
        ],
        captures: Some(super::imports::CAPTURES),
        gate: None,
        max_start_depth: None,
        words: Some(gates::import_words),
        query: None,
    },
    ExtractorDef {
        name: "mounts",
        version: 12,
        description: "apps and routers with their prefixes, the mounts between them, and path constants: how URLs compose across files",
        langs: ALL_LANGS,
        layer: Layer::Mounts,
        run: Run::Scan(|scan, _| Items::Mounts(super::mounts::extract(scan))),
        queries: &[],
        captures: None,
        gate: Some(gates::mounts),
        max_start_depth: None,
        words: None,
        query: None,
    },
    ExtractorDef {
        name: "routes",
        version: 15,
        description: "HTTP endpoints and pages with their full URLs: Express-style routers, Next.js app and pages routers, FastAPI / Flask / Starlette, Django urls",
        langs: ALL_LANGS,
        layer: Layer::Routes,
        run: Run::Scan(|scan, _| Items::Routes(super::routes::extract(scan))),
        queries: &[
            query_file!("routes", TypeScript, "typescript"),
            query_file!("routes", JavaScript, "javascript"),
            query_file!("routes", Python, "python"),
        ],
        captures: Some(super::routes::CAPTURES),
        gate: Some(gates::routes),
        max_start_depth: None,
        words: None,
        query: None,
    },
    ExtractorDef {
        name: "schemas",
        version: 6,
        description: "data schemas: Zod, Joi, Yup, Valibot, mongoose, pydantic models, dataclasses, TypedDicts, attrs classes, Django and SQLAlchemy models, with their fields",
        langs: ALL_LANGS,
        layer: Layer::Schemas,
        run: Run::Scan(|scan, _| Items::Schemas(super::schemas::extract(scan))),
        queries: &[
            query_file!("schemas", TypeScript, "typescript"),
            query_file!("schemas", JavaScript, "javascript"),
            query_file!("schemas", Python, "python"),
        ],
        captures: Some(super::schemas::CAPTURES),
        gate: Some(gates::schemas),
        max_start_depth: None,
        words: None,
        query: None,
    },
    ExtractorDef {
        name: "symbols",
        version: 6,
        description: "functions, classes, methods, interfaces, type aliases, enums and exported variables",
        langs: ALL_LANGS,
        layer: Layer::Symbols,
        run: Run::Gather,
        queries: &[
            query_file!("symbols", TypeScript, "typescript"),
            query_file!("symbols", JavaScript, "javascript"),
            query_file!("symbols", Python, "python"),
        ],
        captures: Some(super::symbols::CAPTURES),
        gate: None,
        // Symbols live at module, namespace and class level, so the query cursor need not
        // descend into function bodies: the file is scanned to depth 5 (`export > class >
        // body > method`, `if > block > def`), and every class or namespace found is
        // scanned again from its own node, to any nesting.
        max_start_depth: Some(5),
        words: None,
        query: None,
    },
    ExtractorDef {
        name: "tests",
        version: 3,
        description: "tests: Jest / Vitest / Mocha / Playwright / node:test suites and cases, pytest functions and classes, unittest methods",
        langs: ALL_LANGS,
        layer: Layer::Tests,
        run: Run::Scan(|scan, _| Items::Tests(super::tests::extract(scan))),
        queries: &[
            query_file!("tests", TypeScript, "typescript"),
            query_file!("tests", JavaScript, "javascript"),
            query_file!("tests", Python, "python"),
        ],
        captures: Some(super::tests::CAPTURES),
        gate: Some(gates::tests),
        max_start_depth: None,
        words: None,
        query: None,
    },
    ExtractorDef {
        name: "types",
        version: 3,
        description: "TypeScript interfaces, type aliases, enums and classes' public shape, with members",
        // The grammars with types (`LangDef::types`).
        langs: &[Lang::TypeScript, Lang::Tsx],
        layer: Layer::Types,
        run: Run::Scan(|scan, _| Items::Types(super::types::extract(scan))),
        queries: &[query_file!("types", TypeScript, "typescript")],
        captures: Some(super::types::CAPTURES),
        gate: None,
        max_start_depth: None,
        words: None,
        query: None,
    },
];

/// An extractor, by its row in the registry.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtractorId(u16);

impl ExtractorId {
    pub const CALLS: ExtractorId = ExtractorId(0);
    pub const COMPONENTS: ExtractorId = ExtractorId(1);
    pub const EXPORTS: ExtractorId = ExtractorId(2);
    pub const HOOKS: ExtractorId = ExtractorId(3);
    pub const IMPORTS: ExtractorId = ExtractorId(4);
    pub const MOUNTS: ExtractorId = ExtractorId(5);
    pub const ROUTES: ExtractorId = ExtractorId(6);
    pub const SCHEMAS: ExtractorId = ExtractorId(7);
    pub const SYMBOLS: ExtractorId = ExtractorId(8);
    pub const TESTS: ExtractorId = ExtractorId(9);
    pub const TYPES: ExtractorId = ExtractorId(10);

    pub fn def(self) -> &'static ExtractorDef {
        &registry().defs[usize::from(self.0)]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    pub fn version(self) -> u32 {
        self.def().version
    }

    pub fn description(self) -> &'static str {
        self.def().description
    }

    pub fn layer(self) -> Layer {
        self.def().layer
    }

    /// Whether the extractor runs on files of `lang` at all.
    pub fn applies_to(self, lang: Lang) -> bool {
        self.def().langs.contains(&lang)
    }

    /// Every registered extractor, in name order.
    pub fn all() -> Vec<ExtractorId> {
        registry().by_name.clone()
    }

    pub fn from_name(name: &str) -> Option<ExtractorId> {
        let defs = &registry().defs;
        defs.iter()
            .position(|d| d.name == name)
            .and_then(|i| u16::try_from(i).ok())
            .map(ExtractorId)
    }

    /// The built-in extractor with this layer (each built-in layer has exactly one).
    pub fn builtin(layer: Layer) -> ExtractorId {
        let index = BUILTINS
            .iter()
            .position(|d| d.layer == layer)
            .unwrap_or_default();
        ExtractorId(index as u16)
    }
}

impl PartialOrd for ExtractorId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// By name: the order of the summary, the manifest and a chunk's outputs.
impl Ord for ExtractorId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl fmt::Display for ExtractorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for ExtractorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// By name, so that a frame or a file never depends on the order rows were registered in.
impl Serialize for ExtractorId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ExtractorId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        ExtractorId::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown extractor `{name}`")))
    }
}

/// A query extractor declared by the repository (`[[extractors]]` in `discover.toml`), with
/// its query file read: what the registry and the worker handshake carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserExtractor {
    pub name: String,
    pub description: String,
    pub langs: Vec<Lang>,
    /// Repository-relative path of the query file, for messages.
    pub query_path: String,
    pub query_source: String,
}

impl UserExtractor {
    /// The version: the first 32 bits of the hash of the query file and of how discover
    /// parses files, so that editing the query, or a discover that parses some file
    /// differently, makes the extractor's outputs stale.
    pub fn version(&self) -> u32 {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&super::engine::PARSE_REVISION.to_le_bytes());
        hasher.update(self.query_source.as_bytes());
        let hash = hasher.finalize();
        let bytes = hash.as_bytes();
        u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    }
}

pub struct Registry {
    defs: Vec<ExtractorDef>,
    /// Every id, in name order.
    by_name: Vec<ExtractorId>,
    user: Vec<UserExtractor>,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

fn registry() -> &'static Registry {
    REGISTRY.get_or_init(|| Registry::new(Vec::new()))
}

impl Registry {
    fn new(user: Vec<UserExtractor>) -> Registry {
        let mut defs: Vec<ExtractorDef> = BUILTINS.into_iter().collect();
        for u in &user {
            // The registry lives as long as the process: its rows borrow for `'static`.
            let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
            defs.push(ExtractorDef {
                name: leak(&u.name),
                version: u.version(),
                description: leak(&u.description),
                langs: Box::leak(u.langs.clone().into_boxed_slice()),
                layer: Layer::Query,
                run: Run::Scan(|scan, id| Items::Query(id, super::query_items::extract(scan))),
                queries: &[],
                captures: None,
                gate: None,
                max_start_depth: None,
                words: None,
                query: Some((leak(&u.query_path), leak(&u.query_source))),
            });
        }
        let mut by_name: Vec<ExtractorId> =
            (0..defs.len()).map(|i| ExtractorId(i as u16)).collect();
        by_name.sort_by_key(|id| defs[usize::from(id.0)].name);
        Registry {
            defs,
            by_name,
            user,
        }
    }
}

/// Installs the registry with the repository's own extractors; once per process, before
/// any extractor is looked up. Installing the same extractors again is a no-op; different
/// ones are refused (the process already answered questions with the first set).
pub fn install(user: Vec<UserExtractor>) -> Result<(), String> {
    if let Some(existing) = REGISTRY.get() {
        return if existing.user == user {
            Ok(())
        } else {
            Err("the extractor registry was already installed with other extractors".into())
        };
    }
    let _ = REGISTRY.set(Registry::new(user.clone()));
    if registry().user == user {
        Ok(())
    } else {
        Err("the extractor registry was already installed with other extractors".into())
    }
}

/// The repository's own extractors, as installed (for the worker handshake).
pub fn user_extractors() -> Vec<UserExtractor> {
    registry().user.clone()
}

/// The built-in extractors with their rows, in registry order.
pub fn builtins() -> impl Iterator<Item = (ExtractorId, &'static ExtractorDef)> {
    registry().defs[..BUILTINS.len()]
        .iter()
        .enumerate()
        .map(|(i, def)| (ExtractorId(i as u16), def))
}

/// Whether `name` belongs to a built-in extractor.
pub fn is_builtin(name: &str) -> bool {
    BUILTINS.iter().any(|d| d.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The language properties the built-in rows depend on are the table's.
    #[test]
    fn built_in_rows_follow_the_language_table() {
        let with = |flag: fn(&crate::lang::LangDef) -> bool| -> Vec<Lang> {
            Lang::ALL.into_iter().filter(|l| flag(l.def())).collect()
        };
        assert_eq!(
            ExtractorId::COMPONENTS.def().langs,
            with(|d| d.jsx).as_slice()
        );
        assert_eq!(ExtractorId::TYPES.def().langs, with(|d| d.types).as_slice());
        assert_eq!(
            ExtractorId::HOOKS.def().langs,
            with(|d| d.lang.is_js_like()).as_slice()
        );
        // Ids are rows, names are unique, and name order is the registry's order.
        let names: Vec<&str> = ExtractorId::all().iter().map(|e| e.name()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
