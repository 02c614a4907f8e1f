//! Source languages: a table of the grammars we parse with — name, extensions, grammar,
//! query family, JSX and types — read through `Lang`. A new language is a row here (and a
//! variant), plus the queries of the extractors that opt in (their registry rows name the
//! languages they run on).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A grammar we parse with. TypeScript and TSX are separate grammars in tree-sitter, so a
/// query has to be compiled once for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Lang {
    TypeScript,
    Tsx,
    JavaScript,
    Python,
}

/// Which `extractors/<name>/<family>.scm` a grammar uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryFamily {
    TypeScript,
    JavaScript,
    Python,
}

/// One language.
pub struct LangDef {
    pub lang: Lang,
    /// As in messages and `discover.toml`.
    pub name: &'static str,
    /// File extensions, without the dot.
    pub extensions: &'static [&'static str],
    grammar: fn() -> tree_sitter::Language,
    /// The query files it uses (TSX shares TypeScript's).
    pub family: QueryFamily,
    /// JSX can be written in it.
    pub jsx: bool,
    /// It has type annotations and declarations.
    pub types: bool,
}

/// By `Lang` (the variants' order).
const LANGS: [LangDef; 4] = [
    LangDef {
        lang: Lang::TypeScript,
        name: "typescript",
        extensions: &["ts", "mts", "cts"],
        grammar: || tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        family: QueryFamily::TypeScript,
        jsx: false,
        types: true,
    },
    LangDef {
        lang: Lang::Tsx,
        name: "tsx",
        extensions: &["tsx"],
        grammar: || tree_sitter_typescript::LANGUAGE_TSX.into(),
        family: QueryFamily::TypeScript,
        jsx: true,
        types: true,
    },
    LangDef {
        lang: Lang::JavaScript,
        name: "javascript",
        // The JavaScript grammar parses JSX.
        extensions: &["js", "mjs", "cjs", "jsx"],
        grammar: || tree_sitter_javascript::LANGUAGE.into(),
        family: QueryFamily::JavaScript,
        jsx: true,
        types: false,
    },
    LangDef {
        lang: Lang::Python,
        name: "python",
        extensions: &["py", "pyi"],
        grammar: || tree_sitter_python::LANGUAGE.into(),
        family: QueryFamily::Python,
        jsx: false,
        types: false,
    },
];

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::TypeScript, Lang::Tsx, Lang::JavaScript, Lang::Python];
    /// How many grammars there are: what tables by grammar (`Lang::index`) are sized by.
    pub const COUNT: usize = Lang::ALL.len();

    pub fn def(self) -> &'static LangDef {
        &LANGS[self.index()]
    }

    /// The language of a path, by its extension; `None` for files we do not inventory.
    pub fn from_path(path: &str) -> Option<Lang> {
        let ext = path.rsplit_once('.')?.1;
        LANGS
            .iter()
            .find(|d| d.extensions.contains(&ext))
            .map(|d| d.lang)
    }

    /// The language named as in messages and `discover.toml` (`typescript`, `tsx`,
    /// `javascript`, `python`).
    pub fn from_name(name: &str) -> Option<Lang> {
        LANGS.iter().find(|d| d.name == name).map(|d| d.lang)
    }

    pub fn grammar(self) -> tree_sitter::Language {
        (self.def().grammar)()
    }

    /// The ids of the grammar's kinds named `name`, named (`(name)` in a query) or
    /// anonymous (`"name"`): several when aliases share a name. Looked up in a table built
    /// once per grammar; asking the grammar kind by kind (a C call and a UTF-8 check each)
    /// was a tenth of a one-file run.
    pub fn kind_ids(self, name: &str, named: bool) -> &'static [u16] {
        // By name: [anonymous ids, named ids].
        type Table = std::collections::HashMap<String, [Vec<u16>; 2]>;
        static TABLES: [std::sync::OnceLock<Table>; Lang::COUNT] =
            [const { std::sync::OnceLock::new() }; Lang::COUNT];
        let table = TABLES[self.index()].get_or_init(|| {
            let grammar = self.grammar();
            let mut table = Table::new();
            for id in 0..grammar.node_kind_count() {
                let Ok(id) = u16::try_from(id) else { break };
                if let Some(kind) = grammar.node_kind_for_id(id) {
                    table.entry(kind.to_string()).or_default()
                        [usize::from(grammar.node_kind_is_named(id))]
                    .push(id);
                }
            }
            table
        });
        table
            .get(name)
            .map_or(&[], |ids| ids[usize::from(named)].as_slice())
    }

    /// The query-file family: TSX shares TypeScript's queries.
    pub fn query_family(self) -> QueryFamily {
        self.def().family
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// JavaScript and its relatives (the JS-family layers of the extractors), as opposed
    /// to Python.
    pub fn is_js_like(self) -> bool {
        self.def().family != QueryFamily::Python
    }

    /// Whether the grammar parses JSX: JavaScript's and TSX's, not TypeScript's (where
    /// `<T>x` is a type assertion).
    pub fn has_jsx(self) -> bool {
        matches!(self, Lang::JavaScript | Lang::Tsx)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.def().name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_variant_order_and_every_extension_names_one_language() {
        for (i, lang) in Lang::ALL.into_iter().enumerate() {
            assert_eq!(LANGS[i].lang, lang);
            assert_eq!(lang.index(), i);
        }
        let mut seen = std::collections::BTreeSet::new();
        for def in &LANGS {
            for ext in def.extensions {
                assert!(seen.insert(*ext), "`.{ext}` belongs to two languages");
                assert_eq!(Lang::from_path(&format!("a/b.{ext}")), Some(def.lang));
            }
        }
        assert_eq!(Lang::from_path("a/b.json"), None);
    }
}
