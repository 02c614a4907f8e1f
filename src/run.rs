//! One run of discover: walk, plan, extract what is needed, write `.state/` atomically, and
//! report. The run owns all state; extraction returns facts and never touches the disk.

use crate::chunk::{self, Chunk, ChunkError};
use crate::config::{ConfigError, Settings, human_size};
use crate::extract::{ExtractorId, ExtractorSet, Items, QueryLoadError};
use crate::hash_cache::HashCache;
use crate::lock::StateLock;
use crate::manifest::{
    self, ChunkEntry, ExtractorEntry, FileEntry, MANIFEST_FILE, Manifest, OutputEntry,
};
use crate::orchestrator::{self, ExecOptions, ExecReport, Flow};
use crate::plan::{self, Current, Staleness};
use crate::resolve::Resolver;
use crate::signals::Interrupts;
use crate::state::{StateDir, StateError, Written};
use crate::task::{self, Failure, FileOutcome};
use crate::walk::{self, Inventory, Skipped};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    Incremental,
    Check,
}

/// A validated run configuration, built once from the arguments.
#[derive(Debug)]
pub struct RunConfig {
    pub root: PathBuf,
    pub state_dir: PathBuf,
    pub state_shown: String,
    pub mode: Mode,
    pub selected: Vec<ExtractorId>,
    pub only_chunks: Option<Vec<String>>,
    pub settings: Settings,
    pub quiet: bool,
    /// Worker processes; 0 extracts in process.
    pub jobs: usize,
    pub timeout: Duration,
    pub max_memory: Option<u64>,
    pub file_timeout: Duration,
    pub verbose: bool,
    pub json: bool,
    /// Whether the per-machine hash cache is read and written.
    pub use_cache: bool,
    /// Whether a writing run waits for another one holding the state directory's lock.
    pub wait_for_lock: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot inventory `{path}`: {message}")]
    Root { path: String, message: String },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(
        "{0}; the manifest was not updated, so `discover --check` reports the state stale and `discover --incremental` completes it"
    )]
    Unflushed(StateError),
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    #[error("bundled query failed to load (a bug in discover): {0}")]
    Query(#[from] QueryLoadError),
    #[error(transparent)]
    Exec(#[from] orchestrator::ExecError),
    #[error("worker pool failed: {0}")]
    Worker(String),
    #[error("cannot install the signal handler: {0}")]
    Signals(std::io::Error),
}

#[derive(Default)]
struct Tally {
    extracted_chunks: BTreeMap<ExtractorId, usize>,
    /// Output files that did not exist before this run.
    created: BTreeMap<ExtractorId, usize>,
    /// Existing output files whose bytes changed (or that were removed, now empty).
    rewritten: BTreeMap<ExtractorId, usize>,
    /// Files whose outcome the executor delivered (parsed, or failed trying).
    parsed: usize,
    removed: usize,
    failures: Vec<(String, Failure)>,
    written_chunks: usize,
}

/// A chunk being extracted: outcomes arrive per file, in any order.
struct PendingChunk {
    chunk: usize,
    extractors: Vec<ExtractorId>,
    outcomes: Vec<Option<FileOutcome>>,
    remaining: usize,
}

/// Runs discover and returns the exit code. A writing run holds the state directory's
/// lock from before it looks at the directory until after its last write.
pub fn execute(cfg: &RunConfig) -> Result<i32, RunError> {
    if cfg.mode == Mode::Check {
        return run(cfg);
    }
    let lock = StateLock::acquire(&cfg.state_dir, &cfg.state_shown, cfg.wait_for_lock)?;
    let result = run(cfg);
    // A run refused before it wrote anything leaves no directory of its own making behind
    // (`remove_dir` removes only an empty one).
    if result.is_err()
        && let Some(dir) = &lock.created
    {
        let _ = std::fs::remove_dir(dir);
    }
    result
}

fn run(cfg: &RunConfig) -> Result<i32, RunError> {
    let mut state = StateDir::new(cfg.state_dir.clone(), cfg.state_shown.clone());
    if cfg.use_cache {
        state = state.with_output_cache(HashCache::load_outputs(&cfg.root, &cfg.state_dir));
    }
    let leftovers = if cfg.mode == Mode::Check {
        0
    } else {
        state.check_ownership(MANIFEST_FILE)?;
        // Under the lock, every temp file is a dead run's.
        state.remove_leftover_temp_files()
    };
    // `--check` takes no lock; a writer that holds it now may have written outputs its
    // manifest does not describe yet.
    let writer_at_start = (cfg.mode == Mode::Check)
        .then(|| crate::lock::writer(&cfg.state_dir))
        .flatten();
    let mut cache = if cfg.use_cache {
        HashCache::load(&cfg.root, &cfg.state_dir)
    } else {
        HashCache::disabled()
    };
    let inventory = walk::walk(&cfg.root, &cfg.state_dir, &cfg.settings, &mut cache);
    let chunks = chunk::plan_chunks(&inventory.files, &cfg.settings)?;
    let digests: Vec<String> = chunks
        .iter()
        .map(|c| {
            plan::chunk_digest(c.files.iter().map(|&i| {
                let f = &inventory.files[i];
                (f.path.as_str(), f.hash.as_str())
            }))
        })
        .collect();
    let resolver = Resolver::new(&inventory.files, &inventory.ts_configs);
    let current = Current {
        files: &inventory.files,
        chunks: &chunks,
        digests: &digests,
        resolver: &resolver,
    };

    let (old, old_bytes, manifest_problem) = match state.read(MANIFEST_FILE)? {
        None => (None, None, None),
        Some(bytes) => match manifest::parse(&bytes, &state.show(MANIFEST_FILE)) {
            Ok(m) => (Some(m), Some(bytes), None),
            Err(e) => (None, Some(bytes), Some(e.to_string())),
        },
    };
    // Outputs are hashed (through the per-machine cache) only when staleness decides what is
    // written: a full run rewrites every output it selects anyway.
    let verify_outputs = cfg.mode != Mode::Full;
    let staleness = plan::staleness(
        &current,
        old.as_ref(),
        &cfg.selected,
        &state,
        verify_outputs,
    );

    if cfg.mode == Mode::Check {
        let writer = writer_at_start.or_else(|| crate::lock::writer(&cfg.state_dir));
        state.store_output_cache();
        return Ok(check(
            cfg,
            &state,
            &inventory,
            &chunks,
            old.as_ref(),
            old_bytes.as_deref(),
            manifest_problem,
            &staleness,
            resolver.fingerprint(),
            writer,
        ));
    }
    if let Some(problem) = &manifest_problem {
        eprintln!("warning: {problem}; treating every chunk as stale");
    }
    if leftovers > 0 && !cfg.quiet {
        eprintln!("removed {leftovers} temp file(s) left by an interrupted run");
    }

    // What to extract, per plan chunk, and which outputs of vanished chunks to drop.
    let named: Option<BTreeSet<&str>> = cfg
        .only_chunks
        .as_ref()
        .map(|names| names.iter().map(String::as_str).collect());
    if let Some(named) = &named {
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
            .copied()
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
    let wanted = |name: &str| named.as_ref().is_none_or(|n| n.contains(name));
    let mut work: Vec<(usize, Vec<ExtractorId>)> = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        if !wanted(&chunk.name) {
            continue;
        }
        let extractors = match cfg.mode {
            Mode::Incremental => staleness
                .stale
                .get(&index)
                .map(|r| r.iter().map(|(e, _)| *e).collect())
                .unwrap_or_default(),
            _ => cfg.selected.clone(),
        };
        if !extractors.is_empty() {
            work.push((index, extractors));
        }
    }
    let removals: Vec<&(String, Vec<ExtractorId>)> = staleness
        .gone
        .iter()
        .filter(|(name, _)| wanted(name))
        .collect();

    // Extract and write outputs; the manifest comes last, so until it is renamed into place
    // the old manifest describes the sources these outputs no longer match (stale).
    let old_resolution = old.as_ref().map(|m| m.resolution.clone());
    let old_failures: Vec<Skipped> = old
        .as_ref()
        .map(|m| {
            m.skipped
                .iter()
                .filter(|s| s.reason.is_extraction_failure())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let files = &inventory.files;
    let file_chunk: HashMap<&str, &str> = chunks
        .iter()
        .flat_map(|c| {
            c.files
                .iter()
                .map(move |&i| (files[i].path.as_str(), c.name.as_str()))
        })
        .collect();
    let mut entries: BTreeMap<String, ChunkEntry> = old
        .map(|m| m.chunks.into_iter().map(|c| (c.name.clone(), c)).collect())
        .unwrap_or_default();
    // Outputs of an extractor no longer registered (a query extractor taken out of
    // `discover.toml`) can never be refreshed: they go, and their files with them.
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

    // Incremental runs reuse, from the outputs on disk, the items of every file of a stale
    // chunk whose content did not change; only changed and new files are parsed.
    let mut owner: HashMap<u32, (usize, usize)> = HashMap::new();
    let mut pending: Vec<PendingChunk> = Vec::with_capacity(work.len());
    for (position, (index, extractors)) in work.iter().enumerate() {
        let chunk = &chunks[*index];
        let outcomes = if cfg.mode == Mode::Incremental {
            reusable_outcomes(
                &state,
                entries.get(&chunk.name),
                chunk,
                &inventory,
                extractors,
            )
        } else {
            vec![None; chunk.files.len()]
        };
        for (slot, &file) in chunk.files.iter().enumerate() {
            if outcomes[slot].is_none() {
                owner.insert(file as u32, (position, slot));
            }
        }
        pending.push(PendingChunk {
            chunk: *index,
            extractors: extractors.clone(),
            remaining: outcomes.iter().filter(|o| o.is_none()).count(),
            outcomes,
        });
    }
    for done in pending.iter_mut().filter(|p| p.remaining == 0) {
        let index = done.chunk;
        finish_chunk(
            cfg,
            &state,
            &inventory,
            &chunks[index],
            &digests[index],
            done,
            &resolver,
            &mut entries,
            &mut tally,
        )?;
    }

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
    let work_bytes: u64 = work_files
        .iter()
        .flat_map(|(files, _)| files.iter().map(|&i| inventory.files[i].size))
        .sum();
    let tasks = task::plan_tasks(
        &work_files,
        &inventory.files,
        task_target_bytes(work_bytes, cfg.jobs),
    );
    let task_count = tasks.len();
    let parsed_files: usize = work_files.iter().map(|(files, _)| files.len()).sum();
    let old_manifest_existed = old_bytes.is_some();
    let reused_files: usize = work
        .iter()
        .map(|(index, _)| chunks[*index].files.len())
        .sum::<usize>()
        - parsed_files;

    let interrupts = Interrupts::install().map_err(RunError::Signals)?;
    let options = ExecOptions {
        root: cfg.root.clone(),
        jobs: cfg.jobs,
        timeout: cfg.timeout,
        max_memory: cfg.max_memory,
        file_budget: cfg.file_timeout,
        grace: Duration::from_millis(1000),
        verbose: cfg.verbose,
        progress: !cfg.quiet && !cfg.json,
    };
    // The executor hands over outcomes and takes back a `Flow`; a failure to write a chunk
    // is kept here, the executor told to stop, and the run ends with it once it has.
    let mut failed: Option<RunError> = None;
    let report: ExecReport = {
        let mut sink = |file: u32, outcome: FileOutcome| -> Flow {
            if failed.is_some() {
                return Flow::Stop;
            }
            let Some(&(position, slot)) = owner.get(&file) else {
                failed = Some(RunError::Worker(format!(
                    "an outcome arrived for file {file}, which no chunk asked for"
                )));
                return Flow::Stop;
            };
            let chunk = &mut pending[position];
            if chunk.outcomes[slot].replace(outcome).is_none() {
                chunk.remaining -= 1;
                tally.parsed += 1;
            }
            if chunk.remaining == 0 {
                let done = &mut pending[position];
                if let Err(e) = finish_chunk(
                    cfg,
                    &state,
                    &inventory,
                    &chunks[done.chunk],
                    &digests[done.chunk],
                    done,
                    &resolver,
                    &mut entries,
                    &mut tally,
                ) {
                    failed = Some(e);
                    return Flow::Stop;
                }
            }
            Flow::Continue
        };
        let executed = if cfg.jobs == 0 {
            let set = ExtractorSet::new(&cfg.selected);
            orchestrator::run_sequential(tasks, &set, &options, &interrupts, &mut sink)
        } else {
            orchestrator::run_parallel(tasks, &options, &interrupts, &mut sink)
        };
        executed?
    };
    if let Some(e) = failed {
        return Err(e);
    }
    let completed = pending.iter().filter(|p| p.remaining == 0).count();

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
        resolver.fingerprint().to_string()
    } else {
        old_resolution.unwrap_or_default()
    };
    // Files that failed in an earlier run stay recorded while their chunk is not retried.
    let retried: BTreeSet<&str> = pending
        .iter()
        .map(|p| chunks[p.chunk].name.as_str())
        .collect();
    let mut failures = tally.failures.clone();
    for old_skip in &old_failures {
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
    let new_manifest = assemble_manifest(entries, &inventory, &failures, resolution);
    // The outputs' renames reach the disk before the manifest that describes them; when
    // they cannot, the old manifest stays and keeps describing them as stale.
    state.sync().map_err(RunError::Unflushed)?;
    state.write_atomic(MANIFEST_FILE, &manifest::to_json_bytes(&new_manifest))?;
    let keep = expected_outputs(&new_manifest);
    for orphan in state.orphans(&keep, MANIFEST_FILE) {
        state.remove(&orphan)?;
    }
    state.sync()?;
    state.store_output_cache();
    let peaks = extractor_peaks(&pending, &chunks, &report);

    let summary = Summary {
        cfg,
        state: &state,
        inventory: &inventory,
        chunks: &chunks,
        manifest: &new_manifest,
        tally: &tally,
        report: &report,
        planned: work.len(),
        completed,
        tasks: task_count,
        reused: reused_files,
        peaks,
        had_state: old_manifest_existed,
    };
    if cfg.json {
        summary.print_json();
    } else if cfg.quiet {
        summary.print_problems("");
    } else {
        summary.print();
    }
    // A signal that arrived while the manifest was written still counts.
    let interrupted = report.interrupted.or_else(|| interrupts.received());
    drop(interrupts);
    if let Some(sig) = interrupted {
        eprintln!(
            "interrupted: {completed} of {} chunk(s) extracted and written, {} manifest describes them; run `discover --incremental` to finish",
            work.len(),
            state.show(MANIFEST_FILE)
        );
        return Ok(crate::signals::exit_code(sig));
    }
    Ok(if tally.failures.is_empty() {
        crate::exit::OK
    } else {
        crate::exit::STALE_OR_PARTIAL
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
    let recorded = plan::chunk_digest(old.files.iter().map(|f| (f.path.as_str(), f.hash.as_str())));
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

/// Bytes of source per task: small enough that every worker gets several tasks (balance),
/// large enough that the per-task round trip stays negligible.
fn task_target_bytes(work_bytes: u64, jobs: usize) -> u64 {
    if jobs == 0 {
        return u64::MAX;
    }
    (work_bytes / (jobs as u64 * 8)).clamp(64 << 10, 2 << 20)
}

/// Turns a chunk's file outcomes into its outputs and manifest entry.
#[expect(
    clippy::too_many_arguments,
    reason = "the run's pieces a finished chunk is written into"
)]
fn finish_chunk(
    cfg: &RunConfig,
    state: &StateDir,
    inventory: &Inventory,
    chunk: &Chunk,
    digest: &str,
    done: &mut PendingChunk,
    resolver: &Resolver,
    entries: &mut BTreeMap<String, ChunkEntry>,
    tally: &mut Tally,
) -> Result<(), RunError> {
    let mut items: Vec<Items> = done.extractors.iter().map(|&e| Items::empty(e)).collect();
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
                tally.failures.push((file.path.clone(), failure));
            }
            None => {}
        }
    }
    // Such a chunk records the digest of what was extracted, which differs from its
    // sources' digest: `--check` keeps reporting it, `--incremental` retries it.
    let inputs = if differs {
        plan::chunk_digest(files.iter().map(|f| (f.path.as_str(), f.hash.as_str())))
    } else {
        digest.to_string()
    };
    let mut outputs: Vec<OutputEntry> = entries
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
        list.sort();
        let extractor = list.extractor();
        let rel = StateDir::output_rel(extractor.name(), &chunk.name);
        *tally.extracted_chunks.entry(extractor).or_default() += 1;
        // An extractor that found nothing in a chunk writes no file: most chunks have no
        // routes, schemas or tests, and an empty file per chunk and extractor would be most
        // of `.state/`. The manifest records the output with `bytes: 0`.
        if list.is_empty() {
            if state.size(&rel).is_some() {
                state.remove(&rel)?;
                *tally.rewritten.entry(extractor).or_default() += 1;
            }
            outputs.push(OutputEntry {
                extractor: extractor.name().to_string(),
                version: extractor.version(),
                inputs: inputs.clone(),
                items: 0,
                bytes: 0,
                hash: String::new(),
            });
            continue;
        }
        let bytes = list.to_output_json(&chunk.name);
        // The call graph has an edge per call; its files are allowed four times the size.
        let warn_size = match extractor {
            ExtractorId::CALLS => cfg.settings.chunk_warn_size.saturating_mul(4),
            _ => cfg.settings.chunk_warn_size,
        };
        if bytes.len() as u64 > warn_size {
            eprintln!(
                "warning: {} is {} (over {}); split the chunk with `chunks.max_files` or `chunks.roots` in discover.toml",
                state.show(&rel),
                human_size(bytes.len() as u64),
                human_size(warn_size)
            );
        }
        let hash = crate::hash::content_hash(&bytes);
        match state.write_output(&rel, &bytes, &hash)? {
            Written::Unchanged => {}
            Written::Created => *tally.created.entry(extractor).or_default() += 1,
            Written::Replaced => *tally.rewritten.entry(extractor).or_default() += 1,
        }
        outputs.push(OutputEntry {
            extractor: extractor.name().to_string(),
            version: extractor.version(),
            inputs: inputs.clone(),
            items: list.len(),
            bytes: bytes.len() as u64,
            hash,
        });
    }
    outputs.sort_by(|a, b| a.extractor.cmp(&b.extractor));
    entries.insert(
        chunk.name.clone(),
        ChunkEntry {
            name: chunk.name.clone(),
            files,
            outputs,
        },
    );
    tally.written_chunks += 1;
    Ok(())
}

/// Per extractor, the largest peak of the tasks that ran it (a task runs the extractors of
/// its chunks; files reused from stored outputs ran in no task).
fn extractor_peaks(
    pending: &[PendingChunk],
    chunks: &[Chunk],
    report: &ExecReport,
) -> BTreeMap<ExtractorId, u64> {
    let mut peaks: BTreeMap<ExtractorId, u64> = BTreeMap::new();
    for p in pending {
        let peak = chunks[p.chunk]
            .files
            .iter()
            .filter_map(|&i| report.file_peaks.get(&(i as u32)))
            .max();
        if let Some(&peak) = peak {
            for &e in &p.extractors {
                let entry = peaks.entry(e).or_default();
                *entry = (*entry).max(peak);
            }
        }
    }
    peaks
}

fn assemble_manifest(
    entries: BTreeMap<String, ChunkEntry>,
    inventory: &Inventory,
    failures: &[(String, Failure)],
    resolution: String,
) -> Manifest {
    let present: BTreeSet<&str> = entries
        .values()
        .flat_map(|c| c.outputs.iter().map(|o| o.extractor.as_str()))
        .collect();
    let extractors = ExtractorId::all()
        .into_iter()
        .filter(|e| present.contains(e.name()))
        .map(|e| ExtractorEntry {
            name: e.name().to_string(),
            version: e.version(),
            description: e.description().to_string(),
        })
        .collect();
    Manifest {
        format: manifest::FORMAT_VERSION,
        generator: manifest::generator(),
        resolution,
        extractors,
        chunks: entries.into_values().collect(),
        skipped: skipped_list(inventory, failures),
    }
}

/// The walk's skipped files plus the files extraction had to skip, sorted by path.
fn skipped_list(inventory: &Inventory, failures: &[(String, Failure)]) -> Vec<Skipped> {
    let mut skipped = inventory.skipped.clone();
    skipped.extend(failures.iter().map(|(path, failure)| Skipped {
        path: path.clone(),
        reason: failure.reason(),
    }));
    skipped.sort();
    skipped.dedup_by(|a, b| a.path == b.path);
    skipped
}

fn expected_outputs(manifest: &Manifest) -> BTreeSet<String> {
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

#[expect(
    clippy::too_many_arguments,
    reason = "the check report reads every part of the run"
)]
fn check(
    cfg: &RunConfig,
    state: &StateDir,
    inventory: &Inventory,
    chunks: &[Chunk],
    old: Option<&Manifest>,
    old_bytes: Option<&[u8]>,
    manifest_problem: Option<String>,
    staleness: &Staleness,
    current_resolution: &str,
    writer: Option<String>,
) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut problems: Vec<String> = Vec::new();
    if let Some(writer) = writer {
        problems.push(format!(
            "{writer} is writing {} right now (its manifest comes last); check again when it is done",
            cfg.state_shown
        ));
    }
    match (old, &manifest_problem) {
        (_, Some(problem)) => problems.push(problem.clone()),
        (None, None) => problems.push(format!("{} does not exist", state.show(MANIFEST_FILE))),
        (Some(old), None) => {
            // Nothing stale: the manifest a run would write is the one on disk, unless the
            // global parts (skipped files, generator, extractor list) moved.
            if staleness.is_empty() {
                let resolution = if cfg.selected.contains(&ExtractorId::IMPORTS) {
                    current_resolution.to_string()
                } else {
                    old.resolution.clone()
                };
                let rebuilt = assemble_manifest(
                    old.chunks
                        .iter()
                        .map(|c| (c.name.clone(), c.clone()))
                        .collect(),
                    inventory,
                    &[],
                    resolution,
                );
                if rebuilt.skipped != old.skipped {
                    problems.push("the set of skipped files changed".to_string());
                }
                if rebuilt.generator != old.generator {
                    problems.push(format!(
                        "written by {}, this is {}",
                        old.generator, rebuilt.generator
                    ));
                }
                if old_bytes != Some(manifest::to_json_bytes(&rebuilt).as_slice())
                    && problems.is_empty()
                {
                    problems.push(format!(
                        "{} differs from what a run would write",
                        state.show(MANIFEST_FILE)
                    ));
                }
            }
            let unregistered: BTreeSet<&str> = old
                .chunks
                .iter()
                .flat_map(|c| c.outputs.iter())
                .map(|o| o.extractor.as_str())
                .filter(|name| ExtractorId::from_name(name).is_none())
                .collect();
            for name in unregistered {
                problems.push(format!(
                    "outputs of the extractor `{name}`, which is no longer registered (a run removes them)"
                ));
            }
            let orphans = state.orphans(&expected_outputs(old), MANIFEST_FILE);
            if !orphans.is_empty() {
                problems.push(format!(
                    "{} output file(s) not in the manifest: {}",
                    orphans.len(),
                    orphans.join(", ")
                ));
            }
        }
    }

    let changed: BTreeMap<&str, &str> = staleness
        .added
        .iter()
        .map(|p| (p.as_str(), "added"))
        .chain(staleness.modified.iter().map(|p| (p.as_str(), "modified")))
        .chain(staleness.deleted.iter().map(|p| (p.as_str(), "deleted")))
        .collect();
    let mut lines = Vec::new();
    for (index, reasons) in &staleness.stale {
        let chunk = &chunks[*index];
        let what: Vec<String> = reasons
            .iter()
            .map(|(e, r)| format!("{e}: {}", r.describe()))
            .collect();
        lines.push(format!("stale chunk {} ({})", chunk.name, what.join("; ")));
        for &file in &chunk.files {
            let path = &inventory.files[file].path;
            if let Some(how) = changed.get(path.as_str()) {
                lines.push(format!("  {how:<8} {path}"));
            }
        }
        for path in &staleness.deleted {
            if old_chunk_has(old, &chunk.name, path) {
                lines.push(format!("  {:<8} {path}", "deleted"));
            }
        }
    }
    for (name, extractors) in &staleness.gone {
        let list: Vec<&str> = extractors.iter().map(|e| e.name()).collect();
        lines.push(format!(
            "stale chunk {name} ({}: its sources are gone)",
            list.join(", ")
        ));
        for path in &staleness.deleted {
            if old_chunk_has(old, name, path) {
                lines.push(format!("  {:<8} {path}", "deleted"));
            }
        }
    }
    let stale = !problems.is_empty() || !staleness.is_empty();
    for line in &lines {
        let _ = writeln!(out, "{line}");
    }
    for problem in &problems {
        let _ = writeln!(out, "stale: {problem}");
    }
    if stale {
        let _ = writeln!(
            out,
            "{} is stale: {} of {} chunk(s) to re-extract, {} file(s) added, {} modified, {} deleted; run `discover --incremental`",
            cfg.state_shown,
            staleness.stale.len() + staleness.gone.len(),
            chunks.len(),
            staleness.added.len(),
            staleness.modified.len(),
            staleness.deleted.len()
        );
        crate::exit::STALE_OR_PARTIAL
    } else {
        if !cfg.quiet {
            eprintln!(
                "{} is fresh: {} chunk(s), {} file(s)",
                cfg.state_shown,
                chunks.len(),
                inventory.files.len()
            );
        }
        crate::exit::OK
    }
}

fn old_chunk_has(old: Option<&Manifest>, chunk: &str, path: &str) -> bool {
    old.and_then(|m| m.chunks.iter().find(|c| c.name == chunk))
        .is_some_and(|c| c.files.iter().any(|f| f.path == path))
}

/// What a run did, for stderr or, with --json, for scripts on stdout.
struct Summary<'a> {
    cfg: &'a RunConfig,
    state: &'a StateDir,
    inventory: &'a Inventory,
    chunks: &'a [Chunk],
    manifest: &'a Manifest,
    tally: &'a Tally,
    report: &'a ExecReport,
    planned: usize,
    completed: usize,
    /// Tasks planned (retries not counted).
    tasks: usize,
    /// Files whose items were reused from the outputs (`tally.parsed` counts the others).
    reused: usize,
    /// Per extractor, the largest peak of the tasks that ran it.
    peaks: BTreeMap<ExtractorId, u64>,
    /// Whether a state existed before this run (else every output is new, none rewritten).
    had_state: bool,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    exit_code: i32,
    interrupted: Option<&'static str>,
    files: usize,
    chunks: usize,
    chunks_planned: usize,
    chunks_extracted: usize,
    chunks_removed: usize,
    mode: &'static str,
    workers: usize,
    tasks: usize,
    files_parsed: usize,
    files_reused: usize,
    extractors: Vec<JsonExtractor<'a>>,
    skipped: Vec<JsonSkipped<'a>>,
    failed: Vec<JsonSkipped<'a>>,
    syntax_error_files: usize,
    retries: usize,
    worker_peaks: Vec<u64>,
    largest_chunk_peaks: Vec<(String, u64)>,
}

#[derive(Serialize)]
struct JsonExtractor<'a> {
    name: &'a str,
    items: usize,
    chunks: usize,
    extracted: usize,
    created: usize,
    rewritten: usize,
    peak_rss: u64,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    path: &'a str,
    reason: String,
}

impl Summary<'_> {
    fn extractor_totals(&self, extractor: ExtractorId) -> (usize, usize) {
        self.manifest
            .chunks
            .iter()
            .flat_map(|c| c.outputs.iter())
            .filter(|o| o.extractor == extractor.name())
            .fold((0, 0), |(items, chunks), o| (items + o.items, chunks + 1))
    }

    fn count(map: &BTreeMap<ExtractorId, usize>, extractor: ExtractorId) -> usize {
        map.get(&extractor).copied().unwrap_or(0)
    }

    /// Workers that actually ran (never more than tasks), or 0 in process.
    fn workers(&self) -> usize {
        if self.cfg.jobs == 0 {
            0
        } else {
            self.report.workers.len()
        }
    }

    fn exit_code(&self) -> i32 {
        match self.report.interrupted {
            Some(sig) => crate::signals::exit_code(sig),
            None if self.tally.failures.is_empty() => crate::exit::OK,
            None => crate::exit::STALE_OR_PARTIAL,
        }
    }

    fn chunk_peaks(&self) -> Vec<(String, u64)> {
        let mut peaks: Vec<(String, u64)> = self
            .chunks
            .iter()
            .filter_map(|c| {
                c.files
                    .iter()
                    .filter_map(|&i| self.report.file_peaks.get(&(i as u32)))
                    .max()
                    .map(|&p| (c.name.clone(), p))
            })
            .collect();
        peaks.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        peaks.truncate(3);
        peaks
    }

    fn mode(&self) -> &'static str {
        match (self.cfg.mode, self.cfg.only_chunks.is_some()) {
            (_, true) => "only-chunks",
            (Mode::Incremental, _) => "incremental",
            _ => "full",
        }
    }

    fn print(&self) {
        let mb = |b: u64| human_size(b);
        eprintln!(
            "discover: {} source file(s) in {} chunk(s); {} of {} chunk(s) extracted ({} file(s) parsed, {} reused; {}), {} removed -> {}",
            self.inventory.files.len(),
            self.manifest.chunks.len(),
            self.completed,
            self.planned,
            self.tally.parsed,
            self.reused,
            if self.cfg.jobs == 0 {
                "in process".to_string()
            } else {
                format!("{} worker(s)", self.workers())
            },
            self.tally.removed,
            self.state.show(MANIFEST_FILE)
        );
        for &extractor in &self.cfg.selected {
            let (items, chunks) = self.extractor_totals(extractor);
            let created = Self::count(&self.tally.created, extractor);
            // A brand-new state has nothing to rewrite: its files are written.
            let written = if self.had_state {
                format!(
                    "{created} new, {} rewritten",
                    Self::count(&self.tally.rewritten, extractor)
                )
            } else {
                format!("{created} written")
            };
            let peak = match self.peaks.get(&extractor) {
                Some(&peak) => format!(", peak {}", mb(peak)),
                None => String::new(),
            };
            eprintln!(
                "  {:<10} {items:>7} items in {chunks} chunk(s) ({} extracted, {written}){peak}",
                extractor.name(),
                Self::count(&self.tally.extracted_chunks, extractor),
            );
        }
        let peaks = self.chunk_peaks();
        if !peaks.is_empty() {
            let list: Vec<String> = peaks
                .iter()
                .map(|(n, p)| format!("{n} {}", mb(*p)))
                .collect();
            eprintln!("  largest chunk peaks: {}", list.join(", "));
        }
        if self.cfg.jobs > 0 {
            let workers: Vec<String> = self
                .report
                .workers
                .iter()
                .enumerate()
                .map(|(i, w)| format!("#{i} {} task(s) peak {}", w.tasks, mb(w.peak)))
                .collect();
            eprintln!(
                "  workers: {}; {} task retries",
                workers.join(", "),
                self.report.retries
            );
        }
        self.print_problems("  ");
    }

    /// What `-q` still prints (with `lead` "" then, and each line a warning): syntax
    /// errors, files skipped or failed, and so the reason for a non-zero exit.
    fn print_problems(&self, lead: &str) {
        let lead = if lead.is_empty() { "warning: " } else { lead };
        let error_files: Vec<(&str, u32)> = self
            .manifest
            .chunks
            .iter()
            .flat_map(|c| c.files.iter())
            .filter(|f| f.syntax_errors > 0)
            .map(|f| (f.path.as_str(), f.syntax_errors))
            .collect();
        if !error_files.is_empty() {
            let total: u32 = error_files.iter().map(|(_, n)| n).sum();
            eprintln!(
                "{lead}syntax errors: {total} in {} file(s), extracted what parsed (first: {} with {})",
                error_files.len(),
                error_files[0].0,
                error_files[0].1
            );
        }
        if !self.inventory.skipped.is_empty() {
            eprintln!("{lead}skipped {} file(s):", self.inventory.skipped.len());
            for (skipped, detail) in self
                .inventory
                .skipped
                .iter()
                .zip(&self.inventory.skip_details)
            {
                eprintln!(
                    "    {} ({}: {detail})",
                    skipped.path,
                    skipped.reason.describe()
                );
            }
        }
        if !self.tally.failures.is_empty() {
            eprintln!(
                "{lead}failed and skipped {} file(s); the rest was written (exit 1):",
                self.tally.failures.len()
            );
            for (path, failure) in &self.tally.failures {
                eprintln!("    {path} ({})", failure.describe());
            }
        }
    }

    fn print_json(&self) {
        let exit_code = self.exit_code();
        let extractors = self
            .cfg
            .selected
            .iter()
            .map(|&e| {
                let (items, chunks) = self.extractor_totals(e);
                JsonExtractor {
                    name: e.name(),
                    items,
                    chunks,
                    extracted: Self::count(&self.tally.extracted_chunks, e),
                    created: Self::count(&self.tally.created, e),
                    rewritten: Self::count(&self.tally.rewritten, e),
                    peak_rss: self.peaks.get(&e).copied().unwrap_or(0),
                }
            })
            .collect();
        let summary = JsonSummary {
            exit_code,
            interrupted: self.report.interrupted.map(crate::unix::signal_name),
            files: self.inventory.files.len(),
            chunks: self.manifest.chunks.len(),
            chunks_planned: self.planned,
            chunks_extracted: self.completed,
            chunks_removed: self.tally.removed,
            mode: self.mode(),
            workers: self.workers(),
            tasks: self.tasks,
            files_parsed: self.tally.parsed,
            files_reused: self.reused,
            extractors,
            skipped: self
                .inventory
                .skipped
                .iter()
                .zip(&self.inventory.skip_details)
                .map(|(s, d)| JsonSkipped {
                    path: &s.path,
                    reason: format!("{}: {d}", s.reason.describe()),
                })
                .collect(),
            failed: self
                .tally
                .failures
                .iter()
                .map(|(p, f)| JsonSkipped {
                    path: p,
                    reason: f.describe(),
                })
                .collect(),
            syntax_error_files: self
                .manifest
                .chunks
                .iter()
                .flat_map(|c| c.files.iter())
                .filter(|f| f.syntax_errors > 0)
                .count(),
            retries: self.report.retries,
            worker_peaks: self.report.workers.iter().map(|w| w.peak).collect(),
            largest_chunk_peaks: self.chunk_peaks(),
        };
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&manifest::to_json_bytes(&summary));
    }
}
