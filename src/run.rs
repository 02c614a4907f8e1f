//! One run of discover: walk, plan, extract what is needed, write `.state/` atomically, and
//! report. The run owns all state; extraction returns facts and never touches the disk.

use crate::chunk::{self, Chunk, ChunkError};
use crate::config::{ConfigError, Settings, human_size};
use crate::extract::{self, ExtractContext, ExtractorId, ExtractorSet, Item, QueryLoadError};
use crate::manifest::{
    self, ChunkEntry, ExtractorEntry, FileEntry, MANIFEST_FILE, Manifest, OutputEntry,
};
use crate::plan::{self, Current, Staleness};
use crate::resolve::Resolver;
use crate::state::{StateDir, StateError};
use crate::walk::{self, Inventory};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

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
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    #[error("bundled query failed to load (a bug in discover): {0}")]
    Query(#[from] QueryLoadError),
}

/// The JSON shape of one `<extractor>/<chunk>.json`.
#[derive(Serialize)]
struct OutputFile<'a> {
    extractor: &'a str,
    version: u32,
    chunk: &'a str,
    items: &'a [Item],
}

/// What a chunk's extraction produced.
struct ChunkResult {
    files: Vec<FileEntry>,
    items: Vec<(ExtractorId, Vec<Item>)>,
    failures: Vec<(String, String)>,
}

#[derive(Default)]
struct Tally {
    extracted_chunks: BTreeMap<ExtractorId, usize>,
    rewritten: BTreeMap<ExtractorId, usize>,
    removed: usize,
    failures: Vec<(String, String)>,
}

/// Runs discover and returns the exit code.
pub fn execute(cfg: &RunConfig) -> Result<i32, RunError> {
    let state = StateDir::new(cfg.state_dir.clone(), cfg.state_shown.clone());
    let leftovers = if cfg.mode == Mode::Check {
        0
    } else {
        state.check_ownership(MANIFEST_FILE)?;
        state.remove_leftover_temp_files()
    };
    let inventory = walk::walk(&cfg.root, &cfg.state_dir, &cfg.settings);
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
    let staleness = plan::staleness(&current, old.as_ref(), &cfg.selected, &state);

    if cfg.mode == Mode::Check {
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
    let set = ExtractorSet::new(&cfg.selected)?;
    let mut ctx = ExtractContext::default();
    let old_resolution = old.as_ref().map(|m| m.resolution.clone());
    let mut entries: BTreeMap<String, ChunkEntry> = old
        .map(|m| m.chunks.into_iter().map(|c| (c.name.clone(), c)).collect())
        .unwrap_or_default();
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
    for (index, extractors) in &work {
        let chunk = &chunks[*index];
        let result = extract_chunk(
            cfg, &inventory, chunk, &set, extractors, &mut ctx, &resolver,
        );
        let mut outputs: Vec<OutputEntry> = entries
            .remove(&chunk.name)
            .map(|e| e.outputs)
            .unwrap_or_default()
            .into_iter()
            .filter(|o| !extractors.iter().any(|e| e.name() == o.extractor))
            .collect();
        for (extractor, items) in &result.items {
            let bytes = manifest::to_json_bytes(&OutputFile {
                extractor: extractor.name(),
                version: extractor.version(),
                chunk: &chunk.name,
                items,
            });
            let rel = StateDir::output_rel(extractor.name(), &chunk.name);
            if bytes.len() as u64 > cfg.settings.chunk_warn_size {
                eprintln!(
                    "warning: {} is {} (over {}); split the chunk with `chunks.max_files` or `chunks.roots` in discover.toml",
                    state.show(&rel),
                    human_size(bytes.len() as u64),
                    human_size(cfg.settings.chunk_warn_size)
                );
            }
            if state.write_atomic(&rel, &bytes)? {
                *tally.rewritten.entry(*extractor).or_default() += 1;
            }
            *tally.extracted_chunks.entry(*extractor).or_default() += 1;
            outputs.push(OutputEntry {
                extractor: extractor.name().to_string(),
                version: extractor.version(),
                inputs: digests[*index].clone(),
                items: items.len(),
            });
        }
        outputs.sort_by(|a, b| a.extractor.cmp(&b.extractor));
        entries.insert(
            chunk.name.clone(),
            ChunkEntry {
                name: chunk.name.clone(),
                files: result.files,
                outputs,
            },
        );
        tally.failures.extend(result.failures);
    }

    // The resolution fingerprint may only move forward when every imports output now
    // matches it: all that were stale got re-extracted, all that were gone got removed.
    let imports = ExtractorId::Imports;
    let imports_caught_up = cfg.selected.contains(&imports)
        && staleness.stale.iter().all(|(index, reasons)| {
            !reasons.iter().any(|(e, _)| *e == imports)
                || work.iter().any(|(i, e)| i == index && e.contains(&imports))
        })
        && staleness.gone.iter().all(|(name, _)| wanted(name));
    let resolution = if imports_caught_up {
        resolver.fingerprint().to_string()
    } else {
        old_resolution.unwrap_or_default()
    };
    let new_manifest = assemble_manifest(entries, &inventory, resolution);
    state.write_atomic(MANIFEST_FILE, &manifest::to_json_bytes(&new_manifest))?;
    let keep = expected_outputs(&new_manifest);
    for orphan in state.orphans(&keep, MANIFEST_FILE) {
        state.remove(&orphan)?;
    }
    state.remove_empty_dirs();
    state.sync_root();

    if !cfg.quiet {
        print_summary(cfg, &state, &inventory, &new_manifest, &tally, work.len());
    }
    Ok(if tally.failures.is_empty() {
        crate::exit::OK
    } else {
        crate::exit::STALE_OR_PARTIAL
    })
}

fn extract_chunk(
    cfg: &RunConfig,
    inventory: &Inventory,
    chunk: &Chunk,
    set: &ExtractorSet,
    extractors: &[ExtractorId],
    ctx: &mut ExtractContext,
    resolver: &Resolver,
) -> ChunkResult {
    let mut items: Vec<(ExtractorId, Vec<Item>)> =
        extractors.iter().map(|&e| (e, Vec::new())).collect();
    let mut files = Vec::with_capacity(chunk.files.len());
    let mut failures = Vec::new();
    for &index in &chunk.files {
        let file = &inventory.files[index];
        let mut syntax_errors = 0;
        match std::fs::read(cfg.root.join(&file.path)) {
            Ok(bytes) => {
                let facts =
                    extract::extract_file(ctx, set, &file.path, file.lang, &bytes, extractors);
                syntax_errors = facts.syntax_errors;
                if let Some(failure) = facts.failure {
                    failures.push((file.path.clone(), failure));
                }
                for (extractor, found) in facts.items {
                    if let Some((_, all)) = items.iter_mut().find(|(e, _)| *e == extractor) {
                        all.extend(found);
                    }
                }
            }
            Err(e) => failures.push((file.path.clone(), format!("cannot read: {e}"))),
        }
        files.push(FileEntry {
            path: file.path.clone(),
            hash: file.hash.clone(),
            syntax_errors,
        });
    }
    for (_, list) in &mut items {
        for item in list.iter_mut() {
            if let Item::Import(import) = item {
                resolver.resolve(import);
            }
        }
        list.sort();
        list.dedup();
    }
    ChunkResult {
        files,
        items,
        failures,
    }
}

fn assemble_manifest(
    entries: BTreeMap<String, ChunkEntry>,
    inventory: &Inventory,
    resolution: String,
) -> Manifest {
    let present: BTreeSet<&str> = entries
        .values()
        .flat_map(|c| c.outputs.iter().map(|o| o.extractor.as_str()))
        .collect();
    let extractors = ExtractorId::ALL
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
        skipped: inventory.skipped.clone(),
    }
}

fn expected_outputs(manifest: &Manifest) -> BTreeSet<String> {
    manifest
        .chunks
        .iter()
        .flat_map(|c| {
            c.outputs
                .iter()
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
) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut problems: Vec<String> = Vec::new();
    match (old, &manifest_problem) {
        (_, Some(problem)) => problems.push(problem.clone()),
        (None, None) => problems.push(format!("{} does not exist", state.show(MANIFEST_FILE))),
        (Some(old), None) => {
            // Nothing stale: the manifest a run would write is the one on disk, unless the
            // global parts (skipped files, generator, extractor list) moved.
            if staleness.is_empty() {
                let resolution = if cfg.selected.contains(&ExtractorId::Imports) {
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

fn print_summary(
    cfg: &RunConfig,
    state: &StateDir,
    inventory: &Inventory,
    manifest: &Manifest,
    tally: &Tally,
    worked: usize,
) {
    let total_chunks = manifest.chunks.len();
    eprintln!(
        "discover: {} source file(s) in {} chunk(s); {} chunk(s) extracted, {} removed -> {}",
        inventory.files.len(),
        total_chunks,
        worked,
        tally.removed,
        state.show(MANIFEST_FILE)
    );
    for extractor in &cfg.selected {
        let (items, chunks) = manifest
            .chunks
            .iter()
            .flat_map(|c| c.outputs.iter())
            .filter(|o| o.extractor == extractor.name())
            .fold((0usize, 0usize), |(i, c), o| (i + o.items, c + 1));
        eprintln!(
            "  {:<8} {items:>7} items in {chunks} chunk(s) ({} extracted, {} rewritten)",
            extractor.name(),
            tally.extracted_chunks.get(extractor).copied().unwrap_or(0),
            tally.rewritten.get(extractor).copied().unwrap_or(0),
        );
    }
    let error_files: Vec<(&str, u32)> = manifest
        .chunks
        .iter()
        .flat_map(|c| c.files.iter())
        .filter(|f| f.syntax_errors > 0)
        .map(|f| (f.path.as_str(), f.syntax_errors))
        .collect();
    if !error_files.is_empty() {
        let total: u32 = error_files.iter().map(|(_, n)| n).sum();
        eprintln!(
            "  syntax errors: {total} in {} file(s), extracted what parsed (first: {} with {})",
            error_files.len(),
            error_files[0].0,
            error_files[0].1
        );
    }
    if !inventory.skipped.is_empty() {
        eprintln!("  skipped {} file(s):", inventory.skipped.len());
        for (skipped, detail) in inventory.skipped.iter().zip(&inventory.skip_details) {
            eprintln!(
                "    {} ({}: {detail})",
                skipped.path,
                skipped.reason.describe()
            );
        }
    }
    for (path, why) in &tally.failures {
        eprintln!("  failed: {path}: {why}");
    }
}
