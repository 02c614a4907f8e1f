//! The `calls` extractor: the call graph of a file. Nodes are its functions, methods,
//! classes and components (and the module's own top-level code); each node lists the calls,
//! `new`s and JSX renders made in its body, with the callee resolved to a node of the same
//! file, or to the import it comes from, where the name allows.
//!
//! Unlike the other extractors this one has no query file: it needs every call site of the
//! file, and a hand-written walk over the whole tree costs a fraction of what a whole-tree
//! query pass does (measured on the bench corpus: a cursor walk +15% against +45% of the
//! parse time; the preorder walk of `preorder.rs` about two fifths of the cursor's cost).

use super::anchor::Anchor;
use super::mounts::Walked;
use super::preorder::{NO_DESCEND, Preorder, QUIET_LEAF, REPORT_LEAVES};
use super::react::{FactNode, body_facts, is_js_function, rendered_component, returns_jsx};
use super::scan::Scan;
use super::syntax::NodeExt;
use super::syntax::{concat, one_line, position, text, text_head};
use crate::lang::Lang;
use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use tree_sitter::Node;

/// Capture names: none, there is no query file.
pub const CAPTURES: &[&str] = &[];

const CALLEE_MAX: usize = 100;

/// Array methods whose callback runs once per element: a call in it runs in a loop.
const ITERATING: &[&str] = &[
    "map",
    "forEach",
    "flatMap",
    "filter",
    "reduce",
    "reduceRight",
    "some",
    "every",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CallNode {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// `path#Qualified.Name` (see the README, *Ids*): no line number, so stable while lines move.
    pub id: String,
    /// Qualified by the enclosing class or function: `Cart.add`, `outer.inner`;
    /// `<module>` for top-level code.
    #[serde(default = "crate::render::name_left_out")]
    pub name: String,
    pub kind: NodeKind,
    #[serde(default)]
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Module,
    /// A TypeScript namespace: its own top-level code, and the scope that qualifies what
    /// it defines (`Geometry.area`).
    Namespace,
    Function,
    Method,
    Class,
    Component,
}

/// One call site. In JSON an edge is `{"at": [line, column], "<kind>": callee, ...}`, its
/// `false` flags and absent names left out: a file has as many edges as calls, and they are
/// most of the output. The worker pipe (bincode, not self-describing) carries every field.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub line: u32,
    pub column: u32,
    pub kind: EdgeKind,
    /// The callee as written: `save`, `this.save`, `api.get`, `Foo.Bar`.
    pub callee: String,
    /// Inside an `if`/`else`, a `switch` case, a ternary branch, the right side of
    /// `&&`/`||`/`??`, or a `catch`/`except` block, within the node.
    pub conditional: bool,
    /// Inside a loop body, a comprehension, or a callback of `map`/`forEach`/`filter`/...
    pub in_loop: bool,
    /// The id of the definition the callee reaches (same file, or linked across files).
    pub target: Option<String>,
    /// For a callee imported from another module: the module as written in the import
    /// (`./api`, `react`, `.models`) and the name imported from it (`*` for a namespace).
    pub module: Option<String>,
    pub imported: Option<String>,
    /// The callee's first name is a parameter or variable that hides a name the file
    /// imports: it names no import.
    pub shadowed: bool,
}

impl Serialize for Edge {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        if !serializer.is_human_readable() {
            let mut out = serializer.serialize_struct("Edge", 9)?;
            out.serialize_field("line", &self.line)?;
            out.serialize_field("column", &self.column)?;
            out.serialize_field("kind", &self.kind)?;
            out.serialize_field("callee", &self.callee)?;
            out.serialize_field("conditional", &self.conditional)?;
            out.serialize_field("loop", &self.in_loop)?;
            out.serialize_field("target", &self.target)?;
            out.serialize_field("module", &self.module)?;
            out.serialize_field("imported", &self.imported)?;
            out.serialize_field("shadowed", &self.shadowed)?;
            return out.end();
        }
        EdgeJson {
            edge: self,
            binding: true,
        }
        .serialize(serializer)
    }
}

/// An edge as JSON: `{"at": [line, column], "<kind>": callee, ...}`; the renderer leaves
/// out `false` and `null` (`crate::render`). Without `binding`, the edge's `module` and
/// `imported` are its file's entry in the chunk's `imports` table, and left out.
struct EdgeJson<'a> {
    edge: &'a Edge,
    binding: bool,
}

impl Serialize for EdgeJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let edge = self.edge;
        let mut out = serializer.serialize_struct("Edge", 8)?;
        out.serialize_field("at", &(edge.line, edge.column))?;
        out.serialize_field(edge.kind.name(), &edge.callee)?;
        out.serialize_field("conditional", &edge.conditional)?;
        out.serialize_field("loop", &edge.in_loop)?;
        out.serialize_field("target", &edge.target)?;
        if self.binding {
            out.serialize_field("module", &edge.module)?;
            out.serialize_field("imported", &edge.imported)?;
        }
        out.serialize_field("shadowed", &edge.shadowed)?;
        out.end()
    }
}

/// The name of a callee that an import may bind: `api` of `api.get`, `save` of `save`.
pub fn import_name(callee: &str) -> &str {
    // `memchr` rather than `split('.')`, whose searcher cost more than the rest of looking
    // a callee up (it is asked for every call site and reference).
    memchr::memchr(b'.', callee.as_bytes()).map_or(callee, |dot| &callee[..dot])
}

/// A file's import bindings as the edges of its chunk file use them: local name →
/// (module as written, name imported).
pub type Bindings = std::collections::BTreeMap<String, (String, String)>;

/// Whether `edge`, read back from a chunk file without a `module`, takes its binding from
/// its file's `imports` table: unless a parameter or variable hides the import, or the
/// callee is a definition of the file itself (its target is `#Name`).
fn takes_binding(edge: &Edge, file: &str) -> bool {
    !edge.shadowed
        && edge
            .target
            .as_deref()
            .is_none_or(|t| !(t.starts_with(file) && t[file.len()..].starts_with('#')))
}

/// What the chunk file writes of one file's nodes: the bindings their edges share (one
/// entry per imported name, instead of a `module` and `imported` on every edge that
/// uses it), and the nodes, whose edges leave out what the table gives back.
pub fn chunk_view<'a>(file: &'a str, nodes: &[&'a CallNode]) -> (Bindings, Vec<NodeJson<'a>>) {
    // Gathered borrowed in hash maps (a look per edge), then sorted and owned once.
    let mut first: foldhash::HashMap<&str, (&str, &str)> = foldhash::HashMap::default();
    let mut unbound: foldhash::HashSet<&str> = foldhash::HashSet::default();
    for edge in nodes.iter().flat_map(|n| &n.edges) {
        if !takes_binding(edge, file) {
            continue;
        }
        match (&edge.module, &edge.imported) {
            (Some(module), Some(imported)) => {
                first
                    .entry(import_name(&edge.callee))
                    .or_insert((module.as_str(), imported.as_str()));
            }
            _ => {
                unbound.insert(import_name(&edge.callee));
            }
        }
    }
    // A name some edge would wrongly take a binding under (none the extractor makes)
    // stays on each edge instead.
    if !unbound.is_empty() {
        first.retain(|name, _| !unbound.contains(name));
    }
    let views = nodes
        .iter()
        .map(|node| NodeJson {
            node,
            edges: node
                .edges
                .iter()
                .map(|edge| {
                    let given = takes_binding(edge, file)
                        .then(|| first.get(import_name(&edge.callee)))
                        .flatten();
                    let binding = match (given, &edge.module, &edge.imported) {
                        (Some((m, i)), Some(module), Some(imported)) => {
                            m != module || i != imported
                        }
                        _ => true,
                    };
                    EdgeJson { edge, binding }
                })
                .collect(),
        })
        .collect();
    let table = first
        .into_iter()
        .map(|(name, (module, imported))| {
            (name.to_string(), (module.to_string(), imported.to_string()))
        })
        .collect();
    (table, views)
}

/// The bindings that `chunk_view` took out of the edges of `node`, read back from its
/// file's `imports` table.
pub fn restore_bindings(node: &mut CallNode, file: &str, table: &Bindings) {
    for edge in &mut node.edges {
        if edge.module.is_none()
            && takes_binding(edge, file)
            && let Some((module, imported)) = table.get(import_name(&edge.callee))
        {
            edge.module = Some(module.clone());
            edge.imported = Some(imported.clone());
        }
    }
}

/// A node as its chunk file writes it (`chunk_view`).
pub struct NodeJson<'a> {
    node: &'a CallNode,
    edges: Vec<EdgeJson<'a>>,
}

impl Serialize for NodeJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let node = self.node;
        let mut out = serializer.serialize_struct("CallNode", 6)?;
        out.serialize_field("line", &node.line)?;
        out.serialize_field("column", &node.column)?;
        out.serialize_field("id", &node.id)?;
        out.serialize_field("name", &node.name)?;
        out.serialize_field("kind", &node.kind)?;
        out.serialize_field("edges", &self.edges)?;
        out.end()
    }
}

/// The `calls/<chunk>.json` of a chunk's nodes (grouped by file, each file's in order, with
/// the `imports` tables `chunk_view` made), written directly: the same bytes as
/// `render::chunk_json_bytes` of `{extractor, version, chunk, imports, files}` with relative
/// ids and qualified names (debug builds check it on every write), at a fraction of the
/// cost. Call graphs are about half of a state's bytes, and driving serde through the
/// generic formatter, which holds every key and string to decide what to leave out, cost
/// about 3% of a full run.
pub fn render_chunk(
    extractor: &str,
    version: u32,
    chunk: &str,
    imports: &std::collections::BTreeMap<&str, Bindings>,
    files: &[(&str, Vec<NodeJson<'_>>)],
) -> Vec<u8> {
    use crate::render::write_str;
    let size: usize = files
        .iter()
        .map(|(_, nodes)| nodes.iter().map(|n| 64 + 64 * n.edges.len()).sum::<usize>())
        .sum();
    let mut out = Vec::with_capacity(size + 256);
    crate::render::chunk_head(&mut out, extractor, version, chunk);
    if !imports.is_empty() {
        out.extend_from_slice(b",\n\"imports\":{");
        for (i, (file, table)) in imports.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            write_str(&mut out, file);
            out.extend_from_slice(b":{");
            for (j, (name, (module, imported))) in table.iter().enumerate() {
                out.extend_from_slice(if j == 0 { b"\n" } else { b",\n" });
                write_str(&mut out, name);
                out.extend_from_slice(b":[");
                write_str(&mut out, module);
                out.push(b',');
                write_str(&mut out, imported);
                out.push(b']');
            }
            out.extend_from_slice(if table.is_empty() { b"}" } else { b"\n}" });
        }
        out.extend_from_slice(b"\n}");
    }
    crate::render::chunk_files(&mut out, files, |out, node, file| node.write(out, file));
    out
}

impl NodeJson<'_> {
    /// The node's line: what `Serialize` gives, through the chunk layout's rules (false,
    /// null and empty left out, own ids as `#Name`, a name the id gives left out).
    fn write(&self, out: &mut Vec<u8>, file: &str) {
        use crate::render::{Names, write_id, write_name};
        let node = self.node;
        crate::render::item_head(out, node.line, node.column);
        let qualified = write_id(out, &node.id, file);
        write_name(out, qualified, Names::Qualified, &node.name);
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(node.kind.name().as_bytes());
        out.push(b'"');
        if !self.edges.is_empty() {
            out.extend_from_slice(b",\"edges\":[");
            for (i, edge) in self.edges.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                edge.write(out, file);
            }
            out.extend_from_slice(b"\n]");
        }
        out.push(b'}');
    }
}

impl EdgeJson<'_> {
    fn write(&self, out: &mut Vec<u8>, file: &str) {
        use crate::render::{own_id, write_str, write_u32};
        let edge = self.edge;
        out.extend_from_slice(b"{\"at\":[");
        write_u32(out, edge.line);
        out.push(b',');
        write_u32(out, edge.column);
        out.extend_from_slice(b"],\"");
        out.extend_from_slice(edge.kind.name().as_bytes());
        out.extend_from_slice(b"\":");
        write_str(out, &edge.callee);
        if edge.conditional {
            out.extend_from_slice(b",\"conditional\":true");
        }
        if edge.in_loop {
            out.extend_from_slice(b",\"loop\":true");
        }
        if let Some(target) = &edge.target {
            out.extend_from_slice(b",\"target\":");
            write_str(out, own_id(target, file).unwrap_or(target));
        }
        if self.binding {
            if let Some(module) = &edge.module {
                out.extend_from_slice(b",\"module\":");
                write_str(out, module);
            }
            if let Some(imported) = &edge.imported {
                out.extend_from_slice(b",\"imported\":");
                write_str(out, imported);
            }
        }
        if edge.shadowed {
            out.extend_from_slice(b",\"shadowed\":true");
        }
        out.push(b'}');
    }
}

impl<'de> Deserialize<'de> for Edge {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            line: u32,
            column: u32,
            kind: EdgeKind,
            callee: String,
            conditional: bool,
            #[serde(rename = "loop")]
            in_loop: bool,
            target: Option<String>,
            module: Option<String>,
            imported: Option<String>,
            shadowed: bool,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Json {
            at: (u32, u32),
            call: Option<String>,
            new: Option<String>,
            render: Option<String>,
            reference: Option<String>,
            #[serde(default)]
            conditional: bool,
            #[serde(default, rename = "loop")]
            in_loop: bool,
            target: Option<String>,
            module: Option<String>,
            imported: Option<String>,
            #[serde(default)]
            shadowed: bool,
        }
        if !deserializer.is_human_readable() {
            let w = Wire::deserialize(deserializer)?;
            return Ok(Edge {
                line: w.line,
                column: w.column,
                kind: w.kind,
                callee: w.callee,
                conditional: w.conditional,
                in_loop: w.in_loop,
                target: w.target,
                module: w.module,
                imported: w.imported,
                shadowed: w.shadowed,
            });
        }
        let j = Json::deserialize(deserializer)?;
        let (kind, callee) = match (j.call, j.new, j.render, j.reference) {
            (Some(callee), None, None, None) => (EdgeKind::Call, callee),
            (None, Some(callee), None, None) => (EdgeKind::New, callee),
            (None, None, Some(callee), None) => (EdgeKind::Render, callee),
            (None, None, None, Some(callee)) => (EdgeKind::Reference, callee),
            _ => {
                return Err(serde::de::Error::custom(
                    "an edge names its callee under exactly one of `call`, `new`, `render`, `reference`",
                ));
            }
        };
        Ok(Edge {
            line: j.at.0,
            column: j.at.1,
            kind,
            callee,
            conditional: j.conditional,
            in_loop: j.in_loop,
            target: j.target,
            module: j.module,
            imported: j.imported,
            shadowed: j.shadowed,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    Call,
    New,
    Render,
    /// A definition passed as a value: an argument (`items.map(format)`,
    /// `Depends(get_db)`), a JSX attribute (`onClick={save}`).
    Reference,
}

impl NodeKind {
    /// As JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Module => "module",
            NodeKind::Namespace => "namespace",
            NodeKind::Function => "function",
            NodeKind::Method => "method",
            NodeKind::Class => "class",
            NodeKind::Component => "component",
        }
    }
}

impl EdgeKind {
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::Call => "call",
            EdgeKind::New => "new",
            EdgeKind::Render => "render",
            EdgeKind::Reference => "reference",
        }
    }
}

/// Where a visited node sits: the graph node that owns its calls, and whether it runs
/// conditionally or repeatedly within that node.
#[derive(Clone, Copy)]
struct Context {
    owner: usize,
    /// The innermost anonymous function (callback, IIFE, lambda) around the node within
    /// its owner: an index into the walk's scopes, 0 for none.
    scope: usize,
    conditional: bool,
    in_loop: bool,
}

/// An anonymous function's scope: the names it binds (parameters, variables, definitions
/// made in it) are seen only inside it.
struct Scope<'s> {
    /// The anonymous function around this one within the same owner (0: none).
    parent: usize,
    /// Parameters and variables.
    locals: Vec<&'s str>,
    /// Definitions made in it, by their simple name; `None` for a name made twice.
    defs: Vec<(String, Option<usize>)>,
}

struct Def<'s> {
    /// Parameters and local variables, which shadow outer definitions of the same name
    /// (borrowed from the source: most definitions have some, and each was an allocation).
    locals: Vec<&'s str>,
    name: String,
    kind: NodeKind,
    line: u32,
    column: u32,
    /// Index of the definition whose body holds this one.
    parent: usize,
    /// The anonymous function of `parent` it is made in (0: directly in its body).
    scope: usize,
    /// Whether its name is a binding a bare name can refer to: an object literal's method
    /// (`{ save() { … } }`) is a node of the graph, but `save` elsewhere is not it.
    bindable: bool,
}

/// Walks the whole tree once, with `flags` (`walk_flags(lang, anchor_table, true)`); on the
/// way, the nodes whose kind has bits in `anchor_table` are collected into `anchors` for
/// the other extractors.
///
/// With `walked`, the nodes finding the file's routers reads (`mounts::walked_kinds`), to
/// `mounts::MAX_DEPTH` levels, are collected there too, each with its scope: the same
/// nodes and scopes as that search's own walk would visit (the walks are pruned alike),
/// without walking the tree again. With `fact_nodes`, so are the calls and JSX elements
/// components' and hooks' facts are read from (`react::body_facts_from`).
pub fn extract<'t>(
    scan: &mut Scan<'_, 't>,
    anchor_table: &[u16],
    flags: &[u8],
    anchors: &mut Vec<Anchor<'t>>,
    mut walked: Option<&mut Vec<Walked<'t>>>,
    mut fact_nodes: Option<&mut Vec<FactNode<'t>>>,
) -> Vec<CallNode> {
    let source = scan.text;
    let lang = scan.lang;
    let path = scan.path;
    let root = scan.root;
    // Local name → (module as written, name imported from it, `*` for the module itself,
    // `default` for a default import); a later import of the same name wins.
    let imports: HashMap<&str, (&str, &str)> = scan
        .imports()
        .bindings()
        .map(|b| (b.local.as_str(), (b.module.as_str(), b.imported.as_str())))
        .collect();
    let mut defs: Vec<Def<'_>> = vec![Def {
        locals: Vec::new(),
        name: "<module>".to_string(),
        kind: NodeKind::Module,
        line: 0,
        column: 0,
        parent: 0,
        scope: 0,
        bindable: false,
    }];
    // Anonymous functions' scopes; 0 stands for none.
    let mut scopes: Vec<Scope<'_>> = vec![Scope {
        parent: 0,
        locals: Vec::new(),
        defs: Vec::new(),
    }];
    // Sites are collected with the callee node's text; resolution runs once all
    // definitions of the file are known.
    // The lists the walk fills are sized from the file's length, at about what 90% of the
    // sample's files need per kilobyte (`sites`: 15, `refs`: 6, anchors and facts: 18 to 20;
    // a path 4 to 11 deep): growing them by doubling cost 0.2% of a run in copies.
    let per_kb = |n: usize| source.len() / 1024 * n + 8;
    anchors.reserve(per_kb(20));
    if let Some(found) = fact_nodes.as_deref_mut() {
        found.reserve(per_kb(20));
    }
    let mut sites: Vec<(usize, usize, Edge)> = Vec::with_capacity(per_kb(15));
    // Values that may pass a definition: kept as nodes, and made edges only when they
    // name one (most arguments are variables).
    let mut refs: Vec<(usize, usize, Node<'_>, Context)> = Vec::with_capacity(per_kb(6));
    // The context of each node on the path from the root, with the node itself: a child's
    // parent is the top of the stack (`Node::parent` would search down from the root).
    let mut path_stack: Vec<Frame<'_>> = Vec::with_capacity(64);
    let tables = kind_tables(lang);
    let walked_kinds = super::mounts::walked_kinds(lang);
    let walked_depth = u32::try_from(super::mounts::MAX_DEPTH).unwrap_or(u32::MAX);
    let fact_kinds = super::react::fact_kinds(lang);
    for (visited, visit) in Preorder::new(root, flags).enumerate() {
        // The stack holds the visible ancestors: as many as the node's depth.
        path_stack.truncate(visit.depth as usize);
        let node = visit.node;
        let kind = usize::from(visit.kind);
        if let Some(found) = fact_nodes.as_deref_mut()
            && fact_kinds.reads(visit.kind)
        {
            found.push(FactNode {
                start: u32::try_from(node.start_byte()).unwrap_or(u32::MAX),
                end: u32::try_from(node.end_byte()).unwrap_or(u32::MAX),
                kind: visit.kind,
                node,
            });
        }
        // The scope the routers' search sees this node in; that walk visits no token, so a
        // childless node (the root aside) is not among its nodes.
        let outer_scope = path_stack.last().map_or(0, |f| f.scope);
        if let Some(walked) = walked.as_deref_mut()
            && visit.depth <= walked_depth
            && walked_kinds.reads.get(kind) == Some(&true)
            && (visit.depth == 0 || node.child_count() > 0)
        {
            walked.push(Walked {
                node,
                depth: visit.depth,
                scope: outer_scope
                    .checked_sub(1)
                    .map(|at| path_stack[at as usize].node),
            });
        }
        let mut context = path_stack.last().map_or(
            Context {
                owner: 0,
                scope: 0,
                conditional: false,
                in_loop: false,
            },
            |f| f.context,
        );
        // Python evaluates a `def`'s parameter defaults and annotations when the `def` runs,
        // in the enclosing scope (like its decorators): their calls are the enclosing
        // node's, not the function's.
        if lang == Lang::Python
            && let Some(parent) = path_stack.last()
            && parent.defines
            && visit.field.is_some()
            && (visit.field == tables.fields.parameters || visit.field == tables.fields.return_type)
        {
            context.scope = defs[context.owner].scope;
            context.owner = defs[context.owner].parent;
        }
        Anchor::record(&visit, anchor_table, anchors);
        if let Some(parent) = path_stack.last()
            && parent.effect != Effect::None
        {
            let grandparent = path_stack.len().checked_sub(2).map(|i| path_stack[i].node);
            adjust(
                &mut context,
                parent.effect,
                parent.node,
                grandparent,
                node,
                visit.field,
                tables,
                source,
            );
        }
        // A named child of a value holder may name a definition it passes: `format` in
        // `items.map(format)`, `get_db` in `Depends(get_db)` or `handler=get_db`. The walk
        // hands these children out, identifiers included (`REPORT_LEAVES`).
        if let Some(frame) = path_stack.last()
            && let Some(at) = frame.holder
            && node.is_named()
        {
            // Python `handler=get_db`: the keyword's value.
            let value = if visit.kind == tables.kinds.keyword_argument {
                node.child_by_field_id_opt(tables.fields.value)
            } else {
                Some(node)
            };
            if let Some(value) = value
                && tables.is_reference.get(usize::from(value.kind_id())) == Some(&true)
            {
                refs.push((frame.context.owner, frame.context.scope, value, at));
            }
        }
        let mut defines = false;
        let mut holder = None;
        match tables.role.get(kind).copied().unwrap_or(Role::None) {
            Role::Definition => {
                let in_scope = context.scope != 0;
                match definition(
                    node,
                    &path_stack,
                    source,
                    lang,
                    &defs,
                    context.owner,
                    in_scope,
                ) {
                    Some(Found::Node(name, kind, at)) => {
                        let (line, column) = position(at);
                        let locals = parameter_names(node, source, tables);
                        let bindable = !(node.kind_str() == "method_definition"
                            && path_stack
                                .last()
                                .is_some_and(|f| f.node.kind_str() == "object"));
                        if in_scope && bindable {
                            let owner = &defs[context.owner];
                            let simple = if context.owner == 0 {
                                name.clone()
                            } else {
                                name[owner.name.len() + 1..].to_string()
                            };
                            let made = &mut scopes[context.scope].defs;
                            match made.iter_mut().find(|(n, _)| *n == simple) {
                                Some((_, found)) => *found = None,
                                None => made.push((simple, Some(defs.len()))),
                            }
                        }
                        defs.push(Def {
                            locals,
                            name,
                            kind,
                            line,
                            column,
                            parent: context.owner,
                            scope: context.scope,
                            bindable,
                        });
                        context = Context {
                            owner: defs.len() - 1,
                            scope: 0,
                            conditional: false,
                            in_loop: false,
                        };
                        defines = true;
                    }
                    Some(Found::Locals(names)) => {
                        if in_scope {
                            scopes[context.scope].locals.extend(names);
                        } else {
                            defs[context.owner].locals.extend(names);
                        }
                    }
                    None if tables.opens_scope.get(kind) == Some(&true) => {
                        // An anonymous function: what it binds is its own, its own name
                        // (`function retry() { retry() }`) included.
                        let mut locals = parameter_names(node, source, tables);
                        if let Some(name) = node.child_by_field_id_opt(tables.fields.name) {
                            locals.push(text(name, source));
                        }
                        scopes.push(Scope {
                            parent: context.scope,
                            locals,
                            defs: Vec::new(),
                        });
                        context.scope = scopes.len() - 1;
                    }
                    Some(Found::Block(names)) => {
                        // `catch (e) { … }`, `for (const x of xs) …`, a comprehension: names
                        // seen only inside it.
                        scopes.push(Scope {
                            parent: context.scope,
                            locals: names,
                            defs: Vec::new(),
                        });
                        context.scope = scopes.len() - 1;
                    }
                    None => {}
                }
            }
            Role::Site => {
                if let Some(edge) = site(node, source, lang, context) {
                    sites.push((context.owner, context.scope, edge));
                }
            }
            Role::Values => {
                let parent = path_stack.last().map(|f| f.node);
                holder = holder_context(node, parent, source, context, tables);
            }
            Role::None => {}
        }
        // A walk over a big file is long; poll the budget every few thousand nodes.
        if visited % 4096 == 4095 && scan.over_budget() {
            return Vec::new();
        }
        // The node's children, if the walk goes below it, come next with this frame on top.
        path_stack.push(Frame {
            context,
            node,
            // ERROR nodes have a kind id past the tables.
            effect: tables.effect.get(kind).copied().unwrap_or(Effect::None),
            defines,
            holder,
            scope: if walked.is_some() && walked_kinds.scopes.get(kind) == Some(&true) {
                // This frame's place in the stack, plus one.
                u32::try_from(path_stack.len() + 1).unwrap_or(0)
            } else {
                outer_scope
            },
        });
    }

    // A name defined twice in the file (a Python property's setter, a redefinition under
    // `if`) names no single definition: such a callee gets no target.
    let mut index: HashMap<&str, Option<usize>> = HashMap::default();
    for (i, d) in defs.iter().enumerate().skip(1).filter(|(_, d)| d.bindable) {
        index
            .entry(d.name.as_str())
            .and_modify(|found| *found = None)
            .or_insert(Some(i));
    }
    let index: HashMap<&str, usize> = index
        .into_iter()
        .filter_map(|(name, found)| Some((name, found?)))
        .collect();
    let ids = definition_ids(path, &defs);
    // What a name means where it is written: a definition of the file (its index), an
    // import (module, name), or nothing the graph can hold (`None`: hidden by a binding,
    // or, for a reference, neither defined nor imported).
    // The qualified names `resolve_local` looks up are built in one buffer for the file.
    let mut key = String::new();
    let mut meaning = |callee: &str, owner: usize, scope: usize, reference: bool| {
        match resolve_local(
            callee,
            (owner, scope),
            (&defs, &scopes),
            &index,
            lang,
            &mut key,
        ) {
            Local::Definition(target) => Some(Meaning::Definition(target)),
            // A parameter or local variable of that name: whatever the file imports under
            // it is not what this names.
            Local::Shadowed => (!reference).then(|| {
                if imports.contains_key(import_name(callee)) {
                    Meaning::Shadowed
                } else {
                    Meaning::Nothing
                }
            }),
            Local::Unknown => {
                match imports.get(import_name(callee)) {
                    // A module object passed whole names no definition.
                    Some((_, "*")) if reference && !callee.contains('.') => None,
                    // `*` for a module object (`import * as ns`, `const m = require(…)`,
                    // Python `import m`): the callee's next name is the module's.
                    Some(&(module, imported)) => Some(Meaning::Import(module, imported)),
                    // A value that is neither a definition of the file nor imported (a
                    // variable, a global) is no reference this graph can hold.
                    None if reference => None,
                    None => Some(Meaning::Nothing),
                }
            }
        }
    };
    // Each definition's edges, allocated once: at most a site or reference each.
    let mut counts = vec![0usize; defs.len()];
    for &(owner, ..) in &sites {
        counts[owner] += 1;
    }
    for &(owner, ..) in &refs {
        counts[owner] += 1;
    }
    let mut edges: Vec<Vec<Edge>> = counts.into_iter().map(Vec::with_capacity).collect();
    let mut place = |owner: usize, mut edge: Edge, meaning: Meaning<'_>| {
        match meaning {
            Meaning::Definition(target) => {
                // Python instantiates a class by calling it.
                if lang == Lang::Python
                    && edge.kind == EdgeKind::Call
                    && defs[target].kind == NodeKind::Class
                {
                    edge.kind = EdgeKind::New;
                }
                edge.target = Some(ids[target].clone());
            }
            Meaning::Import(module, imported) => {
                edge.module = Some(module.to_string());
                edge.imported = Some(imported.to_string());
            }
            Meaning::Shadowed => edge.shadowed = true,
            Meaning::Nothing => {}
        }
        edges[owner].push(edge);
    };
    for (owner, scope, edge) in sites {
        if let Some(found) = meaning(&edge.callee, owner, scope, false) {
            place(owner, edge, found);
        }
    }
    for (owner, scope, node, at) in refs {
        let Some(callee) = reference_text(node, source) else {
            continue;
        };
        if let Some(found) = meaning(callee, owner, scope, true) {
            let (line, column) = position(node);
            let edge = Edge {
                line,
                column,
                kind: EdgeKind::Reference,
                callee: callee.to_string(),
                conditional: at.conditional,
                in_loop: at.in_loop,
                target: None,
                module: None,
                imported: None,
                shadowed: false,
            };
            place(owner, edge, found);
        }
    }
    let mut out = Vec::with_capacity(defs.len());
    for ((def, mut list), id) in defs.into_iter().zip(edges).zip(ids) {
        if matches!(def.kind, NodeKind::Module | NodeKind::Namespace) && list.is_empty() {
            continue;
        }
        list.sort();
        list.dedup();
        out.push(CallNode {
            file: path.to_string(),
            line: def.line,
            column: def.column,
            id,
            name: def.name,
            kind: def.kind,
            edges: list,
        });
    }
    out
}

/// Each definition's stable id, `path#Qualified.Name`: the qualified name, in which a
/// definition whose qualified name an earlier one already has (a redefinition, a property
/// setter, a getter/setter pair) carries `~2`, `~3`, ... in source order, as do the
/// definitions nested in it. No line number: inserting lines moves no id.
fn definition_ids(path: &str, defs: &[Def<'_>]) -> Vec<String> {
    let mut seen: HashMap<String, u32> = HashMap::default();
    let mut qualified: Vec<String> = Vec::with_capacity(defs.len());
    for (i, def) in defs.iter().enumerate() {
        if i == 0 {
            qualified.push(def.name.clone());
            continue;
        }
        let mut name = if def.parent == 0 {
            def.name.clone()
        } else {
            let parent = &defs[def.parent];
            let simple = &def.name[parent.name.len() + 1..];
            concat(&[&qualified[def.parent], ".", simple])
        };
        let count = seen.entry(name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            name = format!("{name}~{count}");
        }
        qualified.push(name);
    }
    qualified
        .into_iter()
        .map(|name| concat(&[path, "#", &name]))
        .collect()
}

/// A node on the walk's path from the root, with the context its children start from and
/// how it changes theirs.
struct Frame<'t> {
    context: Context,
    node: Node<'t>,
    effect: Effect,
    /// The node is a definition whose node this walk created (its `context.owner`).
    defines: bool,
    /// For a value holder whose children may pass definitions (`holder_context`), the
    /// context of what they pass.
    holder: Option<Context>,
    /// When the routers' nodes are collected: the innermost node opening a scope, this one
    /// included, among the node and its ancestors (`mounts::scope_of`), as its frame's
    /// place in the stack plus one (0: none). An index keeps the frame small.
    scope: u32,
}

/// What a node is to the walk, by kind: comparing kind ids is what keeps the walk cheap,
/// as a kind's name costs a string comparison per node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    None,
    Definition,
    Site,
    /// A call's arguments or a JSX attribute's `{…}`: where a definition is passed as a
    /// value.
    Values,
}

/// How a parent of some kind changes the context of its children.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    None,
    /// `if` and ternaries: all but the condition run conditionally.
    UnlessCondition,
    /// Python's `a if cond else b`: the first and last operands.
    PythonConditional,
    /// `&&`, `||`, `??`, `and`, `or`: the right side.
    ShortCircuit,
    /// Every child: a `case`, `else`, `catch` or `except` block.
    Conditional,
    /// Every child but a `for`'s initializer and a `for … of` iterable, which run once.
    Loop,
    /// `for … in` (JS): the body.
    LoopBody,
    /// Comprehensions: every child.
    Repeated,
    /// A call's arguments: a callback of `items.map(...)` runs once per item.
    Arguments,
}

/// Field ids of the fields the walk reads: looking a field up by name compares it with
/// every field name of the grammar.
struct Fields {
    attribute: Option<u16>,
    declaration: Option<u16>,
    function: Option<u16>,
    left: Option<u16>,
    name: Option<u16>,
    object: Option<u16>,
    operator: Option<u16>,
    parameter: Option<u16>,
    parameters: Option<u16>,
    property: Option<u16>,
    return_type: Option<u16>,
    value: Option<u16>,
}

trait ChildByField<'t> {
    /// The child in field `id`; `None` as well when the grammar has no such field.
    fn child_by_field_id_opt(&self, id: Option<u16>) -> Option<Node<'t>>;
}

impl<'t> ChildByField<'t> for Node<'t> {
    fn child_by_field_id_opt(&self, id: Option<u16>) -> Option<Node<'t>> {
        super::preorder::child_by_field(*self, id?)
    }
}

/// The node kinds that hold or name passed values, by id.
struct ValueKinds {
    jsx_expression: u16,
    jsx_attribute: u16,
    argument_list: u16,
    arguments: u16,
    keyword_argument: u16,
    class_definition: u16,
    member_expression: u16,
}

struct KindTables {
    fields: Fields,
    role: Vec<Role>,
    effect: Vec<Effect>,
    is_function: Vec<bool>,
    /// Kinds that name a definition when passed as a value: identifiers and dotted names.
    is_reference: Vec<bool>,
    /// Function kinds that, when no definition names them, are anonymous functions with a
    /// scope of their own.
    opens_scope: Vec<bool>,
    /// Kind ids `references` compares with (0 where the grammar has no such kind).
    kinds: ValueKinds,
    /// Kinds whose subtrees hold no call, `new`, render or definition, and no node any
    /// anchored query starts at: types and plain strings.
    skip: Vec<bool>,
    /// Walk flags for reading calls and JSX elements alone: `skip` and no tokens.
    no_tokens: Vec<u8>,
    /// `no_tokens`, and nothing below a function either.
    no_functions: Vec<u8>,
    /// What `parameter_names` does at a named node of each kind.
    parameters: Vec<ParameterKind>,
    condition: Option<u16>,
    right: Option<u16>,
    left: Option<u16>,
    initializer: Option<u16>,
    body: Option<u16>,
}

const DEFINITIONS: &[&str] = &[
    "variable_declarator",
    "assignment",
    "function_declaration",
    "generator_function_declaration",
    "generator_function",
    "method_definition",
    "class_declaration",
    "abstract_class_declaration",
    "arrow_function",
    "function_expression",
    "function",
    "class",
    "function_definition",
    "class_definition",
    "internal_module",
    "lambda",
    "for_statement",
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "generator_expression",
    "as_pattern",
    "for_in_statement",
    "catch_clause",
];

const SITES: &[&str] = &[
    "call_expression",
    "new_expression",
    "jsx_opening_element",
    "jsx_self_closing_element",
    "call",
];

const EFFECTS: &[(&str, Effect)] = &[
    ("if_statement", Effect::UnlessCondition),
    ("ternary_expression", Effect::UnlessCondition),
    ("conditional_expression", Effect::PythonConditional),
    ("binary_expression", Effect::ShortCircuit),
    ("boolean_operator", Effect::ShortCircuit),
    ("switch_case", Effect::Conditional),
    ("switch_default", Effect::Conditional),
    ("catch_clause", Effect::Conditional),
    ("except_clause", Effect::Conditional),
    ("case_clause", Effect::Conditional),
    ("elif_clause", Effect::Conditional),
    ("else_clause", Effect::Conditional),
    ("except_group_clause", Effect::Conditional),
    ("for_statement", Effect::Loop),
    ("while_statement", Effect::Loop),
    ("do_statement", Effect::Loop),
    ("for_in_statement", Effect::LoopBody),
    ("list_comprehension", Effect::Repeated),
    ("set_comprehension", Effect::Repeated),
    ("dictionary_comprehension", Effect::Repeated),
    ("generator_expression", Effect::Repeated),
    ("arguments", Effect::Arguments),
];

/// TypeScript's type syntax and JavaScript's plain strings (template strings and Python
/// strings can hold calls, and are walked). The walk also collects the other extractors'
/// anchors, so no query may start at a node that only occurs inside these; a query that
/// did would find less in a full run than alone, which the catalogue test
/// `whole_catalogue_in_one_run` shows against the `--only` expectations.
const SKIPPED: &[&str] = &[
    "type_annotation",
    "type_arguments",
    "type_parameters",
    "interface_declaration",
    "type_alias_declaration",
];

/// Named tokens: not asking a leaf for its first child saves a call per node, and most
/// nodes are leaves.
const LEAVES: &[&str] = &[
    "identifier",
    "property_identifier",
    "shorthand_property_identifier",
    "private_property_identifier",
    "type_identifier",
    "statement_identifier",
    "number",
    "integer",
    "float",
    "string_fragment",
    "string_content",
    "escape_sequence",
    "comment",
    "this",
    "super",
    "true",
    "false",
    "null",
    "undefined",
    "none",
    "predefined_type",
    "regex_pattern",
    "regex_flags",
    "jsx_text",
];

/// By kind id, how a walk is pruned (the flags of [`Preorder`]): it need not descend into
/// tokens and subtrees without calls, definitions or any node an anchored query starts at,
/// and need not hand out tokens that neither anchor a query (bits in `anchor_table`) nor,
/// for the call graph, play a role in it.
pub fn walk_flags(lang: Lang, anchor_table: &[u16], call_graph: bool) -> Vec<u8> {
    let tables = kind_tables(lang);
    (0..tables.skip.len())
        .map(|kind| {
            let read = anchor_table.get(kind).is_some_and(|&mask| mask != 0)
                || (call_graph && tables.role[kind] != Role::None);
            let descend = if tables.skip[kind] { NO_DESCEND } else { 0 };
            // A value holder's children are read as they are visited (`holder_context`),
            // the identifiers among them included.
            let holder = if call_graph && tables.role[kind] == Role::Values {
                REPORT_LEAVES
            } else {
                0
            };
            descend | holder | if read { 0 } else { QUIET_LEAF }
        })
        .collect()
}

fn kind_tables(lang: Lang) -> &'static KindTables {
    static TABLES: [OnceLock<KindTables>; Lang::COUNT] = [const { OnceLock::new() }; Lang::COUNT];
    TABLES[lang.index()].get_or_init(|| {
        let language = lang.grammar();
        let count = language.node_kind_count();
        let field = |name: &str| language.field_id_for_name(name).map(u16::from);
        let mut tables = KindTables {
            fields: Fields {
                attribute: field("attribute"),
                declaration: field("declaration"),
                function: field("function"),
                left: field("left"),
                name: field("name"),
                object: field("object"),
                operator: field("operator"),
                parameter: field("parameter"),
                parameters: field("parameters"),
                property: field("property"),
                return_type: field("return_type"),
                value: field("value"),
            },
            role: vec![Role::None; count],
            effect: vec![Effect::None; count],
            is_function: vec![false; count],
            is_reference: vec![false; count],
            opens_scope: vec![false; count],
            kinds: ValueKinds {
                jsx_expression: language.id_for_node_kind("jsx_expression", true),
                jsx_attribute: language.id_for_node_kind("jsx_attribute", true),
                argument_list: language.id_for_node_kind("argument_list", true),
                arguments: language.id_for_node_kind("arguments", true),
                keyword_argument: language.id_for_node_kind("keyword_argument", true),
                class_definition: language.id_for_node_kind("class_definition", true),
                member_expression: language.id_for_node_kind("member_expression", true),
            },
            skip: vec![false; count],
            no_tokens: Vec::new(),
            no_functions: Vec::new(),
            parameters: vec![ParameterKind::Descend; count],
            condition: field("condition"),
            right: field("right"),
            left: field("left"),
            initializer: field("initializer"),
            body: field("body"),
        };
        for id in 0..count {
            let Ok(id16) = u16::try_from(id) else {
                break;
            };
            // Anonymous nodes are tokens, without children.
            if !language.node_kind_is_named(id16) {
                tables.skip[id] = true;
                continue;
            }
            let Some(name) = language.node_kind_for_id(id16) else {
                continue;
            };
            tables.parameters[id] = ParameterKind::of(name);
            if DEFINITIONS.contains(&name) {
                tables.role[id] = Role::Definition;
            } else if SITES.contains(&name) {
                tables.role[id] = Role::Site;
            } else if VALUE_HOLDERS.contains(&name) {
                tables.role[id] = Role::Values;
            }
            tables.is_reference[id] = REFERENCES.contains(&name);
            tables.opens_scope[id] = is_js_function(name) || name == "lambda";
            if let Some((_, effect)) = EFFECTS.iter().find(|(k, _)| *k == name) {
                tables.effect[id] = *effect;
            }
            tables.is_function[id] = is_js_function(name);
            tables.skip[id] = SKIPPED.contains(&name)
                || LEAVES.contains(&name)
                || (lang.is_js_like() && name == "string");
        }
        tables.no_tokens = (tables.skip.iter())
            .map(|&skip| QUIET_LEAF | if skip { NO_DESCEND } else { 0 })
            .collect();
        tables.no_functions = (tables.no_tokens.iter().zip(&tables.is_function))
            .map(|(&flags, &function)| flags | if function { NO_DESCEND } else { 0 })
            .collect();
        tables
    })
}

/// Whether a function's body calls a hook: with a capitalised name, that makes it a
/// component whatever it returns (the components extractor's rule).
fn calls_hooks(function: Node<'_>, source: &[u8], lang: Lang) -> bool {
    function.field("body").is_some_and(|body| {
        !body_facts(body, source, lang, no_tokens(lang))
            .hooks
            .is_empty()
    })
}

/// Walk flags for a walk that reads calls, `new`s and JSX elements and no token: types and
/// plain strings are not descended into and no childless node is handed out.
pub fn no_tokens(lang: Lang) -> &'static [u8] {
    &kind_tables(lang).no_tokens
}

/// By kind id: whether the kind is a function (`is_js_function`).
pub(crate) fn function_kinds(lang: Lang) -> &'static [bool] {
    &kind_tables(lang).is_function
}

/// [`no_tokens`], and nothing below a function.
pub fn no_tokens_nor_functions(lang: Lang) -> &'static [u8] {
    &kind_tables(lang).no_functions
}

/// Marks a node conditional or looping by its place in its parent.
#[expect(clippy::too_many_arguments, reason = "the walk's view of one node")]
fn adjust(
    context: &mut Context,
    effect: Effect,
    parent: Node<'_>,
    grandparent: Option<Node<'_>>,
    node: Node<'_>,
    field: Option<u16>,
    tables: &KindTables,
    source: &[u8],
) {
    let fields = &tables.fields;
    match effect {
        Effect::None => {}
        Effect::UnlessCondition => {
            if field != tables.condition || field.is_none() {
                context.conditional = true;
            }
        }
        Effect::PythonConditional => {
            if parent.named_child(1) != Some(node) {
                context.conditional = true;
            }
        }
        Effect::ShortCircuit => {
            if field.is_some() && field == tables.right {
                let operator = parent
                    .child_by_field_id_opt(fields.operator)
                    .map(|o| text(o, source));
                if matches!(operator, Some("&&" | "||" | "??" | "and" | "or")) {
                    context.conditional = true;
                }
            }
        }
        Effect::Conditional => context.conditional = true,
        Effect::Loop => {
            let once = field.is_some()
                && (field == tables.initializer || field == tables.left || field == tables.right);
            if !once {
                context.in_loop = true;
            }
        }
        Effect::LoopBody => {
            if field.is_some() && field == tables.body {
                context.in_loop = true;
            }
        }
        Effect::Repeated => context.in_loop = true,
        Effect::Arguments => {
            if tables.is_function.get(usize::from(node.kind_id())) == Some(&true)
                && iterates(grandparent, tables, source)
            {
                context.in_loop = true;
            }
        }
    }
}

/// Whether `call` is `xs.map(…)` or another array method whose callback runs once per
/// element (`ITERATING`).
fn iterates(call: Option<Node<'_>>, tables: &KindTables, source: &[u8]) -> bool {
    let fields = &tables.fields;
    call.and_then(|call| call.child_by_field_id_opt(fields.function))
        .filter(|f| f.kind_id() == tables.kinds.member_expression)
        .and_then(|f| f.child_by_field_id_opt(fields.property))
        .is_some_and(|p| ITERATING.contains(&text(p, source)))
}

/// What a definition contributes to the graph: a new node, or a local name of the node
/// it sits in (a parameter-free local variable) that shadows outer definitions.
enum Found<'t, 's> {
    /// The qualified name, the node kind, and the node whose position is the node's.
    Node(String, NodeKind, Node<'t>),
    /// Names bound as variables of the function (or module): a declaration, an
    /// assignment, a Python loop's, `with`'s or `except`'s.
    Locals(Vec<&'s str>),
    /// Names bound for a block only: `catch (e)`, `for (const x of xs)`, a comprehension's.
    Block(Vec<&'s str>),
}

/// A named definition that becomes a graph node, or a local variable of the current node.
/// `ancestors` is the path from the root to `node`'s parent.
fn definition<'t, 's>(
    node: Node<'t>,
    ancestors: &[Frame<'t>],
    source: &'s [u8],
    lang: Lang,
    defs: &[Def<'_>],
    owner: usize,
    in_scope: bool,
) -> Option<Found<'t, 's>> {
    let qualify = |name: &str| -> String {
        if owner == 0 {
            name.to_string()
        } else {
            concat(&[&defs[owner].name, ".", name])
        }
    };
    let owner_is_class = defs[owner].kind == NodeKind::Class;
    let fields = &kind_tables(lang).fields;
    if lang == Lang::Python {
        let kind = match node.kind_str() {
            "function_definition" if owner_is_class => NodeKind::Method,
            "function_definition" => NodeKind::Function,
            "class_definition" => NodeKind::Class,
            "assignment" if (owner != 0 || in_scope) && !owner_is_class => {
                let left = node.child_by_field_id_opt(fields.left)?;
                return Some(Found::Locals(bound_names(left, source)));
            }
            // Loop variables, `except … as e`, `with … as f`: the function's (or the
            // module's) variables, as Python scopes them.
            "for_statement" => {
                let left = node.child_by_field_id_opt(fields.left)?;
                return Some(Found::Locals(bound_names(left, source)));
            }
            "as_pattern" => {
                let alias = node.field("alias")?;
                return Some(Found::Locals(bound_names(alias, source)));
            }
            // A comprehension's variables are its own. Its element comes before its `for`
            // clauses in the tree, so they are read here, at the comprehension.
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => {
                let mut names = Vec::new();
                for clause in node.named_kids() {
                    if clause.kind_str() == "for_in_clause"
                        && let Some(left) = clause.child_by_field_id_opt(fields.left)
                    {
                        names.extend(bound_names(left, source));
                    }
                }
                return Some(Found::Block(names));
            }
            _ => return None,
        };
        let name_node = node.child_by_field_id_opt(fields.name)?;
        return Some(Found::Node(
            qualify(text(name_node, source)),
            kind,
            name_node,
        ));
    }
    let function_kind = |function: Node<'_>, name: &str| {
        if owner_is_class {
            NodeKind::Method
        } else if name.starts_with(|c: char| c.is_ascii_uppercase())
            && (returns_jsx(function, source) || calls_hooks(function, source, lang))
        {
            NodeKind::Component
        } else {
            NodeKind::Function
        }
    };
    match node.kind_str() {
        "function_declaration" | "generator_function_declaration" => {
            let name_node = node.child_by_field_id_opt(fields.name)?;
            let name = text(name_node, source);
            Some(Found::Node(
                qualify(name),
                function_kind(node, name),
                name_node,
            ))
        }
        "method_definition" => {
            let name_node = node.child_by_field_id_opt(fields.name)?;
            Some(Found::Node(
                qualify(text(name_node, source)),
                NodeKind::Method,
                name_node,
            ))
        }
        // `namespace Geometry { … }` (also `namespace A.B`); an ambient `declare module "x"`
        // holds declarations only.
        "internal_module" => {
            let name_node = node.child_by_field_id_opt(fields.name)?;
            if !matches!(name_node.kind_str(), "identifier" | "nested_identifier") {
                return None;
            }
            Some(Found::Node(
                qualify(text(name_node, source)),
                NodeKind::Namespace,
                name_node,
            ))
        }
        "class_declaration" | "abstract_class_declaration" => {
            let name_node = node.child_by_field_id_opt(fields.name)?;
            Some(Found::Node(
                qualify(text(name_node, source)),
                NodeKind::Class,
                name_node,
            ))
        }
        "variable_declarator" if (owner != 0 || in_scope) && !owner_is_class => {
            let name = node.child_by_field_id_opt(fields.name)?;
            let value_is_function = node
                .child_by_field_id_opt(fields.value)
                .is_some_and(|v| is_js_function(v.kind_str()) || v.kind_str() == "class");
            if name.kind_str() == "identifier" && value_is_function {
                return None;
            }
            Some(Found::Locals(bound_names(name, source)))
        }
        // `for (const x of xs)` binds for the loop; `for (var x of xs)` and `for (x of xs)`
        // bind (or assign) a variable of the function or module.
        "for_in_statement" => {
            let left = node.child_by_field_id_opt(fields.left)?;
            let names = bound_names(left, source);
            let block = node
                .field("kind")
                .is_some_and(|k| matches!(k.kind_str(), "let" | "const"));
            Some(if block {
                Found::Block(names)
            } else {
                Found::Locals(names)
            })
        }
        "catch_clause" => {
            let parameter = node.child_by_field_id_opt(fields.parameter)?;
            Some(Found::Block(bound_names(parameter, source)))
        }
        "arrow_function" | "function_expression" | "function" | "generator_function" | "class" => {
            let (name_node, name) = binding_name(node, ancestors, source, fields)?;
            if node.kind_str() == "class" {
                return Some(Found::Node(qualify(&name), NodeKind::Class, name_node));
            }
            Some(Found::Node(
                qualify(&name),
                function_kind(node, &name),
                name_node,
            ))
        }
        _ => None,
    }
}

/// The name a function or class expression is bound to: a variable (`const f = () => …`),
/// a class field (`onClick = () => …`), the capitalised variable a wrapper call is assigned
/// to (`const Button = memo(forwardRef((props, ref) => …))`, also cast with `as`), or
/// `default` for `export default` of any of those.
fn binding_name<'t>(
    node: Node<'t>,
    ancestors: &[Frame<'t>],
    source: &[u8],
    fields: &Fields,
) -> Option<(Node<'t>, String)> {
    let mut child = node;
    let mut through_wrapper = false;
    for Frame { node: up, .. } in ancestors.iter().rev() {
        match up.kind_str() {
            "variable_declarator" | "public_field_definition" | "field_definition" => {
                if up.child_by_field_id_opt(fields.value) != Some(child) {
                    return None;
                }
                let name = up
                    .child_by_field_id_opt(fields.name)
                    .or_else(|| up.child_by_field_id_opt(fields.property))?;
                if !matches!(
                    name.kind_str(),
                    "identifier" | "property_identifier" | "private_property_identifier"
                ) {
                    return None;
                }
                let name_text = text(name, source);
                // `const handler = useCallback(() => …)`, `const fetchUser = createThunk(…)`:
                // the function is a callback whose calls are the enclosing definition's; a
                // component wrapped in `memo` / `forwardRef` / `observer` stays a node.
                if through_wrapper && !name_text.starts_with(|c: char| c.is_ascii_uppercase()) {
                    return None;
                }
                return Some((name, name_text.to_string()));
            }
            "export_statement" => {
                let is_default = up.child_by_field_id_opt(fields.value) == Some(child)
                    || up.child_by_field_id_opt(fields.declaration) == Some(child);
                return is_default.then(|| (*up, "default".to_string()));
            }
            // Only the first argument of a call is a wrapped function.
            "arguments" if up.named_child(0) == Some(child) => through_wrapper = true,
            "call_expression" if through_wrapper => {}
            "as_expression" | "satisfies_expression" | "parenthesized_expression" => {}
            _ => return None,
        }
        child = *up;
    }
    None
}

/// The names a binding target binds: `x`, `[a, b]`, `{ a, b: c }`, `(a, b)`, `*rest`.
fn bound_names<'s>(target: Node<'_>, source: &'s [u8]) -> Vec<&'s str> {
    let mut names = Vec::new();
    match target.kind_str() {
        "identifier" => {
            names.push(text(target, source));
            return names;
        }
        // `self.x = …`, `a[i] = …`, `o.x = …`: an assignment to a part, which binds no name.
        "subscript" | "attribute" | "member_expression" | "subscript_expression" => return names,
        _ => {}
    }
    super::react::for_each_descendant(target, |node| match node.kind_str() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            names.push(text(node, source));
            false
        }
        // A default's value, a property's key, a subscript or attribute assigned to: uses.
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(left) = node.field("left") {
                names.extend(bound_names(left, source));
            }
            false
        }
        "pair_pattern" => {
            if let Some(value) = node.field("value") {
                names.extend(bound_names(value, source));
            }
            false
        }
        "subscript" | "attribute" | "member_expression" | "subscript_expression" => false,
        "type_annotation" | "type" => false,
        _ => true,
    });
    names
}

/// The names a function's parameters bind (destructured ones included).
fn parameter_names<'s>(function: Node<'_>, source: &'s [u8], tables: &KindTables) -> Vec<&'s str> {
    let Some(parameters) = parameter_list(function, &tables.fields) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    if parameters.kind_str() == "identifier" {
        names.push(text(parameters, source));
        return names;
    }
    // What binds a name is named: a walk over named nodes, in document order, from a stack
    // of the nodes still to visit. Most lists are a few nodes deep, for which starting the
    // preorder walk would cost more than the walk itself (`tests` hold the two equal).
    let mut stack = Vec::new();
    super::preorder::push_named_children_reversed(parameters, &mut stack);
    while let Some(node) = stack.pop() {
        let kind = tables.parameters.get(usize::from(node.kind_id()));
        match kind.copied().unwrap_or(ParameterKind::Descend) {
            ParameterKind::Descend => {
                super::preorder::push_named_children_reversed(node, &mut stack)
            }
            ParameterKind::Default => {
                names.extend(default_name(node, &tables.fields).map(|n| text(n, source)))
            }
            ParameterKind::Name => names.push(text(node, source)),
            ParameterKind::Type => {}
        }
    }
    names
}

/// A function's parameter list (or its one parameter, an arrow's `x => …`).
fn parameter_list<'t>(function: Node<'t>, fields: &Fields) -> Option<Node<'t>> {
    function
        .child_by_field_id_opt(fields.parameters)
        .or_else(|| function.child_by_field_id_opt(fields.parameter))
}

/// The name a parameter with a default binds; the default's expression binds nothing (its
/// names are uses).
fn default_name<'t>(node: Node<'t>, fields: &Fields) -> Option<Node<'t>> {
    node.child_by_field_id_opt(fields.name)
        .or_else(|| node.child_by_field_id_opt(fields.left))
        .filter(|n| {
            n.kind_str() == "identifier" || n.kind_str() == "shorthand_property_identifier_pattern"
        })
}

/// What `parameter_names` does at a node, by its kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ParameterKind {
    /// Reads the names below it.
    Descend,
    /// A parameter with a default: its name, not its default's names.
    Default,
    /// A name bound.
    Name,
    /// A type: no name below it is bound.
    Type,
}

impl ParameterKind {
    fn of(kind: &str) -> ParameterKind {
        match kind {
            "default_parameter"
            | "typed_default_parameter"
            | "assignment_pattern"
            | "object_assignment_pattern" => ParameterKind::Default,
            "identifier" | "shorthand_property_identifier_pattern" => ParameterKind::Name,
            "type_annotation" | "type" => ParameterKind::Type,
            _ => ParameterKind::Descend,
        }
    }
}

/// A call, `new` or render at `node`, with the callee as written.
fn site(node: Node<'_>, source: &[u8], lang: Lang, context: Context) -> Option<Edge> {
    let (kind, callee) = match (lang, node.kind_str()) {
        // The callee is a call's first child (a field lookup per call costs more).
        (Lang::Python, "call") => (EdgeKind::Call, node.child(0)?),
        (Lang::Python, _) => return None,
        (_, "call_expression") => {
            let function = node.child(0)?;
            // `import("./x")` is a dynamic import, listed by the imports extractor.
            if function.kind_str() == "import" {
                return None;
            }
            (EdgeKind::Call, function)
        }
        (_, "new_expression") => (EdgeKind::New, node.child(1)?),
        (_, "jsx_opening_element" | "jsx_self_closing_element") => {
            let name = rendered_component(node, source)?;
            let (line, column) = position(node);
            return Some(Edge {
                line,
                column,
                kind: EdgeKind::Render,
                callee: name,
                conditional: context.conditional,
                in_loop: context.in_loop,
                target: None,
                module: None,
                imported: None,
                shadowed: false,
            });
        }
        _ => return None,
    };
    let (line, column) = position(node);
    let raw = text_head(callee, source, CALLEE_MAX);
    // Most callees are plain dotted names, already as `callee_text` would write them.
    let plain = raw.len() <= CALLEE_MAX
        && !raw
            .bytes()
            .any(|b| matches!(b, b'(' | b'?' | b'#' | b'/' | b' ' | b'\t' | b'\n' | b'\r'));
    Some(Edge {
        line,
        column,
        kind,
        callee: if plain {
            raw.to_string()
        } else {
            one_line(
                &callee_text(callee, source, &kind_tables(lang).fields, 0),
                CALLEE_MAX,
            )
        },
        conditional: context.conditional,
        in_loop: context.in_loop,
        target: None,
        module: None,
        imported: None,
        shadowed: false,
    })
}

/// The kinds whose children may pass a definition as a value: a call's arguments (JS
/// `arguments`, Python `argument_list`), and a JSX expression (when it is an attribute's).
const VALUE_HOLDERS: &[&str] = &["arguments", "argument_list", "jsx_expression"];

/// The kinds of value that name a definition: a name, or a dotted name through members.
const REFERENCES: &[&str] = &["identifier", "member_expression", "attribute"];

/// The context in which the children of `holder`, a value holder (a call's arguments, a
/// JSX attribute's `{…}`), pass what they name, or `None` when what they name is not passed:
/// `{save}` as a child of an element is rendered, a Python class's bases are inherited
/// from. Which of the names name a definition (and not a variable) is decided with the
/// rest of the file's sites.
fn holder_context(
    holder: Node<'_>,
    parent: Option<Node<'_>>,
    source: &[u8],
    context: Context,
    tables: &KindTables,
) -> Option<Context> {
    let kinds = &tables.kinds;
    let parent_kind = parent.map_or(0, |p| p.kind_id());
    let mut context = context;
    let holder_kind = holder.kind_id();
    if holder_kind == kinds.jsx_expression {
        // `{save}` as a child of an element is rendered, not passed.
        if parent_kind != kinds.jsx_attribute {
            return None;
        }
    } else if holder_kind == kinds.argument_list {
        // A Python class's bases: inheritance, not a value passed.
        if parent_kind == kinds.class_definition {
            return None;
        }
    } else if holder_kind == kinds.arguments {
        // `items.map(format)`: the function runs once per element.
        context.in_loop |= iterates(parent, tables, source);
    }
    Some(context)
}

/// A reference's name as written, when it is a plain dotted name (`a.b(c).d` or `a?.b`
/// passes the result of something else).
fn reference_text<'s>(node: Node<'_>, source: &'s [u8]) -> Option<&'s str> {
    let raw = text_head(node, source, CALLEE_MAX);
    let plain = raw.len() < CALLEE_MAX
        && raw
            .bytes()
            .all(|b| b == b'.' || b == b'_' || b == b'$' || b.is_ascii_alphanumeric() || b >= 0x80);
    plain.then_some(raw)
}

/// A callee as written, with the arguments of any call inside it left out:
/// `re.sub("-", s.lower()).strip` reads `re.sub().strip`.
fn callee_text(node: Node<'_>, source: &[u8], fields: &Fields, depth: u32) -> String {
    const MAX_DEPTH: u32 = 16;
    if node.kind_str() == "identifier" {
        return text(node, source).to_string();
    }
    if depth < MAX_DEPTH {
        match node.kind_str() {
            "member_expression" | "attribute" => {
                let object = node.child_by_field_id_opt(fields.object);
                let property = node
                    .child_by_field_id_opt(fields.property)
                    .or_else(|| node.child_by_field_id_opt(fields.attribute));
                if let (Some(object), Some(property)) = (object, property) {
                    let mut callee = callee_text(object, source, fields, depth + 1);
                    let property = text(property, source);
                    callee.reserve(1 + property.len());
                    callee.push('.');
                    callee.push_str(property);
                    return callee;
                }
            }
            "call_expression" | "call" => {
                if let Some(function) = node.child_by_field_id_opt(fields.function) {
                    let mut callee = callee_text(function, source, fields, depth + 1);
                    callee.push_str("()");
                    return callee;
                }
            }
            _ => {}
        }
    }
    text_head(node, source, CALLEE_MAX).to_string()
}

/// The definition a callee names in this file: one made in an anonymous function around
/// the site, a nested definition of an enclosing function, a top-level one, or a method of
/// the enclosing class through `this.`/`self.`. A parameter or variable of the same name
/// in between hides what is outside, and a definition made inside an anonymous function
/// is seen only within it.
/// `key` is a buffer for the qualified names looked up in `index`, reused across calls.
fn resolve_local(
    callee: &str,
    (owner, scope): (usize, usize),
    (defs, scopes): (&[Def<'_>], &[Scope<'_>]),
    index: &HashMap<&str, usize>,
    lang: Lang,
    key: &mut String,
) -> Local {
    let receiver = if lang == Lang::Python {
        ["self.", "cls."]
            .iter()
            .find_map(|p| callee.strip_prefix(p))
    } else {
        callee.strip_prefix("this.")
    };
    if let Some(member) = receiver {
        let mut at = owner;
        while at != 0 {
            if defs[at].kind == NodeKind::Class {
                return index
                    .get(concat(&[&defs[at].name, ".", member]).as_str())
                    .map_or(Local::Unknown, |&found| Local::Definition(found));
            }
            at = defs[at].parent;
        }
        return Local::Unknown;
    }
    // Bare names see enclosing functions' definitions, never a class's members.
    let first = import_name(callee);
    let (mut at, mut scope) = (owner, scope);
    loop {
        // The anonymous functions around the site, innermost first.
        while scope != 0 {
            let anonymous = &scopes[scope];
            if let Some((_, made)) = anonymous.defs.iter().find(|(n, _)| n == first) {
                return match made {
                    Some(found) if callee == first => Local::Definition(*found),
                    // A member of it, or a name made twice in one scope: not certain.
                    _ => Local::Shadowed,
                };
            }
            if anonymous.locals.contains(&first) {
                return Local::Shadowed;
            }
            scope = anonymous.parent;
        }
        if at == 0 {
            break;
        }
        if defs[at].kind != NodeKind::Class {
            key.clear();
            key.push_str(&defs[at].name);
            key.push('.');
            key.push_str(callee);
            // A definition made in an anonymous function is not seen from outside it.
            if let Some(&found) = index.get(key.as_str())
                && seen_from(found, at, defs)
            {
                return Local::Definition(found);
            }
            if defs[at].locals.contains(&first) {
                return Local::Shadowed;
            }
        } else if at == owner && defs[at].locals.contains(&first) {
            // A class body's own loop or `with` variable, seen in the body itself.
            return Local::Shadowed;
        }
        scope = defs[at].scope;
        at = defs[at].parent;
    }
    // A module-level loop, `with` or `except` variable may hold anything.
    if defs[0].locals.contains(&first) {
        return Local::Shadowed;
    }
    match index.get(callee) {
        Some(&found) if seen_from(found, 0, defs) => Local::Definition(found),
        _ => Local::Unknown,
    }
}

/// Whether definition `found`, nested in `at` (0: the module), is seen from `at`'s body:
/// neither it nor any definition between them is made inside an anonymous function
/// (`run(() => { class Store { static load() {} } })` hides `Store.load`).
fn seen_from(found: usize, at: usize, defs: &[Def<'_>]) -> bool {
    let mut d = found;
    while d != at && d != 0 {
        if defs[d].scope != 0 {
            return false;
        }
        d = defs[d].parent;
    }
    true
}

/// What a call site or reference links to.
enum Meaning<'s> {
    Definition(usize),
    Import(&'s str, &'s str),
    /// A parameter or variable hiding a name the file imports.
    Shadowed,
    Nothing,
}

/// What a name means in the file where it is written.
enum Local {
    /// A definition of the file: its index.
    Definition(usize),
    /// A parameter or local variable of an enclosing function.
    Shadowed,
    /// Nothing the file defines: an import, a global, a member of something.
    Unknown,
}

/// The call graph's walk over a whole fixture, as a full run makes it, collecting what
/// finding routers reads and what body facts are read from: for the tests that hold those
/// collections to the walks they replace.
#[cfg(test)]
pub(crate) fn walk_collecting<'t>(
    path: &str,
    lang: Lang,
    text: &[u8],
    root: Node<'t>,
) -> (Vec<Walked<'t>>, Vec<FactNode<'t>>) {
    let file = super::scan::FileContext::new(root, text, lang, path);
    let mut cursor = tree_sitter::QueryCursor::new();
    let mut never = || false;
    let mut scan = Scan::new(None, &mut cursor, &file, &mut never);
    let flags = walk_flags(lang, &[], true);
    let (mut walked, mut found) = (Vec::new(), Vec::new());
    extract(
        &mut scan,
        &[],
        &flags,
        &mut Vec::new(),
        Some(&mut walked),
        Some(&mut found),
    );
    (walked, found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Items;

    /// The names a walk of every named node below a function's parameter list finds, by the
    /// preorder walk (tokens quiet, nothing pruned): what `parameter_names` must find.
    fn parameter_names_by_walk<'s>(
        function: Node<'_>,
        source: &'s [u8],
        tables: &KindTables,
        named: &[u8],
    ) -> Vec<&'s str> {
        let Some(parameters) = parameter_list(function, &tables.fields) else {
            return Vec::new();
        };
        if parameters.kind_str() == "identifier" {
            return vec![text(parameters, source)];
        }
        let mut names = Vec::new();
        super::super::react::for_each_descendant_in(parameters, named, |node| {
            match node.kind_str() {
                "default_parameter"
                | "typed_default_parameter"
                | "assignment_pattern"
                | "object_assignment_pattern" => {
                    names.extend(default_name(node, &tables.fields).map(|n| text(n, source)));
                    false
                }
                "identifier" | "shorthand_property_identifier_pattern" => {
                    names.push(text(node, source));
                    false
                }
                "type_annotation" | "type" => false,
                _ => true,
            }
        });
        names
    }

    /// The parameter names read from a stack of named children are those a walk of every
    /// named node finds: for every node with parameters, on every fixture.
    #[test]
    fn parameter_names_are_those_a_walk_finds() {
        let (mut lists, mut names) = (0, 0);
        crate::extract::for_each_fixture(|path, lang, text, tree| {
            let tables = kind_tables(lang);
            let grammar = lang.grammar();
            // Tokens quiet, nothing pruned.
            let named: Vec<u8> = (0..grammar.node_kind_count())
                .map(|id| {
                    let named = u16::try_from(id).is_ok_and(|id| grammar.node_kind_is_named(id));
                    if named { 0 } else { QUIET_LEAF }
                })
                .collect();
            for visit in Preorder::new(tree.root_node(), &[]) {
                let read = parameter_names(visit.node, text, tables);
                let walked = parameter_names_by_walk(visit.node, text, tables, &named);
                assert_eq!(read, walked, "{path}: {:?}", visit.node);
                lists += usize::from(!walked.is_empty());
                names += walked.len();
            }
        });
        assert!(lists > 200 && names > 300, "{lists} lists, {names} names");
    }

    fn edge(callee: &str, target: Option<&str>, import: Option<(&str, &str)>) -> Edge {
        Edge {
            line: 3,
            column: 14,
            kind: EdgeKind::Call,
            callee: callee.to_string(),
            conditional: false,
            in_loop: false,
            target: target.map(str::to_string),
            module: import.map(|(m, _)| m.to_string()),
            imported: import.map(|(_, i)| i.to_string()),
            shadowed: false,
        }
    }

    fn node(file: &str, id: &str, name: &str, edges: Vec<Edge>) -> CallNode {
        CallNode {
            file: file.to_string(),
            line: 1,
            column: 0,
            id: id.to_string(),
            name: name.to_string(),
            kind: NodeKind::Function,
            edges,
        }
    }

    /// The direct rendering against the generic one (`to_output_json` holds them equal in
    /// debug builds, and checks the bytes read back) on what the fixtures hardly hold:
    /// escapes, ids into other files, names their ids do not give, an id that is only a
    /// file's prefix, flags, bindings that differ from the file's table, empty graphs.
    #[test]
    fn the_direct_rendering_is_the_generic_one() {
        let odd = "src/we\"ird\\ü\u{1}.ts";
        let mut flagged = edge("save\t\u{7f}", Some(&format!("{odd}#Cart.save")), None);
        flagged.conditional = true;
        flagged.in_loop = true;
        flagged.shadowed = true;
        flagged.kind = EdgeKind::Render;
        let mut other_binding = edge("api.get", None, Some(("./api2", "*")));
        other_binding.kind = EdgeKind::Reference;
        let items = vec![
            node(
                odd,
                &format!("{odd}#<module>"),
                "<module>",
                vec![
                    flagged,
                    edge("api.post", None, Some(("./api", "*"))),
                    edge("api.put", None, Some(("./api", "*"))),
                    other_binding,
                    edge("x", Some("src/other.ts#x"), Some(("./other", "x"))),
                    edge("y", Some(&format!("{odd}#")), None),
                    // An import table's key may be `request`: its module is no id.
                    edge("request", None, Some((&format!("{odd}#v2"), "default"))),
                ],
            ),
            node(odd, &format!("{odd}#Cart~2.add~3"), "Cart.add", vec![]),
            node(odd, &format!("{odd}#f"), "not f \u{8}\u{c}\r\n", vec![]),
            node(odd, &format!("{odd}#"), "", vec![edge("g", None, None)]),
            node(odd, "elsewhere.ts#h", "h", vec![]),
            node("b.py", "b.py#<module>", "<module>", vec![]),
        ];
        let mut items = items;
        // Stored items are in their total order (the renderer keeps each file's).
        items.sort();
        let bytes = Items::Calls(items).to_output_json("chunk \"q\"");
        let text = String::from_utf8(bytes).unwrap();
        // What the layout promises, spelled out for a few lines.
        assert!(text.starts_with("{\n\"extractor\":\"calls\",\n\"version\":"));
        assert!(text.contains("\n\"chunk\":\"chunk \\\"q\\\"\",\n\"imports\":{\n"));
        assert!(text.contains(
            "{\"at\":[3,14],\"render\":\"save\\t\u{7f}\",\"conditional\":true,\"loop\":true,\
             \"target\":\"#Cart.save\",\"shadowed\":true}"
        ));
        assert!(text.contains("\"api\":[\"./api\",\"*\"]"));
        assert!(text.contains("\"request\":[\"src/we\\\"ird\\\\ü\\u0001.ts#v2\",\"default\"]"));
        assert!(
            text.contains("\"reference\":\"api.get\",\"module\":\"./api2\",\"imported\":\"*\"}")
        );
        assert!(
            text.contains(
                "{\"line\":1,\"column\":0,\"id\":\"#Cart~2.add~3\",\"kind\":\"function\"}"
            )
        );
        assert!(text.contains("\"name\":\"not f \\b\\f\\r\\n\""));
        assert!(text.contains("\"src/we\\\"ird\\\\ü\\u0001.ts\":["));
        assert!(text.contains("\"id\":\"elsewhere.ts#h\",\"name\":\"h\""));
        assert!(text.ends_with("\n]\n}\n}\n"));
        for empty in [vec![], vec![node("a.ts", "a.ts#f", "f", vec![])]] {
            let text = String::from_utf8(Items::Calls(empty).to_output_json("c")).unwrap();
            assert!(!text.contains("imports"), "{text}");
        }
    }
}
