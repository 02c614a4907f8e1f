//! The `schemas` extractor: Zod schemas in TS/JS, and pydantic models, dataclasses,
//! TypedDicts and attrs classes in Python, each with its fields and the schemas it uses.

use super::bindings::{ImportKind, Imports};
use super::scan::Scan;
use super::syntax::NodeExt;
use super::syntax::{object_property, one_line, position, string_literal, text};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tree_sitter::Node;

/// Capture names `extractors/schemas/*.scm` may use.
pub const CAPTURES: &[&str] = &["schema", "name", "value", "class"];

/// `export const X = ...` puts the declarator at depth 3 below the program.
const JS_DEPTH: u32 = 3;
/// `@decorator class X` puts the class at depth 2 below the module.
const PYTHON_DEPTH: u32 = 2;
const TEXT_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Schema {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The definition's stable id, `path#Qualified.Name` (see the calls extractor).
    pub id: String,
    #[serde(default = "crate::render::name_left_out")]
    pub name: String,
    pub library: Library,
    pub kind: SchemaKind,
    #[serde(default)]
    pub exported: bool,
    /// Fields written in this definition, in source order.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Members of an enum or of a union of literals, in source order.
    #[serde(default)]
    pub values: Vec<String>,
    /// Keys of `.pick` / `.omit`, in source order.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Other schemas this one refers to, sorted.
    #[serde(default)]
    pub refs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Library {
    Zod,
    Pydantic,
    Dataclass,
    TypedDict,
    Attrs,
    /// A Django model (`models.Model`).
    Django,
    /// An SQLAlchemy declarative model (a class with `__tablename__`).
    Sqlalchemy,
    /// A mongoose schema (`new Schema({...})`).
    Mongoose,
    /// A Joi object schema (`Joi.object({...})`).
    Joi,
    /// A Yup object schema (`yup.object({...})`).
    Yup,
    /// A Valibot object schema (`v.object({...})`).
    Valibot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaKind {
    Object,
    Enum,
    Literal,
    Union,
    Intersection,
    Array,
    Record,
    Tuple,
    Lazy,
    Extend,
    Merge,
    Pick,
    Omit,
    Other,
    /// A Python class (the library says which kind).
    Class,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub type_text: Option<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub nullable: bool,
    pub default: Option<String>,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<Schema> {
    if scan.lang.is_js_like() {
        zod_schemas(scan)
    } else {
        python_schemas(scan)
    }
}

// ---------------------------------------------------------------------------------------
// Zod

/// What the file calls Zod.
struct ZodNames {
    /// Names bound to the Zod namespace (`z` unless imported otherwise).
    namespaces: BTreeSet<String>,
    /// Zod functions imported by name: local name to Zod name (`import { object } from "zod"`).
    functions: BTreeMap<String, String>,
    /// The file imports Zod, so `X.extend({...})` on any identifier is a schema.
    imported: bool,
}

fn is_zod_source(source: &str) -> bool {
    source == "zod" || source.starts_with("zod/")
}

/// What the file calls Zod, from its imports: the default or namespace import of `zod`
/// (or `zod/...`), `{ z }` and `{ z as x }`, and `require` of it, name the namespace; other
/// names imported from it are Zod functions under a local name.
fn zod_names(imports: &Imports) -> ZodNames {
    let mut names = ZodNames {
        namespaces: BTreeSet::from(["z".to_string()]),
        functions: BTreeMap::new(),
        imported: false,
    };
    for statement in &imports.statements {
        if statement.wrapped || !is_zod_source(&statement.module) {
            continue;
        }
        let require = match statement.kind {
            ImportKind::Import => false,
            ImportKind::Require => true,
            ImportKind::PyImport | ImportKind::PyFrom => continue,
        };
        names.imported = true;
        for binding in &statement.bindings {
            match binding.imported.as_str() {
                "default" | "*" | "z" => {
                    names.namespaces.insert(binding.local.clone());
                }
                // Only the namespace is read from a `require` of Zod.
                _ if require => {}
                name => {
                    names
                        .functions
                        .insert(binding.local.clone(), name.to_string());
                }
            }
        }
    }
    names
}

/// A Zod expression's shape, as far as it is written out.
struct Shape {
    kind: SchemaKind,
    fields: Vec<Field>,
    values: Vec<String>,
    keys: Vec<String>,
    refs: BTreeSet<String>,
}

impl Shape {
    fn new(kind: SchemaKind) -> Shape {
        Shape {
            kind,
            fields: Vec::new(),
            values: Vec::new(),
            keys: Vec::new(),
            refs: BTreeSet::new(),
        }
    }
}

struct ZodContext<'s> {
    names: ZodNames,
    src: &'s [u8],
    /// Schemas found so far in this file, by name.
    known: BTreeSet<String>,
}

fn zod_schemas(scan: &mut Scan<'_, '_>) -> Vec<Schema> {
    let src = scan.text;
    let root = scan.root;
    let mut candidates = Vec::new();
    scan.matches(root, Some(JS_DEPTH), |m| {
        if let (Some(node), Some(value)) = (m.get("schema"), m.get("value")) {
            candidates.push((node, m.get("name"), value));
        }
    });
    let exports = scan.exports;
    let mongoose = mongoose_names(scan.imports());
    let validators = validator_names(scan.imports());
    let mut ctx = ZodContext {
        names: zod_names(scan.imports()),
        src,
        known: BTreeSet::new(),
    };
    let mut out = Vec::new();
    let mut pending: Vec<_> = candidates
        .into_iter()
        .filter(|(node, _, _)| js_module_level(*node))
        .collect();
    // `const createUser = { body: Joi.object().keys({...}), query: ... }`: each property
    // holding an object schema is one, named `createUser.body` (the request parts a
    // validation middleware checks).
    let mut grouped = Vec::new();
    for (node, name, value) in &pending {
        let (Some(name), "object") = (name, value.kind_str()) else {
            continue;
        };
        for pair in value.named_kids() {
            let (Some(key), Some(inner)) = (
                pair.field("key").filter(|_| pair.kind_str() == "pair"),
                pair.field("value"),
            ) else {
                continue;
            };
            let found = validator_schema(inner, &validators, &ctx).or_else(|| {
                zod_shape(inner, &ctx, false)
                    .filter(|shape| shape.kind == SchemaKind::Object)
                    .map(|shape| (Library::Zod, shape))
            });
            if let Some((library, shape)) = found {
                let qualified = format!("{}.{}", text(*name, src), key_name(key, src));
                grouped.push((*node, pair, qualified, library, shape));
            }
        }
    }
    // The `export` keyword on the statement, a local `export { X }`, `module.exports`.
    let exported = |node: Node<'_>, name: &str| {
        node.kind_str() == "export_statement"
            || node
                .up()
                .and_then(|d| d.up())
                .is_some_and(|s| s.kind_str() == "export_statement")
            || exports.contains(name)
    };
    let schema = |at: Node<'_>, name: String, library, shape: Shape, exported| {
        let (line, column) = position(at);
        Schema {
            file: scan.path.to_string(),
            line,
            column,
            id: name.clone(),
            name,
            library,
            kind: shape.kind,
            exported,
            fields: shape.fields,
            values: shape.values,
            keys: shape.keys,
            refs: shape.refs.into_iter().collect(),
        }
    };
    for (node, pair, name, library, shape) in grouped {
        let outer = name.split('.').next().unwrap_or(&name);
        let exported = exported(node, outer);
        out.push(schema(pair, name, library, shape, exported));
    }
    // A schema derived from one defined further down is found on a later round.
    loop {
        let before = pending.len();
        let mut rest = Vec::new();
        for (node, name, value) in pending {
            let found = mongoose_schema(value, &mongoose, &ctx)
                .map(|shape| (Library::Mongoose, shape))
                .or_else(|| validator_schema(value, &validators, &ctx))
                .or_else(|| zod_shape(value, &ctx, false).map(|shape| (Library::Zod, shape)));
            let Some((library, shape)) = found else {
                rest.push((node, name, value));
                continue;
            };
            let name = name.map_or("default", |n| text(n, src)).to_string();
            let is_exported = exported(node, &name);
            ctx.known.insert(name.clone());
            let mut shape = shape;
            // A recursive schema (`z.lazy(() => Self)`) does not refer to another one.
            shape.refs.remove(&name);
            out.push(schema(node, name, library, shape, is_exported));
        }
        if rest.len() == before || rest.is_empty() {
            break;
        }
        pending = rest;
    }
    out
}

// ---------------------------------------------------------------------------------------
// mongoose

/// What the file calls mongoose's `Schema`: names bound to `Schema` imported from
/// `mongoose` (`import { Schema }`, `const { Schema } = require('mongoose')`), and to the
/// module itself (`import mongoose`, `const mongoose = require('mongoose')`), whose
/// `.Schema` it is.
#[derive(Default)]
struct MongooseNames {
    schema: BTreeSet<String>,
    module: BTreeSet<String>,
}

fn mongoose_names(imports: &Imports) -> MongooseNames {
    let mut names = MongooseNames::default();
    for statement in imports
        .statements
        .iter()
        .filter(|s| !s.wrapped && s.module == "mongoose")
    {
        for binding in &statement.bindings {
            match binding.imported.as_str() {
                "default" | "*" => {
                    names.module.insert(binding.local.clone());
                }
                "Schema" => {
                    names.schema.insert(binding.local.clone());
                }
                _ => {}
            }
        }
    }
    names
}

/// `new Schema({ name: String, email: { type: String, required: true } }, options)`: an
/// object schema whose fields are the definition's keys.
fn mongoose_schema(value: Node<'_>, names: &MongooseNames, ctx: &ZodContext<'_>) -> Option<Shape> {
    if value.kind_str() != "new_expression" {
        return None;
    }
    let src = ctx.src;
    let constructor = value.field("constructor")?;
    let is_schema = match constructor.kind_str() {
        "identifier" => names.schema.contains(text(constructor, src)),
        "member_expression" => {
            constructor
                .field("property")
                .is_some_and(|p| text(p, src) == "Schema")
                && constructor
                    .field("object")
                    .is_some_and(|o| names.module.contains(text(o, src)))
        }
        _ => false,
    };
    if !is_schema {
        return None;
    }
    let definition = arguments(value.field("arguments"))
        .into_iter()
        .next()
        .filter(|d| d.kind_str() == "object")?;
    let mut fields = Vec::new();
    let mut refs = BTreeSet::new();
    for pair in definition.named_kids() {
        if pair.kind_str() != "pair" {
            continue;
        }
        let (Some(key), Some(spec)) = (pair.field("key"), pair.field("value")) else {
            continue;
        };
        let property = |name: &str| {
            (spec.kind_str() == "object")
                .then(|| object_property(spec, name, src))
                .flatten()
        };
        // `{ type: String, ... }` describes the path; an object without `type` is a nested
        // document; anything else (`String`, `[String]`, `Schema.Types.ObjectId`) is the type.
        let (type_node, required, default) = match property("type") {
            Some(t) => (
                Some(t),
                property("required").is_some_and(|r| {
                    text(r, src) == "true"
                        || (r.kind_str() == "array"
                            && r.named_child(0).is_some_and(|f| text(f, src) == "true"))
                }),
                property("default").map(|d| one_line(text(d, src), TEXT_MAX)),
            ),
            None if spec.kind_str() == "object" => (None, false, None),
            None => (Some(spec), false, None),
        };
        let type_text = match type_node {
            Some(t) => one_line(text(t, src), TEXT_MAX),
            None => "object".to_string(),
        };
        // A schema of the file used as a path's type (`address: Address`, `[Address]`).
        let mut stack: Vec<Node<'_>> = type_node.into_iter().collect();
        while let Some(n) = stack.pop() {
            if n.kind_str() == "identifier" && ctx.known.contains(text(n, src)) {
                refs.insert(text(n, src).to_string());
            }
            if n.kind_str() == "array" {
                stack.extend(n.named_kids());
            }
        }
        fields.push(Field {
            name: key_name(key, src),
            type_text: Some(type_text),
            optional: !required,
            // A path that is not required accepts `null`.
            nullable: !required,
            default,
        });
    }
    Some(Shape {
        kind: SchemaKind::Object,
        fields,
        values: Vec::new(),
        keys: Vec::new(),
        refs,
    })
}

// ---------------------------------------------------------------------------------------
// Joi, Yup, Valibot

/// What the file calls each validation library: the default, namespace or `require`
/// binding of `joi` / `@hapi/joi`, `yup`, `valibot`, and for Yup and Valibot the
/// functions imported by name (`import { object, string } from "yup"`).
#[derive(Default)]
struct ValidatorNames {
    namespaces: BTreeMap<String, Library>,
    functions: BTreeMap<String, (Library, String)>,
}

fn validator_names(imports: &Imports) -> ValidatorNames {
    let mut names = ValidatorNames::default();
    for statement in &imports.statements {
        let library = match statement.module.as_str() {
            "joi" | "@hapi/joi" => Library::Joi,
            "yup" => Library::Yup,
            "valibot" => Library::Valibot,
            _ => continue,
        };
        if statement.wrapped {
            continue;
        }
        for binding in &statement.bindings {
            match binding.imported.as_str() {
                "default" | "*" => {
                    names.namespaces.insert(binding.local.clone(), library);
                }
                name => {
                    names
                        .functions
                        .insert(binding.local.clone(), (library, name.to_string()));
                }
            }
        }
    }
    names
}

/// `Joi.object({...})` (also `.keys({...})`), `yup.object({...})` / `object().shape({...})`,
/// `v.object({...})`, with trailing methods (`.required()`, `.unknown()`, `.noUnknown()`):
/// an object schema whose fields are the object literal's keys.
fn validator_schema(
    value: Node<'_>,
    names: &ValidatorNames,
    ctx: &ZodContext<'_>,
) -> Option<(Library, Shape)> {
    if names.namespaces.is_empty() && names.functions.is_empty() {
        return None;
    }
    let src = ctx.src;
    // Down the chain to its root call, remembering the object literal of `.shape` / `.keys`.
    let mut node = value;
    let mut definition = None;
    while let Some((object, method, args)) = method_call(node, src) {
        if matches!(method, "shape" | "keys") && definition.is_none() {
            definition = arguments(args).first().copied();
        }
        let root_call = object.kind_str() == "identifier";
        if root_call {
            // `Joi.object(...)`: the member call on the namespace is the root.
            let library = names.namespaces.get(text(object, src)).copied()?;
            if method != "object" {
                return None;
            }
            definition = definition.or_else(|| arguments(args).first().copied());
            return validator_object(library, definition, ctx);
        }
        node = object;
    }
    // `object({...})` imported by name.
    let function = node.field("function")?;
    let (library, imported) = names.functions.get(text(function, src))?;
    if node.kind_str() != "call_expression" || imported != "object" {
        return None;
    }
    let definition = definition.or_else(|| arguments(node.field("arguments")).first().copied());
    validator_object(*library, definition, ctx)
}

fn validator_object(
    library: Library,
    definition: Option<Node<'_>>,
    ctx: &ZodContext<'_>,
) -> Option<(Library, Shape)> {
    let src = ctx.src;
    let definition = definition.filter(|d| d.kind_str() == "object")?;
    let mut shape = Shape::new(SchemaKind::Object);
    for pair in definition.named_kids() {
        let (Some(key), Some(value)) = (
            pair.field("key").filter(|_| pair.kind_str() == "pair"),
            pair.field("value"),
        ) else {
            continue;
        };
        if value.kind_str() == "identifier" && ctx.known.contains(text(value, src)) {
            shape.refs.insert(text(value, src).to_string());
        }
        shape
            .fields
            .push(validator_field(library, key_name(key, src), value, ctx));
    }
    Some((library, shape))
}

/// A field: optional unless required (Joi and Yup fields are optional by default,
/// Valibot's required unless `v.optional(...)`), its type the expression without the
/// trailing modifiers.
fn validator_field(library: Library, name: String, value: Node<'_>, ctx: &ZodContext<'_>) -> Field {
    let src = ctx.src;
    let mut required = library == Library::Valibot;
    let mut field = Field {
        name,
        type_text: None,
        optional: false,
        nullable: false,
        default: None,
    };
    let mut stripped = value;
    let mut trailing = true;
    let mut node = value;
    while let Some((object, method, args)) = method_call(node, src) {
        // `Joi.string()`, `v.optional(...)`: the root call, no modifier.
        if object.kind_str() == "identifier" {
            break;
        }
        match method {
            "required" | "defined" | "exist" => required = true,
            "optional" => required = false,
            "nullable" => field.nullable = true,
            "allow" if arguments(args).iter().any(|a| text(*a, src) == "null") => {
                field.nullable = true
            }
            "default" => {
                if field.default.is_none() {
                    field.default = arguments(args)
                        .first()
                        .map(|d| one_line(text(*d, src), TEXT_MAX));
                }
            }
            _ => trailing = false,
        }
        if trailing {
            stripped = object;
        }
        node = object;
    }
    // Valibot wraps: `v.optional(v.string())`, `v.nullable(...)`, `v.nullish(...)`.
    if library == Library::Valibot {
        while let Some(function) = stripped
            .field("function")
            .filter(|_| stripped.kind_str() == "call_expression")
        {
            let wrapper = text(function, src).rsplit('.').next().unwrap_or("");
            let Some(inner) = arguments(stripped.field("arguments")).first().copied() else {
                break;
            };
            match wrapper {
                "optional" => required = false,
                "nullable" => field.nullable = true,
                "nullish" => {
                    required = false;
                    field.nullable = true;
                }
                _ => break,
            }
            stripped = inner;
        }
    }
    field.optional = !required;
    field.type_text = Some(one_line(text(stripped, src), TEXT_MAX));
    field
}

/// A declarator (or `export default`) directly in the program, not in a function.
fn js_module_level(node: Node<'_>) -> bool {
    let mut current = node;
    while let Some(up) = current.up() {
        match up.kind_str() {
            "program" => return true,
            "lexical_declaration" | "variable_declaration" | "export_statement" => {}
            _ => return false,
        }
        current = up;
    }
    false
}

/// Methods that derive a new schema from the one they are called on.
const DERIVING: &[&str] = &[
    "extend",
    "safeExtend",
    "merge",
    "pick",
    "omit",
    "and",
    "or",
    "array",
    "partial",
    "required",
    "deepPartial",
];

/// The shape of a Zod expression, or `None` when it is not one. In a schema position (an
/// argument of `z.array`, a field value...) any identifier counts as a schema; at the top,
/// a chain on an identifier counts when the identifier is a schema of this file, or the file
/// imports Zod and the chain calls a deriving method.
fn zod_shape(node: Node<'_>, ctx: &ZodContext<'_>, positional: bool) -> Option<Shape> {
    let src = ctx.src;
    match node.kind_str() {
        "parenthesized_expression" | "as_expression" | "satisfies_expression" => {
            zod_shape(node.named_child(0)?, ctx, positional)
        }
        "identifier" if positional && !ctx.names.namespaces.contains(text(node, src)) => {
            let mut shape = Shape::new(SchemaKind::Other);
            shape.refs.insert(text(node, src).to_string());
            Some(shape)
        }
        "call_expression" => {
            let function = node.field("function")?;
            let args = node.field("arguments");
            match function.kind_str() {
                "identifier" => {
                    let zod_name = ctx.names.functions.get(text(function, src))?;
                    Some(zod_root(zod_name, args, ctx))
                }
                "member_expression" => {
                    let object = function.field("object")?;
                    let method = text(function.field("property")?, src);
                    if object.kind_str() == "identifier" {
                        let base = text(object, src);
                        if ctx.names.namespaces.contains(base) {
                            return Some(zod_root(method, args, ctx));
                        }
                        let derives = DERIVING.contains(&method);
                        let accepted = positional
                            || ctx.known.contains(base)
                            || (ctx.names.imported && derives);
                        if !accepted {
                            return None;
                        }
                        let mut inner = Shape::new(SchemaKind::Other);
                        inner.refs.insert(base.to_string());
                        return Some(zod_method(inner, method, args, ctx));
                    }
                    let inner = zod_shape(object, ctx, positional)?;
                    Some(zod_method(inner, method, args, ctx))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn arguments<'t>(args: Option<Node<'t>>) -> Vec<Node<'t>> {
    let Some(args) = args else {
        return Vec::new();
    };
    args.named_kids()
        .into_iter()
        .filter(|a| a.kind_str() != "comment")
        .collect()
}

/// `z.<function>(args)`.
fn zod_root(function: &str, args: Option<Node<'_>>, ctx: &ZodContext<'_>) -> Shape {
    let args = arguments(args);
    let first = args.first().copied();
    let kind = match function {
        "object" | "strictObject" | "looseObject" => SchemaKind::Object,
        "enum" | "nativeEnum" => SchemaKind::Enum,
        "literal" => SchemaKind::Literal,
        "union" | "discriminatedUnion" | "xor" => SchemaKind::Union,
        "intersection" => SchemaKind::Intersection,
        "array" | "set" => SchemaKind::Array,
        "record" | "map" | "partialRecord" => SchemaKind::Record,
        "tuple" => SchemaKind::Tuple,
        "lazy" => SchemaKind::Lazy,
        _ => SchemaKind::Other,
    };
    let mut shape = Shape::new(kind);
    match function {
        "object" | "strictObject" | "looseObject" => {
            if let Some(object) = first {
                object_fields(object, ctx, &mut shape);
            }
        }
        "enum" => {
            if let Some(list) = first.filter(|a| a.kind_str() == "array") {
                shape.values = literal_list(list, ctx.src);
            }
        }
        "literal" => {
            if let Some(value) = first {
                shape.values.push(literal_value(value, ctx.src));
            }
        }
        "union" | "discriminatedUnion" | "xor" | "intersection" | "array" | "set" | "record"
        | "map" | "partialRecord" | "tuple" | "lazy" | "optional" | "nullable" | "promise"
        | "readonly" | "nonoptional" => {
            for arg in &args {
                schema_refs(*arg, ctx, &mut shape.refs);
            }
            if matches!(function, "union" | "discriminatedUnion" | "xor") {
                shape.values = union_literals(args.last().copied(), ctx);
            }
        }
        _ => {}
    }
    shape
}

/// `<schema>.<method>(args)`: deriving methods change the kind, modifiers keep it.
fn zod_method(
    mut shape: Shape,
    method: &str,
    args: Option<Node<'_>>,
    ctx: &ZodContext<'_>,
) -> Shape {
    let args = arguments(args);
    let first = args.first().copied();
    match method {
        "extend" | "safeExtend" => {
            shape.kind = SchemaKind::Extend;
            if let Some(object) = first {
                object_fields(object, ctx, &mut shape);
            }
        }
        "merge" | "and" | "or" => {
            shape.kind = match method {
                "merge" => SchemaKind::Merge,
                "and" => SchemaKind::Intersection,
                _ => SchemaKind::Union,
            };
            for arg in &args {
                schema_refs(*arg, ctx, &mut shape.refs);
            }
        }
        "pick" | "omit" => {
            shape.kind = if method == "pick" {
                SchemaKind::Pick
            } else {
                SchemaKind::Omit
            };
            if let Some(mask) = first.filter(|a| a.kind_str() == "object") {
                shape.keys = object_keys(mask, ctx.src);
            }
        }
        "array" => shape.kind = SchemaKind::Array,
        "partial" | "deepPartial" if first.is_none() => {
            for field in &mut shape.fields {
                field.optional = true;
            }
        }
        "required" if first.is_none() => {
            for field in &mut shape.fields {
                field.optional = false;
            }
        }
        _ => {}
    }
    shape
}

/// Identifiers used as schemas inside `node`, an argument in a schema position.
fn schema_refs(node: Node<'_>, ctx: &ZodContext<'_>, refs: &mut BTreeSet<String>) {
    match node.kind_str() {
        "identifier" => {
            let name = text(node, ctx.src);
            if !ctx.names.namespaces.contains(name) && name != "undefined" {
                refs.insert(name.to_string());
            }
        }
        "array" => {
            for element in node.named_kids() {
                schema_refs(element, ctx, refs);
            }
        }
        "arrow_function" => {
            if let Some(body) = node.field("body") {
                if body.kind_str() == "statement_block" {
                    for statement in body.named_kids() {
                        if statement.kind_str() == "return_statement"
                            && let Some(value) = statement.named_child(0)
                        {
                            schema_refs(value, ctx, refs);
                        }
                    }
                } else {
                    schema_refs(body, ctx, refs);
                }
            }
        }
        "parenthesized_expression" => {
            if let Some(inner) = node.named_child(0) {
                schema_refs(inner, ctx, refs);
            }
        }
        "member_expression" => {
            // `Base.shape.name`: the root object is the schema.
            let mut root = node;
            while root.kind_str() == "member_expression" {
                match root.field("object") {
                    Some(object) => root = object,
                    None => return,
                }
            }
            if root.kind_str() == "identifier" {
                schema_refs(root, ctx, refs);
            }
        }
        "call_expression" => {
            if let Some(shape) = zod_shape(node, ctx, true) {
                refs.extend(shape.refs);
            }
        }
        _ => {}
    }
}

/// Fields of `{ key: schema, ... }`; spreads (`...Base.shape`) only add refs.
fn object_fields(object: Node<'_>, ctx: &ZodContext<'_>, shape: &mut Shape) {
    if object.kind_str() != "object" {
        schema_refs(object, ctx, &mut shape.refs);
        return;
    }
    let src = ctx.src;
    for property in object.named_kids() {
        match property.kind_str() {
            "pair" => {
                let (Some(key), Some(value)) = (property.field("key"), property.field("value"))
                else {
                    continue;
                };
                schema_refs(value, ctx, &mut shape.refs);
                shape.fields.push(zod_field(key_name(key, src), value, ctx));
            }
            "shorthand_property_identifier" => {
                let name = text(property, src).to_string();
                shape.refs.insert(name.clone());
                shape.fields.push(Field {
                    name: name.clone(),
                    type_text: Some(name),
                    optional: false,
                    nullable: false,
                    default: None,
                });
            }
            "spread_element" => {
                if let Some(inner) = property.named_child(0) {
                    schema_refs(inner, ctx, &mut shape.refs);
                }
            }
            _ => {}
        }
    }
}

fn key_name(key: Node<'_>, src: &[u8]) -> String {
    match key.kind_str() {
        "string" => string_literal(key, src)
            .unwrap_or_else(|| text(key, src))
            .to_string(),
        _ => text(key, src).to_string(),
    }
}

/// Keys of a `.pick({ a: true })` mask.
fn object_keys(object: Node<'_>, src: &[u8]) -> Vec<String> {
    object
        .named_kids()
        .into_iter()
        .filter_map(|p| match p.kind_str() {
            "pair" => p.field("key").map(|k| key_name(k, src)),
            "shorthand_property_identifier" => Some(text(p, src).to_string()),
            _ => None,
        })
        .collect()
}

/// One field: its schema text without the trailing `.optional()` / `.nullable()` /
/// `.nullish()` / `.default(..)`, and the flags those (anywhere in the outer chain) set.
fn zod_field(name: String, value: Node<'_>, ctx: &ZodContext<'_>) -> Field {
    let src = ctx.src;
    let mut field = Field {
        name,
        type_text: None,
        optional: false,
        nullable: false,
        default: None,
    };
    let mut stripped = value;
    let mut trailing = true;
    let mut node = value;
    while let Some((object, method, args)) = method_call(node, src) {
        match method {
            "optional" => field.optional = true,
            "nullable" => field.nullable = true,
            "nullish" => {
                field.optional = true;
                field.nullable = true;
            }
            "default" | "prefault" => {
                field.optional = true;
                if field.default.is_none() {
                    field.default = arguments(args)
                        .first()
                        .map(|d| one_line(text(*d, src), TEXT_MAX));
                }
            }
            _ => trailing = false,
        }
        if trailing {
            stripped = object;
        }
        node = object;
    }
    // `z.optional(X)` / `z.nullable(X)` wrap the field's schema.
    if let Some(function) = stripped.field("function")
        && stripped.kind_str() == "call_expression"
        && function.kind_str() == "member_expression"
        && let (Some(object), Some(property)) =
            (function.field("object"), function.field("property"))
        && ctx.names.namespaces.contains(text(object, src))
        && let Some(inner) = arguments(stripped.field("arguments")).first()
    {
        match text(property, src) {
            "optional" => {
                field.optional = true;
                stripped = *inner;
            }
            "nullable" => {
                field.nullable = true;
                stripped = *inner;
            }
            _ => {}
        }
    }
    field.type_text = Some(one_line(text(stripped, src), TEXT_MAX));
    field
}

/// `object.method(args)` parts of a call on a member expression.
fn method_call<'t, 's>(
    node: Node<'t>,
    src: &'s [u8],
) -> Option<(Node<'t>, &'s str, Option<Node<'t>>)> {
    if node.kind_str() != "call_expression" {
        return None;
    }
    let function = node.field("function")?;
    if function.kind_str() != "member_expression" {
        return None;
    }
    let object = function.field("object")?;
    let method = text(function.field("property")?, src);
    Some((object, method, node.field("arguments")))
}

fn literal_value(node: Node<'_>, src: &[u8]) -> String {
    match node.kind_str() {
        "string" => string_literal(node, src)
            .unwrap_or_else(|| text(node, src))
            .to_string(),
        _ => one_line(text(node, src), TEXT_MAX),
    }
}

fn literal_list(list: Node<'_>, src: &[u8]) -> Vec<String> {
    list.named_kids()
        .into_iter()
        .filter(|e| e.kind_str() != "comment")
        .map(|e| literal_value(e, src))
        .collect()
}

/// Values of `z.union([z.literal("a"), z.literal("b")])`, when every option is a literal.
fn union_literals(options: Option<Node<'_>>, ctx: &ZodContext<'_>) -> Vec<String> {
    let Some(options) = options.filter(|o| o.kind_str() == "array") else {
        return Vec::new();
    };
    let mut values = Vec::new();
    for option in options.named_kids() {
        let Some((object, method, args)) = method_call(option, ctx.src) else {
            return Vec::new();
        };
        let literal = method == "literal"
            && object.kind_str() == "identifier"
            && ctx.names.namespaces.contains(text(object, ctx.src));
        match arguments(args).first() {
            Some(value) if literal => values.push(literal_value(*value, ctx.src)),
            _ => return Vec::new(),
        }
    }
    values
}

// ---------------------------------------------------------------------------------------
// Python

/// Bases that make a class a pydantic model.
const PYDANTIC_BASES: &[&str] = &[
    "BaseModel",
    "BaseSettings",
    "RootModel",
    "SQLModel",
    "GenericModel",
];
/// `@attr.s`, `@attrs.define`...: the decorator's dotted name.
const ATTRS_DECORATORS: &[&str] = &[
    "attr.s",
    "attr.attrs",
    "attr.define",
    "attr.frozen",
    "attr.mutable",
    "attr.dataclass",
    "attrs.define",
    "attrs.frozen",
    "attrs.mutable",
];
/// Names that `from attr(s) import ...` makes attrs class decorators.
const ATTRS_NAMES: &[&str] = &["s", "attrs", "define", "frozen", "mutable", "dataclass"];

struct PyClass<'t> {
    node: Node<'t>,
    name: String,
    /// Base expressions as written, without keyword arguments.
    bases: Vec<String>,
    total_false: bool,
    library: Option<Library>,
}

fn python_schemas(scan: &mut Scan<'_, '_>) -> Vec<Schema> {
    let src = scan.text;
    let root = scan.root;
    let mut nodes = Vec::new();
    scan.matches(root, Some(PYTHON_DEPTH), |m| {
        if let (Some(class), Some(name)) = (m.get("class"), m.get("name")) {
            nodes.push((class, name));
        }
    });
    let imports = PythonImports::of(scan.imports());
    let mut classes: Vec<PyClass<'_>> = nodes
        .into_iter()
        .filter(|(class, _)| python_module_level(*class))
        .map(|(node, name)| {
            let (bases, total_false) = python_bases(node, src);
            let library = decorator_library(node, src, &imports)
                .or_else(|| {
                    bases.iter().find_map(|b| {
                        let base = strip_subscript(b);
                        if imports.is_pydantic_base(base) {
                            Some(Library::Pydantic)
                        } else if last_segment(base) == "TypedDict" {
                            Some(Library::TypedDict)
                        } else if imports.is_django_model(base) {
                            Some(Library::Django)
                        } else {
                            None
                        }
                    })
                })
                .or_else(|| {
                    (imports.sqlalchemy && has_tablename(node, src)).then_some(Library::Sqlalchemy)
                });
            PyClass {
                node,
                name: text(name, src).to_string(),
                bases,
                total_false,
                library,
            }
        })
        .collect();
    // Subclasses of this file's models and TypedDicts, whatever order they come in.
    loop {
        let libraries: BTreeMap<String, Library> = classes
            .iter()
            .filter_map(|c| c.library.map(|l| (c.name.clone(), l)))
            .collect();
        let mut changed = false;
        for class in classes.iter_mut().filter(|c| c.library.is_none()) {
            let inherited = class.bases.iter().find_map(|b| {
                libraries.get(strip_subscript(b)).copied().filter(|l| {
                    matches!(
                        l,
                        Library::Pydantic
                            | Library::TypedDict
                            | Library::Django
                            | Library::Sqlalchemy
                    )
                })
            });
            if inherited.is_some() {
                class.library = inherited;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let schema_names: BTreeSet<&str> = classes
        .iter()
        .filter(|c| c.library.is_some())
        .map(|c| c.name.as_str())
        .collect();
    let mut out = Vec::new();
    for class in &classes {
        let Some(library) = class.library else {
            continue;
        };
        let mut refs = BTreeSet::new();
        let mut note_refs = |written: &str| {
            for word in identifiers(written) {
                if word != class.name
                    && (schema_names.contains(word) || imports.relative.contains(word))
                {
                    refs.insert(word.to_string());
                }
            }
        };
        for base in &class.bases {
            note_refs(base);
        }
        let fields = python_fields(class, library, src);
        for field in &fields {
            if let Some(t) = &field.type_text {
                note_refs(t);
            }
        }
        let (line, column) = position(class.node);
        out.push(Schema {
            file: scan.path.to_string(),
            line,
            column,
            id: class.name.clone(),
            name: class.name.clone(),
            library,
            kind: SchemaKind::Class,
            exported: !class.name.starts_with('_'),
            fields,
            values: Vec::new(),
            keys: Vec::new(),
            refs: refs.into_iter().collect(),
        });
    }
    out
}

/// What the module imports that matters here.
#[derive(Default)]
struct PythonImports {
    /// Local names imported from `attr` / `attrs`.
    attrs: BTreeSet<String>,
    /// Local names imported from a relative module (`from .models import User`).
    relative: BTreeSet<String>,
    /// Local names of pydantic's base classes (`from pydantic import BaseModel as M`).
    pydantic_bases: BTreeSet<String>,
    /// Local names of the pydantic packages (`import pydantic as pd`).
    pydantic_modules: BTreeSet<String>,
    /// Local names of `django.db.models` (`from django.db import models`).
    django_models: BTreeSet<String>,
    /// Local names of Django's `Model` (`from django.db.models import Model`).
    django_model: BTreeSet<String>,
    /// Whether the file imports from `sqlalchemy`.
    sqlalchemy: bool,
}

/// Packages whose base classes make pydantic models.
const PYDANTIC_PACKAGES: &[&str] = &["pydantic", "pydantic_settings", "sqlmodel"];

impl PythonImports {
    fn of(file: &Imports) -> PythonImports {
        let mut imports = PythonImports {
            pydantic_modules: PYDANTIC_PACKAGES.iter().map(|p| p.to_string()).collect(),
            ..PythonImports::default()
        };
        // Module-level imports only, not those guarded by `if` / `try`.
        for statement in file.statements.iter().filter(|s| !s.guarded) {
            match statement.kind {
                // `import pydantic as pd`: `pd.BaseModel` is a pydantic base.
                ImportKind::PyImport => {
                    for binding in &statement.bindings {
                        if PYDANTIC_PACKAGES.contains(&binding.module.as_str()) {
                            imports.pydantic_modules.insert(binding.local.clone());
                        }
                        if binding.module.split('.').next() == Some("sqlalchemy") {
                            imports.sqlalchemy = true;
                        }
                    }
                }
                ImportKind::PyFrom => {
                    let module = statement.module.as_str();
                    let package = module.split('.').next().unwrap_or(module);
                    if package == "sqlalchemy" {
                        imports.sqlalchemy = true;
                    }
                    for binding in &statement.bindings {
                        let local = binding.local.clone();
                        if module == "django.db" && binding.imported == "models" {
                            imports.django_models.insert(local);
                        } else if module == "django.db.models" && binding.imported == "Model" {
                            imports.django_model.insert(local);
                        } else if module == "attr" || module == "attrs" {
                            imports.attrs.insert(local);
                        } else if module.starts_with('.') {
                            imports.relative.insert(local);
                        } else if PYDANTIC_PACKAGES.contains(&package)
                            && PYDANTIC_BASES.contains(&binding.imported.as_str())
                        {
                            imports.pydantic_bases.insert(local);
                        }
                    }
                }
                ImportKind::Import | ImportKind::Require => {}
            }
        }
        imports
    }

    /// `models.Model` after `from django.db import models`, `Model` imported from
    /// `django.db.models`, or `django.db.models.Model`.
    fn is_django_model(&self, base: &str) -> bool {
        match base.rsplit_once('.') {
            Some((module, "Model")) => {
                self.django_models.contains(module) || module == "django.db.models"
            }
            Some(_) => false,
            None => self.django_model.contains(base),
        }
    }

    /// `BaseModel` imported from pydantic, or `pydantic.BaseModel` / `pd.BaseModel`.
    fn is_pydantic_base(&self, base: &str) -> bool {
        match base.rsplit_once('.') {
            Some((module, name)) => {
                let package = module.split('.').next().unwrap_or(module);
                PYDANTIC_BASES.contains(&name) && self.pydantic_modules.contains(package)
            }
            None => self.pydantic_bases.contains(base),
        }
    }
}

/// A class directly in the module, or decorated there.
fn python_module_level(class: Node<'_>) -> bool {
    let Some(parent) = class.up() else {
        return false;
    };
    match parent.kind_str() {
        "module" => true,
        "decorated_definition" => parent.up().is_some_and(|p| p.kind_str() == "module"),
        _ => false,
    }
}

fn python_bases(class: Node<'_>, src: &[u8]) -> (Vec<String>, bool) {
    let mut bases = Vec::new();
    let mut total_false = false;
    if let Some(list) = class.field("superclasses") {
        for base in list.named_kids() {
            match base.kind_str() {
                "keyword_argument" => {
                    let name = base.field("name").map(|n| text(n, src));
                    let value = base.field("value").map(|v| text(v, src));
                    if name == Some("total") && value == Some("False") {
                        total_false = true;
                    }
                }
                "comment" => {}
                _ => bases.push(one_line(text(base, src), TEXT_MAX)),
            }
        }
    }
    (bases, total_false)
}

fn decorator_library(class: Node<'_>, src: &[u8], imports: &PythonImports) -> Option<Library> {
    let decorated = class
        .up()
        .filter(|p| p.kind_str() == "decorated_definition")?;
    for decorator in decorated.named_kids() {
        if decorator.kind_str() != "decorator" {
            continue;
        }
        let Some(mut expression) = decorator.named_child(0) else {
            continue;
        };
        if expression.kind_str() == "call"
            && let Some(function) = expression.field("function")
        {
            expression = function;
        }
        let dotted = text(expression, src);
        if ATTRS_DECORATORS.contains(&dotted)
            || (ATTRS_NAMES.contains(&dotted) && imports.attrs.contains(dotted))
        {
            return Some(Library::Attrs);
        }
        if last_segment(dotted) == "dataclass" {
            return Some(Library::Dataclass);
        }
    }
    None
}

fn strip_subscript(written: &str) -> &str {
    written.split('[').next().unwrap_or(written).trim()
}

fn last_segment(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

/// Identifiers in a written type, skipping attribute names (`x.Y` yields `x`).
fn identifiers(written: &str) -> impl Iterator<Item = &str> {
    let bytes = written.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if start == 0 || bytes[start - 1] != b'.' {
                out.push(&written[start..i]);
            }
        } else {
            i += 1;
        }
    }
    out.into_iter()
}

/// Whether a class body assigns `__tablename__` (SQLAlchemy's declarative mapping).
fn has_tablename(class: Node<'_>, src: &[u8]) -> bool {
    let Some(body) = class.field("body") else {
        return false;
    };
    body.named_kids().into_iter().any(|statement| {
        statement.kind_str() == "expression_statement"
            && statement
                .named_child(0)
                .filter(|a| a.kind_str() == "assignment")
                .and_then(|a| a.field("left"))
                .is_some_and(|l| text(l, src) == "__tablename__")
    })
}

/// A keyword argument's value, as written.
fn keyword<'t>(call: Node<'t>, name: &str, src: &[u8]) -> Option<Node<'t>> {
    let args = call.field("arguments")?;
    let found = args.named_kids().into_iter().find(|a| {
        a.kind_str() == "keyword_argument" && a.field("name").is_some_and(|n| text(n, src) == name)
    });
    found.and_then(|a| a.field("value"))
}

/// The first positional argument of a call.
fn first_positional(call: Option<Node<'_>>) -> Option<Node<'_>> {
    let args = call?.field("arguments")?;
    (0..args.named_child_count())
        .filter_map(|i| args.named_child(i as u32))
        .find(|n| !matches!(n.kind_str(), "keyword_argument" | "comment"))
}

/// A Django model field (`name = models.CharField(max_length=80, null=True)`) or an
/// SQLAlchemy column (`name = Column(String(80))`, `name: Mapped[str] = mapped_column()`):
/// `None` for any other class attribute (managers, `Meta`, relationships, methods).
fn model_field(
    library: Library,
    name: &str,
    annotation: Option<&str>,
    right: Option<Node<'_>>,
    src: &[u8],
) -> Option<Field> {
    let call = right.filter(|r| r.kind_str() == "call");
    let callee = call
        .and_then(|c| c.field("function"))
        .map(|f| last_segment(text(f, src)));
    let flag = |key: &str| {
        call.and_then(|c| keyword(c, key, src))
            .map(|v| text(v, src))
    };
    let default = flag("default").map(|d| one_line(d, TEXT_MAX));
    match library {
        Library::Django => {
            let callee = callee?;
            let relation = matches!(callee, "ForeignKey" | "OneToOneField" | "ManyToManyField");
            if !(callee.ends_with("Field") || relation) {
                return None;
            }
            let nullable = flag("null") == Some("True");
            let optional = nullable
                || default.is_some()
                || flag("blank") == Some("True")
                || callee.starts_with("Auto")
                || callee.ends_with("AutoField")
                || callee == "ManyToManyField";
            // A relation names its model: `ForeignKey(User)` (refs come from it).
            let target = first_positional(call)
                .filter(|_| relation)
                .map(|n| one_line(text(n, src), TEXT_MAX));
            let type_text = match target {
                Some(target) => format!("{callee}({target})"),
                None => callee.to_string(),
            };
            Some(Field {
                name: name.to_string(),
                type_text: Some(type_text),
                optional,
                nullable,
                default,
            })
        }
        Library::Sqlalchemy => {
            let column = matches!(callee, Some("Column" | "mapped_column"));
            let mapped = annotation.is_some_and(|a| last_segment(type_head(a)) == "Mapped");
            if !(column || (mapped && right.is_none())) {
                return None;
            }
            // The annotation says it (`Mapped[str | None]`); else the column's type
            // argument (`Column(String(80))`), nullable unless it says otherwise or is a
            // primary key.
            let (type_text, nullable) = match annotation {
                Some(a) if mapped => (
                    a.to_string(),
                    type_arguments(a).first().is_some_and(|t| is_nullable(t)),
                ),
                _ => {
                    let first = first_positional(call)
                        .map(|n| one_line(text(n, src), TEXT_MAX))
                        .unwrap_or_default();
                    let nullable = match flag("nullable") {
                        Some(v) => v == "True",
                        None => flag("primary_key") != Some("True"),
                    };
                    (first, nullable)
                }
            };
            let nullable = match flag("nullable") {
                Some(v) => v == "True",
                None => nullable,
            };
            let optional = nullable || default.is_some() || flag("server_default").is_some();
            Some(Field {
                name: name.to_string(),
                type_text: (!type_text.is_empty()).then_some(type_text),
                optional,
                nullable,
                default,
            })
        }
        _ => None,
    }
}

/// Annotated class attributes (and unannotated `attr.ib()` ones) of a schema class.
fn python_fields(class: &PyClass<'_>, library: Library, src: &[u8]) -> Vec<Field> {
    let mut fields = Vec::new();
    let Some(body) = class.node.field("body") else {
        return fields;
    };
    for statement in body.named_kids() {
        if statement.kind_str() != "expression_statement" {
            continue;
        }
        let Some(assignment) = statement
            .named_child(0)
            .filter(|a| a.kind_str() == "assignment")
        else {
            continue;
        };
        let Some(left) = assignment
            .field("left")
            .filter(|l| l.kind_str() == "identifier")
        else {
            continue;
        };
        let name = text(left, src);
        let annotation = assignment.field("type");
        let right = assignment.field("right");
        let written = annotation.map(|a| one_line(text(a, src), TEXT_MAX));
        if matches!(library, Library::Django | Library::Sqlalchemy) {
            if name.starts_with("__") {
                continue;
            }
            fields.extend(model_field(library, name, written.as_deref(), right, src));
            continue;
        }
        if name == "model_config" || (library == Library::Pydantic && name.starts_with('_')) {
            continue;
        }
        match &written {
            Some(t) if matches!(last_segment(type_head(t)), "ClassVar" | "KW_ONLY") => continue,
            Some(_) => {}
            // Without an annotation only an attrs `attr.ib()` declares a field.
            None => {
                let is_attrib = library == Library::Attrs
                    && right.is_some_and(|r| {
                        r.kind_str() == "call"
                            && r.field("function").is_some_and(|f| {
                                matches!(
                                    text(f, src),
                                    "attr.ib"
                                        | "attr.attrib"
                                        | "attrib"
                                        | "attr.field"
                                        | "attrs.field"
                                        | "field"
                                )
                            })
                    });
                if !is_attrib {
                    continue;
                }
            }
        }
        let default = right.map(|r| one_line(text(r, src), TEXT_MAX));
        let mut optional = right.is_some_and(|r| has_default(r, src));
        let mut nullable = false;
        if let Some(t) = &written {
            let (head, inner) = unwrap_type(t);
            nullable = is_nullable(inner);
            if library == Library::TypedDict {
                optional = match last_segment(head) {
                    "NotRequired" => true,
                    "Required" => false,
                    _ => class.total_false,
                };
            }
        }
        fields.push(Field {
            name: name.to_string(),
            type_text: written,
            optional,
            nullable,
            default,
        });
    }
    fields
}

/// Whether the value assigned to a field gives it a default: anything but `...`, or a
/// `Field(...)` / `field()` / `attr.ib()` call with a default, default factory or factory.
fn has_default(right: Node<'_>, src: &[u8]) -> bool {
    if right.kind_str() == "ellipsis" {
        return false;
    }
    let Some(function) = right
        .field("function")
        .filter(|_| right.kind_str() == "call")
    else {
        return true;
    };
    let callee = last_segment(text(function, src));
    // `from pydantic import Field as PField` keeps the name recognisable.
    if !(matches!(callee, "field" | "ib" | "attrib") || callee.ends_with("Field")) {
        return true;
    }
    let Some(args) = right.field("arguments") else {
        return false;
    };
    for arg in args.named_kids() {
        match arg.kind_str() {
            "keyword_argument" => {
                let name = arg.field("name").map(|n| text(n, src));
                if matches!(name, Some("default" | "default_factory" | "factory")) {
                    return true;
                }
            }
            "ellipsis" | "comment" => {}
            // A positional first argument of `Field` is its default.
            _ if callee.ends_with("Field") => return true,
            _ => {}
        }
    }
    false
}

/// The name before the first `[` of a written type.
fn type_head(written: &str) -> &str {
    let written = written.trim().trim_matches(|c| c == '"' || c == '\'');
    written.split('[').next().unwrap_or(written).trim()
}

/// Peels `Annotated[T, ...]`, `Required[T]`, `NotRequired[T]`, `ReadOnly[T]`, `Final[T]`:
/// the outermost qualifier's head and the type inside all of them.
fn unwrap_type(written: &str) -> (&str, &str) {
    let outer_head = type_head(written);
    let mut current = written.trim().trim_matches(|c| c == '"' || c == '\'');
    loop {
        let head = last_segment(type_head(current));
        if !matches!(
            head,
            "Annotated" | "Required" | "NotRequired" | "ReadOnly" | "Final"
        ) {
            return (outer_head, current);
        }
        match type_arguments(current).first() {
            Some(first) => current = first,
            None => return (outer_head, current),
        }
    }
}

/// Top-level comma-separated arguments of `Head[a, b]`.
fn type_arguments(written: &str) -> Vec<&str> {
    let Some(open) = written.find('[') else {
        return Vec::new();
    };
    let Some(close) = written.rfind(']') else {
        return Vec::new();
    };
    if close <= open {
        return Vec::new();
    }
    split_top_level(&written[open + 1..close], b',')
}

fn split_top_level(s: &str, separator: u8) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'[' | b'(' | b'{' => depth += 1,
            b']' | b')' | b'}' => depth -= 1,
            _ if b == separator && depth == 0 => {
                parts.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s[start..].trim());
    parts
}

/// `Optional[T]`, `Union[T, None]`, `T | None`.
fn is_nullable(written: &str) -> bool {
    let head = last_segment(type_head(written));
    if head == "Optional" {
        return true;
    }
    if head == "Union" && type_arguments(written).contains(&"None") {
        return true;
    }
    split_top_level(written, b'|').contains(&"None")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_types() {
        assert!(is_nullable("Optional[int]"));
        assert!(is_nullable("typing.Optional[dict[str, int]]"));
        assert!(is_nullable("Union[int, None]"));
        assert!(is_nullable("int | str | None"));
        assert!(!is_nullable("dict[str, int | None]"));
        assert!(!is_nullable("Union[int, str]"));
        assert_eq!(
            unwrap_type("Annotated[Optional[int], Field(gt=0)]").1,
            "Optional[int]"
        );
        assert_eq!(
            unwrap_type("NotRequired[float | None]"),
            ("NotRequired", "float | None")
        );
    }

    #[test]
    fn identifiers_skip_attributes() {
        let words: Vec<_> = identifiers("list[models.User] | Tag").collect();
        assert_eq!(words, ["list", "models", "Tag"]);
    }
}
