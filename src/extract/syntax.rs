//! Small helpers over tree-sitter nodes shared by the extractors' Rust layers.

use std::cell::RefCell;
use std::ffi::CStr;
use tree_sitter::Node;

/// Faster forms of the two `Node` methods the extractors call on most nodes they read
/// (hundreds of thousands of times a run): measured, tree-sitter's own forms cost about 3%
/// of a full run, for work that is the same on every call.
pub trait NodeExt<'t> {
    /// `kind()`. The binding checks the kind's name is UTF-8 on every call; names are ASCII,
    /// which is cheaper to check.
    fn kind_str(self) -> &'t str;
    /// `child_by_field_name(name)`. tree-sitter finds a field's id by comparing `name` with
    /// every field name of the grammar in turn; here the id is looked up once per grammar
    /// and name.
    fn field(self, name: &'static str) -> Option<Node<'t>>;
    /// `children_by_field_name(name, &mut cursor)`: the children in field `name`, from the
    /// C listing of the children with their fields (`preorder::children`).
    fn field_kids(self, name: &'static str) -> Vec<Node<'t>>;
    /// `named_children(&mut cursor)`, listed by C (`preorder::named_children`): a cursor's
    /// stepping costs about five times as much.
    fn named_kids(self) -> Vec<Node<'t>>;
    /// `children(&mut cursor)` (tokens included), listed by C (`preorder::children`).
    fn kids(self) -> Vec<Node<'t>>;
    /// `parent()`, found by C (`preorder::parent`) at about half tree-sitter's cost.
    fn up(self) -> Option<Node<'t>>;
    /// `prev_sibling()`, from the parent's children as C lists them (`preorder::prev_sibling`).
    fn before(self) -> Option<Node<'t>>;
}

impl<'t> NodeExt<'t> for Node<'t> {
    fn named_kids(self) -> Vec<Node<'t>> {
        super::preorder::named_children(self)
    }

    fn kids(self) -> Vec<Node<'t>> {
        super::preorder::all_children(self)
    }

    fn up(self) -> Option<Node<'t>> {
        super::preorder::parent(self)
    }

    fn before(self) -> Option<Node<'t>> {
        super::preorder::prev_sibling(self)
    }

    #[inline]
    fn kind_str(self) -> &'t str {
        let raw = self.into_raw();
        // SAFETY: both read a live node.
        let (kind, language) = unsafe {
            (
                tree_sitter::ffi::ts_node_symbol(raw),
                tree_sitter::ffi::ts_node_language(raw),
            )
        };
        // The name from the grammar's table of them; ERROR (a kind id past the table) and
        // a grammar of none of the languages take the long way.
        if let Some((_, names)) = kind_names().iter().find(|(l, _)| *l == language as usize)
            && let Some(&Some(name)) = names.get(usize::from(kind))
        {
            return name;
        }
        kind_name_of(self)
    }

    fn field(self, name: &'static str) -> Option<Node<'t>> {
        // Id 0, no such field, finds no child.
        super::preorder::child_by_field(self, field_id(self, name))
    }

    fn field_kids(self, name: &'static str) -> Vec<Node<'t>> {
        let id = field_id(self, name);
        if id == 0 {
            return Vec::new();
        }
        let mut children = Vec::new();
        super::preorder::children(self, &mut children);
        children
            .into_iter()
            .filter_map(|(child, field)| (field == Some(id)).then_some(child))
            .collect()
    }
}

/// One grammar's kind names by kind id (none for an id without a UTF-8 name).
type KindNames = Vec<Option<&'static str>>;

/// Kind names by public kind id (as `ts_node_symbol` gives it), per grammar, known by its
/// address: `ts_node_type` looks the name up again and Rust must then measure it with
/// `strlen`, about 40 instructions a call, and extractors ask for 580,000 names on the
/// 978-file sample. A public kind id names the kind its node's own id does (tree-sitter maps
/// kinds of one name to one id), so the names are `ts_node_type`'s (a test holds them to
/// it at every node of every fixture).
fn kind_names() -> &'static [(usize, KindNames)] {
    static NAMES: std::sync::OnceLock<Vec<(usize, KindNames)>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        crate::lang::Lang::ALL
            .iter()
            .map(|lang| {
                let language = lang.grammar();
                let count = language.node_kind_count();
                let raw = language.into_raw();
                let names = (0..count)
                    .map(|id| {
                        let id = u16::try_from(id).ok()?;
                        // SAFETY: a compiled-in grammar's kind names are static C strings,
                        // as the grammar itself is (its address never changes).
                        let name = unsafe { tree_sitter::ffi::ts_language_symbol_name(raw, id) };
                        if name.is_null() {
                            return None;
                        }
                        // SAFETY: as above; non-null and NUL-terminated.
                        unsafe { CStr::from_ptr::<'static>(name) }.to_str().ok()
                    })
                    .collect();
                (raw as usize, names)
            })
            .collect()
    })
}

/// A node's kind name from `ts_node_type`, for the kinds the table does not hold.
fn kind_name_of<'t>(node: Node<'t>) -> &'t str {
    // SAFETY: `ts_node_type` returns the grammar's NUL-terminated name of the node's
    // kind, which lives as long as the language, and so as long as the tree.
    let name = unsafe { CStr::from_ptr(tree_sitter::ffi::ts_node_type(node.into_raw())) };
    let bytes = name.to_bytes();
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    } else {
        node.kind()
    }
}

thread_local! {
    /// Field ids by (language, name's address and length): a few dozen entries.
    static FIELD_IDS: RefCell<foldhash::HashMap<(usize, usize, usize), u16>> =
        RefCell::new(foldhash::HashMap::default());
}

/// The id of field `name` in `node`'s grammar (0: the grammar has none), looked up once per
/// grammar and name: a lookup compares the name with every field name of the grammar.
fn field_id(node: Node<'_>, name: &'static str) -> u16 {
    // SAFETY: reads the language pointer of a live node.
    let language = unsafe { tree_sitter::ffi::ts_node_language(node.into_raw()) };
    let key = (language as usize, name.as_ptr() as usize, name.len());
    FIELD_IDS.with(|ids| {
        if let Some(&id) = ids.borrow().get(&key) {
            return id;
        }
        // SAFETY: `name` is valid for `name.len()` bytes; tree-sitter compares at most
        // that many and returns 0 for a name the grammar does not have.
        let id = unsafe {
            tree_sitter::ffi::ts_language_field_id_for_name(
                language,
                name.as_ptr().cast(),
                u32::try_from(name.len()).unwrap_or(u32::MAX),
            )
        };
        ids.borrow_mut().insert(key, id);
        id
    })
}

/// `parts` joined, in one allocation: names are built per definition and per call site,
/// and `format!` (which grows its string as it goes) cost several times as much.
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// The node's source text; lossy only for a node that splits a UTF-8 sequence, which a
/// grammar over valid UTF-8 does not produce.
pub fn text<'s>(node: Node<'_>, source: &'s [u8]) -> &'s str {
    node.utf8_text(source).unwrap_or("")
}

/// The start of a node's text, long enough for `one_line(_, max_chars)` to read the same
/// as over the whole text: cut once it holds more than `max_chars + 1` characters besides
/// whitespace (counted in bytes, so a cut never comes early). A callee can be a whole
/// immediately invoked function; this keeps its cost to the part that is shown.
pub fn text_head<'s>(node: Node<'_>, source: &'s [u8], max_chars: usize) -> &'s str {
    head(source.get(node.byte_range()).unwrap_or_default(), max_chars)
}

/// [`text_head`] of any stretch of text: what `one_line(_, max_chars)` reads of it.
pub fn head(bytes: &[u8], max_chars: usize) -> &str {
    let limit = (max_chars + 1) * 4;
    // Most texts are shorter than that: nothing to count.
    if bytes.len() <= limit {
        return std::str::from_utf8(bytes).unwrap_or("");
    }
    let mut seen = 0;
    let mut cut = bytes.len();
    for (i, b) in bytes.iter().enumerate() {
        if !b.is_ascii_whitespace() {
            seen += 1;
            if seen > limit {
                cut = i;
                break;
            }
        }
    }
    // Back off to the start of a character.
    while cut < bytes.len() && cut > 0 && bytes[cut] & 0xC0 == 0x80 {
        cut -= 1;
    }
    std::str::from_utf8(&bytes[..cut]).unwrap_or("")
}

/// Whether the value of `call` is awaited, directly or at the end of a chain on it (`await
/// server.post('/x', user)`, `await api.get('/x').send()`, Python's `await
/// client.get("/x")`).
pub fn awaited(call: Node<'_>) -> bool {
    let mut node = call;
    while let Some(parent) = node.up() {
        match parent.kind_str() {
            "await_expression" | "await" => return true,
            "parenthesized_expression" => {}
            "member_expression" | "attribute" if parent.field("object") == Some(node) => {}
            "call_expression" | "call" if parent.field("function") == Some(node) => {}
            _ => return false,
        }
        node = parent;
    }
    false
}

/// An object key as written: a string key's contents (`'/x'`), else its text (`path`).
pub fn key_text<'s>(key: Node<'_>, source: &'s [u8]) -> &'s str {
    string_literal(key, source).unwrap_or_else(|| text(key, source))
}

/// A call's arguments (or any list node's named children) without its comments.
pub fn named_args(arguments: Node<'_>) -> Vec<Node<'_>> {
    arguments
        .named_kids()
        .into_iter()
        .filter(|n| n.kind_str() != "comment")
        .collect()
}

/// 1-based line and column (column counted in bytes) of a node's start.
pub fn position(node: Node<'_>) -> (u32, u32) {
    let p = node.start_position();
    (to_u32(p.row) + 1, to_u32(p.column) + 1)
}

/// 1-based line of a node's last character.
pub fn end_line(node: Node<'_>) -> u32 {
    let end = node.end_position();
    // A node that ends at column 0 ends on the previous line (its trailing newline).
    if end.column == 0 && end.row > node.start_position().row {
        to_u32(end.row)
    } else {
        to_u32(end.row) + 1
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The contents of a string literal node (JS `'x'` / `"x"` / `` `x` ``, Python `"x"` with
/// prefixes), or `None` when it interpolates anything.
pub fn string_literal<'s>(node: Node<'_>, source: &'s [u8]) -> Option<&'s str> {
    for child in node.named_kids() {
        if matches!(
            child.kind_str(),
            "template_substitution" | "interpolation" | "string_interpolation"
        ) {
            return None;
        }
    }
    let raw = text(node, source);
    // Python string prefixes (r, b, u, f...) come before the quote.
    let body = raw.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    for quote in ["\"\"\"", "'''", "\"", "'", "`"] {
        if body.len() >= 2 * quote.len() && body.starts_with(quote) && body.ends_with(quote) {
            return Some(&body[quote.len()..body.len() - quote.len()]);
        }
    }
    None
}

/// Collapses runs of white space into one space and cuts the result to `max` characters,
/// marking a cut with `…`.
pub fn one_line(s: &str, max: usize) -> String {
    if s.is_ascii() {
        return one_line_ascii(s, max);
    }
    one_line_chars(s, max)
}

/// [`one_line`] of ASCII text, a word at a time: every signature and doc line is made this
/// way, and pushing them a character at a time cost a third of making a symbol.
fn one_line_ascii(s: &str, max: usize) -> String {
    // What `char::is_whitespace` (Unicode's White_Space) holds for ASCII: the vertical tab
    // too, which `u8::is_ascii_whitespace` leaves out.
    let words = s
        .split(|c: char| c == ' ' || ('\t'..='\r').contains(&c))
        .filter(|w| !w.is_empty());
    let mut out = String::with_capacity(s.len().min(max + 4));
    let mut count = 0;
    for word in words {
        if !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        let room = max.saturating_sub(count);
        if word.len() > room {
            out.push_str(&word[..room]);
            out.push('…');
            return out;
        }
        out.push_str(word);
        count += word.len();
    }
    out
}

/// [`one_line`] of any text, a character at a time.
fn one_line_chars(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 4));
    let mut count = 0;
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= max {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

/// Calls `visit` with each ERROR and MISSING node, descending only into subtrees that hold
/// one (and not into an ERROR).
fn for_each_error<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>)) {
    if !root.has_error() {
        return;
    }
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            visit(node);
        }
        if node.has_error() && !node.is_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
}

/// Counts ERROR and MISSING nodes, the parser's record of syntax it could not make sense of.
pub fn count_syntax_errors(root: Node<'_>) -> u32 {
    let mut count = 0u32;
    for_each_error(root, |_| count = count.saturating_add(1));
    count
}

/// Whether `&` at `at` starts a character reference the JSX grammars accept:
/// `&name;`, `&#123;` or `&#x1F;` (tree-sitter-javascript's `html_character_reference`).
fn starts_character_reference(text: &[u8], at: usize) -> bool {
    let (body, max, digit): (&[u8], usize, fn(&u8) -> bool) = match &text[at + 1..] {
        [b'#', b'x' | b'X', body @ ..] => (body, 6, u8::is_ascii_hexdigit),
        [b'#', body @ ..] => (body, 5, u8::is_ascii_digit),
        body => (body, 30, u8::is_ascii_alphabetic),
    };
    let len = body.iter().take(max + 1).take_while(|b| digit(b)).count();
    (1..=max).contains(&len) && body.get(len) == Some(&b';')
}

/// The bare `&` bytes (not starting a character reference, not `&&` or `&=`) inside the ERROR nodes of a
/// tree: where tree-sitter-javascript's and -typescript's JSX text scanner stops on valid
/// text such as `<b>Save & Close</b>` (their issue #366). Only the JSX grammars have it.
pub fn bare_ampersands_in_errors(root: Node<'_>, text: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    for_each_error(root, |node| {
        if !node.is_error() {
            return;
        }
        let (start, end) = (node.start_byte(), node.end_byte().min(text.len()));
        for at in memchr::memchr_iter(b'&', &text[start..end]).map(|i| start + i) {
            // `&&` and `&=` are left alone: far more often operators of code near an error
            // than text.
            let operator = text.get(at + 1).is_some_and(|&b| b == b'&' || b == b'=')
                || (at > 0 && text[at - 1] == b'&');
            if !operator && !starts_character_reference(text, at) {
                found.push(at);
            }
        }
    });
    found
}

/// Whether the byte at `at` lies in JSX text, or in a string attribute value (`<a
/// href="?a=1&b=2">`, where the grammars stop at a bare `&` too); when `parsed`, of an
/// element no ERROR encloses. (Inside an ERROR, `jsx_text` can be code the parser
/// swallowed: `f<T>(x: T & U)` in a `.js` file.)
pub fn in_jsx_text(root: Node<'_>, at: usize, parsed: bool) -> bool {
    let Some(node) = root.descendant_for_byte_range(at, at + 1) else {
        return false;
    };
    let text = match node.kind_str() {
        "jsx_text" => true,
        "string_fragment" => node
            .up()
            .and_then(|string| string.up())
            .is_some_and(|parent| parent.kind_str() == "jsx_attribute"),
        _ => false,
    };
    text && (!parsed || ancestors(node).iter().all(|n| !n.is_error()))
}

/// The ancestors of `node`, nearest first, up to the root of its tree. `Node::parent`
/// searches down from the root on every call, so climbing `d` levels with it costs `d`
/// descents; this costs one, in C (`preorder::ancestors`).
pub fn ancestors(node: Node<'_>) -> Vec<Node<'_>> {
    super::preorder::ancestors(node)
}

/// The value of `key` in an object literal (`{ key: value }`, `{ "key": value }`).
pub fn object_property<'t>(object: Node<'t>, key: &str, source: &[u8]) -> Option<Node<'t>> {
    let found = object.named_kids().into_iter().find(|p| {
        p.kind_str() == "pair" && p.field("key").is_some_and(|k| key_text(k, source) == key)
    });
    found.and_then(|p| p.field("value"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use proptest::prelude::*;

    /// A kind's name from the table is `ts_node_type`'s: at every node of every fixture,
    /// tokens, aliases and errors included.
    #[test]
    fn kind_names_are_those_tree_sitter_gives() {
        let (mut nodes, mut errors) = (0, 0);
        crate::extract::for_each_fixture(|path, _, _, tree| {
            for visit in super::super::preorder::Preorder::new(tree.root_node(), &[]) {
                let node = visit.node;
                assert_eq!(node.kind_str(), kind_name_of(node), "{path}: {node:?}");
                assert_eq!(node.kind_str(), node.kind(), "{path}: {node:?}");
                nodes += 1;
                errors += usize::from(node.is_error());
            }
        });
        assert!(
            nodes > 20_000 && errors > 0,
            "{nodes} nodes, {errors} errors"
        );
    }

    /// The children in a field, from the C listing, are those `children_by_field_name`
    /// steps a cursor to: at every node of every fixture, for each field its children fill
    /// and for `name`, which most of them do not.
    #[test]
    fn field_kids_are_the_children_a_cursor_finds_in_the_field() {
        let (mut asked, mut found) = (0, 0);
        // `field_kids` takes the names the code writes, which live as long as the program.
        let mut interned: std::collections::HashMap<String, &'static str> = Default::default();
        crate::extract::for_each_fixture(|path, lang, _, tree| {
            let grammar = lang.grammar();
            for visit in super::super::preorder::Preorder::new(tree.root_node(), &[]) {
                let node = visit.node;
                let mut children = Vec::new();
                super::super::preorder::children(node, &mut children);
                let mut names: Vec<&'static str> = children
                    .iter()
                    .filter_map(|&(_, field)| grammar.field_name_for_id(field?))
                    .map(|name| {
                        *interned
                            .entry(name.to_string())
                            .or_insert_with(|| String::leak(name.to_string()))
                    })
                    .collect();
                names.push("name");
                names.dedup();
                for name in names {
                    let mut cursor = node.walk();
                    let expected: Vec<Node<'_>> =
                        node.children_by_field_name(name, &mut cursor).collect();
                    assert_eq!(
                        node.field_kids(name),
                        expected,
                        "{path}: {name} of {node:?}"
                    );
                    asked += 1;
                    found += expected.len();
                }
            }
        });
        assert!(
            asked > 30_000 && found > 8_000,
            "{asked} fields asked, {found} children"
        );
    }

    proptest! {
        /// ASCII text is put on one line a word at a time, as the general way does it a
        /// character at a time: runs of any whitespace (the vertical tab included) become
        /// one space, and the cut comes at the same character with the same `…`.
        #[test]
        fn one_line_of_ascii_is_the_general_ones(
            s in "[a-c \t\n\x0b\x0c\r(){}]{0,40}",
            max in 0usize..30,
        ) {
            prop_assert_eq!(super::one_line_ascii(&s, max), super::one_line_chars(&s, max));
        }
    }

    #[test]
    fn text_head_keeps_what_one_line_shows() {
        // An immediately invoked function as a callee: long, indented, multi-byte.
        let body = "  é = 1;\n".repeat(2000);
        let source = format!("(function () {{\n{body}}})();\n");
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Lang::JavaScript.grammar()).unwrap();
        let tree = parser.parse(&source, None).unwrap();
        let callee = tree
            .root_node()
            .child(0)
            .unwrap()
            .child(0)
            .unwrap()
            .child(0)
            .unwrap();
        assert_eq!(callee.kind_str(), "parenthesized_expression");
        let head = text_head(callee, source.as_bytes(), 100);
        assert!(head.len() < 2000, "{} bytes kept", head.len());
        assert_eq!(
            one_line(head, 100),
            one_line(text(callee, source.as_bytes()), 100)
        );
        // A short node comes back whole.
        let short = tree.root_node().child(0).unwrap();
        assert_eq!(
            text_head(short, source.as_bytes(), 1_000_000),
            text(short, source.as_bytes())
        );
    }

    #[test]
    fn ancestors_are_the_parents_of_every_node() {
        let source = "class A { m() { if (x) { f(() => g([1, {a: h()}])); } } }\nexport const B = () => <C d={e}/>;";
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&Lang::Tsx.grammar())
            .expect("grammar loads");
        let tree = parser.parse(source, None).expect("parses");
        let mut cursor = tree.walk();
        let mut checked = 0;
        loop {
            let node = cursor.node();
            let mut by_parent = Vec::new();
            let mut up = node.parent();
            while let Some(parent) = up {
                by_parent.push(parent);
                up = parent.parent();
            }
            assert_eq!(ancestors(node), by_parent, "{}", node.kind_str());
            checked += 1;
            if cursor.goto_first_child() || cursor.goto_next_sibling() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    assert!(checked > 50, "only {checked} nodes");
                    return;
                }
            }
        }
    }
}
