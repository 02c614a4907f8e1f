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

impl Manifest {
    /// The manifest's bytes: those `manifest_json_bytes` renders for it, written directly.
    /// A one-file `--incremental` renders the whole manifest, and the generic renderer took
    /// a tenth of such a run on a large repository. A unit test holds the two to the same
    /// bytes.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let files: usize = self.chunks.iter().map(|c| c.files.len()).sum();
        let outputs: usize = self.chunks.iter().map(|c| c.outputs.len()).sum();
        let mut out = Vec::with_capacity(4096 + files * 96 + outputs * 200);
        out.extend_from_slice(b"{\n \"format\":");
        crate::render::write_u64(&mut out, u64::from(self.format));
        out.extend_from_slice(b",\n \"generator\":");
        crate::render::write_str(&mut out, &self.generator);
        out.extend_from_slice(b",\n \"resolution\":");
        crate::render::write_str(&mut out, &self.resolution);
        out.extend_from_slice(b",\n \"extractors\":");
        pretty_list(&mut out, 1, &self.extractors, |out, e| {
            out.extend_from_slice(b"{\n   \"name\":");
            crate::render::write_str(out, &e.name);
            out.extend_from_slice(b",\n   \"version\":");
            crate::render::write_u64(out, u64::from(e.version));
            out.extend_from_slice(b",\n   \"description\":");
            crate::render::write_str(out, &e.description);
            out.extend_from_slice(b"\n  }");
        });
        out.extend_from_slice(b",\n \"chunks\":");
        pretty_list(&mut out, 1, &self.chunks, |out, c| {
            out.extend_from_slice(b"{\n   \"name\":");
            crate::render::write_str(out, &c.name);
            out.extend_from_slice(b",\n   \"files\":");
            pretty_list(out, 3, &c.files, |out, f| {
                out.extend_from_slice(b"{\"path\":");
                crate::render::write_str(out, &f.path);
                out.extend_from_slice(b",\"hash\":");
                crate::render::write_str(out, &f.hash);
                if f.syntax_errors != 0 {
                    out.extend_from_slice(b",\"syntax_errors\":");
                    crate::render::write_u64(out, u64::from(f.syntax_errors));
                }
                out.push(b'}');
            });
            out.extend_from_slice(b",\n   \"outputs\":");
            pretty_list(out, 3, &c.outputs, |out, o| {
                out.extend_from_slice(b"{\"extractor\":");
                crate::render::write_str(out, &o.extractor);
                out.extend_from_slice(b",\"version\":");
                crate::render::write_u64(out, u64::from(o.version));
                out.extend_from_slice(b",\"inputs\":");
                crate::render::write_str(out, &o.inputs);
                if o.items != 0 {
                    out.extend_from_slice(b",\"items\":");
                    crate::render::write_u64(out, o.items as u64);
                }
                if o.bytes != 0 {
                    out.extend_from_slice(b",\"bytes\":");
                    crate::render::write_u64(out, o.bytes);
                }
                if !o.hash.is_empty() {
                    out.extend_from_slice(b",\"hash\":");
                    crate::render::write_str(out, &o.hash);
                }
                if let Some(surface) = &o.surface {
                    out.extend_from_slice(b",\"surface\":");
                    crate::render::write_str(out, surface);
                }
                if let Some(links) = &o.links {
                    out.extend_from_slice(b",\"links\":");
                    crate::render::write_str(out, links);
                }
                out.push(b'}');
            });
            out.extend_from_slice(b"\n  }");
        });
        out.extend_from_slice(b",\n \"skipped\":");
        pretty_list(&mut out, 1, &self.skipped, |out, s| {
            out.extend_from_slice(b"{\n   \"path\":");
            crate::render::write_str(out, &s.path);
            out.extend_from_slice(b",\n   \"reason\":");
            // A unit variant: serde's name for it, quoted.
            let _ = serde_json::to_writer(&mut *out, &s.reason);
            out.extend_from_slice(b"\n  }");
        });
        out.extend_from_slice(b"\n}\n");
        out
    }
}

/// A list opened on a line indented `indent` spaces: `[]` when empty, else one element a
/// line, one space deeper, and `]` on a line of its own.
fn pretty_list<T>(
    out: &mut Vec<u8>,
    indent: usize,
    items: &[T],
    mut each: impl FnMut(&mut Vec<u8>, &T),
) {
    if items.is_empty() {
        out.extend_from_slice(b"[]");
        return;
    }
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        out.resize(out.len() + indent + 1, b' ');
        each(out, item);
    }
    out.push(b'\n');
    out.resize(out.len() + indent, b' ');
    out.push(b']');
}

pub fn generator() -> String {
    format!("discover {}", env!("CARGO_PKG_VERSION"))
}

/// Whether these bytes are a manifest discover wrote (any version): a JSON object with a
/// numeric `format` and a `generator` naming discover. A manifest damaged into invalid JSON
/// (cut short, mangled) still counts when its text holds discover's generator line; a
/// foreign `manifest.json` (a browser extension's, say) never does.
pub fn is_ours(bytes: &[u8]) -> bool {
    // What discover writes says so in its first two lines; a run asks before every write,
    // and probing the whole of a large manifest cost as much as parsing it.
    if let Some(rest) = bytes.strip_prefix(b"{\n \"format\":") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        // At most 19 digits: a number the probe would also have taken (a `u64`).
        if (1..=19).contains(&digits)
            && rest[digits..].starts_with(b",\n \"generator\":\"discover ")
        {
            return true;
        }
    }
    match probe(bytes) {
        Ok(Some(probe)) => {
            probe.format.is_some_and(|f| f.is_u64())
                && probe
                    .generator
                    .as_ref()
                    .and_then(|g| g.as_str())
                    .is_some_and(|g| g.starts_with("discover "))
        }
        // Valid JSON, but not an object.
        Ok(None) => false,
        // Format 5 on, and before it.
        Err(_) => {
            memchr::memmem::find(bytes, b"\n \"generator\":\"discover ").is_some()
                || memchr::memmem::find(bytes, b"\n  \"generator\": \"discover ").is_some()
        }
    }
}

/// The two fields that say whose a manifest is and in which format, read without
/// building the rest: the manifest of a large repository is megabytes, and building it as
/// a JSON tree (twice, once to ask whose it is and once to read it) was a tenth of a
/// one-file `--incremental`.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    format: Option<serde_json::Value>,
    #[serde(default)]
    generator: Option<serde_json::Value>,
}

/// The probe of a JSON object; `Ok(None)` for JSON that is not an object (serde would take
/// an array for the struct's fields), `Err` for bytes that are not JSON.
fn probe(bytes: &[u8]) -> Result<Option<Probe>, serde_json::Error> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return serde_json::from_slice::<Probe>(bytes).map(Some);
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map(|_| None)
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
    let corrupt = |e: serde_json::Error| ManifestError::Corrupt {
        path: shown_path.to_string(),
        message: e.to_string(),
    };
    // The usual case in one pass; the probe only explains a manifest that does not parse.
    // (serde reads a struct from an array too, which the probe refuses.)
    let parsed = serde_json::from_slice::<Manifest>(bytes);
    let object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if object
        && let Ok(manifest) = &parsed
        && manifest.format == FORMAT_VERSION
    {
        return parsed.map_err(corrupt);
    }
    let format = probe(bytes)
        .map_err(corrupt)?
        .and_then(|p| p.format)
        .and_then(|f| f.as_u64());
    match format {
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
    parsed.map_err(corrupt)
}

pub use crate::render::{manifest_json_bytes, to_json_bytes};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_rendering_is_the_generic_one() {
        use crate::walk::{SkipReason, Skipped};
        let output = |extractor: &str, items: usize, surface: Option<&str>| OutputEntry {
            extractor: extractor.into(),
            version: 7,
            inputs: "abc".into(),
            items,
            bytes: items as u64 * 1000,
            hash: if items > 0 {
                "h".repeat(32)
            } else {
                String::new()
            },
            surface: surface.map(str::to_string),
            links: items.checked_sub(2).map(|_| "links".to_string()),
        };
        let mut manifest = Manifest {
            format: FORMAT_VERSION,
            generator: generator(),
            resolution: "r".into(),
            extractors: vec![
                ExtractorEntry {
                    name: "calls".into(),
                    version: 6,
                    description: "quotes \" and \\ and a tab\t and é and `code`".into(),
                },
                ExtractorEntry {
                    name: "symbols".into(),
                    version: 12_345_678,
                    description: String::new(),
                },
            ],
            chunks: vec![
                ChunkEntry {
                    name: "src/a\"b".into(),
                    files: vec![
                        FileEntry {
                            path: "src/a\"b/x.ts".into(),
                            hash: "0".repeat(32),
                            syntax_errors: 0,
                        },
                        FileEntry {
                            path: "src/a\"b/\u{1}y.ts".into(),
                            hash: "1".repeat(32),
                            syntax_errors: 3,
                        },
                    ],
                    outputs: vec![
                        output("calls", 5, None),
                        output("exports", 1, Some("s")),
                        output("hooks", 0, None),
                    ],
                },
                ChunkEntry {
                    name: "empty".into(),
                    files: Vec::new(),
                    outputs: Vec::new(),
                },
            ],
            skipped: vec![
                Skipped {
                    path: "big.js".into(),
                    reason: SkipReason::TooLarge,
                },
                Skipped {
                    path: "x\ny.py".into(),
                    reason: SkipReason::NotUtf8,
                },
            ],
        };
        assert_eq!(
            String::from_utf8(manifest.to_json_bytes()).unwrap(),
            String::from_utf8(manifest_json_bytes(&manifest)).unwrap()
        );
        manifest.chunks.clear();
        manifest.extractors.clear();
        manifest.skipped.clear();
        assert_eq!(manifest.to_json_bytes(), manifest_json_bytes(&manifest));
    }

    #[test]
    fn whose_manifest_is_read_from_two_fields() {
        let ours = br#"{"format":5,"generator":"discover 0.1.0","chunks":[]}"#;
        assert!(is_ours(ours));
        // Cut short: the generator line still says whose it is.
        assert!(is_ours(
            b"{\n \"format\":5,\n \"generator\":\"discover 0.1.0\",\n \"chunks\":[{"
        ));
        assert!(!is_ours(
            br#"{"format":5,"generator":"a browser extension"}"#
        ));
        assert!(!is_ours(br#"{"format":"5","generator":"discover 0.1.0"}"#));
        assert!(!is_ours(br#"{"manifest_version":3}"#));
        // JSON, but no object: never ours, whatever its strings say.
        assert!(!is_ours(br#"[5, "discover 0.1.0"]"#));
        assert!(!is_ours(b"not json"));
    }

    #[test]
    fn a_manifest_of_another_format_is_told_apart_from_a_corrupt_one() {
        let other = br#"{"format":99,"generator":"discover 9","chunks":"whatever"}"#;
        assert!(matches!(
            parse(other, "m"),
            Err(ManifestError::Version { found: 99, .. })
        ));
        let unformatted = br#"{"generator":"discover 0.1.0"}"#;
        assert!(matches!(
            parse(unformatted, "m"),
            Err(ManifestError::Corrupt { message, .. }) if message.contains("no `format`")
        ));
        assert!(matches!(
            parse(b"[1]", "m"),
            Err(ManifestError::Corrupt { .. })
        ));
        let wrong_shape = format!(r#"{{"format":{FORMAT_VERSION},"generator":"discover 0.1.0"}}"#);
        assert!(matches!(
            parse(wrong_shape.as_bytes(), "m"),
            Err(ManifestError::Corrupt { .. })
        ));
    }
}
