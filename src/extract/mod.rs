//! The extractor catalogue and the per-file engine that runs it.

mod engine;
mod imports;
mod query;
mod symbols;
mod syntax;

pub use engine::{ExtractContext, ExtractorSet, FileFacts, extract_file};
pub use imports::{Import, ImportKind};
pub use query::{QueryLoadError, bundled_queries};
pub use symbols::{Symbol, SymbolKind};

use serde::{Deserialize, Serialize};
use std::fmt;

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
            ExtractorId::Symbols => 1,
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

/// One extracted fact. Items of one output file are all of one variant; the derived order
/// (file, line, column, then the rest of the fields) is the total order items are written in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Item {
    Import(Import),
    Symbol(Symbol),
}
