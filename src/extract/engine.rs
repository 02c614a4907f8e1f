//! Parse once, extract many: a file is parsed a single time and every selected extractor's
//! query runs over the same tree, within a time budget.

use super::anchor::Anchor;
use super::anchor::Anchoring;
use super::preorder::Preorder;
use super::query::{Combined, Engine, QueryLoadError, compile_combined, has_query};
use super::registry::Run;
use super::scan::{Anchors, FileContext, Match, OwnQuery, Scan, for_each_anchored_match};
use super::syntax::{bare_ampersands_in_errors, count_syntax_errors, in_jsx_text};
use super::{ExtractorId, Items, Layer, calls, imports, symbols};
use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tree_sitter::{
    ParseOptions, ParseState, Parser, QueryCursor, QueryCursorOptions, QueryCursorState,
    StreamingIterator,
};

/// The queries of the selected extractors, each compiled for a grammar on first use (a
/// run over one JavaScript file compiles no Python or TypeScript query, and none of the
/// queries its word gates rule out) and then shared by every file.
pub struct ExtractorSet {
    selected: Vec<ExtractorId>,
    /// By position in `selected`, then lang index: the extractor's query and where its
    /// patterns can start (`None` when it ships no query for the grammar).
    queries: Vec<[OnceLock<Compiled>; Lang::COUNT]>,
    /// A small run: the queries one file needs are compiled together, as one query.
    together: std::sync::atomic::AtomicBool,
    /// The walk's tables by grammar and by the positions of the extractors anchored in a
    /// file: the same few combinations come back file after file, and building them cost
    /// some 20,000 instructions a file.
    walk_tables: std::sync::Mutex<WalkTablesCache>,
}

/// By grammar and positions of the anchored extractors.
type WalkTablesCache = std::collections::HashMap<(Lang, Vec<usize>), std::sync::Arc<WalkTables>>;

/// What the walk over one file reads, by kind id.
struct WalkTables {
    /// The anchored extractors whose queries may start at a kind, one bit each.
    anchors: Vec<u16>,
    /// The call graph's walk flags, and those of a walk for anchors alone.
    graph: Vec<u8>,
    bare: Vec<u8>,
}

/// An extractor's query and its anchoring, when its patterns can be anchored. The
/// bundled queries run on the walk matcher ([`super::pattern`]), which reads them in
/// microseconds; what follows is about a repository's own queries, which tree-sitter
/// compiles. In a large run each extractor's query is compiled alone: compiled as one
/// query, they shared the grammar analysis, but a run at an anchor then tried every
/// extractor's patterns that start at its kind, and each extractor runs at its own
/// anchors; a sequential run compiles on a second thread anyway
/// ([`ExtractorSet::prepare`]). A small run shares one query among the extractors a file
/// needs ([`ExtractorSet::compile_together`]).
type Own = (std::sync::Arc<Combined>, Option<Anchoring>);

/// An extractor's query for one grammar, once compiled (`None`: it ships none).
type Compiled = Result<Option<Own>, QueryLoadError>;

impl ExtractorSet {
    pub fn new(selected: &[ExtractorId]) -> ExtractorSet {
        ExtractorSet {
            selected: selected.to_vec(),
            queries: selected.iter().map(|_| Default::default()).collect(),
            together: std::sync::atomic::AtomicBool::new(false),
            walk_tables: Default::default(),
        }
    }

    /// The walk's tables for `lang` and the extractors `anchored` (position, anchoring).
    fn walk_tables(
        &self,
        lang: Lang,
        anchored: &[(usize, &Anchoring)],
    ) -> std::sync::Arc<WalkTables> {
        let key = (
            lang,
            anchored.iter().map(|(pos, _)| *pos).collect::<Vec<_>>(),
        );
        let mut cache = self.walk_tables.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                let anchors = anchor_table(lang, anchored);
                std::sync::Arc::new(WalkTables {
                    graph: calls::walk_flags(lang, &anchors, true),
                    bare: calls::walk_flags(lang, &anchors, false),
                    anchors,
                })
            })
            .clone()
    }

    /// The query of the extractor at `pos` for `lang`, or `None` when it ships none.
    fn query(&self, pos: usize, lang: Lang) -> Result<Option<OwnQuery<'_>>, ExtractError> {
        Ok(self.query_and_anchoring(pos, lang)?.map(|(q, _)| q))
    }

    fn query_and_anchoring(
        &self,
        pos: usize,
        lang: Lang,
    ) -> Result<Option<(OwnQuery<'_>, Option<&Anchoring>)>, ExtractError> {
        let extractor = self.selected[pos];
        if !has_query(extractor, lang) {
            return Ok(None);
        }
        let Some((combined, anchoring)) = self
            .own(pos, lang)
            .map_err(|e| ExtractError::Parser(e.to_string()))?
        else {
            return Ok(None);
        };
        let Some(patterns) = combined.patterns(extractor) else {
            return Ok(None);
        };
        Ok(Some((
            OwnQuery {
                query: &combined.engine,
                patterns,
            },
            anchoring.as_ref(),
        )))
    }

    /// The query of the extractor at `pos` for `lang`, compiled on first use.
    fn own(&self, pos: usize, lang: Lang) -> Result<Option<&Own>, &QueryLoadError> {
        self.queries[pos][lang.index()]
            .get_or_init(|| {
                let e = self.selected[pos];
                if !has_query(e, lang) {
                    return Ok(None);
                }
                let combined = std::sync::Arc::new(compile_combined(&[e], lang)?);
                Ok(Some(Self::share(&combined, e, lang)))
            })
            .as_ref()
            .map(Option::as_ref)
    }

    /// Compiles every query `langs` will need, grammar by grammar in that order. Run on a
    /// second thread while the first files are read and parsed, it takes the compilation
    /// of a repository's queries (tens of milliseconds each) off the critical path; a file
    /// that needs a query while it is being compiled waits for it instead of compiling it
    /// again, and an error is kept for the file that needs it to report, as without this.
    pub fn prepare(&self, langs: &[Lang]) {
        for &lang in langs {
            for pos in 0..self.selected.len() {
                let _ = self.own(pos, lang);
            }
        }
    }

    /// `extractor`'s part of a compiled query, with its anchoring.
    fn share(combined: &std::sync::Arc<Combined>, extractor: ExtractorId, lang: Lang) -> Own {
        let anchoring = combined
            .patterns(extractor)
            .and_then(|patterns| Anchoring::of(&combined.engine, &combined.source, lang, patterns));
        (combined.clone(), anchoring)
    }

    /// For a run of a few files: the queries each file needs are compiled together, as
    /// one query. Compiling a tree-sitter query for a large grammar has a fixed cost
    /// (TypeScript's: about 10 ms, as much as a dozen patterns), which one query pays
    /// once (the bundled queries, on the walk matcher, have none); a larger run
    /// compiles each extractor's query alone, since a combined query's runs try every
    /// extractor's patterns at each node.
    pub fn compile_together(&self) {
        self.together
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Compiles the queries of the extractors at the positions `admitted` marks, for
    /// `lang`: what one file needs.
    fn prepare_for(&self, lang: Lang, admitted: &[bool]) {
        if self.together.load(std::sync::atomic::Ordering::Relaxed) {
            let missing: Vec<usize> = (0..self.selected.len())
                .filter(|&pos| {
                    admitted[pos]
                        && has_query(self.selected[pos], lang)
                        && self.queries[pos][lang.index()].get().is_none()
                })
                .collect();
            let extractors: Vec<ExtractorId> =
                missing.iter().map(|&pos| self.selected[pos]).collect();
            // An error is left for each query compiled alone to report as its own.
            if extractors.len() > 1
                && let Ok(combined) = compile_combined(&extractors, lang)
            {
                let combined = std::sync::Arc::new(combined);
                for (&pos, &e) in missing.iter().zip(&extractors) {
                    let _ = self.queries[pos][lang.index()]
                        .set(Ok(Some(Self::share(&combined, e, lang))));
                }
            }
        }
        for (pos, _) in admitted.iter().enumerate().filter(|(_, a)| **a) {
            let _ = self.own(pos, lang);
        }
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
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    /// ERROR and MISSING nodes in the tree; extraction still ran over what parsed.
    pub syntax_errors: u32,
    /// Items per requested extractor, in the set's order, unsorted.
    pub items: Vec<Items>,
    /// Content hash of the bytes the items came from (empty for items read back from
    /// stored outputs, whose hash the manifest already holds).
    pub source_hash: String,
}

impl FileFacts {
    pub fn with_source_hash(mut self, hash: String) -> FileFacts {
        self.source_hash = hash;
        self
    }
}

/// Why a file yielded nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExtractError {
    /// Parsing or querying took longer than the per-file budget.
    OverBudget(Duration),
    /// Stopped because the run is being interrupted.
    Cancelled,
    /// tree-sitter could not load the grammar or gave no tree.
    Parser(String),
}

/// The file a match came from, as the symbols and imports layers read it.
struct FileView<'a> {
    text: &'a [u8],
    lang: Lang,
    path: &'a str,
    exports: &'a symbols::ExportList,
}

/// What the symbols or imports extractor gathers from its matches, whichever way its query
/// ran. Matches are keyed by pattern and node, so one found by two scans counts once.
#[derive(Default)]
struct Gathered {
    seen: foldhash::HashSet<(usize, usize, usize)>,
    symbols: Vec<symbols::Symbol>,
    imports: Vec<imports::Import>,
}

impl Gathered {
    /// Takes one match; returns a container (class, namespace, module-level block) to scan
    /// for more symbols, unless it is `scan_root` itself.
    fn add<'t>(
        &mut self,
        extractor: ExtractorId,
        m: &Match<'_, 't>,
        scan_root: tree_sitter::Node<'t>,
        file: &FileView<'_>,
    ) -> Option<tree_sitter::Node<'t>> {
        let key = m.captures.first().map_or((m.pattern, 0, 0), |(_, node)| {
            (m.pattern, node.start_byte(), node.end_byte())
        });
        if !self.seen.insert(key) {
            return None;
        }
        let (text, lang, path) = (file.text, file.lang, file.path);
        if extractor.layer() == Layer::Imports {
            imports::from_match(m, text, lang, path, &mut self.imports);
            return None;
        }
        if let Some(symbol) = symbols::from_match(m, text, lang, path, file.exports) {
            self.symbols.push(symbol);
        }
        symbols::container(m, text).filter(|c| *c != scan_root)
    }

    fn into_items(self, extractor: ExtractorId) -> Items {
        match extractor.layer() {
            Layer::Symbols => Items::Symbols(self.symbols),
            _ => Items::Imports(self.imports),
        }
    }
}

/// By node kind id, the bits of the anchored extractors whose queries may start there.
fn anchor_table(lang: Lang, anchored: &[(usize, &Anchoring)]) -> Vec<u16> {
    if anchored.is_empty() {
        return Vec::new();
    }
    let count = lang.grammar().node_kind_count();
    let mut table = vec![0u16; count];
    for (id, mask) in table.iter_mut().enumerate() {
        let Ok(id) = u16::try_from(id) else { break };
        for (bit, (_, anchoring)) in anchored.iter().enumerate() {
            if anchoring.is_root(id) {
                *mask |= 1 << bit;
            }
        }
    }
    table
}

/// Levels below the root of the tree: an anchor's recorded depth, or counted upwards.
fn depth_of(node: tree_sitter::Node<'_>, anchors: &[Anchor<'_>]) -> u32 {
    let start = node.start_byte();
    let first = anchors.partition_point(|a| a.start < start);
    if let Some(anchor) = anchors[first..]
        .iter()
        .take_while(|a| a.start == start)
        .find(|a| a.node == node)
    {
        return anchor.depth;
    }
    u32::try_from(super::syntax::ancestors(node).len()).unwrap_or(u32::MAX)
}

/// The walk for anchors alone, when the call graph (which collects them as it walks) is
/// not wanted.
fn collect_anchors<'t>(
    scan: &mut Scan<'_, 't>,
    table: &[u16],
    flags: &[u8],
    out: &mut Vec<Anchor<'t>>,
) {
    for (visited, visit) in Preorder::new(scan.root, flags).enumerate() {
        Anchor::record(&visit, table, out);
        if visited % 4096 == 4095 && scan.over_budget() {
            return;
        }
    }
}

/// Byte ranges around every occurrence of any of `words`, merged when close, so that a
/// block of imports is one range.
fn anchor_ranges(text: &[u8], words: &[&str]) -> Vec<std::ops::Range<usize>> {
    const MERGE_GAP: usize = 2048;
    let Ok(text) = std::str::from_utf8(text) else {
        // Not reachable for files that passed the UTF-8 check; scan everything then.
        return std::iter::once(0..text.len()).collect();
    };
    let mut hits: Vec<std::ops::Range<usize>> = words
        .iter()
        .flat_map(|w| text.match_indices(w).map(|(at, w)| at..at + w.len()))
        .collect();
    hits.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for hit in hits {
        match merged.last_mut() {
            Some(last) if hit.start <= last.end + MERGE_GAP => last.end = last.end.max(hit.end),
            _ => merged.push(hit),
        }
    }
    merged
}

/// Parses `source` once and runs the `wanted` extractors of `set` over the tree. `budget`
/// bounds parsing and querying together; `cancelled` is polled as work proceeds.
#[expect(
    clippy::too_many_arguments,
    reason = "one file's whole extraction context"
)]
pub fn extract_file(
    ctx: &mut ExtractContext,
    set: &ExtractorSet,
    path: &str,
    lang: Lang,
    source: &[u8],
    wanted: &[ExtractorId],
    budget: Duration,
    cancelled: &dyn Fn() -> bool,
) -> Result<FileFacts, ExtractError> {
    if let Err(e) = ctx.parser.set_language(&lang.grammar()) {
        return Err(ExtractError::Parser(format!(
            "grammar for {lang} cannot be loaded: {e}"
        )));
    }
    // A UTF-8 byte order mark is not part of the program text.
    let text = source.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(source);
    // Which wanted extractors can find anything in this file.
    let admitted: Vec<bool> = set
        .selected
        .iter()
        .map(|&e| wanted.contains(&e) && e.admits(lang, path, text))
        .collect();
    // Compiling the queries is the run's cost, not this file's: it happens (or is waited
    // for) before the file's clock starts.
    set.prepare_for(lang, &admitted);
    // Thread CPU time, not the wall clock: on a loaded machine (or with more workers than
    // cores) a file waiting for a core is not over budget, so which files are skipped does
    // not depend on the load.
    // A thread's CPU time never runs ahead of the wall clock, so the CPU clock (a system
    // call, unlike `Instant::now`) is read only once the wall clock says the budget may be
    // spent: the progress callbacks come every few hundred parser steps.
    let start_cpu = crate::unix::thread_cpu_time();
    let start_wall = Instant::now();
    let limit = crate::fault::parse_budget(path, budget);
    crate::fault::while_parsing(path);
    let mut stop: Option<ExtractError> = None;
    let check = |stop: &mut Option<ExtractError>| {
        if cancelled() {
            *stop = Some(ExtractError::Cancelled);
        } else if start_wall.elapsed() > limit
            && crate::unix::thread_cpu_time().saturating_sub(start_cpu) > limit
        {
            *stop = Some(ExtractError::OverBudget(budget));
        }
        if stop.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };

    let parse = |ctx: &mut ExtractContext, bytes: &[u8], stop: &mut Option<ExtractError>| {
        let tree = {
            let mut progress = |_: &ParseState| check(stop);
            let options = ParseOptions::new().progress_callback(&mut progress);
            ctx.parser.parse_with_options(
                &mut |offset, _| &bytes[offset.min(bytes.len())..],
                None,
                Some(options),
            )
        };
        // The parser reports progress only every so many steps; a small file may finish
        // (over budget) without being asked.
        let _ = check(stop);
        if let Some(stop) = stop.take() {
            // A cancelled parse resumes on the next call unless the parser is reset.
            ctx.parser.reset();
            return Err(stop);
        }
        tree.ok_or_else(|| {
            ctx.parser.reset();
            ExtractError::Parser("the parser returned no tree".into())
        })
    };
    let mut tree = parse(ctx, text, &mut stop)?;
    if lang.has_jsx()
        && tree.root_node().has_error()
        && let Some(better) =
            reparse_jsx_ampersands(&tree, text, |bytes| parse(ctx, bytes, &mut stop))?
    {
        tree = better;
    }
    let root = tree.root_node();
    let mut facts = FileFacts {
        syntax_errors: count_syntax_errors(root),
        items: Vec::with_capacity(wanted.len()),
        source_hash: String::new(),
    };
    // Facts every extractor may ask for, computed once per file.
    let file_cx = FileContext::new(root, text, lang, path);
    let exports = &file_cx.exports;

    // The extractors whose queries run at anchors: each gets one bit of an anchor's mask.
    let mut anchored: Vec<(usize, &Anchoring)> = Vec::new();
    for (pos, &admits) in admitted.iter().enumerate() {
        if admits
            && let Some((_, Some(anchoring))) = set.query_and_anchoring(pos, lang)?
            && anchored.len() < 16
        {
            anchored.push((pos, anchoring));
        }
    }
    // One walk over the tree: the call graph's when it is wanted, a bare one otherwise. With
    // the C walk, anchoring beats a query pass even for extractors that scan only a few
    // levels from the root (`--only symbols`: 3.54 s against 3.94 s on the bench corpus).
    let mut anchors: Vec<Anchor<'_>> = Vec::new();
    let mut call_graph = None;
    let needs_graph;
    {
        let tables = set.walk_tables(lang, &anchored);
        let table = &tables.anchors;
        let mut should_stop = || check(&mut stop).is_break();
        let mut scan = Scan::new(None, &mut ctx.cursor, &file_cx, &mut should_stop);
        // Every id (the export surface's, a symbol's, a component's, …) is the call graph's
        // for the same definition, so the graph is built whenever ids are wanted.
        needs_graph = wanted.iter().any(|e| {
            matches!(
                e.layer(),
                Layer::Calls
                    | Layer::Exports
                    | Layer::Symbols
                    | Layer::Components
                    | Layer::Hooks
                    | Layer::Types
                    | Layer::Schemas
                    | Layer::Routes
            )
        });
        if needs_graph {
            // The mounts and routes extractors find the file's routers: the call graph's
            // walk collects what that reads, when one of them will ask (not `mounts` looking
            // at module-level statements only, for which its own short walk costs less).
            let admitted_and_wanted = |id: ExtractorId| {
                set.selected
                    .iter()
                    .position(|&e| e == id)
                    .is_some_and(|pos| admitted[pos] && wanted.contains(&id))
            };
            let mut walked = (admitted_and_wanted(ExtractorId::ROUTES)
                || (admitted_and_wanted(ExtractorId::MOUNTS)
                    && file_cx.mounts_depth() == super::mounts::MAX_DEPTH))
                .then(Vec::new);
            // So do components and hooks the calls and JSX elements of their bodies.
            let mut fact_nodes = (admitted_and_wanted(ExtractorId::COMPONENTS)
                || admitted_and_wanted(ExtractorId::HOOKS))
            .then(Vec::new);
            call_graph = Some(calls::extract(
                &mut scan,
                table,
                &tables.graph,
                &mut anchors,
                walked.as_mut(),
                fact_nodes.as_mut(),
            ));
            if let Some(walked) = walked {
                file_cx.set_walked(walked);
            }
            if let Some(found) = fact_nodes {
                file_cx.set_fact_nodes(found);
            }
        } else if !anchored.is_empty() {
            collect_anchors(&mut scan, table, &tables.bare, &mut anchors);
        }
        if scan.stopped() {
            return Err(stop.unwrap_or(ExtractError::Cancelled));
        }
    }

    let mut calls_slot = None;
    for (pos, &extractor) in set.selected.iter().enumerate() {
        if !wanted.contains(&extractor) {
            continue;
        }
        // One arm per way of running, none per extractor: the registry row says which.
        let run_scan = match extractor.def().run {
            Run::Walk => {
                // The nodes take this place after the loop: the export surface, later in
                // it, reads them too (a copy of the graph cost 0.2% of a run).
                calls_slot = Some(facts.items.len());
                facts.items.push(Items::Calls(Vec::new()));
                continue;
            }
            Run::Surface => {
                facts.items.push(Items::Exports(super::exports::extract(
                    root,
                    text,
                    lang,
                    path,
                    file_cx.imports(),
                    call_graph.as_deref().unwrap_or_default(),
                )));
                continue;
            }
            Run::Scan(run) => Some(run),
            Run::Gather => None,
        };
        if let Some(run_scan) = run_scan {
            if !admitted[pos] {
                facts.items.push(Items::empty(extractor));
                continue;
            }
            let query = set.query(pos, lang)?;
            let mut should_stop = || check(&mut stop).is_break();
            let mut scan = Scan::new(query, &mut ctx.cursor, &file_cx, &mut should_stop);
            if let Some(bit) = anchored.iter().position(|(p, _)| *p == pos) {
                let anchoring = anchored[bit].1;
                scan = scan.with_anchors(Anchors {
                    all: &anchors,
                    bit: 1 << bit,
                    anchoring,
                    text,
                    hits: std::cell::OnceCell::new(),
                });
            }
            let items = run_scan(&mut scan, extractor);
            if scan.stopped() {
                return Err(stop.unwrap_or(ExtractError::Cancelled));
            }
            facts.items.push(items);
            continue;
        }
        let Some((query, anchoring)) = set.query_and_anchoring(pos, lang)? else {
            facts.items.push(Items::empty(extractor));
            continue;
        };
        let mut gathered = Gathered::default();
        let file = FileView {
            text,
            lang,
            path,
            exports,
        };
        if let (Some(bit), Some(anchoring)) =
            (anchored.iter().position(|(p, _)| *p == pos), anchoring)
        {
            let of_extractor = Anchors {
                all: &anchors,
                bit: 1 << bit,
                anchoring,
                text,
                hits: std::cell::OnceCell::new(),
            };
            // Symbols scan the top of the tree, then each container (class, namespace)
            // found there, to the same depth below it.
            let mut scans = vec![(root, 0u32)];
            while let Some(within) = scans.pop() {
                let mut should_stop = || check(&mut stop).is_break();
                let stopped = for_each_anchored_match(
                    &mut ctx.cursor,
                    &query,
                    text,
                    &file_cx.kids,
                    &of_extractor,
                    within,
                    extractor.max_start_depth(),
                    &mut should_stop,
                    |m| {
                        if let Some(container) = gathered.add(extractor, &m, within.0, &file) {
                            scans.push((container, depth_of(container, &anchors)));
                        }
                    },
                );
                if stopped {
                    return Err(stop.take().unwrap_or(ExtractError::Cancelled));
                }
            }
            facts.items.push(gathered.into_items(extractor));
            continue;
        }
        // A query that cannot be anchored scans the tree itself.
        ctx.cursor.set_max_start_depth(extractor.max_start_depth());
        // Each scan is a subtree and a byte range of it. Imports scan only the stretches
        // around their anchor words; symbols scan the top of the tree and then, one by one,
        // the containers (classes, namespaces) found there.
        let mut scans: Vec<(tree_sitter::Node<'_>, std::ops::Range<usize>)> =
            match extractor.anchors(lang) {
                Some(words) => anchor_ranges(text, words)
                    .into_iter()
                    .map(|r| (root, r))
                    .collect(),
                None => vec![(root, 0..text.len())],
            };
        while let Some((scan_root, range)) = scans.pop() {
            let ts_query = match query.query {
                Engine::Query(q) => q,
                // The walk matcher scans the whole subtree: a superset of the stretches,
                // whose extra matches the anchor words rule out anyway.
                Engine::Walk(walk) => {
                    let mut found = Vec::new();
                    let mut should_stop = || check(&mut stop).is_break();
                    walk.matches_under(
                        query.patterns.clone(),
                        scan_root,
                        extractor.max_start_depth(),
                        text,
                        &mut should_stop,
                        &mut found,
                    );
                    if let Some(stop) = stop.take() {
                        return Err(stop);
                    }
                    for m in found {
                        let m = Match::of_walk(query.query, m);
                        if let Some(container) = gathered.add(extractor, &m, scan_root, &file) {
                            scans.push((container, 0..usize::MAX));
                        }
                    }
                    continue;
                }
            };
            ctx.cursor.set_byte_range(range);
            let mut progress = |_: &QueryCursorState| check(&mut stop);
            let options = QueryCursorOptions::new().progress_callback(&mut progress);
            let mut matches = ctx
                .cursor
                .matches_with_options(ts_query, scan_root, text, options);
            while let Some(m) = matches.next() {
                if !query.patterns.contains(&m.pattern_index) {
                    continue;
                }
                let m = Match::of(query.query, m);
                if let Some(container) = gathered.add(extractor, &m, scan_root, &file) {
                    scans.push((container, 0..usize::MAX));
                }
            }
            drop(matches);
            if let Some(stop) = stop.take() {
                ctx.cursor.set_byte_range(0..usize::MAX);
                return Err(stop);
            }
        }
        ctx.cursor.set_byte_range(0..usize::MAX);
        facts.items.push(gathered.into_items(extractor));
    }
    if let Some(slot) = calls_slot {
        facts.items[slot] = Items::Calls(call_graph.take().unwrap_or_default());
    }
    // The ids, from the graph: kept aside, or lent by the calls items.
    if needs_graph {
        let lent = facts.items.iter_mut().find_map(|i| match i {
            Items::Calls(nodes) => Some(std::mem::take(nodes)),
            _ => None,
        });
        match (lent, &call_graph) {
            (Some(nodes), _) => {
                super::ids::assign(&mut facts.items, &nodes, path);
                if let Some(Items::Calls(slot)) = facts
                    .items
                    .iter_mut()
                    .find(|i| matches!(i, Items::Calls(_)))
                {
                    *slot = nodes;
                }
            }
            (None, Some(nodes)) => super::ids::assign(&mut facts.items, nodes, path),
            (None, None) => {}
        }
    }
    Ok(facts)
}

/// Bumped whenever discover parses some file into a different tree (2: JSX text with a
/// bare `&`). Built-in extractors bump their own versions; a repository's extractors fold
/// this into theirs.
pub const PARSE_REVISION: u32 = 2;

/// A tree for `text` in which valid JSX text holding a bare `&` (`<b>Save & Close</b>`)
/// parses cleanly, or `None` when the first tree is kept. The JSX grammars' text scanner
/// stops at every `&` (tree-sitter-javascript and -typescript #366), so the file is parsed
/// again with bare `&`s found inside ERROR nodes replaced by `_`: same length, so every
/// node keeps its bytes, and extractors still read the original text. A replacement is
/// kept only where the new tree puts it in `jsx_text`, so an `&` of code (`a && b` near a
/// real error) is never changed; the new tree is taken only when it has fewer errors.
///
/// One error hides the next (the text after a broken element parses as code), so this
/// goes in rounds: all the `&`s the current tree's errors hold are tried at once; when one
/// of them is not confirmed, those that were are tried, and then the earliest alone, which
/// is kept or rejected. Each round settles at least one `&`, and the parses are capped.
fn reparse_jsx_ampersands(
    tree: &tree_sitter::Tree,
    text: &[u8],
    mut parse: impl FnMut(&[u8]) -> Result<tree_sitter::Tree, ExtractError>,
) -> Result<Option<tree_sitter::Tree>, ExtractError> {
    const MAX_PARSES: usize = 16;
    let errors = count_syntax_errors(tree.root_node());
    let mut kept: Vec<usize> = Vec::new();
    let mut rejected: Vec<usize> = Vec::new();
    let mut current: Option<tree_sitter::Tree> = None;
    let mut parses = 0;
    while parses < MAX_PARSES {
        let root = current.as_ref().unwrap_or(tree).root_node();
        let fresh: Vec<usize> = bare_ampersands_in_errors(root, text)
            .into_iter()
            .filter(|at| !kept.contains(at) && !rejected.contains(at))
            .collect();
        let Some(&earliest) = fresh.first() else {
            break;
        };
        // All at once; else those the first try put in JSX text; else the earliest alone.
        let mut trials = vec![[kept.as_slice(), &fresh].concat()];
        let mut settled = false;
        while let Some(trial) = trials.pop() {
            if parses >= MAX_PARSES {
                break;
            }
            parses += 1;
            let mut bytes = text.to_vec();
            for &at in &trial {
                bytes[at] = b'_';
            }
            let again = parse(&bytes)?;
            let confirmed: Vec<usize> = trial
                .iter()
                .copied()
                .filter(|&at| in_jsx_text(again.root_node(), at, false))
                .collect();
            if confirmed.len() == trial.len() {
                kept = trial;
                current = Some(again);
                settled = true;
                break;
            }
            // A first try of one `&` is already the earliest alone.
            if trial.len() == kept.len() + fresh.len() && fresh.len() > 1 {
                trials.push([kept.as_slice(), &[earliest]].concat());
                if confirmed.len() > kept.len() + 1 && confirmed.contains(&earliest) {
                    trials.push(confirmed);
                }
            }
        }
        if !settled {
            rejected.push(earliest);
        }
    }
    // Inside an ERROR, a `jsx_text` can be code the parser swallowed (`f<T>(x: T & U)` in
    // a `.js` file), so the rounds may keep an `&` only an ERROR confirms. The tree taken
    // must have each kept `&` in an element that parsed: those that are not are dropped,
    // once, and the rest must then hold.
    let Some(mut tree_now) = current else {
        return Ok(None);
    };
    let mut last_try = false;
    loop {
        let root = tree_now.root_node();
        let sound: Vec<usize> = kept
            .iter()
            .copied()
            .filter(|&at| in_jsx_text(root, at, true))
            .collect();
        if sound.len() == kept.len() {
            return Ok((count_syntax_errors(root) < errors).then_some(tree_now));
        }
        if sound.is_empty() || last_try || parses >= MAX_PARSES {
            return Ok(None);
        }
        let mut bytes = text.to_vec();
        for &at in &sound {
            bytes[at] = b'_';
        }
        tree_now = parse(&bytes)?;
        parses += 1;
        kept = sound;
        last_try = true;
    }
}

#[cfg(test)]
mod jsx_ampersand_tests {
    use super::*;

    /// Parses `source` as `lang`, then again through `reparse_jsx_ampersands`; returns the
    /// tree kept, the number of parses and the bytes of every `&` in the source.
    fn reparsed(lang: Lang, source: &str) -> (tree_sitter::Tree, usize, u32) {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let tree = parser.parse(source, None).unwrap();
        let before = count_syntax_errors(tree.root_node());
        let mut parses = 0;
        let better = reparse_jsx_ampersands(&tree, source.as_bytes(), |bytes| {
            parses += 1;
            Ok(parser.parse(bytes, None).unwrap())
        })
        .unwrap();
        (better.unwrap_or(tree), parses, before)
    }

    fn amps(source: &str, nth: &[usize]) -> Vec<usize> {
        let all: Vec<usize> = source.match_indices('&').map(|(at, _)| at).collect();
        nth.iter().map(|&n| all[n]).collect()
    }

    #[test]
    fn bare_ampersands_in_jsx_text_parse_cleanly_and_code_is_untouched() {
        let source = r#"import { useState } from "react";

export function Terms({ onAccept }: { onAccept: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <section>
      <h2>Terms & Conditions</h2>
      {open && <p>Read & accept them, then press Save & Close.</p>}
      <button onClick={() => setOpen(!open)}>Show & hide</button>
    </section>
  );
}

export const Footer = () => <footer>&copy; Acme & Co &#169; &amp; &#x1F600;</footer>;

export function Check(a: number, b: number) {
  return a && b & 1;
}

export const Deploy = () => <a href="/new?utm_source=x&utm_medium=web" title='R&D'>Go</a>;
"#;
        for lang in [Lang::Tsx, Lang::JavaScript] {
            let source = if lang == Lang::JavaScript {
                source
                    .replace("{ onAccept }: { onAccept: () => void }", "{ onAccept }")
                    .replace("a: number, b: number", "a, b")
            } else {
                source.to_string()
            };
            let (tree, parses, before) = reparsed(lang, &source);
            let root = tree.root_node();
            assert!(before > 0, "{lang}: the grammar still stops at a bare &");
            assert_eq!(count_syntax_errors(root), 0, "{lang}: {}", root.to_sexp());
            // Every bare & of JSX text is text; the character references and the code's
            // operators are what they were.
            for at in amps(&source, &[0, 3, 4, 5, 7, 14, 15]) {
                assert!(in_jsx_text(root, at, true), "{lang}: & at {at}");
            }
            for at in amps(&source, &[1, 2, 10, 11, 12, 13]) {
                assert!(!in_jsx_text(root, at, false), "{lang}: & at {at}");
            }
            assert_eq!(
                root.descendant_for_byte_range(amps(&source, &[6])[0], amps(&source, &[6])[0] + 1)
                    .unwrap()
                    .kind(),
                "html_character_reference"
            );
            assert!(parses <= 4, "{lang}: {parses} parses");
        }
    }

    #[test]
    fn an_error_of_code_near_an_ampersand_keeps_the_first_tree() {
        // `&` inside a real syntax error is code: replacing it would not give JSX text, so
        // the first tree stands and nothing is re-parsed into a guess.
        let source = "export function f(a, b) {\n  return a & (b +;\n}\n";
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Lang::JavaScript.grammar()).unwrap();
        let first = parser.parse(source, None).unwrap();
        let (tree, parses, before) = reparsed(Lang::JavaScript, source);
        assert!(before > 0);
        assert_eq!(tree.root_node().to_sexp(), first.root_node().to_sexp());
        assert_eq!(parses, 1, "one & is tried once");
    }

    #[test]
    fn an_intersection_type_in_a_js_file_is_not_jsx_text() {
        // Flow / TS-style types in a `.js` file: the `&` re-parsed as `_` lands in a
        // `jsx_text` that an ERROR swallowed, which must not count as confirmed — the first
        // tree keeps the class and its method.
        for source in [
            "function f<T>(x: T & U): void { g(x); }\nexport class B { run() { k(); } }\n",
            "class A { m<T>(x: T & U) { g(x); } n() { k(); } }\n",
        ] {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&Lang::JavaScript.grammar()).unwrap();
            let first = parser.parse(source, None).unwrap();
            let (tree, _, before) = reparsed(Lang::JavaScript, source);
            assert!(before > 0, "{source}");
            assert_eq!(
                tree.root_node().to_sexp(),
                first.root_node().to_sexp(),
                "{source}"
            );
        }
    }
}
