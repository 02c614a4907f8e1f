//! The extractor catalogue and the per-file engine that runs it.

mod anchor;
mod bindings;
mod calls;
mod components;
mod engine;
mod hooks;
mod imports;
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
pub use hooks::Hook;
pub use imports::{Import, ImportKind};
pub use query::{QueryLoadError, bundled_queries, check_user_query};
pub use query_items::QueryItem;
pub use registry::{
    ExtractorId, Layer, UserExtractor, install as install_registry,
    is_builtin as is_builtin_extractor, user_extractors,
};
pub use routes::Route;
pub use schemas::Schema;
pub use symbols::{Symbol, SymbolKind};
pub use tests::TestCase;
pub use types::TypeDef;

use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Deepest start of a symbol match below the root of a scan (the file, or a class or
/// namespace found in it); see `ExtractorId::max_start_depth`.
const SYMBOL_MAX_DEPTH: u32 = 5;

impl ExtractorId {
    /// Whether a file can hold anything this extractor finds, judged from its path and a
    /// substring search for words every match contains. A file without them is skipped
    /// without running a query: the search costs a fraction of a query pass.
    pub fn admits(self, lang: Lang, path: &str, text: &[u8]) -> bool {
        if !self.applies_to(lang) {
            return false;
        }
        static COMPONENTS: Words = Words::new(&["<", "createElement"]);
        static HOOKS: Words = Words::new(&["use"]);
        static ZOD: Words = Words::new(&["z.", "zod", ".extend(", ".merge("]);
        static PYTHON_SCHEMAS: Words = Words::new(&[
            "BaseModel",
            "dataclass",
            "TypedDict",
            "attr",
            "Model",
            "define",
            "frozen",
        ]);
        // Every Python route names a path literal, a `route` decorator or Django's
        // `urlpatterns`; method words such as `.get(` are in nearly every file.
        static PYTHON_ROUTES: Words = Words::new(&[
            "route",
            "Route",
            "urlpatterns",
            "path(",
            "\"/",
            "'/",
            "(\"\")",
            "('')",
        ]);
        static PYTHON_TESTS: Words = Words::new(&["test", "Test"]);
        let words = match (self.layer(), lang.is_js_like()) {
            (Layer::Components, _) => &COMPONENTS,
            (Layer::Hooks, _) => &HOOKS,
            (Layer::Schemas, true) => &ZOD,
            (Layer::Schemas, false) => &PYTHON_SCHEMAS,
            // Next.js route handlers are known by their path, not their text.
            (Layer::Routes, true) if routes::is_next_route_file(path) => return true,
            // The Rust layer needs a member call named after a method with a literal path
            // (`.get('/users'`), or a `.route(` call.
            (Layer::Routes, true) => return routes_gate(text),
            (Layer::Routes, false) => &PYTHON_ROUTES,
            (Layer::Tests, true) => return calls_any(text, &TEST_FUNCTIONS),
            (Layer::Tests, false) => &PYTHON_TESTS,
            _ => return true,
        };
        words.finders().iter().any(|f| f.find(text).is_some())
    }

    /// How deep below a scan's root a match may start. Symbols live at module, namespace and
    /// class level, so the query cursor need not descend into function bodies: the file is
    /// scanned to depth 5 (`export > class > body > method`, `if > block > def`), and every
    /// class or namespace found is scanned again from its own node, to any nesting.
    pub fn max_start_depth(self) -> Option<u32> {
        match self.layer() {
            Layer::Symbols => Some(SYMBOL_MAX_DEPTH),
            _ => None,
        }
    }

    /// Words every match of this extractor contains, when there are such words: the query
    /// then only runs over the stretches of the file around them instead of the whole tree.
    /// (`export { a } from "x"` has `from` but no `import`; `importlib.import_module` and
    /// `__import__` contain `import`.)
    pub fn anchors(self, lang: Lang) -> Option<&'static [&'static str]> {
        match (self.layer(), lang.is_js_like()) {
            (Layer::Imports, true) => Some(&["import", "require", "from"]),
            (Layer::Imports, false) => Some(&["import"]),
            _ => None,
        }
    }
}

/// Whether a JS/TS file may declare a route: `.route(`, or a method call whose first
/// argument is a string literal starting with `/` or `*` (`app.get("/users", …)`);
/// `map.get(key)` is not one, and it is in most files.
fn routes_gate(text: &[u8]) -> bool {
    static ROUTE: Words = Words::new(&[".route("]);
    static METHODS: Words = Words::new(&[
        ".get(",
        ".post(",
        ".put(",
        ".patch(",
        ".delete(",
        ".del(",
        ".head(",
        ".options(",
        ".all(",
    ]);
    if ROUTE.finders()[0].find(text).is_some() {
        return true;
    }
    METHODS.finders().iter().any(|method| {
        method.find_iter(text).any(|at| {
            let rest = &text[at + method.needle().len()..];
            let start = rest
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            matches!(rest.get(start), Some(b'\'' | b'"' | b'`'))
                && matches!(rest.get(start + 1), Some(b'/' | b'*'))
        })
    })
}

/// A list of words to search files for, with its `memmem` searchers built on first use:
/// building one costs more than a search through a typical file.
struct Words {
    words: &'static [&'static str],
    finders: std::sync::OnceLock<Vec<memchr::memmem::Finder<'static>>>,
}

impl Words {
    const fn new(words: &'static [&'static str]) -> Words {
        Words {
            words,
            finders: std::sync::OnceLock::new(),
        }
    }

    fn finders(&self) -> &[memchr::memmem::Finder<'static>] {
        self.finders.get_or_init(|| {
            self.words
                .iter()
                .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
                .collect()
        })
    }
}

/// The functions a JS test file calls to declare suites and tests.
static TEST_FUNCTIONS: Words = Words::new(&[
    "describe",
    "fdescribe",
    "xdescribe",
    "it",
    "fit",
    "xit",
    "test",
    "xtest",
    "suite",
    "context",
    "xcontext",
    "specify",
    "xspecify",
]);

/// Whether `text` calls one of `names` as a free function: the name starts a word (not
/// `.test(` on a regular expression) and is followed by `(` or `.` (`it.each(...)`).
fn calls_any(text: &[u8], names: &Words) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.';
    names.finders().iter().any(|name| {
        name.find_iter(text).any(|at| {
            let before_ok = at == 0 || !is_word(text[at - 1]);
            let after = text.get(at + name.needle().len()).copied();
            before_ok && matches!(after, Some(b'(' | b'.'))
        })
    })
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
    Hooks(Hook),
    Imports(Import),
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
