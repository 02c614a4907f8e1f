//! The one JSON rendering of every file in `.state/` (and of `--json` output): serde_json
//! driven through a formatter of our own, so that layout rules hold for every type without
//! per-field attributes.
//!
//! Three layouts:
//! - [`to_json_bytes`] (`--json`): indented two spaces down to depth 4, every deeper object
//!   or list on one line; [`manifest_json_bytes`] the same, compact (no space after `,` and
//!   `:`) and indented one space a step (a manifest's file entry is one line).
//! - [`chunk_json_bytes`] (an extractor's `<chunk>.json`, whose items are grouped under
//!   `files`, one key per source file): compact, one unindented line per item; inside an
//!   item, a list of objects or lists (call edges, type members, schema fields) puts each
//!   element on a line of its own, so a diff shows one line per changed item, edge or
//!   member. Items leave out their `file` (it is the key above them), fields that are
//!   `null`, `false` or empty lists, a `name` their id gives (`Names`),
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

/// `.state/manifest.json`: pretty down to depth 4 as [`to_json_bytes`], but compact (no
/// space after `,` and `:`) and indented one space a step, as chunk files are.
pub fn manifest_json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    render(value, Layout::Manifest)
}

/// An output chunk: `value` serializes as `{extractor, version, chunk, files: {path: [items]}}`.
/// With `relative_ids`, the values of [`ID_KEYS`] into the item's own file are written
/// `#Name` (a repository's query extractors capture free text, and keep it whole). `names`
/// says which items' `name` the reader derives from their `id` when it is left out.
pub fn chunk_json_bytes<T: Serialize>(value: &T, relative_ids: bool, names: Names) -> Vec<u8> {
    render(
        value,
        Layout::Items {
            relative_ids,
            names,
        },
    )
}

/// How an item's `name` follows from its `id`, when it does: then the name is left out
/// and [`name_from_qualified`] gives it back.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Names {
    /// Always written.
    Kept,
    /// The qualified name: `path#Cart.add~2` names `Cart.add` (a call-graph node).
    Qualified,
    /// The simple name: `path#Cart.add~2` names `add` (a symbol, whose `parent` says `Cart`).
    Simple,
    /// An export's `local` (not its `name`, the name it is exported under) is the qualified
    /// name of its `id` into the file.
    Local,
}

impl Names {
    /// The key whose value the id gives.
    fn key(self) -> &'static [u8] {
        match self {
            Names::Local => b"\"local\"",
            _ => b"\"name\"",
        }
    }
}

/// The `name` of an item whose id is `<file>#<qualified>` (see [`Names`]): the qualified
/// name without the `~N` of redefinitions, whole or its last part.
pub fn name_from_qualified(qualified: &str, names: Names) -> String {
    match names {
        Names::Simple => unsuffixed(qualified.rsplit('.').next().unwrap_or(qualified)).to_string(),
        Names::Qualified | Names::Local | Names::Kept => {
            let mut out = String::with_capacity(qualified.len());
            for (i, part) in qualified.split('.').enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(unsuffixed(part));
            }
            out
        }
    }
}

/// The `parent` of an item with [`Names::Simple`] whose id is `<file>#<qualified>`: the
/// qualified name without its last part (and without `~N`s), none for a top-level name.
pub fn parent_from_qualified(qualified: &str) -> Option<String> {
    let (parent, _) = qualified.rsplit_once('.')?;
    Some(name_from_qualified(parent, Names::Qualified))
}

/// `name~3` → `name`; anything else is kept.
fn unsuffixed(part: &str) -> &str {
    match part.rsplit_once('~') {
        Some((name, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => part,
    }
}

/// What an item read back from a chunk file holds in a `name` that was left out: no name
/// written in source text is this, so a name written empty stays empty.
pub const NAME_LEFT_OUT: &str = "\u{0}";

/// The serde default of a `name` that may be left out.
pub fn name_left_out() -> String {
    NAME_LEFT_OUT.to_string()
}

/// The serde default of an optional field that may be left out for what the id gives (a
/// symbol's `parent`, an export's `local`): an explicit `null` is none.
pub fn left_out() -> Option<String> {
    Some(NAME_LEFT_OUT.to_string())
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

/// `value` as a JSON string, quoted and escaped exactly as serde_json writes it (`\"`, `\\`,
/// the short escapes of `\b \t \n \f \r`, `\u00xx` for other control characters, nothing
/// else): for the writers that render a chunk directly (`calls::render_chunk`), whose bytes
/// must be the generic renderer's.
pub fn write_str(out: &mut Vec<u8>, value: &str) {
    out.reserve(value.len() + 2);
    out.push(b'"');
    let bytes = value.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs escaping (paths, ids and hashes hardly
        // ever do): a byte-by-byte test was most of rendering a manifest.
        if let Some(word) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            if !any_escaped(word) {
                i += 8;
                continue;
            }
        } else {
            // The last few bytes, padded with a letter: most strings are short names, and
            // their tails were most of the byte-at-a-time tests.
            let mut tail = [b'a'; 8];
            tail[..bytes.len() - i].copy_from_slice(&bytes[i..]);
            if !any_escaped(u64::from_le_bytes(tail)) {
                break;
            }
        }
        let b = bytes[i];
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\t' => b"\\t",
            b'\r' => b"\\r",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..0x20 => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(escape);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether any of the eight bytes of `word` is a control character, `"` or `\\`. The
/// zero-byte tests are exact as a yes or no: a borrow can only mark a byte above one that
/// matched.
pub(crate) fn any_escaped(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_in = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    (control | zero_in(word ^ (ONES * u64::from(b'"'))) | zero_in(word ^ (ONES * u64::from(b'\\'))))
        != 0
}

/// An id into `file` itself as the section of `file` writes it, `#Name` (`None` for any
/// other id; the bare `file#` is no id and stays whole).
pub fn own_id<'a>(id: &'a str, file: &str) -> Option<&'a str> {
    id.strip_prefix(file)
        .filter(|rest| rest.len() > 1 && rest.starts_with('#'))
}

/// The opening of a chunk file written directly (`direct_chunk`), up to `chunk`'s value.
pub fn chunk_head(out: &mut Vec<u8>, extractor: &str, version: u32, chunk: &str) {
    out.extend_from_slice(b"{\n\"extractor\":");
    write_str(out, extractor);
    out.extend_from_slice(b",\n\"version\":");
    write_u32(out, version);
    out.extend_from_slice(b",\n\"chunk\":");
    write_str(out, chunk);
}

/// A chunk file's `files` and its end, after `chunk_head` (and whatever follows it): each
/// file's items, one line each, as `line` writes them given the file. The layout is the one
/// [`chunk_json_bytes`] gives; the item types whose chunks are most of a state write their
/// lines themselves (a call graph node, a symbol), which costs a fraction of driving serde
/// through the generic formatter, and debug builds hold the two equal on every write.
pub fn chunk_files<T>(
    out: &mut Vec<u8>,
    files: &[(&str, Vec<T>)],
    mut line: impl FnMut(&mut Vec<u8>, &T, &str),
) {
    out.extend_from_slice(b",\n\"files\":{");
    for (i, (file, items)) in files.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        write_str(out, file);
        out.extend_from_slice(b":[");
        for (j, item) in items.iter().enumerate() {
            out.extend_from_slice(if j == 0 { b"\n" } else { b",\n" });
            line(out, item, file);
        }
        out.extend_from_slice(if items.is_empty() { b"]" } else { b"\n]" });
    }
    out.extend_from_slice(if files.is_empty() { b"}" } else { b"\n}" });
    out.extend_from_slice(b"\n}\n");
}

/// The start of an item's line in a chunk file: `{"line":L,"column":C` (every item kind
/// written directly opens with its position).
pub fn item_head(out: &mut Vec<u8>, line: u32, column: u32) {
    out.extend_from_slice(b"{\"line\":");
    write_u32(out, line);
    out.extend_from_slice(b",\"column\":");
    write_u32(out, column);
}

/// An item's `id` as the generic rendering writes it: `,"id":` and the id, `#Name` when it
/// is into `file`. Returns the qualified name of an id into `file`, which may give the
/// item's `name` and `parent` ([`write_name`], [`write_parent`]).
pub fn write_id<'a>(out: &mut Vec<u8>, id: &'a str, file: &str) -> Option<&'a str> {
    out.extend_from_slice(b",\"id\":");
    let own = own_id(id, file);
    write_str(out, own.unwrap_or(id));
    own.map(|own| &own[1..])
}

/// An item's `name`: `,"name":…`, left out when `qualified` (its id's, [`write_id`]) gives
/// it as `names` reads it.
pub fn write_name(out: &mut Vec<u8>, qualified: Option<&str>, names: Names, name: &str) {
    if qualified.is_none_or(|q| name_from_qualified(q, names) != name) {
        out.extend_from_slice(b",\"name\":");
        write_str(out, name);
    }
}

/// An item's `parent` with [`Names::Simple`]: left out when `qualified` (its id's) gives
/// it, written `null` when the id gives one the item lacks.
pub fn write_parent(out: &mut Vec<u8>, qualified: Option<&str>, parent: Option<&str>) {
    let given = qualified.and_then(parent_from_qualified);
    write_unless_given(out, b"\"parent\"", given.as_deref(), parent);
}

/// An item's optional field that its id may give (`given`): left out when it is what the
/// id gives, written `null` when the id gives a value the item lacks. `key` comes quoted.
pub fn write_unless_given(out: &mut Vec<u8>, key: &[u8], given: Option<&str>, value: Option<&str>) {
    match value {
        None if given.is_none() => return,
        Some(value) if given == Some(value) => return,
        _ => {}
    }
    out.push(b',');
    out.extend_from_slice(key);
    out.push(b':');
    match value {
        None => out.extend_from_slice(b"null"),
        Some(value) => write_str(out, value),
    }
}

/// An item's field holding a list of strings, as the generic rendering writes it: `,"key":[…]`,
/// nothing for an empty list. `key` comes quoted: `b"\"hooks\""`.
pub fn write_str_list(out: &mut Vec<u8>, key: &[u8], values: &[String]) {
    let Some((first, rest)) = values.split_first() else {
        return;
    };
    out.push(b',');
    out.extend_from_slice(key);
    out.extend_from_slice(b":[");
    write_str(out, first);
    for value in rest {
        out.push(b',');
        write_str(out, value);
    }
    out.push(b']');
}

/// An item's optional string field: `,"key":"…"`, nothing for none. `key` comes quoted.
pub fn write_opt_str(out: &mut Vec<u8>, key: &[u8], value: Option<&str>) {
    if let Some(value) = value {
        out.push(b',');
        out.extend_from_slice(key);
        out.push(b':');
        write_str(out, value);
    }
}

/// An item's `true` flag: `,"key":true`; `false` is left out. `key` comes quoted.
pub fn write_flag(out: &mut Vec<u8>, key: &[u8], value: bool) {
    if value {
        out.push(b',');
        out.extend_from_slice(key);
        out.extend_from_slice(b":true");
    }
}

/// An item's field holding a list of records, as the generic rendering writes it: each
/// record on a line of its own, `line` writing it; nothing for an empty list.
pub fn write_record_list<T>(
    out: &mut Vec<u8>,
    key: &[u8],
    values: &[T],
    mut line: impl FnMut(&mut Vec<u8>, &T),
) {
    if values.is_empty() {
        return;
    }
    out.push(b',');
    out.extend_from_slice(key);
    out.extend_from_slice(b":[");
    for (i, value) in values.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        line(out, value);
    }
    out.extend_from_slice(b"\n]");
}

/// A number as JSON writes it.
pub fn write_u32(out: &mut Vec<u8>, value: u32) {
    write_u64(out, u64::from(value));
}

/// A number as JSON writes it.
pub fn write_u64(out: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut left = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (left % 10) as u8;
        left /= 10;
        if left == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
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
    Manifest,
    Items { relative_ids: bool, names: Names },
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
    /// An item's list, whose key (held here) and `[` are written with its first element:
    /// an empty one is left out.
    deferred: Option<Vec<u8>>,
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
    /// An item's `name` or `parent`, written only if its `id` does not give it (`Names`):
    /// what the id gives is in `expected`.
    Derived,
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
    /// The root entry being written is `files`.
    in_files: bool,
    /// The value being started sits under one of [`ID_KEYS`] (directly or in its list).
    id_value: bool,
    /// The current item's `name` as its `id` gives it (escaped as written), once the id is.
    item_name: Option<String>,
    /// With [`Names::Simple`], the current item's `parent` as its id gives it (none for a
    /// top-level name), once the id is.
    item_parent: Option<Option<String>>,
    /// What a [`Capture::Derived`] value is left out for being.
    expected: String,
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
            in_files: false,
            id_value: false,
            item_name: None,
            item_parent: None,
            expected: String::new(),
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

    /// Plain layout: two spaces a step; the manifest one. Chunk files: nothing down to an
    /// item's own list elements (a file key, an item, an edge each start their line), then
    /// one space a step (a list inside such an element).
    fn indent<W: ?Sized + Write>(&self, writer: &mut W, steps: usize) -> io::Result<()> {
        const SPACES: &[u8] = b"                                ";
        let width = match self.layout {
            Layout::Plain => steps * 2,
            Layout::Manifest => steps,
            Layout::Items { .. } => steps.saturating_sub(ITEM_DEPTH),
        };
        let mut left = width;
        while left > 0 {
            let n = left.min(SPACES.len());
            writer.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }

    /// Chunk files and the manifest separate with `,` and `:`; the plain layout with `, `
    /// and `: `.
    fn separator(&self, colon: bool) -> &'static [u8] {
        match (self.layout != Layout::Plain, colon) {
            (true, false) => b",",
            (true, true) => b":",
            (false, false) => b", ",
            (false, true) => b": ",
        }
    }

    /// Writes the key and `[` of the item's list just opened, which was waiting for its
    /// first element.
    fn flush_deferred<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let Some(mut frame) = self.frames.pop() else {
            return Ok(());
        };
        if let Some(key) = frame.deferred.take() {
            let held = std::mem::replace(&mut self.key, key);
            self.entry_head(writer)?;
            self.key = held;
            writer.write_all(b"[")?;
        }
        self.frames.push(frame);
        Ok(())
    }

    /// The separator before an object entry, and its key.
    fn entry_head<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let comma = self.separator(false);
        let frame = self.frames.last_mut().expect("an open object");
        let first = frame.written == 0;
        frame.written += 1;
        let (pretty, line) = (frame.pretty, frame.line);
        if pretty {
            writer.write_all(if first { b"\n" } else { b",\n" })?;
            self.indent(writer, line + 1)?;
        } else if !first {
            writer.write_all(comma)?;
        }
        writer.write_all(&self.key)?;
        writer.write_all(self.separator(true))
    }

    /// Called before every value: writes the separator (and the key) it waits for, or
    /// decides that the value is left out. Returns whether the value is written.
    fn start_value<W: ?Sized + Write>(&mut self, writer: &mut W, value: Value) -> io::Result<bool> {
        let pending = std::mem::replace(&mut self.pending, Pending::None);
        self.id_value = false;
        if pending == Pending::Element && self.frames.last().is_some_and(|f| f.deferred.is_some()) {
            self.flush_deferred(writer)?;
        }
        let items = self.items();
        let comma = self.separator(false);
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
                    let line = frame.line;
                    writer.write_all(if first { b"\n" } else { b",\n" })?;
                    self.indent(writer, line + 1)
                } else if first {
                    Ok(())
                } else {
                    writer.write_all(comma)
                }
                .map(|()| true)
            }
            Pending::Entry => {
                let depth = self.frames.len();
                let in_item = self.items() && depth >= ITEM_DEPTH;
                let own_file =
                    depth == ITEM_DEPTH && value == Value::String && self.key == b"\"file\"";
                let names = match self.layout {
                    Layout::Items { names, .. } => names,
                    _ => Names::Kept,
                };
                let named = depth == ITEM_DEPTH && names != Names::Kept && self.key == names.key();
                let parent =
                    depth == ITEM_DEPTH && names == Names::Simple && self.key == b"\"parent\"";
                // A missing `parent` or `local` reads back as what the id gives, so one that
                // is none while the id gives one is written `null`.
                let null_kept = value == Value::Null
                    && ((parent && matches!(self.item_parent, Some(Some(_))))
                        || (named && self.item_name.is_some()));
                if in_item
                    && !null_kept
                    && (matches!(value, Value::Null | Value::False) || own_file)
                {
                    if own_file {
                        self.capture = Capture::Drop;
                    }
                    return Ok(false);
                }
                if depth == ITEM_DEPTH && value == Value::String {
                    let expected = if named {
                        self.item_name.take()
                    } else if parent {
                        self.item_parent.take().flatten()
                    } else {
                        None
                    };
                    if let Some(expected) = expected {
                        // Written (with its key) at its end, unless the id gives it.
                        self.expected = expected;
                        self.capture = Capture::Derived;
                        return Ok(true);
                    }
                }
                self.entry_head(writer)?;
                self.id_value = ID_KEYS.contains(&self.key.as_slice());
                if self.items() && depth == 1 {
                    // Only `files` holds items: a key of the call graph's `imports` table
                    // (a local name, which may be `request` or `id`) holds no ids.
                    self.in_files = self.key == b"\"files\"";
                    self.own_prefix.clear();
                }
                if self.items() && depth == 2 && self.in_files {
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
        // An item's list waits for its first element: an empty one is left out.
        let deferred = (self.items()
            && open == b"["
            && self.pending == Pending::Entry
            && self.depth() == ITEM_DEPTH)
            .then(|| self.key.clone());
        let ids = if let Some(key) = &deferred {
            self.pending = Pending::None;
            ID_KEYS.contains(&key.as_slice())
        } else {
            self.start_value(writer, Value::Container)?;
            self.id_value
        };
        let line = match self.frames.last() {
            None => 0,
            Some(parent) if parent.multiline() => parent.line + 1,
            Some(parent) => parent.line,
        };
        let depth = self.depth() + 1;
        if depth == ITEM_DEPTH {
            self.item_name = None;
            self.item_parent = None;
        }
        let pretty = match self.layout {
            Layout::Plain | Layout::Manifest => depth <= PLAIN_PRETTY_DEPTH,
            Layout::Items { .. } => depth < ITEM_DEPTH,
        };
        self.frames.push(Frame {
            pretty,
            records: None,
            line,
            written: 0,
            ids,
            deferred: deferred.clone(),
        });
        if deferred.is_some() {
            return Ok(());
        }
        writer.write_all(open)
    }

    fn end<W: ?Sized + Write>(&mut self, writer: &mut W, close: &[u8]) -> io::Result<()> {
        let frame = self.frames.pop().expect("an open container");
        if frame.deferred.is_some() {
            // Empty, and left out.
            return Ok(());
        }
        if frame.multiline() && frame.written > 0 {
            writer.write_all(b"\n")?;
            self.indent(writer, frame.line)?;
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
        if self.capture == Capture::Derived {
            self.value.clear();
            return Ok(());
        }
        let relative = matches!(
            self.layout,
            Layout::Items {
                relative_ids: true,
                ..
            }
        );
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
                    if let Layout::Items { names, .. } = self.layout
                        && names != Names::Kept
                        && self.depth() == ITEM_DEPTH
                        && self.key == b"\"id\""
                    {
                        // Escaping leaves `#`, `.`, `~` and digits alone, so the name
                        // derived from the escaped id is the escaped name.
                        let qualified = &self.value[prefix.len()..self.value.len() - 1];
                        if let Ok(qualified) = std::str::from_utf8(qualified) {
                            self.item_name = Some(name_from_qualified(qualified, names));
                            if names == Names::Simple {
                                self.item_parent = Some(parent_from_qualified(qualified));
                            }
                        }
                    }
                    writer.write_all(b"\"")?;
                    writer.write_all(&self.value[prefix.len() - 1..])
                } else {
                    writer.write_all(&self.value)
                }
            }
            Capture::Derived => {
                self.capture = Capture::None;
                if self.expected.as_bytes() == self.value {
                    return Ok(());
                }
                self.entry_head(writer)?;
                writer.write_all(b"\"")?;
                writer.write_all(&self.value)?;
                writer.write_all(b"\"")
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
            Capture::Value | Capture::Derived => self.value.extend_from_slice(fragment.as_bytes()),
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
            Capture::Value | Capture::Derived => {
                CompactFormatter.write_char_escape(&mut self.value, escape)
            }
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
    fn write_str_escapes_as_serde_json_does() {
        // Every ASCII byte and some multi-byte characters, at every offset within and
        // across the eight-byte words, alone and in runs.
        let specials: Vec<String> = (0u8..0x80)
            .map(|b| char::from(b).to_string())
            .chain(["é", "→", "𝄞", "\u{7f}", "\u{80}", "\u{ff}"].map(String::from))
            .collect();
        for special in &specials {
            for before in 0..17 {
                for after in [0, 1, 7, 8, 9] {
                    let value = format!("{}{special}{}", "a".repeat(before), "é".repeat(after));
                    let mut out = Vec::new();
                    write_str(&mut out, &value);
                    assert_eq!(
                        String::from_utf8(out).unwrap(),
                        serde_json::to_string(&value).unwrap(),
                        "{value:?}"
                    );
                }
            }
        }
        let mixed = "a\"b\\c\nd\u{1}e\u{1f}f\"\"\"\\\\g0123456789\t";
        let mut out = Vec::new();
        write_str(&mut out, mixed);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(mixed).unwrap()
        );
    }

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
                    {"file": "src/a\"b.ts", "id": "src/a\"b.ts#C~2.f", "name": "C.f", "gone": null,
                     "no": false, "yes": true, "names": ["src/a\"b.ts#g"],
                     "handlers": ["x", "src/a\"b.ts#g"], "edges": [
                        {"at": [1, 2], "target": "src/a\"b.ts#g", "other": "src/c.ts#g"},
                        {"at": [3, 4], "target": "src/a\"b.ts#"}
                    ], "empty": []},
                    {"file": "src/a\"b.ts", "id": "src/a\"b.ts#h", "name": "other", "edges": []}
                ]
            }
        });
        let text = String::from_utf8(chunk_json_bytes(&value, true, Names::Qualified)).unwrap();
        assert_eq!(
            text,
            concat!(
                "{\n\"extractor\":\"calls\",\n\"files\":{\n\"src/a\\\"b.ts\":[\n",
                "{\"edges\":[\n",
                "{\"at\":[1,2],\"other\":\"src/c.ts#g\",\"target\":\"#g\"},\n",
                "{\"at\":[3,4],\"target\":\"src/a\\\"b.ts#\"}\n",
                "],\"handlers\":[\"x\",\"#g\"],\"id\":\"#C~2.f\",",
                "\"names\":[\"src/a\\\"b.ts#g\"],\"yes\":true},\n",
                "{\"id\":\"#h\",\"name\":\"other\"}\n",
                "]\n}\n}\n"
            )
        );
    }

    #[test]
    fn export_locals_leave_out_what_the_id_gives() {
        // `json!` sorts keys: the id comes before `local`, as `Export` writes them.
        let value = serde_json::json!({
            "files": {
                "a.ts": [
                    {"name": "b", "id": "a.ts#a", "local": "a"},
                    {"name": "c", "id": "a.ts#c", "local": null},
                    {"name": "d", "id": "a.ts#d", "local": "e"},
                    {"name": "f", "id": "x.ts#f", "local": null},
                    {"name": "g", "id": null, "local": "g"}
                ]
            }
        });
        let text = String::from_utf8(chunk_json_bytes(&value, true, Names::Local)).unwrap();
        assert_eq!(
            text,
            concat!(
                "{\n\"files\":{\n\"a.ts\":[\n",
                "{\"id\":\"#a\",\"name\":\"b\"},\n",
                "{\"id\":\"#c\",\"local\":null,\"name\":\"c\"},\n",
                "{\"id\":\"#d\",\"local\":\"e\",\"name\":\"d\"},\n",
                "{\"id\":\"x.ts#f\",\"name\":\"f\"},\n",
                "{\"local\":\"g\",\"name\":\"g\"}\n",
                "]\n}\n}\n"
            )
        );
    }

    #[test]
    fn simple_names_leave_out_what_the_id_gives() {
        let value = json!({
            "files": {
                "a.py": [
                    {"id": "a.py#A~2.b", "name": "b", "parent": "A"},
                    {"id": "a.py#A.c", "name": "c", "parent": null},
                    {"id": "a.py#d", "name": "d", "parent": null},
                    {"id": "a.py#e", "name": "e", "parent": "E"},
                    {"id": "other.py#f", "name": "f", "parent": "F"}
                ]
            }
        });
        let text = String::from_utf8(chunk_json_bytes(&value, true, Names::Simple)).unwrap();
        assert_eq!(
            text,
            concat!(
                "{\n\"files\":{\n\"a.py\":[\n",
                "{\"id\":\"#A~2.b\"},\n",
                "{\"id\":\"#A.c\",\"parent\":null},\n",
                "{\"id\":\"#d\"},\n",
                "{\"id\":\"#e\",\"parent\":\"E\"},\n",
                "{\"id\":\"other.py#f\",\"name\":\"f\",\"parent\":\"F\"}\n",
                "]\n}\n}\n"
            )
        );
        assert_eq!(name_from_qualified("A~2.b~3", Names::Qualified), "A.b");
        assert_eq!(name_from_qualified("A~2.b~3", Names::Local), "A.b");
        assert_eq!(name_from_qualified("A~2.b~3", Names::Simple), "b");
        assert_eq!(name_from_qualified("a~b", Names::Simple), "a~b");
        assert_eq!(parent_from_qualified("A~2.B.c").as_deref(), Some("A.B"));
        assert_eq!(parent_from_qualified("c"), None);
    }
}
