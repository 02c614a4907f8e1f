//! The one JSON rendering of every file in `.state/` (and of `--json` output): serde_json
//! driven through a formatter of our own, so that layout rules hold for every type without
//! per-field attributes.
//!
//! Two layouts:
//! - [`to_json_bytes`] (the manifest, `--json`): indented two spaces down to depth 4, every
//!   deeper object or list on one line (a manifest's file entry).
//! - [`chunk_json_bytes`] (an extractor's `<chunk>.json`, whose items are grouped under
//!   `files`, one key per source file): one line per item; inside an item, a list of
//!   objects or lists (call edges, type members, schema fields) puts each element on a
//!   line of its own, so a diff shows one line per changed item, edge or member. Items
//!   leave out their `file` (it is the key above them), fields that are `null` or `false`,
//!   and write an id into their own file as `#Name`: the readers of [`crate::extract::Items`]
//!   restore all three. This is what keeps the committed state within a small multiple of
//!   the source it describes.

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};
use std::io::{self, Write};

/// JSON with a trailing newline: pretty down to depth 4, compact below.
pub fn to_json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    render(value, Layout::Plain)
}

/// An output chunk: `value` serializes as `{extractor, version, chunk, files: {path: [items]}}`.
/// With `relative_ids`, the values of [`ID_KEYS`] into the item's own file are written
/// `#Name` (a repository's query extractors capture free text, and keep it whole).
pub fn chunk_json_bytes<T: Serialize>(value: &T, relative_ids: bool) -> Vec<u8> {
    render(value, Layout::Items { relative_ids })
}

/// The item fields that hold ids (directly or as a list): `id`, a call edge's `target`, a
/// route's `handlers`, `request` and `response`, a router's `router`.
pub const ID_KEYS: &[&[u8]] = &[
    b"\"id\"",
    b"\"target\"",
    b"\"router\"",
    b"\"handlers\"",
    b"\"request\"",
    b"\"response\"",
];

/// `#Name` as read back from a chunk file: the id `<file>#Name`. Anything else is kept.
pub fn absolute_id(value: &mut String, file: &str) {
    if value.starts_with('#') && value.len() > 1 {
        value.insert_str(0, file);
    }
}

fn render<T: Serialize>(value: &T, layout: Layout) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4096);
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut bytes, StateFormatter::new(layout));
    if value.serialize(&mut serializer).is_err() {
        bytes.clear();
    }
    bytes.push(b'\n');
    bytes
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Plain,
    Items { relative_ids: bool },
}

/// Containers opened at this depth or above are pretty (one entry per line).
const PLAIN_PRETTY_DEPTH: usize = 4;
/// Chunk files: the root, `files`, and each file's list; items (depth 4) are one line.
const ITEM_DEPTH: usize = 4;

struct Frame {
    /// One entry per line, closed on a line of its own.
    pretty: bool,
    /// A compact list: whether its elements are containers, each then on a line of its
    /// own (decided by the first element; a `Vec` holds one type).
    records: Option<bool>,
    /// Indent (in steps of two spaces) of the line the container opened on.
    line: usize,
    /// Entries written so far (left-out fields do not count).
    written: usize,
    /// A list under one of [`ID_KEYS`]: its string elements are ids.
    ids: bool,
}

impl Frame {
    fn multiline(&self) -> bool {
        self.pretty || self.records == Some(true)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// An array element whose separator is not written yet.
    Element,
    /// An object entry: its key is held in `key` until the value shows whether it is kept.
    Entry,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    None,
    Key,
    /// A string value held to see whether it is an id into the item's own file.
    Value,
    /// A left-out string value (an item's `file`).
    Drop,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Value {
    Null,
    False,
    Scalar,
    String,
    Container,
}

struct StateFormatter {
    layout: Layout,
    frames: Vec<Frame>,
    pending: Pending,
    capture: Capture,
    /// The pending key, quoted and escaped as written.
    key: Vec<u8>,
    /// A captured string value, quoted and escaped.
    value: Vec<u8>,
    /// `"<path>#`: the prefix of ids into the file whose items are being written.
    own_prefix: Vec<u8>,
    /// The value being started sits under one of [`ID_KEYS`] (directly or in its list).
    id_value: bool,
}

impl StateFormatter {
    fn new(layout: Layout) -> Self {
        StateFormatter {
            layout,
            frames: Vec::new(),
            pending: Pending::None,
            capture: Capture::None,
            key: Vec::new(),
            value: Vec::new(),
            own_prefix: Vec::new(),
            id_value: false,
        }
    }

    fn items(&self) -> bool {
        matches!(self.layout, Layout::Items { .. })
    }

    fn depth(&self) -> usize {
        self.frames.len()
    }

    /// Inside an item of a chunk file.
    fn in_item(&self) -> bool {
        self.items() && self.depth() >= ITEM_DEPTH
    }

    fn indent<W: ?Sized + Write>(writer: &mut W, steps: usize) -> io::Result<()> {
        for _ in 0..steps {
            writer.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Called before every value: writes the separator (and the key) it waits for, or
    /// decides that the value is left out. Returns whether the value is written.
    fn start_value<W: ?Sized + Write>(&mut self, writer: &mut W, value: Value) -> io::Result<bool> {
        let pending = std::mem::replace(&mut self.pending, Pending::None);
        self.id_value = false;
        let items = self.items();
        let Some(frame) = self.frames.last_mut() else {
            return Ok(true);
        };
        match pending {
            Pending::None => Ok(true),
            Pending::Element => {
                self.id_value = frame.ids;
                if frame.records.is_none() && !frame.pretty {
                    frame.records = Some(items && value == Value::Container);
                }
                let first = frame.written == 0;
                frame.written += 1;
                if frame.multiline() {
                    writer.write_all(if first { b"\n" } else { b",\n" })?;
                    Self::indent(writer, frame.line + 1)
                } else if first {
                    Ok(())
                } else {
                    writer.write_all(b", ")
                }
                .map(|()| true)
            }
            Pending::Entry => {
                let depth = self.frames.len();
                let in_item = self.items() && depth >= ITEM_DEPTH;
                let own_file =
                    depth == ITEM_DEPTH && value == Value::String && self.key == b"\"file\"";
                if in_item && (matches!(value, Value::Null | Value::False) || own_file) {
                    if own_file {
                        self.capture = Capture::Drop;
                    }
                    return Ok(false);
                }
                let frame = self.frames.last_mut().expect("an open object");
                let first = frame.written == 0;
                frame.written += 1;
                if frame.pretty {
                    writer.write_all(if first { b"\n" } else { b",\n" })?;
                    Self::indent(writer, frame.line + 1)?;
                } else if !first {
                    writer.write_all(b", ")?;
                }
                writer.write_all(&self.key)?;
                writer.write_all(b": ")?;
                self.id_value = ID_KEYS.contains(&self.key.as_slice());
                if self.items() && depth == 2 {
                    // A key of `files`: the path whose items follow.
                    self.own_prefix.clear();
                    self.own_prefix
                        .extend_from_slice(&self.key[..self.key.len() - 1]);
                    self.own_prefix.push(b'#');
                }
                Ok(true)
            }
        }
    }

    fn begin<W: ?Sized + Write>(&mut self, writer: &mut W, open: &[u8]) -> io::Result<()> {
        self.start_value(writer, Value::Container)?;
        let line = match self.frames.last() {
            None => 0,
            Some(parent) if parent.multiline() => parent.line + 1,
            Some(parent) => parent.line,
        };
        let depth = self.depth() + 1;
        let pretty = match self.layout {
            Layout::Plain => depth <= PLAIN_PRETTY_DEPTH,
            Layout::Items { .. } => depth < ITEM_DEPTH,
        };
        self.frames.push(Frame {
            pretty,
            records: None,
            line,
            written: 0,
            ids: self.id_value,
        });
        writer.write_all(open)
    }

    fn end<W: ?Sized + Write>(&mut self, writer: &mut W, close: &[u8]) -> io::Result<()> {
        let frame = self.frames.pop().expect("an open container");
        if frame.multiline() && frame.written > 0 {
            writer.write_all(b"\n")?;
            Self::indent(writer, frame.line)?;
        }
        writer.write_all(close)
    }

    /// A scalar: written unless left out.
    fn scalar<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        value: Value,
        write: impl FnOnce(&mut W) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.start_value(writer, value)? {
            write(writer)
        } else {
            Ok(())
        }
    }
}

impl Formatter for StateFormatter {
    fn write_null<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.scalar(writer, Value::Null, |w| w.write_all(b"null"))
    }

    fn write_bool<W: ?Sized + Write>(&mut self, writer: &mut W, value: bool) -> io::Result<()> {
        let kind = if value { Value::Scalar } else { Value::False };
        self.scalar(writer, kind, |w| CompactFormatter.write_bool(w, value))
    }

    fn write_i8<W: ?Sized + Write>(&mut self, writer: &mut W, value: i8) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_i8(w, value)
        })
    }

    fn write_i16<W: ?Sized + Write>(&mut self, writer: &mut W, value: i16) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_i16(w, value)
        })
    }

    fn write_i32<W: ?Sized + Write>(&mut self, writer: &mut W, value: i32) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_i32(w, value)
        })
    }

    fn write_i64<W: ?Sized + Write>(&mut self, writer: &mut W, value: i64) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_i64(w, value)
        })
    }

    fn write_i128<W: ?Sized + Write>(&mut self, writer: &mut W, value: i128) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_i128(w, value)
        })
    }

    fn write_u8<W: ?Sized + Write>(&mut self, writer: &mut W, value: u8) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_u8(w, value)
        })
    }

    fn write_u16<W: ?Sized + Write>(&mut self, writer: &mut W, value: u16) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_u16(w, value)
        })
    }

    fn write_u32<W: ?Sized + Write>(&mut self, writer: &mut W, value: u32) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_u32(w, value)
        })
    }

    fn write_u64<W: ?Sized + Write>(&mut self, writer: &mut W, value: u64) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_u64(w, value)
        })
    }

    fn write_u128<W: ?Sized + Write>(&mut self, writer: &mut W, value: u128) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_u128(w, value)
        })
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_f32(w, value)
        })
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| {
            CompactFormatter.write_f64(w, value)
        })
    }

    fn write_number_str<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        value: &str,
    ) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| w.write_all(value.as_bytes()))
    }

    fn write_raw_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        self.scalar(writer, Value::Scalar, |w| w.write_all(fragment.as_bytes()))
    }

    fn begin_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.capture == Capture::Key {
            self.key.push(b'"');
            return Ok(());
        }
        if !self.start_value(writer, Value::String)? {
            return Ok(());
        }
        let relative = matches!(self.layout, Layout::Items { relative_ids: true });
        if relative && self.id_value && self.in_item() && !self.own_prefix.is_empty() {
            self.capture = Capture::Value;
            self.value.clear();
            self.value.push(b'"');
            return Ok(());
        }
        writer.write_all(b"\"")
    }

    fn end_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        match self.capture {
            Capture::Key => {
                self.key.push(b'"');
                Ok(())
            }
            Capture::Drop => {
                self.capture = Capture::None;
                Ok(())
            }
            Capture::Value => {
                self.capture = Capture::None;
                self.value.push(b'"');
                let prefix = &self.own_prefix;
                // `"<path>#Name"` → `"#Name"`; the bare `"<path>#"` is no id and stays.
                if self.value.len() > prefix.len() + 1 && self.value.starts_with(prefix) {
                    writer.write_all(b"\"")?;
                    writer.write_all(&self.value[prefix.len() - 1..])
                } else {
                    writer.write_all(&self.value)
                }
            }
            Capture::None => writer.write_all(b"\""),
        }
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        match self.capture {
            Capture::Key => self.key.extend_from_slice(fragment.as_bytes()),
            Capture::Value => self.value.extend_from_slice(fragment.as_bytes()),
            Capture::Drop => {}
            Capture::None => return writer.write_all(fragment.as_bytes()),
        }
        Ok(())
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        match self.capture {
            Capture::Key => CompactFormatter.write_char_escape(&mut self.key, escape),
            Capture::Value => CompactFormatter.write_char_escape(&mut self.value, escape),
            Capture::Drop => Ok(()),
            Capture::None => CompactFormatter.write_char_escape(writer, escape),
        }
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        _writer: &mut W,
        _first: bool,
    ) -> io::Result<()> {
        self.pending = Pending::Element;
        Ok(())
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        _writer: &mut W,
        _first: bool,
    ) -> io::Result<()> {
        self.pending = Pending::Entry;
        self.capture = Capture::Key;
        self.key.clear();
        Ok(())
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.capture = Capture::None;
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_layout_is_pretty_to_depth_four() {
        let value = json!({"a": [{"b": [{"c": 1, "d": [1, 2]}]}], "e": null});
        let text = String::from_utf8(to_json_bytes(&value)).unwrap();
        assert_eq!(
            text,
            "{\n  \"a\": [\n    {\n      \"b\": [\n        {\"c\": 1, \"d\": [1, 2]}\n      ]\n    }\n  ],\n  \"e\": null\n}\n"
        );
    }

    #[test]
    fn chunk_layout_groups_items_and_leaves_out_defaults() {
        // `json!` keeps keys sorted.
        let value = json!({
            "extractor": "calls",
            "files": {
                "src/a\"b.ts": [
                    {"file": "src/a\"b.ts", "id": "src/a\"b.ts#f", "gone": null, "no": false,
                     "yes": true, "names": ["src/a\"b.ts#g"], "handlers": ["x", "src/a\"b.ts#g"], "edges": [
                        {"at": [1, 2], "target": "src/a\"b.ts#g", "other": "src/c.ts#g"},
                        {"at": [3, 4], "target": "src/a\"b.ts#"}
                    ], "empty": []}
                ]
            }
        });
        let text = String::from_utf8(chunk_json_bytes(&value, true)).unwrap();
        assert_eq!(
            text,
            concat!(
                "{\n  \"extractor\": \"calls\",\n  \"files\": {\n    \"src/a\\\"b.ts\": [\n",
                "      {\"edges\": [\n",
                "        {\"at\": [1, 2], \"other\": \"src/c.ts#g\", \"target\": \"#g\"},\n",
                "        {\"at\": [3, 4], \"target\": \"src/a\\\"b.ts#\"}\n",
                "      ], \"empty\": [], \"handlers\": [\"x\", \"#g\"], \"id\": \"#f\", ",
                "\"names\": [\"src/a\\\"b.ts#g\"], \"yes\": true}\n    ]\n  }\n}\n"
            )
        );
    }
}
