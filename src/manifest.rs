//! `.state/manifest.json`: what the state was generated from and what it holds.

use crate::walk::Skipped;
use serde::{Deserialize, Serialize};

/// Bumped whenever the layout of `.state/` or the manifest changes.
pub const FORMAT_VERSION: u32 = 5;
pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub generator: String,
    /// Fingerprint of what import resolution looked at (the set of source paths and the
    /// tsconfig files) when every imports output was last known to match it.
    pub resolution: String,
    pub extractors: Vec<ExtractorEntry>,
    pub chunks: Vec<ChunkEntry>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractorEntry {
    pub name: String,
    pub version: u32,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkEntry {
    pub name: String,
    pub files: Vec<FileEntry>,
    pub outputs: Vec<OutputEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub hash: String,
    /// Left out when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub syntax_errors: u32,
}

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

/// One `<extractor>/<chunk>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputEntry {
    pub extractor: String,
    pub version: u32,
    /// Digest of the inputs the output was extracted from (see `plan::chunk_digest`).
    pub inputs: String,
    /// `items`, `bytes` and `hash` are left out for an output with no items (and no file).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub items: usize,
    /// Size and blake3 of the output file as written: `--check` compares the size, and an
    /// incremental run reuses the file's items only when the hash matches.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
    /// `exports` only: the digest of the chunk's declared export surface
    /// (`link::surface_digest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<String>,
    /// `calls` and `exports`: the links digest (`link::links_digest`) the output's
    /// cross-file ids were resolved against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<String>,
}

pub fn generator() -> String {
    format!("discover {}", env!("CARGO_PKG_VERSION"))
}

/// Whether these bytes are a manifest discover wrote (any version): a JSON object with a
/// numeric `format` and a `generator` naming discover. A manifest damaged into invalid JSON
/// (cut short, mangled) still counts when its text holds discover's generator line; a
/// foreign `manifest.json` (a browser extension's, say) never does.
pub fn is_ours(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => {
            value.get("format").is_some_and(|f| f.is_u64())
                && value
                    .get("generator")
                    .and_then(|g| g.as_str())
                    .is_some_and(|g| g.starts_with("discover "))
        }
        // Format 5 on, and before it.
        Err(_) => {
            memchr::memmem::find(bytes, b"\n \"generator\":\"discover ").is_some()
                || memchr::memmem::find(bytes, b"\n  \"generator\": \"discover ").is_some()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("`{path}` is not a valid manifest ({message})")]
    Corrupt { path: String, message: String },
    #[error("`{path}` has format version {found}, this discover reads version {FORMAT_VERSION}")]
    Version { path: String, found: u64 },
}

/// Parses a manifest, refusing anything that is not exactly this format.
pub fn parse(bytes: &[u8], shown_path: &str) -> Result<Manifest, ManifestError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ManifestError::Corrupt {
            path: shown_path.to_string(),
            message: e.to_string(),
        })?;
    match value.get("format").and_then(|f| f.as_u64()) {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(found) => {
            return Err(ManifestError::Version {
                path: shown_path.to_string(),
                found,
            });
        }
        None => {
            return Err(ManifestError::Corrupt {
                path: shown_path.to_string(),
                message: "no `format` field".to_string(),
            });
        }
    }
    serde_json::from_value(value).map_err(|e| ManifestError::Corrupt {
        path: shown_path.to_string(),
        message: e.to_string(),
    })
}

pub use crate::render::{manifest_json_bytes, to_json_bytes};
