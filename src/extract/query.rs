//! The bundled query files: one per extractor and language family, compiled once, checked
//! against the capture names their Rust layer understands.

use super::pattern::Patterns;
use super::registry::{ExtractorId, Layer, UserExtractor};
use crate::lang::{Lang, QueryFamily};
use std::ops::Range;
use tree_sitter::Query;

/// A query file shipped inside the binary, with the extractor whose row bundles it.
pub struct BundledQuery {
    pub extractor: ExtractorId,
    pub family: QueryFamily,
    /// Repository-relative path, for error messages.
    pub path: &'static str,
    pub source: &'static str,
}

/// Every bundled query file, from the built-in rows of the registry, built once.
pub fn bundled_queries() -> &'static [BundledQuery] {
    static BUNDLED: std::sync::OnceLock<Vec<BundledQuery>> = std::sync::OnceLock::new();
    BUNDLED.get_or_init(|| {
        super::registry::builtins()
            .flat_map(|(extractor, def)| {
                def.queries.iter().map(move |q| BundledQuery {
                    extractor,
                    family: q.family,
                    path: q.path,
                    source: q.source,
                })
            })
            .collect()
    })
}

/// The first line of a query file that extends its extractor's JavaScript query, as
/// tree-sitter-typescript's tags query extends JavaScript's: the JavaScript patterns come
/// first, then this file's own. The TypeScript grammar is a superset of JavaScript's for the
/// nodes such patterns name, and every composed query is compiled for both TypeScript
/// grammars by the tests.
const INHERITS_JAVASCRIPT: &str = "; inherits: javascript";

/// A bundled query's text as compiled: its own, or its parent's followed by its own; and,
/// when composed, the parent's path and line count, to point errors at the right file.
struct Composed {
    text: &'static str,
    parent: Option<(&'static str, usize)>,
}

/// The composed text of every bundled query, by position in `BUNDLED`, built once.
fn composed() -> &'static [Composed] {
    static COMPOSED: std::sync::OnceLock<Vec<Composed>> = std::sync::OnceLock::new();
    COMPOSED.get_or_init(|| {
        bundled_queries()
            .iter()
            .map(|q| {
                let parent = q
                    .source
                    .starts_with(INHERITS_JAVASCRIPT)
                    .then(|| {
                        bundled_queries().iter().find(|p| {
                            p.extractor == q.extractor && p.family == QueryFamily::JavaScript
                        })
                    })
                    .flatten();
                match parent {
                    Some(parent) => {
                        let mut text = parent.source.to_string();
                        if !text.ends_with('\n') {
                            text.push('\n');
                        }
                        let lines = text.lines().count();
                        text.push_str(q.source);
                        Composed {
                            text: Box::leak(text.into_boxed_str()),
                            parent: Some((parent.path, lines)),
                        }
                    }
                    None => Composed {
                        text: q.source,
                        parent: None,
                    },
                }
            })
            .collect()
    })
}

/// The file and 1-based row that `row` of the compiled text of `path` comes from.
fn locate(path: &str, row: usize) -> (String, usize) {
    let parent = bundled_queries()
        .iter()
        .position(|q| q.path == path)
        .and_then(|i| composed()[i].parent);
    match parent {
        Some((parent_path, lines)) if row <= lines => (parent_path.to_string(), row),
        Some((_, lines)) => (path.to_string(), row - lines),
        None => (path.to_string(), row),
    }
}

/// Whether `extractor` has a query for `lang`; one without (calls, which walks the tree, or
/// types for Python) finds its items by other means or not at all.
pub fn has_query(extractor: ExtractorId, lang: Lang) -> bool {
    query_file(extractor, lang).is_some()
}

/// The query file (path and text) `extractor` runs on files of `lang`: a built-in's bundled
/// file for the grammar's family, or a repository extractor's own file for each grammar it
/// names.
fn query_file(extractor: ExtractorId, lang: Lang) -> Option<(&'static str, &'static str)> {
    let def = extractor.def();
    if def.layer == Layer::Query {
        return def.query.filter(|_| def.langs.contains(&lang));
    }
    let family = lang.query_family();
    bundled_queries()
        .iter()
        .position(|q| q.extractor == extractor && q.family == family)
        .map(|i| (bundled_queries()[i].path, composed()[i].text))
}

/// The path and compiled text of every bundled query for `lang`'s family.
#[cfg(test)]
pub fn bundled_texts(lang: Lang) -> Vec<(&'static str, &'static str)> {
    let family = lang.query_family();
    bundled_queries()
        .iter()
        .enumerate()
        .filter(|(_, q)| q.family == family)
        .map(|(i, q)| (q.path, composed()[i].text))
        .collect()
}

/// Capture names each extractor's Rust layer reads. Names starting with `_` are private to
/// the query (predicates) and always allowed. `None`: any capture is read (a query
/// extractor makes each one a field).
fn known_captures(extractor: ExtractorId) -> Option<&'static [&'static str]> {
    extractor.def().captures
}

#[derive(Debug, thiserror::Error)]
pub enum QueryLoadError {
    #[error("invalid query `{path}` for {lang} at {row}:{column}: {message}")]
    Syntax {
        path: String,
        lang: Lang,
        row: usize,
        column: usize,
        message: String,
    },
    #[error(
        "query `{path}` uses unknown capture `@{capture}` at {row}:{column}; the {extractor} extractor knows: {known}"
    )]
    UnknownCapture {
        path: String,
        extractor: ExtractorId,
        capture: String,
        row: usize,
        column: usize,
        known: String,
    },
    #[error("no bundled query for the {extractor} extractor and {lang}")]
    Missing { extractor: ExtractorId, lang: Lang },
    #[error(
        "query `{path}` of the {extractor} extractor captures no `@name`: every match needs one, it names the item"
    )]
    NoName { path: String, extractor: String },
    #[error(
        "query `{path}` of the {extractor} extractor uses the capture `@{capture}` at {row}:{column}; `@file`, `@line` and `@column` are the item's place, choose another name"
    )]
    ReservedCapture {
        path: String,
        extractor: String,
        capture: String,
        row: usize,
        column: usize,
    },
}

/// Checks a repository's query extractor before a run starts: its query compiles for
/// every grammar it names, captures `@name`, and uses no capture that would shadow an
/// item's place.
pub fn check_user_query(user: &UserExtractor) -> Result<(), QueryLoadError> {
    let path = &user.query_path;
    let source = &user.query_source;
    for &lang in &user.langs {
        Query::new(&lang.grammar(), source).map_err(|e| QueryLoadError::Syntax {
            path: path.clone(),
            lang,
            row: e.row + 1,
            column: e.column + 1,
            message: e.message.trim().to_string(),
        })?;
    }
    let captures = super::anchor::capture_names(source);
    if let Some(capture) = captures
        .iter()
        .find(|c| super::query_items::RESERVED.contains(&c.as_str()))
    {
        let (row, column) = position_of(source, &format!("@{capture}"));
        return Err(QueryLoadError::ReservedCapture {
            path: path.clone(),
            extractor: user.name.clone(),
            capture: capture.clone(),
            row,
            column,
        });
    }
    if !captures.iter().any(|c| c == super::query_items::NAME) {
        return Err(QueryLoadError::NoName {
            path: path.clone(),
            extractor: user.name.clone(),
        });
    }
    Ok(())
}

/// The bundled queries of one or more extractors for one grammar, compiled as one query.
/// Compiling several together does the grammar analysis per node kind once for all of
/// them, but every run then tries all their patterns; the engine compiles each extractor
/// alone (see `engine::Compiled`). Each extractor reads only the matches of its own
/// patterns.
pub struct Combined {
    pub engine: Engine,
    /// The concatenated query text, which pattern byte offsets point into.
    pub source: String,
    /// Each extractor with a query for the grammar, and the indices of its patterns.
    pub parts: Vec<(ExtractorId, Range<usize>)>,
}

/// What runs a query: tree-sitter's compiled query, or the walk matcher for the bundled
/// queries it reads ([`super::pattern`]), which needs no grammar analysis.
pub enum Engine {
    Query(Query),
    Walk(Patterns),
}

impl Engine {
    /// The name of capture `id`.
    pub fn capture_name(&self, id: usize) -> &str {
        match self {
            Engine::Query(q) => q.capture_names()[id],
            Engine::Walk(p) => &p.capture_names()[id],
        }
    }

    pub fn pattern_count(&self) -> usize {
        match self {
            Engine::Query(q) => q.pattern_count(),
            Engine::Walk(p) => p.pattern_count(),
        }
    }

    /// The byte range of pattern `p` in the query text.
    pub fn pattern_bytes(&self, p: usize) -> Range<usize> {
        match self {
            Engine::Query(q) => q.start_byte_for_pattern(p)..q.end_byte_for_pattern(p),
            Engine::Walk(w) => w.pattern_bytes(p),
        }
    }
}

impl Combined {
    /// The pattern indices of `extractor`, when it has a query for the grammar.
    pub fn patterns(&self, extractor: ExtractorId) -> Option<Range<usize>> {
        self.parts
            .iter()
            .find(|(e, _)| *e == extractor)
            .map(|(_, r)| r.clone())
    }
}

/// Compiles the bundled queries of `extractors` for `lang` into one. An error names the
/// file and row as compiling that file alone would.
pub fn compile_combined(
    extractors: &[ExtractorId],
    lang: Lang,
) -> Result<Combined, QueryLoadError> {
    let mut source = String::new();
    let mut segments: Vec<Segment> = Vec::new();
    for &extractor in extractors {
        let Some(file) = query_file(extractor, lang) else {
            continue;
        };
        check_captures(extractor, file.0, file.1)?;
        let start = source.len();
        source.push_str(file.1);
        source.push('\n');
        segments.push((extractor, start..source.len(), file));
    }
    // The bundled queries run on the walk matcher when it reads them all; a repository's
    // query is compiled by tree-sitter, whose errors name what is wrong.
    let bundled = extractors.iter().all(|e| e.def().layer != Layer::Query);
    if bundled && let Some(walk) = Patterns::parse(&source, lang) {
        let engine = Engine::Walk(walk);
        let parts = parts_of(&segments, &engine);
        return Ok(Combined {
            engine,
            source,
            parts,
        });
    }
    let query = match Query::new(&lang.grammar(), &source) {
        Ok(query) => query,
        Err(e) => {
            // Compiling the file the error is in alone gives its own row and column.
            let (extractor, _, (path, text)) = segments
                .iter()
                .find(|(_, bytes, _)| bytes.contains(&e.offset))
                .or(segments.last())
                .ok_or(QueryLoadError::Missing {
                    extractor: extractors.first().copied().unwrap_or(ExtractorId::SYMBOLS),
                    lang,
                })?;
            compile_source(*extractor, lang, path, text)?;
            let (path, row) = locate(path, e.row + 1);
            return Err(QueryLoadError::Syntax {
                path,
                lang,
                row,
                column: e.column + 1,
                message: e.message.trim().to_string(),
            });
        }
    };
    let engine = Engine::Query(query);
    let parts = parts_of(&segments, &engine);
    Ok(Combined {
        engine,
        source,
        parts,
    })
}

/// Each extractor's pattern indices: those starting in its file's stretch of the text.
type Segment = (ExtractorId, Range<usize>, (&'static str, &'static str));

fn parts_of(segments: &[Segment], engine: &Engine) -> Vec<(ExtractorId, Range<usize>)> {
    segments
        .iter()
        .map(|(extractor, bytes, _)| {
            let patterns: Vec<usize> = (0..engine.pattern_count())
                .filter(|&p| bytes.contains(&engine.pattern_bytes(p).start))
                .collect();
            let range = match (patterns.first(), patterns.last()) {
                (Some(&first), Some(&last)) => first..last + 1,
                _ => 0..0,
            };
            (*extractor, range)
        })
        .collect()
}

/// Rejects capture names the extractor's Rust layer does not read, pointing at the first
/// use.
fn check_captures(extractor: ExtractorId, path: &str, source: &str) -> Result<(), QueryLoadError> {
    let Some(known) = known_captures(extractor) else {
        return Ok(());
    };
    for capture in super::anchor::capture_names(source) {
        if capture.starts_with('_') || known.contains(&capture.as_str()) {
            continue;
        }
        let (row, column) = position_of(source, &format!("@{capture}"));
        let (path, row) = locate(path, row);
        return Err(QueryLoadError::UnknownCapture {
            path,
            extractor,
            capture,
            row,
            column,
            known: known.join(", "),
        });
    }
    Ok(())
}

/// Compiles the bundled query of `extractor` for `lang` alone.
#[cfg(test)]
pub fn compile(extractor: ExtractorId, lang: Lang) -> Result<Query, QueryLoadError> {
    let (path, text) =
        query_file(extractor, lang).ok_or(QueryLoadError::Missing { extractor, lang })?;
    compile_source(extractor, lang, path, text)
}

/// Compiles query text for `lang`, rejecting capture names the extractor does not read.
fn compile_source(
    extractor: ExtractorId,
    lang: Lang,
    path: &str,
    source: &str,
) -> Result<Query, QueryLoadError> {
    let query = Query::new(&lang.grammar(), source).map_err(|e| {
        let (path, row) = locate(path, e.row + 1);
        QueryLoadError::Syntax {
            path,
            lang,
            row,
            column: e.column + 1,
            message: e.message.trim().to_string(),
        }
    })?;
    check_captures(extractor, path, source)?;
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
        for extractor in ExtractorId::all() {
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
    fn a_combined_query_gives_each_extractor_its_own_patterns() {
        for lang in Lang::ALL {
            let combined = compile_combined(&ExtractorId::all(), lang).unwrap();
            let mut next = 0;
            for extractor in ExtractorId::all() {
                let Some(patterns) = combined.patterns(extractor) else {
                    assert!(!has_query(extractor, lang), "{extractor} {lang}");
                    continue;
                };
                // In file order, back to back, as many as the file compiled alone has.
                assert_eq!(patterns.start, next, "{extractor} {lang}");
                let alone = compile(extractor, lang).unwrap();
                assert_eq!(patterns.len(), alone.pattern_count(), "{extractor} {lang}");
                next = patterns.end;
            }
            assert_eq!(next, combined.engine.pattern_count(), "{lang}");
        }
    }

    /// No bundled query pays for tree-sitter's grammar analysis: the walk matcher reads
    /// every one, together and alone (its matches are compared with tree-sitter's in
    /// `pattern.rs`).
    #[test]
    fn every_bundled_query_runs_on_the_walk_matcher() {
        for lang in Lang::ALL {
            let all = compile_combined(&ExtractorId::all(), lang).unwrap();
            assert!(matches!(all.engine, Engine::Walk(_)), "{lang}");
            for extractor in ExtractorId::all()
                .into_iter()
                .filter(|e| has_query(*e, lang))
            {
                let alone = compile_combined(&[extractor], lang).unwrap();
                assert!(
                    matches!(alone.engine, Engine::Walk(_)),
                    "{extractor} {lang}"
                );
            }
        }
    }

    /// Every bundled pattern starts at a named node kind, so every extractor's query runs at
    /// the walk's anchors and the whole catalogue's expectations (`tests/catalogue.rs`)
    /// check that path. The query pass that remains for unanchorable patterns is the
    /// fallback for query files yet to be written.
    #[test]
    fn every_bundled_query_runs_at_anchors() {
        for lang in Lang::ALL {
            let combined = compile_combined(&ExtractorId::all(), lang).unwrap();
            for extractor in ExtractorId::all() {
                let Some(patterns) = combined.patterns(extractor) else {
                    continue;
                };
                assert!(
                    super::super::anchor::Anchoring::of(
                        &combined.engine,
                        &combined.source,
                        lang,
                        patterns
                    )
                    .is_some(),
                    "{extractor} {lang}: a pattern cannot be anchored"
                );
            }
        }
    }

    #[test]
    fn an_inheriting_query_is_its_parent_then_itself_and_errors_point_at_the_right_file() {
        let (path, text) = query_file(ExtractorId::IMPORTS, Lang::Tsx).unwrap();
        assert_eq!(path, "extractors/imports/typescript.scm");
        let js = include_str!("../../extractors/imports/javascript.scm");
        let ts = include_str!("../../extractors/imports/typescript.scm");
        assert_eq!(text, format!("{js}{ts}"));
        let js_lines = js.lines().count();
        assert_eq!(
            locate(path, 2),
            ("extractors/imports/javascript.scm".to_string(), 2)
        );
        assert_eq!(locate(path, js_lines + 3), (path.to_string(), 3));
        // A file that inherits nothing keeps its rows.
        assert_eq!(
            locate("extractors/symbols/typescript.scm", 9),
            ("extractors/symbols/typescript.scm".to_string(), 9)
        );
    }

    #[test]
    fn capture_names_are_read_from_query_text() {
        let source = "; @comment\n(call function: (_) @_f (#eq? @_f \"@x\")) @call\n(x) @call @y";
        assert_eq!(
            super::super::anchor::capture_names(source),
            ["_f", "call", "y"]
        );
    }

    #[test]
    fn unknown_captures_are_rejected_with_file_and_row() {
        let source = "(function_declaration)\n(class_declaration name: (_) @nmae) @class\n";
        let err = compile_source(
            ExtractorId::SYMBOLS,
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
            ExtractorId::SYMBOLS,
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
