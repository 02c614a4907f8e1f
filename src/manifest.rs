//! `.state/manifest.json`: what the state was generated from and what it holds.

use crate::walk::Skipped;
use serde::{Deserialize, Serialize};

/// Bumped whenever the layout of `.state/` or the manifest changes.
pub const FORMAT_VERSION: u32 = 3;
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
    pub syntax_errors: u32,
}

/// One `<extractor>/<chunk>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputEntry {
    pub extractor: String,
    pub version: u32,
    /// Digest of the inputs the output was extracted from (see `plan::chunk_digest`).
    pub inputs: String,
    pub items: usize,
    /// Size and blake3 of the output file as written: `--check` compares the size, and an
    /// incremental run reuses the file's items only when the hash matches.
    pub bytes: u64,
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
        Err(_) => memchr::memmem::find(bytes, b"\n  \"generator\": \"discover ").is_some(),
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

/// JSON with a trailing newline, the one rendering of every file in `.state/`: indented
/// two spaces down to the fields of each item, and every deeper object or list (a call
/// edge, a type member, a manifest's file entry) on one line, so that a diff shows one
/// changed line per changed edge or member and the files stay a fraction of the size.
pub fn to_json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4096);
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut bytes, StateFormatter::default());
    if value.serialize(&mut serializer).is_err() {
        bytes.clear();
    }
    bytes.push(b'\n');
    bytes
}

/// Containers opened deeper than this are written on one line.
const PRETTY_DEPTH: usize = 4;

/// serde_json's pretty layout down to `PRETTY_DEPTH`, compact below it.
#[derive(Default)]
struct StateFormatter {
    depth: usize,
    has_value: bool,
}

impl StateFormatter {
    fn pretty(&self) -> bool {
        self.depth <= PRETTY_DEPTH
    }

    fn indent<W: ?Sized + std::io::Write>(writer: &mut W, depth: usize) -> std::io::Result<()> {
        for _ in 0..depth {
            writer.write_all(b"  ")?;
        }
        Ok(())
    }

    fn begin<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        open: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(open)
    }

    fn end<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        close: &[u8],
    ) -> std::io::Result<()> {
        let pretty = self.pretty();
        self.depth -= 1;
        if pretty && self.has_value {
            writer.write_all(b"\n")?;
            Self::indent(writer, self.depth)?;
        }
        writer.write_all(close)
    }

    fn begin_entry<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if self.pretty() {
            writer.write_all(if first { b"\n" } else { b",\n" })?;
            Self::indent(writer, self.depth)
        } else if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }
}

impl serde_json::ser::Formatter for StateFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.begin(writer, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.end(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.begin_entry(writer, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        _writer: &mut W,
    ) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.begin(writer, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.end(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.begin_entry(writer, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        _writer: &mut W,
    ) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}
