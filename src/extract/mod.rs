//! The extractor catalogue and the per-file engine that runs it.

mod engine;
mod imports;
mod query;
mod symbols;
mod syntax;

pub use engine::{ExtractContext, ExtractError, ExtractorSet, FileFacts, extract_file};
pub use imports::{Import, ImportKind};
pub use query::{QueryLoadError, bundled_queries};
pub use symbols::{Symbol, SymbolKind};

use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Deepest start of a symbol match below the root of a scan (the file, or a class or
/// namespace found in it); see `ExtractorId::max_start_depth`.
const SYMBOL_MAX_DEPTH: u32 = 5;

/// One extractor of the catalogue. The order of the variants is the order of the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtractorId {
    Imports,
    Symbols,
}

impl ExtractorId {
    pub const ALL: [ExtractorId; 2] = [ExtractorId::Imports, ExtractorId::Symbols];

    pub fn name(self) -> &'static str {
        match self {
            ExtractorId::Imports => "imports",
            ExtractorId::Symbols => "symbols",
        }
    }

    /// Bumped whenever the extractor's output for the same input changes, so that a new
    /// version makes every chunk it wrote stale.
    pub fn version(self) -> u32 {
        match self {
            ExtractorId::Imports => 1,
            ExtractorId::Symbols => 3,
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            ExtractorId::Imports => {
                "import / require / re-export statements, resolved to local files where possible"
            }
            ExtractorId::Symbols => {
                "functions, classes, methods, interfaces, type aliases, enums and exported variables"
            }
        }
    }

    /// How deep below a scan's root a match may start. Symbols live at module, namespace and
    /// class level, so the query cursor need not descend into function bodies: the file is
    /// scanned to depth 5 (`export > class > body > method`, `if > block > def`), and every
    /// class or namespace found is scanned again from its own node, to any nesting.
    pub fn max_start_depth(self) -> Option<u32> {
        match self {
            ExtractorId::Symbols => Some(SYMBOL_MAX_DEPTH),
            ExtractorId::Imports => None,
        }
    }

    /// Words every match of this extractor contains, when there are such words: the query
    /// then only runs over the stretches of the file around them instead of the whole tree.
    /// (`export { a } from "x"` has `from` but no `import`; `importlib.import_module` and
    /// `__import__` contain `import`.)
    pub fn anchors(self, lang: Lang) -> Option<&'static [&'static str]> {
        match (self, lang.is_js_like()) {
            (ExtractorId::Imports, true) => Some(&["import", "require", "from"]),
            (ExtractorId::Imports, false) => Some(&["import"]),
            (ExtractorId::Symbols, _) => None,
        }
    }

    pub fn from_name(name: &str) -> Option<ExtractorId> {
        ExtractorId::ALL.into_iter().find(|e| e.name() == name)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ExtractorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The items one extractor found, in one file or a whole chunk. Externally tagged so that it
/// crosses the worker pipe in bincode; the JSON output serializes the inner list only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Items {
    Imports(Vec<Import>),
    Symbols(Vec<Symbol>),
}

/// The JSON shape of one `<extractor>/<chunk>.json`.
#[derive(Serialize)]
struct OutputFile<'a, T> {
    extractor: &'a str,
    version: u32,
    chunk: &'a str,
    items: &'a [T],
}

impl Items {
    pub fn empty(extractor: ExtractorId) -> Items {
        match extractor {
            ExtractorId::Imports => Items::Imports(Vec::new()),
            ExtractorId::Symbols => Items::Symbols(Vec::new()),
        }
    }

    pub fn extractor(&self) -> ExtractorId {
        match self {
            Items::Imports(_) => ExtractorId::Imports,
            Items::Symbols(_) => ExtractorId::Symbols,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Items::Imports(v) => v.len(),
            Items::Symbols(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `other`, which must come from the same extractor.
    pub fn extend(&mut self, other: Items) {
        match (self, other) {
            (Items::Imports(a), Items::Imports(b)) => a.extend(b),
            (Items::Symbols(a), Items::Symbols(b)) => a.extend(b),
            _ => debug_assert!(false, "items of different extractors"),
        }
    }

    /// Sorts into the total order the output is written in (file, line, column, then the
    /// remaining fields), dropping exact duplicates.
    pub fn sort(&mut self) {
        match self {
            Items::Imports(v) => {
                v.sort();
                v.dedup();
            }
            Items::Symbols(v) => {
                v.sort();
                v.dedup();
            }
        }
    }

    /// Reads back the items of a rendered `<extractor>/<chunk>.json`.
    pub fn from_output_json(extractor: ExtractorId, bytes: &[u8]) -> Option<Items> {
        #[derive(Deserialize)]
        struct Stored<T> {
            items: Vec<T>,
        }
        match extractor {
            ExtractorId::Imports => serde_json::from_slice::<Stored<Import>>(bytes)
                .ok()
                .map(|s| Items::Imports(s.items)),
            ExtractorId::Symbols => serde_json::from_slice::<Stored<Symbol>>(bytes)
                .ok()
                .map(|s| Items::Symbols(s.items)),
        }
    }

    /// Splits the items by the file they come from.
    pub fn by_file(self) -> std::collections::HashMap<String, Items> {
        let mut out: std::collections::HashMap<String, Items> = std::collections::HashMap::new();
        let extractor = self.extractor();
        match self {
            Items::Imports(items) => {
                for item in items {
                    if let Items::Imports(list) = out
                        .entry(item.file.clone())
                        .or_insert_with(|| Items::empty(extractor))
                    {
                        list.push(item);
                    }
                }
            }
            Items::Symbols(items) => {
                for item in items {
                    if let Items::Symbols(list) = out
                        .entry(item.file.clone())
                        .or_insert_with(|| Items::empty(extractor))
                    {
                        list.push(item);
                    }
                }
            }
        }
        out
    }

    /// The rendered `<extractor>/<chunk>.json`.
    pub fn to_output_json(&self, chunk: &str) -> Vec<u8> {
        let extractor = self.extractor();
        match self {
            Items::Imports(items) => crate::manifest::to_json_bytes(&OutputFile {
                extractor: extractor.name(),
                version: extractor.version(),
                chunk,
                items,
            }),
            Items::Symbols(items) => crate::manifest::to_json_bytes(&OutputFile {
                extractor: extractor.name(),
                version: extractor.version(),
                chunk,
                items,
            }),
        }
    }
}
