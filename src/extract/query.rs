//! The bundled query files: one per extractor and language family, compiled once, checked
//! against the capture names their Rust layer understands.

use super::ExtractorId;
use crate::lang::{Lang, QueryFamily};
use tree_sitter::Query;

/// A query file shipped inside the binary.
pub struct BundledQuery {
    pub extractor: ExtractorId,
    pub family: QueryFamily,
    /// Repository-relative path, for error messages.
    pub path: &'static str,
    pub source: &'static str,
}

macro_rules! bundled {
    ($extractor:ident, $family:ident, $dir:literal, $stem:literal) => {
        BundledQuery {
            extractor: ExtractorId::$extractor,
            family: QueryFamily::$family,
            path: concat!("extractors/", $dir, "/", $stem, ".scm"),
            source: include_str!(concat!("../../extractors/", $dir, "/", $stem, ".scm")),
        }
    };
}

static BUNDLED: &[BundledQuery] = &[
    bundled!(Components, TypeScript, "components", "typescript"),
    bundled!(Components, JavaScript, "components", "javascript"),
    bundled!(Hooks, TypeScript, "hooks", "typescript"),
    bundled!(Hooks, JavaScript, "hooks", "javascript"),
    bundled!(Imports, TypeScript, "imports", "typescript"),
    bundled!(Imports, JavaScript, "imports", "javascript"),
    bundled!(Imports, Python, "imports", "python"),
    bundled!(Symbols, TypeScript, "symbols", "typescript"),
    bundled!(Symbols, JavaScript, "symbols", "javascript"),
    bundled!(Symbols, Python, "symbols", "python"),
    bundled!(Routes, TypeScript, "routes", "typescript"),
    bundled!(Routes, JavaScript, "routes", "javascript"),
    bundled!(Routes, Python, "routes", "python"),
    bundled!(Schemas, TypeScript, "schemas", "typescript"),
    bundled!(Schemas, JavaScript, "schemas", "javascript"),
    bundled!(Schemas, Python, "schemas", "python"),
    bundled!(Tests, TypeScript, "tests", "typescript"),
    bundled!(Tests, JavaScript, "tests", "javascript"),
    bundled!(Tests, Python, "tests", "python"),
    bundled!(Types, TypeScript, "types", "typescript"),
];

pub fn bundled_queries() -> &'static [BundledQuery] {
    BUNDLED
}

/// Whether `extractor` ships a query for `lang`'s family; one without (calls, which walks
/// the tree, or types for Python) finds its items by other means or not at all.
pub fn has_query(extractor: ExtractorId, lang: Lang) -> bool {
    let family = lang.query_family();
    BUNDLED
        .iter()
        .any(|q| q.extractor == extractor && q.family == family)
}

/// Capture names each extractor's Rust layer reads. Names starting with `_` are private to
/// the query (predicates) and always allowed.
fn known_captures(extractor: ExtractorId) -> &'static [&'static str] {
    match extractor {
        ExtractorId::Calls => super::calls::CAPTURES,
        ExtractorId::Components => super::components::CAPTURES,
        ExtractorId::Hooks => super::hooks::CAPTURES,
        ExtractorId::Imports => super::imports::CAPTURES,
        ExtractorId::Routes => super::routes::CAPTURES,
        ExtractorId::Schemas => super::schemas::CAPTURES,
        ExtractorId::Symbols => super::symbols::CAPTURES,
        ExtractorId::Tests => super::tests::CAPTURES,
        ExtractorId::Types => super::types::CAPTURES,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueryLoadError {
    #[error("invalid query `{path}` for {lang} at {row}:{column}: {message}")]
    Syntax {
        path: &'static str,
        lang: Lang,
        row: usize,
        column: usize,
        message: String,
    },
    #[error(
        "query `{path}` uses unknown capture `@{capture}` at {row}:{column}; the {extractor} extractor knows: {known}"
    )]
    UnknownCapture {
        path: &'static str,
        extractor: ExtractorId,
        capture: String,
        row: usize,
        column: usize,
        known: String,
    },
    #[error("no bundled query for the {extractor} extractor and {lang}")]
    Missing { extractor: ExtractorId, lang: Lang },
}

/// The text of the bundled query of `extractor` for `lang`.
pub fn source(extractor: ExtractorId, lang: Lang) -> Option<&'static str> {
    let family = lang.query_family();
    BUNDLED
        .iter()
        .find(|q| q.extractor == extractor && q.family == family)
        .map(|q| q.source)
}

/// Compiles the bundled query of `extractor` for `lang`.
pub fn compile(extractor: ExtractorId, lang: Lang) -> Result<Query, QueryLoadError> {
    let family = lang.query_family();
    let bundled = BUNDLED
        .iter()
        .find(|q| q.extractor == extractor && q.family == family)
        .ok_or(QueryLoadError::Missing { extractor, lang })?;
    compile_source(extractor, lang, bundled.path, bundled.source)
}

/// Compiles query text for `lang`, rejecting capture names the extractor does not read.
fn compile_source(
    extractor: ExtractorId,
    lang: Lang,
    path: &'static str,
    source: &str,
) -> Result<Query, QueryLoadError> {
    let query = Query::new(&lang.grammar(), source).map_err(|e| QueryLoadError::Syntax {
        path,
        lang,
        row: e.row + 1,
        column: e.column + 1,
        message: e.message.trim().to_string(),
    })?;
    let known = known_captures(extractor);
    for capture in query.capture_names() {
        if capture.starts_with('_') || known.contains(capture) {
            continue;
        }
        let (row, column) = position_of(source, &format!("@{capture}"));
        return Err(QueryLoadError::UnknownCapture {
            path,
            extractor,
            capture: (*capture).to_string(),
            row,
            column,
            known: known.join(", "),
        });
    }
    Ok(query)
}

/// 1-based row and column of the first occurrence of `needle`, for pointing at a capture.
fn position_of(source: &str, needle: &str) -> (usize, usize) {
    source
        .lines()
        .enumerate()
        .find_map(|(row, line)| line.find(needle).map(|col| (row + 1, col + 1)))
        .unwrap_or((1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_query_compiles_for_every_grammar_it_serves() {
        let mut compiled = 0;
        for extractor in ExtractorId::ALL {
            for lang in Lang::ALL {
                if !has_query(extractor, lang) {
                    continue;
                }
                if let Err(e) = compile(extractor, lang) {
                    panic!("{e}");
                }
                compiled += 1;
            }
        }
        // Every bundled file serves at least one grammar (TypeScript's serves two).
        assert!(compiled > bundled_queries().len());
    }

    #[test]
    fn unknown_captures_are_rejected_with_file_and_row() {
        let source = "(function_declaration)\n(class_declaration name: (_) @nmae) @class\n";
        let err = compile_source(
            ExtractorId::Symbols,
            Lang::JavaScript,
            "extractors/x.scm",
            source,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`extractors/x.scm` uses unknown capture `@nmae` at 2:"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_file() {
        let err = compile_source(
            ExtractorId::Symbols,
            Lang::Python,
            "extractors/y.scm",
            "(nope",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("invalid query `extractors/y.scm` for python at 1:"),
            "{err}"
        );
    }
}
