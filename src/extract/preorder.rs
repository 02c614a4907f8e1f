//! A preorder walk over a whole tree: every visible node once, parents before children, with
//! its depth, kind id and field id. It yields what a `TreeCursor` walk would (the tests
//! below hold it to that on every fixture), but it is the C walk of `csrc/preorder.c`,
//! which costs a fraction of the cursor's stepping and hands nodes out in batches.
//!
//! Per kind id, a table of flags prunes the walk: [`NO_DESCEND`] keeps it out of a kind's
//! subtrees, [`QUIET_LEAF`] leaves out a kind's childless nodes. Most nodes are tokens
//! (punctuation, keywords, names) that no walk of ours reads; not handing them out saves
//! the caller a step per token.

use tree_sitter::Node;
use tree_sitter::ffi::TSNode;

#[repr(C)]
#[derive(Clone, Copy)]
struct RawVisit {
    node: TSNode,
    depth: u32,
    kind: u16,
    field: u16,
}

/// One child of a listing (`discover_children`).
#[repr(C)]
#[derive(Clone, Copy)]
struct RawChild {
    node: TSNode,
    field: u16,
}

#[repr(C)]
struct RawPreorder {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn discover_preorder_new(
        root: TSNode,
        flags: *const u8,
        flags_len: u32,
        max_depth: u32,
    ) -> *mut RawPreorder;
    fn discover_preorder_next(walk: *mut RawPreorder, out: *mut RawVisit, cap: u32) -> u32;
    fn discover_preorder_failed(walk: *const RawPreorder) -> bool;
    fn discover_preorder_delete(walk: *mut RawPreorder);
    fn discover_children(node: TSNode, named_only: bool, out: *mut RawChild, cap: u32) -> u32;
    fn discover_child_by_field_id(node: TSNode, field: u16) -> TSNode;
    fn discover_ancestors(node: TSNode, out: *mut TSNode, cap: u32) -> u32;
    fn discover_parent(node: TSNode) -> TSNode;
    fn discover_prev_sibling(node: TSNode) -> TSNode;
}

/// The ancestors of `node`, nearest first, up to the root of its tree: what climbing with
/// `Node::parent` gives, in one descent from the root (`csrc/preorder.c`).
pub fn ancestors<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut raw: Vec<TSNode> = Vec::with_capacity(16);
    loop {
        let cap = u32::try_from(raw.capacity()).unwrap_or(u32::MAX);
        // SAFETY: `raw` has room for `cap` nodes and the C side writes at most `cap`; it
        // returns how many ancestors there are, all written when that is within `cap`.
        let n = unsafe { discover_ancestors(node.into_raw(), raw.as_mut_ptr(), cap) };
        if n <= cap {
            // SAFETY: as above.
            unsafe { raw.set_len(n as usize) };
            break;
        }
        raw.reserve_exact(n as usize);
    }
    raw.iter()
        .rev()
        // SAFETY: the C side builds each node from a live subtree of `node`'s tree.
        .map(|&raw| unsafe { Node::from_raw(raw) })
        .collect()
}

/// `node.parent()`, in one descent from the root with the child listing inlined
/// (`csrc/preorder.c`).
pub fn parent<'t>(node: Node<'t>) -> Option<Node<'t>> {
    // SAFETY: the C side reads the live tree `node` belongs to and returns one of its
    // nodes, or the null node for the root.
    let found = unsafe { discover_parent(node.into_raw()) };
    // SAFETY: a non-null id is a node of `node`'s tree.
    (!found.id.is_null()).then(|| unsafe { Node::from_raw(found) })
}

/// `node.prev_sibling()`: the child of its parent listed before it, tokens included, found
/// by C (`csrc/preorder.c`).
pub fn prev_sibling<'t>(node: Node<'t>) -> Option<Node<'t>> {
    // SAFETY: as in `parent`.
    let found = unsafe { discover_prev_sibling(node.into_raw()) };
    // SAFETY: a non-null id is a node of `node`'s tree.
    (!found.id.is_null()).then(|| unsafe { Node::from_raw(found) })
}

/// `node.child_by_field_id(field)`, at a fraction of its cost (`csrc/preorder.c`).
pub fn child_by_field<'t>(node: Node<'t>, field: u16) -> Option<Node<'t>> {
    // SAFETY: the C side reads the live tree `node` belongs to and returns one of its
    // nodes, or the null node, which `Node::from_raw` must not see.
    let found = unsafe { discover_child_by_field_id(node.into_raw(), field) };
    // SAFETY: a non-null id is a node of `node`'s tree.
    (!found.id.is_null()).then(|| unsafe { Node::from_raw(found) })
}

thread_local! {
    /// What the listings hand the C side to fill, kept between calls.
    static CHILDREN: std::cell::RefCell<Vec<RawChild>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Lists the children of `node` (only the named ones if `named_only`) into the thread's
/// buffer and hands them to `f`.
fn with_children<R>(node: Node<'_>, named_only: bool, f: impl FnOnce(&[RawChild]) -> R) -> R {
    CHILDREN.with_borrow_mut(|raw| {
        raw.clear();
        loop {
            let cap = u32::try_from(raw.capacity()).unwrap_or(u32::MAX);
            // SAFETY: `raw` has room for `cap` children and the C side writes at most `cap`;
            // it returns how many there are, all written when that is within `cap`.
            let n =
                unsafe { discover_children(node.into_raw(), named_only, raw.as_mut_ptr(), cap) };
            if n <= cap {
                // SAFETY: as above.
                unsafe { raw.set_len(n as usize) };
                break;
            }
            raw.reserve_exact(n as usize);
        }
        f(raw)
    })
}

/// The named children of `node`, as `Node::named_children` walks them with a cursor, listed
/// by C at a fraction of the cursor's cost.
pub fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    with_children(node, true, |raw| {
        raw.iter()
            // SAFETY: the C side builds each node from a live child of `node`'s tree.
            .map(|child| unsafe { Node::from_raw(child.node) })
            .collect()
    })
}

/// The children of `node` (tokens included) with the field each fills, as a cursor's
/// `goto_first_child` / `goto_next_sibling` list them, into `out` (cleared first). The C
/// listing costs a fraction of the cursor's stepping; pattern matching lists the children
/// of every node it tries.
pub fn children<'t>(node: Node<'t>, out: &mut Vec<(Node<'t>, Option<u16>)>) {
    out.clear();
    with_children(node, false, |raw| out.extend(with_fields(raw)));
}

/// The children of `node` as [`children`] lists them, in one shared allocation.
pub fn shared_children<'t>(node: Node<'t>) -> std::rc::Rc<[(Node<'t>, Option<u16>)]> {
    with_children(node, false, |raw| with_fields(raw).collect())
}

/// A listing's children with their fields (`None` for none); `'t` is the listed node's.
fn with_fields<'t>(raw: &[RawChild]) -> impl Iterator<Item = (Node<'t>, Option<u16>)> + '_ {
    raw.iter().map(|child| {
        (
            // SAFETY: the C side builds each node from a live child of the listed node's
            // tree, which lives for `'t`.
            unsafe { Node::from_raw(child.node) },
            (child.field != 0).then_some(child.field),
        )
    })
}

/// Appends the named children of `node`, last first, to `stack`: a walk that pops its next
/// node from the end visits them in order.
pub fn push_named_children_reversed<'t>(node: Node<'t>, stack: &mut Vec<Node<'t>>) {
    with_children(node, true, |raw| {
        stack.extend(raw.iter().rev().map(|child| {
            // SAFETY: the C side builds each node from a live child of `node`'s tree.
            unsafe { Node::from_raw(child.node) }
        }));
    });
}

/// The children of `node` (tokens included), as [`children`] lists them, without fields.
pub fn all_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    with_children(node, false, |raw| {
        raw.iter()
            // SAFETY: the C side builds each node from a live child of `node`'s tree.
            .map(|child| unsafe { Node::from_raw(child.node) })
            .collect()
    })
}

/// One visible node of the walk.
#[derive(Clone, Copy)]
pub struct Visit<'t> {
    pub node: Node<'t>,
    /// Visible ancestors between the walk's root and this node; the root is at 0.
    pub depth: u32,
    /// `node.kind_id()`.
    pub kind: u16,
    /// The field this node fills in its parent, as `TreeCursor::field_id` reports it.
    pub field: Option<u16>,
}

/// Visits per batch: enough to make the call into C rare, small enough to stay in cache.
const BATCH: usize = 512;
/// The first batch: many walks are of small subtrees (a component's body, a parameter
/// list), for which a full batch's allocation would cost more than the walk.
const FIRST_BATCH: usize = 32;

/// Flag of a kind: the walk does not go below its nodes (`DISCOVER_NO_DESCEND` in C).
pub const NO_DESCEND: u8 = 1;
/// Flag of a kind: its nodes without children are not visited (`DISCOVER_QUIET_LEAF`).
pub const QUIET_LEAF: u8 = 2;
/// Flag of a kind: its named children are visited even when they are quiet leaves
/// (`DISCOVER_REPORT_LEAVES`): the call graph reads the identifiers a call passes.
pub const REPORT_LEAVES: u8 = 4;

/// Flags for a walk that hands out every node with children and no token, whatever the
/// grammar (no kind id reaches past `u16`): the tests' walk cut at a depth.
#[cfg(test)]
static ALL_QUIET: [u8; 1 << 16] = [QUIET_LEAF; 1 << 16];

/// The walk from `root`, pruned by `flags` (indexed by kind id; kinds past its end, as
/// ERROR's id may be, have no flags). The root itself is always visited.
pub struct Preorder<'t, 's> {
    raw: *mut RawPreorder,
    batch: Vec<RawVisit>,
    next: usize,
    _tree: std::marker::PhantomData<(Node<'t>, &'s [u8])>,
}

impl<'t, 's> Preorder<'t, 's> {
    pub fn new(root: Node<'t>, flags: &'s [u8]) -> Self {
        Preorder::to_depth(root, flags, u32::MAX)
    }

    /// The walk down to `max_depth` levels below `root` (0: the root alone).
    pub fn to_depth(root: Node<'t>, flags: &'s [u8], max_depth: u32) -> Self {
        let len = u32::try_from(flags.len()).unwrap_or(u32::MAX);
        // SAFETY: the walk reads the tree through `root` and `flags`, both of which outlive
        // it (the lifetimes above); it is freed in `drop`.
        let raw = unsafe { discover_preorder_new(root.into_raw(), flags.as_ptr(), len, max_depth) };
        assert!(!raw.is_null(), "out of memory starting a tree walk");
        Preorder {
            raw,
            batch: Vec::with_capacity(FIRST_BATCH),
            next: 0,
            _tree: std::marker::PhantomData,
        }
    }

    fn refill(&mut self) -> bool {
        // A walk that filled its batch is a long one: the next batch is larger.
        if self.batch.len() == self.batch.capacity() && self.batch.capacity() < BATCH {
            self.batch.reserve_exact(self.batch.capacity() * 4);
        }
        self.batch.clear();
        self.next = 0;
        let cap = self.batch.capacity().min(BATCH);
        // SAFETY: `batch` has room for `cap` visits and the C side writes at most `cap`,
        // which it reports back; `set_len` covers exactly those.
        unsafe {
            let n = discover_preorder_next(self.raw, self.batch.as_mut_ptr(), cap as u32);
            self.batch.set_len(n as usize);
        }
        if self.batch.is_empty() {
            // SAFETY: `raw` is live until drop.
            assert!(
                !unsafe { discover_preorder_failed(self.raw) },
                "out of memory walking a tree"
            );
            return false;
        }
        true
    }
}

impl<'t> Iterator for Preorder<'t, '_> {
    type Item = Visit<'t>;

    // Always inlined: the call graph's walk takes a node per step, and whether the
    // compiler inlined this moved with unrelated changes elsewhere (12 M instructions).
    #[inline(always)]
    fn next(&mut self) -> Option<Visit<'t>> {
        if self.next == self.batch.len() && !self.refill() {
            return None;
        }
        let raw = self.batch[self.next];
        self.next += 1;
        Some(Visit {
            // SAFETY: the C walk builds each node from a live subtree of the root's tree.
            node: unsafe { Node::from_raw(raw.node) },
            depth: raw.depth,
            kind: raw.kind,
            field: (raw.field != 0).then_some(raw.field),
        })
    }
}

impl Drop for Preorder<'_, '_> {
    fn drop(&mut self) {
        // SAFETY: created in `new`, freed once here.
        unsafe { discover_preorder_delete(self.raw) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    type Seen = (u16, usize, usize, u32, Option<u16>, bool);

    /// What a cursor walk yields, pruned by the same flags.
    fn by_cursor(root: Node<'_>, flags: &[u8]) -> Vec<Seen> {
        by_cursor_to(root, flags, u32::MAX)
    }

    /// The same, down to `max_depth` levels below `root`.
    fn by_cursor_to(root: Node<'_>, flags: &[u8], max_depth: u32) -> Vec<Seen> {
        let flags_of = |kind: u16| flags.get(usize::from(kind)).copied().unwrap_or(0);
        let mut out = Vec::new();
        let mut cursor = root.walk();
        let mut depth = 0u32;
        // The flags of the nodes on the path from the root.
        let mut path: Vec<u8> = Vec::new();
        'walk: loop {
            let node = cursor.node();
            path.truncate(depth as usize);
            let reported_anyway =
                path.last().is_some_and(|f| f & REPORT_LEAVES != 0) && node.is_named();
            let quiet = depth > 0
                && node.child_count() == 0
                && flags_of(node.kind_id()) & QUIET_LEAF != 0
                && !reported_anyway;
            path.push(flags_of(node.kind_id()));
            if !quiet {
                out.push((
                    node.kind_id(),
                    node.start_byte(),
                    node.end_byte(),
                    depth,
                    cursor.field_id().map(|f| f.get()),
                    node.is_named(),
                ));
            }
            if depth < max_depth
                && flags_of(node.kind_id()) & NO_DESCEND == 0
                && cursor.goto_first_child()
            {
                depth += 1;
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
                depth -= 1;
            }
        }
        out
    }

    fn by_preorder(root: Node<'_>, flags: &[u8]) -> Vec<Seen> {
        by_preorder_to(root, flags, u32::MAX)
    }

    fn by_preorder_to(root: Node<'_>, flags: &[u8], max_depth: u32) -> Vec<Seen> {
        Preorder::to_depth(root, flags, max_depth)
            .map(|v| {
                assert_eq!(v.kind, v.node.kind_id());
                (
                    v.kind,
                    v.node.start_byte(),
                    v.node.end_byte(),
                    v.depth,
                    v.field,
                    v.node.is_named(),
                )
            })
            .collect()
    }

    fn same_as_cursor(path: &str, source: &str) {
        let lang = Lang::from_path(path).expect("a known extension");
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).expect("grammar loads");
        let tree = parser.parse(source, None).expect("parses");
        let root = tree.root_node();
        let none = vec![0u8; usize::from(u16::MAX) + 1];
        let everything = by_cursor(root, &none);
        assert_eq!(by_preorder(root, &none), everything, "{path}");
        // The tables the call graph and the bare anchor walk use, and every kind quiet.
        let anchors = vec![0u16; lang.grammar().node_kind_count()];
        let call_graph = crate::extract::calls::walk_flags(lang, &anchors, true);
        let bare = crate::extract::calls::walk_flags(lang, &anchors, false);
        let all_quiet = ALL_QUIET.to_vec();
        for (flags, what) in [
            (&call_graph, "call graph"),
            (&bare, "bare"),
            (&all_quiet, "quiet"),
        ] {
            let walked = by_preorder(root, flags);
            assert_eq!(walked, by_cursor(root, flags), "{path}, {what}");
            if source.contains('(') {
                assert!(
                    walked.len() < everything.len(),
                    "{path}, {what}: nothing left out"
                );
            }
        }
        // Every node's children, as pattern matching lists them.
        let mut cursor = root.walk();
        let mut listed = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            children(node, &mut listed);
            let mut expected = Vec::new();
            cursor.reset(node);
            if cursor.goto_first_child() {
                loop {
                    expected.push((cursor.node(), cursor.field_id().map(u16::from)));
                    if !cursor.goto_next_sibling() {
                        break;
                    }
                }
            }
            assert_eq!(listed, expected, "{path}: children of {node:?}");
            // A node's id does not say where it is or under which alias, so those are
            // compared too.
            let seen = |n: Option<Node<'_>>| {
                n.map(|n| {
                    (
                        n.id(),
                        n.start_byte(),
                        n.start_position(),
                        n.kind_id(),
                        n.end_byte(),
                    )
                })
            };
            let all_seen = |nodes: &mut dyn Iterator<Item = Node<'_>>| {
                nodes.map(|n| seen(Some(n))).collect::<Vec<_>>()
            };
            let by_cursor_all = all_seen(&mut expected.iter().map(|(child, _)| *child));
            assert_eq!(
                all_seen(&mut listed.iter().map(|(child, _)| *child)),
                by_cursor_all,
                "{path}: children of {node:?} (positions or aliases)"
            );
            assert_eq!(
                all_seen(&mut all_children(node).into_iter()),
                by_cursor_all,
                "{path}: all children of {node:?}"
            );
            let mut named_cursor = node.walk();
            assert_eq!(
                all_seen(&mut named_children(node).into_iter()),
                all_seen(&mut node.named_children(&mut named_cursor)),
                "{path}: named children of {node:?}"
            );
            assert_eq!(
                seen(parent(node)),
                seen(node.parent()),
                "{path}: parent of {node:?}"
            );
            assert_eq!(
                seen(prev_sibling(node)),
                seen(node.prev_sibling()),
                "{path}: previous sibling of {node:?}"
            );
            // Every field of the grammar (0 is none), looked up both ways.
            for field in 0..=lang.grammar().field_count() as u16 {
                assert_eq!(
                    seen(child_by_field(node, field)),
                    seen(node.child_by_field_id(field)),
                    "{path}: field {field} of {node:?}"
                );
            }
            // The ancestors, as tree-sitter's own descent finds them (what `Node::parent`
            // climbing gives).
            let mut by_descent = Vec::new();
            let mut current = root;
            while current != node {
                by_descent.push(current);
                match current.child_with_descendant(node) {
                    Some(child) => current = child,
                    None => break,
                }
            }
            by_descent.reverse();
            let found = ancestors(node);
            assert_eq!(found, by_descent, "{path}: ancestors of {node:?}");
            assert!(
                found
                    .iter()
                    .zip(&by_descent)
                    .all(|(a, b)| seen(Some(*a)) == seen(Some(*b))),
                "{path}: ancestors of {node:?} (positions or aliases)"
            );
            stack.extend(expected.iter().map(|(child, _)| *child));
        }
        // Cut at a depth, as `mounts` walks a module's top levels.
        for max_depth in [0, 1, 3] {
            assert_eq!(
                by_preorder_to(root, &all_quiet, max_depth),
                by_cursor_to(root, &all_quiet, max_depth),
                "{path}, to depth {max_depth}"
            );
        }
        // From an inner node, as the walk of a subtree.
        if let Some(inner) =
            root.named_child(u32::try_from(root.named_child_count().saturating_sub(1)).unwrap_or(0))
        {
            assert_eq!(
                by_preorder(inner, &none),
                by_cursor(inner, &none),
                "{path}, inner"
            );
            assert_eq!(
                by_preorder(inner, &call_graph),
                by_cursor(inner, &call_graph),
                "{path}, inner, call graph"
            );
        }
    }

    #[test]
    fn the_walk_matches_a_cursor_on_every_fixture() {
        let mut seen = 0;
        crate::extract::for_each_fixture(|path, _, text, _| {
            if let Ok(source) = std::str::from_utf8(text) {
                same_as_cursor(path, source);
                seen += 1;
            }
        });
        assert!(seen > 50, "only {seen} fixture files were walked");
    }

    #[test]
    fn the_walk_matches_a_cursor_on_broken_and_odd_input() {
        // Syntax errors, missing nodes, comments (extras) inside hidden rules, aliased
        // nodes (JSX names, TS property signatures), unicode and CRLF line ends.
        let cases = [
            (
                "a.ts",
                "function f(a: {b: string}) { return g(a) /* x */ + h?.(1) }\r\nclass C { m() {} }",
            ),
            (
                "a.tsx",
                "const X = () => <A.B c={d}>{/* c */}<e.f/>text</A.B>;\nexport default X",
            ),
            (
                "a.js",
                "if (a) { b( } else { c(); }\nconst ü = `${d(e)}`; // end",
            ),
            (
                "a.py",
                "def f(x):\n    return [g(y) for y in x if y]  # c\nclass A(B):\n  @d\n  def m(self): pass\n",
            ),
            ("a.py", "def broken(:\n    x = (1,\n"),
            ("a.jsx", "<div>{items.map(i => <Item key={i}/>)}</div>"),
            ("a.ts", ""),
            (
                "a.ts",
                "type T<A extends B = C> = { [K in keyof A]?: A[K] }; enum E { A = 1, B }",
            ),
        ];
        for (path, source) in cases {
            same_as_cursor(path, source);
        }
    }
}
