//! The `routes` extractor: HTTP endpoints declared with Express-style routers (Express, Koa,
//! Fastify, Hono), Next.js route files, FastAPI / Flask / Starlette and Django url patterns.

use super::bindings::{ImportKind, Imports};
use super::gates::Words;
use super::mounts::{self, Routers, Via};
use super::scan::Scan;
use super::syntax::NodeExt;
use super::syntax::{
    awaited, key_text, named_args, object_property, one_line, position, string_literal, text,
};
use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use tree_sitter::Node;

/// Capture names `extractors/routes/*.scm` may use.
pub const CAPTURES: &[&str] = &[
    "call",
    "decorator",
    "route",
    "registered",
    "urlpatterns",
    "assigned",
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct Route {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Upper-case HTTP methods, sorted; `ANY` when every method is served or none is named.
    #[serde(default)]
    pub methods: Vec<String>,
    /// The path as written; for Next.js, derived from the file's path.
    pub path: String,
    /// The full path a client requests, after every prefix and mount, in the framework's
    /// own parameter syntax; `None` when a prefix could not be evaluated.
    pub url: Option<String>,
    /// Why `url` is `None`.
    #[serde(default)]
    pub url_unresolved: Option<String>,
    /// What handles the request, in order (Express passes middleware first): the id of a
    /// definition of the file, `<inline>` for a function written in place, the text of a
    /// call (`asyncHandler(list)`), or the name as written when it is defined elsewhere.
    #[serde(default)]
    pub handlers: Vec<String>,
    pub kind: RouteKind,
    pub framework: String,
    /// When the URL continues in another file: the router it continues from and what this
    /// file adds below it. The link stage composes `url` from it.
    #[serde(default)]
    pub router: Option<Via>,
    /// The handlers named through an import: the link stage replaces each by the id of
    /// the definition it reaches.
    #[serde(default)]
    pub handler_imports: Vec<HandlerImport>,
    /// The id of the schema the request body is validated against, filled by the link
    /// stage from `schema_refs`.
    #[serde(default)]
    pub request: Option<String>,
    /// The id of the schema the response is declared as.
    #[serde(default)]
    pub response: Option<String>,
    /// Names that may be the request or response schema, as written, with their import:
    /// the link stage keeps those that reach a schema.
    #[serde(default)]
    pub schema_refs: Vec<SchemaRef>,
}

/// A name that may be a route's request or response schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SchemaRef {
    /// `request` or `response`.
    pub role: String,
    /// The name as written (`ItemCreate`, `schemas.ItemCreate`).
    pub name: String,
    /// For an imported name: the module as written and the name imported from it.
    pub module: Option<String>,
    pub imported: Option<String>,
}

/// A handler named through an import (`views.index` after `from . import views`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HandlerImport {
    /// Its position in `handlers`.
    pub index: u32,
    /// The handler as written.
    pub name: String,
    /// The module as written in the import, and the name imported from it.
    pub module: String,
    pub imported: String,
}

impl Serialize for Route {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // The worker pipe (bincode) is not self-describing and needs every field; JSON
        // leaves out the optional fields when unset.
        let sparse = serializer.is_human_readable();
        let mut out = serializer.serialize_struct("Route", 15)?;
        out.serialize_field("file", &self.file)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("column", &self.column)?;
        out.serialize_field("methods", &self.methods)?;
        out.serialize_field("path", &self.path)?;
        out.serialize_field("url", &self.url)?;
        if !sparse || self.url_unresolved.is_some() {
            out.serialize_field("url_unresolved", &self.url_unresolved)?;
        }
        out.serialize_field("handlers", &self.handlers)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("framework", &self.framework)?;
        if !sparse || self.router.is_some() {
            out.serialize_field("router", &self.router)?;
        }
        if !sparse || !self.handler_imports.is_empty() {
            out.serialize_field("handler_imports", &self.handler_imports)?;
        }
        for (name, value) in [("request", &self.request), ("response", &self.response)] {
            if !sparse || value.is_some() {
                out.serialize_field(name, value)?;
            }
        }
        if !sparse || !self.schema_refs.is_empty() {
            out.serialize_field("schema_refs", &self.schema_refs)?;
        }
        out.end()
    }
}

/// An HTTP endpoint, or a page a browser navigates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteKind {
    Api,
    Page,
}

/// Marks a handler the id pass (`ids::assign`) turns into the id of the file's definition
/// of that qualified name, or leaves as the name when the file has no single one.
pub const LOCAL: char = '\u{1}';

fn local_handler(qualified: &str) -> String {
    format!("{LOCAL}{qualified}")
}

/// `local_handler` for the definition that starts at `line` (a decorated function, when
/// the file defines several of that name).
fn local_handler_at(qualified: &str, line: u32) -> String {
    format!("{LOCAL}{line}{LOCAL}{qualified}")
}

/// HTTP method names as they appear as router members, with the method each serves.
pub(super) const JS_METHODS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("post", "POST"),
    ("put", "PUT"),
    ("patch", "PATCH"),
    ("delete", "DELETE"),
    ("del", "DELETE"),
    ("head", "HEAD"),
    ("options", "OPTIONS"),
    ("all", "ANY"),
];

/// The functions a Next.js app-router `route.ts` may export to serve a method.
const NEXT_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Receivers known to be HTTP clients, whose `get('/x', config)` calls are requests, not
/// routes.
const CLIENTS: &[&str] = &[
    "axios",
    "http",
    "https",
    "request",
    "superagent",
    "got",
    "ky",
    "client",
    "agent",
    "fetch",
    "$",
    "jquery",
    "ajax",
    "$http",
];

const INLINE: &str = "<inline>";

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<Route> {
    let mut out = Vec::new();
    if scan.lang.is_js_like() {
        extract_js(scan, &mut out);
    } else {
        extract_python(scan, &mut out);
    }
    if !out.is_empty() {
        let imports = imported(scan.imports());
        let functions = if scan.lang.is_js_like() {
            module_functions(scan.root, scan.text)
        } else {
            HashMap::default()
        };
        for route in &mut out {
            route.handler_imports = handler_imports(&route.handlers, &imports);
            // A handler the file defines: the schema its body validates the request with.
            if route.schema_refs.is_empty()
                && let Some(function) = route
                    .handlers
                    .last()
                    .map(|h| h.rsplit(LOCAL).next().unwrap_or(h))
                    .and_then(|name| functions.get(name))
                && let Some(name) = js_request_schema(*function, scan.text)
            {
                route.schema_refs.push(schema_ref("request", &name));
            }
            for schema in &mut route.schema_refs {
                let root = schema.name.split('.').next().unwrap_or(&schema.name);
                if let Some((module, imported)) = imports.get(root) {
                    schema.module = Some(module.clone());
                    schema.imported = Some(imported.clone());
                }
            }
        }
    }
    out
}

fn schema_ref(role: &str, name: &str) -> SchemaRef {
    SchemaRef {
        role: role.to_string(),
        name: name.to_string(),
        module: None,
        imported: None,
    }
}

/// Whether `text` is a name or a dotted name.
pub(super) fn is_dotted(text: &str) -> bool {
    text.split('.').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    })
}

/// The file's module-level functions by name (`function f`, `export function f`,
/// `const f = (req, res) => …`).
fn module_functions<'t>(root: Node<'t>, src: &[u8]) -> HashMap<String, Node<'t>> {
    let mut out = HashMap::default();
    for statement in root.named_kids() {
        let inner = if statement.kind_str() == "export_statement" {
            statement.field("declaration").unwrap_or(statement)
        } else {
            statement
        };
        match inner.kind_str() {
            "function_declaration" | "generator_function_declaration" => {
                if let Some(name) = inner.field("name") {
                    out.insert(text(name, src).to_string(), inner);
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                for declarator in inner.named_kids() {
                    if let (Some(name), Some(value)) =
                        (declarator.field("name"), declarator.field("value"))
                        && matches!(
                            value.kind_str(),
                            "arrow_function" | "function_expression" | "function"
                        )
                    {
                        out.insert(text(name, src).to_string(), value);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The schema a JS handler validates its request body with: `Schema.parse(req.body)`
/// (also `safeParse`, `parseAsync`, `safeParseAsync`, `validate`), or of
/// `await request.json()` directly or through a variable, `req` / `request` being the
/// handler's first parameter. `None` when there is not exactly one such schema.
fn js_request_schema(function: Node<'_>, src: &[u8]) -> Option<String> {
    let param = function
        .field("parameters")
        .and_then(|p| p.named_child(0))
        .or_else(|| function.field("parameter"))?;
    let param = match param.kind_str() {
        "identifier" => text(param, src),
        "required_parameter" | "optional_parameter" => text(param.field("pattern")?, src),
        _ => return None,
    };
    let body = function.field("body")?;
    let bodies = [format!("{param}.body"), format!("await {param}.json()")];
    let mut json_vars: Vec<String> = Vec::new();
    let mut found: Vec<String> = Vec::new();
    let mut stack = vec![(body, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > 30 {
            continue;
        }
        match node.kind_str() {
            // A nested function's calls are its own.
            "arrow_function" | "function_expression" | "function_declaration" if depth > 0 => {
                continue;
            }
            "variable_declarator" => {
                if let (Some(name), Some(value)) = (node.field("name"), node.field("value"))
                    && bodies.iter().any(|b| b == text(value, src))
                {
                    json_vars.push(text(name, src).to_string());
                }
            }
            "call_expression" => {
                if let (Some(function), Some(arguments)) =
                    (node.field("function"), node.field("arguments"))
                    && function.kind_str() == "member_expression"
                    && let (Some(object), Some(property)) =
                        (function.field("object"), function.field("property"))
                    && matches!(
                        text(property, src),
                        "parse"
                            | "safeParse"
                            | "parseAsync"
                            | "safeParseAsync"
                            | "validate"
                            | "validateSync"
                            | "validateAsync"
                    )
                    && is_dotted(text(object, src))
                    && let Some(argument) = named_args(arguments).first()
                {
                    let argument = text(*argument, src);
                    if bodies.iter().any(|b| b == argument)
                        || json_vars.iter().any(|v| v == argument)
                    {
                        found.push(text(object, src).to_string());
                    }
                }
            }
            _ => {}
        }
        let children: Vec<Node<'_>> = node.named_kids().into_iter().collect();
        // In document order: a variable is declared before it is parsed.
        for child in children.into_iter().rev() {
            stack.push((child, depth + 1));
        }
    }
    found.sort();
    found.dedup();
    match found.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    }
}

/// The handlers that are a name or member of a name the file imports (`list`,
/// `users.list`, `views.Detail`), with the import.
fn handler_imports(
    handlers: &[String],
    imports: &HashMap<String, (String, String)>,
) -> Vec<HandlerImport> {
    let mut out = Vec::new();
    for (index, handler) in handlers.iter().enumerate() {
        // A plain name carries the id pass's marker (`LOCAL` then the name).
        let name = handler.rsplit(LOCAL).next().unwrap_or(handler);
        if !is_dotted(name) {
            continue;
        }
        let root = name.split('.').next().unwrap_or(name);
        if let Some((module, imported)) = imports.get(root) {
            out.push(HandlerImport {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                name: name.to_string(),
                module: module.clone(),
                imported: imported.clone(),
            });
        }
    }
    out
}

fn item(file: &str, at: Node<'_>, methods: Vec<String>, path: String) -> Route {
    let (line, column) = position(at);
    let mut methods = methods;
    methods.sort();
    methods.dedup();
    Route {
        file: file.to_string(),
        line,
        column,
        methods,
        path,
        url: None,
        url_unresolved: None,
        handlers: Vec::new(),
        kind: RouteKind::Api,
        framework: String::new(),
        router: None,
        handler_imports: Vec::new(),
        request: None,
        response: None,
        schema_refs: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// JavaScript / TypeScript

/// Words of files that may declare client routes: React Router's `<Route>` trees and route
/// objects, TanStack Router's file routes.
pub static CLIENT_WORDS: Words = Words::new(&[
    "<Route",
    "createBrowserRouter",
    "createHashRouter",
    "createMemoryRouter",
    "createFileRoute",
    "createLazyFileRoute",
]);

fn extract_js(scan: &mut Scan<'_, '_>, out: &mut Vec<Route>) {
    let src = scan.text;
    let file = scan.path;
    if let Some(next) = next_route(file) {
        next_routes(scan.root, src, file, &next, scan.imports(), out);
    }
    if CLIENT_WORDS.any_in(src) {
        client_routes(scan.root, src, file, out);
    }
    let framework = js_framework(scan.imports());
    let mut calls = Vec::new();
    scan.matches(scan.root, None, |m| {
        if let Some(call) = m.get("call") {
            calls.push(call);
        }
    });
    if calls.is_empty() {
        return;
    }
    let routers = scan.routers(mounts::MAX_DEPTH);
    for call in calls {
        let first = out.len();
        js_call(call, src, file, framework, out);
        let receiver = call
            .field("function")
            .and_then(|f| f.field("object"))
            .and_then(|o| chain_receiver(o, src))
            .or_else(|| mounts::chain_declared(call, src).map(|name| text(name, src)));
        for route in &mut out[first..] {
            compose(route, &routers, call, receiver, src, false);
        }
    }
}

/// The names a file imports, with the module each comes from and the name imported.
pub(super) fn imported(imports: &Imports) -> HashMap<String, (String, String)> {
    imports
        .bindings()
        .map(|b| (b.local.clone(), (b.module.clone(), b.imported.clone())))
        .collect()
}

/// The router a call is made on, when it is a name: `router` in `router.get(...)`, in
/// `router.route('/x')` and in `app.get('/a', a).post('/b', b)`; `None` for
/// `this.router`, `express.Router().get(...)`.
fn chain_receiver<'s>(object: Node<'_>, src: &'s [u8]) -> Option<&'s str> {
    match object.kind_str() {
        "identifier" => Some(text(object, src)),
        "call_expression" => {
            let function = object.field("function")?;
            let name = text(function.field("property")?, src);
            if JS_METHODS.iter().any(|(m, _)| *m == name) {
                chain_receiver(function.field("object")?, src)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Fills `url` (the router's prefix and the route's path) or `url_unresolved`, for a
/// route declared at `at` on the router named `receiver`.
fn compose(
    route: &mut Route,
    routers: &Routers,
    at: Node<'_>,
    receiver: Option<&str>,
    src: &[u8],
    python: bool,
) {
    if route.url_unresolved.is_some() {
        return;
    }
    let Some(receiver) = receiver else {
        route.url_unresolved =
            Some("the router is not a name of this file (`this.router`, a call)".to_string());
        return;
    };
    match routers.partial_of(at, receiver, src) {
        Ok(partial) => match partial.complete() {
            Some(prefix) => route.url = Some(mounts::route_url(&prefix, &route.path, python)),
            None => route.router = Some(partial.via(&route.file)),
        },
        Err(reason) => route.url_unresolved = Some(reason),
    }
}

/// One `x.<method>(...)` call: a route, the head of a `route('/x')` chain, or a Fastify
/// route object.
fn js_call(call: Node<'_>, src: &[u8], file: &str, framework: Option<&str>, out: &mut Vec<Route>) {
    let Some(callee) = call.field("function") else {
        return;
    };
    let (Some(object), Some(property)) = (callee.field("object"), callee.field("property")) else {
        return;
    };
    let Some(arguments) = call.field("arguments") else {
        return;
    };
    let args = named_args(arguments);
    let receiver = receiver_name(object, src);
    let fw = match framework {
        Some(fw) => {
            if receiver.as_deref().is_some_and(is_client) {
                return;
            }
            fw
        }
        None if receiver.as_deref().is_some_and(looks_like_router) => "unknown",
        None => return,
    };
    let method = text(property, src);
    // A test's request (`await server.post('/x', user)`): a route's registration returns
    // the router, which nobody awaits. Asked last, as it walks up the tree.
    let request = || awaited(call);
    if method == "route" {
        if request() {
            return;
        }
        match args.as_slice() {
            [first] if first.kind_str() == "object" => {
                fastify_route(*first, call, src, file, fw, out)
            }
            // `app.route('/x')`, or an array of paths: a chain of items for each.
            [first] => {
                let paths = if first.kind_str() == "array" {
                    named_args(*first)
                } else {
                    vec![*first]
                };
                for path in paths.into_iter().filter_map(|p| js_path(p, src)) {
                    route_chain(call, &path, src, file, fw, out);
                }
            }
            _ => {}
        }
        return;
    }
    let Some(&(_, verb)) = JS_METHODS.iter().find(|(m, _)| *m == method) else {
        return;
    };
    let [first, .., last] = args.as_slice() else {
        return;
    };
    // koa-router names a route with a first argument before its path, and takes one
    // whenever the second argument is a string or regular expression:
    // `router.get('user', '/users/:id', show)`. Also with no framework known (a routes
    // module handed its router): no other framework takes a string after the path, so
    // the form is koa-router's wherever it appears.
    let named = matches!(fw, "koa" | "unknown")
        && args.len() >= 3
        && matches!(args[1].kind_str(), "string" | "template_string" | "regex");
    let (path_arg, handlers) = if named {
        (args[1], &args[2..])
    } else {
        (*first, &args[1..])
    };
    // One path, or an array of them (Express and koa-router take both): a route each,
    // for the elements that are paths.
    let paths: Vec<Node<'_>> = if path_arg.kind_str() == "array" {
        named_args(path_arg)
    } else {
        vec![path_arg]
    };
    let paths: Vec<(Node<'_>, String)> = paths
        .into_iter()
        .filter_map(|p| js_path(p, src).map(|path| (p, path)))
        .collect();
    if paths.is_empty() || js_handlers(&[*last], src).is_empty() || request() {
        return;
    }
    let request_schema = matches!(
        last.kind_str(),
        "arrow_function" | "function_expression" | "function"
    )
    .then(|| js_request_schema(*last, src))
    .flatten();
    // A chained route sits at its method's name, as a `route('/x')` chain's items do.
    let at = super::mounts::chained_at(call);
    for (node, path) in paths {
        let mut route = item(file, at, vec![verb.to_string()], path);
        route.handlers = js_handlers(handlers, src);
        route.framework = fw.to_string();
        if let Some(name) = &request_schema {
            route.schema_refs.push(schema_ref("request", name));
        }
        if node.kind_str() == "regex" {
            route.url_unresolved = Some("the path is a regular expression".to_string());
        }
        out.push(route);
    }
}

/// Every handler of a route in order, middleware first; an array of them flattened.
fn js_handlers(args: &[Node<'_>], src: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for arg in args {
        if arg.kind_str() == "array" {
            out.extend(js_handlers(&named_args(*arg), src));
        } else if let Some(handler) = js_handler(*arg, src) {
            out.push(handler);
        }
    }
    out
}

/// `router.route('/x').get(a).post(b)`: one item per chained method call, at its name.
fn route_chain(
    head: Node<'_>,
    path: &str,
    src: &[u8],
    file: &str,
    framework: &str,
    out: &mut Vec<Route>,
) {
    let mut current = head;
    while let Some(member) = current.up() {
        if member.kind_str() != "member_expression" {
            break;
        }
        let Some(call) = member.up().filter(|p| p.kind_str() == "call_expression") else {
            break;
        };
        let Some(property) = member.field("property") else {
            break;
        };
        let name = text(property, src);
        let Some(&(_, verb)) = JS_METHODS.iter().find(|(m, _)| *m == name) else {
            break;
        };
        let args = call.field("arguments").map(named_args).unwrap_or_default();
        if args
            .last()
            .is_some_and(|h| !js_handlers(&[*h], src).is_empty())
        {
            let mut route = item(file, property, vec![verb.to_string()], path.to_string());
            route.handlers = js_handlers(&args, src);
            route.framework = framework.to_string();
            out.push(route);
        }
        current = call;
    }
}

/// Fastify's `fastify.route({ method: 'GET', url: '/x', handler })`.
fn fastify_route(
    object: Node<'_>,
    call: Node<'_>,
    src: &[u8],
    file: &str,
    framework: &str,
    out: &mut Vec<Route>,
) {
    let mut methods = Vec::new();
    let mut path = None;
    let mut handler = None;
    for pair in object.named_kids() {
        match pair.kind_str() {
            "pair" => {
                let (Some(key), Some(value)) = (pair.field("key"), pair.field("value")) else {
                    continue;
                };
                let key = key_text(key, src);
                match key {
                    "method" => methods = js_method_list(value, src),
                    "url" | "path" => path = js_path(value, src),
                    "handler" => handler = js_handler(value, src),
                    _ => {}
                }
            }
            "shorthand_property_identifier" if text(pair, src) == "handler" => {
                handler = Some(local_handler("handler"));
            }
            "method_definition"
                if pair
                    .field("name")
                    .is_some_and(|n| text(n, src) == "handler") =>
            {
                handler = Some(INLINE.to_string());
            }
            _ => {}
        }
    }
    let (Some(path), false) = (path, methods.is_empty()) else {
        return;
    };
    if handler.is_none() {
        return;
    }
    let mut route = item(file, call, methods, path);
    route.handlers = handler.into_iter().collect();
    route.framework = if framework == "unknown" {
        "fastify".to_string()
    } else {
        framework.to_string()
    };
    out.push(route);
}

/// `'GET'` or `['GET', 'POST']`, upper-cased.
fn js_method_list(value: Node<'_>, src: &[u8]) -> Vec<String> {
    let one = |n: Node<'_>| string_literal(n, src).map(str::to_ascii_uppercase);
    if value.kind_str() == "array" {
        value.named_kids().into_iter().filter_map(one).collect()
    } else {
        one(value).into_iter().collect()
    }
}

/// A route path: a string or substitution-free template starting with `/` or `*`, or a
/// regular expression literal (its source).
fn js_path(node: Node<'_>, src: &[u8]) -> Option<String> {
    match node.kind_str() {
        "string" | "template_string" => {
            let s = string_literal(node, src)?;
            (s.starts_with('/') || s.starts_with('*')).then(|| s.to_string())
        }
        "regex" => Some(text(node, src).to_string()),
        _ => None,
    }
}

/// The handler argument's name, `<inline>` for a function, `None` for anything that cannot
/// handle a request (an object, a literal).
fn js_handler(node: Node<'_>, src: &[u8]) -> Option<String> {
    match node.kind_str() {
        "identifier" => Some(local_handler(text(node, src))),
        "member_expression" => Some(one_line(text(node, src), 200)),
        "function_expression" | "arrow_function" | "generator_function" => Some(INLINE.to_string()),
        // `asyncHandler(list)` and `swaggerUi.setup(specs, { explorer: true })` keep their
        // text; a wrapper around a function written in place is inline.
        "call_expression" => {
            let arguments = node.field("arguments")?;
            let wraps_inline = named_args(arguments).iter().any(|a| {
                matches!(
                    a.kind_str(),
                    "function_expression" | "arrow_function" | "generator_function"
                )
            });
            if wraps_inline {
                Some(INLINE.to_string())
            } else {
                Some(one_line(text(node, src), 200))
            }
        }
        _ => None,
    }
}

/// The name a call's receiver goes by: `app` in `app.get`, `router` in `this.router.get`,
/// `app` in `app.get(...).post(...)`, `Router` in `express.Router().get(...)`.
fn receiver_name(node: Node<'_>, src: &[u8]) -> Option<String> {
    match node.kind_str() {
        "identifier" => Some(text(node, src).to_string()),
        "member_expression" => node.field("property").map(|p| text(p, src).to_string()),
        "call_expression" => {
            let function = node.field("function")?;
            if function.kind_str() == "member_expression" {
                let property = function.field("property")?;
                let name = text(property, src);
                if name == "route" || JS_METHODS.iter().any(|(m, _)| *m == name) {
                    return receiver_name(function.field("object")?, src);
                }
            }
            receiver_name(function, src)
        }
        "new_expression" => receiver_name(node.field("constructor")?, src),
        "parenthesized_expression" => receiver_name(node.named_child(0)?, src),
        _ => None,
    }
}

fn is_client(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    CLIENTS.contains(&lower.as_str())
}

/// In a file that imports no server framework, only receivers named like one count:
/// `app`, `router`, `server`, `api`, `routes`, `r`, or names ending in `app`, `router`,
/// `routes`, `server` (`userRouter`, `adminApp`).
fn looks_like_router(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "api" | "r" | "route" | "fastify")
        || ["app", "router", "routes", "server"]
            .iter()
            .any(|s| lower.ends_with(s))
}

/// The server framework a file imports (`import`, or `require` in a top-level declaration),
/// in document order; failing that, a binding named after one (`const express =
/// require('../..')`).
fn js_framework(imports: &Imports) -> Option<&'static str> {
    let mut by_binding = None;
    for statement in &imports.statements {
        if !matches!(statement.kind, ImportKind::Import | ImportKind::Require) {
            continue;
        }
        if let Some(fw) = framework_of_module(&statement.module) {
            return Some(fw);
        }
        if by_binding.is_none() {
            by_binding = statement.declared.as_deref().and_then(framework_of_binding);
        }
    }
    by_binding
}

fn framework_of_module(module: &str) -> Option<&'static str> {
    let family = |name: &str| {
        module == name
            || module.starts_with(&format!("{name}/"))
            || module.starts_with(&format!("{name}-"))
            || module.starts_with(&format!("@{name}/"))
    };
    ["express", "koa", "fastify", "hono"]
        .into_iter()
        .find(|name| family(name))
}

fn framework_of_binding(name: &str) -> Option<&'static str> {
    match name {
        "express" => Some("express"),
        "koa" | "Koa" => Some("koa"),
        "fastify" | "Fastify" => Some("fastify"),
        "Hono" => Some("hono"),
        _ => None,
    }
}

/// What a Next.js file serves.
enum NextRoute {
    /// `app/**/route.ts`: one api route per exported method function.
    AppRoute(String),
    /// `app/**/page.tsx`: a page.
    AppPage(String),
    /// `pages/api/**`: the default export serves every method.
    PagesApi(String),
    /// `pages/**` outside `api`: a page, when the file shows it is Next.js's (below).
    Page(String),
    /// An app-router metadata file whose default export generates a file:
    /// `robots.ts` → `/robots.txt`, `opengraph-image.tsx` → `/opengraph-image`.
    Metadata(String),
}

/// App-router metadata files generated by code, with the name they are served under.
const NEXT_METADATA: &[(&str, &str)] = &[
    ("robots", "robots.txt"),
    ("sitemap", "sitemap.xml"),
    ("manifest", "manifest.webmanifest"),
    ("opengraph-image", "opengraph-image"),
    ("twitter-image", "twitter-image"),
    ("icon", "icon"),
    ("apple-icon", "apple-icon"),
];

/// Whether the file may serve a Next.js route by its path alone (the gate lets it through
/// to `next_routes`).
pub fn is_next_route_file(path: &str) -> bool {
    next_route(path).is_some()
}

/// The URL a Next.js file serves, in Next.js's own parameter syntax (`[id]`,
/// `[...slug]`, `[[...slug]]`), from the last `app` directory above a `route.*` or
/// `page.*` file, or the last `pages` directory. Route groups `(x)` and parallel-route
/// slots `@x` are not part of the URL; `index` names its directory; a private folder
/// (`_x`) or file (`_app`, `_document`) serves nothing. An intercepting segment (`(.)x`,
/// `(..)x`, `(..)(..)x`, `(...)x`) serves the URL it intercepts: `x` at the same level,
/// one or two levels up, or at the root.
fn next_route(path: &str) -> Option<NextRoute> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let (stem, ext) = name.rsplit_once('.')?;
    if !matches!(ext, "ts" | "tsx" | "js" | "jsx" | "mjs") || stem.is_empty() {
        return None;
    }
    // `users.test.ts` or `page.module.ts` is no route; a dot inside brackets (`[...slug]`)
    // is a catch-all.
    if stem.contains('.') && !(stem.starts_with('[') && stem.ends_with(']')) {
        return None;
    }
    let segments: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    if let Some(&(_, served)) = NEXT_METADATA.iter().find(|(s, _)| *s == stem)
        && let Some(app) = segments.iter().rposition(|s| *s == "app")
    {
        let mut parts = segments[app + 1..].to_vec();
        parts.push(served);
        return next_url(&parts).map(NextRoute::Metadata);
    }
    if stem == "route" || stem == "page" {
        let app = segments.iter().rposition(|s| *s == "app")?;
        let url = next_url(&segments[app + 1..])?;
        return Some(if stem == "route" {
            NextRoute::AppRoute(url)
        } else {
            NextRoute::AppPage(url)
        });
    }
    let pages = segments.iter().rposition(|s| *s == "pages")?;
    if stem.starts_with('_') {
        return None;
    }
    let mut parts: Vec<&str> = segments[pages + 1..].to_vec();
    if stem != "index" {
        parts.push(stem);
    }
    let url = next_url(&parts)?;
    Some(if segments.get(pages + 1) == Some(&"api") {
        NextRoute::PagesApi(url)
    } else {
        NextRoute::Page(url)
    })
}

/// The URL of the directories below `app` or `pages`; `None` under a private folder.
fn next_url(parts: &[&str]) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    for part in parts {
        if part.starts_with('_') {
            return None;
        }
        if part.starts_with('@') || (part.starts_with('(') && part.ends_with(')')) {
            continue;
        }
        if let Some(rest) = part.strip_prefix("(...)") {
            kept.clear();
            kept.push(rest);
            continue;
        }
        let mut rest = *part;
        let mut up = 0;
        while let Some(r) = rest.strip_prefix("(..)") {
            up += 1;
            rest = r;
        }
        if up > 0 {
            kept.truncate(kept.len().checked_sub(up)?);
            kept.push(rest);
            continue;
        }
        kept.push(rest.strip_prefix("(.)").unwrap_or(rest));
    }
    Some(format!("/{}", kept.join("/")))
}

/// Exports only Next.js's pages router reads: a file under `pages/` that has one, or that
/// imports from `next`, is a page of Next.js's (React Router apps keep components in
/// `src/pages/` too).
const NEXT_PAGE_EXPORTS: &[&str] = &["getServerSideProps", "getStaticProps", "getStaticPaths"];

fn next_routes(
    root: Node<'_>,
    src: &[u8],
    file: &str,
    next: &NextRoute,
    imports: &Imports,
    out: &mut Vec<Route>,
) {
    if let NextRoute::Page(_) = next {
        let from_next = imports
            .statements
            .iter()
            .any(|s| s.module == "next" || s.module.starts_with("next/"));
        let next_exports = root.named_kids().into_iter().any(|statement| {
            statement.kind_str() == "export_statement"
                && exported_names(statement, src)
                    .iter()
                    .any(|n| NEXT_PAGE_EXPORTS.contains(n))
        });
        if !from_next && !next_exports {
            return;
        }
    }
    let mut push = |at: Node<'_>, methods: &[&str], url: &str, handler: String, kind| {
        let mut route = item(
            file,
            at,
            methods.iter().map(|m| m.to_string()).collect(),
            url.to_string(),
        );
        route.url = Some(url.to_string());
        route.handlers = vec![handler];
        route.kind = kind;
        route.framework = "nextjs".to_string();
        out.push(route);
    };
    for statement in root.named_kids() {
        if statement.kind_str() != "export_statement" {
            continue;
        }
        let is_default = {
            statement
                .kids()
                .into_iter()
                .any(|n| n.kind_str() == "default")
        };
        match next {
            NextRoute::PagesApi(url)
            | NextRoute::Page(url)
            | NextRoute::AppPage(url)
            | NextRoute::Metadata(url)
                if is_default =>
            {
                let (methods, kind): (&[&str], _) = match next {
                    NextRoute::PagesApi(_) => (&["ANY"], RouteKind::Api),
                    NextRoute::Metadata(_) => (&["GET"], RouteKind::Api),
                    _ => (&["GET"], RouteKind::Page),
                };
                push(
                    statement,
                    methods,
                    url,
                    default_handler(statement, src),
                    kind,
                );
            }
            NextRoute::AppRoute(url) => {
                for (name, local) in exported_pairs(statement, src) {
                    if NEXT_METHODS.contains(&name) {
                        push(
                            statement,
                            &[name],
                            url,
                            local_handler(local),
                            RouteKind::Api,
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// What `export default ...` hands Next.js: a name (to be linked), the text of a call
/// (`NextAuth(authOptions)`), or `<inline>`.
fn default_handler(statement: Node<'_>, src: &[u8]) -> String {
    match statement
        .field("declaration")
        .or_else(|| statement.field("value"))
    {
        Some(d) if d.kind_str() == "identifier" => local_handler(text(d, src)),
        Some(d) if d.kind_str() == "call_expression" => one_line(text(d, src), 200),
        Some(d) => d
            .field("name")
            .map_or(INLINE.to_string(), |n| local_handler(text(n, src))),
        None => INLINE.to_string(),
    }
}

/// Each name a top-level `export` statement exports with the local name it exports:
/// `export function GET` gives (`GET`, `GET`), `export { update as PATCH }` (`PATCH`,
/// `update`).
fn exported_pairs<'s>(statement: Node<'_>, src: &'s [u8]) -> Vec<(&'s str, &'s str)> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for clause in statement.named_kids() {
        if clause.kind_str() != "export_clause" {
            continue;
        }
        for spec in clause.named_kids() {
            let Some(name) = spec.field("name") else {
                continue;
            };
            let alias = spec.field("alias").unwrap_or(name);
            pairs.push((text(alias, src), text(name, src)));
        }
    }
    if pairs.is_empty() {
        return exported_names(statement, src)
            .into_iter()
            .map(|n| (n, n))
            .collect();
    }
    pairs
}

/// Names a top-level `export` statement exports (declarations and `export { a as GET }`).
fn exported_names<'s>(statement: Node<'_>, src: &'s [u8]) -> Vec<&'s str> {
    let mut names = Vec::new();
    if let Some(declaration) = statement.field("declaration") {
        match declaration.kind_str() {
            "lexical_declaration" | "variable_declaration" => {
                for d in declaration.named_kids() {
                    let Some(n) = d.field("name") else {
                        continue;
                    };
                    if n.kind_str() == "object_pattern" {
                        // `export const { GET, POST } = handlers(...)`.
                        for p in n.named_kids() {
                            match p.kind_str() {
                                "shorthand_property_identifier_pattern" => names.push(text(p, src)),
                                "pair_pattern" => {
                                    if let Some(v) = p.field("value") {
                                        names.push(text(v, src));
                                    }
                                }
                                _ => {}
                            }
                        }
                    } else {
                        names.push(text(n, src));
                    }
                }
            }
            _ => {
                if let Some(n) = declaration.field("name") {
                    names.push(text(n, src));
                }
            }
        }
    }
    for clause in statement.named_kids() {
        if clause.kind_str() != "export_clause" {
            continue;
        }
        for spec in clause.named_kids() {
            if let Some(n) = spec.field("alias").or_else(|| spec.field("name")) {
                names.push(text(n, src));
            }
        }
    }
    names
}

// ---------------------------------------------------------------------------------------
// Client routers: pages a browser navigates to

/// The elements that provide a router to the `<Routes>` below them: routes under one in
/// the same file are the top-level ones, their paths absolute.
const ROUTERS: &[&str] = &[
    "BrowserRouter",
    "HashRouter",
    "MemoryRouter",
    "Router",
    "StaticRouter",
];
/// Calls that take the top-level route objects.
const ROUTER_CALLS: &[&str] = &[
    "createBrowserRouter",
    "createHashRouter",
    "createMemoryRouter",
];

/// React Router `<Route path element>` trees and route objects, TanStack Router
/// `createFileRoute('/path')`: `page` routes.
fn client_routes(root: Node<'_>, src: &[u8], file: &str, out: &mut Vec<Route>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.kind_str() {
            "jsx_element" | "jsx_self_closing_element" if jsx_name(node, src) == Some("Route") => {
                jsx_route(node, src, file, out);
            }
            "call_expression" => client_call(node, src, file, out),
            _ => {}
        }
        let children: Vec<Node<'_>> = node.named_kids().into_iter().collect();
        stack.extend(children.into_iter().rev());
    }
}

/// The name of a JSX element (`Route`, `Routes`), `None` for fragments and members.
fn jsx_name<'s>(element: Node<'_>, src: &'s [u8]) -> Option<&'s str> {
    let tag = match element.kind_str() {
        "jsx_element" => element.field("open_tag")?,
        "jsx_self_closing_element" => element,
        _ => return None,
    };
    let name = tag.field("name")?;
    (name.kind_str() == "identifier").then(|| text(name, src))
}

/// A JSX attribute's node: the string, the `{...}` expression, or the name itself for a
/// bare `index`.
fn jsx_attribute<'t>(element: Node<'t>, name: &str, src: &[u8]) -> Option<Node<'t>> {
    let tag = if element.kind_str() == "jsx_element" {
        element.field("open_tag")?
    } else {
        element
    };
    let found = tag.named_kids().into_iter().find(|a| {
        a.kind_str() == "jsx_attribute" && a.named_child(0).is_some_and(|n| text(n, src) == name)
    });
    found.map(|a| a.named_child(1).unwrap_or(a))
}

/// A string attribute's value (`path="users"`, `path={'users'}`).
fn jsx_string<'s>(value: Node<'_>, src: &'s [u8]) -> Option<&'s str> {
    match value.kind_str() {
        "string" => string_literal(value, src),
        "jsx_expression" => value.named_child(0).and_then(|e| string_literal(e, src)),
        _ => None,
    }
}

/// Joins React Router paths: a child's relative path under its parent's.
fn join_client(parent: &str, child: &str) -> String {
    if child.starts_with('/') {
        return child.to_string();
    }
    let base = parent.trim_end_matches('/');
    if child.is_empty() {
        return if base.is_empty() {
            "/".to_string()
        } else {
            base.to_string()
        };
    }
    format!("{base}/{child}")
}

/// One `<Route>`: its path (or `index`), composed with the `<Route path>`s around it; the
/// URL is known when the tree sits under a router element of this file.
fn jsx_route(element: Node<'_>, src: &[u8], file: &str, out: &mut Vec<Route>) {
    let own = match jsx_attribute(element, "path", src) {
        Some(value) => match jsx_string(value, src) {
            Some(p) => p.to_string(),
            None => return,
        },
        None if jsx_attribute(element, "index", src).is_some() => String::new(),
        None => return,
    };
    let mut paths = vec![own.clone()];
    let mut routed = false;
    let mut up = element.up();
    while let Some(node) = up {
        if node.kind_str() == "jsx_element" {
            match jsx_name(node, src) {
                Some("Route") => {
                    let Some(path) =
                        jsx_attribute(node, "path", src).and_then(|v| jsx_string(v, src))
                    else {
                        // A layout route without a path adds nothing.
                        up = node.up();
                        continue;
                    };
                    paths.push(path.to_string());
                }
                Some(name) if ROUTERS.contains(&name) => {
                    routed = true;
                    break;
                }
                _ => {}
            }
        }
        up = node.up();
    }
    let handler = ["element", "component", "Component"]
        .iter()
        .find_map(|a| jsx_attribute(element, a, src))
        .and_then(|v| client_handler(v, src));
    let mut route = item(file, element, vec!["GET".to_string()], own);
    route.kind = RouteKind::Page;
    route.framework = "react-router".to_string();
    route.handlers = handler.into_iter().collect();
    if routed {
        let url = paths
            .iter()
            .rev()
            .fold(String::new(), |acc, p| join_client(&acc, p));
        route.url = Some(if url.is_empty() { "/".to_string() } else { url });
    } else {
        route.url_unresolved = Some(
            "the `<Route>` tree is not under a router element of this file, so it may be nested under another route".to_string(),
        );
    }
    out.push(route);
}

/// The component a client route renders: `<Users />` or `Users` gives `Users`.
fn client_handler(value: Node<'_>, src: &[u8]) -> Option<String> {
    let inner = if value.kind_str() == "jsx_expression" {
        value.named_child(0)?
    } else {
        value
    };
    match inner.kind_str() {
        // An intrinsic element (`<p>…</p>`) is markup written in place.
        "jsx_self_closing_element" | "jsx_element" => match jsx_name(inner, src) {
            Some(name) if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                Some(local_handler(name))
            }
            _ => Some(INLINE.to_string()),
        },
        "identifier" => Some(local_handler(text(inner, src))),
        "arrow_function" | "function_expression" => Some(INLINE.to_string()),
        _ => None,
    }
}

/// `createFileRoute('/posts/$id')({...})` and `createBrowserRouter([...])`.
fn client_call(call: Node<'_>, src: &[u8], file: &str, out: &mut Vec<Route>) {
    let Some(function) = call.field("function") else {
        return;
    };
    // TanStack Router: the route id, its URL without pathless `_layout` segments, route
    // groups, a trailing `_` that un-nests a segment, or an index route's trailing `/`.
    if function.kind_str() == "call_expression" {
        let name = function.field("function").map_or("", |f| text(f, src));
        if !matches!(name, "createFileRoute" | "createLazyFileRoute") {
            return;
        }
        let Some(id) = function
            .field("arguments")
            .and_then(|a| named_args(a).first().copied())
            .and_then(|a| string_literal(a, src))
        else {
            return;
        };
        // A pathless layout (`/_layout`) wraps pages; it is none itself (its index route,
        // `/_layout/`, is one).
        if !id.ends_with('/')
            && id
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .is_some_and(|last| last.starts_with('_'))
        {
            return;
        }
        let segments: Vec<&str> = id
            .split('/')
            .filter(|s| {
                !(s.is_empty() || s.starts_with('_') || (s.starts_with('(') && s.ends_with(')')))
            })
            .map(|s| s.strip_suffix('_').unwrap_or(s))
            .collect();
        let url = format!("/{}", segments.join("/"));
        let options = call
            .field("arguments")
            .and_then(|a| named_args(a).first().copied())
            .filter(|o| o.kind_str() == "object");
        let component = options.and_then(|o| object_property(o, "component", src));
        let server = options
            .and_then(|o| object_property(o, "server", src))
            .filter(|s| s.kind_str() == "object")
            .and_then(|s| object_property(s, "handlers", src))
            .filter(|h| h.kind_str() == "object");
        if let Some(handlers) = server {
            server_handlers(handlers, id, &url, src, file, out);
        }
        // A server route without a component is an endpoint only.
        if server.is_some() && component.is_none() {
            return;
        }
        let handler = component.and_then(|v| client_handler(v, src));
        let mut route = item(file, call, vec!["GET".to_string()], id.to_string());
        route.kind = RouteKind::Page;
        route.framework = "tanstack-router".to_string();
        route.url = Some(url);
        route.handlers = handler.into_iter().collect();
        out.push(route);
        return;
    }
    if !ROUTER_CALLS.contains(&text(function, src)) {
        return;
    }
    if let Some(routes) = call
        .field("arguments")
        .and_then(|a| named_args(a).first().copied())
        .filter(|a| a.kind_str() == "array")
    {
        route_objects(routes, "", src, file, out, 0);
    }
}

/// TanStack Start's server route handlers, `server: { handlers: { GET: ..., POST: ... } }`:
/// an `api` item per HTTP method, at its key.
fn server_handlers(
    handlers: Node<'_>,
    id: &str,
    url: &str,
    src: &[u8],
    file: &str,
    out: &mut Vec<Route>,
) {
    for member in handlers.named_kids() {
        let (key, handler) = match member.kind_str() {
            "pair" => {
                let Some(key) = member.field("key") else {
                    continue;
                };
                let key = key_text(key, src);
                (
                    key,
                    member.field("value").and_then(|v| client_handler(v, src)),
                )
            }
            // `GET() { ... }`
            "method_definition" => (
                member.field("name").map_or("", |n| text(n, src)),
                Some(INLINE.to_string()),
            ),
            // `{ GET }`: a function of the file named like the method.
            "shorthand_property_identifier" => {
                let name = text(member, src);
                (name, Some(local_handler(name)))
            }
            _ => continue,
        };
        if !NEXT_METHODS.contains(&key) {
            continue;
        }
        let mut route = item(file, member, vec![key.to_string()], id.to_string());
        route.framework = "tanstack-start".to_string();
        route.url = Some(url.to_string());
        route.handlers = handler.into_iter().collect();
        out.push(route);
    }
}

/// React Router route objects: `{ path, element | Component, children: [...] }`.
fn route_objects(
    array: Node<'_>,
    parent: &str,
    src: &[u8],
    file: &str,
    out: &mut Vec<Route>,
    depth: u32,
) {
    if depth > 12 {
        return;
    }
    for object in array.named_kids() {
        if object.kind_str() != "object" {
            continue;
        }
        let own = match object_property(object, "path", src) {
            Some(v) => match string_literal(v, src) {
                Some(p) => Some(p.to_string()),
                None => continue,
            },
            None => object_property(object, "index", src).map(|_| String::new()),
        };
        let here = own
            .as_deref()
            .map_or(parent.to_string(), |p| join_client(parent, p));
        if let Some(own) = own {
            let handler = ["element", "Component", "component"]
                .iter()
                .find_map(|k| object_property(object, k, src))
                .and_then(|v| client_handler(v, src));
            let mut route = item(file, object, vec!["GET".to_string()], own);
            route.kind = RouteKind::Page;
            route.framework = "react-router".to_string();
            route.url = Some(if here.is_empty() {
                "/".to_string()
            } else {
                here.clone()
            });
            route.handlers = handler.into_iter().collect();
            out.push(route);
        }
        if let Some(children) =
            object_property(object, "children", src).filter(|c| c.kind_str() == "array")
        {
            route_objects(children, &here, src, file, out, depth + 1);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Python

/// Deepest start of a Python match: decorators and `Route(...)` lists sit at module or
/// class level, or in an app factory's body (`def create_app(): ... @app.route(...)`),
/// `Starlette(routes=[Route(...)])` inside one reaching depth 9.
const PYTHON_MAX_DEPTH: u32 = 10;

fn extract_python(scan: &mut Scan<'_, '_>, out: &mut Vec<Route>) {
    let src = scan.text;
    let file = scan.path;
    let framework = python_framework(scan.imports());
    let mut found: Vec<(&str, Node<'_>)> = Vec::new();
    scan.matches(scan.root, Some(PYTHON_MAX_DEPTH), |m| {
        if let Some(found_kind) = m.kind_besides(&[]) {
            found.push(found_kind);
        }
    });
    let urlconf = file.ends_with("urls.py") || found.iter().any(|(k, _)| *k == "urlpatterns");
    if memchr::memmem::find(src, b".register(").is_some() {
        drf_routes(scan.root, src, file, out);
    }
    let routers = found
        .iter()
        .any(|(k, _)| matches!(*k, "decorator" | "registered"))
        .then(|| scan.routers(mounts::MAX_DEPTH));
    for (kind, node) in found {
        let first = out.len();
        match (kind, &routers) {
            ("decorator", Some(routers)) => {
                decorator_route(node, src, file, framework, routers, out);
            }
            ("registered", Some(routers)) => {
                registered_route(node, src, file, framework, routers, out);
            }
            ("decorator" | "registered", None) => {}
            ("route", _) => starlette_route(node, src, file, out),
            ("urlpatterns", _) => {
                django_patterns(node, src, file, out, 0, &Ok(String::new()), "urlpatterns");
            }
            ("assigned", _) if urlconf => {
                let list = node
                    .up()
                    .and_then(|a| a.field("left"))
                    .map_or("", |l| text(l, src));
                django_patterns(node, src, file, out, 0, &Ok(String::new()), list);
            }
            _ => {}
        }
        if out.len() == first {
            continue;
        }
        if let ("decorator" | "registered", Some(routers)) = (kind, &routers) {
            let call = if kind == "decorator" {
                node.named_child(0)
            } else {
                Some(node)
            };
            let receiver = call
                .and_then(|c| c.field("function"))
                .and_then(|f| f.field("object"))
                .and_then(|o| chain_receiver(o, src));
            for route in &mut out[first..] {
                compose(route, routers, node, receiver, src, true);
            }
        }
    }
}

/// Django REST framework: `router.register(r"users", UserViewSet)` on a module-level
/// `DefaultRouter()` / `SimpleRouter()` gives the router's two standard routes, the list
/// (`users/`) and the detail (`users/<pk>/`, the viewset's `lookup_field` is not read),
/// served where the router's `urls` are included. Methods are `ANY`: which a viewset
/// serves depends on its mixins.
fn drf_routes(root: Node<'_>, src: &[u8], file: &str, out: &mut Vec<Route>) {
    let mut routers: HashMap<&str, bool> = HashMap::default();
    let statements: Vec<Node<'_>> = root.named_kids().into_iter().collect();
    for statement in &statements {
        let Some(assignment) = statement
            .named_child(0)
            .filter(|a| a.kind_str() == "assignment")
        else {
            continue;
        };
        let (Some(left), Some(right)) = (assignment.field("left"), assignment.field("right"))
        else {
            continue;
        };
        let Some(function) = right
            .field("function")
            .filter(|_| right.kind_str() == "call")
        else {
            continue;
        };
        if matches!(
            last_name(text(function, src)),
            "DefaultRouter" | "SimpleRouter"
        ) {
            // `trailing_slash=False` drops the final `/`.
            let slash = right
                .field("arguments")
                .and_then(|a| kwarg(a, "trailing_slash", src))
                .is_none_or(|v| text(v, src) != "False");
            routers.insert(text(left, src), slash);
        }
    }
    if routers.is_empty() {
        return;
    }
    for statement in &statements {
        let Some(call) = statement.named_child(0).filter(|c| c.kind_str() == "call") else {
            continue;
        };
        let (Some(function), Some(arguments)) = (call.field("function"), call.field("arguments"))
        else {
            continue;
        };
        let (Some(object), Some(method)) = (function.field("object"), function.field("attribute"))
        else {
            continue;
        };
        let Some(&slash) = routers.get(text(object, src)) else {
            continue;
        };
        if text(method, src) != "register" {
            continue;
        }
        let positional = py_args(arguments);
        let (Some(prefix), Some(viewset)) = (
            positional
                .first()
                .or(kwarg(arguments, "prefix", src).as_ref())
                .copied(),
            positional
                .get(1)
                .or(kwarg(arguments, "viewset", src).as_ref())
                .copied(),
        ) else {
            continue;
        };
        let Some(prefix) = string_literal(prefix, src) else {
            continue;
        };
        let end = if slash { "/" } else { "" };
        let regex = prefix.contains(['^', '$', '(', '[', '\\', '?', '*', '+']);
        for path in [format!("{prefix}{end}"), format!("{prefix}/<pk>{end}")] {
            let mut route = item(file, call, vec!["ANY".to_string()], path);
            route.handlers = vec![py_handler(viewset, src)];
            route.framework = "django-rest-framework".to_string();
            if regex {
                route.url_unresolved =
                    Some(format!("the prefix `{prefix}` is a regular expression"));
            } else {
                route.router = Some(Via {
                    router: Some(format!("{file}#{}", text(object, src))),
                    name: text(object, src).to_string(),
                    module: None,
                    imported: None,
                    prefix: Vec::new(),
                });
            }
            out.push(route);
        }
    }
}

/// `fastapi`, `flask` or `starlette`, from the first module-level import of one.
fn python_framework(imports: &Imports) -> Option<&'static str> {
    // Module-level imports only, not those guarded by `if` / `try`.
    for statement in imports.statements.iter().filter(|s| !s.guarded) {
        if !matches!(statement.kind, ImportKind::PyImport | ImportKind::PyFrom) {
            continue;
        }
        let top = statement.module.split(['.', ' ']).next().unwrap_or("");
        if let Some(fw) = ["fastapi", "flask", "starlette"]
            .into_iter()
            .find(|f| *f == top)
        {
            return Some(fw);
        }
    }
    None
}

fn decorator_route(
    decorator: Node<'_>,
    src: &[u8],
    file: &str,
    framework: Option<&'static str>,
    routers: &Routers,
    out: &mut Vec<Route>,
) {
    let Some(call) = decorator.named_child(0).filter(|c| c.kind_str() == "call") else {
        return;
    };
    let Some((method, arguments)) = member_call(call, src) else {
        return;
    };
    let Some(path) = py_args(arguments)
        .first()
        .and_then(|a| route_path(*a, routers, src))
    else {
        return;
    };
    let definition = decorator
        .up()
        .filter(|p| p.kind_str() == "decorated_definition")
        .and_then(|p| p.field("definition"))
        .filter(|d| d.kind_str() == "function_definition");
    let Some((handler, line)) =
        definition.and_then(|d| Some((py_qualified(d, src)?, position(d).0)))
    else {
        return;
    };
    let methods = match method {
        "route" | "api_route" => {
            methods_kwarg(arguments, src).unwrap_or_else(|| vec!["GET".into()])
        }
        "websocket" => vec!["WEBSOCKET".to_string()],
        other => vec![other.to_ascii_uppercase()],
    };
    let framework = framework.unwrap_or(if method == "route" {
        "flask"
    } else {
        "fastapi"
    });
    let mut route = item(file, decorator, methods, path);
    route.handlers = vec![local_handler_at(&handler, line)];
    route.framework = framework.to_string();
    if framework == "fastapi"
        && let Some(definition) = definition
    {
        route.schema_refs = fastapi_schemas(arguments, definition, src);
    }
    let html = kwarg(arguments, "response_class", src)
        .is_some_and(|c| last_name(text(c, src)) == "HTMLResponse");
    if html || definition.is_some_and(|d| renders_template(d, src)) {
        route.kind = RouteKind::Page;
    }
    out.push(route);
}

/// A route registered by a call on an app or router: FastAPI `add_api_route(path,
/// endpoint, methods=[...])` and `add_api_websocket_route(path, endpoint)`, Starlette
/// `add_route(path, route, methods=[...])` and `add_websocket_route(path, route)`, Flask
/// `add_url_rule(rule, endpoint, view_func, methods=[...])` (not `build_only=True`, which
/// serves nothing). The path as decorators take it (a literal, or a string constant of the
/// file), positional or by keyword (`rule=`, `path=`). Without `methods`, each framework's
/// default: FastAPI `GET`; Flask `GET`, but a view class's own methods for a view made by
/// `View.as_view("x")` (in place or bound to a name in the scope): `ANY`; Starlette `GET` for
/// a function (through `functools.partial`) and every method for anything else (an
/// endpoint class, an ASGI app): `ANY`,
/// where a name is a class when the file defines it so, or, defined elsewhere, when it is
/// written in capitals. `add_route` and `add_websocket_route` count only in a file that
/// imports Starlette or FastAPI (Falcon, Sanic and aiohttp have methods of those names).
fn registered_route(
    call: Node<'_>,
    src: &[u8],
    file: &str,
    framework: Option<&'static str>,
    routers: &Routers,
    out: &mut Vec<Route>,
) {
    let Some((method, arguments)) = member_call(call, src) else {
        return;
    };
    let (framework, handler_at, handler_key, websocket) = match (method, framework) {
        // Each framework's own method names, whatever the file imports first.
        ("add_api_route", _) => ("fastapi", 1, "endpoint", false),
        ("add_api_websocket_route", _) => ("fastapi", 1, "endpoint", true),
        ("add_url_rule", _) => ("flask", 2, "view_func", false),
        ("add_route", Some(fw @ ("starlette" | "fastapi"))) => (fw, 1, "route", false),
        ("add_websocket_route", Some(fw @ ("starlette" | "fastapi"))) => (fw, 1, "route", true),
        _ => return,
    };
    let flask = framework == "flask";
    if flask && kwarg(arguments, "build_only", src).is_some_and(|v| text(v, src) == "True") {
        return;
    }
    let positional = py_args(arguments);
    let path_key = if flask { "rule" } else { "path" };
    let Some(path) = positional
        .first()
        .copied()
        .or_else(|| kwarg(arguments, path_key, src))
        .and_then(|a| route_path(a, routers, src))
    else {
        return;
    };
    // Starlette's endpoint may also be passed as `endpoint=`.
    let handler = positional
        .get(handler_at)
        .copied()
        .or_else(|| kwarg(arguments, handler_key, src))
        .or_else(|| {
            (!flask)
                .then(|| kwarg(arguments, "endpoint", src))
                .flatten()
        });
    let methods = if websocket {
        vec!["WEBSOCKET".to_string()]
    } else {
        methods_kwarg(arguments, src).unwrap_or_else(|| {
            let every = match (framework, handler) {
                ("fastapi", _) if method == "add_api_route" => false,
                (_, None) => false,
                ("flask", Some(view)) => {
                    let view = match view.kind_str() {
                        "identifier" => scope_value(call, text(view, src), src).unwrap_or(view),
                        _ => view,
                    };
                    view.kind_str() == "call"
                        && view
                            .field("function")
                            .is_some_and(|f| last_name(text(f, src)) == "as_view")
                }
                (_, Some(endpoint)) => {
                    // Starlette looks through `functools.partial` to what it wraps.
                    let mut endpoint = endpoint;
                    while let Some(wrapped) = (endpoint.kind_str() == "call")
                        .then(|| endpoint.field("function"))
                        .flatten()
                        .filter(|f| last_name(text(*f, src)) == "partial")
                        .and_then(|_| endpoint.field("arguments"))
                        .and_then(|a| py_args(a).first().copied())
                    {
                        endpoint = wrapped;
                    }
                    match endpoint.kind_str() {
                        "lambda" => false,
                        "identifier" => match scope_value(call, text(endpoint, src), src) {
                            Some(defined) if defined.kind_str() == "class_definition" => true,
                            Some(defined) if defined.kind_str() == "function_definition" => false,
                            _ => capitalised(text(endpoint, src)),
                        },
                        "attribute" => capitalised(last_name(text(endpoint, src))),
                        _ => true,
                    }
                }
            };
            vec![if every { "ANY" } else { "GET" }.to_string()]
        })
    };
    let mut route = item(file, call, methods, path);
    route.handlers = handler.map(|h| py_handler(h, src)).into_iter().collect();
    route.framework = framework.to_string();
    out.push(route);
}

/// The method name and arguments of a call on a member (`app.get(...)`).
fn member_call<'t, 's>(call: Node<'t>, src: &'s [u8]) -> Option<(&'s str, Node<'t>)> {
    let method = call.field("function")?.field("attribute")?;
    Some((text(method, src), call.field("arguments")?))
}

/// A route's path argument: a literal, or a string constant of the file
/// (`@app.route(api_url)`) by its value; a path starts with `/` or is empty (a FastAPI
/// router prefix's root).
fn route_path(argument: Node<'_>, routers: &Routers, src: &[u8]) -> Option<String> {
    match argument.kind_str() {
        "identifier" => routers.constant_value(argument, src),
        _ => string_literal(argument, src).map(str::to_string),
    }
    .filter(|p| p.is_empty() || p.starts_with('/'))
}

/// Classes are written in capitals; a function is not.
fn capitalised(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

/// What `name` is where `at` reads it, as a statement of the enclosing function bodies or
/// the module makes it (the innermost that binds it): the value of an assignment to it, or
/// a function or class of that name (decorated or not). In each scope the last such
/// statement before `at` wins; none when no scope binds it.
fn scope_value<'t>(at: Node<'t>, name: &str, src: &[u8]) -> Option<Node<'t>> {
    super::syntax::ancestors(at)
        .iter()
        .filter_map(|a| match a.kind_str() {
            "function_definition" => a.field("body"),
            "module" => Some(*a),
            _ => None,
        })
        .find_map(|body| bound_in(body, at, name, src))
}

/// [`scope_value`] in one scope's statements.
fn bound_in<'t>(body: Node<'t>, at: Node<'_>, name: &str, src: &[u8]) -> Option<Node<'t>> {
    let mut found = None;
    for statement in body.named_kids() {
        if statement.start_byte() >= at.start_byte() {
            break;
        }
        let statement = match statement.kind_str() {
            "decorated_definition" => statement.field("definition").unwrap_or(statement),
            _ => statement,
        };
        match statement.kind_str() {
            "function_definition" | "class_definition"
                if statement
                    .field("name")
                    .is_some_and(|n| text(n, src) == name) =>
            {
                found = Some(statement);
            }
            "expression_statement" => {
                if let Some(assignment) = statement
                    .named_child(0)
                    .filter(|a| a.kind_str() == "assignment")
                    && assignment
                        .field("left")
                        .is_some_and(|l| text(l, src) == name)
                {
                    found = assignment.field("right");
                }
            }
            _ => {}
        }
    }
    found
}

/// Parameter types FastAPI fills from the request itself, never a body.
const NOT_BODIES: &[&str] = &[
    "Request",
    "Response",
    "WebSocket",
    "BackgroundTasks",
    "UploadFile",
    "HTTPConnection",
    "SecurityScopes",
    "Any",
    "UUID",
];

/// FastAPI's request body and response model, as names: `response_model=X` (else the
/// return annotation `-> X`), and the parameters annotated with a bare name (or
/// `Annotated[X, Body()]`) whose default is no `Query()` / `Path()` / `Depends()` / … —
/// the link stage keeps those that reach a pydantic model or dataclass. Generic types
/// (`list[X]`) name no one schema and are left out.
fn fastapi_schemas(arguments: Node<'_>, definition: Node<'_>, src: &[u8]) -> Vec<SchemaRef> {
    let mut out = Vec::new();
    let response = kwarg(arguments, "response_model", src).or_else(|| {
        definition
            .field("return_type")
            .filter(|_| kwarg(arguments, "response_model", src).is_none())
    });
    if let Some(response) = response
        .map(|r| text(r, src))
        .filter(|r| is_dotted(r) && *r != "None")
    {
        out.push(schema_ref("response", response));
    }
    let Some(parameters) = definition.field("parameters") else {
        return out;
    };
    for parameter in parameters.named_kids() {
        if !matches!(
            parameter.kind_str(),
            "typed_parameter" | "typed_default_parameter"
        ) {
            continue;
        }
        let Some(annotation) = parameter.field("type") else {
            continue;
        };
        let annotation = annotation.named_child(0).unwrap_or(annotation);
        let default = parameter.field("value");
        let marker = |call: Node<'_>| -> Option<String> {
            (call.kind_str() == "call")
                .then(|| call.field("function"))
                .flatten()
                .map(|f| last_name(text(f, src)).to_string())
        };
        if default.and_then(marker).is_some_and(|m| m != "Body") {
            continue;
        }
        let name =
            if annotation.kind_str() == "generic_type" || annotation.kind_str() == "subscript" {
                // `Annotated[X, Body()]`
                let written = text(annotation, src);
                let Some(inner) = written
                    .strip_prefix("Annotated[")
                    .or_else(|| written.strip_prefix("typing.Annotated["))
                else {
                    continue;
                };
                let mut parts = inner.splitn(2, ',');
                let (Some(first), Some(rest)) = (parts.next(), parts.next()) else {
                    continue;
                };
                if !rest.trim_start().starts_with("Body(") {
                    continue;
                }
                first.trim().to_string()
            } else {
                text(annotation, src).to_string()
            };
        // A model is a class: CapWords (`int`, `str`, `list` are no body).
        let last = name.rsplit('.').next().unwrap_or(&name);
        if is_dotted(&name)
            && last.starts_with(|c: char| c.is_ascii_uppercase())
            && !NOT_BODIES.contains(&last)
        {
            out.push(schema_ref("request", &name));
        }
    }
    out
}

fn last_name(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

/// Whether a view function renders an HTML template: it calls Flask's `render_template` /
/// `render_template_string`, Django's `render(request, template, ...)` (the bare shortcut)
/// or a Starlette / FastAPI `TemplateResponse` with a template named `*.html`, `*.htm`,
/// `*.jinja`, `*.jinja2` or `*.j2` (`app.js.template` renders no page), outside nested
/// functions (their calls are theirs, not the view's).
fn renders_template(definition: Node<'_>, src: &[u8]) -> bool {
    let Some(body) = definition.field("body") else {
        return false;
    };
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        if node.kind_str() == "call"
            && let Some(function) = node.field("function")
            && (text(function, src) == "render"
                || matches!(
                    last_name(text(function, src)),
                    "render_template" | "TemplateResponse"
                ))
            && node.field("arguments").is_some_and(|a| {
                py_args(a).iter().any(|arg| {
                    string_literal(*arg, src).is_some_and(|name| {
                        [".html", ".htm", ".jinja", ".jinja2", ".j2"]
                            .iter()
                            .any(|ext| name.ends_with(ext))
                    })
                })
            })
        {
            return true;
        }
        if matches!(
            node.kind_str(),
            "function_definition" | "lambda" | "class_definition"
        ) {
            continue;
        }
        stack.extend(node.named_kids());
    }
    false
}

/// The qualified name of a function definition: its name after those of the enclosing
/// functions and classes (`create_app.index`), as the call graph names it.
fn py_qualified(definition: Node<'_>, src: &[u8]) -> Option<String> {
    let mut parts = vec![text(definition.field("name")?, src)];
    let mut up = definition.up();
    while let Some(node) = up {
        if matches!(node.kind_str(), "function_definition" | "class_definition") {
            parts.push(text(node.field("name")?, src));
        }
        up = node.up();
    }
    parts.reverse();
    Some(parts.join("."))
}

/// Positional arguments of a call (keyword arguments and comments left out).
pub(super) fn py_args(arguments: Node<'_>) -> Vec<Node<'_>> {
    arguments
        .named_kids()
        .into_iter()
        .filter(|n| {
            !matches!(
                n.kind_str(),
                "keyword_argument" | "comment" | "list_splat" | "dictionary_splat"
            )
        })
        .collect()
}

pub(super) fn kwarg<'t>(arguments: Node<'t>, name: &str, src: &[u8]) -> Option<Node<'t>> {
    let found = arguments.named_kids().into_iter().find(|n| {
        n.kind_str() == "keyword_argument" && n.field("name").is_some_and(|k| text(k, src) == name)
    });
    found.and_then(|k| k.field("value"))
}

/// `methods=[...]`: `None` when absent, `["ANY"]` when not a literal list of strings.
fn methods_kwarg(arguments: Node<'_>, src: &[u8]) -> Option<Vec<String>> {
    let value = kwarg(arguments, "methods", src)?;
    if !matches!(value.kind_str(), "list" | "tuple" | "set") {
        return Some(vec!["ANY".to_string()]);
    }
    let mut methods = Vec::new();
    for element in value.named_kids() {
        if element.kind_str() == "comment" {
            continue;
        }
        match string_literal(element, src) {
            Some(m) => methods.push(m.to_ascii_uppercase()),
            None => return Some(vec!["ANY".to_string()]),
        }
    }
    Some(methods)
}

/// Starlette `Route("/x", endpoint, methods=[...])` / `WebSocketRoute("/ws", endpoint)`.
fn starlette_route(call: Node<'_>, src: &[u8], file: &str, out: &mut Vec<Route>) {
    let (Some(function), Some(arguments)) = (call.field("function"), call.field("arguments"))
    else {
        return;
    };
    let websocket = text(function, src).ends_with("WebSocketRoute");
    let positional = py_args(arguments);
    let Some(path) = positional
        .first()
        .and_then(|a| string_literal(*a, src))
        .filter(|p| p.starts_with('/'))
    else {
        return;
    };
    let handler = positional
        .get(1)
        .copied()
        .or_else(|| kwarg(arguments, "endpoint", src))
        .map(|h| py_handler(h, src));
    let methods = if websocket {
        vec!["WEBSOCKET".to_string()]
    } else {
        methods_kwarg(arguments, src).unwrap_or_else(|| vec!["GET".to_string()])
    };
    let mut route = item(file, call, methods, path.to_string());
    route.handlers = handler.into_iter().collect();
    route.framework = "starlette".to_string();
    match starlette_prefix(call, src) {
        Ok(prefix) => route.url = Some(format!("{prefix}{path}")),
        Err(reason) => route.url_unresolved = Some(reason),
    }
    out.push(route);
}

/// The prefix of a Starlette route: the paths of the `Mount("/p", routes=[...])` around
/// it, up to the route list of an app (`Starlette(routes=[...])`, `FastAPI(routes=...)`),
/// directly or through a list bound to a name the file passes to one.
fn starlette_prefix(route: Node<'_>, src: &[u8]) -> Result<String, String> {
    let mut prefixes: Vec<String> = Vec::new();
    let mut node = route;
    let joined = |prefixes: &[String]| prefixes.iter().rev().cloned().collect::<String>();
    while let Some(parent) = node.up() {
        match parent.kind_str() {
            "list"
            | "tuple"
            | "argument_list"
            | "keyword_argument"
            | "parenthesized_expression" => {}
            "call" => {
                let callee = parent.field("function").map_or("", |f| text(f, src));
                let callee = callee.rsplit('.').next().unwrap_or(callee);
                match callee {
                    "Mount" => {
                        let path = parent
                            .field("arguments")
                            .and_then(|a| py_args(a).first().copied())
                            .and_then(|p| string_literal(p, src))
                            .ok_or("a `Mount` path is not a literal")?;
                        prefixes.push(path.to_string());
                    }
                    "Starlette" | "FastAPI" => return Ok(joined(&prefixes)),
                    other => {
                        return Err(format!(
                            "the route list is an argument of `{other}(...)`, not of an app"
                        ));
                    }
                }
            }
            "assignment" => {
                let name = parent
                    .field("left")
                    .filter(|l| l.kind_str() == "identifier")
                    .map(|l| text(l, src))
                    .ok_or("the route list is not bound to a name")?;
                return if passed_to_app(route, name, src) {
                    Ok(joined(&prefixes))
                } else {
                    Err(format!(
                        "the route list `{name}` is not passed to an app (`Starlette(routes={name})`) in this file"
                    ))
                };
            }
            _ => return Err("the route is not in an app's route list".to_string()),
        }
        node = parent;
    }
    Err("the route is not in an app's route list".to_string())
}

/// Whether the file passes the list `name` as `routes=` to one `Starlette(...)` /
/// `FastAPI(...)` call at module level, and binds `name` once there.
fn passed_to_app(any: Node<'_>, name: &str, src: &[u8]) -> bool {
    let mut root = any;
    while let Some(p) = root.up() {
        root = p;
    }
    let (mut apps, mut bindings) = (0, 0);
    for statement in root.named_kids() {
        let Some(assignment) = statement.named_child(0).filter(|a| {
            statement.kind_str() == "expression_statement" && a.kind_str() == "assignment"
        }) else {
            continue;
        };
        if assignment
            .field("left")
            .is_some_and(|l| text(l, src) == name)
        {
            bindings += 1;
        }
        let Some(call) = assignment.field("right").filter(|r| r.kind_str() == "call") else {
            continue;
        };
        let callee = call.field("function").map_or("", |f| text(f, src));
        let callee = callee.rsplit('.').next().unwrap_or(callee);
        if matches!(callee, "Starlette" | "FastAPI")
            && call
                .field("arguments")
                .and_then(|a| kwarg(a, "routes", src))
                .is_some_and(|v| v.kind_str() == "identifier" && text(v, src) == name)
        {
            apps += 1;
        }
    }
    apps == 1 && bindings == 1
}

/// A Python handler as a route item names it: a name of the file (resolved later), `<inline>`
/// for a lambda, else the expression as written on one line, without its comments
/// (`change_password(  # type: ignore` would otherwise keep the rest of the line).
fn py_handler(node: Node<'_>, src: &[u8]) -> String {
    match node.kind_str() {
        "lambda" => INLINE.to_string(),
        "identifier" => local_handler(text(node, src)),
        _ => {
            let written = text(node, src);
            if !written.contains('#') {
                return one_line(written, 200);
            }
            let mut comments = Vec::new();
            super::react::for_each_descendant(node, |n| {
                if n.kind_str() == "comment" {
                    comments.push(n.byte_range());
                }
                true
            });
            let mut kept = String::with_capacity(written.len());
            let mut from = node.start_byte();
            for comment in comments {
                kept.push_str(std::str::from_utf8(&src[from..comment.start]).unwrap_or(""));
                from = comment.end;
            }
            kept.push_str(std::str::from_utf8(&src[from..node.end_byte()]).unwrap_or(""));
            one_line(&kept, 200)
        }
    }
}

/// Django `path()` / `re_path()` / `url()` calls anywhere in the value of the pattern
/// list `list` (`urlpatterns`, or another module-level list of a url configuration),
/// `include([...])` lists included under their paths (`prefix`). An `include()` of
/// another configuration is a mount (the `mounts` extractor's), not a route.
fn django_patterns(
    node: Node<'_>,
    src: &[u8],
    file: &str,
    out: &mut Vec<Route>,
    depth: u32,
    prefix: &Result<String, String>,
    list: &str,
) {
    // Url configurations nest a handful of levels; a deeper value is data, not routing.
    if depth > 12 {
        return;
    }
    if node.kind_str() == "call"
        && let Some((route, view)) = mounts::django_pattern(node, src)
    {
        match mounts::include_target(view, src) {
            Some(target) if target.kind_str() == "list" => {
                let inner = prefix
                    .clone()
                    .and_then(|p| mounts::django_route(node, route, src).map(|r| p + &r));
                django_patterns(target, src, file, out, depth + 1, &inner, list);
            }
            Some(_) => {}
            None => django_call(node, route, view, src, file, prefix, list, out),
        }
        return;
    }
    if matches!(node.kind_str(), "lambda" | "function_definition" | "string") {
        return;
    }
    for child in node.named_kids() {
        django_patterns(child, src, file, out, depth + 1, prefix, list);
    }
}

#[allow(clippy::too_many_arguments)]
fn django_call(
    call: Node<'_>,
    route: Node<'_>,
    view: Node<'_>,
    src: &[u8],
    file: &str,
    prefix: &Result<String, String>,
    list: &str,
    out: &mut Vec<Route>,
) {
    let Some(path) = string_literal(route, src) else {
        return;
    };
    let mut item = item(file, call, vec!["ANY".to_string()], path.to_string());
    item.handlers = vec![py_handler(view, src)];
    item.framework = "django".to_string();
    let joined = prefix
        .clone()
        .and_then(|p| mounts::django_route(call, route, src).map(|_| p));
    match joined {
        Err(reason) => item.url_unresolved = Some(reason),
        Ok(_) if list != "urlpatterns" => {
            item.url_unresolved = Some(format!(
                "in the pattern list `{list}`, served only where something includes it; not composed yet"
            ));
        }
        Ok(prefix) => {
            item.router = Some(Via {
                router: Some(format!("{file}#urlpatterns")),
                name: "urlpatterns".to_string(),
                module: None,
                imported: None,
                prefix: if prefix.is_empty() {
                    Vec::new()
                } else {
                    vec![mounts::Segment::text(prefix)]
                },
            });
        }
    }
    out.push(item);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(path: &str) -> Option<String> {
        match next_route(path)? {
            NextRoute::AppRoute(p) => Some(format!("app {p}")),
            NextRoute::AppPage(p) => Some(format!("app page {p}")),
            NextRoute::PagesApi(p) => Some(format!("pages {p}")),
            NextRoute::Page(p) => Some(format!("pages page {p}")),
            NextRoute::Metadata(p) => Some(format!("meta {p}")),
        }
    }

    #[test]
    fn next_paths() {
        assert_eq!(url("app/route.ts").as_deref(), Some("app /"));
        assert_eq!(
            url("src/app/(shop)/users/[id]/route.ts").as_deref(),
            Some("app /users/[id]")
        );
        assert_eq!(
            url("packages/app/src/app/api/route.js").as_deref(),
            Some("app /api")
        );
        assert_eq!(url("pages/api/a/index.ts").as_deref(), Some("pages /api/a"));
        assert_eq!(
            url("web/pages/api/users/[id].ts").as_deref(),
            Some("pages /api/users/[id]")
        );
        assert_eq!(url("pages/api/_utils.ts"), None);
        assert_eq!(url("pages/about.tsx").as_deref(), Some("pages page /about"));
        assert_eq!(url("src/route.ts"), None);
        assert_eq!(
            url("app/users/page.tsx").as_deref(),
            Some("app page /users")
        );
        assert_eq!(
            url("pages/api/auth/[...nextauth].ts").as_deref(),
            Some("pages /api/auth/[...nextauth]")
        );
        assert_eq!(
            url("app/shop/[[...slug]]/page.tsx").as_deref(),
            Some("app page /shop/[[...slug]]")
        );
        assert_eq!(
            url("app/feed/@modal/(..)photo/[id]/page.tsx").as_deref(),
            Some("app page /photo/[id]")
        );
        assert_eq!(
            url("app/feed/(.)photo/[id]/page.tsx").as_deref(),
            Some("app page /feed/photo/[id]")
        );
        assert_eq!(
            url("app/a/b/(...)login/page.tsx").as_deref(),
            Some("app page /login")
        );
        assert_eq!(url("app/_lib/page.tsx"), None);
        assert_eq!(url("app/robots.ts").as_deref(), Some("meta /robots.txt"));
        assert_eq!(
            url("app/(shop)/product/[handle]/opengraph-image.tsx").as_deref(),
            Some("meta /product/[handle]/opengraph-image")
        );
        assert_eq!(url("src/robots.ts"), None);
        assert_eq!(url("pages/users.test.tsx"), None);
        assert_eq!(url("pages/index.tsx").as_deref(), Some("pages page /"));
    }
}
