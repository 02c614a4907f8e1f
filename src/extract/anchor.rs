//! Anchored queries. A query's patterns start at nodes of known kinds (their roots), and a
//! pattern with an `#eq?` / `#any-of?` predicate only matches where one of its words is
//! written. Both are read here from the query file itself, so that the single walk over a
//! file's tree can collect the nodes each extractor's query may match at (its anchors), and
//! the query then runs at those few nodes instead of over the whole tree. A query whose
//! root is a wildcard or anonymous node cannot be anchored and keeps the whole-tree scan.

use super::preorder::Visit;
use super::query::Engine;
use crate::lang::Lang;
use tree_sitter::Node;

/// Where one query's matches can start.
#[derive(Debug)]
pub struct Anchoring {
    /// By node kind id: 0 when no pattern starts at this kind, 1 when one does whatever the
    /// text, 2 when every pattern starting there needs one of the words.
    kinds: Vec<u8>,
    /// A searcher for each word of the filtered patterns' predicates (all of them), built
    /// once: building one costs more than searching a file.
    finders: Vec<memchr::memmem::Finder<'static>>,
}

const NOT_ROOT: u8 = 0;
const ANY_TEXT: u8 = 1;
const NEEDS_WORD: u8 = 2;

impl Anchoring {
    /// Reads the roots and words of every pattern of `query`, compiled from `source`.
    /// `None` when some pattern can start at any node.
    pub fn of(
        query: &Engine,
        source: &str,
        lang: Lang,
        patterns: std::ops::Range<usize>,
    ) -> Option<Anchoring> {
        let language = lang.grammar();
        let count = language.node_kind_count();
        let mut kinds = vec![NOT_ROOT; count];
        let mut words: Vec<String> = Vec::new();
        for pattern in patterns {
            let text = source.get(query.pattern_bytes(pattern))?;
            let (roots, pattern_words) = read_pattern(text)?;
            let mark = if pattern_words.is_empty() {
                ANY_TEXT
            } else {
                NEEDS_WORD
            };
            for root in roots {
                // A name can stand for several kind ids (aliases); anchor at all of them.
                let ids = lang.kind_ids(&root, true);
                if ids.is_empty() {
                    return None;
                }
                for &id in ids {
                    let kind = kinds.get_mut(usize::from(id))?;
                    *kind = match (*kind, mark) {
                        (ANY_TEXT, _) | (_, ANY_TEXT) => ANY_TEXT,
                        _ => NEEDS_WORD,
                    };
                }
            }
            for word in pattern_words {
                if !words.contains(&word) {
                    words.push(word);
                }
            }
        }
        let finders = words
            .iter()
            .map(|w| memchr::memmem::Finder::new(w.as_bytes()).into_owned())
            .collect();
        Some(Anchoring { kinds, finders })
    }

    /// Whether a pattern can start at nodes of kind `kind_id`.
    pub fn is_root(&self, kind_id: u16) -> bool {
        self.kinds
            .get(usize::from(kind_id))
            .copied()
            .unwrap_or(NOT_ROOT)
            != NOT_ROOT
    }

    /// Whether the query can match at `node` (an anchor), given the sorted positions of its
    /// words in the file.
    pub fn may_match<'h>(&self, anchor: &Anchor<'_>, hits: impl FnOnce() -> &'h [usize]) -> bool {
        match self.kinds.get(usize::from(anchor.kind)).copied() {
            Some(ANY_TEXT) => true,
            Some(NEEDS_WORD) => {
                let hits = hits();
                let first = hits.partition_point(|&h| h < anchor.start);
                hits.get(first).is_some_and(|&h| h < anchor.end)
            }
            _ => false,
        }
    }

    /// Sorted start positions of the query's words in `text`, each standing alone (not part
    /// of a longer identifier), as the predicates compare whole node texts.
    pub fn word_hits(&self, text: &[u8]) -> Vec<usize> {
        let mut hits = Vec::new();
        for finder in &self.finders {
            let w = finder.needle();
            let check_before = w.first().is_some_and(|&b| is_ident(b));
            let check_after = w.last().is_some_and(|&b| is_ident(b));
            for at in finder.find_iter(text) {
                let before_ok = !check_before || at == 0 || !is_ident(text[at - 1]);
                let after = at + w.len();
                let after_ok = !check_after || after >= text.len() || !is_ident(text[after]);
                if before_ok && after_ok {
                    hits.push(at);
                }
            }
        }
        hits.sort_unstable();
        hits
    }
}

/// A byte of an identifier in any of the three languages (non-ASCII bytes included, as
/// identifiers may hold letters outside ASCII).
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// The capture names a query text uses, in order of first use, without the `@`.
pub fn capture_names(source: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for token in tokenize(source) {
        if let Token::Atom(atom) = token
            && let Some(name) = atom.strip_prefix('@')
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_string());
        }
    }
    names
}

/// One pattern's root kinds and the words of its first `#eq?` / `#any-of?` predicate that
/// compares a capture with string literals. `None` for a wildcard or anonymous root.
fn read_pattern(text: &str) -> Option<(Vec<String>, Vec<String>)> {
    let tokens = tokenize(text);
    let mut at = 0;
    let roots = read_roots(&tokens, &mut at)?;
    // Predicates inside an alternation may not apply to every branch; only those outside
    // any `[...]` filter the pattern.
    let mut brackets = 0i32;
    let mut words = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Open('[') => brackets += 1,
            Token::Close(']') => brackets -= 1,
            Token::Open('(') if brackets == 0 => {
                if let Some(Token::Atom(name)) = tokens.get(i + 1)
                    && (name == "#eq?" || name == "#any-of?")
                {
                    let mut j = i + 2;
                    let mut found = Vec::new();
                    while let Some(token) = tokens.get(j) {
                        match token {
                            Token::Str(s) => found.push(s.clone()),
                            Token::Atom(_) => {}
                            _ => break,
                        }
                        j += 1;
                    }
                    if !found.is_empty() && found.iter().all(|w| !w.is_empty()) {
                        words = found;
                        break;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Some((roots, words))
}

/// The kinds a pattern (or an alternation of patterns) at `tokens[*at]` starts with.
fn read_roots(tokens: &[Token], at: &mut usize) -> Option<Vec<String>> {
    match tokens.get(*at)? {
        Token::Open('(') => {
            let Token::Atom(name) = tokens.get(*at + 1)? else {
                return None;
            };
            if name == "_" || name.starts_with('#') || name.contains('/') {
                return None;
            }
            skip_group(tokens, at);
            Some(vec![name.clone()])
        }
        Token::Open('[') => {
            *at += 1;
            let mut roots = Vec::new();
            loop {
                match tokens.get(*at)? {
                    Token::Close(']') => {
                        *at += 1;
                        return Some(roots);
                    }
                    Token::Open(_) => roots.extend(read_roots(tokens, at)?),
                    // Captures and quantifiers after an alternative.
                    Token::Atom(_) => *at += 1,
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

/// Moves past the balanced group opening at `tokens[*at]`.
fn skip_group(tokens: &[Token], at: &mut usize) {
    let mut depth = 0usize;
    while let Some(token) = tokens.get(*at) {
        *at += 1;
        match token {
            Token::Open(_) => depth += 1,
            Token::Close(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return;
                }
            }
            _ => {}
        }
    }
}

#[derive(Debug, PartialEq)]
pub(super) enum Token {
    Open(char),
    Close(char),
    Str(String),
    Atom(String),
}

/// Query syntax as tokens: brackets, string literals (unescaped) and everything else split
/// at whitespace; comments dropped.
fn tokenize(text: &str) -> Vec<Token> {
    spanned_tokens(text).into_iter().map(|(t, _)| t).collect()
}

/// [`tokenize`], with each token's byte range in `text`.
pub(super) fn spanned_tokens(text: &str) -> Vec<(Token, std::ops::Range<usize>)> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let token = match c {
            ';' => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                continue;
            }
            '(' | '[' => Token::Open(c),
            ')' | ']' => Token::Close(c),
            '"' => {
                let mut s = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                s.push(match e {
                                    'n' => '\n',
                                    't' => '\t',
                                    other => other,
                                });
                            }
                        }
                        '"' => break,
                        other => s.push(other),
                    }
                }
                Token::Str(s)
            }
            c if c.is_whitespace() => continue,
            c => {
                let mut atom = String::from(c);
                while let Some(&(_, n)) = chars.peek() {
                    if n.is_whitespace() || matches!(n, '(' | ')' | '[' | ']' | '"' | ';') {
                        break;
                    }
                    atom.push(n);
                    chars.next();
                }
                Token::Atom(atom)
            }
        };
        let end = chars.peek().map_or(text.len(), |&(at, _)| at);
        tokens.push((token, start..end));
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_words_are_read_from_patterns() {
        let (roots, words) = read_pattern(
            "(call_expression\n  function: [(identifier) @_n (member_expression)] ; (x\n  (#any-of? @_n \"it\" \"test\")) @call",
        )
        .unwrap();
        assert_eq!(roots, ["call_expression"]);
        assert_eq!(words, ["it", "test"]);
        let (roots, words) =
            read_pattern("[(function_declaration) (class_declaration)] @d").unwrap();
        assert_eq!(roots, ["function_declaration", "class_declaration"]);
        assert!(words.is_empty());
        // A negated predicate filters nothing.
        let (_, words) = read_pattern("(assignment left: (_) @n (#not-eq? @n \"x\"))").unwrap();
        assert!(words.is_empty());
        assert!(read_pattern("(_ (identifier)) @x").is_none());
        assert!(read_pattern("\"return\" @kw").is_none());
    }

    #[test]
    fn word_hits_stand_alone() {
        let query = Engine::Query(
            tree_sitter::Query::new(
                &Lang::JavaScript.grammar(),
                "(call_expression function: (identifier) @_n (#eq? @_n \"it\")) @c",
            )
            .unwrap(),
        );
        let source = "(call_expression function: (identifier) @_n (#eq? @_n \"it\")) @c";
        let anchoring = Anchoring::of(&query, source, Lang::JavaScript, 0..1).unwrap();
        assert_eq!(
            anchoring.word_hits(b"item; it('x'); edit; $it; it"),
            [6, 26]
        );
    }
}

/// A node of a file's tree where some extractor's query may match, found by the walk.
#[derive(Clone, Copy)]
pub struct Anchor<'t> {
    pub node: Node<'t>,
    /// The node's byte range, kept to filter anchors without asking the tree.
    pub start: usize,
    pub end: usize,
    pub kind: u16,
    /// Levels below the root of the tree.
    pub depth: u32,
    /// Which of the file's anchored extractors may match here, one bit each.
    pub mask: u16,
}

impl<'t> Anchor<'t> {
    /// Adds the visited node to `out` when its kind has bits in `table` (by kind id, which
    /// of the file's anchored extractors may match at such a node).
    pub fn record(visit: &Visit<'t>, table: &[u16], out: &mut Vec<Anchor<'t>>) {
        let Visit {
            node, kind, depth, ..
        } = *visit;
        if let Some(&mask) = table.get(usize::from(kind))
            && mask != 0
        {
            out.push(Anchor {
                node,
                start: node.start_byte(),
                end: node.end_byte(),
                kind,
                depth,
                mask,
            });
        }
    }
}
