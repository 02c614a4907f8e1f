//! The extractor catalogue and the per-file engine that runs it.

mod anchor;
mod bindings;
mod calls;
mod components;
mod engine;
mod exports;
mod gates;
mod hooks;
mod ids;
mod imports;
mod mounts;
mod preorder;
mod query;
mod query_items;
mod react;
mod registry;
mod routes;
mod scan;
mod schemas;
mod symbols;
mod syntax;
mod tests;
mod types;

pub use calls::CallNode;
pub use components::Component;
pub use engine::{ExtractContext, ExtractError, ExtractorSet, FileFacts, extract_file};
pub use exports::{Export, ExportKind};
pub use hooks::Hook;
pub use imports::{Import, ImportKind};
pub use mounts::{Mount, MountKind, Segment, Via, join as mounts_join, route_url};
pub use query::{QueryLoadError, bundled_queries, check_user_query};
pub use query_items::QueryItem;
pub use registry::{
    ExtractorId, Layer, UserExtractor, install as install_registry,
    is_builtin as is_builtin_extractor, user_extractors,
};
pub use routes::Route;
pub use schemas::{Library, Schema};
pub use symbols::{Symbol, SymbolKind};
pub use tests::TestCase;
pub use types::TypeDef;

use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

impl ExtractorId {
    /// Whether a file can hold anything this extractor finds: by language, then by the
    /// row's word gate (`gates.rs`).
    pub fn admits(self, lang: Lang, path: &str, text: &[u8]) -> bool {
        self.applies_to(lang) && self.def().gate.is_none_or(|gate| gate(lang, path, text))
    }

    /// How deep below a scan's root a match may start (the row's bound; none by default).
    pub fn max_start_depth(self) -> Option<u32> {
        self.def().max_start_depth
    }

    /// Words every match of this extractor contains, when there are such words: a query
    /// pass then runs only over the stretches of the file around them.
    pub fn anchors(self, lang: Lang) -> Option<&'static [&'static str]> {
        self.def().words.and_then(|words| words(lang))
    }
}

/// Generates `Items`, one variant per built-in extractor holding that extractor's item type
/// (named after its layer), plus `Query` for the repository's query extractors, and the
/// operations the driver needs on a list of any of them. Every item type has a `file` field
/// and a total order that starts with it.
macro_rules! items {
    ($($variant:ident($item:ty)),* $(,)?) => {
        /// The items one extractor found, in one file or a whole chunk. Externally tagged so
        /// that it crosses the worker pipe in bincode; the JSON output serializes the inner
        /// list only.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Items {
            $($variant(Vec<$item>),)*
            Query(ExtractorId, Vec<QueryItem>),
        }

        impl Items {
            pub fn empty(extractor: ExtractorId) -> Items {
                match extractor.layer() {
                    $(Layer::$variant => Items::$variant(Vec::new()),)*
                    Layer::Query => Items::Query(extractor, Vec::new()),
                }
            }

            pub fn extractor(&self) -> ExtractorId {
                match self {
                    $(Items::$variant(_) => ExtractorId::builtin(Layer::$variant),)*
                    Items::Query(extractor, _) => *extractor,
                }
            }

            pub fn len(&self) -> usize {
                match self {
                    $(Items::$variant(v) => v.len(),)*
                    Items::Query(_, v) => v.len(),
                }
            }

            /// Appends `other`, which must come from the same extractor.
            pub fn extend(&mut self, other: Items) {
                match (self, other) {
                    $((Items::$variant(a), Items::$variant(b)) => a.extend(b),)*
                    (Items::Query(e, a), Items::Query(f, b)) if *e == f => a.extend(b),
                    _ => debug_assert!(false, "items of different extractors"),
                }
            }

            /// Sorts into the total order the output is written in (file, line, column,
            /// then the remaining fields), dropping exact duplicates.
            pub fn sort(&mut self) {
                match self {
                    $(Items::$variant(v) => {
                        v.sort();
                        v.dedup();
                    })*
                    Items::Query(_, v) => {
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
                match extractor.layer() {
                    $(Layer::$variant => serde_json::from_slice::<Stored<$item>>(bytes)
                        .ok()
                        .map(|s| Items::$variant(s.items)),)*
                    Layer::Query => QueryItem::read_output(bytes)
                        .map(|items| Items::Query(extractor, items)),
                }
            }

            /// Splits the items by the file they come from.
            pub fn by_file(self) -> HashMap<String, Items> {
                let mut out: HashMap<String, Items> = HashMap::new();
                match self {
                    $(Items::$variant(items) => {
                        for item in items {
                            if let Items::$variant(list) = out
                                .entry(item.file.clone())
                                .or_insert_with(|| Items::$variant(Vec::new()))
                            {
                                list.push(item);
                            }
                        }
                    })*
                    Items::Query(extractor, items) => {
                        for item in items {
                            if let Items::Query(_, list) = out
                                .entry(item.file.clone())
                                .or_insert_with(|| Items::Query(extractor, Vec::new()))
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
                    $(Items::$variant(items) => crate::manifest::to_json_bytes(&OutputFile {
                        extractor: extractor.name(),
                        version: extractor.version(),
                        chunk,
                        items,
                    }),)*
                    Items::Query(_, items) => crate::manifest::to_json_bytes(&OutputFile {
                        extractor: extractor.name(),
                        version: extractor.version(),
                        chunk,
                        items: &QueryItem::json_view(items),
                    }),
                }
            }
        }
    };
}

items! {
    Calls(CallNode),
    Components(Component),
    Exports(Export),
    Hooks(Hook),
    Imports(Import),
    Mounts(Mount),
    Routes(Route),
    Schemas(Schema),
    Symbols(Symbol),
    Tests(TestCase),
    Types(TypeDef),
}

impl Items {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The JSON shape of one `<extractor>/<chunk>.json`.
#[derive(Serialize)]
struct OutputFile<'a, T> {
    extractor: &'a str,
    version: u32,
    chunk: &'a str,
    items: &'a [T],
}
