//! The write stage: a chunk writer that owns the chunks as they finish (sorting and
//! rendering their items, writing the outputs whose bytes changed), then the manifest,
//! the orphans and the flush. Outputs first, manifest last, orphans after: every state in
//! between is one that `--check` describes truthfully and `--incremental` completes.

use super::plan::{PendingChunk, Survey};
use super::{RunError, Tally};
use crate::cli::RunConfig;
use crate::config::human_size;
use crate::extract::{ExtractorId, Items};
use crate::manifest::{
    self, ChunkEntry, ExtractorEntry, FileEntry, MANIFEST_FILE, Manifest, OutputEntry,
};
use crate::staleness;
use crate::state::{StateDir, Written};
use crate::task::{Failure, FileOutcome};
use crate::walk::{Inventory, Skipped};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Owns the manifest's chunk entries while chunks finish, and counts what it wrote.
pub struct ChunkWriter<'a> {
    cfg: &'a RunConfig,
    state: &'a StateDir,
    entries: BTreeMap<String, ChunkEntry>,
    pub tally: Tally,
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
            list.sort();
            let extractor = list.extractor();
            let rel = StateDir::output_rel(extractor.name(), &chunk.name);
            *self.tally.extracted_chunks.entry(extractor).or_default() += 1;
            // An extractor that found nothing in a chunk writes no file: most chunks have no
            // routes, schemas or tests, and an empty file per chunk and extractor would be most
            // of `.state/`. The manifest records the output with `bytes: 0`.
            if list.is_empty() {
                if self.state.size(&rel).is_some() {
                    self.state.remove(&rel)?;
                    *self.tally.rewritten.entry(extractor).or_default() += 1;
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
                ExtractorId::CALLS => self.cfg.settings.chunk_warn_size.saturating_mul(4),
                _ => self.cfg.settings.chunk_warn_size,
            };
            if bytes.len() as u64 > warn_size {
                // Printed once the executor is done: a line written under the progress bar
                // would leave a frozen copy of it.
                self.tally.warnings.push(format!(
                    "{} is {} (over {}); split the chunk with `chunks.max_files` or `chunks.roots` in discover.toml",
                    self.state.show(&rel),
                    human_size(bytes.len() as u64),
                    human_size(warn_size)
                ));
            }
            let hash = crate::hash::content_hash(&bytes);
            match self.state.write_output(&rel, &bytes, &hash)? {
                Written::Unchanged => {}
                Written::Created => *self.tally.created.entry(extractor).or_default() += 1,
                Written::Replaced => *self.tally.rewritten.entry(extractor).or_default() += 1,
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
            tally,
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
        let files = &survey.inventory.files;
        let file_chunk: HashMap<&str, &str> = chunks
            .iter()
            .flat_map(|c| {
                c.files
                    .iter()
                    .map(move |&i| (files[i].path.as_str(), c.name.as_str()))
            })
            .collect();
        let retried: BTreeSet<&str> = pending
            .iter()
            .map(|p| chunks[p.chunk].name.as_str())
            .collect();
        let mut failures = tally.failures.clone();
        let old_failures = old
            .into_iter()
            .flat_map(|m| m.skipped.iter())
            .filter(|s| s.reason.is_extraction_failure());
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
        Ok((new_manifest, tally))
    }
}

pub(super) fn assemble_manifest(
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
