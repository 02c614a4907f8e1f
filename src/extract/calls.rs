//! The `calls` extractor: the call graph of a file. Nodes are its functions, methods,
//! classes and components (and the module's own top-level code); each node lists the calls,
//! `new`s and JSX renders made in its body, with the callee resolved to a node of the same
//! file, or to the import it comes from, where the name allows.
//!
//! Unlike the other extractors this one has no query file: it needs every call site of the
//! file, and a hand-written cursor walk over the whole tree costs about a third of what a
//! whole-tree query pass does (measured on the bench corpus: +15% against +45% of the
//! parse time).

use super::react::{is_js_function, rendered_component, returns_jsx};
use super::scan::Scan;
use super::syntax::{one_line, position, string_literal, text};
use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// `file:line:name`, stable while the definition does not move.
    pub id: String,
    /// Qualified by the enclosing class or function: `Cart.add`, `outer.inner`;
    /// `<module>` for top-level code.
    pub name: String,
    pub kind: NodeKind,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Module,
    Function,
    Method,
    Class,
    Component,
}

/// One call site. In JSON, `false` flags and absent names are left out: a file has as many
/// edges as calls, and they are most of the output.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct Edge {
    pub line: u32,
    pub kind: EdgeKind,
    /// The callee as written: `save`, `this.save`, `api.get`, `Foo.Bar`.
    pub callee: String,
    /// Inside an `if`/`else`, a `switch` case, a ternary branch, the right side of
    /// `&&`/`||`/`??`, or a `catch`/`except` block, within the node.
    #[serde(default)]
    pub conditional: bool,
    /// Inside a loop body, a comprehension, or a callback of `map`/`forEach`/`filter`/...
    #[serde(default, rename = "loop")]
    pub in_loop: bool,
    /// The id of the callee's node when it is defined in the same file.
    #[serde(default)]
    pub target: Option<String>,
    /// For a callee imported from another module: the module as written in the import
    /// (`./api`, `react`, `.models`) and the name imported from it (`*` for a namespace).
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub imported: Option<String>,
}

impl Serialize for Edge {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // The worker pipe (bincode) is not self-describing and needs every field; JSON
        // readers take a missing field as its default.
        let sparse = serializer.is_human_readable();
        let mut out = serializer.serialize_struct("Edge", 8)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("callee", &self.callee)?;
        if !sparse || self.conditional {
            out.serialize_field("conditional", &self.conditional)?;
        }
        if !sparse || self.in_loop {
            out.serialize_field("loop", &self.in_loop)?;
        }
        for (name, value) in [
            ("target", &self.target),
            ("module", &self.module),
            ("imported", &self.imported),
        ] {
            if !sparse || value.is_some() {
                out.serialize_field(name, value)?;
            }
        }
        out.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    Call,
    New,
    Render,
}

/// Where a visited node sits: the graph node that owns its calls, and whether it runs
/// conditionally or repeatedly within that node.
#[derive(Clone, Copy)]
struct Context {
    owner: usize,
    conditional: bool,
    in_loop: bool,
}

struct Def {
    /// Parameters and local variables, which shadow outer definitions of the same name.
    locals: Vec<String>,
    name: String,
    kind: NodeKind,
    line: u32,
    column: u32,
    /// Index of the definition whose body holds this one.
    parent: usize,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<CallNode> {
    let source = scan.text;
    let lang = scan.lang;
    let path = scan.path;
    let root = scan.root;
    let imports = import_bindings(root, source, lang);
    let mut defs: Vec<Def> = vec![Def {
        locals: Vec::new(),
        name: "<module>".to_string(),
        kind: NodeKind::Module,
        line: 0,
        column: 0,
        parent: 0,
    }];
    // Sites are collected with the callee node's text; resolution runs once all
    // definitions of the file are known.
    let mut sites: Vec<(usize, Edge)> = Vec::new();
    // The context of each node on the path from the root, with the node itself: a child's
    // parent is the top of the stack (`Node::parent` would search down from the root).
    let mut path_stack: Vec<(Context, Node<'_>)> = Vec::new();
    let tables = kind_tables(lang);
    let mut cursor = root.walk();
    let mut visited: u32 = 0;
    'walk: loop {
        let node = cursor.node();
        let mut context = path_stack.last().map_or(
            Context {
                owner: 0,
                conditional: false,
                in_loop: false,
            },
            |(c, _)| *c,
        );
        let parent = path_stack.last().map(|(_, n)| *n);
        let kind = node.kind_id() as usize;
        if let Some(parent) = parent
            && tables.context.get(parent.kind_id() as usize) == Some(&true)
        {
            let grandparent = path_stack.len().checked_sub(2).map(|i| path_stack[i].1);
            adjust(
                &mut context,
                parent,
                grandparent,
                node,
                cursor.field_name(),
                source,
                lang,
            );
        }
        let found = if tables.relevant.get(kind) == Some(&true) {
            definition(node, &path_stack, source, lang, &defs, context.owner)
        } else {
            // Most nodes are neither definitions nor call sites.
            None
        };
        match found {
            Some(Found::Node(name, kind, at)) => {
                let (line, column) = position(at);
                let locals = parameter_names(node, source);
                defs.push(Def {
                    locals,
                    name,
                    kind,
                    line,
                    column,
                    parent: context.owner,
                });
                context = Context {
                    owner: defs.len() - 1,
                    conditional: false,
                    in_loop: false,
                };
            }
            Some(Found::Local(name)) => defs[context.owner].locals.push(name),
            None => {
                if tables.relevant.get(kind) == Some(&true)
                    && let Some(edge) = site(node, source, lang, context)
                {
                    sites.push((context.owner, edge));
                }
            }
        }
        visited += 1;
        // A walk over a big file is long; poll the budget every few thousand nodes.
        if visited.is_multiple_of(4096) && scan.over_budget() {
            return Vec::new();
        }
        if cursor.goto_first_child() {
            path_stack.push((context, node));
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
            path_stack.pop();
        }
    }

    let index: HashMap<&str, usize> = defs
        .iter()
        .enumerate()
        .skip(1)
        .rev()
        .map(|(i, d)| (d.name.as_str(), i))
        .collect();
    let ids: Vec<String> = defs
        .iter()
        .map(|d| format!("{path}:{}:{}", d.line, d.name))
        .collect();
    let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); defs.len()];
    for (owner, mut edge) in sites {
        match resolve_local(&edge.callee, owner, &defs, &index, lang) {
            Some(target) => {
                // Python instantiates a class by calling it.
                if lang == Lang::Python
                    && edge.kind == EdgeKind::Call
                    && defs[target].kind == NodeKind::Class
                {
                    edge.kind = EdgeKind::New;
                }
                edge.target = Some(ids[target].clone());
            }
            None => {
                let root_name = edge.callee.split('.').next().unwrap_or("");
                if let Some((module, imported)) = imports.get(root_name) {
                    let rest = edge.callee[root_name.len()..].trim_start_matches('.');
                    edge.module = Some(module.clone());
                    edge.imported = Some(match (imported.as_str(), rest.is_empty()) {
                        // `ns.fn()` through `import * as ns`: the module's `fn`.
                        ("*", false) => rest.split('.').next().unwrap_or(rest).to_string(),
                        _ => imported.clone(),
                    });
                }
            }
        }
        edges[owner].push(edge);
    }
    let mut out = Vec::new();
    for (i, (def, mut list)) in defs.into_iter().zip(edges).enumerate() {
        if def.kind == NodeKind::Module && list.is_empty() {
            continue;
        }
        list.sort();
        list.dedup();
        out.push(CallNode {
            file: path.to_string(),
            line: def.line,
            column: def.column,
            id: ids[i].clone(),
            name: def.name,
            kind: def.kind,
            edges: list,
        });
    }
    out
}

/// Which node kinds matter to the walk, by kind id: comparing ids is what keeps the walk
/// cheap, as a kind's name costs a string conversion per node.
struct KindTables {
    /// Definitions and call sites.
    relevant: Vec<bool>,
    /// Parents that make their children conditional or looping.
    context: Vec<bool>,
}

const RELEVANT: &[&str] = &[
    "variable_declarator",
    "assignment",
    "function_declaration",
    "generator_function_declaration",
    "method_definition",
    "class_declaration",
    "abstract_class_declaration",
    "arrow_function",
    "function_expression",
    "function",
    "class",
    "call_expression",
    "new_expression",
    "jsx_opening_element",
    "jsx_self_closing_element",
    "function_definition",
    "class_definition",
    "call",
];

const CONTEXT: &[&str] = &[
    "if_statement",
    "ternary_expression",
    "conditional_expression",
    "binary_expression",
    "boolean_operator",
    "switch_case",
    "switch_default",
    "catch_clause",
    "except_clause",
    "case_clause",
    "elif_clause",
    "else_clause",
    "except_group_clause",
    "for_statement",
    "for_in_statement",
    "while_statement",
    "do_statement",
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "generator_expression",
    "arguments",
];

fn kind_tables(lang: Lang) -> &'static KindTables {
    static TABLES: [OnceLock<KindTables>; 4] = [const { OnceLock::new() }; 4];
    TABLES[lang.index()].get_or_init(|| {
        let language = lang.grammar();
        let count = language.node_kind_count();
        let mut tables = KindTables {
            relevant: vec![false; count],
            context: vec![false; count],
        };
        for id in 0..count {
            let Ok(id16) = u16::try_from(id) else {
                break;
            };
            if !language.node_kind_is_named(id16) {
                continue;
            }
            let Some(name) = language.node_kind_for_id(id16) else {
                continue;
            };
            tables.relevant[id] = RELEVANT.contains(&name);
            tables.context[id] = CONTEXT.contains(&name);
        }
        tables
    })
}

/// Marks a node conditional or looping by its place in its parent.
fn adjust(
    context: &mut Context,
    parent: Node<'_>,
    grandparent: Option<Node<'_>>,
    node: Node<'_>,
    field: Option<&str>,
    source: &[u8],
    lang: Lang,
) {
    match parent.kind() {
        "if_statement" if field != Some("condition") => context.conditional = true,
        "ternary_expression" if field != Some("condition") => context.conditional = true,
        // `a if cond else b`: the first and last operands run conditionally.
        "conditional_expression" if lang == Lang::Python && parent.named_child(1) != Some(node) => {
            context.conditional = true;
        }
        "binary_expression" | "boolean_operator" if field == Some("right") => {
            let operator = parent
                .child_by_field_name("operator")
                .map(|o| text(o, source));
            if matches!(operator, Some("&&" | "||" | "??" | "and" | "or")) {
                context.conditional = true;
            }
        }
        "switch_case"
        | "switch_default"
        | "catch_clause"
        | "except_clause"
        | "case_clause"
        | "elif_clause"
        | "else_clause"
        | "except_group_clause" => context.conditional = true,
        // A loop's condition and update run on every turn too; a `for … of` iterable and
        // a `for` initializer run once.
        "for_statement" | "while_statement" | "do_statement"
            if !matches!(field, Some("initializer" | "left" | "right")) =>
        {
            context.in_loop = true;
        }
        "for_in_statement" if field == Some("body") => context.in_loop = true,
        "list_comprehension"
        | "set_comprehension"
        | "dictionary_comprehension"
        | "generator_expression" => context.in_loop = true,
        "arguments" if is_js_function(node.kind()) => {
            // A callback handed to `items.map(...)` runs once per item.
            let iterating = grandparent
                .and_then(|call| call.child_by_field_name("function"))
                .filter(|f| f.kind() == "member_expression")
                .and_then(|f| f.child_by_field_name("property"))
                .is_some_and(|p| ITERATING.contains(&text(p, source)));
            if iterating {
                context.in_loop = true;
            }
        }
        _ => {}
    }
}

/// What a definition contributes to the graph: a new node, or a local name of the node
/// it sits in (a parameter-free local variable) that shadows outer definitions.
enum Found<'t> {
    /// The qualified name, the node kind, and the node whose position is the node's.
    Node(String, NodeKind, Node<'t>),
    Local(String),
}

/// A named definition that becomes a graph node, or a local variable of the current node.
/// `ancestors` is the path from the root to `node`'s parent.
fn definition<'t>(
    node: Node<'t>,
    ancestors: &[(Context, Node<'t>)],
    source: &[u8],
    lang: Lang,
    defs: &[Def],
    owner: usize,
) -> Option<Found<'t>> {
    let qualify = |name: &str| -> String {
        if owner == 0 {
            name.to_string()
        } else {
            format!("{}.{name}", defs[owner].name)
        }
    };
    let owner_is_class = defs[owner].kind == NodeKind::Class;
    if lang == Lang::Python {
        let kind = match node.kind() {
            "function_definition" if owner_is_class => NodeKind::Method,
            "function_definition" => NodeKind::Function,
            "class_definition" => NodeKind::Class,
            "assignment" if owner != 0 && !owner_is_class => {
                let left = node.child_by_field_name("left")?;
                return (left.kind() == "identifier")
                    .then(|| Found::Local(text(left, source).to_string()));
            }
            _ => return None,
        };
        let name_node = node.child_by_field_name("name")?;
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
            && returns_jsx(function, source)
        {
            NodeKind::Component
        } else {
            NodeKind::Function
        }
    };
    match node.kind() {
        "function_declaration" | "generator_function_declaration" => {
            let name_node = node.child_by_field_name("name")?;
            let name = text(name_node, source);
            Some(Found::Node(
                qualify(name),
                function_kind(node, name),
                name_node,
            ))
        }
        "method_definition" => {
            let name_node = node.child_by_field_name("name")?;
            Some(Found::Node(
                qualify(text(name_node, source)),
                NodeKind::Method,
                name_node,
            ))
        }
        "class_declaration" | "abstract_class_declaration" => {
            let name_node = node.child_by_field_name("name")?;
            Some(Found::Node(
                qualify(text(name_node, source)),
                NodeKind::Class,
                name_node,
            ))
        }
        "variable_declarator" if owner != 0 && !owner_is_class => {
            let name = node.child_by_field_name("name")?;
            let value_is_function = node
                .child_by_field_name("value")
                .is_some_and(|v| is_js_function(v.kind()) || v.kind() == "class");
            (name.kind() == "identifier" && !value_is_function)
                .then(|| Found::Local(text(name, source).to_string()))
        }
        "arrow_function" | "function_expression" | "function" | "class" => {
            let (name_node, name) = binding_name(node, ancestors, source)?;
            if node.kind() == "class" {
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
/// a class field (`onClick = () => …`), the variable a wrapper call is assigned to
/// (`const Button = memo(forwardRef((props, ref) => …))`, also cast with `as`), or
/// `default` for `export default` of any of those.
fn binding_name<'t>(
    node: Node<'t>,
    ancestors: &[(Context, Node<'t>)],
    source: &[u8],
) -> Option<(Node<'t>, String)> {
    let mut child = node;
    let mut through_wrapper = false;
    for (_, up) in ancestors.iter().rev() {
        match up.kind() {
            "variable_declarator" | "public_field_definition" | "field_definition" => {
                if up.child_by_field_name("value") != Some(child) {
                    return None;
                }
                let name = up
                    .child_by_field_name("name")
                    .or_else(|| up.child_by_field_name("property"))?;
                if !matches!(
                    name.kind(),
                    "identifier" | "property_identifier" | "private_property_identifier"
                ) {
                    return None;
                }
                return Some((name, text(name, source).to_string()));
            }
            "export_statement" => {
                let is_default = up.child_by_field_name("value") == Some(child)
                    || up.child_by_field_name("declaration") == Some(child);
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

/// The names a function's parameters bind (destructured ones included).
fn parameter_names(function: Node<'_>, source: &[u8]) -> Vec<String> {
    let Some(parameters) = function
        .child_by_field_name("parameters")
        .or_else(|| function.child_by_field_name("parameter"))
    else {
        return Vec::new();
    };
    let mut names = Vec::new();
    if parameters.kind() == "identifier" {
        names.push(text(parameters, source).to_string());
        return names;
    }
    super::react::for_each_descendant(parameters, |node| {
        match node.kind() {
            // A default value's expression binds nothing; its names are uses.
            "default_parameter"
            | "typed_default_parameter"
            | "assignment_pattern"
            | "object_assignment_pattern" => {
                if let Some(name) = node
                    .child_by_field_name("name")
                    .or_else(|| node.child_by_field_name("left"))
                    .filter(|n| {
                        n.kind() == "identifier"
                            || n.kind() == "shorthand_property_identifier_pattern"
                    })
                {
                    names.push(text(name, source).to_string());
                }
                false
            }
            "identifier" | "shorthand_property_identifier_pattern" => {
                names.push(text(node, source).to_string());
                false
            }
            "type_annotation" | "type" => false,
            _ => true,
        }
    });
    names
}

/// A call, `new` or render at `node`, with the callee as written.
fn site(node: Node<'_>, source: &[u8], lang: Lang, context: Context) -> Option<Edge> {
    let (kind, callee) = match (lang, node.kind()) {
        // The callee is a call's first child (a field lookup per call costs more).
        (Lang::Python, "call") => (EdgeKind::Call, node.child(0)?),
        (Lang::Python, _) => return None,
        (_, "call_expression") => {
            let function = node.child(0)?;
            // `import("./x")` is a dynamic import, listed by the imports extractor.
            if function.kind() == "import" {
                return None;
            }
            (EdgeKind::Call, function)
        }
        (_, "new_expression") => (EdgeKind::New, node.child(1)?),
        (_, "jsx_opening_element" | "jsx_self_closing_element") => {
            let name = rendered_component(node, source)?;
            let (line, _) = position(node);
            return Some(Edge {
                line,
                kind: EdgeKind::Render,
                callee: name,
                conditional: context.conditional,
                in_loop: context.in_loop,
                target: None,
                module: None,
                imported: None,
            });
        }
        _ => return None,
    };
    let (line, _) = position(node);
    Some(Edge {
        line,
        kind,
        callee: one_line(&callee_text(callee, source, 0), CALLEE_MAX),
        conditional: context.conditional,
        in_loop: context.in_loop,
        target: None,
        module: None,
        imported: None,
    })
}

/// A callee as written, with the arguments of any call inside it left out:
/// `re.sub("-", s.lower()).strip` reads `re.sub().strip`.
fn callee_text(node: Node<'_>, source: &[u8], depth: u32) -> String {
    const MAX_DEPTH: u32 = 16;
    if node.kind() == "identifier" {
        return text(node, source).to_string();
    }
    if depth < MAX_DEPTH {
        match node.kind() {
            "member_expression" | "attribute" => {
                let object = node.child_by_field_name("object");
                let property = node
                    .child_by_field_name("property")
                    .or_else(|| node.child_by_field_name("attribute"));
                if let (Some(object), Some(property)) = (object, property) {
                    return format!(
                        "{}.{}",
                        callee_text(object, source, depth + 1),
                        text(property, source)
                    );
                }
            }
            "call_expression" | "call" => {
                if let Some(function) = node.child_by_field_name("function") {
                    return format!("{}()", callee_text(function, source, depth + 1));
                }
            }
            _ => {}
        }
    }
    text(node, source).to_string()
}

/// The definition a callee names in this file: a nested definition of an enclosing
/// function, a top-level one, or a method of the enclosing class through `this.`/`self.`.
fn resolve_local(
    callee: &str,
    owner: usize,
    defs: &[Def],
    index: &HashMap<&str, usize>,
    lang: Lang,
) -> Option<usize> {
    let receiver = if lang == Lang::Python {
        ["self.", "cls."]
            .iter()
            .find_map(|p| callee.strip_prefix(p))
    } else {
        callee.strip_prefix("this.")
    };
    if let Some(member) = receiver {
        let mut scope = owner;
        while scope != 0 {
            if defs[scope].kind == NodeKind::Class {
                return index
                    .get(format!("{}.{member}", defs[scope].name).as_str())
                    .copied();
            }
            scope = defs[scope].parent;
        }
        return None;
    }
    // Bare names see enclosing functions' definitions, never a class's members; a
    // parameter or local variable of the same name hides what is outside.
    let first = callee.split('.').next().unwrap_or(callee);
    let mut scope = owner;
    while scope != 0 {
        if defs[scope].kind != NodeKind::Class {
            if let Some(&found) = index.get(format!("{}.{callee}", defs[scope].name).as_str()) {
                return Some(found);
            }
            if defs[scope].locals.iter().any(|l| l == first) {
                return None;
            }
        }
        scope = defs[scope].parent;
    }
    index.get(callee).copied()
}

/// The names a file binds by top-level imports: local name → (module as written, name
/// imported from it, `*` for the module itself, `default` for a default import).
fn import_bindings(root: Node<'_>, source: &[u8], lang: Lang) -> HashMap<String, (String, String)> {
    let mut bindings = HashMap::new();
    let mut statements = vec![root];
    while let Some(parent) = statements.pop() {
        let mut cursor = parent.walk();
        for statement in parent.named_children(&mut cursor) {
            match statement.kind() {
                "import_statement" if lang.is_js_like() => {
                    js_import(statement, source, &mut bindings);
                }
                "lexical_declaration" | "variable_declaration" => {
                    js_require(statement, source, &mut bindings);
                }
                "import_statement" | "import_from_statement" => {
                    python_import(statement, source, &mut bindings);
                }
                // Python imports guarded by `try`/`if` at module level.
                "if_statement" | "try_statement" | "block" | "else_clause" | "except_clause"
                    if lang == Lang::Python =>
                {
                    statements.push(statement);
                }
                _ => {}
            }
        }
    }
    bindings
}

fn js_import(statement: Node<'_>, source: &[u8], out: &mut HashMap<String, (String, String)>) {
    let Some(module) = statement
        .child_by_field_name("source")
        .and_then(|s| string_literal(s, source))
    else {
        return;
    };
    let mut cursor = statement.walk();
    let Some(clause) = statement
        .named_children(&mut cursor)
        .find(|c| c.kind() == "import_clause")
    else {
        return;
    };
    let mut inner = clause.walk();
    for part in clause.named_children(&mut inner) {
        match part.kind() {
            "identifier" => {
                out.insert(
                    text(part, source).to_string(),
                    (module.to_string(), "default".to_string()),
                );
            }
            "namespace_import" => {
                if let Some(name) = part.named_child(0) {
                    out.insert(
                        text(name, source).to_string(),
                        (module.to_string(), "*".to_string()),
                    );
                }
            }
            "named_imports" => {
                let mut specs = part.walk();
                for spec in part.named_children(&mut specs) {
                    let Some(name) = spec.child_by_field_name("name") else {
                        continue;
                    };
                    let local = spec.child_by_field_name("alias").unwrap_or(name);
                    out.insert(
                        text(local, source).to_string(),
                        (module.to_string(), text(name, source).to_string()),
                    );
                }
            }
            _ => {}
        }
    }
}

/// `const x = require("m")` and `const { a, b: c } = require("m")`.
fn js_require(statement: Node<'_>, source: &[u8], out: &mut HashMap<String, (String, String)>) {
    let mut cursor = statement.walk();
    for declarator in statement.named_children(&mut cursor) {
        let (Some(name), Some(value)) = (
            declarator.child_by_field_name("name"),
            declarator.child_by_field_name("value"),
        ) else {
            continue;
        };
        if value.kind() != "call_expression"
            || value
                .child_by_field_name("function")
                .is_none_or(|f| text(f, source) != "require")
        {
            continue;
        }
        let Some(module) = value
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
            .and_then(|s| string_literal(s, source))
        else {
            continue;
        };
        match name.kind() {
            "identifier" => {
                out.insert(
                    text(name, source).to_string(),
                    (module.to_string(), "*".to_string()),
                );
            }
            "object_pattern" => {
                let mut props = name.walk();
                for property in name.named_children(&mut props) {
                    let (imported, local) = match property.kind() {
                        "shorthand_property_identifier_pattern" => (property, property),
                        "pair_pattern" => match (
                            property.child_by_field_name("key"),
                            property.child_by_field_name("value"),
                        ) {
                            (Some(k), Some(v)) if v.kind() == "identifier" => (k, v),
                            _ => continue,
                        },
                        _ => continue,
                    };
                    out.insert(
                        text(local, source).to_string(),
                        (module.to_string(), text(imported, source).to_string()),
                    );
                }
            }
            _ => {}
        }
    }
}

fn python_import(statement: Node<'_>, source: &[u8], out: &mut HashMap<String, (String, String)>) {
    if statement.kind() == "import_statement" {
        let mut cursor = statement.walk();
        for name in statement.children_by_field_name("name", &mut cursor) {
            match name.kind() {
                "aliased_import" => {
                    if let (Some(module), Some(alias)) = (
                        name.child_by_field_name("name"),
                        name.child_by_field_name("alias"),
                    ) {
                        out.insert(
                            text(alias, source).to_string(),
                            (text(module, source).to_string(), "*".to_string()),
                        );
                    }
                }
                _ => {
                    // `import a.b` binds `a`.
                    let written = text(name, source);
                    let first = written.split('.').next().unwrap_or(written);
                    out.insert(first.to_string(), (first.to_string(), "*".to_string()));
                }
            }
        }
        return;
    }
    let Some(module) = statement.child_by_field_name("module_name") else {
        return;
    };
    let module_text = text(module, source).to_string();
    let mut cursor = statement.walk();
    for name in statement.children_by_field_name("name", &mut cursor) {
        let (imported, local) = match name.kind() {
            "aliased_import" => match (
                name.child_by_field_name("name"),
                name.child_by_field_name("alias"),
            ) {
                (Some(n), Some(a)) => (text(n, source), text(a, source)),
                _ => continue,
            },
            _ => (text(name, source), text(name, source)),
        };
        out.insert(
            local.to_string(),
            (module_text.clone(), imported.to_string()),
        );
    }
}
