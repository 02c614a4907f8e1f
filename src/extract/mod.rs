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
mod pattern;
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
use crate::render::{
    NAME_LEFT_OUT, Names, absolute_id, name_from_qualified, parent_from_qualified,
};
use foldhash::HashMap;
use serde::{Deserialize, Serialize};

/// Holds each of `kinds` to serde's name for it: the direct writers write `name`'s.
#[cfg(test)]
pub(crate) fn assert_serde_names<T: Serialize + Copy>(
    kinds: &[T],
    name: impl Fn(T) -> &'static str,
) {
    for &kind in kinds {
        assert_eq!(
            serde_json::to_string(&kind).unwrap(),
            format!("\"{}\"", name(kind))
        );
    }
}

/// Every fixture source file (`tests/fixtures`) with its path, language, bytes and tree:
/// the unit tests that hold a fast path to the plain one run it on all of them. Returns how
/// many files there were.
#[cfg(test)]
pub(crate) fn for_each_fixture(mut f: impl FnMut(&str, Lang, &[u8], &tree_sitter::Tree)) -> usize {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = 0;
    for entry in ignore::WalkBuilder::new(&fixtures)
        .standard_filters(false)
        .build()
    {
        let entry = entry.expect("fixture dir is readable");
        let path = entry.path().to_string_lossy().into_owned();
        let Some(lang) = Lang::from_path(&path) else {
            continue;
        };
        let Ok(text) = std::fs::read(entry.path()) else {
            continue;
        };
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).expect("grammar loads");
        let tree = parser.parse(&text, None).expect("parses");
        f(&path, lang, &text, &tree);
        files += 1;
    }
    files
}

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

            /// Makes room for `additional` more items.
            pub fn reserve(&mut self, additional: usize) {
                match self {
                    $(Items::$variant(v) => v.reserve(additional),)*
                    Items::Query(_, v) => v.reserve(additional),
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
            /// that are `null` or `false`, its ids into its own file, a `name` its id
            /// gives, and the call edges' bindings kept in the chunk's `imports` table.
            pub fn from_output_json(extractor: ExtractorId, bytes: &[u8]) -> Option<Items> {
                #[derive(Deserialize)]
                struct Stored<T> {
                    #[serde(default)]
                    imports: std::collections::BTreeMap<String, calls::Bindings>,
                    files: std::collections::BTreeMap<String, Vec<T>>,
                }
                fn restore<T: StoredItem>(stored: Stored<T>) -> Vec<T> {
                    let mut out = Vec::new();
                    for (file, items) in stored.files {
                        let bindings = stored.imports.get(&file);
                        for mut item in items {
                            item.restore(&file, bindings);
                            out.push(item);
                        }
                    }
                    out
                }
                match extractor.layer() {
                    $(Layer::$variant => serde_json::from_slice::<Stored<$item>>(bytes)
                        .ok()
                        .map(|s| Items::$variant(restore(s))),)*
                    Layer::Query => QueryItem::read_output(bytes)
                        .map(|items| Items::Query(extractor, items)),
                }
            }

            /// Splits the items by the file they come from.
            pub fn by_file(self) -> HashMap<String, Items> {
                let mut out: HashMap<String, Items> = HashMap::default();
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
                    $(Items::$variant(items) => <$item as StoredItem>::chunk_json(extractor, chunk, items),)*
                    Items::Query(_, items) => crate::render::chunk_json_bytes(&OutputFile {
                        extractor: extractor.name(),
                        version: extractor.version(),
                        chunk,
                        imports: None::<()>,
                        files: ByFile::new(&QueryItem::json_view(items), |view: &query_items::JsonView<'_>| view.file()),
                    }, false, Names::Kept),
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

/// The JSON shape of one `<extractor>/<chunk>.json`; only `calls` has `imports`.
#[derive(Serialize)]
struct OutputFile<'a, I: Serialize, T: Serialize> {
    extractor: &'a str,
    version: u32,
    chunk: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    imports: Option<I>,
    files: T,
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

/// How one item type is written to its chunk file and read back.
pub trait StoredItem: Serialize + HasFile + Sized {
    /// Whether, and how, an item's `name` follows from its `id` (then it is left out).
    const NAMES: Names = Names::Kept;

    /// The rendered `<extractor>/<chunk>.json` of `items`.
    fn chunk_json(extractor: ExtractorId, chunk: &str, items: &[Self]) -> Vec<u8> {
        crate::render::chunk_json_bytes(
            &OutputFile {
                extractor: extractor.name(),
                version: extractor.version(),
                chunk,
                imports: None::<()>,
                files: ByFile::new(items, |item: &Self| item.file()),
            },
            true,
            Self::NAMES,
        )
    }

    /// What an item read back from its chunk file gets again: its `file` (the key it is
    /// written under), its ids into that file (written `#Name`), a `name` its id gives,
    /// and, for call edges, their file's `bindings`.
    fn restore(&mut self, file: &str, bindings: Option<&calls::Bindings>);
}

/// The source file an item comes from.
pub trait HasFile {
    fn file(&self) -> &str;
}

/// The qualified name of an id into `file` (`<file>#Q` → `Q`); none for another file's.
fn own_qualified<'a>(id: &'a str, file: &str) -> Option<&'a str> {
    id.strip_prefix(file)?.strip_prefix('#')
}

/// `name` again, if it was left out: the id's qualified name as `names` reads it.
fn restore_name(name: &mut String, id: &str, file: &str, names: Names) {
    if name == NAME_LEFT_OUT
        && let Some(qualified) = own_qualified(id, file)
    {
        *name = name_from_qualified(qualified, names);
    }
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

macro_rules! has_file {
    ($($item:ty),*) => {
        $(impl HasFile for $item {
            fn file(&self) -> &str {
                &self.file
            }
        })*
    };
}

has_file!(
    CallNode, Component, Export, Hook, Import, Mount, Route, Schema, Symbol, TestCase, TypeDef
);

/// The items whose one id is `id`, and whose `name` it gives (`$names`).
macro_rules! stored_with_id {
    ($names:expr => $($item:ty),*) => {
        $(impl StoredItem for $item {
            const NAMES: Names = $names;

            fn restore(&mut self, file: &str, _: Option<&calls::Bindings>) {
                self.file = file.to_string();
                absolute_id(&mut self.id, file);
                restore_name(&mut self.name, &self.id, file, Self::NAMES);
            }
        })*
    };
}

impl StoredItem for TestCase {
    fn chunk_json(extractor: ExtractorId, chunk: &str, items: &[Self]) -> Vec<u8> {
        direct_chunk_json(extractor, chunk, items, |out, test, _| test.write_line(out))
    }

    fn restore(&mut self, file: &str, _: Option<&calls::Bindings>) {
        self.file = file.to_string();
    }
}

impl StoredItem for Import {
    fn chunk_json(extractor: ExtractorId, chunk: &str, items: &[Self]) -> Vec<u8> {
        direct_chunk_json(extractor, chunk, items, |out, import, _| {
            import.write_line(out)
        })
    }

    fn restore(&mut self, file: &str, _: Option<&calls::Bindings>) {
        self.file = file.to_string();
    }
}
stored_with_id!(Names::Qualified => Hook, Schema);

impl StoredItem for Component {
    const NAMES: Names = Names::Qualified;

    fn chunk_json(extractor: ExtractorId, chunk: &str, items: &[Self]) -> Vec<u8> {
        direct_chunk_json(extractor, chunk, items, |out, component, file| {
            component.write_line(out, file);
        })
    }

    fn restore(&mut self, file: &str, _: Option<&calls::Bindings>) {
        self.file = file.to_string();
        absolute_id(&mut self.id, file);
        restore_name(&mut self.name, &self.id, file, Self::NAMES);
    }
}

impl StoredItem for TypeDef {
    const NAMES: Names = Names::Simple;

    fn chunk_json(extractor: ExtractorId, chunk: &str, items: &[Self]) -> Vec<u8> {
        direct_chunk_json(extractor, chunk, items, |out, typedef, file| {
            typedef.write_line(out, file);
        })
    }

    fn restore(&mut self, file: &str, _: Option<&calls::Bindings>) {
        self.file = file.to_string();
        restore_with_parent(&mut self.id, &mut self.name, &mut self.parent, file);
    }
}

impl StoredItem for Symbol {
    const NAMES: Names = Names::Simple;

    fn chunk_json(extractor: ExtractorId, chunk: &str, items: &[Self]) -> Vec<u8> {
        direct_chunk_json(extractor, chunk, items, |out, symbol, file| {
            symbol.write_line(out, file);
        })
    }

    fn restore(&mut self, file: &str, _: Option<&calls::Bindings>) {
        self.file = file.to_string();
        restore_with_parent(&mut self.id, &mut self.name, &mut self.parent, file);
    }
}

/// An item with [`Names::Simple`] read back: its id whole, and the `name` and `parent` its
/// id gives where they were left out.
fn restore_with_parent(
    id: &mut String,
    name: &mut String,
    parent: &mut Option<String>,
    file: &str,
) {
    absolute_id(id, file);
    restore_name(name, id, file, Names::Simple);
    if parent.as_deref() == Some(NAME_LEFT_OUT) {
        *parent = own_qualified(id, file).and_then(parent_from_qualified);
    }
}

/// The chunk file of `items` (without an `imports` table), each item's line written by
/// `line` (`render::chunk_files`). Debug builds hold it to the generic rendering.
fn direct_chunk_json<T: StoredItem>(
    extractor: ExtractorId,
    chunk: &str,
    items: &[T],
    mut line: impl FnMut(&mut Vec<u8>, &T, &str),
) -> Vec<u8> {
    let grouped = ByFile::new(items, |item: &T| item.file());
    let files: Vec<(&str, Vec<&T>)> = grouped.groups.into_iter().collect();
    let mut out = Vec::with_capacity(128 * items.len() + 128);
    crate::render::chunk_head(&mut out, extractor.name(), extractor.version(), chunk);
    crate::render::chunk_files(&mut out, &files, |out, item, file| line(out, item, file));
    #[cfg(debug_assertions)]
    {
        let generic = crate::render::chunk_json_bytes(
            &OutputFile {
                extractor: extractor.name(),
                version: extractor.version(),
                chunk,
                imports: None::<()>,
                files: ByFile::new(items, |item: &T| item.file()),
            },
            true,
            T::NAMES,
        );
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&generic),
            "{extractor} of {chunk}: the direct rendering differs from the generic one"
        );
    }
    out
}

impl StoredItem for CallNode {
    const NAMES: Names = Names::Qualified;

    fn chunk_json(extractor: ExtractorId, chunk: &str, items: &[Self]) -> Vec<u8> {
        let grouped = ByFile::new(items, |item: &CallNode| item.file.as_str());
        let mut imports = std::collections::BTreeMap::new();
        let mut files = Vec::with_capacity(grouped.groups.len());
        for (file, nodes) in &grouped.groups {
            let (bindings, views) = calls::chunk_view(file, nodes);
            if !bindings.is_empty() {
                imports.insert(*file, bindings);
            }
            files.push((*file, views));
        }
        let bytes = calls::render_chunk(
            extractor.name(),
            extractor.version(),
            chunk,
            &imports,
            &files,
        );
        // Every test run holds the direct rendering to the generic one.
        #[cfg(debug_assertions)]
        {
            let generic = crate::render::chunk_json_bytes(
                &OutputFile {
                    extractor: extractor.name(),
                    version: extractor.version(),
                    chunk,
                    imports: (!imports.is_empty()).then_some(&imports),
                    files: files
                        .iter()
                        .map(|(file, views)| (*file, views))
                        .collect::<std::collections::BTreeMap<_, _>>(),
                },
                true,
                Self::NAMES,
            );
            assert_eq!(
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&generic),
                "calls of {chunk}: the direct rendering differs from the generic one"
            );
        }
        bytes
    }

    fn restore(&mut self, file: &str, bindings: Option<&calls::Bindings>) {
        self.file = file.to_string();
        absolute_id(&mut self.id, file);
        restore_name(&mut self.name, &self.id, file, Self::NAMES);
        for edge in &mut self.edges {
            restore_opt(&mut edge.target, file);
        }
        if let Some(bindings) = bindings {
            calls::restore_bindings(self, file, bindings);
        }
    }
}

impl StoredItem for Export {
    const NAMES: Names = Names::Local;

    fn chunk_json(extractor: ExtractorId, chunk: &str, items: &[Self]) -> Vec<u8> {
        direct_chunk_json(extractor, chunk, items, |out, export, file| {
            export.write_line(out, file);
        })
    }

    fn restore(&mut self, file: &str, _: Option<&calls::Bindings>) {
        self.file = file.to_string();
        restore_opt(&mut self.id, file);
        if self.local.as_deref() == Some(NAME_LEFT_OUT) {
            self.local = self
                .id
                .as_deref()
                .and_then(|id| own_qualified(id, file))
                .map(|q| name_from_qualified(q, Self::NAMES));
        }
    }
}

impl StoredItem for Mount {
    fn restore(&mut self, file: &str, _: Option<&calls::Bindings>) {
        self.file = file.to_string();
        restore_opt(&mut self.id, file);
        restore_via(&mut self.parent, file);
    }
}

impl StoredItem for Route {
    fn restore(&mut self, file: &str, _: Option<&calls::Bindings>) {
        self.file = file.to_string();
        for handler in &mut self.handlers {
            absolute_id(handler, file);
        }
        restore_opt(&mut self.request, file);
        restore_opt(&mut self.response, file);
        restore_via(&mut self.router, file);
    }
}
