//! The `exports` extractor: a file's export surface, one item per exported name. What a
//! file finds alone is the raw surface: its own definitions (with their ids), and the names
//! it takes from other modules as written (`export { a as b } from "./x"`, `export * from`,
//! an imported name exported again, Python `from .x import y` in a package's `__init__.py`).
//! The link stage (`crate::link`) resolves those across files: it fills each item's `id`
//! with the definition the name finally reaches, and lists the names an `export *` brings.

use super::bindings::Imports;
use super::calls::CallNode;
use super::syntax::NodeExt;
use super::syntax::{position, string_literal, text};
use crate::lang::Lang;
use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tree_sitter::Node;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct Export {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The exported name: `default`, `module.exports` (CommonJS's whole export), or `*` for
    /// an `export * from` statement itself.
    pub name: String,
    pub kind: ExportKind,
    /// For `local`: the name of the file's own definition (`g` for `export { g as f }`),
    /// `default` for an anonymous default export; `null` for an expression.
    #[serde(default = "crate::render::left_out")]
    pub local: Option<String>,
    /// For the other kinds: the module as written (`./x`, `.models`, `@/lib`).
    pub module: Option<String>,
    /// For `reexport`: the name taken from `module` (`default`, `*` for a module object).
    pub imported: Option<String>,
    /// The id of the definition the name reaches, following re-exports across files; `null`
    /// when it leaves the repository or cannot be followed with certainty.
    pub id: Option<String>,
    /// A Python module's public name that its `__all__` does not list: reachable as
    /// `module.name` and by `from module import name`, never brought by `import *`.
    #[serde(default)]
    pub unlisted: bool,
}

impl Serialize for Export {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // The worker pipe (bincode) needs every field; JSON leaves `unlisted` out unless
        // it is true.
        let sparse = serializer.is_human_readable();
        let mut out = serializer.serialize_struct("Export", 11)?;
        out.serialize_field("file", &self.file)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("column", &self.column)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("kind", &self.kind)?;
        // In JSON the id comes first: a chunk file leaves out a `local` it gives.
        if sparse {
            out.serialize_field("id", &self.id)?;
        }
        out.serialize_field("local", &self.local)?;
        out.serialize_field("module", &self.module)?;
        out.serialize_field("imported", &self.imported)?;
        if !sparse {
            out.serialize_field("id", &self.id)?;
        }
        if !sparse || self.unlisted {
            out.serialize_field("unlisted", &self.unlisted)?;
        }
        out.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportKind {
    /// A definition of this file.
    Local,
    /// A name of another module, re-exported by name.
    Reexport,
    /// Another module's namespace object (`export * as ns from`, an exported
    /// `import * as ns`).
    Namespace,
    /// `export * from "m"` (`name` is `*`), and each name it brings (`name` set, written by
    /// the link stage).
    Star,
}

impl ExportKind {
    /// As JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::Local => "local",
            ExportKind::Reexport => "reexport",
            ExportKind::Namespace => "namespace",
            ExportKind::Star => "star",
        }
    }
}

impl Export {
    /// The export's line in the section of `file` of its chunk file, as the generic
    /// rendering writes it (`render::chunk_files`): `false` and `null` left out, an id into
    /// the file as `#Name`, and the `local` that id gives left out (a `local` it gives that
    /// the export lacks is written `null`).
    pub fn write_line(&self, out: &mut Vec<u8>, file: &str) {
        use crate::render::{Names, name_from_qualified, own_id, write_str, write_unless_given};
        crate::render::item_head(out, self.line, self.column);
        out.extend_from_slice(b",\"name\":");
        write_str(out, &self.name);
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(self.kind.name().as_bytes());
        out.push(b'"');
        let own = self.id.as_deref().and_then(|id| own_id(id, file));
        if let Some(id) = &self.id {
            out.extend_from_slice(b",\"id\":");
            write_str(out, own.unwrap_or(id));
        }
        let given = own.map(|own| name_from_qualified(&own[1..], Names::Local));
        write_unless_given(out, b"\"local\"", given.as_deref(), self.local.as_deref());
        for (key, value) in [
            (&b",\"module\":"[..], &self.module),
            (&b",\"imported\":"[..], &self.imported),
        ] {
            if let Some(value) = value {
                out.extend_from_slice(key);
                write_str(out, value);
            }
        }
        if self.unlisted {
            out.extend_from_slice(b",\"unlisted\":true");
        }
        out.push(b'}');
    }

    /// Whether the item is part of the raw surface a file declares, rather than a name the
    /// link stage listed for an `export *`.
    pub fn is_declared(&self) -> bool {
        self.kind != ExportKind::Star || self.name == "*"
    }
}

/// The export surface of one file. `nodes` is the file's call graph: a local export's id is
/// the id of its top-level node, so that the two agree on every definition.
pub fn extract(
    root: Node<'_>,
    source: &[u8],
    lang: Lang,
    path: &str,
    imports: &Imports,
    nodes: &[CallNode],
) -> Vec<Export> {
    let mut raw = Vec::new();
    let mut declared = BTreeSet::new();
    if lang.is_js_like() {
        js_exports(root, source, &mut raw, &mut declared);
    } else {
        python_exports(root, source, path, imports, &mut raw, &mut declared);
    }
    // Top-level nodes by name; a name defined twice names no single definition.
    let mut top: HashMap<&str, Option<&str>> = HashMap::default();
    for node in nodes {
        if node.name.contains('.') || node.name == "<module>" {
            continue;
        }
        top.entry(node.name.as_str())
            .and_modify(|id| *id = None)
            .or_insert(Some(node.id.as_str()));
    }
    let bindings: HashMap<&str, (&str, &str)> = imports
        .bindings()
        .map(|b| (b.local.as_str(), (b.module.as_str(), b.imported.as_str())))
        .collect();
    let mut out = Vec::with_capacity(raw.len());
    for found in raw {
        let mut item = Export {
            file: path.to_string(),
            line: found.line,
            column: found.column,
            name: found.name,
            kind: found.kind,
            local: found.local,
            module: found.module,
            imported: found.imported,
            id: None,
            unlisted: found.unlisted,
        };
        if item.kind == ExportKind::Local
            && let Some(local) = item.local.clone()
        {
            match top.get(local.as_str()) {
                Some(Some(id)) => item.id = Some(id.to_string()),
                // Two definitions: which one the name holds depends on the run.
                Some(None) => {}
                None if declared.contains(&local) => item.id = Some(format!("{path}#{local}")),
                None => {
                    // Not defined here: an imported name exported again.
                    if let Some((module, imported)) = bindings.get(local.as_str()) {
                        item.kind = if *imported == "*" {
                            ExportKind::Namespace
                        } else {
                            ExportKind::Reexport
                        };
                        item.module = Some(module.to_string());
                        item.imported = (*imported != "*").then(|| imported.to_string());
                        item.local = None;
                    }
                }
            }
        }
        out.push(item);
    }
    out.sort();
    out.dedup();
    out
}

/// An export as the file writes it, before ids.
struct Found {
    line: u32,
    column: u32,
    name: String,
    kind: ExportKind,
    local: Option<String>,
    module: Option<String>,
    imported: Option<String>,
    unlisted: bool,
}

impl Found {
    fn local(at: Node<'_>, name: &str, local: Option<&str>) -> Found {
        let (line, column) = position(at);
        Found {
            line,
            column,
            name: name.to_string(),
            kind: ExportKind::Local,
            local: local.map(str::to_string),
            module: None,
            imported: None,
            unlisted: false,
        }
    }

    fn from_module(at: Node<'_>, name: &str, kind: ExportKind, module: &str) -> Found {
        let (line, column) = position(at);
        Found {
            line,
            column,
            name: name.to_string(),
            kind,
            local: None,
            module: Some(module.to_string()),
            imported: None,
            unlisted: false,
        }
    }
}

fn js_exports(
    root: Node<'_>,
    source: &[u8],
    out: &mut Vec<Found>,
    declared: &mut BTreeSet<String>,
) {
    for statement in root.named_kids() {
        match statement.kind_str() {
            "export_statement" => js_export_statement(statement, source, out, declared),
            "expression_statement" => commonjs(statement, source, out),
            _ => js_declared(statement, source, declared),
        }
    }
}

/// Names a top-level declaration binds (of any kind: a value, a type, a namespace).
fn js_declared(node: Node<'_>, source: &[u8], declared: &mut BTreeSet<String>) {
    match node.kind_str() {
        "lexical_declaration" | "variable_declaration" => {
            for declarator in node.named_kids() {
                if let Some(name) = declarator.field("name")
                    && name.kind_str() == "identifier"
                {
                    declared.insert(text(name, source).to_string());
                }
            }
        }
        "ambient_declaration" => {
            for inner in node.named_kids() {
                js_declared(inner, source, declared);
            }
        }
        "function_declaration"
        | "generator_function_declaration"
        | "function_signature"
        | "class_declaration"
        | "abstract_class_declaration"
        | "interface_declaration"
        | "type_alias_declaration"
        | "enum_declaration"
        | "internal_module"
        | "module" => {
            if let Some(name) = node.field("name")
                && matches!(
                    name.kind_str(),
                    "identifier" | "type_identifier" | "nested_identifier"
                )
            {
                declared.insert(text(name, source).to_string());
            }
        }
        _ => {}
    }
}

fn js_export_statement(
    statement: Node<'_>,
    source: &[u8],
    out: &mut Vec<Found>,
    declared: &mut BTreeSet<String>,
) {
    let module = statement
        .field("source")
        .and_then(|s| string_literal(s, source));
    if let Some(declaration) = statement.field("declaration") {
        let is_default = has_default(statement);
        let mut names = BTreeSet::new();
        js_declared(declaration, source, &mut names);
        for name in &names {
            let exported = if is_default { "default" } else { name.as_str() };
            out.push(Found::local(declaration, exported, Some(name)));
        }
        if is_default && names.is_empty() {
            // `export default function () {}`: the call graph names it `default`.
            out.push(Found::local(statement, "default", Some("default")));
        }
        declared.extend(names);
        return;
    }
    if let Some(value) = statement.field("value") {
        let local = match value.kind_str() {
            "identifier" => Some(text(value, source)),
            // Functions and classes written in place are the call graph's `default` node.
            "arrow_function"
            | "function_expression"
            | "function"
            | "generator_function"
            | "class" => Some("default"),
            _ => None,
        };
        out.push(Found::local(statement, "default", local));
        return;
    }
    let mut star = true;
    for part in statement.named_kids() {
        match part.kind_str() {
            "export_clause" => {
                star = false;
                for spec in part.named_kids() {
                    let Some(name) = spec.field("name") else {
                        continue;
                    };
                    let original = text(name, source);
                    let exported = spec.field("alias").map_or(original, |a| text(a, source));
                    match module {
                        Some(module) => {
                            let mut found =
                                Found::from_module(spec, exported, ExportKind::Reexport, module);
                            found.imported = Some(original.to_string());
                            out.push(found);
                        }
                        None => out.push(Found::local(spec, exported, Some(original))),
                    }
                }
            }
            "namespace_export" => {
                star = false;
                if let (Some(name), Some(module)) = (part.named_child(0), module) {
                    out.push(Found::from_module(
                        part,
                        text(name, source),
                        ExportKind::Namespace,
                        module,
                    ));
                }
            }
            _ => {}
        }
    }
    if star && let Some(module) = module {
        out.push(Found::from_module(statement, "*", ExportKind::Star, module));
    }
}

fn has_default(statement: Node<'_>) -> bool {
    statement
        .kids()
        .into_iter()
        .any(|c| !c.is_named() && c.kind_str() == "default")
}

/// CommonJS: `module.exports = X` (the whole export, `module.exports`), `module.exports =
/// { a, b: c }`, `exports.a = a`, `module.exports.a = a`. A name given another module
/// itself (`exports.a = require("./a")`, `module.exports = { a: require("./a") }`, a CJS
/// barrel) is that module's object, as an exported `import * as a` is: a namespace.
fn commonjs(statement: Node<'_>, source: &[u8], out: &mut Vec<Found>) {
    let required = |value: Node<'_>| {
        super::bindings::required_module(value, source)
            .filter(|(_, wrapped)| !wrapped)
            .map(|(module, _)| module)
    };
    let Some((left, right)) = super::symbols::commonjs_assignment(statement) else {
        return;
    };
    let target = text(left, source);
    let name = if target == "module.exports" {
        "module.exports"
    } else if let Some(name) = target
        .strip_prefix("module.exports.")
        .or_else(|| target.strip_prefix("exports."))
    {
        name
    } else {
        return;
    };
    match right.kind_str() {
        "identifier" => out.push(Found::local(left, name, Some(text(right, source)))),
        "object" if name == "module.exports" => {
            for property in right.named_kids() {
                let (key, value) = match property.kind_str() {
                    "shorthand_property_identifier" => (Some(property), Some(property)),
                    "pair" => (property.field("key"), property.field("value")),
                    _ => (None, None),
                };
                // A computed key (`[name]: f`) names nothing known here; a string key is
                // its contents (`'ary': require('./ary')`).
                let Some(key) = key.filter(|k| k.kind_str() != "computed_property_name") else {
                    continue;
                };
                let key = super::syntax::key_text(key, source);
                match value {
                    Some(value)
                        if matches!(
                            value.kind_str(),
                            "identifier" | "shorthand_property_identifier"
                        ) =>
                    {
                        out.push(Found::local(property, key, Some(text(value, source))));
                    }
                    // No `if let` guard: the crate builds on Rust 1.90.
                    _ => match value.and_then(required) {
                        Some(module) => out.push(Found::from_module(
                            property,
                            key,
                            ExportKind::Namespace,
                            module,
                        )),
                        None => out.push(Found::local(property, key, None)),
                    },
                }
            }
        }
        // The whole export as another module's stays an expression: what it brings is
        // that module's `module.exports`, which this surface does not list.
        _ => match required(right).filter(|_| name != "module.exports") {
            Some(module) => {
                out.push(Found::from_module(
                    left,
                    name,
                    ExportKind::Namespace,
                    module,
                ));
            }
            None => out.push(Found::local(left, name, None)),
        },
    }
}

/// Python: the names of a literal `__all__` when there is one; else the module's public
/// definitions, and in a package's `__init__.py` the public names it imports.
fn python_exports(
    root: Node<'_>,
    source: &[u8],
    path: &str,
    imports: &Imports,
    out: &mut Vec<Found>,
    declared: &mut BTreeSet<String>,
) {
    let mut definitions: Vec<(String, Node<'_>)> = Vec::new();
    let mut all: Option<(Node<'_>, Vec<String>)> = None;
    let mut stars: Vec<Node<'_>> = Vec::new();
    let mut blocks = vec![root];
    while let Some(block) = blocks.pop() {
        for statement in block.named_kids() {
            match statement.kind_str() {
                "function_definition" | "class_definition" => {
                    if let Some(name) = statement.field("name") {
                        definitions.push((text(name, source).to_string(), name));
                    }
                }
                "decorated_definition" => {
                    if let Some(name) = statement.field("definition").and_then(|d| d.field("name"))
                    {
                        definitions.push((text(name, source).to_string(), name));
                    }
                }
                "expression_statement" => {
                    let Some(assignment) = statement
                        .named_child(0)
                        .filter(|n| n.kind_str() == "assignment")
                    else {
                        continue;
                    };
                    let Some(left) = assignment.field("left") else {
                        continue;
                    };
                    if left.kind_str() != "identifier" {
                        continue;
                    }
                    let name = text(left, source);
                    if name == "__all__" {
                        all = assignment
                            .field("right")
                            .and_then(|r| string_list(r, source))
                            .map(|names| (left, names));
                    } else {
                        definitions.push((name.to_string(), left));
                    }
                }
                "import_from_statement"
                    if statement
                        .named_kids()
                        .into_iter()
                        .any(|c| c.kind_str() == "wildcard_import") =>
                {
                    stars.push(statement);
                }
                "if_statement" | "try_statement" | "with_statement" | "block" | "else_clause"
                | "elif_clause" | "except_clause" | "finally_clause" => blocks.push(statement),
                _ => {}
            }
        }
    }
    definitions.sort_by_key(|(_, node)| node.start_byte());
    declared.extend(definitions.iter().map(|(name, _)| name.clone()));
    let is_package = path.ends_with("__init__.py") || path.ends_with("__init__.pyi");
    let from_statements: Vec<_> = imports
        .statements
        .iter()
        .filter(|s| s.kind == super::bindings::ImportKind::PyFrom)
        .collect();
    let mut seen = BTreeSet::new();
    // `__all__` lists what `import *` brings; the module's other public names stay
    // reachable as attributes (`unlisted`).
    let listed = all.is_some();
    if let Some((at, names)) = all {
        for name in names {
            if seen.insert(name.clone()) {
                out.push(Found::local(at, &name, Some(&name)));
            }
        }
    }
    for (name, node) in &definitions {
        if is_public(name) && seen.insert(name.clone()) {
            let mut found = Found::local(*node, name, Some(name));
            found.unlisted = listed;
            out.push(found);
        }
    }
    if !is_package {
        return;
    }
    for statement in stars {
        if let Some(module) = statement.field("module_name") {
            out.push(Found::from_module(
                statement,
                "*",
                ExportKind::Star,
                text(module, source),
            ));
        }
    }
    // A package's `__init__.py` re-exports what it imports (`from .models import User`).
    let positions = import_positions(root, source);
    for statement in from_statements {
        for binding in &statement.bindings {
            if !is_public(&binding.local) || declared.contains(&binding.local) {
                continue;
            }
            if !seen.insert(binding.local.clone()) {
                continue;
            }
            let (line, column) = positions
                .get(binding.local.as_str())
                .copied()
                .unwrap_or((1, 1));
            out.push(Found {
                line,
                column,
                name: binding.local.clone(),
                kind: ExportKind::Reexport,
                local: None,
                module: Some(binding.module.clone()),
                imported: Some(binding.imported.clone()),
                unlisted: listed,
            });
        }
    }
}

/// Where each name a module-level `from m import …` binds is written.
fn import_positions<'s>(root: Node<'_>, source: &'s [u8]) -> HashMap<&'s str, (u32, u32)> {
    let mut out = HashMap::default();
    let mut blocks = vec![root];
    while let Some(block) = blocks.pop() {
        for statement in block.named_kids() {
            match statement.kind_str() {
                "import_from_statement" => {
                    for name in statement.field_kids("name") {
                        let local = name.field("alias").unwrap_or(name);
                        out.entry(text(local, source)).or_insert(position(name));
                    }
                }
                "if_statement" | "try_statement" | "block" | "else_clause" | "except_clause" => {
                    blocks.push(statement);
                }
                _ => {}
            }
        }
    }
    out
}

/// The strings of a literal list or tuple (`["a", "b"]`); `None` for anything else.
fn string_list(node: Node<'_>, source: &[u8]) -> Option<Vec<String>> {
    if !matches!(node.kind_str(), "list" | "tuple") {
        return None;
    }
    node.named_kids()
        .into_iter()
        .filter(|c| c.kind_str() != "comment")
        .map(|c| string_literal(c, source).map(str::to_string))
        .collect()
}

fn is_public(name: &str) -> bool {
    !name.starts_with('_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Items;

    fn export(name: &str, id: Option<&str>, local: Option<&str>) -> Export {
        Export {
            file: "src/a\"\\.ts".to_string(),
            line: 1,
            column: 7,
            name: name.to_string(),
            kind: ExportKind::Local,
            local: local.map(str::to_string),
            module: None,
            imported: None,
            id: id.map(str::to_string),
            unlisted: false,
        }
    }

    /// The direct rendering against the generic one (`to_output_json` holds them equal in
    /// debug builds and checks the bytes read back): a `local` the id gives or not, a
    /// missing one it gives, foreign and missing ids, re-exports, flags, escapes.
    #[test]
    fn the_direct_rendering_is_the_generic_one() {
        let file = "src/a\"\\.ts";
        let mut reexport = export("x\n", Some("src/b.ts#X~2"), None);
        reexport.kind = ExportKind::Reexport;
        reexport.module = Some("./b".to_string());
        reexport.imported = Some("X".to_string());
        let mut unlisted = export("_p", Some(&format!("{file}#_p")), Some("_p"));
        unlisted.unlisted = true;
        let mut items = vec![
            export("f", Some(&format!("{file}#f~2")), Some("f")),
            export("default", Some(&format!("{file}#g")), Some("h")),
            export("c", Some(&format!("{file}#C.m")), None),
            export("e", None, None),
            export("l", None, Some("l")),
            reexport,
            unlisted,
        ];
        items.sort();
        let text = String::from_utf8(Items::Exports(items).to_output_json("c")).unwrap();
        assert!(text.contains(
            "{\"line\":1,\"column\":7,\"name\":\"f\",\"kind\":\"local\",\"id\":\"#f~2\"}"
        ));
        assert!(text.contains("\"id\":\"#g\",\"local\":\"h\"}"));
        assert!(text.contains("\"id\":\"#C.m\",\"local\":null}"));
        assert!(text.contains("\"name\":\"e\",\"kind\":\"local\"}"));
        assert!(text.contains("\"name\":\"l\",\"kind\":\"local\",\"local\":\"l\"}"));
        assert!(text.contains(
            "\"name\":\"x\\n\",\"kind\":\"reexport\",\"id\":\"src/b.ts#X~2\",\"module\":\"./b\",\"imported\":\"X\"}"
        ));
        assert!(text.contains("\"id\":\"#_p\",\"unlisted\":true}"));
    }
}
