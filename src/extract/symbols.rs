//! The `symbols` extractor: definitions at module, namespace and class level.

use super::scan::Match;
use super::syntax::NodeExt;
use super::syntax::{ancestors, one_line, position, string_literal, text};
use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tree_sitter::Node;

/// Capture names `extractors/symbols/*.scm` may use.
pub const CAPTURES: &[&str] = &[
    "function",
    "class",
    "method",
    "interface",
    "type",
    "enum",
    "namespace",
    "variable",
    "name",
    "value",
    "scope",
];

const SIGNATURE_MAX: usize = 200;
const DOC_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Symbol {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The definition's stable id, `path#Qualified.Name` (see the calls extractor).
    pub id: String,
    pub end_line: u32,
    #[serde(default = "crate::render::name_left_out")]
    pub name: String,
    pub kind: SymbolKind,
    #[serde(default)]
    pub exported: bool,
    /// The module's default export (`export default function f`, `export default f`,
    /// `export { f as default }`, `module.exports = f`).
    #[serde(default)]
    pub default: bool,
    #[serde(default = "crate::render::left_out")]
    pub parent: Option<String>,
    pub signature: String,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SymbolKind {
    Function,
    Class,
    Method,
    Interface,
    Type,
    Enum,
    Namespace,
    Variable,
}

impl SymbolKind {
    /// As JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            SymbolKind::Function => "function",
            SymbolKind::Class => "class",
            SymbolKind::Method => "method",
            SymbolKind::Interface => "interface",
            SymbolKind::Type => "type",
            SymbolKind::Enum => "enum",
            SymbolKind::Namespace => "namespace",
            SymbolKind::Variable => "variable",
        }
    }
}

impl Symbol {
    /// The symbol's line in the section of `file` of its chunk file, as the generic
    /// rendering writes it (`render::chunk_files`): `false` and `null` left out, an id into
    /// the file as `#Name`, and the `name` and `parent` that id gives left out (a `parent`
    /// it gives that the symbol lacks is written `null`).
    pub fn write_line(&self, out: &mut Vec<u8>, file: &str) {
        use crate::render::{Names, write_id, write_name, write_parent, write_str, write_u32};
        crate::render::item_head(out, self.line, self.column);
        let qualified = write_id(out, &self.id, file);
        out.extend_from_slice(b",\"end_line\":");
        write_u32(out, self.end_line);
        write_name(out, qualified, Names::Simple, &self.name);
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(self.kind.name().as_bytes());
        out.push(b'"');
        if self.exported {
            out.extend_from_slice(b",\"exported\":true");
        }
        if self.default {
            out.extend_from_slice(b",\"default\":true");
        }
        write_parent(out, qualified, self.parent.as_deref());
        out.extend_from_slice(b",\"signature\":");
        write_str(out, &self.signature);
        if let Some(doc) = &self.doc {
            out.extend_from_slice(b",\"doc\":");
            write_str(out, doc);
        }
        out.push(b'}');
    }
}

/// Names a JS/TS file exports through `export { a, b as c }` or `export default a`, which
/// mark a declaration made elsewhere in the file as exported; the second set holds those
/// exported as the default (`export default a`, `export { a as default }`,
/// `module.exports = a`).
pub struct ExportList(BTreeSet<String>, BTreeSet<String>);

/// The field and kind ids `ExportList::of` reads, looked up once per grammar: a lookup by
/// name compares it with every name of the grammar (9 M instructions on the 978-file
/// sample when it ran per file).
struct ExportIds {
    source_field: Option<std::num::NonZeroU16>,
    value_field: Option<std::num::NonZeroU16>,
    name_field: Option<std::num::NonZeroU16>,
    alias_field: Option<std::num::NonZeroU16>,
    export_statement: u16,
    expression_statement: u16,
    export_clause: u16,
    identifier: u16,
}

impl ExportIds {
    fn of(lang: Lang) -> &'static ExportIds {
        static IDS: [std::sync::OnceLock<ExportIds>; Lang::COUNT] =
            [const { std::sync::OnceLock::new() }; Lang::COUNT];
        IDS[lang.index()].get_or_init(|| {
            let language = lang.grammar();
            let field = |name| language.field_id_for_name(name);
            let kind = |name| language.id_for_node_kind(name, true);
            ExportIds {
                source_field: field("source"),
                value_field: field("value"),
                name_field: field("name"),
                alias_field: field("alias"),
                export_statement: kind("export_statement"),
                expression_statement: kind("expression_statement"),
                export_clause: kind("export_clause"),
                identifier: kind("identifier"),
            }
        })
    }
}

impl ExportList {
    /// Whether a separate statement exports `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// Whether a separate statement exports `name` as the module's default.
    pub fn is_default(&self, name: &str) -> bool {
        self.1.contains(name)
    }

    pub fn of(root: Node<'_>, source: &[u8], lang: Lang) -> ExportList {
        let mut names = BTreeSet::new();
        let mut defaults = BTreeSet::new();
        if lang.is_js_like() {
            let &ExportIds {
                source_field,
                value_field,
                name_field,
                alias_field,
                export_statement,
                expression_statement,
                export_clause,
                identifier,
            } = ExportIds::of(lang);
            fn child(node: Node<'_>, field: Option<std::num::NonZeroU16>) -> Option<Node<'_>> {
                field.and_then(|f| super::preorder::child_by_field(node, f.get()))
            }
            for statement in root.named_kids() {
                let statement_kind = statement.kind_id();
                if statement_kind == expression_statement {
                    commonjs_exports(statement, source, &mut names, &mut defaults);
                    continue;
                }
                if statement_kind != export_statement || child(statement, source_field).is_some() {
                    continue;
                }
                if let Some(value) = child(statement, value_field)
                    && value.kind_id() == identifier
                {
                    names.insert(text(value, source).to_string());
                    defaults.insert(text(value, source).to_string());
                }
                for clause in statement.named_kids() {
                    if clause.kind_id() != export_clause {
                        continue;
                    }
                    for spec in clause.named_kids() {
                        if let Some(name) = child(spec, name_field) {
                            let is_default = child(spec, alias_field)
                                .is_some_and(|a| text(a, source) == "default");
                            if is_default {
                                defaults.insert(text(name, source).to_string());
                            }
                            names.insert(text(name, source).to_string());
                        }
                    }
                }
            }
        }
        ExportList(names, defaults)
    }
}

/// Names a CommonJS module exports: `module.exports = X`, `module.exports = { a, b: c }`,
/// `exports.a = a`, `module.exports.a = a`.
/// The two sides of an expression statement that is an assignment (`module.exports = X`,
/// `exports.a = a`), for the CommonJS readers here and in the export surface.
pub fn commonjs_assignment(statement: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
    let assignment = statement
        .named_child(0)
        .filter(|n| n.kind_str() == "assignment_expression")?;
    Some((assignment.field("left")?, assignment.field("right")?))
}

fn commonjs_exports(
    statement: Node<'_>,
    source: &[u8],
    names: &mut BTreeSet<String>,
    defaults: &mut BTreeSet<String>,
) {
    let Some((left, right)) = commonjs_assignment(statement) else {
        return;
    };
    let target = text(left, source);
    let is_exports = target == "module.exports"
        || target.starts_with("exports.")
        || target.starts_with("module.exports.");
    if !is_exports {
        return;
    }
    match right.kind_str() {
        "identifier" => {
            if matches!(
                target,
                "module.exports" | "exports.default" | "module.exports.default"
            ) {
                defaults.insert(text(right, source).to_string());
            }
            names.insert(text(right, source).to_string());
        }
        "object" => {
            for property in right.named_kids() {
                let value = match property.kind_str() {
                    "shorthand_property_identifier" => Some(property),
                    "pair" => property
                        .field("value")
                        .filter(|v| v.kind_str() == "identifier"),
                    _ => None,
                };
                if let Some(value) = value {
                    names.insert(text(value, source).to_string());
                }
            }
        }
        _ => {}
    }
}

/// A node whose body may hold further symbols: a class or namespace definition, or a
/// module-level compound statement (`@scope`).
pub fn container<'t>(m: &Match<'_, 't>, source: &[u8]) -> Option<Node<'t>> {
    // `const Foo = class { ... }`: the class expression holds the methods.
    if let Some((_, value)) = m
        .captures
        .iter()
        .find(|(name, node)| *name == "value" && node.kind_str() == "class")
    {
        return Some(*value);
    }
    let &(name, node) = m
        .captures
        .iter()
        .find(|(name, _)| matches!(*name, "class" | "namespace" | "scope"))?;
    if name == "scope" && python_scope(node, source).is_none() {
        return None;
    }
    Some(node)
}

/// Turns one match of `extractors/symbols/*.scm` into a symbol, or `None` for a definition
/// that is local to a function (or otherwise not part of the module's shape).
pub fn from_match(
    m: &Match<'_, '_>,
    source: &[u8],
    lang: Lang,
    file: &str,
    exports: &ExportList,
) -> Option<Symbol> {
    let mut def = None;
    let mut name = None;
    let mut value = None;
    for &(role, node) in &m.captures {
        match role {
            "name" => name = Some(node),
            "value" => value = Some(node),
            _ => def = Some((role, node)),
        }
    }
    let (role, node) = def?;
    if role == "scope" {
        return None;
    }
    let name_node = name?;
    // `declare module "x"` names its module with a string literal.
    let name = match name_node.kind_str() {
        "string" => string_literal(name_node, source)
            .unwrap_or_default()
            .to_string(),
        _ => text(name_node, source).to_string(),
    };
    let mut kind = match role {
        "function" => SymbolKind::Function,
        "class" => SymbolKind::Class,
        "method" => SymbolKind::Method,
        "interface" => SymbolKind::Interface,
        "type" => SymbolKind::Type,
        "enum" => SymbolKind::Enum,
        "namespace" => SymbolKind::Namespace,
        _ => SymbolKind::Variable,
    };
    let scope = if lang.is_js_like() {
        js_scope(node, source)?
    } else {
        python_scope(node, source)?
    };
    if kind == SymbolKind::Function && scope.in_class {
        kind = SymbolKind::Method;
    }

    let exported;
    let mut default = false;
    let signature;
    let doc;
    if lang.is_js_like() {
        let is_function_value = value.is_some_and(|v| {
            matches!(
                v.kind_str(),
                "arrow_function" | "function_expression" | "function" | "generator_function"
            )
        });
        exported = scope.js_exported || exports.0.contains(&scope.top_name(&name));
        // Only a module-level definition can be the default export.
        default = scope.parent.is_none()
            && (scope.js_default || (scope.top.is_none() && exports.is_default(&name)));
        if kind == SymbolKind::Variable {
            if is_function_value {
                kind = SymbolKind::Function;
            } else if !exported {
                // Only exported variables are part of a module's shape.
                return None;
            }
        }
        let body = match (kind, value) {
            (SymbolKind::Function, Some(v)) if is_function_value => v.field("body"),
            (SymbolKind::Variable | SymbolKind::Type, _) => None,
            _ => node.field("body"),
        };
        // The keyword is part of the head, and of the 200 characters it is cut to.
        signature = signature_text(node, body, source, kind, declaration_keyword(node, source));
        doc = js_doc(scope.anchor, source);
    } else {
        exported = scope.python_public && is_public_python_name(&name);
        let body = node.field("body");
        signature = signature_text(node, body, source, kind, None);
        doc = body.and_then(|b| python_docstring(b, source));
    }

    let (line, column) = position(node);
    // The qualified name; the engine turns it into the id (`ids.rs`).
    let mut id: String = scope
        .chain
        .iter()
        .rev()
        .flat_map(|c| [c.as_str(), "."])
        .collect();
    id.push_str(&name);
    Some(Symbol {
        file: file.to_string(),
        line,
        column,
        id,
        end_line: super::syntax::end_line(node),
        name,
        kind,
        exported,
        default,
        parent: scope.parent,
        signature,
        doc,
    })
}

/// Where a definition sits: its container's name and whether its top-level statement is
/// exported.
struct Scope<'t> {
    parent: Option<String>,
    in_class: bool,
    js_exported: bool,
    /// Under `export default`.
    js_default: bool,
    python_public: bool,
    /// The statement that carries the definition's leading comment.
    anchor: Node<'t>,
    /// Name of the outermost container, for matching against `export { ... }` lists.
    top: Option<String>,
    /// Every container's name, the nearest first.
    chain: Vec<String>,
}

impl Scope<'_> {
    fn top_name(&self, own: &str) -> String {
        self.top.clone().unwrap_or_else(|| own.to_string())
    }
}

fn js_scope<'t>(node: Node<'t>, source: &[u8]) -> Option<Scope<'t>> {
    let mut scope = Scope {
        parent: None,
        in_class: false,
        js_exported: false,
        js_default: false,
        python_public: true,
        anchor: node,
        top: None,
        chain: Vec::new(),
    };
    let mut anchor_settled = false;
    let chain = ancestors(node);
    for (level, &up) in chain.iter().enumerate() {
        match up.kind_str() {
            "program" => break,
            "export_statement" => {
                scope.js_exported = true;
                scope.js_default |= up.kids().into_iter().any(|c| c.kind_str() == "default");
                if !anchor_settled {
                    scope.anchor = up;
                }
            }
            "lexical_declaration"
            | "variable_declaration"
            | "ambient_declaration"
            | "expression_statement" => {
                if !anchor_settled {
                    scope.anchor = up;
                }
            }
            "variable_declarator" => {
                // A class expression assigned to a module-level constant.
                anchor_settled = true;
                if let Some(name) = up.field("name") {
                    set_container(&mut scope, text(name, source));
                }
            }
            "class_body" | "interface_body" | "object_type" => {}
            "class_declaration"
            | "abstract_class_declaration"
            | "class"
            | "interface_declaration" => {
                anchor_settled = true;
                if let Some(name) = up.field("name") {
                    set_container(&mut scope, text(name, source));
                    scope.in_class = scope.in_class || !up.kind_str().starts_with("interface");
                }
            }
            "statement_block" => {
                // Only a namespace's body is a container (`declare global { ... }` one named
                // `global`); any other block is a function's.
                let owner = *chain.get(level + 1)?;
                match owner.kind_str() {
                    "internal_module" | "module" => {}
                    "ambient_declaration" if is_declare_global(owner) => {
                        anchor_settled = true;
                        // What `declare global` declares is visible everywhere.
                        scope.js_exported = true;
                        set_container(&mut scope, "global");
                    }
                    _ => return None,
                }
            }
            "internal_module" | "module" => {
                // An ambient module (`declare module "x" { ... }`) and what it declares
                // are the module's public shape: `export` is implied there.
                if up.kind_str() == "module"
                    && chain
                        .get(level + 1)
                        .is_some_and(|p| p.kind_str() == "ambient_declaration")
                {
                    scope.js_exported = true;
                }
                anchor_settled = true;
                if let Some(name) = up.field("name") {
                    let name = match name.kind_str() {
                        "string" => string_literal(name, source).unwrap_or_default(),
                        _ => text(name, source),
                    };
                    set_container(&mut scope, name);
                }
            }
            _ => return None,
        }
    }
    Some(scope)
}

/// `declare global { ... }`.
fn is_declare_global(ambient: Node<'_>) -> bool {
    ambient.kids().into_iter().any(|c| c.kind_str() == "global")
}

/// Records the nearest container as the parent and the outermost one as the top.
fn set_container(scope: &mut Scope<'_>, name: &str) {
    scope.chain.push(name.to_string());
    if scope.parent.is_none() {
        scope.parent = Some(name.to_string());
    }
    scope.top = Some(name.to_string());
}

fn python_scope<'t>(node: Node<'t>, source: &[u8]) -> Option<Scope<'t>> {
    let mut scope = Scope {
        parent: None,
        in_class: false,
        js_exported: false,
        js_default: false,
        python_public: true,
        anchor: node,
        top: None,
        chain: Vec::new(),
    };
    for up in ancestors(node) {
        match up.kind_str() {
            "module" => break,
            "class_definition" => {
                if let Some(name) = up.field("name") {
                    let name = text(name, source);
                    if scope.parent.is_none() {
                        scope.in_class = true;
                    }
                    scope.python_public = scope.python_public && is_public_python_name(name);
                    set_container(&mut scope, name);
                }
            }
            "decorated_definition" => scope.anchor = up,
            // Module-level conditionals (`if TYPE_CHECKING:`, `try: ... except ImportError:`)
            // still define module-level names.
            "block"
            | "if_statement"
            | "elif_clause"
            | "else_clause"
            | "try_statement"
            | "except_clause"
            | "finally_clause"
            | "with_statement"
            | "expression_statement" => {}
            _ => return None,
        }
    }
    Some(scope)
}

/// `_private` names are not exported; dunders such as `__init__` are public API.
fn is_public_python_name(name: &str) -> bool {
    !name.starts_with('_') || (name.starts_with("__") && name.ends_with("__"))
}

fn signature_text(
    node: Node<'_>,
    body: Option<Node<'_>>,
    source: &[u8],
    kind: SymbolKind,
    keyword: Option<&str>,
) -> String {
    let start = node.start_byte();
    // Python's head ends at its `:` (a comment may sit between it and the body); the
    // children are listed only for a node with a body, the only one whose head it ends.
    let colon = || {
        node.kids()
            .into_iter()
            .find(|c| !c.is_named() && c.kind_str() == ":")
            .map(|c| c.start_byte())
    };
    let end = match body {
        Some(b) => match colon() {
            Some(colon) => colon,
            None if b.start_byte() > start => b.start_byte(),
            None => node.end_byte(),
        },
        None => node.end_byte(),
    };
    // What `one_line` reads of it: a variable's head ends with its value, which may be a
    // whole object or component.
    let raw = super::syntax::head(&source[start..end], SIGNATURE_MAX);
    let mut sig = match keyword {
        Some(keyword) => one_line(&format!("{keyword} {raw}"), SIGNATURE_MAX),
        None => one_line(raw, SIGNATURE_MAX),
    };
    // A cut right after a whole word leaves `word …`, one character over: at most 200
    // characters and the ellipsis.
    if let Some(head) = sig.strip_suffix(" …")
        && head.chars().count() >= SIGNATURE_MAX
    {
        sig = format!("{head}…");
    }
    // The text before a body ends in the opener of that body.
    if body.is_some() {
        for suffix in ["{", ":"] {
            if let Some(s) = sig.strip_suffix(suffix) {
                sig = s.trim_end().to_string();
            }
        }
    }
    if kind == SymbolKind::Variable || kind == SymbolKind::Type {
        sig = sig.trim_end_matches(';').to_string();
    }
    sig
}

/// `const` / `let` / `var` of a variable declarator, which its own node does not include.
fn declaration_keyword<'s>(node: Node<'_>, source: &'s [u8]) -> Option<&'s str> {
    if node.kind_str() != "variable_declarator" {
        return None;
    }
    let declaration = node.up()?;
    Some(text(declaration.child(0)?, source))
}

/// First line of the JSDoc block (`/** ... */`) right above the statement.
fn js_doc(anchor: Node<'_>, source: &[u8]) -> Option<String> {
    let comment = anchor.before()?;
    if comment.kind_str() != "comment"
        || comment.end_position().row + 1 < anchor.start_position().row
    {
        return None;
    }
    let raw = text(comment, source);
    let inner = raw.strip_prefix("/**")?.strip_suffix("*/")?;
    first_doc_line(inner.lines().map(|l| l.trim().trim_start_matches('*')))
}

fn python_docstring(body: Node<'_>, source: &[u8]) -> Option<String> {
    let first = body.named_child(0)?;
    if first.kind_str() != "expression_statement" {
        return None;
    }
    let string = first.named_child(0)?;
    if string.kind_str() != "string" {
        return None;
    }
    first_doc_line(string_literal(string, source)?.lines())
}

fn first_doc_line<'a>(lines: impl Iterator<Item = &'a str>) -> Option<String> {
    lines
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| one_line(l, DOC_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Items;

    fn symbol(file: &str, id: &str, name: &str, parent: Option<&str>) -> Symbol {
        Symbol {
            file: file.to_string(),
            line: 2,
            column: 4,
            id: id.to_string(),
            end_line: 9,
            name: name.to_string(),
            kind: SymbolKind::Method,
            exported: false,
            default: false,
            parent: parent.map(str::to_string),
            signature: String::new(),
            doc: None,
        }
    }

    /// The direct rendering against the generic one (`to_output_json` holds them equal in
    /// debug builds and checks the bytes read back): names and parents the id gives or
    /// not, a parent the id gives that the symbol lacks, foreign ids, flags, escapes.
    #[test]
    fn the_direct_rendering_is_the_generic_one() {
        let odd = "src/q\"\\ü\u{2}.ts";
        let mut flagged = symbol(odd, &format!("{odd}#A~2.b~3"), "b", Some("A"));
        flagged.exported = true;
        flagged.default = true;
        flagged.signature = "b(x: \"y\")\t".to_string();
        flagged.doc = Some("Docs\n\u{1f}".to_string());
        let mut items = vec![
            flagged,
            symbol(odd, &format!("{odd}#A.c"), "c", None),
            symbol(odd, &format!("{odd}#A.d"), "other", Some("B")),
            symbol(odd, &format!("{odd}#e"), "e", Some("E")),
            symbol(odd, &format!("{odd}#"), "", None),
            symbol(odd, "elsewhere.ts#F.g", "g", Some("F")),
            symbol("b.py", "b.py#h", "h", None),
        ];
        items.sort();
        let text = String::from_utf8(Items::Symbols(items).to_output_json("c")).unwrap();
        assert!(text.contains(
            "{\"line\":2,\"column\":4,\"id\":\"#A~2.b~3\",\"end_line\":9,\"kind\":\"method\",\
             \"exported\":true,\"default\":true,\"signature\":\"b(x: \\\"y\\\")\\t\",\
             \"doc\":\"Docs\\n\\u001f\"}"
        ));
        assert!(
            text.contains("\"id\":\"#A.c\",\"end_line\":9,\"kind\":\"method\",\"parent\":null,")
        );
        assert!(text.contains("\"name\":\"other\",\"kind\":\"method\",\"parent\":\"B\","));
        assert!(
            text.contains("\"id\":\"#e\",\"end_line\":9,\"kind\":\"method\",\"parent\":\"E\",")
        );
        assert!(text.contains("\"id\":\"elsewhere.ts#F.g\",\"end_line\":9,\"name\":\"g\""));
        assert!(text.contains("\n\"src/q\\\"\\\\ü\\u0002.ts\":[\n"));
        assert!(text.ends_with("\n]\n}\n}\n"));
    }
}
