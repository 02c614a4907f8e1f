//! Query scans for the extractors whose Rust layer decides where to look: each scan runs the
//! extractor's query over one subtree, to a bounded depth, and hands every match over with
//! its capture names resolved.

use crate::lang::Lang;
use std::ops::ControlFlow;
use tree_sitter::{
    Node, Query, QueryCursor, QueryCursorOptions, QueryCursorState, StreamingIterator,
};

/// One file's parsed tree and the extractor's query over it.
pub struct Scan<'a, 't> {
    query: Option<&'a Query>,
    cursor: &'a mut QueryCursor,
    pub root: Node<'t>,
    pub text: &'a [u8],
    pub lang: Lang,
    pub path: &'a str,
    /// Polled as the query runs; `true` means the budget ran out or the run is cancelled.
    should_stop: &'a mut dyn FnMut() -> bool,
    stopped: bool,
}

/// One match: its captures, by name, in pattern order.
pub struct Match<'a, 't> {
    pub captures: Vec<(&'a str, Node<'t>)>,
}

impl<'a, 't> Match<'a, 't> {
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
        query: Option<&'a Query>,
        cursor: &'a mut QueryCursor,
        root: Node<'t>,
        text: &'a [u8],
        lang: Lang,
        path: &'a str,
        should_stop: &'a mut dyn FnMut() -> bool,
    ) -> Scan<'a, 't> {
        Scan {
            query,
            cursor,
            root,
            text,
            lang,
            path,
            should_stop,
            stopped: false,
        }
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
        let Some(query) = self.query else {
            return;
        };
        if self.stopped {
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
                let names = query.capture_names();
                let found = Match {
                    captures: m
                        .captures()
                        .iter()
                        .map(|c| (names[c.index as usize], c.node))
                        .collect(),
                };
                f(&found);
            }
        }
        self.cursor.set_max_start_depth(None);
        if stopped || should_stop() {
            self.stopped = true;
        }
    }
}
