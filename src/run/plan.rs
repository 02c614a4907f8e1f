//! The plan stage: walk and hash the sources, chunk them, read the manifest, decide what
//! is stale; then, for a writing run, the work list (chunks and extractors to extract,
//! with the items reusable from stored outputs) and the tasks that carry it.

use super::RunError;
use crate::chunk::{self, Chunk};
use crate::cli::{Mode, RunConfig};
use crate::extract::{ExtractorId, Items};
use crate::hash_cache::HashCache;
use crate::manifest::{self, ChunkEntry, FileEntry, MANIFEST_FILE, Manifest};
use crate::resolve::Resolver;
use crate::staleness::{self, Current, Staleness};
use crate::state::StateDir;
use crate::task::{self, FileOutcome, Task};
use crate::walk::{self, Inventory};
use foldhash::HashMap;
use std::collections::BTreeSet;

/// The sources and the state as the manifest describes them.
pub struct Survey {
    pub inventory: Inventory,
    pub chunks: Vec<Chunk>,
    /// Per chunk, the digest of its sources (`staleness::chunk_digest`).
    pub digests: Vec<String>,
    pub resolver: Resolver,
    pub old: Option<Manifest>,
    /// The manifest's bytes, also when they do not parse.
    pub old_bytes: Option<Vec<u8>>,
    /// Why the manifest on disk cannot be used, when it cannot.
    pub manifest_problem: Option<String>,
    pub staleness: Staleness,
    /// To judge: whether the manifest's bytes are those discover renders for it.
    pub canonical_manifest: bool,
    /// To judge: outputs of ours in the state directory that the manifest does not
    /// record, sorted.
    pub recorded_orphans: Vec<String>,
    /// To write: how many temp files of a dead run were removed.
    pub leftovers: usize,
}

/// What the state directory tells besides the manifest, read alongside the walk.
#[derive(Default)]
struct Recorded {
    metadata: crate::state::Metadata,
    canonical: bool,
    orphans: Vec<String>,
}

/// What a survey is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A writing run, under the lock: the survey also checks that the state directory is
    /// discover's and removes a dead run's temp files (before anything is written).
    Write,
    /// A verdict on the state (`--check`, the query's staleness test): the survey also
    /// finds the orphans and whether the manifest is canonical.
    Judge,
}

/// What the run needs to know before it plans: the sources, the chunks, the manifest on disk
/// and what is stale, with what its `purpose` needs besides.
pub fn survey(cfg: &RunConfig, state: &StateDir, purpose: Purpose) -> Result<Survey, RunError> {
    // Loaded before the side thread starts: loaded alongside it, it took twice as long and
    // the walk started no sooner.
    let mut cache = if cfg.use_cache {
        HashCache::load(&cfg.root, &cfg.state_dir)
    } else {
        HashCache::disabled()
    };
    crate::timing::mark("hash cache loaded");
    // The state directory is read while the sources are walked: for a writing run, its
    // ownership checked and a dead run's temp files removed; the outputs' hash cache
    // loaded; the manifest read and parsed; the files in the directory listed, and those
    // of them the manifest records looked up (for staleness); and, for a verdict, the
    // orphans among them found and the manifest rendered again to see it is canonical.
    let place = state.place();
    let shown_manifest = state.show(MANIFEST_FILE);
    let (inventory, side) = std::thread::scope(|scope| {
        let side = scope.spawn(|| -> Result<_, crate::state::StateError> {
            if cfg.use_cache {
                HashCache::remove_strays();
            }
            let output_cache = cfg
                .use_cache
                .then(|| HashCache::load_outputs(&cfg.root, &cfg.state_dir));
            let (manifest_bytes, listed_at_start, leftovers) = match purpose {
                Purpose::Write => {
                    let bytes = place.check_ownership(MANIFEST_FILE)?;
                    let (listing, removed) = place.remove_leftover_temp_files();
                    (bytes, Some(listing), removed)
                }
                Purpose::Judge => (place.read(MANIFEST_FILE)?, None, 0),
            };
            let parsed = manifest_bytes.map(|bytes| {
                let parsed = manifest::parse(&bytes, &shown_manifest);
                (parsed, bytes)
            });
            let mut recorded = Recorded::default();
            if let Some((Ok(old), bytes)) = &parsed {
                let state_root = place.path();
                let listed = match &listed_at_start {
                    Some(listing) => std::borrow::Cow::Borrowed(listing),
                    None => std::borrow::Cow::Owned(crate::state::files_in(state_root)),
                };
                // An output that is not there needs no look: most chunks have no file for
                // most extractors.
                let present: Vec<String> = staleness::recorded_outputs(old, &cfg.selected)
                    .into_iter()
                    .filter(|rel| listed.may_hold(rel))
                    .collect();
                recorded.metadata = crate::state::metadata_of(state_root, &present);
                if purpose == Purpose::Judge {
                    recorded.canonical = old.to_json_bytes() == *bytes;
                    recorded.orphans = crate::state::orphans_among(
                        state_root,
                        listed.into_owned().files.into_iter(),
                        &super::write::expected_outputs(old),
                        MANIFEST_FILE,
                    );
                }
            }
            crate::timing::mark("state directory read (side thread)");
            Ok((parsed, recorded, output_cache, listed_at_start, leftovers))
        });
        let inventory = walk::walk(&cfg.root, &cfg.state_dir, &cfg.settings, &mut cache);
        let side = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (inventory, side)
    });
    crate::timing::mark("sources walked");
    let (manifest, recorded, output_cache, listed_at_start, leftovers) = side?;
    if let Some(cache) = output_cache {
        state.set_output_cache(cache);
    }
    if let Some(listing) = listed_at_start {
        state.set_known_files(listing);
    }
    let chunks = chunk::plan_chunks(&inventory.files, &cfg.settings)?;
    crate::timing::mark("chunked");
    let digests: Vec<String> = chunks
        .iter()
        .map(|c| {
            staleness::chunk_digest(c.files.iter().map(|&i| {
                let f = &inventory.files[i];
                (f.path.as_str(), f.hash.as_str())
            }))
        })
        .collect();
    crate::timing::mark("chunk digests");
    let resolver = Resolver::new(&inventory.files, &inventory.resolution_configs, |path| {
        std::fs::read_to_string(cfg.root.join(path)).ok()
    });
    crate::timing::mark("resolver built");
    let (old, old_bytes, manifest_problem) = match manifest {
        None => (None, None, None),
        Some((Ok(m), bytes)) => (Some(m), Some(bytes), None),
        Some((Err(e), bytes)) => (None, Some(bytes), Some(e.to_string())),
    };
    let verify_outputs = cfg.mode != Mode::Full;
    let staleness = staleness::staleness(
        &Current {
            files: &inventory.files,
            chunks: &chunks,
            digests: &digests,
            resolver: &resolver,
        },
        old.as_ref(),
        &cfg.selected,
        state,
        &recorded.metadata,
        verify_outputs,
    );
    crate::timing::mark("staleness judged");
    Ok(Survey {
        inventory,
        chunks,
        digests,
        resolver,
        old,
        old_bytes,
        manifest_problem,
        staleness,
        canonical_manifest: recorded.canonical,
        recorded_orphans: recorded.orphans,
        leftovers,
    })
}

/// A chunk being extracted: outcomes arrive per file, in any order.
pub struct PendingChunk {
    pub chunk: usize,
    pub extractors: Vec<ExtractorId>,
    pub outcomes: Vec<Option<FileOutcome>>,
    pub remaining: usize,
}

/// What a writing run does.
pub struct Work {
    /// The chunks to extract, in plan order, with the outcomes already known.
    pub pending: Vec<PendingChunk>,
    /// File index → (position in `pending`, slot in the chunk) of every file to parse.
    pub owner: HashMap<u32, (usize, usize)>,
    pub tasks: Vec<Task>,
    /// Vanished chunks whose outputs of these extractors go.
    pub removals: Vec<(String, Vec<ExtractorId>)>,
    /// `--only-chunks`, when given.
    pub only_chunks: Option<BTreeSet<String>>,
    /// Files whose items are reused from stored outputs.
    pub reused: usize,
}

impl Work {
    /// Whether the chunk `name` is part of this run (`--only-chunks`).
    pub fn wants(&self, name: &str) -> bool {
        self.only_chunks.as_ref().is_none_or(|n| n.contains(name))
    }
}

pub fn work(cfg: &RunConfig, state: &StateDir, survey: &Survey) -> Result<Work, RunError> {
    let (chunks, staleness, old) = (&survey.chunks, &survey.staleness, survey.old.as_ref());
    let only_chunks: Option<BTreeSet<String>> = cfg
        .only_chunks
        .as_ref()
        .map(|names| names.iter().cloned().collect());
    if let Some(named) = &only_chunks {
        let known: BTreeSet<&str> = chunks
            .iter()
            .map(|c| c.name.as_str())
            .chain(
                old.iter()
                    .flat_map(|m| m.chunks.iter().map(|c| c.name.as_str())),
            )
            .collect();
        let unknown: Vec<&str> = named
            .iter()
            .map(String::as_str)
            .filter(|n| !known.contains(n))
            .collect();
        if !unknown.is_empty() {
            return Err(RunError::Usage(format!(
                "unknown chunk(s) in --only-chunks: {}; chunk names are listed in {}",
                unknown.join(", "),
                state.show(MANIFEST_FILE)
            )));
        }
    }
    let wanted = |name: &str| only_chunks.as_ref().is_none_or(|n| n.contains(name));
    let old_entries: HashMap<&str, &ChunkEntry> = old
        .iter()
        .flat_map(|m| m.chunks.iter().map(|c| (c.name.as_str(), c)))
        .collect();

    // Incremental runs reuse, from the outputs on disk, the items of every file of a stale
    // chunk whose content did not change; only changed and new files are parsed.
    let mut owner: HashMap<u32, (usize, usize)> = HashMap::default();
    let mut pending: Vec<PendingChunk> = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        if !wanted(&chunk.name) {
            continue;
        }
        let extractors: Vec<ExtractorId> = match cfg.mode {
            Mode::Incremental => staleness
                .stale
                .get(&index)
                .map(|r| r.iter().map(|(e, _)| *e).collect())
                .unwrap_or_default(),
            _ => cfg.selected.clone(),
        };
        if extractors.is_empty() {
            continue;
        }
        let outcomes = if cfg.mode == Mode::Incremental {
            reusable_outcomes(
                state,
                old_entries.get(chunk.name.as_str()).copied(),
                chunk,
                &survey.inventory,
                &extractors,
            )
        } else {
            vec![None; chunk.files.len()]
        };
        let position = pending.len();
        for (slot, &file) in chunk.files.iter().enumerate() {
            if outcomes[slot].is_none() {
                owner.insert(file as u32, (position, slot));
            }
        }
        pending.push(PendingChunk {
            chunk: index,
            extractors,
            remaining: outcomes.iter().filter(|o| o.is_none()).count(),
            outcomes,
        });
    }
    let removals: Vec<(String, Vec<ExtractorId>)> = staleness
        .gone
        .iter()
        .filter(|(name, _)| wanted(name))
        .cloned()
        .collect();

    let work_files: Vec<(Vec<usize>, Vec<ExtractorId>)> = pending
        .iter()
        .filter(|p| p.remaining > 0)
        .map(|p| {
            let files = chunks[p.chunk]
                .files
                .iter()
                .zip(&p.outcomes)
                .filter(|(_, outcome)| outcome.is_none())
                .map(|(&file, _)| file)
                .collect();
            (files, p.extractors.clone())
        })
        .collect();
    let tasks = task::plan_tasks(&work_files, &survey.inventory.files, cfg.jobs);
    let reused = pending
        .iter()
        .map(|p| p.outcomes.iter().filter(|o| o.is_some()).count())
        .sum();
    Ok(Work {
        pending,
        owner,
        tasks,
        removals,
        only_chunks,
        reused,
    })
}

/// Outcomes of the files of `chunk` that need no parsing: unchanged since the chunk's
/// outputs were written, their items read back from those outputs. `None` for every file
/// when the outputs cannot be reused (another extractor version, a missing or unreadable
/// file).
fn reusable_outcomes(
    state: &StateDir,
    old: Option<&ChunkEntry>,
    chunk: &Chunk,
    inventory: &Inventory,
    extractors: &[ExtractorId],
) -> Vec<Option<FileOutcome>> {
    let none = || vec![None; chunk.files.len()];
    let Some(old) = old else { return none() };
    // The chunk's file list is that of its latest extraction; an output made from older
    // sources (an `--only` run re-extracted the others since) cannot be split by it.
    let recorded =
        staleness::chunk_digest(old.files.iter().map(|f| (f.path.as_str(), f.hash.as_str())));
    let mut stored: Vec<HashMap<String, Items>> = Vec::with_capacity(extractors.len());
    for &extractor in extractors {
        let output = old.outputs.iter().find(|o| {
            o.extractor == extractor.name()
                && o.version == extractor.version()
                && o.inputs == recorded
        });
        let rel = StateDir::output_rel(extractor.name(), &chunk.name);
        // Only the very bytes the manifest describes are trusted; an empty output has no
        // file, and must have none.
        let items = match output {
            Some(output) if output.bytes == 0 => {
                state.size(&rel).is_none().then(|| Items::empty(extractor))
            }
            Some(output) => match state.read(&rel) {
                Ok(Some(bytes)) if crate::hash::content_hash(&bytes) == output.hash => {
                    Items::from_output_json(extractor, &bytes)
                }
                _ => None,
            },
            None => None,
        };
        match items {
            Some(items) => stored.push(items.by_file()),
            None => return none(),
        }
    }
    let old_files: HashMap<&str, &FileEntry> =
        old.files.iter().map(|f| (f.path.as_str(), f)).collect();
    chunk
        .files
        .iter()
        .map(|&index| {
            let file = &inventory.files[index];
            let entry = old_files
                .get(file.path.as_str())
                .filter(|e| e.hash == file.hash)?;
            let items = extractors
                .iter()
                .zip(stored.iter_mut())
                .map(|(&e, by_file)| {
                    by_file
                        .remove(&file.path)
                        .unwrap_or_else(|| Items::empty(e))
                })
                .collect();
            Some(FileOutcome::Done(crate::extract::FileFacts {
                syntax_errors: entry.syntax_errors,
                items,
                source_hash: String::new(),
            }))
        })
        .collect()
}
