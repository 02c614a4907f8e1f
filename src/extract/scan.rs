//! Query scans for the extractors whose Rust layer decides where to look: each scan runs the
//! extractor's query over one subtree, to a bounded depth, and hands every match over with
//! its capture names resolved.

use super::anchor::{Anchor, Anchoring};
use super::bindings::Imports;
use super::pattern::WalkMatch;
use super::query::Engine;
use super::symbols::ExportList;
use crate::lang::Lang;
use std::ops::ControlFlow;
use tree_sitter::{
    Node, QueryCursor, QueryCursorOptions, QueryCursorState, QueryMatch, StreamingIterator,
};

/// One extractor's share of a combined query: the query and the indices of its patterns.
pub struct OwnQuery<'a> {
    pub query: &'a Engine,
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
    /// The children pattern matching listed, for every extractor's patterns.
    pub kids: std::cell::RefCell<super::pattern::Kids<'t>>,
    /// The file's routers, by the depth they were looked for to: `mounts` and `routes`
    /// both read them, and finding them reads every assignment, call and return.
    routers: std::cell::RefCell<Vec<(usize, std::rc::Rc<super::mounts::Routers>)>>,
    /// What finding the routers reads, when the call graph's walk collected it.
    walked: std::cell::OnceCell<Vec<super::mounts::Walked<'t>>>,
    /// The calls and JSX elements a component's or hook's facts are read from, when the
    /// call graph's walk collected them (`react::body_facts_from`).
    fact_nodes: std::cell::OnceCell<Vec<super::react::FactNode<'t>>>,
    /// How deep the `mounts` extractor looks (`mounts::depth`, a search of the text).
    mounts_depth: std::cell::OnceCell<usize>,
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
            kids: std::cell::RefCell::default(),
            routers: std::cell::RefCell::default(),
            walked: std::cell::OnceCell::new(),
            fact_nodes: std::cell::OnceCell::new(),
            mounts_depth: std::cell::OnceCell::new(),
        }
    }

    /// How deep the `mounts` extractor looks in this file (`mounts::depth`), found once.
    pub fn mounts_depth(&self) -> usize {
        *self
            .mounts_depth
            .get_or_init(|| super::mounts::depth(self.lang, self.text))
    }

    /// Hands over what the call graph's walk collected for finding the routers (all of it,
    /// to [`super::mounts::MAX_DEPTH`]).
    pub fn set_fact_nodes(&self, found: Vec<super::react::FactNode<'t>>) {
        // Set once per file, by the one walk.
        let _ = self.fact_nodes.set(found);
    }

    /// The nodes body facts are read from, if the call graph's walk collected them.
    pub fn fact_nodes(&self) -> Option<&[super::react::FactNode<'t>]> {
        self.fact_nodes.get().map(Vec::as_slice)
    }

    pub fn set_walked(&self, walked: Vec<super::mounts::Walked<'t>>) {
        // Set once per file, by the one walk.
        let _ = self.walked.set(walked);
    }

    /// The file's routers found `depth` levels deep: built once per file and depth.
    pub fn routers(&self, depth: usize) -> std::rc::Rc<super::mounts::Routers> {
        if let Some((_, found)) = self.routers.borrow().iter().find(|(d, _)| *d == depth) {
            return found.clone();
        }
        let imported = super::routes::imported(self.imports());
        let walked = self
            .walked
            .get()
            .filter(|_| depth <= super::mounts::MAX_DEPTH)
            .map(Vec::as_slice);
        let built = std::rc::Rc::new(if self.lang.is_js_like() {
            super::mounts::Routers::js(self.root, self.text, self.lang, imported, depth, walked)
        } else {
            super::mounts::Routers::python(self.root, self.text, imported, depth, walked)
        });
        self.routers.borrow_mut().push((depth, built.clone()));
        built
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
    /// The file's text, searched for the query's predicate words.
    pub text: &'a [u8],
    /// Sorted positions of those words in the file, found when an anchor first needs one:
    /// many files have no anchor of the kinds whose patterns name a word.
    pub hits: std::cell::OnceCell<Vec<usize>>,
}

impl Anchors<'_, '_> {
    fn hits(&self) -> &[usize] {
        self.hits
            .get_or_init(|| self.anchoring.word_hits(self.text))
    }
}

/// One match: its pattern (index in the query) and its captures, by name, in pattern order.
pub struct Match<'a, 't> {
    pub pattern: usize,
    pub captures: Vec<(&'a str, Node<'t>)>,
}

impl<'a, 't> Match<'a, 't> {
    /// A tree-sitter match with its capture names resolved through `engine`.
    pub fn of(engine: &'a Engine, m: &QueryMatch<'_, 't>) -> Match<'a, 't> {
        Match {
            pattern: m.pattern_index,
            captures: m
                .captures()
                .iter()
                .map(|c| (engine.capture_name(c.index as usize), c.node))
                .collect(),
        }
    }

    /// A walk match with its capture names resolved through `engine`.
    pub fn of_walk(engine: &'a Engine, m: WalkMatch<'t>) -> Match<'a, 't> {
        Match {
            pattern: m.pattern,
            captures: m
                .captures
                .into_iter()
                .map(|(c, node)| (engine.capture_name(usize::from(c)), node))
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

    /// The calls and JSX elements the call graph's walk collected, if it ran
    /// ([`FileContext::fact_nodes`]).
    pub fn fact_nodes(&self) -> Option<&'a [super::react::FactNode<'t>]> {
        self.file.fact_nodes()
    }

    /// The file's routers found `depth` levels deep, built once per file and depth
    /// ([`FileContext::routers`]).
    pub fn routers(&self, depth: usize) -> std::rc::Rc<super::mounts::Routers> {
        self.file.routers(depth)
    }

    /// How deep the `mounts` extractor looks in this file ([`FileContext::mounts_depth`]).
    pub fn mounts_depth(&self) -> usize {
        self.file.mounts_depth()
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
            let stopped = for_each_anchored_match(
                self.cursor,
                own,
                self.text,
                &self.file.kids,
                anchors,
                (node, 0),
                max_depth,
                &mut *self.should_stop,
                |m| f(&m),
            );
            self.stopped |= stopped;
            return;
        }
        let should_stop = &mut *self.should_stop;
        if let Engine::Walk(walk) = query {
            let mut found = Vec::new();
            let stopped = walk.matches_under(
                own.patterns.clone(),
                node,
                max_depth,
                self.text,
                should_stop,
                &mut found,
            );
            if stopped || should_stop() {
                self.stopped = true;
                return;
            }
            for m in found {
                f(&Match::of_walk(query, m));
            }
            return;
        }
        let Engine::Query(ts_query) = query else {
            return;
        };
        self.cursor.set_max_start_depth(max_depth);
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
                .matches_with_options(ts_query, node, self.text, options);
            while let Some(m) = it.next() {
                if own.patterns.contains(&m.pattern_index) {
                    f(&Match::of(query, m));
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
pub fn for_each_anchored_match<'a, 't>(
    cursor: &mut QueryCursor,
    own: &OwnQuery<'a>,
    text: &[u8],
    kids: &std::cell::RefCell<super::pattern::Kids<'t>>,
    anchors: &Anchors<'_, 't>,
    within: (Node<'t>, u32),
    max_depth: Option<u32>,
    should_stop: &mut dyn FnMut() -> bool,
    mut f: impl FnMut(Match<'a, 't>),
) -> bool {
    let (root, root_depth) = within;
    let (start, end) = (root.start_byte(), root.end_byte());
    // Anchors are in document order: the subtree's are one run of them.
    let first = anchors.all.partition_point(|a| a.start < start);
    cursor.set_max_start_depth(Some(0));
    let mut stopped = false;
    let mut found = Vec::new();
    for (i, anchor) in anchors.all[first..].iter().enumerate() {
        if anchor.start >= end && end > start {
            break;
        }
        if anchor.mask & anchors.bit == 0
            || anchor.depth < root_depth
            || max_depth.is_some_and(|d| anchor.depth - root_depth > d)
            || anchor.end > end
            || !anchors.anchoring.may_match(anchor, || anchors.hits())
        {
            continue;
        }
        if i % 256 == 255 && should_stop() {
            stopped = true;
            break;
        }
        match own.query {
            Engine::Walk(walk) => {
                // Borrowed for the matching alone: `f` may start a scan of its own.
                walk.matches_at(
                    own.patterns.clone(),
                    anchor.node,
                    text,
                    &mut kids.borrow_mut(),
                    &mut found,
                );
                for m in found.drain(..) {
                    f(Match::of_walk(own.query, m));
                }
            }
            Engine::Query(query) => {
                let mut matches = cursor.matches(query, anchor.node, text);
                while let Some(m) = matches.next() {
                    if own.patterns.contains(&m.pattern_index) {
                        f(Match::of(own.query, m));
                    }
                }
            }
        }
    }
    cursor.set_max_start_depth(None);
    stopped || should_stop()
}
