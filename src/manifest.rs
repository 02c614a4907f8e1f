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
    // A manifest as discover writes it is read by following that layout, a third of the
    // time a JSON parser takes; anything else (edited by hand, say) by the parser.
    if let Some(manifest) = canonical::read(bytes)
        && manifest.format == FORMAT_VERSION
    {
        return Ok(manifest);
    }
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

/// Reads a manifest laid out exactly as `Manifest::to_json_bytes` lays it out, and nothing
/// else: any other byte where that layout has one gives `None`. What it accepts is a JSON
/// text whose value the generic parser reads the same, so the two agree wherever this one
/// answers.
mod canonical {
    use super::{ChunkEntry, ExtractorEntry, FileEntry, Manifest, OutputEntry};
    use crate::walk::{SkipReason, Skipped};
    use serde::Deserialize;
    use serde::de::IntoDeserializer;

    pub fn read(bytes: &[u8]) -> Option<Manifest> {
        let mut r = Reader { bytes, at: 0 };
        let format = r.u32_at(b"{\n \"format\":")?;
        let generator = r.string_at(b",\n \"generator\":")?;
        let resolution = r.string_at(b",\n \"resolution\":")?;
        r.lit(b",\n \"extractors\":")?;
        let extractors = r.list(1, |r| {
            let name = r.string_at(b"{\n   \"name\":")?;
            let version = r.u32_at(b",\n   \"version\":")?;
            let description = r.string_at(b",\n   \"description\":")?;
            r.lit(b"\n  }")?;
            Some(ExtractorEntry {
                name,
                version,
                description,
            })
        })?;
        r.lit(b",\n \"chunks\":")?;
        let chunks = r.list(1, |r| {
            let name = r.string_at(b"{\n   \"name\":")?;
            r.lit(b",\n   \"files\":")?;
            let files = r.list(3, |r| {
                let path = r.string_at(b"{\"path\":")?;
                let hash = r.string_at(b",\"hash\":")?;
                let syntax_errors = match r.lit(b",\"syntax_errors\":") {
                    Some(()) => u32::try_from(r.nonzero()?).ok()?,
                    None => 0,
                };
                r.lit(b"}")?;
                Some(FileEntry {
                    path,
                    hash,
                    syntax_errors,
                })
            })?;
            r.lit(b",\n   \"outputs\":")?;
            let outputs = r.list(3, |r| {
                let extractor = r.string_at(b"{\"extractor\":")?;
                let version = r.u32_at(b",\"version\":")?;
                let inputs = r.string_at(b",\"inputs\":")?;
                let mut output = OutputEntry {
                    extractor,
                    version,
                    inputs,
                    items: 0,
                    bytes: 0,
                    hash: String::new(),
                    surface: None,
                    links: None,
                };
                if r.lit(b",\"items\":").is_some() {
                    output.items = usize::try_from(r.nonzero()?).ok()?;
                }
                if r.lit(b",\"bytes\":").is_some() {
                    output.bytes = r.nonzero()?;
                }
                if r.lit(b",\"hash\":").is_some() {
                    output.hash = r.string().filter(|h| !h.is_empty())?;
                }
                if r.lit(b",\"surface\":").is_some() {
                    output.surface = Some(r.string()?);
                }
                if r.lit(b",\"links\":").is_some() {
                    output.links = Some(r.string()?);
                }
                r.lit(b"}")?;
                Some(output)
            })?;
            r.lit(b"\n  }")?;
            Some(ChunkEntry {
                name,
                files,
                outputs,
            })
        })?;
        r.lit(b",\n \"skipped\":")?;
        let skipped = r.list(1, |r| {
            let path = r.string_at(b"{\n   \"path\":")?;
            let reason = r.string_at(b",\n   \"reason\":")?;
            let reason = SkipReason::deserialize(
                IntoDeserializer::<serde::de::value::Error>::into_deserializer(reason.as_str()),
            )
            .ok()?;
            r.lit(b"\n  }")?;
            Some(Skipped { path, reason })
        })?;
        r.lit(b"\n}\n")?;
        (r.at == bytes.len()).then_some(Manifest {
            format,
            generator,
            resolution,
            extractors,
            chunks,
            skipped,
        })
    }

    struct Reader<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl Reader<'_> {
        /// Steps over `literal` when the text goes on with it.
        fn lit(&mut self, literal: &[u8]) -> Option<()> {
            self.bytes[self.at..].starts_with(literal).then(|| {
                self.at += literal.len();
            })
        }

        /// The string after `key`.
        fn string_at(&mut self, key: &[u8]) -> Option<String> {
            self.lit(key)?;
            self.string()
        }

        /// The number after `key`, as a `u32`.
        fn u32_at(&mut self, key: &[u8]) -> Option<u32> {
            self.lit(key)?;
            u32::try_from(self.number()?).ok()
        }

        /// A number as `write_u64` writes it: digits, no leading zero but in `0` itself.
        fn number(&mut self) -> Option<u64> {
            let digits = self.bytes[self.at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let text = &self.bytes[self.at..self.at + digits];
            if digits == 0 || (digits > 1 && text[0] == b'0') {
                return None;
            }
            self.at += digits;
            std::str::from_utf8(text).ok()?.parse().ok()
        }

        /// A number the writer leaves out when it is 0.
        fn nonzero(&mut self) -> Option<u64> {
            self.number().filter(|&n| n != 0)
        }

        /// A string as `render::write_str` writes it, unescaped.
        fn string(&mut self) -> Option<String> {
            self.lit(b"\"")?;
            let rest = &self.bytes[self.at..];
            // To the first byte that ends or escapes the string, eight bytes at a time.
            let mut end = 0;
            while let Some(word) = rest.get(end..end + 8) {
                if crate::render::any_escaped(u64::from_le_bytes(word.try_into().ok()?)) {
                    break;
                }
                end += 8;
            }
            while *rest.get(end)? >= 0x20 && !matches!(rest[end], b'"' | b'\\') {
                end += 1;
            }
            if rest[end] == b'"' {
                self.at += end + 1;
                return std::str::from_utf8(&rest[..end]).ok().map(str::to_string);
            }
            // Escapes: only those the writer makes.
            let mut out = Vec::with_capacity(end + 16);
            let mut i = 0;
            loop {
                let b = *rest.get(i)?;
                i += 1;
                match b {
                    b'"' => break,
                    0..0x20 => return None,
                    b'\\' => {
                        let escaped = *rest.get(i)?;
                        i += 1;
                        out.push(match escaped {
                            b'"' => b'"',
                            b'\\' => b'\\',
                            b'n' => b'\n',
                            b't' => b'\t',
                            b'r' => b'\r',
                            b'b' => 0x08,
                            b'f' => 0x0c,
                            b'u' => {
                                let hex = rest.get(i..i + 4)?;
                                i += 4;
                                // An ASCII character (the writer escapes only control
                                // characters so); any other is left to the parser.
                                u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16)
                                    .ok()
                                    .filter(|c| c.is_ascii() && hex.starts_with(b"00"))?
                            }
                            _ => return None,
                        });
                    }
                    _ => out.push(b),
                }
            }
            self.at += i;
            String::from_utf8(out).ok()
        }

        /// A list as `pretty_list` lays it out at `indent`.
        fn list<T>(
            &mut self,
            indent: usize,
            mut each: impl FnMut(&mut Self) -> Option<T>,
        ) -> Option<Vec<T>> {
            if self.lit(b"[]").is_some() {
                return Some(Vec::new());
            }
            self.lit(b"[")?;
            let mut items = Vec::new();
            loop {
                if items.is_empty() {
                    self.lit(b"\n")?;
                } else if self.lit(b",\n").is_none() {
                    break;
                }
                self.spaces(indent + 1)?;
                items.push(each(self)?);
            }
            self.lit(b"\n")?;
            self.spaces(indent)?;
            self.lit(b"]")?;
            Some(items)
        }

        fn spaces(&mut self, n: usize) -> Option<()> {
            let run = self.bytes.get(self.at..self.at + n)?;
            run.iter().all(|&b| b == b' ').then(|| {
                self.at += n;
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_rendering_is_the_generic_one() {
        let mut manifest = sample();
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
    fn the_layout_reader_reads_what_the_parser_reads() {
        let full = sample();
        let mut bare = sample();
        bare.chunks.clear();
        bare.extractors.clear();
        bare.skipped.clear();
        for manifest in [full, bare] {
            let bytes = manifest.to_json_bytes();
            assert_eq!(canonical::read(&bytes).as_ref(), Some(&manifest));
            assert_eq!(
                serde_json::from_slice::<Manifest>(&bytes).unwrap(),
                manifest
            );
            // Any other layout of the same value is the parser's, with the same result.
            let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            for other in [
                serde_json::to_vec(&value).unwrap(),
                serde_json::to_vec_pretty(&value).unwrap(),
                [&bytes[..], b" "].concat(),
                bytes.strip_suffix(b"\n").unwrap().to_vec(),
            ] {
                assert_eq!(canonical::read(&other), None);
                assert_eq!(parse(&other, "m").unwrap(), manifest);
            }
        }
        // Spellings the writer never uses, of the same values: left to the parser.
        let text = String::from_utf8(sample().to_json_bytes()).unwrap();
        for (from, to) in [
            ("\"version\":7", "\"version\":07"),
            ("\\u0001", "\\u00e9"),
            ("\\u0001", "\\u0001\\/"),
            ("\"items\":5", "\"items\":0"),
            ("\"reason\":\"too-large\"", "\"reason\":\"huge\""),
        ] {
            assert!(text.contains(from), "{from}");
            let changed = text.replacen(from, to, 1);
            assert_eq!(canonical::read(changed.as_bytes()), None, "{to}");
        }
        // Escapes the writer makes are read back.
        let changed = text.replacen("\\u0001", "\\u001f", 1);
        let read = canonical::read(changed.as_bytes()).unwrap();
        assert_eq!(read.chunks[0].files[1].path, "src/a\"b/\u{1f}y.ts");
        assert_eq!(read, serde_json::from_str::<Manifest>(&changed).unwrap());
    }

    fn sample() -> Manifest {
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
        Manifest {
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
        }
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
