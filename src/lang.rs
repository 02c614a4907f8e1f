//! Source languages: which files we read, and the tree-sitter grammar for each.

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

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::TypeScript, Lang::Tsx, Lang::JavaScript, Lang::Python];
    /// How many grammars there are: what tables by grammar (`Lang::index`) are sized by.
    pub const COUNT: usize = Lang::ALL.len();

    /// The language of a path, by its extension; `None` for files we do not inventory.
    pub fn from_path(path: &str) -> Option<Lang> {
        let ext = path.rsplit_once('.')?.1;
        match ext {
            "ts" | "mts" | "cts" => Some(Lang::TypeScript),
            "tsx" => Some(Lang::Tsx),
            "js" | "mjs" | "cjs" | "jsx" => Some(Lang::JavaScript),
            "py" | "pyi" => Some(Lang::Python),
            _ => None,
        }
    }

    /// The language named as in messages and `discover.toml` (`typescript`, `tsx`,
    /// `javascript`, `python`).
    pub fn from_name(name: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.to_string() == name)
    }

    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
        }
    }

    /// The query-file family: TSX shares TypeScript's queries.
    pub fn query_family(self) -> QueryFamily {
        match self {
            Lang::TypeScript | Lang::Tsx => QueryFamily::TypeScript,
            Lang::JavaScript => QueryFamily::JavaScript,
            Lang::Python => QueryFamily::Python,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn is_js_like(self) -> bool {
        !matches!(self, Lang::Python)
    }
}

/// Which `extractors/<name>/<family>.scm` a grammar uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryFamily {
    TypeScript,
    JavaScript,
    Python,
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
            Lang::JavaScript => "javascript",
            Lang::Python => "python",
        })
    }
}
