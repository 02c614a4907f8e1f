//! The report stage: what a run did (text on stderr, or `--json` on stdout), and `--check`'s
//! verdict on the state.

use super::Tally;
use super::plan::{PendingChunk, Survey};
use super::write::{assemble_manifest, expected_outputs};
use crate::chunk::Chunk;
use crate::cli::{Mode, RunConfig};
use crate::config::human_size;
use crate::exit::ExitCode;
use crate::extract::ExtractorId;
use crate::manifest::{self, MANIFEST_FILE, Manifest};
use crate::orchestrator::ExecReport;
use crate::state::StateDir;
use crate::walk::Inventory;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// Per extractor, the largest peak of the tasks that ran it (a task runs the extractors of
/// its chunks; files reused from stored outputs ran in no task).
pub(super) fn extractor_peaks(
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

/// `--check`'s verdict: the stale chunks with the files changed since, and anything else
/// that would make a run change a byte of the state.
pub(super) fn check(
    cfg: &RunConfig,
    state: &StateDir,
    survey: &Survey,
    writer: Option<String>,
) -> ExitCode {
    let (inventory, chunks, staleness) = (&survey.inventory, &survey.chunks, &survey.staleness);
    let old = survey.old.as_ref();
    let old_bytes = survey.old_bytes.as_deref();
    let manifest_problem = survey.manifest_problem.clone();
    let current_resolution = survey.resolver.fingerprint();
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
        ExitCode::StaleOrPartial
    } else {
        if !cfg.quiet {
            eprintln!(
                "{} is fresh: {} chunk(s), {} file(s)",
                cfg.state_shown,
                chunks.len(),
                inventory.files.len()
            );
        }
        ExitCode::Ok
    }
}

fn old_chunk_has(old: Option<&Manifest>, chunk: &str, path: &str) -> bool {
    old.and_then(|m| m.chunks.iter().find(|c| c.name == chunk))
        .is_some_and(|c| c.files.iter().any(|f| f.path == path))
}

/// What a run did, for stderr or, with --json, for scripts on stdout.
pub(super) struct Summary<'a> {
    pub(super) cfg: &'a RunConfig,
    pub(super) state: &'a StateDir,
    pub(super) inventory: &'a Inventory,
    pub(super) chunks: &'a [Chunk],
    pub(super) manifest: &'a Manifest,
    pub(super) tally: &'a Tally,
    pub(super) report: &'a ExecReport,
    pub(super) planned: usize,
    pub(super) completed: usize,
    /// Tasks planned (retries not counted).
    pub(super) tasks: usize,
    /// Files whose items were reused from the outputs (`tally.parsed` counts the others).
    pub(super) reused: usize,
    /// Per extractor, the largest peak of the tasks that ran it.
    pub(super) peaks: BTreeMap<ExtractorId, u64>,
    /// Whether a state existed before this run (else every output is new, none rewritten).
    pub(super) had_state: bool,
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

    pub(super) fn exit_code(&self) -> ExitCode {
        match self.report.interrupted {
            Some(sig) => ExitCode::of_signal(sig),
            None if self.tally.failures.is_empty() => ExitCode::Ok,
            None => ExitCode::StaleOrPartial,
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

    pub(super) fn print(&self) {
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
    pub(super) fn print_problems(&self, lead: &str) {
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

    pub(super) fn print_json(&self) {
        let exit_code = self.exit_code().code();
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
