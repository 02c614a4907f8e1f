//! Where a file's routers are served: the apps and routers it creates, the mounts between
//! them, and the prefix each route's router adds, composed into the route's full URL.
//!
//! Within one file: `app = FastAPI()` / `express()` / `Flask(__name__)` is served at `/`
//! unless the file mounts it; `router = APIRouter(prefix="/items")` / `express.Router()` /
//! `Blueprint(..., url_prefix=)` / `new Router({ prefix })` is served where the file mounts
//! it (`include_router`, `register_blueprint`, `mount`, `use`, `route`), with the prefixes
//! of every mount up to an app. Prefixes are string literals, module-level string
//! constants of the file, or f-strings / template literals / `+` of those. Anything else
//! leaves the URL unresolved with the reason: a prefix that is not such a value, a router
//! mounted in another file or in several places, a router imported from another file.

use super::routes::{kwarg, py_args};
use super::syntax::{named_args, object_property, string_literal, text};
use std::collections::HashMap;
use tree_sitter::Node;

/// What a name is bound to in the file.
#[derive(Debug, Clone)]
enum Binding {
    /// An application object, served at `/` unless the file mounts it.
    App,
    /// A router with its own prefix (FastAPI's `prefix`, a blueprint's `url_prefix`).
    Router(Result<String, String>),
    /// A string constant.
    Text(String),
    /// Anything else, or a name bound more than once.
    Other,
}

/// A name as seen from one place: the binding of a scope, or a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    /// The index of the binding in `Routers::bindings`.
    Bound(usize),
    /// A parameter of an enclosing function: whatever the caller passes.
    Parameter,
    /// Bound nowhere in the file.
    Free,
}

/// One mount: `parent` serves `child` under `prefix`.
#[derive(Debug)]
struct Mount {
    parent: Name,
    /// The parent as written, for messages.
    parent_text: String,
    child: Name,
    /// `None`: the framework's default (Flask: the blueprint's own `url_prefix`).
    prefix: Option<Result<String, String>>,
    /// Flask's `register_blueprint(bp, url_prefix=...)`: the prefix replaces the
    /// blueprint's own instead of adding to it.
    replaces: bool,
}

/// The routers of one file and how they are mounted.
#[derive(Debug, Default)]
pub struct Routers {
    /// Each name bound in each scope (a function, or the module: by node id), once; a
    /// name bound twice in one scope is `Other`.
    scopes: HashMap<(usize, String), usize>,
    bindings: Vec<(String, Binding)>,
    mounts: Vec<Mount>,
    /// Names imported into the file, with the module they come from.
    imported: HashMap<String, String>,
    python: bool,
}

/// Nodes that open a scope of their own.
fn is_scope(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "function_declaration"
            | "function_expression"
            | "function"
            | "arrow_function"
            | "method_definition"
            | "generator_function_declaration"
            | "generator_function"
            | "function_definition"
            | "lambda"
            | "class_definition"
            | "program"
            | "module"
    )
}

/// The scope `node` is in (for a scope node, the one around it).
fn scope_of(node: Node<'_>) -> Option<Node<'_>> {
    let mut up = node.parent();
    while let Some(n) = up {
        if is_scope(n) {
            return Some(n);
        }
        up = n.parent();
    }
    None
}

/// Whether the function `scope` has a parameter `name`.
fn has_parameter(scope: Node<'_>, name: &str, src: &[u8]) -> bool {
    let params = scope
        .child_by_field_name("parameters")
        .or_else(|| scope.child_by_field_name("parameter"));
    let Some(params) = params else {
        return false;
    };
    let mut found = false;
    visit_names(params, src, &mut |n| found |= n == name);
    found
}

/// The identifiers a parameter list declares (destructuring, defaults and types included:
/// a type's names are no parameter, but a false match only leaves a URL unresolved).
fn visit_names(node: Node<'_>, src: &[u8], f: &mut dyn FnMut(&str)) {
    match node.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => f(text(node, src)),
        _ => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                // The default value of `a = x` is no parameter.
                if node.kind() == "assignment_pattern"
                    && node.child_by_field_name("right") == Some(child)
                {
                    continue;
                }
                if node.kind() == "default_parameter"
                    && node.child_by_field_name("value") == Some(child)
                {
                    continue;
                }
                visit_names(child, src, f);
            }
        }
    }
}

/// How deep declarations and mounts are looked for, in nodes.
const MAX_DEPTH: usize = 40;

impl Routers {
    /// The routers of a Python file.
    pub fn python(root: Node<'_>, src: &[u8], imported: HashMap<String, String>) -> Routers {
        let mut routers = Routers {
            imported,
            python: true,
            ..Routers::default()
        };
        let mut assignments = Vec::new();
        let mut calls = Vec::new();
        collect(root, 0, &mut |n| match n.kind() {
            "assignment" => assignments.push(n),
            "call" => calls.push(n),
            _ => {}
        });
        for a in &assignments {
            let (Some(left), Some(right)) = (
                a.child_by_field_name("left"),
                a.child_by_field_name("right"),
            ) else {
                continue;
            };
            if left.kind() != "identifier" {
                continue;
            }
            let binding = routers.python_binding(right, src);
            routers.bind(*a, text(left, src), binding);
        }
        for call in calls {
            routers.python_mount(call, src);
        }
        routers
    }

    /// The routers of a JavaScript / TypeScript file.
    pub fn js(root: Node<'_>, src: &[u8], imported: HashMap<String, String>) -> Routers {
        let mut routers = Routers {
            imported,
            ..Routers::default()
        };
        let mut declarators = Vec::new();
        let mut calls = Vec::new();
        collect(root, 0, &mut |n| match n.kind() {
            "variable_declarator" => declarators.push(n),
            "call_expression" => calls.push(n),
            _ => {}
        });
        for d in &declarators {
            let Some(name) = d.child_by_field_name("name") else {
                continue;
            };
            if name.kind() != "identifier" {
                continue;
            }
            let binding = match d.child_by_field_name("value") {
                Some(value) => routers.js_binding(value, src),
                None => Binding::Other,
            };
            routers.bind(*d, text(name, src), binding);
        }
        for call in calls {
            routers.js_mount(call, src);
        }
        routers
    }

    /// Binds `name` in the scope of `at`; a second binding in one scope makes it `Other`.
    fn bind(&mut self, at: Node<'_>, name: &str, binding: Binding) {
        let Some(scope) = scope_of(at) else { return };
        let key = (scope.id(), name.to_string());
        match self.scopes.get(&key) {
            Some(&index) => self.bindings[index].1 = Binding::Other,
            None => {
                self.scopes.insert(key, self.bindings.len());
                self.bindings.push((name.to_string(), binding));
            }
        }
    }

    /// What `name` means where `at` is: the nearest scope's binding or parameter.
    fn lookup(&self, at: Node<'_>, name: &str, src: &[u8]) -> Name {
        let mut scope = scope_of(at);
        while let Some(s) = scope {
            if let Some(&index) = self.scopes.get(&(s.id(), name.to_string())) {
                return Name::Bound(index);
            }
            if has_parameter(s, name, src) {
                return Name::Parameter;
            }
            scope = scope_of(s);
        }
        Name::Free
    }

    /// The value of the string constant `name` (an identifier node) where it is used.
    pub fn constant_value(&self, name: Node<'_>, src: &[u8]) -> Option<String> {
        self.constant(name, text(name, src), src)
            .map(str::to_string)
    }

    /// A string constant `name` where `at` is.
    fn constant(&self, at: Node<'_>, name: &str, src: &[u8]) -> Option<&str> {
        match self.lookup(at, name, src) {
            Name::Bound(i) => match &self.bindings[i].1 {
                Binding::Text(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    fn python_binding(&self, value: Node<'_>, src: &[u8]) -> Binding {
        if let Some(s) = string_literal(value, src) {
            return Binding::Text(s.to_string());
        }
        if value.kind() != "call" {
            return Binding::Other;
        }
        let (Some(function), Some(arguments)) = (
            value.child_by_field_name("function"),
            value.child_by_field_name("arguments"),
        ) else {
            return Binding::Other;
        };
        let name = text(function, src);
        let last = name.rsplit('.').next().unwrap_or(name);
        match last {
            "FastAPI" | "Flask" | "Starlette" | "Quart" => Binding::App,
            "APIRouter" => Binding::Router(
                kwarg(arguments, "prefix", src).map_or(Ok(String::new()), |v| self.value(v, src)),
            ),
            "Blueprint" => Binding::Router(
                kwarg(arguments, "url_prefix", src)
                    .map_or(Ok(String::new()), |v| self.value(v, src)),
            ),
            _ => Binding::Other,
        }
    }

    fn js_binding(&self, value: Node<'_>, src: &[u8]) -> Binding {
        if let Some(s) = string_literal(value, src).filter(|_| value.kind() != "template_string") {
            return Binding::Text(s.to_string());
        }
        if value.kind() == "template_string" {
            return match self.value(value, src) {
                Ok(s) => Binding::Text(s),
                Err(_) => Binding::Other,
            };
        }
        let (callee, arguments) = match value.kind() {
            "call_expression" => (
                value.child_by_field_name("function"),
                value.child_by_field_name("arguments"),
            ),
            "new_expression" => (
                value.child_by_field_name("constructor"),
                value.child_by_field_name("arguments"),
            ),
            _ => return Binding::Other,
        };
        let Some(callee) = callee else {
            return Binding::Other;
        };
        let name = text(callee, src);
        match name {
            "express" | "fastify" | "Fastify" | "Koa" | "Hono" => Binding::App,
            "express.Router" | "Router" => {
                // koa-router's `new Router({ prefix: '/x' })`.
                let prefix = arguments
                    .and_then(|a| named_args(a).first().copied())
                    .filter(|o| o.kind() == "object")
                    .and_then(|o| object_property(o, "prefix", src));
                Binding::Router(prefix.map_or(Ok(String::new()), |v| self.value(v, src)))
            }
            _ => Binding::Other,
        }
    }

    /// `app.include_router(r, prefix=...)`, `app.register_blueprint(bp, url_prefix=...)`,
    /// `app.mount("/p", sub)`.
    fn python_mount(&mut self, call: Node<'_>, src: &[u8]) {
        let (Some(function), Some(arguments)) = (
            call.child_by_field_name("function"),
            call.child_by_field_name("arguments"),
        ) else {
            return;
        };
        let (Some(object), Some(method)) = (
            function.child_by_field_name("object"),
            function.child_by_field_name("attribute"),
        ) else {
            return;
        };
        let positional = py_args(arguments);
        let name = text(method, src);
        let (child, prefix) = match name {
            "include_router" => (
                positional.first().copied(),
                Some(
                    kwarg(arguments, "prefix", src)
                        .map_or(Ok(String::new()), |v| self.value(v, src)),
                ),
            ),
            "register_blueprint" => (
                positional.first().copied(),
                kwarg(arguments, "url_prefix", src).map(|v| self.value(v, src)),
            ),
            "mount" => (
                positional
                    .get(1)
                    .copied()
                    .or_else(|| kwarg(arguments, "app", src)),
                positional.first().map(|v| self.value(*v, src)),
            ),
            _ => return,
        };
        if let Some(child) = child.filter(|c| c.kind() == "identifier") {
            let mount = Mount {
                parent: self.name_at(call, object, src),
                parent_text: text(object, src).to_string(),
                child: self.lookup(call, text(child, src), src),
                replaces: name == "register_blueprint" && prefix.is_some(),
                prefix,
            };
            self.mounts.push(mount);
        }
    }

    /// `app.use('/p', a, router)`, `app.use(router)`, `app.route('/p', sub)` (Hono),
    /// `app.use('/p', router.routes())` (koa-router).
    fn js_mount(&mut self, call: Node<'_>, src: &[u8]) {
        let (Some(function), Some(arguments)) = (
            call.child_by_field_name("function"),
            call.child_by_field_name("arguments"),
        ) else {
            return;
        };
        let (Some(object), Some(property)) = (
            function.child_by_field_name("object"),
            function.child_by_field_name("property"),
        ) else {
            return;
        };
        if !matches!(text(property, src), "use" | "route") || object.kind() != "identifier" {
            return;
        }
        let args = named_args(arguments);
        let Some(first) = args.first() else { return };
        // A first argument that is a router or middleware, not a path, mounts at `/`.
        let (prefix, rest) = match first.kind() {
            "identifier" if self.is_router(call, text(*first, src), src) => {
                (Ok(String::new()), &args[..])
            }
            "identifier" | "string" | "template_string" | "binary_expression" => {
                (self.value(*first, src), &args[1..])
            }
            "call_expression" | "member_expression" | "arrow_function" | "function_expression" => {
                (Ok(String::new()), &args[..])
            }
            _ => (
                Err(format!(
                    "the mount path `{}` is not a literal",
                    text(*first, src)
                )),
                &args[1..],
            ),
        };
        for arg in rest {
            let child = match arg.kind() {
                "identifier" => text(*arg, src),
                // `router.routes()`
                "call_expression" => match arg
                    .child_by_field_name("function")
                    .and_then(|f| f.child_by_field_name("object"))
                {
                    Some(o) if o.kind() == "identifier" => text(o, src),
                    _ => continue,
                },
                _ => continue,
            };
            let mount = Mount {
                parent: self.lookup(call, text(object, src), src),
                parent_text: text(object, src).to_string(),
                child: self.lookup(call, child, src),
                prefix: Some(prefix.clone()),
                replaces: false,
            };
            self.mounts.push(mount);
        }
    }

    fn is_router(&self, at: Node<'_>, name: &str, src: &[u8]) -> bool {
        match self.lookup(at, name, src) {
            Name::Bound(i) => matches!(self.bindings[i].1, Binding::Router(_) | Binding::App),
            _ => false,
        }
    }

    /// What the receiver `object` of a call at `at` names, when it is a plain name.
    fn name_at(&self, at: Node<'_>, object: Node<'_>, src: &[u8]) -> Name {
        if object.kind() == "identifier" {
            self.lookup(at, text(object, src), src)
        } else {
            Name::Free
        }
    }

    /// A prefix or path: a string literal, a string constant of the file, or an f-string /
    /// template literal / `+` of those.
    fn value(&self, node: Node<'_>, src: &[u8]) -> Result<String, String> {
        let written = || {
            format!(
                "`{}` is not a literal or a string constant of this file",
                one(node, src)
            )
        };
        match node.kind() {
            "string" | "template_string" => {
                if let Some(s) = string_literal(node, src) {
                    return Ok(s.to_string());
                }
                // The text between substitutions, and each substitution's value.
                let mut out = String::new();
                let mut cursor = node.walk();
                for part in node.children(&mut cursor) {
                    match part.kind() {
                        "string_content" | "string_fragment" => out.push_str(text(part, src)),
                        "interpolation" | "template_substitution" => {
                            // `{x!r}`, `{x:>3}`: a conversion or format spec is not evaluated.
                            let inner = part
                                .named_child(0)
                                .filter(|_| part.named_child_count() == 1)
                                .ok_or_else(written)?;
                            out.push_str(&self.value(inner, src)?);
                        }
                        "string_start" | "string_end" | "`" | "\"" | "'" => {}
                        _ => return Err(written()),
                    }
                }
                Ok(out)
            }
            "identifier" => self
                .constant(node, text(node, src), src)
                .map(str::to_string)
                .ok_or_else(written),
            "binary_expression" | "binary_operator" => {
                let (Some(left), Some(right), Some(op)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    node.child_by_field_name("operator"),
                ) else {
                    return Err(written());
                };
                if text(op, src) != "+" {
                    return Err(written());
                }
                Ok(format!(
                    "{}{}",
                    self.value(left, src)?,
                    self.value(right, src)?
                ))
            }
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => self.value(inner, src),
                None => Err(written()),
            },
            _ => Err(written()),
        }
    }

    /// The prefix the router named `name` where `at` is is served under, through every
    /// mount up to an app.
    pub fn prefix_of(&self, at: Node<'_>, name: &str, src: &[u8]) -> Result<String, String> {
        self.prefix_within(self.lookup(at, name, src), name, 0)
    }

    fn prefix_within(&self, name: Name, shown: &str, depth: usize) -> Result<String, String> {
        if depth > 16 {
            return Err(format!("`{shown}` is mounted in a cycle"));
        }
        let index = match name {
            Name::Bound(index) => index,
            Name::Parameter => {
                return Err(format!(
                    "`{shown}` is a parameter of the enclosing function: whatever its caller passes"
                ));
            }
            Name::Free => {
                return Err(match self.imported.get(shown) {
                    Some(module) => format!(
                        "`{shown}` is imported from `{module}`; routers of other files are not composed yet"
                    ),
                    None => format!("`{shown}` is not an app or router this file creates"),
                });
            }
        };
        let own = match &self.bindings[index].1 {
            Binding::App => None,
            Binding::Router(prefix) => Some(prefix.clone()),
            Binding::Text(_) | Binding::Other => {
                return Err(format!(
                    "`{shown}` is not an app or router this file creates"
                ));
            }
        };
        let mounts: Vec<&Mount> = self.mounts.iter().filter(|m| m.child == name).collect();
        match (mounts.as_slice(), own) {
            ([], None) => Ok(String::new()),
            ([], Some(_)) => Err(format!(
                "router `{shown}` is not mounted in this file; mounts in other files are not composed yet"
            )),
            ([mount], own) => {
                let above = self.prefix_within(mount.parent, &mount.parent_text, depth + 1)?;
                let own = own.unwrap_or(Ok(String::new()))?;
                let here = match &mount.prefix {
                    Some(prefix) => prefix.clone()?,
                    None => String::new(),
                };
                let python = self.python;
                // Flask: a `url_prefix` given at registration replaces the blueprint's own.
                Ok(if mount.replaces {
                    join(&above, &here, python)
                } else {
                    join(&join(&above, &here, python), &own, python)
                })
            }
            (several, _) => Err(format!(
                "`{shown}` is mounted {} times in this file",
                several.len()
            )),
        }
    }
}

/// `a` then `b`, as the frameworks concatenate them: FastAPI and Flask prefixes are joined
/// as strings (a trailing `/` kept), Express mount paths lose a trailing `/`.
pub fn join(a: &str, b: &str, python: bool) -> String {
    if a.is_empty() {
        return b.to_string();
    }
    if b.is_empty() {
        return a.to_string();
    }
    if python {
        return format!(
            "{}{b}",
            a.strip_suffix('/')
                .filter(|_| b.starts_with('/'))
                .unwrap_or(a)
        );
    }
    format!("{}/{}", a.trim_end_matches('/'), b.trim_start_matches('/'))
}

fn one(node: Node<'_>, src: &[u8]) -> String {
    super::syntax::one_line(text(node, src), 80)
}

/// Visits every node to `MAX_DEPTH` levels.
fn collect<'t>(node: Node<'t>, depth: usize, visit: &mut dyn FnMut(Node<'t>)) {
    if depth > MAX_DEPTH {
        return;
    }
    visit(node);
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        collect(child, depth + 1, visit);
    }
}
