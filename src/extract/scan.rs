//! Query scans for the extractors whose Rust layer decides where to look: each scan runs the
//! extractor's query over one subtree, to a bounded depth, and hands every match over with
//! its capture names resolved.

use super::anchor::{Anchor, Anchoring};
use super::bindings::Imports;
use super::symbols::ExportList;
use crate::lang::Lang;
use std::ops::ControlFlow;
use tree_sitter::{
    Node, Query, QueryCursor, QueryCursorOptions, QueryCursorState, QueryMatch, StreamingIterator,
};

/// One extractor's share of a combined query: the query and the indices of its patterns.
pub struct OwnQuery<'a> {
    pub query: &'a Query,
    pub patterns: std::ops::Range<usize>,
}

/// One file as every extractor sees it: its tree and text, and the facts computed once per
/// file for whichever extractor asks (the export list always, the imports on first use).
pub struct FileContext<'a, 't> {
    pub root: Node<'t>,
    pub text: &'a [u8],
    pub lang: Lang,
    pub path: &'a str,
    pub exports: ExportList,
    imports: std::cell::OnceCell<Imports>,
}

impl<'a, 't> FileContext<'a, 't> {
    pub fn new(root: Node<'t>, text: &'a [u8], lang: Lang, path: &'a str) -> FileContext<'a, 't> {
        FileContext {
            root,
            text,
            lang,
            path,
            exports: ExportList::of(root, text, lang),
            imports: std::cell::OnceCell::new(),
        }
    }

    /// The file's module-level imports and the names they bind.
    pub fn imports(&self) -> &Imports {
        self.imports
            .get_or_init(|| Imports::of(self.root, self.text, self.lang))
    }
}

/// One file's parsed tree and the extractor's query over it.
pub struct Scan<'a, 't> {
    query: Option<OwnQuery<'a>>,
    cursor: &'a mut QueryCursor,
    pub root: Node<'t>,
    pub text: &'a [u8],
    pub lang: Lang,
    pub path: &'a str,
    /// The file's export list, built once per file for every extractor that asks.
    pub exports: &'a ExportList,
    file: &'a FileContext<'a, 't>,
    /// Polled as the query runs; `true` means the budget ran out or the run is cancelled.
    should_stop: &'a mut dyn FnMut() -> bool,
    stopped: bool,
    /// The nodes the file's walk found where this query can match, when it can be anchored.
    anchors: Option<Anchors<'a, 't>>,
}

/// One extractor's share of the file's anchors.
pub struct Anchors<'a, 't> {
    pub all: &'a [Anchor<'t>],
    pub bit: u16,
    pub anchoring: &'a Anchoring,
    /// Sorted positions of the query's predicate words in the file.
    pub hits: Vec<usize>,
}

/// One match: its captures, by name, in pattern order.
pub struct Match<'a, 't> {
    pub captures: Vec<(&'a str, Node<'t>)>,
}

impl<'a, 't> Match<'a, 't> {
    /// A tree-sitter match with its capture names resolved through `names`.
    fn of(names: &[&'a str], m: &QueryMatch<'_, 't>) -> Match<'a, 't> {
        Match {
            captures: m
                .captures()
                .iter()
                .map(|c| (names[c.index as usize], c.node))
                .collect(),
        }
    }

    /// The first node captured as `name`.
    pub fn get(&self, name: &str) -> Option<Node<'t>> {
        self.captures
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, node)| *node)
    }

    /// The name of the first capture that is not one of `roles`: the match's kind, for
    /// queries that capture the matched definition under a name saying what it is.
    pub fn kind_besides(&self, roles: &[&str]) -> Option<(&'a str, Node<'t>)> {
        self.captures
            .iter()
            .find(|(n, _)| !roles.contains(n) && !n.starts_with('_'))
            .map(|(n, node)| (*n, *node))
    }
}

impl<'a, 't> Scan<'a, 't> {
    pub fn new(
        query: Option<OwnQuery<'a>>,
        cursor: &'a mut QueryCursor,
        file: &'a FileContext<'a, 't>,
        should_stop: &'a mut dyn FnMut() -> bool,
    ) -> Scan<'a, 't> {
        Scan {
            query,
            cursor,
            root: file.root,
            text: file.text,
            lang: file.lang,
            path: file.path,
            exports: &file.exports,
            file,
            should_stop,
            stopped: false,
            anchors: None,
        }
    }

    /// The file's module-level imports and the names they bind.
    pub fn imports(&self) -> &'a Imports {
        self.file.imports()
    }

    /// Runs whole-tree matches at `anchors` only; the result is the same, as no match of
    /// the query can start anywhere else.
    pub fn with_anchors(mut self, anchors: Anchors<'a, 't>) -> Self {
        self.anchors = Some(anchors);
        self
    }

    /// Whether a scan was cut short; the file's items are then discarded.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Polls the budget outside of a query, for extractors that also walk trees by hand.
    pub fn over_budget(&mut self) -> bool {
        if !self.stopped && (self.should_stop)() {
            self.stopped = true;
        }
        self.stopped
    }

    /// Runs the query over `node`'s subtree, with matches starting at most `max_depth`
    /// below it, and calls `f` with each match in document order.
    pub fn matches(
        &mut self,
        node: Node<'t>,
        max_depth: Option<u32>,
        mut f: impl FnMut(&Match<'a, 't>),
    ) {
        let Some(own) = &self.query else {
            return;
        };
        let query = own.query;
        if self.stopped {
            return;
        }
        if let Some(anchors) = &self.anchors
            && node == self.root
        {
            let names = query.capture_names();
            let stopped = for_each_anchored_match(
                self.cursor,
                own,
                self.text,
                anchors,
                (node, 0),
                max_depth,
                &mut *self.should_stop,
                |m| f(&Match::of(names, m)),
            );
            self.stopped |= stopped;
            return;
        }
        self.cursor.set_max_start_depth(max_depth);
        let should_stop = &mut *self.should_stop;
        let mut stopped = false;
        {
            let mut progress = |_: &QueryCursorState| {
                if should_stop() {
                    stopped = true;
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            };
            let options = QueryCursorOptions::new().progress_callback(&mut progress);
            let mut it = self
                .cursor
                .matches_with_options(query, node, self.text, options);
            while let Some(m) = it.next() {
                if own.patterns.contains(&m.pattern_index) {
                    f(&Match::of(query.capture_names(), m));
                }
            }
        }
        self.cursor.set_max_start_depth(None);
        if stopped || should_stop() {
            self.stopped = true;
        }
    }
}

/// Runs an extractor's query at each anchor of `anchors` inside `within` (a node and its depth in the
/// tree), at most `max_depth` levels below it, calling `f` with every match: the same
/// matches a query pass over `within` with that start depth finds, as no match can start
/// anywhere but at an anchor. Returns whether `should_stop` cut it short; the budget is
/// polled between anchors, each being a small query run of its own.
#[expect(clippy::too_many_arguments, reason = "one anchored query run")]
pub fn for_each_anchored_match<'t>(
    cursor: &mut QueryCursor,
    own: &OwnQuery<'_>,
    text: &[u8],
    anchors: &Anchors<'_, 't>,
    within: (Node<'t>, u32),
    max_depth: Option<u32>,
    should_stop: &mut dyn FnMut() -> bool,
    mut f: impl FnMut(&QueryMatch<'_, 't>),
) -> bool {
    let (root, root_depth) = within;
    let (start, end) = (root.start_byte(), root.end_byte());
    // Anchors are in document order: the subtree's are one run of them.
    let first = anchors.all.partition_point(|a| a.start < start);
    cursor.set_max_start_depth(Some(0));
    let mut stopped = false;
    for (i, anchor) in anchors.all[first..].iter().enumerate() {
        if anchor.start >= end && end > start {
            break;
        }
        if anchor.mask & anchors.bit == 0
            || anchor.depth < root_depth
            || max_depth.is_some_and(|d| anchor.depth - root_depth > d)
            || anchor.end > end
            || !anchors.anchoring.may_match(anchor, &anchors.hits)
        {
            continue;
        }
        if i % 256 == 255 && should_stop() {
            stopped = true;
            break;
        }
        let mut matches = cursor.matches(own.query, anchor.node, text);
        while let Some(m) = matches.next() {
            if own.patterns.contains(&m.pattern_index) {
                f(m);
            }
        }
    }
    cursor.set_max_start_depth(None);
    stopped || should_stop()
}
