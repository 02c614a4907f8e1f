//! The `types` extractor: TypeScript interfaces, type aliases, enums and classes at module
//! and namespace level, with the public shape of each (members, enum members, heritage).

use super::scan::Scan;
use super::syntax::NodeExt;
use super::syntax::{ancestors, one_line, position, string_literal, text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tree_sitter::Node;

/// Capture names `extractors/types/*.scm` may use.
pub const CAPTURES: &[&str] = &["interface", "type", "enum", "class", "namespace", "name"];

/// How deep below the file's root a definition may start: `export declare namespace` puts
/// the namespace at depth 3, and `declare global { interface X }` the interface.
const ROOT_DEPTH: u32 = 3;
/// How deep below a namespace node: `namespace > body > export > declare > interface`.
const NAMESPACE_DEPTH: u32 = 4;
const TEXT_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TypeDef {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The definition's stable id, `path#Qualified.Name` (see the calls extractor).
    pub id: String,
    #[serde(default = "crate::render::name_left_out")]
    pub name: String,
    pub kind: TypeKind,
    #[serde(default)]
    pub exported: bool,
    /// Enclosing namespaces / ambient modules, outermost first, dot-joined.
    #[serde(default = "crate::render::left_out")]
    pub parent: Option<String>,
    #[serde(default)]
    pub type_params: Vec<String>,
    #[serde(default)]
    pub extends: Vec<String>,
    #[serde(default)]
    pub implements: Vec<String>,
    /// Members of an object shape, in source order.
    #[serde(default)]
    pub members: Vec<Member>,
    #[serde(default)]
    pub enum_members: Vec<EnumMember>,
    /// The value of a type alias that is not an object type literal.
    pub alias: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TypeKind {
    Interface,
    Type,
    Enum,
    Class,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub kind: MemberKind,
    #[serde(rename = "type")]
    pub type_text: Option<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub readonly: bool,
    #[serde(rename = "static")]
    #[serde(default)]
    pub is_static: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    Property,
    Method,
    Index,
    Call,
    Construct,
    Get,
    Set,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EnumMember {
    pub name: String,
    pub value: Option<String>,
}

impl TypeKind {
    pub const ALL: [TypeKind; 4] = [
        TypeKind::Interface,
        TypeKind::Type,
        TypeKind::Enum,
        TypeKind::Class,
    ];

    /// As JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            TypeKind::Interface => "interface",
            TypeKind::Type => "type",
            TypeKind::Enum => "enum",
            TypeKind::Class => "class",
        }
    }
}

impl MemberKind {
    pub const ALL: [MemberKind; 7] = [
        MemberKind::Property,
        MemberKind::Method,
        MemberKind::Index,
        MemberKind::Call,
        MemberKind::Construct,
        MemberKind::Get,
        MemberKind::Set,
    ];

    /// As JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            MemberKind::Property => "property",
            MemberKind::Method => "method",
            MemberKind::Index => "index",
            MemberKind::Call => "call",
            MemberKind::Construct => "construct",
            MemberKind::Get => "get",
            MemberKind::Set => "set",
        }
    }
}

impl TypeDef {
    /// The type's line in a chunk file of `file`'s, as the generic rendering writes it
    /// (`render::chunk_files`): `false`, `null` and empty lists left out, an id into the
    /// file as `#Name`, the `name` and `parent` that id gives left out (a `parent` it gives
    /// that the type lacks is written `null`), members one to a line.
    pub fn write_line(&self, out: &mut Vec<u8>, file: &str) {
        use crate::render::{
            Names, item_head, write_flag, write_id, write_name, write_opt_str, write_parent,
            write_record_list, write_str, write_str_list,
        };
        item_head(out, self.line, self.column);
        let qualified = write_id(out, &self.id, file);
        write_name(out, qualified, Names::Simple, &self.name);
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(self.kind.name().as_bytes());
        out.push(b'"');
        write_flag(out, b"\"exported\"", self.exported);
        write_parent(out, qualified, self.parent.as_deref());
        write_str_list(out, b"\"type_params\"", &self.type_params);
        write_str_list(out, b"\"extends\"", &self.extends);
        write_str_list(out, b"\"implements\"", &self.implements);
        write_record_list(out, b"\"members\"", &self.members, |out, member| {
            out.extend_from_slice(b"{\"name\":");
            write_str(out, &member.name);
            out.extend_from_slice(b",\"kind\":\"");
            out.extend_from_slice(member.kind.name().as_bytes());
            out.push(b'"');
            write_opt_str(out, b"\"type\"", member.type_text.as_deref());
            write_flag(out, b"\"optional\"", member.optional);
            write_flag(out, b"\"readonly\"", member.readonly);
            write_flag(out, b"\"static\"", member.is_static);
            out.push(b'}');
        });
        write_record_list(
            out,
            b"\"enum_members\"",
            &self.enum_members,
            |out, member| {
                out.extend_from_slice(b"{\"name\":");
                write_str(out, &member.name);
                write_opt_str(out, b"\"value\"", member.value.as_deref());
                out.push(b'}');
            },
        );
        write_opt_str(out, b"\"alias\"", self.alias.as_deref());
        out.push(b'}');
    }
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<TypeDef> {
    let exports = scan.exports;
    let declaration_file = [".d.ts", ".d.mts", ".d.cts"]
        .iter()
        .any(|ext| scan.path.ends_with(ext));
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut work = vec![(scan.root, ROOT_DEPTH)];
    while let Some((scope_root, depth)) = work.pop() {
        let mut found = Vec::new();
        scan.matches(scope_root, Some(depth), |m| {
            if let (Some((role, node)), Some(name)) = (m.kind_besides(&["name"]), m.get("name")) {
                found.push((role.to_string(), node, name));
            }
        });
        for (role, node, name) in found {
            if node == scope_root || !seen.insert((node.start_byte(), node.kind_id())) {
                continue;
            }
            let Some(place) = place_of(node, scan.text) else {
                continue;
            };
            if role == "namespace" {
                work.push((node, NAMESPACE_DEPTH));
                continue;
            }
            let name = text(name, scan.text).to_string();
            let exported = place.own_export
                || (place.containers.is_empty() && exports.contains(&name))
                || (!place.containers.is_empty() && (place.ambient || declaration_file));
            let (line, column) = position(node);
            let qualified = if place.containers.is_empty() {
                name.clone()
            } else {
                format!("{}.{name}", place.containers.join("."))
            };
            let mut def = TypeDef {
                file: scan.path.to_string(),
                line,
                column,
                id: qualified,
                name,
                kind: match role.as_str() {
                    "interface" => TypeKind::Interface,
                    "type" => TypeKind::Type,
                    "enum" => TypeKind::Enum,
                    _ => TypeKind::Class,
                },
                exported,
                parent: (!place.containers.is_empty()).then(|| place.containers.join(".")),
                type_params: Vec::new(),
                extends: Vec::new(),
                implements: Vec::new(),
                members: Vec::new(),
                enum_members: Vec::new(),
                alias: None,
            };
            describe(&mut def, node, scan.text);
            out.push(def);
        }
        if scan.over_budget() {
            break;
        }
    }
    out
}

/// Where a definition sits.
struct Place {
    /// Namespace and ambient module names, outermost first.
    containers: Vec<String>,
    /// Its own statement carries `export`.
    own_export: bool,
    /// Some container is declared with `declare` (members of an ambient namespace or module
    /// are exported without the keyword).
    ambient: bool,
}

/// The definition's containers, or `None` when it is local to a function or a block.
fn place_of(node: Node<'_>, source: &[u8]) -> Option<Place> {
    let mut place = Place {
        containers: Vec::new(),
        own_export: false,
        ambient: false,
    };
    let mut in_container = false;
    let chain = ancestors(node);
    for (level, &up) in chain.iter().enumerate() {
        let current = if level == 0 { node } else { chain[level - 1] };
        match up.kind_str() {
            "program" => break,
            "export_statement" => place.own_export |= !in_container,
            "ambient_declaration" => {
                // `declare global { ... }` holds its body directly.
                if current.kind_str() == "statement_block" {
                    place.containers.push("global".to_string());
                    in_container = true;
                }
                place.ambient |= in_container;
            }
            "expression_statement" => {}
            "statement_block" => {
                let owner = *chain.get(level + 1)?;
                if !matches!(
                    owner.kind_str(),
                    "internal_module" | "module" | "ambient_declaration"
                ) {
                    return None;
                }
            }
            "internal_module" | "module" => {
                let name = up.field("name")?;
                let name = match name.kind_str() {
                    "string" => string_literal(name, source).unwrap_or_default(),
                    _ => text(name, source),
                };
                place.containers.push(name.to_string());
                in_container = true;
            }
            _ => return None,
        }
    }
    place.containers.reverse();
    Some(place)
}

/// Fills in what the definition's own node says: type parameters, heritage, members.
fn describe(def: &mut TypeDef, node: Node<'_>, source: &[u8]) {
    if let Some(params) = node.field("type_parameters") {
        def.type_params = params
            .named_kids()
            .into_iter()
            .filter(|p| p.kind_str() == "type_parameter")
            .map(|p| one_line(text(p, source), TEXT_MAX))
            .collect();
    }
    for child in node.named_kids() {
        match child.kind_str() {
            "extends_type_clause" => {
                def.extends = child
                    .field_kids("type")
                    .into_iter()
                    .map(|t| one_line(text(t, source), TEXT_MAX))
                    .collect();
            }
            "class_heritage" => heritage(def, child, source),
            _ => {}
        }
    }
    match def.kind {
        TypeKind::Interface | TypeKind::Class => {
            if let Some(body) = node.field("body") {
                def.members = members(body, source);
            }
        }
        TypeKind::Type => {
            if let Some(value) = node.field("value") {
                if value.kind_str() == "object_type" {
                    def.members = members(value, source);
                } else {
                    def.alias = Some(one_line(text(value, source), TEXT_MAX));
                }
            }
        }
        TypeKind::Enum => {
            if let Some(body) = node.field("body") {
                def.enum_members = enum_members(body, source);
            }
        }
    }
}

/// `extends Base<T> implements A, B` of a class.
fn heritage(def: &mut TypeDef, node: Node<'_>, source: &[u8]) {
    for clause in node.named_kids() {
        match clause.kind_str() {
            "extends_clause" => {
                // The clause's text after `extends` keeps type arguments with their base.
                let raw = text(clause, source);
                let raw = raw.strip_prefix("extends").unwrap_or(raw);
                def.extends.push(one_line(raw, TEXT_MAX));
            }
            "implements_clause" => {
                def.implements = clause
                    .named_kids()
                    .into_iter()
                    .filter(|t| t.kind_str() != "comment")
                    .map(|t| one_line(text(t, source), TEXT_MAX))
                    .collect();
            }
            _ => {}
        }
    }
}

/// Public members of an interface body, object type or class body, in source order.
fn members(body: Node<'_>, source: &[u8]) -> Vec<Member> {
    let mut out = Vec::new();
    for child in body.named_kids() {
        let flags = Flags::of(child, source);
        if flags.hidden {
            continue;
        }
        let name_node = child.field("name");
        if name_node.is_some_and(|n| n.kind_str() == "private_property_identifier") {
            continue;
        }
        let name = name_node.map(|n| match n.kind_str() {
            // `"~standard": T` names its member with a string.
            "string" => string_literal(n, source)
                .unwrap_or_else(|| text(n, source))
                .to_string(),
            _ => text(n, source).to_string(),
        });
        let (name, kind, type_text) = match child.kind_str() {
            "property_signature" | "public_field_definition" => {
                let Some(name) = name else { continue };
                let function_value = child
                    .field("value")
                    .filter(|v| matches!(v.kind_str(), "arrow_function" | "function_expression"));
                match (annotation(child, source), function_value) {
                    // `handler = (e: E): void => {}` is a method in all but name.
                    (None, Some(value)) => (
                        name,
                        MemberKind::Method,
                        Some(signature(value, source, true)),
                    ),
                    (type_text, _) => (name, MemberKind::Property, type_text),
                }
            }
            "method_signature" | "method_definition" | "abstract_method_signature" => {
                let Some(name) = name else { continue };
                if child.kind_str() == "method_definition" && name == "constructor" {
                    parameter_properties(child, source, &mut out);
                    let signature = signature(child, source, false);
                    out.push(Member {
                        name,
                        kind: MemberKind::Construct,
                        type_text: Some(signature),
                        optional: false,
                        readonly: false,
                        is_static: false,
                    });
                    continue;
                }
                if flags.get {
                    (name, MemberKind::Get, return_type(child, source))
                } else if flags.set {
                    (name, MemberKind::Set, first_parameter_type(child, source))
                } else {
                    (
                        name,
                        MemberKind::Method,
                        Some(signature(child, source, true)),
                    )
                }
            }
            "call_signature" => (
                "()".to_string(),
                MemberKind::Call,
                Some(signature(child, source, true)),
            ),
            "construct_signature" => (
                "new ()".to_string(),
                MemberKind::Construct,
                Some(signature(child, source, true)),
            ),
            "index_signature" => {
                let raw = text(child, source);
                let key = match raw.find(']') {
                    Some(end) => &raw[..=end],
                    None => raw,
                };
                let key = key.trim_start_matches(['-', '+']).trim_start();
                let key = key.strip_prefix("readonly").unwrap_or(key).trim_start();
                (
                    one_line(key, TEXT_MAX),
                    MemberKind::Index,
                    annotation(child, source),
                )
            }
            _ => continue,
        };
        out.push(Member {
            name,
            kind,
            type_text,
            optional: flags.optional,
            readonly: flags.readonly,
            is_static: flags.is_static,
        });
    }
    out
}

/// Modifier keywords of a member.
#[derive(Default)]
struct Flags {
    hidden: bool,
    optional: bool,
    readonly: bool,
    is_static: bool,
    get: bool,
    set: bool,
}

impl Flags {
    fn of(node: Node<'_>, source: &[u8]) -> Flags {
        let mut flags = Flags::default();
        for child in node.kids() {
            match child.kind_str() {
                "accessibility_modifier" => {
                    flags.hidden = text(child, source) != "public";
                }
                "?" => flags.optional = true,
                "readonly" => flags.readonly = true,
                "static" => flags.is_static = true,
                "get" => flags.get = true,
                "set" => flags.set = true,
                "opting_type_annotation" => flags.optional = true,
                _ => {}
            }
        }
        flags
    }
}

/// The text of a `: T` annotation (or `?: T` of a mapped type), without the colon.
fn annotation(node: Node<'_>, source: &[u8]) -> Option<String> {
    let annotation = node.field("type")?;
    let inner = annotation.named_child(0)?;
    Some(one_line(text(inner, source), TEXT_MAX))
}

fn return_type(node: Node<'_>, source: &[u8]) -> Option<String> {
    let annotation = node.field("return_type")?;
    let inner = annotation.named_child(0)?;
    Some(one_line(text(inner, source), TEXT_MAX))
}

fn first_parameter_type(node: Node<'_>, source: &[u8]) -> Option<String> {
    let params = node.field("parameters")?;
    let first = params.named_child(0)?;
    annotation(first, source)
}

/// `<T>(a: T) => R` from a method's or signature's parts; without a return type when the
/// source gives none (or, for a constructor, when `with_return` is false).
fn signature(node: Node<'_>, source: &[u8], with_return: bool) -> String {
    let mut sig = String::new();
    if let Some(params) = node.field("type_parameters") {
        sig.push_str(text(params, source));
    }
    if let Some(params) = node.field("parameters") {
        sig.push_str(text(params, source));
    }
    // Construct signatures name their result `type`, the others `return_type`.
    let result = node
        .field("return_type")
        .or_else(|| {
            (node.kind_str() == "construct_signature")
                .then(|| node.field("type"))
                .flatten()
        })
        .and_then(|a| a.named_child(0));
    if with_return && let Some(result) = result {
        sig.push_str(" => ");
        sig.push_str(text(result, source));
    }
    one_line(&sig, TEXT_MAX)
}

/// `constructor(public x: T, readonly y: U)` declares the properties `x` and `y`.
fn parameter_properties(ctor: Node<'_>, source: &[u8], out: &mut Vec<Member>) {
    let Some(params) = ctor.field("parameters") else {
        return;
    };
    for param in params.named_kids() {
        if !matches!(
            param.kind_str(),
            "required_parameter" | "optional_parameter"
        ) {
            continue;
        }
        let mut modifier = None;
        let mut readonly = false;
        for child in param.kids() {
            match child.kind_str() {
                "accessibility_modifier" => modifier = Some(text(child, source)),
                "readonly" => readonly = true,
                _ => {}
            }
        }
        let is_property = matches!(modifier, Some("public")) || (modifier.is_none() && readonly);
        let Some(pattern) = param.field("pattern") else {
            continue;
        };
        if !is_property || pattern.kind_str() != "identifier" {
            continue;
        }
        out.push(Member {
            name: text(pattern, source).to_string(),
            kind: MemberKind::Property,
            type_text: annotation(param, source),
            optional: param.kind_str() == "optional_parameter",
            readonly,
            is_static: false,
        });
    }
}

fn enum_members(body: Node<'_>, source: &[u8]) -> Vec<EnumMember> {
    let mut out = Vec::new();
    for child in body.named_kids() {
        let (name, value) = match child.kind_str() {
            "enum_assignment" => (
                child.field("name"),
                child
                    .field("value")
                    .map(|v| one_line(text(v, source), TEXT_MAX)),
            ),
            "property_identifier" | "string" | "number" | "computed_property_name" => {
                (Some(child), None)
            }
            _ => continue,
        };
        let Some(name) = name else { continue };
        let name = match name.kind_str() {
            "string" => string_literal(name, source)
                .unwrap_or_else(|| text(name, source))
                .to_string(),
            _ => text(name, source).to_string(),
        };
        out.push(EnumMember { name, value });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Items;

    #[test]
    fn kind_names_are_the_serde_names() {
        crate::extract::assert_serde_names(&TypeKind::ALL, TypeKind::name);
        crate::extract::assert_serde_names(&MemberKind::ALL, MemberKind::name);
    }

    fn typedef(file: &str, id: &str, name: &str, parent: Option<&str>) -> TypeDef {
        TypeDef {
            file: file.to_string(),
            line: 4,
            column: 2,
            id: id.to_string(),
            name: name.to_string(),
            kind: TypeKind::Interface,
            exported: false,
            parent: parent.map(str::to_string),
            type_params: Vec::new(),
            extends: Vec::new(),
            implements: Vec::new(),
            members: Vec::new(),
            enum_members: Vec::new(),
            alias: None,
        }
    }

    fn member(name: &str, kind: MemberKind) -> Member {
        Member {
            name: name.to_string(),
            kind,
            type_text: None,
            optional: false,
            readonly: false,
            is_static: false,
        }
    }

    /// The direct rendering against the generic one (`to_output_json` holds them equal in
    /// debug builds and checks the bytes read back): every field set and none, members and
    /// enum members one to a line, names and parents the id gives or not, a parent the id
    /// gives that the type lacks, foreign ids, escapes.
    #[test]
    fn the_direct_rendering_is_the_generic_one() {
        let odd = "src/q\"\\ü\u{2}.ts";
        let mut full = typedef(odd, &format!("{odd}#Ns.Shape~2"), "Shape", Some("Ns"));
        full.kind = TypeKind::Class;
        full.exported = true;
        full.type_params = vec!["T".into(), "U extends \"k\"".into()];
        full.extends = vec!["Base<T>".into()];
        full.implements = vec!["I".into(), "J".into()];
        let mut every = member("m\t", MemberKind::Method);
        every.type_text = Some("(x: T) => U".into());
        every.optional = true;
        every.readonly = true;
        every.is_static = true;
        full.members = vec![every, member("p", MemberKind::Property)];
        full.alias = Some("A | \"b\"".into());
        let mut en = typedef(odd, &format!("{odd}#Color"), "Color", None);
        en.kind = TypeKind::Enum;
        en.enum_members = vec![
            EnumMember {
                name: "Red".into(),
                value: Some("'r'".into()),
            },
            EnumMember {
                name: "Blue".into(),
                value: None,
            },
        ];
        let mut items = vec![
            full,
            en,
            typedef(odd, &format!("{odd}#Ns.Orphan"), "Orphan", None),
            typedef(odd, &format!("{odd}#Top"), "Other", Some("Elsewhere")),
            typedef(odd, "elsewhere.ts#F.G", "G", Some("F")),
            typedef("b.ts", "b.ts#B", "B", None),
        ];
        items.sort();
        let text = String::from_utf8(Items::Types(items).to_output_json("c")).unwrap();
        assert!(text.contains(
            "{\"line\":4,\"column\":2,\"id\":\"#Ns.Shape~2\",\"kind\":\"class\",\
             \"exported\":true,\"type_params\":[\"T\",\"U extends \\\"k\\\"\"],\
             \"extends\":[\"Base<T>\"],\"implements\":[\"I\",\"J\"],\"members\":[\n\
             {\"name\":\"m\\t\",\"kind\":\"method\",\"type\":\"(x: T) => U\",\
             \"optional\":true,\"readonly\":true,\"static\":true},\n\
             {\"name\":\"p\",\"kind\":\"property\"}\n],\"alias\":\"A | \\\"b\\\"\"}"
        ));
        assert!(text.contains(
            "\"id\":\"#Color\",\"kind\":\"enum\",\"enum_members\":[\n\
             {\"name\":\"Red\",\"value\":\"'r'\"},\n{\"name\":\"Blue\"}\n]}"
        ));
        assert!(text.contains("\"id\":\"#Ns.Orphan\",\"kind\":\"interface\",\"parent\":null}"));
        assert!(text.contains(
            "\"id\":\"#Top\",\"name\":\"Other\",\"kind\":\"interface\",\"parent\":\"Elsewhere\"}"
        ));
        assert!(text.contains(
            "\"id\":\"elsewhere.ts#F.G\",\"name\":\"G\",\"kind\":\"interface\",\"parent\":\"F\"}"
        ));
        assert!(text.ends_with("\n]\n}\n}\n"));
    }
}
