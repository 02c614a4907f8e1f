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
