//! Content hashes: blake3, rendered as 32 hex digits (128 bits) to keep the manifest short.

pub fn short_hex(bytes: &[u8; 32]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(32);
    for b in &bytes[..16] {
        let _ = write!(out, "{b:02x}");
    }
    out
}

pub fn content_hash(bytes: &[u8]) -> String {
    short_hex(blake3::hash(bytes).as_bytes())
}

/// A digest of many short parts (paths, hashes, separators), gathered into one buffer and
/// hashed at once: blake3 takes a call per part at a hundred instructions or more, and a
/// contiguous buffer at about one per byte. The digest is that of the concatenated parts,
/// the same as feeding them to a `blake3::Hasher` one by one.
#[derive(Default)]
pub struct Digest {
    bytes: Vec<u8>,
}

impl Digest {
    pub fn new() -> Digest {
        Digest::default()
    }

    pub fn part(&mut self, bytes: &[u8]) -> &mut Digest {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// `key`, a NUL, `value` and a newline: one entry of a keyed list.
    pub fn pair(&mut self, key: &[u8], value: &[u8]) -> &mut Digest {
        self.part(key).part(b"\0").part(value).part(b"\n")
    }

    pub fn finish(&self) -> String {
        short_hex(blake3::hash(&self.bytes).as_bytes())
    }
}
