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
use crate::render::absolute_id;
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

            /// Reads back the items of a rendered `<extractor>/<chunk>.json`, restoring what
            /// the rendering leaves out (`crate::render`): each item's `file`, its fields
            /// that are `null` or `false`, and its ids into its own file.
            pub fn from_output_json(extractor: ExtractorId, bytes: &[u8]) -> Option<Items> {
                #[derive(Deserialize)]
                struct Stored<T> {
                    files: std::collections::BTreeMap<String, Vec<T>>,
                }
                fn restore<T: StoredItem>(files: std::collections::BTreeMap<String, Vec<T>>) -> Vec<T> {
                    let mut out = Vec::new();
                    for (file, items) in files {
                        for mut item in items {
                            item.restore(&file);
                            out.push(item);
                        }
                    }
                    out
                }
                match extractor.layer() {
                    $(Layer::$variant => serde_json::from_slice::<Stored<$item>>(bytes)
                        .ok()
                        .map(|s| Items::$variant(restore(s.files))),)*
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

            /// The rendered `<extractor>/<chunk>.json` (`crate::render::chunk_json_bytes`).
            pub fn to_output_json(&self, chunk: &str) -> Vec<u8> {
                let extractor = self.extractor();
                let bytes = match self {
                    $(Items::$variant(items) => crate::render::chunk_json_bytes(&OutputFile {
                        extractor: extractor.name(),
                        version: extractor.version(),
                        chunk,
                        files: ByFile::new(items, |item: &$item| item.file.as_str()),
                    }, true),)*
                    Items::Query(_, items) => crate::render::chunk_json_bytes(&OutputFile {
                        extractor: extractor.name(),
                        version: extractor.version(),
                        chunk,
                        files: ByFile::new(&QueryItem::json_view(items), |view: &query_items::JsonView<'_>| view.file()),
                    }, false),
                };
                // Every test run checks that what is written reads back as what was found.
                #[cfg(debug_assertions)]
                {
                    let mut sorted = self.clone();
                    sorted.sort();
                    assert_eq!(
                        Items::from_output_json(extractor, &bytes).as_ref(),
                        Some(&sorted),
                        "{extractor} items of {chunk} do not read back as written"
                    );
                }
                bytes
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
struct OutputFile<'a, T: Serialize> {
    extractor: &'a str,
    version: u32,
    chunk: &'a str,
    files: ByFile<'a, T>,
}

/// Items as a map from each file to its items, in order (the items' total order starts
/// with the file).
struct ByFile<'a, T> {
    groups: std::collections::BTreeMap<&'a str, Vec<&'a T>>,
}

impl<'a, T> ByFile<'a, T> {
    fn new(items: &'a [T], file: impl Fn(&'a T) -> &'a str) -> Self {
        let mut groups: std::collections::BTreeMap<&str, Vec<&T>> = Default::default();
        for item in items {
            groups.entry(file(item)).or_default().push(item);
        }
        ByFile { groups }
    }
}

impl<T: Serialize> Serialize for ByFile<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.groups.iter())
    }
}

/// What an item read back from its chunk file gets again: its `file` (the key it is
/// written under) and its ids into that file (written `#Name`).
pub trait StoredItem {
    fn restore(&mut self, file: &str);
}

fn restore_via(via: &mut Option<mounts::Via>, file: &str) {
    if let Some(router) = via.as_mut().and_then(|v| v.router.as_mut()) {
        absolute_id(router, file);
    }
}

fn restore_opt(id: &mut Option<String>, file: &str) {
    if let Some(id) = id {
        absolute_id(id, file);
    }
}

/// The items without ids: only their file comes back.
macro_rules! stored_without_ids {
    ($($item:ty),*) => {
        $(impl StoredItem for $item {
            fn restore(&mut self, file: &str) {
                self.file = file.to_string();
            }
        })*
    };
}

/// The items whose one id is `id`.
macro_rules! stored_with_id {
    ($($item:ty),*) => {
        $(impl StoredItem for $item {
            fn restore(&mut self, file: &str) {
                self.file = file.to_string();
                absolute_id(&mut self.id, file);
            }
        })*
    };
}

stored_without_ids!(Import, TestCase);
stored_with_id!(Component, Hook, Schema, Symbol, TypeDef);

impl StoredItem for CallNode {
    fn restore(&mut self, file: &str) {
        self.file = file.to_string();
        absolute_id(&mut self.id, file);
        for edge in &mut self.edges {
            restore_opt(&mut edge.target, file);
        }
    }
}

impl StoredItem for Export {
    fn restore(&mut self, file: &str) {
        self.file = file.to_string();
        restore_opt(&mut self.id, file);
    }
}

impl StoredItem for Mount {
    fn restore(&mut self, file: &str) {
        self.file = file.to_string();
        restore_opt(&mut self.id, file);
        restore_via(&mut self.parent, file);
    }
}

impl StoredItem for Route {
    fn restore(&mut self, file: &str) {
        self.file = file.to_string();
        for handler in &mut self.handlers {
            absolute_id(handler, file);
        }
        restore_opt(&mut self.request, file);
        restore_opt(&mut self.response, file);
        restore_via(&mut self.router, file);
    }
}
