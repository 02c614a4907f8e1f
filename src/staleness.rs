//! Staleness: which (chunk, extractor) outputs no longer match the sources, and why.

use crate::chunk::Chunk;
use crate::extract::ExtractorId;
use crate::extract::Items;
use crate::manifest::{ChunkEntry, Manifest};
use crate::resolve::Resolver;
use crate::state::StateDir;
use crate::walk::SourceFile;
use std::collections::{BTreeMap, BTreeSet};

/// Digest of a chunk's sources: each file's path and content hash.
pub fn chunk_digest<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut digest = crate::hash::Digest::new();
    for (path, hash) in files {
        digest.pair(path.as_bytes(), hash.as_bytes());
    }
    digest.finish()
}

/// Why an output is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    NewChunk,
    SourcesChanged,
    ResolutionChanged,
    LinksChanged,
    ExtractorVersion,
    NeverExtracted,
    OutputMissing,
    OutputModified,
    SourcesGone,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::NewChunk => "new chunk",
            Reason::SourcesChanged => "sources changed",
            Reason::ResolutionChanged => {
                "files added or removed elsewhere, or a tsconfig or package.json changed"
            }
            Reason::LinksChanged => {
                "linked against exports, mounts or a file set that changed since"
            }
            Reason::ExtractorVersion => "extractor version changed",
            Reason::NeverExtracted => "not extracted yet",
            Reason::OutputMissing => "output file missing",
            Reason::OutputModified => "output file differs from the manifest",
            Reason::SourcesGone => "its sources are gone",
        }
    }
}

/// The staleness of the state against the current sources, for the selected extractors.
#[derive(Debug, Default)]
pub struct Staleness {
    /// Plan chunk index → stale extractors with their reason.
    pub stale: BTreeMap<usize, Vec<(ExtractorId, Reason)>>,
    /// Manifest chunks that no longer exist, with the selected extractors they have outputs of.
    pub gone: Vec<(String, Vec<ExtractorId>)>,
    /// Changed source files relative to the manifest: added, modified, deleted.
    pub added: Vec<String>,
    pub modified: Vec<String>,
    pub deleted: Vec<String>,
}

impl Staleness {
    pub fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.gone.is_empty()
    }
}

pub struct Current<'a> {
    pub files: &'a [SourceFile],
    pub chunks: &'a [Chunk],
    pub digests: &'a [String],
    pub resolver: &'a Resolver,
}

pub fn staleness(
    current: &Current<'_>,
    old: Option<&Manifest>,
    selected: &[ExtractorId],
    state: &StateDir,
    metadata: &crate::state::Metadata,
    verify_outputs: bool,
) -> Staleness {
    let mut result = Staleness::default();
    let old_chunks: BTreeMap<&str, &ChunkEntry> = old
        .map(|m| m.chunks.iter().map(|c| (c.name.as_str(), c)).collect())
        .unwrap_or_default();
    // The output's path, built in one buffer (thousands of lookups a run).
    let mut rel = String::new();
    for (index, chunk) in current.chunks.iter().enumerate() {
        let digest = &current.digests[index];
        let mut reasons = Vec::new();
        let entry = old_chunks.get(chunk.name.as_str());
        for &extractor in selected {
            let reason = match entry {
                None => Some(Reason::NewChunk),
                Some(entry) => output_reason(
                    entry,
                    extractor,
                    digest,
                    state,
                    metadata,
                    verify_outputs,
                    &mut rel,
                ),
            };
            if let Some(reason) = reason {
                reasons.push((extractor, reason));
            }
        }
        if !reasons.is_empty() {
            result.stale.insert(index, reasons);
        }
    }

    // Import targets depend on files outside the chunk. When the file set or a tsconfig
    // changed since the last run, re-resolve the stored imports of every chunk that is
    // otherwise fresh and see whether any target moved.
    let recorded_resolution = old.map(|m| m.resolution.as_str());
    if selected.contains(&ExtractorId::IMPORTS)
        && recorded_resolution != Some(current.resolver.fingerprint())
    {
        for (index, chunk) in current.chunks.iter().enumerate() {
            let reasons = result.stale.entry(index).or_default();
            if reasons.iter().any(|(e, _)| *e == ExtractorId::IMPORTS) {
                continue;
            }
            if !imports_still_resolve(state, &chunk.name, current.resolver) {
                reasons.push((ExtractorId::IMPORTS, Reason::ResolutionChanged));
                reasons.sort();
            }
        }
        result.stale.retain(|_, reasons| !reasons.is_empty());
    }

    // Call targets and export ids depend on every chunk's export surface: an output
    // linked against other surfaces (or another file set) than the manifest records now.
    let linked: Vec<ExtractorId> = selected
        .iter()
        .copied()
        .filter(|e| {
            *e == ExtractorId::CALLS || *e == ExtractorId::EXPORTS || *e == ExtractorId::ROUTES
        })
        .collect();
    if !linked.is_empty()
        && let Some(old) = old
    {
        let links = links_digest_of(old, current.resolver.fingerprint());
        let routes = routes_digest_of(old, &links);
        for (index, chunk) in current.chunks.iter().enumerate() {
            let Some(entry) = old_chunks.get(chunk.name.as_str()) else {
                continue;
            };
            for &extractor in &linked {
                let digest = if extractor == ExtractorId::ROUTES {
                    &routes
                } else {
                    &links
                };
                let stale = entry
                    .outputs
                    .iter()
                    .any(|o| o.extractor == extractor.name() && o.links.as_deref() != Some(digest));
                let reasons = result.stale.entry(index).or_default();
                if stale && !reasons.iter().any(|(e, _)| *e == extractor) {
                    reasons.push((extractor, Reason::LinksChanged));
                    reasons.sort();
                }
            }
        }
        result.stale.retain(|_, reasons| !reasons.is_empty());
    }

    let names: BTreeSet<&str> = current.chunks.iter().map(|c| c.name.as_str()).collect();
    for (name, entry) in &old_chunks {
        if names.contains(name) {
            continue;
        }
        let with_outputs: Vec<ExtractorId> = selected
            .iter()
            .copied()
            .filter(|e| entry.outputs.iter().any(|o| o.extractor == e.name()))
            .collect();
        if !with_outputs.is_empty() {
            result.gone.push((name.to_string(), with_outputs));
        }
    }

    let old_files: foldhash::HashMap<&str, &str> = old_chunks
        .values()
        .flat_map(|c| c.files.iter().map(|f| (f.path.as_str(), f.hash.as_str())))
        .collect();
    let mut seen = foldhash::HashSet::default();
    for file in current.files {
        seen.insert(file.path.as_str());
        match old_files.get(file.path.as_str()) {
            None => result.added.push(file.path.clone()),
            Some(hash) if *hash != file.hash => result.modified.push(file.path.clone()),
            Some(_) => {}
        }
    }
    result.deleted = old_files
        .keys()
        .filter(|p| !seen.contains(*p))
        .map(|p| p.to_string())
        .collect();
    result.deleted.sort();
    result
}

/// The outputs whose metadata `staleness` needs (`metadata`): those the manifest records
/// for the selected extractors, since a chunk it does not record is stale without looking.
/// Known from the manifest alone, so they are looked up while the sources are walked.
pub fn recorded_outputs(old: &Manifest, selected: &[ExtractorId]) -> Vec<String> {
    old.chunks
        .iter()
        .flat_map(|c| {
            selected
                .iter()
                .map(|e| StateDir::output_rel(e.name(), &c.name))
        })
        .collect()
}

/// Whether the stored `imports/<chunk>.json` resolves the same way against the current file
/// set; an unreadable file counts as not.
fn imports_still_resolve(state: &StateDir, chunk: &str, resolver: &Resolver) -> bool {
    let rel = StateDir::output_rel(ExtractorId::IMPORTS.name(), chunk);
    let bytes = match state.read(&rel) {
        Ok(Some(bytes)) => bytes,
        // No imports in the chunk (an output file that should exist and does not is
        // reported as missing on its own).
        Ok(None) => return true,
        Err(_) => return false,
    };
    let Some(Items::Imports(stored)) = Items::from_output_json(ExtractorId::IMPORTS, &bytes) else {
        return false;
    };
    stored.into_iter().all(|mut import| {
        let before = std::mem::take(&mut import.targets);
        resolver.resolve(&mut import);
        import.targets == before
    })
}

fn output_reason(
    entry: &ChunkEntry,
    extractor: ExtractorId,
    digest: &str,
    state: &StateDir,
    metadata: &crate::state::Metadata,
    verify: bool,
    rel: &mut String,
) -> Option<Reason> {
    let Some(output) = entry
        .outputs
        .iter()
        .find(|o| o.extractor == extractor.name())
    else {
        return Some(Reason::NeverExtracted);
    };
    if output.version != extractor.version() {
        return Some(Reason::ExtractorVersion);
    }
    if output.inputs != digest {
        return Some(Reason::SourcesChanged);
    }
    rel.clear();
    rel.push_str(extractor.name());
    rel.push('/');
    rel.push_str(&entry.name);
    rel.push_str(".json");
    debug_assert_eq!(*rel, StateDir::output_rel(extractor.name(), &entry.name));
    let rel = rel.as_str();
    match metadata.get(rel) {
        // An output without items has no file.
        None if output.bytes == 0 => {}
        Some(_) if output.bytes == 0 => return Some(Reason::OutputModified),
        None => return Some(Reason::OutputMissing),
        Some(meta) if meta.len() != output.bytes => return Some(Reason::OutputModified),
        // Same size: an edit in place shows only in the content (hashed once per change of
        // the file's metadata, thanks to the per-machine cache).
        Some(meta)
            if verify && state.output_hash_of(rel, meta).as_deref() != Some(&output.hash) =>
        {
            return Some(Reason::OutputModified);
        }
        Some(_) => {}
    }
    None
}

/// The digest a manifest's mounts and schemas outputs give with a links digest: what every `routes`
/// output must have been linked against to be fresh.
pub fn routes_digest_of(manifest: &Manifest, links: &str) -> String {
    crate::compose::routes_digest(links, manifest.chunks.iter())
}

/// The links digest a manifest's surfaces give with the current resolution fingerprint:
/// what every `calls` and `exports` output must have been linked against to be fresh.
pub fn links_digest_of(manifest: &Manifest, resolution: &str) -> String {
    crate::link::links_digest(
        resolution,
        manifest.chunks.iter().filter_map(|c| {
            c.outputs
                .iter()
                .find(|o| o.extractor == ExtractorId::EXPORTS.name())
                .map(|o| (c.name.as_str(), o.surface.as_deref().unwrap_or("")))
        }),
    )
}
