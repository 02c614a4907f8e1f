//! The write stage: a chunk writer that owns the chunks as they finish (sorting and
//! rendering their items, writing the outputs whose bytes changed), then the manifest,
//! the orphans and the flush. Outputs first, manifest last, orphans after: every state in
//! between is one that `--check` describes truthfully and `--incremental` completes.

use super::plan::{PendingChunk, Survey};
use super::{RunError, Tally};
use crate::cli::RunConfig;
use crate::config::human_size;
use crate::extract::{CallNode, Export, ExtractorId, Items};
use crate::guide::GUIDE_FILE;
use crate::manifest::{
    self, ChunkEntry, ExtractorEntry, FileEntry, MANIFEST_FILE, Manifest, OutputEntry,
};
use crate::staleness;
use crate::state::{StateDir, Written};
use crate::task::{Failure, FileOutcome};
use crate::walk::{Inventory, Skipped};
use foldhash::HashMap;
use std::collections::{BTreeMap, BTreeSet};

/// Owns the manifest's chunk entries while chunks finish, and counts what it wrote.
pub struct ChunkWriter<'a> {
    cfg: &'a RunConfig,
    state: &'a StateDir,
    entries: BTreeMap<String, ChunkEntry>,
    /// Chunk → (inputs digest, items) of the linked extractors, extracted in this run and
    /// written by `link`.
    deferred: BTreeMap<String, (String, Vec<Items>)>,
    pub tally: Tally,
}

/// What `partial_linker` gives: the linker, the composer's inputs when it read them, and
/// the call lists it linked, by chunk.
type PartialLinker<'r> = (
    crate::link::Linker<'r>,
    Option<ComposerInputs>,
    HashMap<String, Vec<CallNode>>,
);

/// Every chunk's mounts items, and the ids of the schemas a request or response can be:
/// what routes are composed from.
type ComposerInputs = (Vec<crate::extract::Mount>, foldhash::HashSet<String>);

/// Whether some of `routes` continue in another file or name what other files define:
/// linking them composes every chunk's mounts.
fn composes(routes: &[crate::extract::Route]) -> bool {
    routes
        .iter()
        .any(|r| r.router.is_some() || !r.handler_imports.is_empty() || !r.schema_refs.is_empty())
}

/// A chunk's `exports` output, which records its declared surface.
fn exports_output(entry: &ChunkEntry) -> Option<&OutputEntry> {
    entry
        .outputs
        .iter()
        .find(|o| o.extractor == ExtractorId::EXPORTS.name())
}

/// Whether an extractor's outputs hold ids resolved across files (see `crate::link`).
fn is_linked(extractor: ExtractorId) -> bool {
    extractor == ExtractorId::CALLS
        || extractor == ExtractorId::EXPORTS
        || extractor == ExtractorId::ROUTES
}

/// What writing one output did, for the tally; and the file of an output now empty, to
/// remove.
#[derive(Debug, Default)]
struct Effect {
    written: Option<Written>,
    warning: Option<String>,
    remove: Option<String>,
}

impl Tally {
    fn record(&mut self, extractor: ExtractorId, effect: Effect) {
        match effect.written {
            Some(Written::Created) => *self.created.entry(extractor).or_default() += 1,
            Some(Written::Replaced) => *self.rewritten.entry(extractor).or_default() += 1,
            Some(Written::Unchanged) | None => {}
        }
        self.warnings.extend(effect.warning);
    }
}

/// A list the link stage writes for a chunk: extracted in this run, or stored and to be
/// read back (its manifest entry) and linked again.
enum Source {
    Fresh(Items),
    Stored(OutputEntry),
}

/// One chunk's part of the link stage: its manifest entry's files and outputs, and the
/// lists to link and write, with the inputs digest each records. Routes come composed
/// already (see `ChunkWriter::link`).
struct LinkJob {
    name: String,
    files: Vec<FileEntry>,
    outputs: Vec<OutputEntry>,
    lists: Vec<(ExtractorId, String, Source)>,
    /// The call list the partial linker linked already.
    prelinked: Option<Vec<CallNode>>,
}

impl LinkJob {
    /// About how much work the job is, to hand out the largest first.
    fn weight(&self) -> u64 {
        (self.lists.iter())
            .map(|(_, _, source)| match source {
                Source::Fresh(items) => items.len() as u64 * 256,
                Source::Stored(output) => output.bytes,
            })
            .sum()
    }
}

/// What a job gives back: the chunk's files and outputs, and what each write did.
type LinkDone = (Vec<FileEntry>, Vec<OutputEntry>, Vec<(ExtractorId, Effect)>);

/// Threads for the link stage of a run with `jobs` workers: the cores a parallel run
/// was given, once the workers are done; one for an in-process run, which keeps to one
/// core throughout.
fn link_threads(jobs: usize) -> usize {
    if jobs == 0 {
        return 1;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(jobs + 1).clamp(1, 8)
}

impl<'a> ChunkWriter<'a> {
    /// Starts from the old manifest's entries, without the outputs of extractors no longer
    /// registered (a query extractor taken out of `discover.toml` can never refresh them)
    /// and without those of vanished chunks this run drops.
    pub fn new(
        cfg: &'a RunConfig,
        state: &'a StateDir,
        survey: &Survey,
        removals: &[(String, Vec<ExtractorId>)],
    ) -> ChunkWriter<'a> {
        let mut entries: BTreeMap<String, ChunkEntry> = survey
            .old
            .iter()
            .flat_map(|m| m.chunks.iter().map(|c| (c.name.clone(), c.clone())))
            .collect();
        for entry in entries.values_mut() {
            entry
                .outputs
                .retain(|o| ExtractorId::from_name(&o.extractor).is_some());
        }
        entries.retain(|_, e| !e.outputs.is_empty());
        let mut tally = Tally::default();
        for (name, extractors) in removals {
            if let Some(entry) = entries.get_mut(name) {
                entry
                    .outputs
                    .retain(|o| !extractors.iter().any(|e| e.name() == o.extractor));
                if entry.outputs.is_empty() {
                    entries.remove(name);
                }
            }
            tally.removed += 1;
        }
        ChunkWriter {
            cfg,
            state,
            entries,
            deferred: BTreeMap::new(),
            tally,
        }
    }

    /// Writes the chunks that need no parsing (every file's items reused).
    pub fn finish_ready(
        &mut self,
        survey: &Survey,
        pending: &mut [PendingChunk],
    ) -> Result<(), RunError> {
        for done in pending.iter_mut().filter(|p| p.remaining == 0) {
            self.finish(survey, done)?;
        }
        Ok(())
    }

    /// Turns a chunk's file outcomes into its outputs and manifest entry.
    pub fn finish(&mut self, survey: &Survey, done: &mut PendingChunk) -> Result<(), RunError> {
        let chunk = &survey.chunks[done.chunk];
        let digest = &survey.digests[done.chunk];
        let inventory = &survey.inventory;
        let resolver = &survey.resolver;
        let mut items: Vec<Items> = done.extractors.iter().map(|&e| Items::empty(e)).collect();
        // Each list sized for all of the chunk's files at once: grown file by file, its
        // copies on reallocation were 0.1% of a run.
        let mut totals = vec![0usize; items.len()];
        for facts in done.outcomes.iter().flatten().filter_map(|o| match o {
            FileOutcome::Done(facts) => Some(facts),
            FileOutcome::Failed(_) => None,
        }) {
            for found in &facts.items {
                if let Some(at) = items
                    .iter()
                    .position(|i| i.extractor() == found.extractor())
                {
                    totals[at] += found.len();
                }
            }
        }
        for (all, total) in items.iter_mut().zip(totals) {
            all.reserve(total);
        }
        let mut files = Vec::with_capacity(chunk.files.len());
        // Whether the recorded inputs differ from the sources the walk saw: a file skipped, or
        // parsed from other bytes than the walk hashed (it changed in between).
        let mut differs = false;
        for (slot, &index) in chunk.files.iter().enumerate() {
            let file = &inventory.files[index];
            match done.outcomes[slot].take() {
                Some(FileOutcome::Done(facts)) => {
                    let hash = if facts.source_hash.is_empty() {
                        file.hash.clone()
                    } else {
                        facts.source_hash
                    };
                    differs |= hash != file.hash;
                    for found in facts.items {
                        if let Some(all) = items
                            .iter_mut()
                            .find(|i| i.extractor() == found.extractor())
                        {
                            all.extend(found);
                        }
                    }
                    files.push(FileEntry {
                        path: file.path.clone(),
                        hash,
                        syntax_errors: facts.syntax_errors,
                    });
                }
                Some(FileOutcome::Failed(failure)) => {
                    differs = true;
                    self.tally.failures.push((file.path.clone(), failure));
                }
                None => {}
            }
        }
        // Such a chunk records the digest of what was extracted, which differs from its
        // sources' digest: `--check` keeps reporting it, `--incremental` retries it.
        let inputs = if differs {
            staleness::chunk_digest(files.iter().map(|f| (f.path.as_str(), f.hash.as_str())))
        } else {
            digest.to_string()
        };
        let mut outputs: Vec<OutputEntry> = self
            .entries
            .remove(&chunk.name)
            .map(|e| e.outputs)
            .unwrap_or_default()
            .into_iter()
            .filter(|o| !done.extractors.iter().any(|e| e.name() == o.extractor))
            .collect();
        for mut list in items {
            if let Items::Imports(imports) = &mut list {
                for import in imports.iter_mut() {
                    resolver.resolve(import);
                }
            }
            let extractor = list.extractor();
            *self.tally.extracted_chunks.entry(extractor).or_default() += 1;
            // The call graph and the export surfaces link across files: they are written by
            // `link` once every chunk's surface is known.
            if is_linked(extractor) {
                self.deferred
                    .entry(chunk.name.clone())
                    .or_insert_with(|| (inputs.clone(), Vec::new()))
                    .1
                    .push(list);
                continue;
            }
            list.sort();
            outputs.push(self.write_output(&chunk.name, &list, &inputs)?);
        }
        outputs.sort_by(|a, b| a.extractor.cmp(&b.extractor));
        self.entries.insert(
            chunk.name.clone(),
            ChunkEntry {
                name: chunk.name.clone(),
                files,
                outputs,
            },
        );
        self.tally.written_chunks += 1;
        Ok(())
    }

    /// Writes one rendered output (or removes the file of an empty one) and returns its
    /// manifest entry.
    fn write_output(
        &mut self,
        chunk: &str,
        list: &Items,
        inputs: &str,
    ) -> Result<OutputEntry, RunError> {
        let (entry, effect) = self.put_output(chunk, list, inputs)?;
        self.record(list.extractor(), effect)?;
        Ok(entry)
    }

    /// Counts what writing an output did, and removes the file of one now empty.
    fn record(&mut self, extractor: ExtractorId, mut effect: Effect) -> Result<(), RunError> {
        if let Some(rel) = effect.remove.take() {
            self.state.remove(&rel)?;
            effect.written = Some(Written::Replaced);
        }
        self.tally.record(extractor, effect);
        Ok(())
    }

    /// `write_output` without counting: what it did is returned, for the caller to record
    /// (the link stage writes from several threads, and records in chunk order).
    fn put_output(
        &self,
        chunk: &str,
        list: &Items,
        inputs: &str,
    ) -> Result<(OutputEntry, Effect), RunError> {
        let extractor = list.extractor();
        let rel = StateDir::output_rel(extractor.name(), chunk);
        let mut effect = Effect::default();
        // An extractor that found nothing in a chunk writes no file: most chunks have no
        // routes, schemas or tests, and an empty file per chunk and extractor would be most
        // of `.state/`. The manifest records the output with `bytes: 0`.
        if list.is_empty() {
            // Removed by whoever records the effect, on one thread: a removal prunes the
            // directories it empties, which another thread may be writing into.
            if self.state.size(&rel).is_some() {
                effect.remove = Some(rel);
            }
            let entry = OutputEntry {
                extractor: extractor.name().to_string(),
                version: extractor.version(),
                inputs: inputs.to_string(),
                items: 0,
                bytes: 0,
                hash: String::new(),
                surface: None,
                links: None,
            };
            return Ok((entry, effect));
        }
        let bytes = list.to_output_json(chunk);
        // The call graph has an edge per call; its files are allowed four times the size.
        let warn_size = match extractor {
            ExtractorId::CALLS => self.cfg.settings.chunk_warn_size.saturating_mul(4),
            _ => self.cfg.settings.chunk_warn_size,
        };
        if bytes.len() as u64 > warn_size {
            // Printed once the executor is done: a line written under the progress bar
            // would leave a frozen copy of it.
            effect.warning = Some(format!(
                "{} is {} (over {}); split the chunk with `chunks.max_files` or `chunks.roots` in discover.toml",
                self.state.show(&rel),
                human_size(bytes.len() as u64),
                human_size(warn_size)
            ));
        }
        let hash = crate::hash::content_hash(&bytes);
        effect.written = Some(self.state.write_output(&rel, &bytes, &hash)?);
        let entry = OutputEntry {
            extractor: extractor.name().to_string(),
            version: extractor.version(),
            inputs: inputs.to_string(),
            items: list.len(),
            bytes: bytes.len() as u64,
            hash,
            surface: None,
            links: None,
        };
        Ok((entry, effect))
    }

    /// The link stage: every chunk's declared export surface (this run's, or read back
    /// from its stored output), then the `exports` and `calls` outputs of this run's chunks
    /// written with their cross-file ids, and those of other chunks of the run whose links
    /// were resolved against other surfaces read back, relinked and rewritten (no source is
    /// parsed again). Chunks outside `--only-chunks` keep their outputs, which `--check`
    /// then reports stale.
    pub fn link(&mut self, survey: &Survey, wanted: &dyn Fn(&str) -> bool) -> Result<(), RunError> {
        let linked: Vec<ExtractorId> = self
            .cfg
            .selected
            .iter()
            .copied()
            .filter(|e| is_linked(*e))
            .collect();
        if linked.is_empty() {
            return Ok(());
        }
        // The mounts and schemas outputs routes are composed from: listed now (the loop
        // below takes each chunk's entry out while it writes it), read only when a route
        // needs linking — a run that relinks no route reads none of them.
        let composer_sources: Vec<(String, OutputEntry)> = if linked.contains(&ExtractorId::ROUTES)
        {
            self.entries
                .iter()
                .flat_map(|(name, entry)| {
                    entry
                        .outputs
                        .iter()
                        .filter(|o| {
                            o.extractor == ExtractorId::MOUNTS.name()
                                || o.extractor == ExtractorId::SCHEMAS.name()
                        })
                        .map(move |o| (name.clone(), o.clone()))
                })
                .collect()
        } else {
            Vec::new()
        };
        // Every chunk's surface digest, from the fresh items or as the manifest records it.
        let recorded = self
            .partial_applies(survey)
            .then(|| self.recorded_surfaces())
            .flatten();
        // A run that links only what it extracted, against surfaces that are all recorded
        // (an editor's one-file `--incremental`), links with a linker over just the files
        // those lists reach; anything else reads every surface.
        let partial = recorded.as_ref().and_then(|surface_of| {
            let digest = crate::link::links_digest(
                survey.resolver.fingerprint(),
                surface_of.iter().map(|(n, d)| (n.as_str(), d.as_str())),
            );
            let routes_digest = crate::compose::routes_digest(&digest, self.entries.values());
            if !self.only_fresh_to_link(&linked, &digest, &routes_digest, wanted) {
                return None;
            }
            let (linker, inputs, prelinked) =
                self.partial_linker(&survey.resolver, &composer_sources)?;
            Some((
                linker,
                digest,
                surface_of.clone(),
                inputs,
                prelinked,
                Some(routes_digest),
            ))
        });
        // The composer's inputs, when the partial linker read them already.
        let (linker, digest, surface_of, mut composer_inputs, mut prelinked, routes_digest) =
            match partial {
                Some(found) => {
                    if self.cfg.verbose {
                        eprintln!(
                            "linking: the surfaces of {} file(s), those the fresh lists reach",
                            found.0.file_count()
                        );
                    }
                    found
                }
                None => {
                    let (linker, digest, surface_of) = self.whole_linker(survey);
                    if self.cfg.verbose {
                        eprintln!("linking: every surface, {} file(s)", linker.file_count());
                    }
                    (linker, digest, surface_of, None, HashMap::default(), None)
                }
            };
        crate::timing::mark("linker built");
        // Routes also depend on every chunk's mounts and schemas (written by `finish`
        // before this; the partial linker's test computed it already).
        let routes_digest = routes_digest
            .unwrap_or_else(|| crate::compose::routes_digest(&digest, self.entries.values()));
        let digest_of = |extractor: ExtractorId| {
            if extractor == ExtractorId::ROUTES {
                routes_digest.clone()
            } else {
                digest.clone()
            }
        };
        let mut composer: Option<crate::compose::Composer<'_>> = None;

        // The jobs, in chunk order. Routes are composed here, one chunk after another: the
        // composer works out and remembers router places on one thread.
        let mut jobs: Vec<LinkJob> = Vec::new();
        let names: Vec<String> = self.entries.keys().cloned().collect();
        for name in names {
            let mut fresh = self.deferred.remove(&name);
            if fresh.is_none() && !wanted(&name) {
                continue;
            }
            let (files, mut outputs) = self
                .entries
                .remove(&name)
                .map(|e| (e.files, e.outputs))
                .unwrap_or_default();
            let mut lists = Vec::new();
            for &extractor in &linked {
                // Each list is linked and written once: taken, not copied.
                let fresh_list = fresh.as_mut().and_then(|(inputs, lists)| {
                    let at = lists.iter().position(|l| l.extractor() == extractor)?;
                    Some((inputs.clone(), lists.swap_remove(at)))
                });
                let (inputs, source) = match fresh_list {
                    Some((inputs, list)) => (inputs, Source::Fresh(list)),
                    None => {
                        // Stored and linked against other surfaces: relink what is stored.
                        let Some(output) = outputs.iter().find(|o| o.extractor == extractor.name())
                        else {
                            continue;
                        };
                        if output.links.as_deref() == Some(digest_of(extractor).as_str())
                            || output.version != extractor.version()
                        {
                            continue;
                        }
                        (output.inputs.clone(), Source::Stored(output.clone()))
                    }
                };
                let source = match source {
                    Source::Stored(output) if extractor == ExtractorId::ROUTES => {
                        let Some(list) = self.read_stored(&name, &output) else {
                            continue;
                        };
                        outputs.retain(|o| o.extractor != extractor.name());
                        Source::Fresh(list)
                    }
                    other => other,
                };
                let source = match source {
                    Source::Fresh(Items::Routes(mut routes)) => {
                        if composes(&routes) {
                            let composer = match &composer {
                                Some(c) => c,
                                None => {
                                    let (mounts, schemas) = composer_inputs
                                        .take()
                                        .unwrap_or_else(|| self.composer_inputs(&composer_sources));
                                    composer.insert(crate::compose::Composer::new(
                                        &linker, mounts, schemas,
                                    ))
                                }
                            };
                            composer.link_routes(&mut routes);
                        }
                        Source::Fresh(Items::Routes(routes))
                    }
                    other => other,
                };
                lists.push((extractor, inputs, source));
            }
            jobs.push(LinkJob {
                prelinked: prelinked.remove(&name),
                name,
                files,
                outputs,
                lists,
            });
        }
        drop(composer);

        // Then each chunk's lists linked, rendered and written: on the cores a parallel
        // run has free now that its workers are done. Every answer the linker gives is
        // the same whichever thread asks first, and the results are recorded in chunk
        // order, so the state and the summary are the same bytes as one thread gives.
        let link_job = |job: LinkJob| -> Result<LinkDone, RunError> {
            let LinkJob {
                name,
                files,
                mut outputs,
                lists,
                mut prelinked,
            } = job;
            let mut effects = Vec::new();
            for (extractor, inputs, source) in lists {
                let list = match source {
                    Source::Fresh(list) => list,
                    Source::Stored(output) => {
                        let Some(list) = self.read_stored(&name, &output) else {
                            continue;
                        };
                        outputs.retain(|o| o.extractor != extractor.name());
                        list
                    }
                };
                let mut list = match list {
                    Items::Exports(items) => {
                        let files: BTreeSet<String> =
                            items.iter().map(|e| e.file.clone()).collect();
                        Items::Exports(files.iter().flat_map(|f| linker.link_exports(f)).collect())
                    }
                    Items::Calls(mut nodes) => match prelinked.take() {
                        // The partial linker's last round linked this very list with this
                        // very linker.
                        Some(linked) => Items::Calls(linked),
                        None => {
                            linker.link_calls(&mut nodes);
                            Items::Calls(nodes)
                        }
                    },
                    other => other,
                };
                list.sort();
                let (mut entry, effect) = self.put_output(&name, &list, &inputs)?;
                effects.push((extractor, effect));
                entry.links = Some(digest_of(extractor));
                if extractor == ExtractorId::EXPORTS {
                    entry.surface = surface_of.get(&name).cloned();
                }
                outputs.retain(|o| o.extractor != extractor.name());
                outputs.push(entry);
            }
            outputs.sort_by(|a, b| a.extractor.cmp(&b.extractor));
            Ok((files, outputs, effects))
        };
        let threads = link_threads(self.cfg.jobs).min(jobs.len());
        let done: Vec<LinkDone> = if threads <= 1 {
            (jobs.iter_mut())
                .map(|job| link_job(take_job(job)))
                .collect::<Result<_, _>>()?
        } else {
            run_jobs(&mut jobs, threads, &link_job)?
        };
        for (job, (files, outputs, effects)) in jobs.into_iter().zip(done) {
            for (extractor, effect) in effects {
                self.record(extractor, effect)?;
            }
            if !outputs.is_empty() {
                self.entries.insert(
                    job.name.clone(),
                    ChunkEntry {
                        name: job.name,
                        files,
                        outputs,
                    },
                );
            }
        }
        Ok(())
    }

    /// The fresh export items of chunk `name`, when this run extracted them.
    fn fresh_exports(&self, name: &str) -> Option<&Vec<Export>> {
        self.deferred.get(name).and_then(|(_, lists)| {
            lists.iter().find_map(|l| match l {
                Items::Exports(items) => Some(items),
                _ => None,
            })
        })
    }

    /// Whether partial linking may be tried. It trusts the surfaces the manifest records
    /// for the chunks it does not read, and a chunk's file list to say which chunk holds a
    /// file's items; both hold after an incremental run that checked every output against
    /// the manifest, with `exports` among its extractors, and that leaves no chunk stale
    /// for a linked extractor or vanished behind (with `--only calls` an older exports
    /// output may still hold a file its chunk no longer lists; with `--only-chunks` a
    /// chunk left out keeps a surface nobody checked). It pays only when the fresh chunks
    /// are a small part of the repository: its dry runs link the fresh lists once a round
    /// (of which only the last round's call lists are kept).
    fn partial_applies(&self, survey: &Survey) -> bool {
        let files = |name: &String| self.entries.get(name).map_or(0, |e| e.files.len());
        let fresh: usize = self.deferred.keys().map(files).sum();
        let all: usize = self.entries.keys().map(files).sum();
        self.cfg.mode == crate::cli::Mode::Incremental
            && self.cfg.selected.contains(&ExtractorId::EXPORTS)
            && fresh * 4 <= all
            && survey.staleness.stale.iter().all(|(&chunk, reasons)| {
                !reasons.iter().any(|(e, _)| is_linked(*e))
                    || survey
                        .chunks
                        .get(chunk)
                        .is_some_and(|c| self.deferred.contains_key(&c.name))
            })
            && survey
                .staleness
                .gone
                .iter()
                .all(|(name, _)| !self.entries.contains_key(name))
    }

    /// Every chunk's surface digest without reading an output: computed from the fresh
    /// items, or as the manifest records it. `None` when a stored output records none.
    fn recorded_surfaces(&self) -> Option<BTreeMap<String, String>> {
        let mut digests = BTreeMap::new();
        for (name, entry) in &self.entries {
            if let Some(items) = self.fresh_exports(name) {
                digests.insert(name.clone(), crate::link::surface_digest(items));
                continue;
            }
            let Some(output) = exports_output(entry) else {
                continue;
            };
            digests.insert(name.clone(), output.surface.clone()?);
        }
        Some(digests)
    }

    /// Whether the lists this run extracted are the only ones to link: every stored output
    /// of a linked extractor is linked against `digest` (or will be rebuilt for its
    /// version).
    fn only_fresh_to_link(
        &self,
        linked: &[ExtractorId],
        digest: &str,
        routes_digest: &str,
        wanted: &dyn Fn(&str) -> bool,
    ) -> bool {
        for (name, entry) in &self.entries {
            if let Some((_, lists)) = self.deferred.get(name) {
                // A linked extractor of a fresh chunk that is not among its fresh lists is
                // relinked from the stored output, as a stored chunk's is.
                if linked
                    .iter()
                    .any(|e| !lists.iter().any(|l| l.extractor() == *e))
                {
                    return false;
                }
                continue;
            }
            if !wanted(name) {
                continue;
            }
            for &extractor in linked {
                let against = if extractor == ExtractorId::ROUTES {
                    routes_digest
                } else {
                    digest
                };
                let relinks = entry.outputs.iter().any(|o| {
                    o.extractor == extractor.name()
                        && o.links.as_deref() != Some(against)
                        && o.version == extractor.version()
                });
                if relinks {
                    return false;
                }
            }
        }
        true
    }

    /// A linker over the files this run's fresh lists reach (see
    /// [`crate::link::Linker::partial`]): from the fresh files, the closure under what
    /// their surfaces load, read chunk by chunk; then the fresh lists are linked once (the
    /// routes composed, which also follows every chunk's mounts) to learn which other
    /// files they ask about, and those are added, until none is missing. With the
    /// composer's inputs when it read them, and, by chunk, the call lists the last round
    /// linked (with the linker returned, so as they are to be written). `None` (link with
    /// every surface instead) when an output cannot be read or the files asked about keep
    /// growing.
    fn partial_linker<'r>(
        &self,
        resolver: &'r crate::resolve::Resolver,
        composer_sources: &[(String, OutputEntry)],
    ) -> Option<PartialLinker<'r>> {
        const MAX_ROUNDS: usize = 8;
        let composing = self.deferred.values().any(|(_, lists)| {
            lists
                .iter()
                .any(|l| matches!(l, Items::Routes(routes) if composes(routes)))
        });
        let inputs = composing.then(|| self.composer_inputs(composer_sources));
        let chunk_of: HashMap<&str, &str> = self
            .entries
            .iter()
            .flat_map(|(n, e)| e.files.iter().map(move |f| (f.path.as_str(), n.as_str())))
            .collect();
        // Chunk → its files' declared exports, read once.
        let mut read: HashMap<&str, BTreeMap<String, Vec<Export>>> = HashMap::default();
        let mut loaded: BTreeMap<String, Vec<Export>> = BTreeMap::new();
        let mut without: foldhash::HashSet<String> = foldhash::HashSet::default();
        let mut seeds: Vec<String> = self
            .deferred
            .keys()
            .filter_map(|name| self.entries.get(name))
            .flat_map(|e| e.files.iter().map(|f| f.path.clone()))
            .collect();
        // And the files the fresh call lists import from, which the first linking would ask
        // about: loaded before it, they save a round (a linking of every fresh call).
        // For a Python `pkg.f()` after `from . import pkg`, the submodule too.
        let mut asked: BTreeSet<(&str, &str, Option<&str>)> = BTreeSet::new();
        for (_, lists) in self.deferred.values() {
            for list in lists {
                let Items::Calls(nodes) = list else { continue };
                for node in nodes {
                    let python =
                        crate::lang::Lang::from_path(&node.file) == Some(crate::lang::Lang::Python);
                    for edge in &node.edges {
                        if let (Some(module), Some(imported)) = (&edge.module, &edge.imported) {
                            let submodule =
                                (python && imported != "*" && edge.callee.contains('.'))
                                    .then_some(imported.as_str());
                            asked.insert((node.file.as_str(), module.as_str(), submodule));
                        }
                    }
                }
            }
        }
        for (file, module, submodule) in asked {
            let Some(target) = resolver.module_file(file, module) else {
                continue;
            };
            if let Some(sub) = submodule.and_then(|name| resolver.python_submodule(&target, name)) {
                seeds.push(sub);
            }
            seeds.push(target);
        }
        for _ in 0..MAX_ROUNDS {
            let mut queue = std::mem::take(&mut seeds);
            while let Some(file) = queue.pop() {
                if loaded.contains_key(&file) || without.contains(&file) {
                    continue;
                }
                let Some(&chunk) = chunk_of.get(file.as_str()) else {
                    without.insert(file);
                    continue;
                };
                if !read.contains_key(chunk) {
                    let mut by_file: BTreeMap<String, Vec<Export>> = BTreeMap::new();
                    let declared: Vec<Export> = match self.fresh_exports(chunk) {
                        Some(items) => items.iter().filter(|e| e.is_declared()).cloned().collect(),
                        None => {
                            let output = exports_output(&self.entries[chunk]);
                            match output.map(|o| self.read_stored(chunk, o)) {
                                None => Vec::new(),
                                Some(Some(Items::Exports(items))) => {
                                    items.into_iter().filter(|e| e.is_declared()).collect()
                                }
                                Some(_) => return None,
                            }
                        }
                    };
                    for export in declared {
                        by_file.entry(export.file.clone()).or_default().push(export);
                    }
                    read.insert(chunk, by_file);
                }
                // Each file is taken once: it is loaded or known to have none from now on.
                match read
                    .get_mut(chunk)
                    .and_then(|by_file| by_file.remove(&file))
                {
                    None => {
                        without.insert(file);
                    }
                    Some(exports) => {
                        for module in exports.iter().filter_map(|e| e.module.as_deref()) {
                            if let Some(target) = resolver.module_file(&file, module) {
                                queue.push(target);
                            }
                        }
                        loaded.insert(file, exports);
                    }
                }
            }
            let known = loaded.keys().chain(&without).cloned().collect();
            let linker =
                crate::link::Linker::partial(resolver, loaded.values().flatten().cloned(), known);
            let composer = inputs.as_ref().map(|(mounts, schemas)| {
                crate::compose::Composer::new(&linker, mounts.clone(), schemas.clone())
            });
            let mut linked_calls: HashMap<String, Vec<CallNode>> = HashMap::default();
            for (name, (_, lists)) in &self.deferred {
                for list in lists {
                    match list {
                        Items::Calls(nodes) => {
                            let mut nodes = nodes.clone();
                            linker.link_calls(&mut nodes);
                            linked_calls.insert(name.clone(), nodes);
                        }
                        Items::Routes(routes) if composes(routes) => {
                            if let Some(composer) = &composer {
                                composer.link_routes(&mut routes.clone());
                            }
                        }
                        Items::Exports(items) => {
                            let files: BTreeSet<&str> =
                                items.iter().map(|e| e.file.as_str()).collect();
                            for file in files {
                                linker.link_exports(file);
                            }
                        }
                        _ => {}
                    }
                }
            }
            drop(composer);
            seeds = linker.misses();
            if seeds.is_empty() {
                return Some((linker, inputs, linked_calls));
            }
        }
        None
    }

    /// A linker over every chunk's declared surface (the fresh items, else the stored
    /// output), the links digest, and each chunk's surface digest.
    fn whole_linker<'r>(
        &self,
        survey: &'r Survey,
    ) -> (crate::link::Linker<'r>, String, BTreeMap<String, String>) {
        let mut surfaces: BTreeMap<String, (Vec<Export>, String)> = BTreeMap::new();
        for (name, entry) in &self.entries {
            if let Some(items) = self.fresh_exports(name) {
                let digest = crate::link::surface_digest(items);
                surfaces.insert(name.clone(), (items.clone(), digest));
                continue;
            }
            let Some(output) = exports_output(entry) else {
                continue;
            };
            let (declared, digest) = match self.read_stored(name, output) {
                Some(Items::Exports(items)) => {
                    let declared: Vec<Export> =
                        items.into_iter().filter(|e| e.is_declared()).collect();
                    let digest = output
                        .surface
                        .clone()
                        .unwrap_or_else(|| crate::link::surface_digest(&declared));
                    (declared, digest)
                }
                // An output that is not what the manifest says (edited, gone) links as
                // empty, under a digest no manifest records: whatever is linked now stays
                // stale until a run has its surface again.
                _ => (Vec::new(), "unreadable".to_string()),
            };
            surfaces.insert(name.clone(), (declared, digest));
        }
        let digest = crate::link::links_digest(
            survey.resolver.fingerprint(),
            surfaces.iter().map(|(n, (_, d))| (n.as_str(), d.as_str())),
        );
        let mut surface_of = BTreeMap::new();
        let mut declared = Vec::new();
        for (name, (items, digest)) in surfaces {
            surface_of.insert(name, digest);
            declared.extend(items);
        }
        let linker = crate::link::Linker::new(&survey.resolver, declared);
        (linker, digest, surface_of)
    }

    /// Every chunk's mounts items, and the ids of its schemas a request or response can
    /// be (pydantic models, dataclasses, Zod, Joi, Yup, Valibot), read back from the
    /// outputs `finish` wrote (and those of chunks this run did not extract).
    fn composer_inputs(&self, sources: &[(String, OutputEntry)]) -> ComposerInputs {
        let mut mounts = Vec::new();
        let mut schemas = foldhash::HashSet::default();
        for (chunk, output) in sources {
            match self.read_stored(chunk, output) {
                Some(Items::Mounts(items)) => mounts.extend(items),
                Some(Items::Schemas(items)) => schemas.extend(
                    items
                        .into_iter()
                        .filter(|s| crate::compose::SCHEMA_LIBRARIES.contains(&s.library))
                        .map(|s| s.id),
                ),
                _ => {}
            }
        }
        (mounts, schemas)
    }

    /// The items of a stored output, when its bytes are the ones the manifest describes.
    fn read_stored(&self, chunk: &str, output: &OutputEntry) -> Option<Items> {
        let extractor = ExtractorId::from_name(&output.extractor)?;
        if output.bytes == 0 {
            return Some(Items::empty(extractor));
        }
        let rel = StateDir::output_rel(extractor.name(), chunk);
        match self.state.read(&rel) {
            Ok(Some(bytes)) if crate::hash::content_hash(&bytes) == output.hash => {
                Items::from_output_json(extractor, &bytes)
            }
            _ => None,
        }
    }

    /// Writes the manifest describing every chunk (those not extracted keep their entries),
    /// after flushing the outputs; then removes orphaned outputs and flushes again.
    pub fn finalize(
        self,
        survey: &Survey,
        pending: &[PendingChunk],
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<(Manifest, Tally), RunError> {
        let ChunkWriter {
            state,
            cfg,
            entries,
            mut tally,
            ..
        } = self;
        let old = survey.old.as_ref();
        let chunks = &survey.chunks;
        let staleness = &survey.staleness;
        // The resolution fingerprint may only move forward when every imports output now
        // matches it: all that were stale got re-extracted, all that were gone got removed.
        let imports = ExtractorId::IMPORTS;
        let imports_caught_up = cfg.selected.contains(&imports)
            && staleness.stale.iter().all(|(index, reasons)| {
                !reasons.iter().any(|(e, _)| *e == imports)
                    || pending.iter().any(|p| {
                        p.chunk == *index && p.remaining == 0 && p.extractors.contains(&imports)
                    })
            })
            && staleness.gone.iter().all(|(name, _)| wanted(name));
        let resolution = if imports_caught_up {
            survey.resolver.fingerprint().to_string()
        } else {
            old.map(|m| m.resolution.clone()).unwrap_or_default()
        };
        // Files that failed in an earlier run stay recorded while their chunk is not retried.
        let mut failures = tally.failures.clone();
        let old_failures: Vec<_> = old
            .into_iter()
            .flat_map(|m| m.skipped.iter())
            .filter(|s| s.reason.is_extraction_failure())
            .collect();
        // Which chunk holds each file is needed only to place such failures: a map of every
        // file that a one-file run would otherwise build for nothing.
        let files = &survey.inventory.files;
        let file_chunk: HashMap<&str, &str> = if old_failures.is_empty() {
            HashMap::default()
        } else {
            chunks
                .iter()
                .flat_map(|c| {
                    c.files
                        .iter()
                        .map(move |&i| (files[i].path.as_str(), c.name.as_str()))
                })
                .collect()
        };
        let retried: BTreeSet<&str> = pending
            .iter()
            .map(|p| chunks[p.chunk].name.as_str())
            .collect();
        for old_skip in old_failures {
            let chunk = file_chunk.get(old_skip.path.as_str());
            let still_missing = chunk.is_some_and(|c| {
                !retried.contains(c)
                    && entries
                        .get(*c)
                        .is_some_and(|e| !e.files.iter().any(|f| f.path == old_skip.path))
            });
            if still_missing {
                failures.push((old_skip.path.clone(), Failure::Earlier(old_skip.reason)));
            }
        }
        let new_manifest = assemble_manifest(entries, &survey.inventory, &failures, resolution);
        // The guide to the directory, with the outputs (it follows the catalogue). A
        // README.md somebody else put there is theirs, and stays.
        let guide = crate::guide::render(&new_manifest);
        match state.read(GUIDE_FILE)? {
            Some(existing) if !crate::guide::is_ours(&existing) => tally.warnings.push(format!(
                "{} was not written by discover; left as it is",
                state.show(GUIDE_FILE)
            )),
            _ => {
                state.write_atomic(GUIDE_FILE, &guide)?;
            }
        }
        // The outputs' renames reach the disk before the manifest that describes them; when
        // they cannot, the old manifest stays and keeps describing them as stale. A run that
        // wrote and removed nothing, and whose manifest describes only outputs the old one
        // described with the same bytes (flushed before it was written), has nothing to
        // order first, and does not wait on a flush of whatever else the file system holds
        // (a `syncfs` took from under a millisecond to 60 ms with other writers about). An
        // output this run found in place but the old manifest did not describe may be a
        // killed run's, never flushed: then it flushes.
        if state.wrote_anything() || describes_new_outputs(old, &new_manifest) {
            state.sync().map_err(RunError::Unflushed)?;
        }
        crate::timing::mark("outputs flushed");
        // The manifest read at the start (under the lock) tells whether this one differs,
        // without reading its 1 MB again.
        let manifest_bytes = new_manifest.to_json_bytes();
        if survey
            .old_bytes
            .as_ref()
            .is_some_and(|old| *old != manifest_bytes)
        {
            state.write_changed(MANIFEST_FILE, &manifest_bytes)?;
        } else {
            state.write_atomic(MANIFEST_FILE, &manifest_bytes)?;
        }
        crate::timing::mark("manifest written");
        let keep = expected_outputs(&new_manifest);
        for orphan in state.orphans(&keep, MANIFEST_FILE) {
            state.remove(&orphan)?;
        }
        if state.wrote_anything() {
            state.sync()?;
        }
        state.store_output_cache();
        Ok((new_manifest, tally))
    }
}

/// Whether `new` describes an output file that `old` did not describe with the same bytes.
fn describes_new_outputs(old: Option<&Manifest>, new: &Manifest) -> bool {
    let described: HashMap<(&str, &str), (&str, u64)> = old
        .into_iter()
        .flat_map(|m| m.chunks.iter())
        .flat_map(|c| {
            c.outputs.iter().map(move |o| {
                (
                    (c.name.as_str(), o.extractor.as_str()),
                    (o.hash.as_str(), o.bytes),
                )
            })
        })
        .collect();
    new.chunks.iter().any(|c| {
        c.outputs.iter().any(|o| {
            o.bytes > 0
                && described.get(&(c.name.as_str(), o.extractor.as_str()))
                    != Some(&(o.hash.as_str(), o.bytes))
        })
    })
}

pub(super) fn assemble_manifest(
    entries: BTreeMap<String, ChunkEntry>,
    inventory: &Inventory,
    failures: &[(String, Failure)],
    resolution: String,
) -> Manifest {
    let extractors = extractor_entries(entries.values());
    Manifest {
        format: manifest::FORMAT_VERSION,
        generator: manifest::generator(),
        resolution,
        extractors,
        chunks: entries.into_values().collect(),
        skipped: skipped_list(inventory, failures),
    }
}

/// The manifest's list of extractors: those with an output in `chunks`, in registry order.
pub(super) fn extractor_entries<'a>(
    chunks: impl Iterator<Item = &'a ChunkEntry>,
) -> Vec<ExtractorEntry> {
    let present: BTreeSet<&str> = chunks
        .flat_map(|c| c.outputs.iter().map(|o| o.extractor.as_str()))
        .collect();
    ExtractorId::all()
        .into_iter()
        .filter(|e| present.contains(e.name()))
        .map(|e| ExtractorEntry {
            name: e.name().to_string(),
            version: e.version(),
            description: e.description().to_string(),
        })
        .collect()
}

/// The walk's skipped files plus the files extraction had to skip, sorted by path.
pub(super) fn skipped_list(inventory: &Inventory, failures: &[(String, Failure)]) -> Vec<Skipped> {
    let mut skipped = inventory.skipped.clone();
    skipped.extend(failures.iter().map(|(path, failure)| Skipped {
        path: path.clone(),
        reason: failure.reason(),
    }));
    skipped.sort();
    skipped.dedup_by(|a, b| a.path == b.path);
    skipped
}

pub(super) fn expected_outputs(manifest: &Manifest) -> BTreeSet<String> {
    manifest
        .chunks
        .iter()
        .flat_map(|c| {
            c.outputs
                .iter()
                .filter(|o| o.bytes > 0)
                .map(|o| StateDir::output_rel(&o.extractor, &c.name))
        })
        .collect()
}

/// Raises its flag when dropped by a panicking thread.
struct StopOnPanic<'f>(&'f std::sync::atomic::AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// A job's contents, leaving its name (results are matched with their jobs by position).
fn take_job(job: &mut LinkJob) -> LinkJob {
    LinkJob {
        name: job.name.clone(),
        files: std::mem::take(&mut job.files),
        outputs: std::mem::take(&mut job.outputs),
        lists: std::mem::take(&mut job.lists),
        prelinked: job.prelinked.take(),
    }
}

/// Runs `link_job` over `jobs` on `threads` threads, the heaviest jobs first; the results
/// come back in job order. After a failure no job is started, and the failure of the
/// first job in order that failed is the answer.
fn run_jobs(
    jobs: &mut [LinkJob],
    threads: usize,
    link_job: &(dyn Fn(LinkJob) -> Result<LinkDone, RunError> + Sync),
) -> Result<Vec<LinkDone>, RunError> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(jobs[i].weight()));
    let taken: Vec<std::sync::Mutex<Option<LinkJob>>> = jobs
        .iter_mut()
        .map(|job| std::sync::Mutex::new(Some(take_job(job))))
        .collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let mut slots: Vec<Option<Result<LinkDone, RunError>>> =
        (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    // A panic stops the others from starting jobs, as a failure does.
                    let _stop = StopOnPanic(&failed);
                    let mut mine = Vec::new();
                    while !failed.load(Ordering::Relaxed) {
                        let Some(&index) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            break;
                        };
                        let job = taken[index]
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .take();
                        let Some(job) = job else { continue };
                        let result = link_job(job);
                        if result.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        mine.push((index, result));
                    }
                    mine
                })
            })
            .collect();
        for worker in workers {
            let mine = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (index, result) in mine {
                slots[index] = Some(result);
            }
        }
    });
    let mut done = Vec::with_capacity(slots.len());
    let mut first_failure = None;
    for slot in slots {
        match slot {
            Some(Ok(result)) => done.push(result),
            Some(Err(e)) => {
                first_failure.get_or_insert(e);
            }
            // Not run: a failure came first.
            None => {}
        }
    }
    match first_failure {
        Some(e) => Err(e),
        None => {
            // Without a failure, every job ran (the threads stop only when none is left).
            debug_assert_eq!(done.len(), jobs.len());
            Ok(done)
        }
    }
}
