//! Walk matching: the bundled queries' patterns, matched by hand at the nodes the file's
//! walk hands over, instead of by a compiled tree-sitter query.
//!
//! Compiling a tree-sitter query analyses the whole grammar (`ts_query__analyze_patterns`):
//! for a TypeScript file that is most of a small run (a one-file tree spent 77% of its time
//! there, and every worker and every `--incremental` run paid it again). The bundled queries
//! use a small part of the query language: node kinds, fields, alternations, `?`, a leading
//! `.` anchor, and text predicates. This module reads that part and matches it the way
//! tree-sitter's query cursor does, in the same order, with the same captures in the same
//! order; a query using anything else is compiled by tree-sitter as before (a repository's
//! own queries always are, so that their errors keep tree-sitter's wording). The tests
//! compare both engines match by match on every fixture file (`DISCOVER_WALK_CORPUS` adds a
//! tree of your own).

use super::anchor::{Token, spanned_tokens};
use super::syntax::NodeExt;
use crate::lang::Lang;
use std::ops::Range;
use std::rc::Rc;
use tree_sitter::Node;

/// A query file's patterns, ready to match.
pub struct Patterns {
    /// Capture names by id, in order of first use, as tree-sitter numbers them.
    capture_names: Vec<String>,
    patterns: Vec<Pattern>,
}

struct Pattern {
    root: Item,
    predicates: Vec<Predicate>,
    bytes: Range<usize>,
}

/// A node pattern or an alternation, with its captures and whether it may be absent.
struct Item {
    pat: Pat,
    captures: Vec<u16>,
    optional: bool,
}

enum Pat {
    Node { kind: Kind, children: Vec<Child> },
    Alt(Vec<Item>),
}

enum Kind {
    /// The kind ids of a named kind (a name can stand for several, through aliases).
    Named(Vec<u16>),
    /// `(_)`: any named node.
    AnyNamed,
    /// `_`: any node.
    Any,
    /// `"default"`: an anonymous node with this text.
    Anonymous(String),
}

struct Child {
    field: Option<u16>,
    /// A `.` before the first child pattern: it matches the first named child only.
    first: bool,
    item: Item,
}

enum Predicate {
    Eq {
        capture: u16,
        text: String,
        positive: bool,
    },
    AnyOf {
        capture: u16,
        words: Vec<String>,
        positive: bool,
    },
    Match {
        capture: u16,
        regex: regex::bytes::Regex,
        positive: bool,
    },
}

/// One match: its pattern and its captures (capture id, node) in tree-sitter's order.
pub struct WalkMatch<'t> {
    pub pattern: usize,
    pub captures: Vec<(u16, Node<'t>)>,
}

/// A match in the making, and the node that completes it, as (start byte, depth): the query
/// cursor hands matches over in the order they complete. Its captures are a stretch of
/// [`Kids::captures`].
#[derive(Clone, Copy)]
struct Partial {
    captures: (u32, u32),
    last: (usize, u32),
}

impl Partial {
    fn captures(self) -> Range<usize> {
        self.captures.0 as usize..self.captures.1 as usize
    }
}

impl Patterns {
    /// Reads `source` for `lang`, or `None` when it uses a part of the query language this
    /// matcher does not read, or names a kind or field the grammar lacks (tree-sitter then
    /// compiles it, and reports what is wrong).
    pub fn parse(source: &str, lang: Lang) -> Option<Patterns> {
        let tokens = spanned_tokens(source);
        let mut reader = Reader {
            tokens: &tokens,
            at: 0,
            lang,
            grammar: lang.grammar(),
            captures: Vec::new(),
            predicates: Vec::new(),
        };
        let mut patterns = Vec::new();
        while reader.at < tokens.len() {
            let start = tokens[reader.at].1.start;
            let root = reader.item()?;
            if root.optional {
                return None;
            }
            let end = tokens[reader.at - 1].1.end;
            patterns.push(Pattern {
                root,
                predicates: std::mem::take(&mut reader.predicates),
                bytes: start..end,
            });
        }
        Some(Patterns {
            capture_names: reader.captures,
            patterns,
        })
    }

    pub fn capture_names(&self) -> &[String] {
        &self.capture_names
    }

    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// The byte range of pattern `p` in the source.
    pub fn pattern_bytes(&self, p: usize) -> Range<usize> {
        self.patterns[p].bytes.clone()
    }

    /// Every match of the patterns `patterns` that starts at `node`, in the order the query
    /// cursor gives them (`set_max_start_depth(0)` at `node`).
    pub fn matches_at<'t>(
        &self,
        patterns: Range<usize>,
        node: Node<'t>,
        text: &[u8],
        kids: &mut Kids<'t>,
        out: &mut Vec<WalkMatch<'t>>,
    ) {
        let mut found = Vec::new();
        self.collect_at(patterns, node, 0, text, kids, &mut found);
        found.sort_by_key(|(last, pattern, _)| (*last, *pattern));
        out.extend(
            found
                .into_iter()
                .map(|(_, pattern, captures)| WalkMatch { pattern, captures }),
        );
    }

    /// Every match of `patterns` starting in `root`'s subtree at most `max_depth` levels
    /// below it, in the order the query cursor gives them. `should_stop` is polled every so
    /// many nodes; returns whether it cut the scan short.
    pub fn matches_under<'t>(
        &self,
        patterns: Range<usize>,
        root: Node<'t>,
        max_depth: Option<u32>,
        text: &[u8],
        should_stop: &mut dyn FnMut() -> bool,
        out: &mut Vec<WalkMatch<'t>>,
    ) -> bool {
        // (completion, start depth, start order, pattern): matches completing at one node
        // come shallowest start first, then by pattern, as the cursor keeps its states.
        type Found<'t> = ((usize, u32), u32, usize, usize, Vec<(u16, Node<'t>)>);
        let mut found: Vec<Found<'t>> = Vec::new();
        let mut cursor = root.walk();
        let mut depth = 0u32;
        let mut order = 0usize;
        let mut at_start = Vec::new();
        let mut kids = Kids::default();
        loop {
            if order % 4096 == 4095 && should_stop() {
                return true;
            }
            let node = cursor.node();
            at_start.clear();
            self.collect_at(
                patterns.clone(),
                node,
                depth,
                text,
                &mut kids,
                &mut at_start,
            );
            for (last, pattern, captures) in at_start.drain(..) {
                found.push((last, depth, order, pattern, captures));
            }
            order += 1;
            if max_depth.is_none_or(|d| depth < d) && cursor.goto_first_child() {
                depth += 1;
                continue;
            }
            loop {
                if depth == 0 {
                    found.sort_by_key(|f| (f.0, f.1, f.2, f.3));
                    out.extend(found.into_iter().map(|f| WalkMatch {
                        pattern: f.3,
                        captures: f.4,
                    }));
                    return false;
                }
                if cursor.goto_next_sibling() {
                    break;
                }
                cursor.goto_parent();
                depth -= 1;
            }
        }
    }

    /// The matches of `patterns` starting at `node` (`depth` below the scan's root), each
    /// with the node completing it, its pattern and its captures.
    #[expect(clippy::type_complexity, reason = "one list of matches in the making")]
    fn collect_at<'t>(
        &self,
        patterns: Range<usize>,
        node: Node<'t>,
        depth: u32,
        text: &[u8],
        kids: &mut Kids<'t>,
        out: &mut Vec<((usize, u32), usize, Vec<(u16, Node<'t>)>)>,
    ) {
        kids.captures.clear();
        let mut partials = kids.list();
        for p in patterns {
            let pattern = &self.patterns[p];
            if !pattern.root.may_start(node) {
                continue;
            }
            partials.clear();
            item_matches(&pattern.root, node, depth, 0..0, kids, &mut partials);
            // Two ways of matching that differ only in captures one of them lacks (an
            // optional node skipped or taken) are one match, the fuller, as the cursor
            // drops a state whose captures another state at its step holds.
            let all = &kids.captures;
            for (i, partial) in partials.iter().enumerate() {
                let captures = &all[partial.captures()];
                let dominated = partials.iter().enumerate().any(|(j, other)| {
                    let others = &all[other.captures()];
                    j != i && contains(others, captures) && (!contains(captures, others) || j < i)
                });
                if !dominated && pattern.predicates.iter().all(|p| p.holds(captures, text)) {
                    out.push((partial.last, p, captures.to_vec()));
                }
            }
        }
        kids.give_back(partials);
    }
}

/// The children of the nodes patterns looked into, each node's listed once per file: the
/// extractors' patterns start at the same anchors and look at the same children (three
/// listings in five repeated an earlier one). And the matcher's working lists, kept between
/// nodes: a match in the making was a list of its own, grown and copied at every step, a
/// quarter of a run's allocations.
#[derive(Default)]
pub struct Kids<'t> {
    listed: foldhash::HashMap<usize, Listing<'t>>,
    /// The captures of the matches in the making at one node, each a stretch of it.
    captures: Vec<(u16, Node<'t>)>,
    /// The captures of enclosing alternations, each list a stretch of it.
    outer: Vec<u16>,
    /// Lists of matches in the making, for reuse.
    lists: Vec<Vec<Partial>>,
}

/// A node's children with the field each fills.
type Listing<'t> = Rc<[(Node<'t>, Option<u16>)]>;

impl<'t> Kids<'t> {
    /// `node`'s children (tokens included) with their fields, as `preorder::children`
    /// lists them. The memo is keyed by node id, which is unique within one tree: a
    /// `Kids` must not outlive its tree's file (the lifetime holds it to the tree).
    fn of(&mut self, node: Node<'t>) -> Listing<'t> {
        self.listed
            .entry(node.id())
            .or_insert_with(|| super::preorder::shared_children(node))
            .clone()
    }

    fn list(&mut self) -> Vec<Partial> {
        self.lists.pop().unwrap_or_default()
    }

    fn give_back(&mut self, mut list: Vec<Partial>) {
        list.clear();
        self.lists.push(list);
    }
}

/// Whether every capture of `b` is in `a`.
fn contains(a: &[(u16, Node<'_>)], b: &[(u16, Node<'_>)]) -> bool {
    b.iter().all(|c| a.contains(c))
}

impl Item {
    /// A quick test of the node's kind, before any child is looked at.
    fn may_start(&self, node: Node<'_>) -> bool {
        match &self.pat {
            Pat::Node { kind, .. } => kind.admits(node),
            Pat::Alt(items) => items.iter().any(|i| i.may_start(node)),
        }
    }
}

impl Kind {
    fn admits(&self, node: Node<'_>) -> bool {
        match self {
            // The kind first: most nodes tried are of another kind, and the id is one call.
            Kind::Named(ids) => ids.contains(&node.kind_id()) && node.is_named(),
            Kind::AnyNamed => node.is_named(),
            Kind::Any => true,
            Kind::Anonymous(text) => !node.is_named() && node.kind_str() == text,
        }
    }
}

/// Every way `item` matches `node` (which is `depth` below the scan's root), with
/// `outer` (the captures of enclosing alternations, a stretch of `Kids::outer`) taken at
/// the node after its own.
fn item_matches<'t>(
    item: &Item,
    node: Node<'t>,
    depth: u32,
    outer: Range<usize>,
    kids: &mut Kids<'t>,
    out: &mut Vec<Partial>,
) {
    match &item.pat {
        Pat::Alt(items) => {
            let mark = kids.outer.len();
            kids.outer.extend_from_slice(&item.captures);
            kids.outer.extend_from_within(outer);
            for alternative in items {
                item_matches(alternative, node, depth, mark..kids.outer.len(), kids, out);
            }
            kids.outer.truncate(mark);
        }
        Pat::Node { kind, children } => {
            if !kind.admits(node) {
                return;
            }
            let from = kids.captures.len();
            kids.captures
                .extend(item.captures.iter().map(|&c| (c, node)));
            for at in outer {
                let capture = kids.outer[at];
                kids.captures.push((capture, node));
            }
            let base = Partial {
                captures: (from as u32, kids.captures.len() as u32),
                last: (node.start_byte(), depth),
            };
            if children.is_empty() {
                out.push(base);
                return;
            }
            let listing = kids.of(node);
            children_matches(children, &listing, 0, base, depth, kids, out);
        }
    }
}

/// Every way `children` (child patterns, in order) match among `listing[from..]`, after
/// what `acc` matched so far.
fn children_matches<'t>(
    children: &[Child],
    listing: &[(Node<'t>, Option<u16>)],
    from: usize,
    acc: Partial,
    depth: u32,
    kids: &mut Kids<'t>,
    out: &mut Vec<Partial>,
) {
    let Some((child, rest)) = children.split_first() else {
        out.push(acc);
        return;
    };
    if child.item.optional {
        children_matches(rest, listing, from, acc, depth, kids, out);
    }
    let candidates = if child.first {
        match listing.iter().position(|(k, _)| k.is_named()) {
            Some(first) if first >= from => first..first + 1,
            _ => 0..0,
        }
    } else {
        from..listing.len()
    };
    let mut subs = kids.list();
    for j in candidates {
        let (kid, field) = listing[j];
        if child.field.is_some() && field != child.field {
            continue;
        }
        subs.clear();
        item_matches(&child.item, kid, depth + 1, 0..0, kids, &mut subs);
        for &sub in &subs {
            let start = kids.captures.len();
            kids.captures.extend_from_within(acc.captures());
            kids.captures.extend_from_within(sub.captures());
            let next = Partial {
                captures: (start as u32, kids.captures.len() as u32),
                last: sub.last,
            };
            children_matches(rest, listing, j + 1, next, depth, kids, out);
        }
    }
    kids.give_back(subs);
}

impl Predicate {
    /// Whether the predicate holds, as tree-sitter's text predicates decide it: for every
    /// node of its capture (the bundled queries capture one node per name); vacuously when
    /// the capture is absent.
    fn holds(&self, captures: &[(u16, Node<'_>)], text: &[u8]) -> bool {
        let capture = match self {
            Predicate::Eq { capture, .. }
            | Predicate::AnyOf { capture, .. }
            | Predicate::Match { capture, .. } => *capture,
        };
        captures
            .iter()
            .filter(|(c, _)| *c == capture)
            .all(|(_, node)| {
                let bytes = text.get(node.byte_range()).unwrap_or_default();
                match self {
                    Predicate::Eq {
                        text: s, positive, ..
                    } => (bytes == s.as_bytes()) == *positive,
                    Predicate::AnyOf {
                        words, positive, ..
                    } => words.iter().any(|w| bytes == w.as_bytes()) == *positive,
                    Predicate::Match {
                        regex, positive, ..
                    } => regex.is_match(bytes) == *positive,
                }
            })
    }
}

/// Reads patterns from tokens; every method returns `None` at anything it does not read.
struct Reader<'a> {
    tokens: &'a [(Token, Range<usize>)],
    at: usize,
    lang: Lang,
    grammar: tree_sitter::Language,
    captures: Vec<String>,
    /// The predicates of the pattern being read, wherever in it they are written.
    predicates: Vec<Predicate>,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn next(&mut self) -> Option<&Token> {
        self.at += 1;
        self.tokens.get(self.at - 1).map(|(t, _)| t)
    }

    fn capture_id(&mut self, name: &str) -> Option<u16> {
        let id = match self.captures.iter().position(|c| c == name) {
            Some(id) => id,
            None => {
                self.captures.push(name.to_string());
                self.captures.len() - 1
            }
        };
        u16::try_from(id).ok()
    }

    /// A pattern with the captures and quantifier written after it.
    fn item(&mut self) -> Option<Item> {
        let pat = match self.next()? {
            Token::Open('(') => self.node()?,
            Token::Open('[') => {
                let mut items = Vec::new();
                while self.peek()? != &Token::Close(']') {
                    items.push(self.item()?);
                }
                self.at += 1;
                if items.is_empty() {
                    return None;
                }
                Pat::Alt(items)
            }
            Token::Atom(a) if a == "_" => Pat::Node {
                kind: Kind::Any,
                children: Vec::new(),
            },
            Token::Str(s) => {
                let s = s.clone();
                self.kind_ids(&s, false)?;
                Pat::Node {
                    kind: Kind::Anonymous(s),
                    children: Vec::new(),
                }
            }
            _ => return None,
        };
        let mut item = Item {
            pat,
            captures: Vec::new(),
            optional: false,
        };
        while let Some(Token::Atom(a)) = self.peek() {
            if let Some(name) = a.strip_prefix('@') {
                let name = name.to_string();
                let id = self.capture_id(&name)?;
                item.captures.push(id);
            } else if a == "?" && !item.optional {
                item.optional = true;
            } else {
                break;
            }
            self.at += 1;
        }
        Some(item)
    }

    /// The inside of `( … )`, its opening bracket read.
    fn node(&mut self) -> Option<Pat> {
        let Some(Token::Atom(name)) = self.next() else {
            return None;
        };
        let name = name.clone();
        let kind = if name == "_" {
            Kind::AnyNamed
        } else if name.starts_with('#') || name.starts_with('.') || name.contains(':') {
            return None;
        } else {
            Kind::Named(self.kind_ids(&name, true)?)
        };
        let mut children = Vec::new();
        let mut first = false;
        loop {
            match self.peek()? {
                Token::Close(')') => {
                    self.at += 1;
                    break;
                }
                Token::Atom(a) if a == "." => {
                    // Only a leading anchor: "first named child".
                    if !children.is_empty() || first {
                        return None;
                    }
                    first = true;
                    self.at += 1;
                }
                Token::Atom(a) if a.ends_with(':') => {
                    let field = a.trim_end_matches(':').to_string();
                    self.at += 1;
                    let id = self.grammar.field_id_for_name(&field)?;
                    let item = self.item()?;
                    children.push(Child {
                        field: Some(u16::from(id)),
                        first: std::mem::take(&mut first),
                        item,
                    });
                }
                Token::Open('(')
                    if matches!(
                        self.tokens.get(self.at + 1),
                        Some((Token::Atom(a), _)) if a.starts_with('#')
                    ) =>
                {
                    self.at += 1;
                    self.predicate()?;
                }
                _ => {
                    let item = self.item()?;
                    children.push(Child {
                        field: None,
                        first: std::mem::take(&mut first),
                        item,
                    });
                }
            }
        }
        if first {
            return None;
        }
        Some(Pat::Node { kind, children })
    }

    /// `(#op? @capture …)`, its opening bracket read.
    fn predicate(&mut self) -> Option<()> {
        let Some(Token::Atom(op)) = self.next() else {
            return None;
        };
        let op = op.clone();
        let Some(Token::Atom(capture)) = self.next() else {
            return None;
        };
        let capture = capture.strip_prefix('@')?.to_string();
        let capture = self.capture_id(&capture)?;
        let mut args = Vec::new();
        loop {
            match self.next()? {
                Token::Close(')') => break,
                Token::Str(s) => args.push(s.clone()),
                _ => return None,
            }
        }
        let (name, positive) = match op.strip_prefix("#not-") {
            Some(rest) => (rest, false),
            None => (op.strip_prefix('#')?, true),
        };
        let predicate = match (name, args.as_slice()) {
            ("eq?", [s]) => Predicate::Eq {
                capture,
                text: s.clone(),
                positive,
            },
            ("any-of?", [_, ..]) => Predicate::AnyOf {
                capture,
                words: args,
                positive,
            },
            ("match?", [r]) => Predicate::Match {
                capture,
                regex: regex::bytes::Regex::new(r).ok()?,
                positive,
            },
            _ => return None,
        };
        self.predicates.push(predicate);
        Some(())
    }

    /// The ids of the visible kinds named `name`, named or anonymous; `None` when there are
    /// none, or when one is a supertype (which a query matches by its subtypes).
    fn kind_ids(&self, name: &str, named: bool) -> Option<Vec<u16>> {
        let supertypes = self.grammar.supertypes();
        let mut ids = Vec::new();
        for &id in self.lang.kind_ids(name, named) {
            if supertypes.contains(&id) {
                return None;
            }
            if self.grammar.node_kind_is_visible(id) {
                ids.push(id);
            }
        }
        (!ids.is_empty()).then_some(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tree_sitter::{Parser, Query, QueryCursor, StreamingIterator};

    /// A match as both engines report it: pattern, then (capture name, kind, bytes).
    type Seen = (usize, Vec<(String, String, usize, usize)>);

    fn of_walk(p: &Patterns, m: &WalkMatch<'_>) -> Seen {
        (
            m.pattern,
            m.captures
                .iter()
                .map(|(c, n)| {
                    (
                        p.capture_names[usize::from(*c)].clone(),
                        n.kind_str().to_string(),
                        n.start_byte(),
                        n.end_byte(),
                    )
                })
                .collect(),
        )
    }

    fn of_query(q: &Query, m: &tree_sitter::QueryMatch<'_, '_>) -> Seen {
        (
            m.pattern_index,
            m.captures()
                .iter()
                .map(|c| {
                    (
                        q.capture_names()[c.index as usize].to_string(),
                        c.node.kind_str().to_string(),
                        c.node.start_byte(),
                        c.node.end_byte(),
                    )
                })
                .collect(),
        )
    }

    /// The source files under `dir`, recursively, with their languages.
    fn files(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Lang)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                if path
                    .file_name()
                    .is_some_and(|n| n == "node_modules" || n == ".git")
                {
                    continue;
                }
                files(&path, out);
            } else if let Some(lang) = path.to_str().and_then(Lang::from_path) {
                out.push((path, lang));
            }
        }
    }

    /// Both engines, on every bundled query the walk matcher reads, over every fixture file
    /// (and the tree `DISCOVER_WALK_CORPUS` names): the same matches, in the same order,
    /// with the same captures in the same order — over whole trees (at a depth bound, as
    /// the extractors scan) and at each node alone (as the anchored scans run).
    #[test]
    fn walk_matches_equal_the_query_cursor_on_every_fixture() {
        let mut trees = Vec::new();
        files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"),
            &mut trees,
        );
        if let Ok(corpus) = std::env::var("DISCOVER_WALK_CORPUS") {
            files(std::path::Path::new(&corpus), &mut trees);
        }
        assert!(trees.len() > 50, "fixture files found: {}", trees.len());
        let mut compared = 0usize;
        let mut parser = Parser::new();
        let mut cursor = QueryCursor::new();
        for lang in Lang::ALL {
            let queries: Vec<(String, Query, Patterns)> = super::super::query::bundled_texts(lang)
                .into_iter()
                .map(|(path, text)| {
                    let query = Query::new(&lang.grammar(), text).unwrap();
                    let walk = Patterns::parse(text, lang)
                        .unwrap_or_else(|| panic!("{path}: the walk matcher cannot read it"));
                    assert_eq!(walk.pattern_count(), query.pattern_count(), "{path}");
                    for p in 0..query.pattern_count() {
                        assert_eq!(
                            walk.pattern_bytes(p).start,
                            query.start_byte_for_pattern(p),
                            "{path} pattern {p}"
                        );
                    }
                    (path.to_string(), query, walk)
                })
                .collect();
            parser.set_language(&lang.grammar()).unwrap();
            for (file, _) in trees.iter().filter(|(_, l)| *l == lang) {
                let text = std::fs::read(file).unwrap();
                let tree = parser.parse(&text, None).unwrap();
                let root = tree.root_node();
                for (path, query, walk) in &queries {
                    let all = 0..walk.pattern_count();
                    for depth in [None, Some(2)] {
                        cursor.set_max_start_depth(depth);
                        let mut expected = Vec::new();
                        let mut it = cursor.matches(query, root, text.as_slice());
                        while let Some(m) = it.next() {
                            expected.push(of_query(query, m));
                        }
                        let mut found = Vec::new();
                        walk.matches_under(
                            all.clone(),
                            root,
                            depth,
                            &text,
                            &mut || false,
                            &mut found,
                        );
                        let found: Vec<Seen> = found.iter().map(|m| of_walk(walk, m)).collect();
                        assert_eq!(
                            found,
                            expected,
                            "{path} on {} (depth {depth:?})",
                            file.display()
                        );
                        compared += found.len();
                    }
                    // Each node alone, as an anchored scan runs.
                    cursor.set_max_start_depth(Some(0));
                    let mut walker = root.walk();
                    let mut stack = vec![root];
                    while let Some(node) = stack.pop() {
                        let mut expected = Vec::new();
                        let mut it = cursor.matches(query, node, text.as_slice());
                        while let Some(m) = it.next() {
                            expected.push(of_query(query, m));
                        }
                        let mut found = Vec::new();
                        walk.matches_at(all.clone(), node, &text, &mut Kids::default(), &mut found);
                        let found: Vec<Seen> = found.iter().map(|m| of_walk(walk, m)).collect();
                        assert_eq!(
                            found,
                            expected,
                            "{path} at {} in {}",
                            node.start_position(),
                            file.display()
                        );
                        stack.extend(node.children(&mut walker));
                    }
                    cursor.set_max_start_depth(None);
                }
            }
        }
        assert!(compared > 1000, "matches compared: {compared}");
    }

    #[test]
    fn what_the_matcher_does_not_read_is_left_to_tree_sitter() {
        let lang = Lang::JavaScript;
        assert!(Patterns::parse("(identifier) @x", lang).is_some());
        // Repetition, negated fields, an inner anchor, unknown kinds and fields, `#set!`.
        assert!(Patterns::parse("(arguments (string)* @s)", lang).is_none());
        assert!(Patterns::parse("(function_declaration !name)", lang).is_none());
        assert!(Patterns::parse("(arguments (string) . (string))", lang).is_none());
        assert!(Patterns::parse("(no_such_kind) @x", lang).is_none());
        assert!(Patterns::parse("(call_expression nope: (_)) @x", lang).is_none());
        assert!(Patterns::parse("((identifier) @x (#set! k v))", lang).is_none());
        assert!(Patterns::parse("(identifier) @x (", lang).is_none());
    }
}
