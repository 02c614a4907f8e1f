//! The report stage: what a run did (text on stderr, or `--json` on stdout), and `--check`'s
//! verdict on the state.

use super::Tally;
use super::plan::{PendingChunk, Survey};
use super::write::{extractor_entries, skipped_list};
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
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let problems = problems(cfg, state, survey, writer);
    let changed: BTreeMap<&str, &str> = staleness
        .added
        .iter()
        .map(|p| (p.as_str(), "added"))
        .chain(staleness.modified.iter().map(|p| (p.as_str(), "modified")))
        .chain(staleness.deleted.iter().map(|p| (p.as_str(), "deleted")))
        .collect();
    let mut stale_chunks: Vec<StaleChunk<'_>> = Vec::new();
    for (index, reasons) in &staleness.stale {
        let chunk = &chunks[*index];
        let mut files: Vec<ChangedFile<'_>> = chunk
            .files
            .iter()
            .map(|&file| inventory.files[file].path.as_str())
            .filter_map(|path| changed.get(path).map(|&how| ChangedFile { how, path }))
            .collect();
        files.extend(
            staleness
                .deleted
                .iter()
                .filter(|path| old_chunk_has(old, &chunk.name, path))
                .map(|path| ChangedFile {
                    how: "deleted",
                    path,
                }),
        );
        stale_chunks.push(StaleChunk {
            chunk: &chunk.name,
            reasons: reasons
                .iter()
                .map(|(e, r)| StaleReason {
                    extractor: e.name(),
                    reason: r.describe(),
                })
                .collect(),
            files,
        });
    }
    for (name, extractors) in &staleness.gone {
        stale_chunks.push(StaleChunk {
            chunk: name,
            reasons: extractors
                .iter()
                .map(|e| StaleReason {
                    extractor: e.name(),
                    reason: "its sources are gone",
                })
                .collect(),
            files: staleness
                .deleted
                .iter()
                .filter(|path| old_chunk_has(old, name, path))
                .map(|path| ChangedFile {
                    how: "deleted",
                    path,
                })
                .collect(),
        });
    }
    let fresh = problems.is_empty() && staleness.is_empty();
    let exit = if fresh {
        ExitCode::Ok
    } else {
        ExitCode::StaleOrPartial
    };
    let refresh = cfg.command_hint("--incremental");
    if cfg.json {
        let verdict = CheckJson {
            exit_code: exit.code(),
            fresh,
            state: &cfg.state_shown,
            chunks: chunks.len(),
            files: inventory.files.len(),
            stale_chunks,
            problems: &problems,
            added: &staleness.added,
            modified: &staleness.modified,
            deleted: &staleness.deleted,
            refresh: (!fresh).then_some(refresh.as_str()),
        };
        let _ = out.write_all(&manifest::to_json_bytes(&verdict));
        return exit;
    }
    for chunk in &stale_chunks {
        let what: Vec<String> = chunk
            .reasons
            .iter()
            .map(|r| format!("{}: {}", r.extractor, r.reason))
            .collect();
        let _ = writeln!(out, "stale chunk {} ({})", chunk.chunk, what.join("; "));
        for file in &chunk.files {
            let _ = writeln!(out, "  {:<8} {}", file.how, file.path);
        }
    }
    for problem in &problems {
        let _ = writeln!(out, "stale: {problem}");
    }
    if fresh {
        if !cfg.quiet {
            eprintln!(
                "{} is fresh: {} chunk(s), {} file(s)",
                cfg.state_shown,
                chunks.len(),
                inventory.files.len()
            );
        }
    } else {
        let _ = writeln!(
            out,
            "{} is stale: {} of {} chunk(s) to re-extract, {} file(s) added, {} modified, {} deleted; run `{refresh}`",
            cfg.state_shown,
            staleness.stale.len() + staleness.gone.len(),
            chunks.len(),
            staleness.added.len(),
            staleness.modified.len(),
            staleness.deleted.len()
        );
    }
    exit
}

/// `  label a, b, c`, wrapped at 80 columns with continuation lines indented; nothing for
/// an empty list.
fn print_list(label: &str, items: impl Iterator<Item = String>) {
    let mut line = format!("  {label}");
    let mut any = false;
    for item in items {
        let sep = if any { "," } else { "" };
        if any && line.len() + sep.len() + 1 + item.len() > 80 {
            eprintln!("{line},");
            line = format!("    {item}");
        } else {
            line.push_str(sep);
            line.push(' ');
            line.push_str(&item);
        }
        any = true;
    }
    if any {
        eprintln!("{line}");
    }
}

/// `--check --json`: the verdict as data.
#[derive(Serialize)]
struct CheckJson<'a> {
    exit_code: i32,
    fresh: bool,
    state: &'a str,
    chunks: usize,
    files: usize,
    stale_chunks: Vec<StaleChunk<'a>>,
    /// What else makes the state stale (no manifest, a writer mid-run, orphans, ...).
    problems: &'a [String],
    added: &'a [String],
    modified: &'a [String],
    deleted: &'a [String],
    /// The command that brings the state up to date, when it is stale.
    refresh: Option<&'a str>,
}

#[derive(Serialize)]
struct StaleChunk<'a> {
    chunk: &'a str,
    reasons: Vec<StaleReason>,
    files: Vec<ChangedFile<'a>>,
}

#[derive(Serialize)]
struct StaleReason {
    extractor: &'static str,
    reason: &'static str,
}

#[derive(Serialize)]
struct ChangedFile<'a> {
    how: &'static str,
    path: &'a str,
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
    /// From the start of planning to the manifest's flush.
    pub(super) elapsed: std::time::Duration,
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
    warnings: &'a [String],
    elapsed_ms: u64,
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

    /// The text summary on stderr, within 80 columns, saying only what differs: one row per
    /// extractor that found something, the others named together, a memory peak per row
    /// only when the extractors' peaks differ.
    pub(super) fn print(&self) {
        let mb = |b: u64| human_size(b);
        eprintln!(
            "discover: {} source file(s) in {} chunk(s) -> {}",
            self.inventory.files.len(),
            self.manifest.chunks.len(),
            self.state.show(MANIFEST_FILE)
        );
        let place = if self.cfg.jobs == 0 {
            "in process".to_string()
        } else {
            format!("{} worker(s)", self.workers())
        };
        let removed = match self.tally.removed {
            0 => String::new(),
            n => format!("; {n} removed"),
        };
        eprintln!(
            "  {} of {} chunk(s) extracted, {place}: {} file(s) parsed, {} reused{removed}",
            self.completed, self.planned, self.tally.parsed, self.reused,
        );
        let peaks: BTreeSet<u64> = self.peaks.values().copied().collect();
        let per_row_peak = peaks.len() > 1;
        let width = self
            .cfg
            .selected
            .iter()
            .map(|e| e.name().len())
            .max()
            .unwrap_or(0);
        let mut found_nothing = Vec::new();
        for &extractor in &self.cfg.selected {
            let (items, chunks) = self.extractor_totals(extractor);
            let created = Self::count(&self.tally.created, extractor);
            let rewritten = Self::count(&self.tally.rewritten, extractor);
            if items == 0 && created == 0 && rewritten == 0 {
                found_nothing.push(extractor.name());
                continue;
            }
            // A brand-new state has nothing to rewrite: its files are written.
            let written = if self.had_state {
                format!("{created} new, {rewritten} rewritten")
            } else {
                format!("{created} written")
            };
            eprintln!(
                "  {:<width$} {items:>7} items in {chunks:>4} chunk(s): {} extracted, {written}",
                extractor.name(),
                Self::count(&self.tally.extracted_chunks, extractor),
            );
        }
        print_list(
            "nothing found by:",
            found_nothing.iter().map(|n| n.to_string()),
        );
        if per_row_peak {
            print_list(
                "peak memory by extractor:",
                self.peaks.iter().map(|(e, p)| format!("{e} {}", mb(*p))),
            );
        } else if let Some(&peak) = peaks.iter().next() {
            eprintln!("  peak memory of a task: {}", mb(peak));
        }
        let chunk_peaks = self.chunk_peaks();
        let distinct: BTreeSet<u64> = chunk_peaks.iter().map(|(_, p)| *p).collect();
        if distinct.len() > 1 {
            print_list(
                "largest chunk peaks:",
                chunk_peaks.iter().map(|(n, p)| format!("{n} {}", mb(*p))),
            );
        }
        if self.cfg.jobs > 0 {
            let retries = match self.report.retries {
                0 => String::new(),
                n => format!(", {n} task retries"),
            };
            print_list(
                &format!("workers (tasks, peak){retries}:"),
                self.report
                    .workers
                    .iter()
                    .enumerate()
                    .map(|(i, w)| format!("#{i} {} {}", w.tasks, mb(w.peak))),
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
                "{lead}syntax errors: {total} in {} file(s), extracted what parsed; the first:",
                error_files.len(),
            );
            eprintln!("    {} ({})", error_files[0].0, error_files[0].1);
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
            warnings: &self.tally.warnings,
            elapsed_ms: u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
        };
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&manifest::to_json_bytes(&summary));
    }
}

/// What makes the state stale besides stale outputs: a writer at work, a missing or
/// unusable manifest, a manifest a run would write differently, outputs of unregistered
/// extractors, orphaned output files.
pub(super) fn problems(
    cfg: &RunConfig,
    state: &StateDir,
    survey: &Survey,
    writer: Option<String>,
) -> Vec<String> {
    let (inventory, staleness) = (&survey.inventory, &survey.staleness);
    let old = survey.old.as_ref();
    let manifest_problem = survey.manifest_problem.clone();
    let current_resolution = survey.resolver.fingerprint();
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
                // The manifest a run would write holds the same chunks, with the global
                // parts computed again. It is the one on disk when those parts are the same,
                // the chunks are in order, and the bytes are the ones discover renders for
                // what they say (`canonical_manifest`, found while the sources were walked):
                // the same test as rendering the rebuilt manifest, without the copy.
                if skipped_list(inventory, &[]) != old.skipped {
                    problems.push("the set of skipped files changed".to_string());
                }
                let generator = manifest::generator();
                if generator != old.generator {
                    problems.push(format!("written by {}, this is {generator}", old.generator));
                }
                let same = old.format == manifest::FORMAT_VERSION
                    && old.resolution == resolution
                    && old.chunks.windows(2).all(|w| w[0].name < w[1].name)
                    && old.extractors == extractor_entries(old.chunks.iter());
                if !(same && survey.canonical_manifest) && problems.is_empty() {
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
            // The guide a run would write (a README.md that is not ours is never written).
            let guide = crate::guide::render(old);
            match state.read(crate::guide::GUIDE_FILE) {
                Ok(None) => problems.push(format!(
                    "{} is missing",
                    state.show(crate::guide::GUIDE_FILE)
                )),
                Ok(Some(bytes)) if crate::guide::is_ours(&bytes) && bytes != guide => {
                    problems.push(format!(
                        "{} differs from what a run would write",
                        state.show(crate::guide::GUIDE_FILE)
                    ));
                }
                _ => {}
            }
            let orphans = &survey.recorded_orphans;
            if !orphans.is_empty() {
                problems.push(format!(
                    "{} output file(s) not in the manifest: {}",
                    orphans.len(),
                    orphans.join(", ")
                ));
            }
        }
    }

    problems
}
