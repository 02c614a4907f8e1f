//! Parse once, extract many: a file is parsed a single time and every selected extractor's
//! query runs over the same tree.

use super::query::{QueryLoadError, compile};
use super::syntax::count_syntax_errors;
use super::{ExtractorId, Item, imports, symbols};
use crate::lang::Lang;
use tree_sitter::{Parser, Query, QueryCursor, StreamingIterator};

/// The compiled queries of the selected extractors, built once and shared by every file.
pub struct ExtractorSet {
    selected: Vec<ExtractorId>,
    /// `queries[extractor position in selected][lang index]`.
    queries: Vec<Vec<Query>>,
}

impl ExtractorSet {
    pub fn new(selected: &[ExtractorId]) -> Result<ExtractorSet, QueryLoadError> {
        let mut queries = Vec::with_capacity(selected.len());
        for &extractor in selected {
            let per_lang = Lang::ALL
                .into_iter()
                .map(|lang| compile(extractor, lang))
                .collect::<Result<Vec<_>, _>>()?;
            queries.push(per_lang);
        }
        Ok(ExtractorSet {
            selected: selected.to_vec(),
            queries,
        })
    }

    pub fn selected(&self) -> &[ExtractorId] {
        &self.selected
    }
}

/// Per-thread parsing state, reused across files.
pub struct ExtractContext {
    parser: Parser,
    cursor: QueryCursor,
}

impl Default for ExtractContext {
    fn default() -> Self {
        ExtractContext {
            parser: Parser::new(),
            cursor: QueryCursor::new(),
        }
    }
}

/// What one file yielded.
#[derive(Debug, Default)]
pub struct FileFacts {
    /// ERROR and MISSING nodes in the tree; extraction still ran over what parsed.
    pub syntax_errors: u32,
    /// Items per selected extractor, in the set's order, unsorted.
    pub items: Vec<(ExtractorId, Vec<Item>)>,
    /// Set when the file could not be parsed at all.
    pub failure: Option<String>,
}

pub fn extract_file(
    ctx: &mut ExtractContext,
    set: &ExtractorSet,
    path: &str,
    lang: Lang,
    source: &[u8],
    wanted: &[ExtractorId],
) -> FileFacts {
    let mut facts = FileFacts::default();
    if let Err(e) = ctx.parser.set_language(&lang.grammar()) {
        facts.failure = Some(format!("grammar for {lang} cannot be loaded: {e}"));
        return facts;
    }
    // A UTF-8 byte order mark is not part of the program text.
    let text = source.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(source);
    let Some(tree) = ctx.parser.parse(text, None) else {
        facts.failure = Some("the parser gave up".to_string());
        return facts;
    };
    let root = tree.root_node();
    facts.syntax_errors = count_syntax_errors(root);
    let exports = symbols::ExportList::of(root, text, lang);

    for (pos, &extractor) in set.selected.iter().enumerate() {
        if !wanted.contains(&extractor) {
            continue;
        }
        let query = &set.queries[pos][lang.index()];
        let mut items = Vec::new();
        let mut matches = ctx.cursor.matches(query, root, text);
        match extractor {
            ExtractorId::Symbols => {
                while let Some(m) = matches.next() {
                    if let Some(s) = symbols::from_match(query, m, text, lang, path, &exports) {
                        items.push(Item::Symbol(s));
                    }
                }
            }
            ExtractorId::Imports => {
                let mut found = Vec::new();
                while let Some(m) = matches.next() {
                    imports::from_match(query, m, text, lang, path, &mut found);
                }
                items.extend(found.into_iter().map(Item::Import));
            }
        }
        facts.items.push((extractor, items));
    }
    facts
}
