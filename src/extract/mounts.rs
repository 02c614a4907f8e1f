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
//!
//! A module-level function that returns an app or router it makes is a factory: it stands
//! for what it returns, served wherever a call of it is mounted (`app.route('/api',
//! createApi())`), in this file or, through the link stage, in another.

use super::gates::Words;
use super::preorder::Preorder;
use super::routes::{kwarg, py_args};
use super::scan::Scan;
use super::syntax::NodeExt;
use super::syntax::{
    awaited, key_text, named_args, object_property, one_line, position, string_literal, text,
};
use crate::lang::Lang;
use foldhash::HashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tree_sitter::Node;

/// A piece of a URL prefix: text, or a value of another file that the link stage reads
/// (`prefix=settings.API_V1_STR` after `from app.core.config import settings`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Segment {
    /// The text; for a value of another file, the expression as written.
    pub text: String,
    /// For a value of another file: the module as written in the import.
    pub module: Option<String>,
    /// For a value of another file: the name imported from the module (`*` for the module
    /// itself, `default`).
    pub imported: Option<String>,
}

impl Segment {
    pub fn text(text: impl Into<String>) -> Segment {
        Segment {
            text: text.into(),
            module: None,
            imported: None,
        }
    }

    fn is_text(&self) -> bool {
        self.module.is_none()
    }
}

#[derive(Serialize, Deserialize)]
struct FullSegment {
    #[serde(rename = "name")]
    text: String,
    module: Option<String>,
    imported: Option<String>,
}

impl Serialize for Segment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // JSON shows text as a string; the worker pipe (bincode) needs every field.
        if serializer.is_human_readable() && self.is_text() {
            return serializer.serialize_str(&self.text);
        }
        FullSegment {
            text: self.text.clone(),
            module: self.module.clone(),
            imported: self.imported.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Segment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Segment, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Json {
            Text(String),
            Full(FullSegment),
        }
        let full = if deserializer.is_human_readable() {
            match Json::deserialize(deserializer)? {
                Json::Text(text) => return Ok(Segment::text(text)),
                Json::Full(full) => full,
            }
        } else {
            FullSegment::deserialize(deserializer)?
        };
        Ok(Segment {
            text: full.text,
            module: full.module,
            imported: full.imported,
        })
    }
}

/// Where a URL continues in another file: the router (or app) it continues from, and what
/// this file adds below that router's own place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct Via {
    /// The router's id: `path#name` for one of this file's module-level routers; for an
    /// imported one, the id the link stage found (`None` when it found none).
    pub router: Option<String>,
    /// The router as written (`router`, `items.router`).
    pub name: String,
    /// For an imported router: the module as written and the name imported from it.
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub imported: Option<String>,
    /// What this file adds below the router, outermost first, each joined as the framework
    /// joins prefixes.
    #[serde(default)]
    pub prefix: Vec<Segment>,
}

impl Serialize for Via {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // The worker pipe (bincode) needs every field; JSON leaves out the empty ones.
        let sparse = serializer.is_human_readable();
        let mut out = serializer.serialize_struct("Via", 5)?;
        out.serialize_field("router", &self.router)?;
        out.serialize_field("name", &self.name)?;
        for (name, value) in [("module", &self.module), ("imported", &self.imported)] {
            if !sparse || value.is_some() {
                out.serialize_field(name, value)?;
            }
        }
        if !sparse || !self.prefix.is_empty() {
            out.serialize_field("prefix", &self.prefix)?;
        }
        out.end()
    }
}

/// What the mounts extractor reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    /// An application object created at module level, or a factory of one: served at `/`
    /// unless mounted.
    App,
    /// A router created at module level, or a factory of one, with its own prefix.
    Router,
    /// A mount of a router of this file or an imported one.
    Mount,
    /// A module-level string constant that reads as a URL path (`/...`), or such a class
    /// attribute default reached through a module-level instance (`settings.API_V1_STR`).
    Constant,
}

/// One item of the `mounts` extractor.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct Mount {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub kind: MountKind,
    /// App, router, constant: the module-level name (`settings.API_V1_STR`); mount: the
    /// child as written.
    pub name: String,
    /// App, router, constant: `path#name`; mount: the child's id when it is a module-level
    /// router of this file.
    #[serde(default)]
    pub id: Option<String>,
    /// Mount: the module the child is imported from, and the name imported.
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub imported: Option<String>,
    /// Router: its own prefix; mount: the prefix the mount adds (empty: the framework's
    /// default); constant: its value.
    #[serde(default)]
    pub prefix: Vec<Segment>,
    /// Why a prefix (or the parent's place) could not be read.
    #[serde(default)]
    pub prefix_unresolved: Option<String>,
    /// Mount: the router (or app) the parent is served below, when that is not an app of
    /// this file served at `/`; `prefix` is then what the file adds below it.
    #[serde(default)]
    pub parent: Option<Via>,
    /// Mount: Flask's `register_blueprint(bp, url_prefix=...)` replaces the blueprint's own
    /// prefix instead of adding to it.
    #[serde(default)]
    pub replaces: bool,
    /// App: made by a JavaScript factory, served at `/` only where something serves its
    /// result as it is (a mount of it at `/` with no parent); mounted nowhere, it has no
    /// place discover can tell.
    #[serde(default)]
    pub factory: bool,
    /// Mount: no mount but something serving the child, a factory's app, as it is (at `/`).
    #[serde(default)]
    pub served: bool,
}

impl Serialize for Mount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // The worker pipe (bincode) needs every field; JSON leaves out the empty ones.
        let sparse = serializer.is_human_readable();
        let mut out = serializer.serialize_struct("Mount", 14)?;
        out.serialize_field("file", &self.file)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("column", &self.column)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("name", &self.name)?;
        for (name, value) in [
            ("id", &self.id),
            ("module", &self.module),
            ("imported", &self.imported),
        ] {
            if !sparse || value.is_some() {
                out.serialize_field(name, value)?;
            }
        }
        if !sparse || !self.prefix.is_empty() || self.kind == MountKind::Mount {
            out.serialize_field("prefix", &self.prefix)?;
        }
        if !sparse || self.prefix_unresolved.is_some() {
            out.serialize_field("prefix_unresolved", &self.prefix_unresolved)?;
        }
        if !sparse || self.kind == MountKind::Mount {
            out.serialize_field("parent", &self.parent)?;
        }
        if !sparse || self.replaces {
            out.serialize_field("replaces", &self.replaces)?;
        }
        if !sparse || self.factory {
            out.serialize_field("factory", &self.factory)?;
        }
        if !sparse || self.served {
            out.serialize_field("served", &self.served)?;
        }
        out.end()
    }
}

/// What a name is bound to in the file.
#[derive(Debug, Clone)]
enum Binding {
    /// An application object, served at `/` unless the file mounts it.
    App,
    /// A router with its own prefix (FastAPI's `prefix`, a blueprint's `url_prefix`).
    Router(Result<Segment, String>),
    /// A string constant.
    Text(String),
    /// An array of object literals (a mount table iterated with `forEach`): each row's
    /// properties, a string by its value and a name as written.
    Table(Vec<Vec<(String, Cell)>>),
    /// What a call of a plain name returned (`api = create_api()`): the factory's app or
    /// router when the name is a factory of this file or an imported function.
    Result(String),
    /// Anything else, or a name bound more than once.
    Other,
}

/// One property of a mount table's row.
#[derive(Debug, Clone)]
enum Cell {
    Value(Result<Segment, String>),
    Name(String),
}

/// A name as seen from one place: the binding of a scope, or a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    /// The index of the binding in `Routers::bindings`.
    Bound(usize),
    /// A parameter of an enclosing function: whatever the caller passes.
    Parameter,
    /// Bound nowhere in the file (imported, or a global).
    Free,
}

/// One mount: `parent` serves `child` under `prefix`.
#[derive(Debug)]
struct Attach {
    line: u32,
    column: u32,
    parent: Name,
    /// The parent as written, for messages.
    parent_text: String,
    child: Name,
    /// The child as written (`router`, `items.router`).
    child_text: String,
    /// A Django url configuration included by module (`include("blog.urls")`): the module
    /// as Python would import it.
    child_module: Option<String>,
    /// `None`: the framework's default (Flask: the blueprint's own `url_prefix`).
    prefix: Option<Result<Segment, String>>,
    /// Flask's `register_blueprint(bp, url_prefix=...)`: the prefix replaces the
    /// blueprint's own instead of adding to it.
    replaces: bool,
    /// Made by `mount_through`: the child was handed to a function inside `use(...)`.
    through: bool,
    /// No mount but the evidence that the child, a factory's app, is served as it is, at
    /// `/` (`createApp().listen(3000)`, `serve(app)` after `const app = createApp()`).
    root: bool,
}

/// A binding with where it was made.
#[derive(Debug)]
struct Bound {
    name: String,
    binding: Binding,
    /// Made in the module's own scope: importable, and named by `path#name`.
    module_level: bool,
    /// The scope's node id.
    scope: usize,
    /// Bound more than once in its scope (the binding is then `Other`).
    twice: bool,
    line: u32,
    column: u32,
}

/// Where a router's routes are served, as far as its file tells.
#[derive(Debug, Clone)]
pub struct Partial {
    anchor: Anchor,
    /// What the file adds below the anchor, text runs already joined.
    prefix: Vec<Segment>,
}

#[derive(Debug, Clone)]
enum Anchor {
    /// An app of this file: the prefix is the whole path.
    Root,
    /// A module-level router of this file that the file does not mount.
    Local(String),
    /// A router imported from another module.
    Imported {
        name: String,
        module: String,
        imported: String,
    },
}

impl Partial {
    fn root() -> Partial {
        Partial {
            anchor: Anchor::Root,
            prefix: Vec::new(),
        }
    }

    /// Appends a prefix below the current ones, joining text to text.
    fn push(&mut self, segment: Segment, python: bool) {
        if segment.is_text() && segment.text.is_empty() {
            return;
        }
        match self.prefix.last_mut() {
            Some(last) if last.is_text() && segment.is_text() => {
                last.text = join(&last.text, &segment.text, python);
            }
            _ => self.prefix.push(segment),
        }
    }

    /// The whole prefix, when the file alone decides it.
    pub fn complete(&self) -> Option<String> {
        if !matches!(self.anchor, Anchor::Root) {
            return None;
        }
        match self.prefix.as_slice() {
            [] => Some(String::new()),
            [only] if only.is_text() => Some(only.text.clone()),
            _ => None,
        }
    }

    /// Where the URL continues, for the link stage (`file`: the file's path).
    pub fn via(&self, file: &str) -> Via {
        let (router, name, module, imported) = match &self.anchor {
            Anchor::Root => (None, String::new(), None, None),
            Anchor::Local(name) => (Some(format!("{file}#{name}")), name.clone(), None, None),
            Anchor::Imported {
                name,
                module,
                imported,
            } => (
                None,
                name.clone(),
                Some(module.clone()),
                Some(imported.clone()),
            ),
        };
        Via {
            router,
            name,
            module,
            imported,
            prefix: self.prefix.clone(),
        }
    }
}

/// The routers of one file and how they are mounted.
#[derive(Debug, Default)]
pub struct Routers {
    /// Each name bound in each scope (a function, or the module: by node id), once; a
    /// name bound twice in one scope is `Other`.
    scopes: HashMap<(usize, String), usize>,
    bindings: Vec<Bound>,
    mounts: Vec<Attach>,
    /// Names imported into the file: the module each comes from and the name imported.
    imported: HashMap<String, (String, String)>,
    /// The module scope's node id.
    module: usize,
    python: bool,
    /// Module-level functions that serve routes on their first parameter (a Fastify
    /// plugin, `def register_routes(app)`): function node id → (the parameter, the
    /// router binding that stands for whatever the function is handed).
    plugins: HashMap<usize, (String, usize)>,
    /// Apps and routers made in a module-level function that returns them (a factory,
    /// `def create_app(): app = Flask(...); ...; return app`): the binding made in the
    /// function → the function's own module-level binding, which stands for them and is
    /// served wherever a call of the function is mounted.
    factories: HashMap<usize, usize>,
    /// Apps and routers returned by a function discover cannot name (a method, a nested
    /// function): served wherever its caller puts them, which no file tells.
    escaped: Vec<usize>,
    /// Apps served below a base path of their own (Hono's `new Hono().basePath('/api')`),
    /// by binding.
    bases: HashMap<usize, Result<Segment, String>>,
    /// The scopes (node ids) of factory functions: an app made there that is not what the
    /// function returns (`const app = new Hono(); return app.basePath('/api')`) is served
    /// wherever the factory's result is, below a place discover does not follow.
    factory_scopes: Vec<usize>,
}

/// The kinds of nodes that open a scope of their own.
const SCOPE_KINDS: &[&str] = &[
    "function_declaration",
    "function_expression",
    "function",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
    "generator_function",
    "function_definition",
    "lambda",
    "class_definition",
    "program",
    "module",
];

/// Nodes that open a scope of their own.
fn is_scope(node: Node<'_>) -> bool {
    is_scope_kind(node.kind_str())
}

/// Whether a kind is one of [`SCOPE_KINDS`] (a `match`: `scope_of` asks at every level).
fn is_scope_kind(kind: &str) -> bool {
    matches!(
        kind,
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

/// The kinds of nodes finding a file's routers reads, by language: what `Routers::python`
/// and `Routers::js` collect.
const PYTHON_READS: &[&str] = &["assignment", "call", "attribute", "return_statement"];
const JS_READS: &[&str] = &[
    "variable_declarator",
    "call_expression",
    "return_statement",
    "export_statement",
    "assignment_expression",
];

/// By kind id, for the call graph's walk to collect what finding the routers reads
/// ([`Walked`]) on its way: whether a kind is read, and whether it opens a scope.
pub struct WalkedKinds {
    pub reads: Vec<bool>,
    pub scopes: Vec<bool>,
}

/// The [`WalkedKinds`] of `lang`.
pub fn walked_kinds(lang: Lang) -> &'static WalkedKinds {
    static TABLES: [std::sync::OnceLock<WalkedKinds>; Lang::COUNT] =
        [const { std::sync::OnceLock::new() }; Lang::COUNT];
    TABLES[lang.index()].get_or_init(|| {
        let count = lang.grammar().node_kind_count();
        let table = |names: &[&str]| {
            let mut table = vec![false; count];
            for name in names {
                for &id in lang.kind_ids(name, true) {
                    table[usize::from(id)] = true;
                }
            }
            table
        };
        WalkedKinds {
            reads: table(if lang.is_js_like() {
                JS_READS
            } else {
                PYTHON_READS
            }),
            scopes: table(SCOPE_KINDS),
        }
    })
}

/// A node finding the routers reads, collected by the call graph's walk so that it need not
/// walk the tree again: its depth below the root and the scope it is in (`scope_of`).
#[derive(Clone, Copy)]
pub struct Walked<'t> {
    pub node: Node<'t>,
    pub depth: u32,
    pub scope: Option<Node<'t>>,
}

/// The scope `node` is in (for a scope node, the one around it).
fn scope_of(node: Node<'_>) -> Option<Node<'_>> {
    let mut up = node.up();
    while let Some(n) = up {
        if is_scope(n) {
            return Some(n);
        }
        up = n.up();
    }
    None
}

/// Whether the function `scope` has a parameter `name`.
fn has_parameter(scope: Node<'_>, name: &str, src: &[u8]) -> bool {
    let params = scope
        .field("parameters")
        .or_else(|| scope.field("parameter"));
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
    match node.kind_str() {
        "identifier" | "shorthand_property_identifier_pattern" => f(text(node, src)),
        _ => {
            for child in node.named_kids() {
                // The default value of `a = x` is no parameter.
                if node.kind_str() == "assignment_pattern" && node.field("right") == Some(child) {
                    continue;
                }
                if node.kind_str() == "default_parameter" && node.field("value") == Some(child) {
                    continue;
                }
                visit_names(child, src, f);
            }
        }
    }
}

/// How deep declarations and mounts are looked for, in nodes.
pub const MAX_DEPTH: usize = 40;

/// How deep a module-level declaration sits (`export const x = ...`: program, export,
/// declaration, declarator).
pub const MODULE_LEVEL: usize = 3;

impl Routers {
    /// The routers of a Python file.
    pub fn python<'t>(
        root: Node<'t>,
        src: &[u8],
        imported: HashMap<String, (String, String)>,
        depth: usize,
        walked: Option<&[Walked<'t>]>,
    ) -> Routers {
        let mut routers = Routers {
            imported,
            module: root.id(),
            python: true,
            ..Routers::default()
        };
        let mut assignments = Vec::new();
        let mut calls = Vec::new();
        let mut attributes = Vec::new();
        let mut returns = Vec::new();
        collect(
            root,
            Lang::Python,
            depth,
            walked,
            &mut |n, scope| match n.kind_str() {
                "assignment" => assignments.push((n, scope)),
                "call" => calls.push(n),
                "attribute" => attributes.push(n),
                "return_statement" => returns.push(n),
                _ => {}
            },
        );
        // Class attribute defaults that read as paths, by `Class.ATTR` (pydantic settings).
        let mut class_paths: HashMap<String, Vec<(String, String)>> = HashMap::default();
        for statement in root.named_kids() {
            let class = match statement.kind_str() {
                "class_definition" => statement,
                "decorated_definition" => match statement.field("definition") {
                    Some(d) if d.kind_str() == "class_definition" => d,
                    _ => continue,
                },
                _ => continue,
            };
            let (Some(name), Some(body)) = (class.field("name"), class.field("body")) else {
                continue;
            };
            let mut attributes = Vec::new();
            for line in body.named_kids() {
                let Some(a) = line.named_child(0).filter(|a| a.kind_str() == "assignment") else {
                    continue;
                };
                let (Some(left), Some(right)) = (a.field("left"), a.field("right")) else {
                    continue;
                };
                if left.kind_str() != "identifier" {
                    continue;
                }
                if let Some(value) = string_literal(right, src).filter(|v| is_path(v)) {
                    let dotted = format!("{}.{}", text(name, src), text(left, src));
                    routers.bind_in(root, a, &dotted, Binding::Text(value.to_string()));
                    attributes.push((text(left, src).to_string(), value.to_string()));
                }
            }
            if !attributes.is_empty() {
                class_paths.insert(text(name, src).to_string(), attributes);
            }
        }
        for (a, scope) in &assignments {
            let Some(scope) = *scope else { continue };
            let (Some(left), Some(right)) = (a.field("left"), a.field("right")) else {
                continue;
            };
            if left.kind_str() != "identifier" {
                continue;
            }
            let name = text(left, src);
            let module_level = scope.id() == routers.module;
            // A Django url configuration is a router; `ROOT_URLCONF` serves one at `/`.
            let binding = if name == "urlpatterns" && module_level {
                Binding::Router(Ok(Segment::text("")))
            } else {
                routers.python_binding(right, src)
            };
            routers.bind_in(scope, *a, name, binding);
            if name == "ROOT_URLCONF"
                && module_level
                && let Some(module) = string_literal(right, src)
            {
                routers.bind_in(scope, *a, DJANGO_ROOT, Binding::App);
                let (line, column) = position(*a);
                let parent = routers.lookup(*a, DJANGO_ROOT, src);
                routers.mounts.push(Attach {
                    line,
                    column,
                    parent,
                    parent_text: "ROOT_URLCONF".to_string(),
                    child: Name::Free,
                    child_text: "ROOT_URLCONF".to_string(),
                    child_module: Some(module.to_string()),
                    prefix: None,
                    replaces: false,
                    through: false,
                    root: false,
                });
            }
            // `settings = Settings()`: the instance's attributes are the class defaults.
            let instance_of = (right.kind_str() == "call")
                .then(|| right.field("function"))
                .flatten()
                .filter(|f| f.kind_str() == "identifier")
                .and_then(|f| class_paths.get(text(f, src)))
                .filter(|_| {
                    right
                        .field("arguments")
                        .is_some_and(|args| args.named_child_count() == 0)
                });
            if let Some(attributes) = instance_of
                && module_level
            {
                for (attribute, value) in attributes {
                    routers.bind_in(
                        scope,
                        *a,
                        &format!("{name}.{attribute}"),
                        Binding::Text(value.clone()),
                    );
                }
            }
        }
        routers.find_plugins(&calls, src);
        routers.find_factories(&returns, src);
        for call in calls {
            routers.python_mount(call, src);
            routers.django_include(call, src);
            routers.plugin_call(call, src);
        }
        for attribute in attributes {
            routers.drf_urls(attribute, src);
        }
        routers
    }

    /// `path("blog/", include("blog.urls"))` in a url configuration's `urlpatterns` (also
    /// inside the `include([...])` lists of others, whose paths it lies under).
    fn django_include(&mut self, call: Node<'_>, src: &[u8]) {
        let Some((route, view)) = django_pattern(call, src) else {
            return;
        };
        let Some(target) = include_target(view, src) else {
            return;
        };
        // `include(router.urls)` of a router of the file (Django REST framework).
        let local = (target.kind_str() == "attribute")
            .then(|| target.field("object"))
            .flatten()
            .filter(|o| o.kind_str() == "identifier")
            .filter(|_| text(target, src).ends_with(".urls"))
            .map(|o| (self.lookup(o, text(o, src), src), text(o, src).to_string()))
            .filter(|(name, _)| matches!(name, Name::Bound(i) if matches!(self.bindings[*i].binding, Binding::Router(_))));
        let child_module = match target.kind_str() {
            _ if local.is_some() => Some(String::new()),
            "string" => string_literal(target, src).map(str::to_string),
            // `include(blog_urls)` after `from blog import urls as blog_urls`;
            // `include(debug_toolbar.urls)` after `import debug_toolbar`.
            "identifier" | "attribute" => {
                let whole = text(target, src);
                let root = dotted_root(target, src);
                let rest = root.map_or("", |r| &whole[r.len()..]);
                root.and_then(|r| self.imported.get(r))
                    .map(|(module, imported)| {
                        let base = if imported == "*" {
                            module.clone()
                        } else if module.ends_with('.') {
                            format!("{module}{imported}")
                        } else {
                            format!("{module}.{imported}")
                        };
                        format!("{base}{rest}")
                    })
            }
            _ => None,
        };
        let Some(child_module) = child_module else {
            return;
        };
        // The paths of the `path(p, include([...]))` calls around this one, innermost first.
        let mut prefix = vec![django_route(call, route, src)];
        let mut up = call.up();
        let mut list_owner = None;
        while let Some(node) = up {
            if is_scope(node) {
                break;
            }
            if node.kind_str() == "call" {
                if let Some((outer_route, _)) = django_pattern(node, src) {
                    prefix.push(django_route(node, outer_route, src));
                } else if let Some(object) = node.field("function").and_then(|f| f.field("object"))
                {
                    // `urlpatterns.append(path(...))`
                    list_owner = Some(object);
                    break;
                }
            }
            if matches!(node.kind_str(), "assignment" | "augmented_assignment") {
                list_owner = node.field("left");
                break;
            }
            up = node.up();
        }
        let Some(owner) = list_owner.filter(|o| text(*o, src) == "urlpatterns") else {
            return;
        };
        prefix.reverse();
        let prefix = prefix
            .into_iter()
            .try_fold(String::new(), |acc, p| p.map(|p| format!("{acc}{p}")))
            .map(Segment::text);
        let (line, column) = position(call);
        let (child, child_text, child_module) = match local {
            Some((name, text)) => (name, text, None),
            None => (Name::Free, one(view, src), Some(child_module)),
        };
        let attach = Attach {
            line,
            column,
            parent: self.lookup(owner, "urlpatterns", src),
            parent_text: "urlpatterns".to_string(),
            child,
            child_text,
            child_module,
            prefix: Some(prefix),
            replaces: false,
            through: false,
            root: false,
        };
        self.mounts.push(attach);
    }

    /// `urlpatterns += router.urls`, `urlpatterns = [...] + router.urls`,
    /// `urlpatterns.extend(router.urls)`, `[*router.urls]`: a Django REST framework
    /// router of the file served where the configuration is.
    fn drf_urls(&mut self, node: Node<'_>, src: &[u8]) {
        if node.kind_str() != "attribute" || !text(node, src).ends_with(".urls") {
            return;
        }
        let Some(object) = node
            .field("object")
            .filter(|o| o.kind_str() == "identifier")
        else {
            return;
        };
        let child = self.lookup(node, text(object, src), src);
        if !matches!(child, Name::Bound(i) if matches!(self.bindings[i].binding, Binding::Router(_)))
        {
            return;
        }
        // Only directly in the value of `urlpatterns` (an operand, a list element, a splat),
        // not inside a `path()` (that is `include()`'s business).
        let mut up = node.up();
        let mut owner = None;
        while let Some(n) = up {
            match n.kind_str() {
                "binary_operator"
                | "list"
                | "list_splat"
                | "parenthesized_expression"
                | "argument_list" => {}
                "assignment" | "augmented_assignment" => {
                    owner = n.field("left");
                    break;
                }
                "call" => {
                    let extend = n
                        .field("function")
                        .filter(|f| text(*f, src) == "urlpatterns.extend");
                    owner = extend.and_then(|f| f.field("object"));
                    break;
                }
                _ => break,
            }
            up = n.up();
        }
        let Some(owner) = owner.filter(|o| text(*o, src) == "urlpatterns") else {
            return;
        };
        let (line, column) = position(node);
        self.mounts.push(Attach {
            line,
            column,
            parent: self.lookup(owner, "urlpatterns", src),
            parent_text: "urlpatterns".to_string(),
            child,
            child_text: text(object, src).to_string(),
            child_module: None,
            prefix: Some(Ok(Segment::text(""))),
            replaces: false,
            through: false,
            root: false,
        });
    }

    /// The routers of a JavaScript / TypeScript file.
    pub fn js<'t>(
        root: Node<'t>,
        src: &[u8],
        lang: Lang,
        imported: HashMap<String, (String, String)>,
        depth: usize,
        walked: Option<&[Walked<'t>]>,
    ) -> Routers {
        let mut routers = Routers {
            imported,
            module: root.id(),
            ..Routers::default()
        };
        let mut declarators = Vec::new();
        let mut calls = Vec::new();
        let mut returns = Vec::new();
        let mut exports = Vec::new();
        collect(
            root,
            lang,
            depth,
            walked,
            &mut |n, scope| match n.kind_str() {
                "variable_declarator" => declarators.push((n, scope)),
                "call_expression" => calls.push(n),
                "return_statement" => returns.push(n),
                "export_statement" | "assignment_expression" => exports.push(n),
                _ => {}
            },
        );
        for (d, scope) in &declarators {
            let (Some(scope), Some(name)) = (*scope, d.field("name")) else {
                continue;
            };
            if name.kind_str() != "identifier" {
                continue;
            }
            let name = text(name, src);
            let value = d.field("value");
            // `const routes = require('./routes')` is an import: the name stays free.
            if value
                .is_some_and(|v| v.kind_str() == "call_expression" && require_of(v, src).is_some())
                && routers.imported.contains_key(name)
            {
                continue;
            }
            // Hono's `basePath`: `new Hono().basePath('/api')` is an app served below its
            // base path; `app.basePath('/v1')` a router of `app`'s (it shares `app`'s routes)
            // below `/v1`.
            // `const route = new Hono().get('/a', h)` (also on a base path): the app.
            let chained = value
                .filter(|v| v.kind_str() == "call_expression")
                .and_then(|v| chain_start(v, src))
                .and_then(|start| new_hono(start, src))
                .filter(|_| value.is_some_and(|v| chain_declared(v, src).is_some()));
            if let Some(base) = chained {
                let made = routers.bindings.len();
                routers.bind_in(scope, *d, name, Binding::App);
                if let Some(base) = base
                    && routers.bindings.len() > made
                {
                    let base = routers.value(base, src);
                    routers.bases.insert(made, base);
                }
                continue;
            }
            if let Some((receiver, base)) = value.and_then(|v| routers.base_path(v, src)) {
                let made = routers.bindings.len();
                match receiver {
                    None => routers.bind_in(scope, *d, name, Binding::App),
                    Some(_) => routers.bind_in(scope, *d, name, Binding::Router(base.clone())),
                }
                if routers.bindings.len() > made {
                    match receiver {
                        None => {
                            routers.bases.insert(made, base);
                        }
                        Some(receiver) => {
                            let (line, column) = position(*d);
                            routers.mounts.push(Attach {
                                line,
                                column,
                                parent: routers.lookup(*d, text(receiver, src), src),
                                parent_text: text(receiver, src).to_string(),
                                child: Name::Bound(made),
                                child_text: name.to_string(),
                                child_module: None,
                                prefix: Some(Ok(Segment::text(""))),
                                replaces: false,
                                through: false,
                                root: false,
                            });
                        }
                    }
                }
                continue;
            }
            let binding = match value {
                Some(value) => routers.js_binding(value, src),
                None => Binding::Other,
            };
            routers.bind_in(scope, *d, name, binding);
            // `const config = { apiPrefix: '/api' }`: its path-like string properties.
            if let Some(object) = value.filter(|v| v.kind_str() == "object")
                && scope.id() == routers.module
            {
                for pair in object.named_kids() {
                    let (Some(key), Some(v)) = (
                        pair.field("key").filter(|_| pair.kind_str() == "pair"),
                        pair.field("value"),
                    ) else {
                        continue;
                    };
                    let key = key_text(key, src);
                    if let Some(v) = string_literal(v, src).filter(|v| is_path(v)) {
                        routers.bind_in(
                            root,
                            pair,
                            &format!("{name}.{key}"),
                            Binding::Text(v.to_string()),
                        );
                    }
                }
            }
        }
        routers.find_plugins(&calls, src);
        routers.find_factories(&returns, src);
        for call in &calls {
            routers.js_mount(*call, src);
            routers.plugin_call(*call, src);
            routers.served_call(*call, src);
        }
        for export in exports {
            routers.served_export(export, src);
        }
        routers.drop_configuration_mounts();
        routers
    }

    /// The factory's app that `value` is, served as it is: a call of a factory
    /// (`createApp()`, awaited or not), a name bound to one (`app` after `const app =
    /// createApp()`), or an object serving its `fetch` (`{ fetch: app.fetch }`).
    fn served_value(&self, at: Node<'_>, value: Node<'_>, src: &[u8]) -> Option<(Name, String)> {
        let value = match value.kind_str() {
            "await_expression" | "parenthesized_expression" => value.named_child(0)?,
            _ => value,
        };
        match value.kind_str() {
            "identifier" => {
                let name = self.lookup(at, text(value, src), src);
                self.result_child(at, name, true, src).or_else(|| {
                    // `const app = createApp()` made in the factory's own file is its app.
                    let Name::Bound(index) = name else {
                        return None;
                    };
                    self.factories.get(&index).map(|f| {
                        let function = &self.bindings[*f].name;
                        (Name::Bound(*f), format!("{function}()"))
                    })
                })
            }
            "call_expression" => {
                let callee = factory_callee(value.field("function")?, src)?;
                self.factory_call(at, callee, true, src)
            }
            // `{ fetch: app.fetch }`, `{ fetch: app.fetch.bind(app) }`, `{ app }`.
            // Only the properties that hand over the app: `{ port: config.port }` serves
            // no `config`.
            "object" => value.named_kids().into_iter().find_map(|pair| {
                let served = match pair.kind_str() {
                    "shorthand_property_identifier" if text(pair, src) == "app" => pair,
                    "pair"
                        if pair
                            .field("key")
                            .is_some_and(|k| matches!(text(k, src), "fetch" | "app")) =>
                    {
                        // `app.fetch`, `app.fetch.bind(app)`, `createApp().fetch`.
                        let mut v = pair.field("value")?;
                        loop {
                            let next = match v.kind_str() {
                                "member_expression" => v.field("object"),
                                "call_expression" => v
                                    .field("function")
                                    .filter(|f| {
                                        f.kind_str() == "member_expression"
                                            && f.field("property")
                                                .is_some_and(|p| text(p, src) == "bind")
                                    })
                                    .and_then(|f| f.field("object")),
                                _ => None,
                            };
                            match next {
                                Some(n) => v = n,
                                None => break,
                            }
                        }
                        v
                    }
                    _ => return None,
                };
                self.served_value(at, served, src)
            }),
            _ => None,
        }
    }

    /// Records that a factory's app is served as it is: `createApp().listen(3000)`,
    /// `serve(app)`, `createServer(app)`, `handle(app)`, `request(app)` (supertest) …
    fn served_call(&mut self, call: Node<'_>, src: &[u8]) {
        let Some(function) = call.field("function") else {
            return;
        };
        let served = match function.kind_str() {
            "member_expression" => {
                let method = function.field("property").map_or("", |p| text(p, src));
                match method {
                    "listen" | "fire" => function.field("object"),
                    // `http.createServer(app)`, `Bun.serve({ fetch: app.fetch })`.
                    "createServer" | "serve" => call
                        .field("arguments")
                        .and_then(|a| named_args(a).first().copied()),
                    _ => None,
                }
            }
            "identifier" => match text(function, src) {
                // Not a test's `request(app)`: a sub-app is often tested on its own.
                "serve" | "createServer" | "handle" | "serverless" | "serverlessExpress" => call
                    .field("arguments")
                    .and_then(|a| named_args(a).first().copied()),
                _ => None,
            },
            _ => None,
        };
        let Some(value) = served else { return };
        // `create(app).listen(port)`: a server made of the app is listened to.
        let wrapped = (value.kind_str() == "call_expression")
            .then(|| value.field("arguments"))
            .flatten()
            .and_then(|a| named_args(a).first().copied());
        if self.served_value(call, value, src).is_none()
            && let Some(inner) = wrapped
        {
            self.served_at(call, inner, src);
            return;
        }
        self.served_at(call, value, src);
    }

    /// `export default app`, `export default createApp()`, `module.exports = app`, `export
    /// default { fetch: app.fetch }`: the entry a runtime serves.
    fn served_export(&mut self, node: Node<'_>, src: &[u8]) {
        // Only the object a runtime serves (Workers, Bun, Deno): exporting an app itself
        // hands it to another file, which may mount it anywhere.
        let value = match node.kind_str() {
            "export_statement"
                if (node.kids().iter()).any(|c| !c.is_named() && c.kind_str() == "default") =>
            {
                node.field("value")
            }
            _ => None,
        };
        if let Some(value) = value.filter(|v| v.kind_str() == "object") {
            self.served_at(node, value, src);
        }
    }

    fn served_at(&mut self, at: Node<'_>, value: Node<'_>, src: &[u8]) {
        let Some((child, child_text)) = self.served_value(at, value, src) else {
            return;
        };
        // A router is served by being mounted, not so (the link stage checks an imported one).
        if let Name::Bound(index) = child
            && !matches!(self.bindings[index].binding, Binding::App)
        {
            return;
        }
        let (line, column) = position(at);
        self.mounts.push(Attach {
            line,
            column,
            parent: Name::Free,
            parent_text: String::new(),
            child,
            child_text,
            child_module: None,
            prefix: Some(Ok(Segment::text(""))),
            replaces: false,
            through: false,
            root: true,
        });
    }

    /// `register_routes(app)`: a function handed an app or router serves its routes there
    /// (a function of the file that is a plugin, or an imported one — the link stage keeps
    /// the mount only when the function is another file's plugin).
    fn plugin_call(&mut self, call: Node<'_>, src: &[u8]) {
        let (Some(function), Some(arguments)) = (call.field("function"), call.field("arguments"))
        else {
            return;
        };
        if function.kind_str() != "identifier" {
            return;
        }
        let args = if self.python {
            py_args(arguments)
        } else {
            named_args(arguments)
        };
        let Some(first) = args.first().filter(|a| a.kind_str() == "identifier") else {
            return;
        };
        if !self.is_router(call, text(*first, src), src) {
            return;
        }
        let child_text = text(function, src);
        let child = self.lookup(call, child_text, src);
        let plugin = match child {
            Name::Bound(i) => self.plugins.values().any(|(_, index)| *index == i),
            Name::Free => self.imported.contains_key(child_text),
            Name::Parameter => false,
        };
        if !plugin {
            return;
        }
        self.mount_on(
            call,
            *first,
            child,
            child_text.to_string(),
            Ok(Segment::text("")),
            src,
        );
    }

    /// Binds `name` in `scope` (the one `at` is in, or the module for a dotted name), as
    /// made at `at`; a second binding in one scope makes it `Other`.
    fn bind_in(&mut self, scope: Node<'_>, at: Node<'_>, name: &str, binding: Binding) {
        let key = (scope.id(), name.to_string());
        match self.scopes.get(&key) {
            // Django reassigns `urlpatterns` (`if settings.DEBUG: urlpatterns = [..., *urlpatterns]`):
            // still the module's url configuration.
            Some(&index)
                if name == "urlpatterns"
                    && matches!(binding, Binding::Router(_))
                    && matches!(self.bindings[index].binding, Binding::Router(_)) => {}
            Some(&index) => {
                self.bindings[index].binding = Binding::Other;
                self.bindings[index].twice = true;
            }
            None => {
                let (line, column) = position(at);
                self.scopes.insert(key, self.bindings.len());
                self.bindings.push(Bound {
                    name: name.to_string(),
                    binding,
                    module_level: scope.id() == self.module,
                    scope: scope.id(),
                    twice: false,
                    line,
                    column,
                });
            }
        }
    }

    /// Binds the module-level function `name`, declared at `at`, to the router or app it
    /// stands for (a plugin's, a factory's); its index, or `None` when the name is bound
    /// otherwise too. `const users = async (app) => ...` was bound once already, by its
    /// declarator (`at`), as no router: that binding is the function's own.
    fn bind_function(&mut self, at: Node<'_>, name: &str, binding: Binding) -> Option<usize> {
        match self.scopes.get(&(self.module, name.to_string())) {
            Some(&index) => {
                let bound = &mut self.bindings[index];
                if bound.twice || (bound.line, bound.column) != position(at) {
                    bound.binding = Binding::Other;
                    bound.twice = true;
                    return None;
                }
                bound.binding = binding;
                Some(index)
            }
            None => {
                let index = self.bindings.len();
                let (line, column) = position(at);
                self.scopes.insert((self.module, name.to_string()), index);
                self.bindings.push(Bound {
                    name: name.to_string(),
                    binding,
                    module_level: true,
                    scope: self.module,
                    twice: false,
                    line,
                    column,
                });
                Some(index)
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
                return match self.plugins.get(&s.id()) {
                    Some((parameter, index)) if parameter == name => Name::Bound(*index),
                    _ => Name::Parameter,
                };
            }
            scope = scope_of(s);
        }
        Name::Free
    }

    /// Finds the module-level functions that declare routes or mounts on their first
    /// parameter, and binds each function's name to a router standing for it.
    fn find_plugins(&mut self, calls: &[Node<'_>], src: &[u8]) {
        for call in calls {
            let Some(function) = call.field("function") else {
                continue;
            };
            let (Some(object), Some(property)) = (
                function.field("object"),
                function
                    .field("property")
                    .or_else(|| function.field("attribute")),
            ) else {
                continue;
            };
            let method = text(property, src);
            if object.kind_str() != "identifier" || !PLUGIN_CALLS.contains(&method) {
                continue;
            }
            // A route needs a path, or an array of them (`req.get('host')`, `map.get(key)`
            // are no routes).
            if !matches!(method, "register" | "include_router" | "register_blueprint") {
                let is_path =
                    |node: Node<'_>| string_literal(node, src).is_some_and(|p| p.starts_with('/'));
                let arguments = call.field("arguments");
                let first = arguments.and_then(|a| a.named_child(0));
                // koa-router's named route, `router.get('user', '/users/:id', h)`: the
                // path comes second.
                let named = arguments.is_some_and(|a| {
                    a.named_child_count() >= 3 && a.named_child(1).is_some_and(is_path)
                });
                let path = named
                    || first.is_some_and(|a| {
                        is_path(a)
                            || (a.kind_str() == "array" && a.named_child(0).is_some_and(is_path))
                    });
                // Awaited, it is a test's request (`await server.post('/x', user)`).
                if !path || awaited(*call) {
                    continue;
                }
            }
            let name = text(object, src);
            // The innermost scope that binds the name: a plugin only if it is the first
            // parameter of a module-level function.
            let mut scope = scope_of(*call);
            while let Some(s) = scope {
                if self.scopes.contains_key(&(s.id(), name.to_string())) {
                    break;
                }
                if has_parameter(s, name, src) {
                    if !self.plugins.contains_key(&s.id())
                        && first_parameter(s, src) == Some(name)
                        && let Some((function_name, at)) = self.module_function(s, src)
                        && let Some(index) = self.bind_function(
                            at,
                            &function_name,
                            Binding::Router(Ok(Segment::text(""))),
                        )
                    {
                        self.plugins.insert(s.id(), (name.to_string(), index));
                    }
                    break;
                }
                scope = scope_of(s);
            }
        }
    }

    /// Finds the module-level functions that return an app or router they make
    /// (`function createApi() { const api = new Hono(); ...; return api }`), and binds each
    /// function's name to an app or router of the same kind standing for what it returns:
    /// its routes are served wherever the function's result is mounted, also from another
    /// file (`app.route('/api', createApi())`). A function returning two different ones, or
    /// also a plugin, is no factory; one discover cannot name (a method, a nested function)
    /// leaves what it returns unplaced.
    fn find_factories(&mut self, returns: &[Node<'_>], src: &[u8]) {
        // Per function, in document order: the binding it returns, `None` once it returns two.
        let mut found: Vec<(Node<'_>, Option<usize>)> = Vec::new();
        for ret in returns {
            let Some(value) = ret.named_child(0).filter(|v| v.kind_str() == "identifier") else {
                continue;
            };
            // Returned by the function that makes it: a callback's `return app` is not.
            let Some(function) = scope_of(*ret)
                .filter(|s| !matches!(s.kind_str(), "program" | "module" | "class_definition"))
            else {
                continue;
            };
            let Some(&index) = self
                .scopes
                .get(&(function.id(), text(value, src).to_string()))
            else {
                continue;
            };
            if !matches!(
                self.bindings[index].binding,
                Binding::App | Binding::Router(_)
            ) {
                continue;
            }
            match found.iter_mut().find(|(f, _)| f.id() == function.id()) {
                Some((_, returned)) if *returned != Some(index) => *returned = None,
                Some(_) => {}
                None => found.push((function, Some(index))),
            }
        }
        for (function, returned) in found {
            let Some(index) = returned else { continue };
            if self.plugins.contains_key(&function.id()) {
                continue;
            }
            let Some((name, at)) = self.module_function(function, src) else {
                self.escaped.push(index);
                continue;
            };
            let binding = self.bindings[index].binding.clone();
            self.factory_scopes.push(function.id());
            match self.bind_function(at, &name, binding) {
                Some(function) => {
                    self.factories.insert(index, function);
                    if let Some(base) = self.bases.get(&index).cloned() {
                        self.bases.insert(function, base);
                    }
                }
                // The function's name is bound otherwise too: what it returns is unplaced.
                None => self.escaped.push(index),
            }
        }
    }

    /// Whether binding `index` is a factory function's own (what stands for its result).
    fn is_factory(&self, index: usize) -> bool {
        self.factories.values().any(|f| *f == index)
    }

    /// The app or router a call of `callee` (at `at`) returns, when it is a factory: of
    /// this file, its binding; an imported function (`imported`: when a call of one may
    /// be counted), free — the link stage keeps the mount only when the name reaches
    /// another file's factory. With the child's name as shown (`createApi()`). The callee
    /// is a name, a function of an imported module (`users.createUsers`; in JavaScript,
    /// of a relative module only: `express.static` is middleware), or a required module
    /// itself (`require('./api')`: what it exports).
    fn factory_call(
        &self,
        at: Node<'_>,
        callee: &str,
        imported: bool,
        src: &[u8],
    ) -> Option<(Name, String)> {
        let shown = format!("{callee}()");
        let local =
            |module: &str| self.python || module.starts_with('.') || module.starts_with('/');
        if let Some(module) = callee
            .strip_prefix("require(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            let module = module.trim_matches(|c| c == '\'' || c == '"' || c == '`');
            return (imported && local(module)).then_some((Name::Free, shown));
        }
        if let Some((object, _)) = callee.split_once('.') {
            let (module, _) = self.imported.get(object)?;
            let free = self.lookup(at, object, src) == Name::Free;
            return (imported && free && local(module)).then_some((Name::Free, shown));
        }
        let name = match self.lookup(at, callee, src) {
            Name::Bound(index) if self.is_factory(index) => Name::Bound(index),
            Name::Free if imported && self.imported.contains_key(callee) => {
                // `const boot = require('./server'); boot(env)`: what the module exports.
                if let Some((module, whole)) = self.imported.get(callee)
                    && whole == "*"
                    && !self.python
                {
                    return local(module).then(|| (Name::Free, format!("require('{module}')()")));
                }
                Name::Free
            }
            _ => return None,
        };
        Some((name, shown))
    }

    /// A mounted name bound to a call's result (`api = create_api()`): the factory's app
    /// or router, as [`Routers::factory_call`] finds it.
    fn result_child(
        &self,
        at: Node<'_>,
        name: Name,
        imported: bool,
        src: &[u8],
    ) -> Option<(Name, String)> {
        let Name::Bound(index) = name else {
            return None;
        };
        let Binding::Result(callee) = &self.bindings[index].binding else {
            return None;
        };
        self.factory_call(at, callee, imported, src)
    }

    /// A module-level function's name and the node that names it: `function f(app)`,
    /// `def f(app)`, `const f = (app) => ...`, `export default function f(app)`, and
    /// `default` for `export default (app) => ...` / `export default function (app)`.
    fn module_function<'t>(&self, function: Node<'t>, src: &[u8]) -> Option<(String, Node<'t>)> {
        let at_module = |n: Node<'_>| scope_of(n).is_some_and(|s| s.id() == self.module);
        match function.kind_str() {
            "function_declaration" | "generator_function_declaration" | "function_definition" => {
                let name = function.field("name")?;
                at_module(function).then(|| (text(name, src).to_string(), function))
            }
            "arrow_function" | "function_expression" | "function" => {
                let parent = function.up()?;
                // `export default (router) => {...}`: the anonymous default export, named
                // `default` as the exports and calls extractors name it (no identifier can
                // be `default`). CommonJS's `module.exports = function (app) {...}` gets no
                // id from them, and is no plugin here either.
                if parent.kind_str() == "export_statement"
                    && (parent.kids().iter()).any(|c| !c.is_named() && c.kind_str() == "default")
                {
                    return at_module(parent).then(|| ("default".to_string(), function));
                }
                let declarator = Some(parent).filter(|p| p.kind_str() == "variable_declarator")?;
                let name = declarator.field("name")?;
                (name.kind_str() == "identifier" && at_module(declarator))
                    .then(|| (text(name, src).to_string(), declarator))
            }
            _ => None,
        }
    }

    /// The value of the string constant `name` (an identifier node) where it is used.
    pub fn constant_value(&self, name: Node<'_>, src: &[u8]) -> Option<String> {
        self.constant(name, text(name, src), src)
            .map(str::to_string)
    }

    /// A string constant `name` where `at` is.
    fn constant(&self, at: Node<'_>, name: &str, src: &[u8]) -> Option<&str> {
        match self.lookup(at, name, src) {
            Name::Bound(i) => match &self.bindings[i].binding {
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
        if value.kind_str() != "call" {
            return Binding::Other;
        }
        let (Some(function), Some(arguments)) = (value.field("function"), value.field("arguments"))
        else {
            return Binding::Other;
        };
        let name = text(function, src);
        let last = name.rsplit('.').next().unwrap_or(name);
        match last {
            "FastAPI" | "Flask" | "Starlette" | "Quart" => Binding::App,
            "APIRouter" => Binding::Router(
                kwarg(arguments, "prefix", src)
                    .map_or(Ok(Segment::text("")), |v| self.value(v, src)),
            ),
            "Blueprint" => Binding::Router(
                kwarg(arguments, "url_prefix", src)
                    .map_or(Ok(Segment::text("")), |v| self.value(v, src)),
            ),
            // Django REST framework: its `urls` are included like a url configuration.
            "DefaultRouter" | "SimpleRouter" => Binding::Router(Ok(Segment::text(""))),
            _ if factory_callee(function, src).is_some() => Binding::Result(name.to_string()),
            _ => Binding::Other,
        }
    }

    /// `new Hono().basePath(p)` (no receiver) or `app.basePath(p)` on an app or router
    /// `app` of the file: the receiver, and the base path.
    fn base_path<'t>(
        &self,
        value: Node<'t>,
        src: &[u8],
    ) -> Option<(Option<Node<'t>>, Result<Segment, String>)> {
        if value.kind_str() != "call_expression" {
            return None;
        }
        let function = value.field("function")?;
        let object = function.field("object")?;
        if text(function.field("property")?, src) != "basePath" {
            return None;
        }
        let [path] = named_args(value.field("arguments")?)[..] else {
            return None;
        };
        let receiver = match object.kind_str() {
            "new_expression"
                if object
                    .field("constructor")
                    .is_some_and(|c| text(c, src) == "Hono") =>
            {
                None
            }
            "identifier" if self.is_router(value, text(object, src), src) => Some(object),
            _ => return None,
        };
        Some((receiver, self.value(path, src)))
    }

    fn js_binding(&self, value: Node<'_>, src: &[u8]) -> Binding {
        // `const api = await createApi()`: what the factory's promise resolves to.
        let value = match value.kind_str() {
            "await_expression" => match value.named_child(0) {
                Some(inner) if inner.kind_str() == "call_expression" => inner,
                _ => return Binding::Other,
            },
            _ => value,
        };
        if let Some(s) =
            string_literal(value, src).filter(|_| value.kind_str() != "template_string")
        {
            return Binding::Text(s.to_string());
        }
        if value.kind_str() == "template_string" {
            return match self.value(value, src) {
                Ok(s) if s.is_text() => Binding::Text(s.text),
                _ => Binding::Other,
            };
        }
        if value.kind_str() == "array" {
            return self.table(value, src);
        }
        let (callee, arguments) = match value.kind_str() {
            "call_expression" => (value.field("function"), value.field("arguments")),
            "new_expression" => (value.field("constructor"), value.field("arguments")),
            _ => return Binding::Other,
        };
        let Some(mut callee) = callee else {
            return Binding::Other;
        };
        // `new (require('koa-router'))()`
        while callee.kind_str() == "parenthesized_expression"
            && let Some(inner) = callee.named_child(0)
        {
            callee = inner;
        }
        // koa-router's `new Router({ prefix: '/x' })`.
        let router = || {
            let prefix = arguments
                .and_then(|a| named_args(a).first().copied())
                .filter(|o| o.kind_str() == "object")
                .and_then(|o| object_property(o, "prefix", src));
            Binding::Router(prefix.map_or(Ok(Segment::text("")), |v| self.value(v, src)))
        };
        // `require('fastify')({ logger: true })`, `require('express')()`,
        // `require('@koa/router')()`.
        if callee.kind_str() == "call_expression" {
            match require_of(callee, src) {
                Some("express" | "fastify" | "koa") => return Binding::App,
                Some("@koa/router" | "koa-router") => return router(),
                _ => {}
            }
        }
        // `require('express').Router()`
        if callee.kind_str() == "member_expression"
            && callee
                .field("property")
                .is_some_and(|p| text(p, src) == "Router")
            && callee
                .field("object")
                .filter(|o| o.kind_str() == "call_expression")
                .and_then(|o| require_of(o, src))
                == Some("express")
        {
            return router();
        }
        match text(callee, src) {
            "express" | "fastify" | "Fastify" | "Koa" | "Hono" => Binding::App,
            "express.Router" | "Router" => router(),
            name if value.kind_str() == "call_expression"
                && factory_callee(callee, src).is_some() =>
            {
                Binding::Result(name.to_string())
            }
            _ => Binding::Other,
        }
    }

    /// `[{ path: '/auth', route: authRoute }, ...]`: a table when every element is an
    /// object literal of plain properties.
    fn table(&self, array: Node<'_>, src: &[u8]) -> Binding {
        let mut rows = Vec::new();
        for element in named_args(array) {
            if element.kind_str() != "object" {
                return Binding::Other;
            }
            let mut row = Vec::new();
            for pair in named_args(element) {
                let (key, value) = match pair.kind_str() {
                    "pair" => match (pair.field("key"), pair.field("value")) {
                        (Some(k), Some(v)) => (k, v),
                        _ => return Binding::Other,
                    },
                    // `{ path, route }`
                    "shorthand_property_identifier" => (pair, pair),
                    _ => return Binding::Other,
                };
                let key = key_text(key, src);
                let cell = match value.kind_str() {
                    "identifier" | "shorthand_property_identifier" if !matches!(self.lookup(value, text(value, src), src), Name::Bound(i) if matches!(self.bindings[i].binding, Binding::Text(_))) => {
                        Cell::Name(text(value, src).to_string())
                    }
                    "shorthand_property_identifier" => Cell::Value(
                        self.constant(value, text(value, src), src)
                            .map(Segment::text)
                            .ok_or_else(|| {
                                format!("`{}` is not a string constant", text(value, src))
                            }),
                    ),
                    _ => Cell::Value(self.value(value, src)),
                };
                row.push((key.to_string(), cell));
            }
            rows.push(row);
        }
        if rows.is_empty() {
            Binding::Other
        } else {
            Binding::Table(rows)
        }
    }

    /// `app.include_router(r, prefix=...)`, `app.register_blueprint(bp, url_prefix=...)`,
    /// `app.mount("/p", sub)`.
    fn python_mount(&mut self, call: Node<'_>, src: &[u8]) {
        let (Some(function), Some(arguments)) = (call.field("function"), call.field("arguments"))
        else {
            return;
        };
        self.python_mount_elsewhere(call, function, arguments, src);
        let (Some(object), Some(method)) = (function.field("object"), function.field("attribute"))
        else {
            return;
        };
        let positional = py_args(arguments);
        let name = text(method, src);
        let (child, prefix) = match name {
            "include_router" => (
                positional.first().copied(),
                Some(
                    kwarg(arguments, "prefix", src)
                        .map_or(Ok(Segment::text("")), |v| self.value(v, src)),
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
                positional
                    .first()
                    .copied()
                    .or_else(|| kwarg(arguments, "path", src))
                    .map(|v| self.value(v, src)),
            ),
            _ => return,
        };
        let Some(child) = child else { return };
        let named = self.child_name(call, child, src);
        // An app mounted inside a wrapper (`app=auth_middleware(private_app)`, no factory
        // discover knows): below a path discover does not compose through the wrapper, so
        // its routes get no URL rather than one under `/`.
        if named.is_none() && child.kind_str() == "call" {
            let wrapper = child.field("function").map_or("", |f| text(f, src));
            for wrapped in child
                .field("arguments")
                .map(|a| a.named_kids())
                .unwrap_or_default()
            {
                let wrapped = match wrapped.kind_str() {
                    "keyword_argument" => wrapped.field("value"),
                    _ => Some(wrapped),
                };
                let Some(wrapped) = wrapped.filter(|w| w.kind_str() == "identifier") else {
                    continue;
                };
                let Some((child, child_text)) = self.child_name(call, wrapped, src) else {
                    continue;
                };
                let parent = (
                    self.name_at(call, object, src),
                    text(object, src).to_string(),
                );
                self.mount_uncomposed(
                    call,
                    parent,
                    (child, child_text),
                    &format!("wrapped in `{wrapper}(...)`"),
                );
            }
            return;
        }
        let Some((child_name, child_text)) = named else {
            return;
        };
        let (line, column) = position(call);
        let attach = Attach {
            line,
            column,
            parent: self.name_at(call, object, src),
            parent_text: text(object, src).to_string(),
            child: child_name,
            child_text,
            child_module: None,
            replaces: name == "register_blueprint" && prefix.is_some(),
            through: false,
            root: false,
            prefix,
        };
        self.mounts.push(attach);
    }

    /// Starlette's `Mount("/p", app=sub)` and werkzeug's `DispatcherMiddleware(app, {"/p":
    /// sub})` serve an app below a path, under an app discover does not follow there: each
    /// app of the file (or factory's) so mounted gets a mount with `prefix_unresolved`, so
    /// that its routes get no URL rather than one under `/`.
    fn python_mount_elsewhere(
        &mut self,
        call: Node<'_>,
        function: Node<'_>,
        arguments: Node<'_>,
        src: &[u8],
    ) {
        let callee = text(function, src);
        let callee = callee.rsplit('.').next().unwrap_or(callee);
        let children: Vec<Node<'_>> = match callee {
            "Mount" => kwarg(arguments, "app", src)
                .or_else(|| py_args(arguments).get(1).copied())
                .into_iter()
                .collect(),
            "DispatcherMiddleware" => py_args(arguments)
                .get(1)
                .copied()
                .or_else(|| kwarg(arguments, "mounts", src))
                .filter(|d| d.kind_str() == "dictionary")
                .map(|d| {
                    (d.named_kids().iter())
                        .filter_map(|pair| pair.field("value"))
                        .collect()
                })
                .unwrap_or_default(),
            _ => return,
        };
        for child in children {
            let Some((child, child_text)) = self.child_name(call, child, src) else {
                continue;
            };
            let parent = (Name::Free, callee.to_string());
            self.mount_uncomposed(
                call,
                parent,
                (child, child_text),
                &format!("through `{callee}(...)`"),
            );
        }
    }

    /// A mount at `at` of `child` below a path discover does not compose (`how` it is
    /// mounted says why): its routes get no URL rather than one under `/`.
    fn mount_uncomposed(
        &mut self,
        at: Node<'_>,
        (parent, parent_text): (Name, String),
        (child, child_text): (Name, String),
        how: &str,
    ) {
        let (line, column) = position(at);
        let reason = format!("`{child_text}` is mounted {how}, which discover does not compose");
        self.mounts.push(Attach {
            line,
            column,
            parent,
            parent_text,
            child,
            child_text,
            child_module: None,
            prefix: Some(Err(reason)),
            replaces: false,
            through: false,
            root: false,
        });
    }

    /// A mounted child: a name, or `module.router` / `require('./x')` of another file.
    fn child_name(&self, at: Node<'_>, child: Node<'_>, src: &[u8]) -> Option<(Name, String)> {
        let written = || text(child, src).to_string();
        let name = match child.kind_str() {
            "identifier" => {
                let name = self.lookup(at, text(child, src), src);
                return Some(
                    self.result_child(at, name, true, src)
                        .unwrap_or((name, written())),
                );
            }
            // `app.mount("/v1", create_v1())`: a factory's app.
            "call" => {
                let callee = factory_callee(child.field("function")?, src)?;
                return self.factory_call(at, callee, true, src);
            }
            "attribute" | "member_expression" => {
                let root = dotted_root(child, src)?;
                // Only a module's attribute: `items.router` after `from .routes import items`.
                (self.lookup(at, root, src) == Name::Free && self.imported.contains_key(root))
                    .then_some(Name::Free)
            }
            "call_expression" => require_of(child, src).map(|_| Name::Free),
            _ => None,
        };
        name.map(|name| (name, written()))
    }

    /// `app.use('/p', a, router)`, `app.use(router)`, `app.route('/p', sub)` (Hono),
    /// `app.use('/p', router.routes())` (koa-router), and in a `forEach` over a mount
    /// table, `router.use(route.path, route.route)`.
    fn js_mount(&mut self, call: Node<'_>, src: &[u8]) {
        let (Some(function), Some(arguments)) = (call.field("function"), call.field("arguments"))
        else {
            return;
        };
        let (Some(object), Some(property)) = (function.field("object"), function.field("property"))
        else {
            return;
        };
        // `app.route('/a', a).route('/b', b)`, `app.use('/a', a).use(b)`: a mount chained
        // on what `use`, a two-argument `route` or a route registration returned, which is
        // the app or router the chain starts from.
        let named = match object.kind_str() {
            "identifier" => Some(object),
            "call_expression" => chain_base(object, src).or_else(|| chain_declared(call, src)),
            "new_expression" => chain_declared(call, src),
            _ => return,
        };
        let args = named_args(arguments);
        let Some(object) = named else {
            // Mounted on an app this file does not name (`new Hono().route('/v1', v1)`, a
            // chain on a call): a router of the file mounted there is served below a place
            // discover cannot tell, never at `/` as an app nobody mounts would be.
            if matches!(text(property, src), "use" | "route") {
                let receiver = one_line(text(object, src), 80);
                self.mount_unplaced(call, object, &args, src, |name| {
                    format!("`{name}` is mounted on `{receiver}`, which is no app or router discover can name")
                });
            }
            return;
        };
        let Some(first) = args.first() else { return };
        if text(property, src) == "register" {
            self.fastify_register(call, object, &args, src);
            return;
        }
        if !matches!(text(property, src), "use" | "route") {
            return;
        }
        if let Some(rows) = self.table_rows(call, &args, src) {
            for (prefix, child) in rows {
                let name = self.lookup(call, &child, src);
                self.mount_on(call, object, name, child, prefix, src);
            }
            return;
        }
        // koa-mount's `app.use(mount('/p', sub))` (or `mount(sub)`, at `/`): the mount's
        // arguments are the wrapper's.
        if let [only] = args.as_slice()
            && let Some(inner) = self.call_of_module(*only, "koa-mount", src)
        {
            let (prefix, rest) = match inner.as_slice() {
                [child] => (Ok(Segment::text("")), std::slice::from_ref(child)),
                [path, child] => (self.value(*path, src), std::slice::from_ref(child)),
                _ => return,
            };
            let placed = inner.len() == 2;
            self.mount_children(call, object, prefix, rest, placed, src);
            return;
        }
        if let [only] = args.as_slice()
            && let Some(composed) = self.koa_compose_args(*only, src)
        {
            self.mount_children(call, object, Ok(Segment::text("")), &composed, false, src);
            return;
        }
        // A first argument that is a router or middleware, not a path, mounts at `/`.
        let (prefix, rest) = match first.kind_str() {
            "identifier" if self.is_router(call, text(*first, src), src) => {
                (Ok(Segment::text("")), &args[..])
            }
            // `app.use(routes)`: one argument is never a path.
            "identifier" | "member_expression" if args.len() == 1 => {
                (Ok(Segment::text("")), &args[..])
            }
            "identifier" | "string" | "template_string" | "binary_expression" => {
                (self.value(*first, src), &args[1..])
            }
            // `app.use(config.baseUrl, router)`: a path discover cannot read (a property
            // holding middleware, `app.use(auth.required, router)`, is rarer), so the
            // router's routes get no URL rather than one under `/`.
            "member_expression" => (self.value(*first, src), &args[1..]),
            "call_expression" | "arrow_function" | "function_expression" => {
                (Ok(Segment::text("")), &args[..])
            }
            _ => (
                Err(format!(
                    "the mount path `{}` is not a literal",
                    text(*first, src)
                )),
                &args[1..],
            ),
        };
        // Under a path (or by Hono's `route`), a call's result is an app or router: a
        // factory's, also an imported one. At `/`, `use` takes middleware
        // (`app.use(cors())`), which no mount is made of: an app mounted there is served
        // where an app nobody mounts is.
        let placed = rest.len() < args.len() || text(property, src) == "route";
        self.mount_children(call, object, prefix, rest, placed, src);
    }

    /// The arguments of `call` when it calls a name imported from `module`.
    fn call_of_module<'t>(
        &self,
        call: Node<'t>,
        module: &str,
        src: &[u8],
    ) -> Option<Vec<Node<'t>>> {
        let function = call.field("function")?;
        if function.kind_str() != "identifier" {
            return None;
        }
        let (from, _) = self.imported.get(text(function, src))?;
        (from == module).then(|| call.field("arguments").map(named_args))?
    }

    /// The elements of the array passed to koa-compose (`compose([a.routes(), b.routes()])`,
    /// imported from `koa-compose`): middleware run in turn, each router at `/`.
    fn koa_compose_args<'t>(&self, call: Node<'t>, src: &[u8]) -> Option<Vec<Node<'t>>> {
        match self.call_of_module(call, "koa-compose", src)?.as_slice() {
            [array] if array.kind_str() == "array" => Some(named_args(*array)),
            _ => None,
        }
    }

    /// Mounts each router or app among `args` on `object` under `prefix`; other arguments
    /// (middleware) are passed over. `placed`: the mount has a path, and a call of an
    /// imported function there is taken for a factory's app or router.
    fn mount_children(
        &mut self,
        call: Node<'_>,
        object: Node<'_>,
        prefix: Result<Segment, String>,
        rest: &[Node<'_>],
        placed: bool,
        src: &[u8],
    ) {
        for &written in rest {
            // `app.route('/authors', authors as unknown as Hono)`: the value is the child.
            let mut node = written;
            while matches!(
                node.kind_str(),
                "as_expression" | "satisfies_expression" | "non_null_expression"
            ) && let Some(inner) = node.named_child(0)
            {
                node = inner;
            }
            let arg = &node;
            // `app.route('/api', createApi())` (or awaited), or `api` after `const api =
            // createApi()`.
            let value = match arg.kind_str() {
                "await_expression" => arg.named_child(0).unwrap_or(*arg),
                _ => *arg,
            };
            let made = match value.kind_str() {
                "identifier" => {
                    let name = self.lookup(call, text(value, src), src);
                    self.result_child(call, name, placed, src)
                }
                "call_expression" => value
                    .field("function")
                    .and_then(|f| factory_callee(f, src))
                    .and_then(|f| self.factory_call(call, f, placed, src)),
                _ => None,
            };
            if let Some((child, child_text)) = made {
                self.mount_on(call, object, child, child_text, prefix.clone(), src);
                // An imported function may be no factory, but a wrapper that places the
                // routers it is handed (`vhost('api.example.com', api)`).
                if child == Name::Free && value.kind_str() == "call_expression" {
                    self.mount_through(call, object, value, src);
                }
                continue;
            }
            let (child, child_text) = match arg.kind_str() {
                "identifier" => (self.lookup(call, text(*arg, src), src), text(*arg, src)),
                // `require('./routes')`
                "call_expression" if require_of(*arg, src).is_some() => {
                    (Name::Free, text(*arg, src))
                }
                // koa-router's `router.routes()` (not `express.json()`).
                "call_expression" => {
                    let function = arg.field("function");
                    let is_routes = function
                        .and_then(|f| f.field("property"))
                        .is_some_and(|p| text(p, src) == "routes");
                    // `app.route('/outer', b.route('/inner', a))`: what the chain returns is
                    // the router it starts from.
                    let chained =
                        chain_base(*arg, src).filter(|b| self.is_router(call, text(*b, src), src));
                    match (function.and_then(|f| f.field("object")), chained) {
                        (Some(o), _) if is_routes && o.kind_str() == "identifier" => {
                            (self.lookup(call, text(o, src), src), text(o, src))
                        }
                        (_, Some(base)) => {
                            (self.lookup(call, text(base, src), src), text(base, src))
                        }
                        _ => {
                            self.mount_through(call, object, *arg, src);
                            continue;
                        }
                    }
                }
                _ => continue,
            };
            self.mount_on(
                call,
                object,
                child,
                child_text.to_string(),
                prefix.clone(),
                src,
            );
        }
    }

    /// `app.use(vhost('api.example.com', api))`: an app or router of this file passed to a
    /// function discover does not know is mounted somewhere that function decides, not at
    /// `/` (where an app nobody mounts is served) and not nowhere.
    fn mount_through(&mut self, call: Node<'_>, object: Node<'_>, wrapper: Node<'_>, src: &[u8]) {
        let Some(arguments) = wrapper.field("arguments") else {
            return;
        };
        let callee = one_line(wrapper.field("function").map_or("?", |f| text(f, src)), 80);
        let before = self.mounts.len();
        self.mount_unplaced(call, object, &named_args(arguments), src, |name| {
            format!("`{name}` is mounted through `{callee}(...)`, which discover does not read")
        });
        for made in &mut self.mounts[before..] {
            made.through = true;
        }
    }

    /// Mounts each app or router of the file among `args` on `object` at a place discover
    /// cannot tell: `prefix_unresolved` with the reason `why` gives for its name, so that
    /// its routes get no URL rather than one under `/`.
    fn mount_unplaced(
        &mut self,
        call: Node<'_>,
        object: Node<'_>,
        args: &[Node<'_>],
        src: &[u8],
        why: impl Fn(&str) -> String,
    ) {
        for arg in args {
            let name = text(*arg, src);
            if arg.kind_str() != "identifier" || !self.is_router(call, name, src) {
                continue;
            }
            let child = self.lookup(call, name, src);
            self.mount_on(call, object, child, name.to_string(), Err(why(name)), src);
        }
    }

    /// Drops the mounts `mount_through` made of the parent itself or of an app or router
    /// above it in this file: the parent handing its app to a middleware's factory
    /// (koa-session's `app.use(session(CONFIG, app))`, `api.use(auth(app))` under
    /// `app.use('/api', api)`) configures the middleware and mounts nothing.
    fn drop_configuration_mounts(&mut self) {
        let above = |child: Name, parent: Name| {
            let mut frontier = vec![parent];
            let mut seen = Vec::new();
            while let Some(name) = frontier.pop() {
                if name == child {
                    return true;
                }
                if !matches!(name, Name::Bound(_)) || seen.contains(&name) {
                    continue;
                }
                seen.push(name);
                frontier.extend(
                    self.mounts
                        .iter()
                        .filter(|m| !m.through && m.child == name)
                        .map(|m| m.parent),
                );
            }
            false
        };
        let configuration: Vec<bool> = self
            .mounts
            .iter()
            .map(|m| m.through && above(m.child, m.parent))
            .collect();
        let mut index = 0;
        self.mounts.retain(|_| {
            index += 1;
            !configuration[index - 1]
        });
    }

    /// Fastify's `app.register(plugin, { prefix: '/v1' })`, the plugin a name or
    /// `require('./routes')` / `import('./routes')`.
    fn fastify_register(
        &mut self,
        call: Node<'_>,
        object: Node<'_>,
        args: &[Node<'_>],
        src: &[u8],
    ) {
        let Some(plugin) = args.first() else { return };
        let (child, child_text) = match plugin.kind_str() {
            "identifier" => (
                self.lookup(call, text(*plugin, src), src),
                text(*plugin, src),
            ),
            "call_expression" if require_of(*plugin, src).is_some() => {
                (Name::Free, text(*plugin, src))
            }
            _ => return,
        };
        let prefix = match args.get(1) {
            Some(options) if options.kind_str() == "object" => {
                object_property(*options, "prefix", src)
                    .map_or(Ok(Segment::text("")), |v| self.value(v, src))
            }
            Some(options) => Err(format!(
                "the options `{}` are not an object literal",
                one(*options, src)
            )),
            None => Ok(Segment::text("")),
        };
        self.mount_on(call, object, child, child_text.to_string(), prefix, src);
    }

    /// A JavaScript mount `call` makes on `object` (`app.use('/v1', routes)`,
    /// `app.register(plugin, { prefix })`, `mountRoutes(app)`): the parent is what `object`
    /// names at the call.
    fn mount_on(
        &mut self,
        call: Node<'_>,
        object: Node<'_>,
        child: Name,
        child_text: String,
        prefix: Result<Segment, String>,
        src: &[u8],
    ) {
        let (line, column) = position(chained_at(call));
        let attach = Attach {
            line,
            column,
            parent: self.lookup(call, text(object, src), src),
            parent_text: text(object, src).to_string(),
            child,
            child_text,
            child_module: None,
            prefix: Some(prefix),
            replaces: false,
            through: false,
            root: false,
        };
        self.mounts.push(attach);
    }

    /// A `use` inside `table.forEach((route) => router.use(route.path, route.route))` (or
    /// `({ path, route }) => ...`) over a mount table: each row's prefix and child.
    fn table_rows(
        &self,
        call: Node<'_>,
        args: &[Node<'_>],
        src: &[u8],
    ) -> Option<Vec<(Result<Segment, String>, String)>> {
        let [path, child] = args else { return None };
        let callback = scope_of(call)?;
        let for_each = callback
            .up()
            .filter(|p| p.kind_str() == "arguments")?
            .up()
            .filter(|p| p.kind_str() == "call_expression")?;
        let member = for_each.field("function")?;
        let table = member.field("object")?;
        if text(member.field("property")?, src) != "forEach" || table.kind_str() != "identifier" {
            return None;
        }
        let Name::Bound(index) = self.lookup(for_each, text(table, src), src) else {
            return None;
        };
        let Binding::Table(rows) = &self.bindings[index].binding else {
            return None;
        };
        // The property each argument reads: `route.path`, or a destructured `path`.
        let params = callback
            .field("parameters")
            .or_else(|| callback.field("parameter"))?;
        let param = if params.kind_str() == "identifier" {
            params
        } else {
            params.named_child(0)?
        };
        let key = |arg: Node<'_>| -> Option<String> {
            match (arg.kind_str(), param.kind_str()) {
                ("member_expression", "identifier") => {
                    let object = arg.field("object")?;
                    let property = arg.field("property")?;
                    (text(object, src) == text(param, src)).then(|| text(property, src).to_string())
                }
                ("identifier", "object_pattern") => {
                    let mut names = Vec::new();
                    visit_names(param, src, &mut |n| names.push(n.to_string()));
                    names
                        .contains(&text(arg, src).to_string())
                        .then(|| text(arg, src).to_string())
                }
                _ => None,
            }
        };
        let (path_key, child_key) = (key(*path)?, key(*child)?);
        let mut out = Vec::new();
        for row in rows {
            let cell = |k: &str| row.iter().find(|(key, _)| key == k).map(|(_, c)| c);
            let prefix = match cell(&path_key) {
                Some(Cell::Value(v)) => v.clone(),
                _ => Err(format!(
                    "a row of `{}` has no path `{path_key}`",
                    text(table, src)
                )),
            };
            let Some(Cell::Name(child)) = cell(&child_key) else {
                continue;
            };
            out.push((prefix, child.clone()));
        }
        Some(out)
    }

    fn is_router(&self, at: Node<'_>, name: &str, src: &[u8]) -> bool {
        // Most calls name no router: a scan of the bindings spares the scope walk.
        let named = self
            .bindings
            .iter()
            .any(|b| b.name == name && matches!(b.binding, Binding::Router(_) | Binding::App))
            || self
                .plugins
                .values()
                .any(|(parameter, _)| parameter == name);
        if !named {
            return false;
        }
        match self.lookup(at, name, src) {
            Name::Bound(i) => matches!(self.bindings[i].binding, Binding::Router(_) | Binding::App),
            _ => false,
        }
    }

    /// What the receiver `object` of a call at `at` names, when it is a plain name.
    fn name_at(&self, at: Node<'_>, object: Node<'_>, src: &[u8]) -> Name {
        if object.kind_str() == "identifier" {
            self.lookup(at, text(object, src), src)
        } else {
            Name::Free
        }
    }

    /// A prefix or path: a string literal, a string constant of the file, an imported
    /// name or attribute (read by the link stage), or an f-string / template literal / `+`
    /// of the file's own values.
    fn value(&self, node: Node<'_>, src: &[u8]) -> Result<Segment, String> {
        let written = || format!("`{}` is not a literal or a string constant", one(node, src));
        let text_only = |s: Segment| -> Result<String, String> {
            if s.is_text() {
                Ok(s.text)
            } else {
                Err(format!(
                    "`{}` joins a value of another file; only a whole prefix can be one",
                    one(node, src)
                ))
            }
        };
        match node.kind_str() {
            "string" | "template_string" => {
                if let Some(s) = string_literal(node, src) {
                    return Ok(Segment::text(s));
                }
                // The text between substitutions, and each substitution's value.
                let mut out = String::new();
                for part in node.kids() {
                    match part.kind_str() {
                        "string_content" | "string_fragment" => out.push_str(text(part, src)),
                        "interpolation" | "template_substitution" => {
                            // `{x!r}`, `{x:>3}`: a conversion or format spec is not evaluated.
                            let inner = part
                                .named_child(0)
                                .filter(|_| part.named_child_count() == 1)
                                .ok_or_else(written)?;
                            out.push_str(&text_only(self.value(inner, src)?)?);
                        }
                        "string_start" | "string_end" | "`" | "\"" | "'" => {}
                        _ => return Err(written()),
                    }
                }
                Ok(Segment::text(out))
            }
            "identifier" | "attribute" | "member_expression" => {
                let whole = text(node, src);
                let root = dotted_root(node, src).ok_or_else(written)?;
                match self.lookup(node, root, src) {
                    // A constant of the file, or a path-like attribute of one of its
                    // module-level classes or instances.
                    Name::Bound(i) if root == whole || self.bindings[i].module_level => self
                        .scopes
                        .get(&(self.module, whole.to_string()))
                        .filter(|_| root != whole)
                        .map_or(Some(i), |&j| Some(j))
                        .and_then(|j| match &self.bindings[j].binding {
                            Binding::Text(s) => Some(Segment::text(s.clone())),
                            _ => None,
                        })
                        .ok_or_else(written),
                    Name::Free => match self.imported.get(root) {
                        Some((module, imported)) => Ok(Segment {
                            text: whole.to_string(),
                            module: Some(module.clone()),
                            imported: Some(imported.clone()),
                        }),
                        None => Err(written()),
                    },
                    _ => Err(written()),
                }
            }
            "binary_expression" | "binary_operator" => {
                let (Some(left), Some(right), Some(op)) = (
                    node.field("left"),
                    node.field("right"),
                    node.field("operator"),
                ) else {
                    return Err(written());
                };
                if text(op, src) != "+" {
                    return Err(written());
                }
                Ok(Segment::text(format!(
                    "{}{}",
                    text_only(self.value(left, src)?)?,
                    text_only(self.value(right, src)?)?
                )))
            }
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => self.value(inner, src),
                None => Err(written()),
            },
            _ => Err(written()),
        }
    }

    /// Where the router named `name` where `at` is serves its routes, as far as this file
    /// tells: through every mount up to an app, a router the file does not mount, or an
    /// imported one.
    pub fn partial_of(&self, at: Node<'_>, name: &str, src: &[u8]) -> Result<Partial, String> {
        self.partial_within(self.lookup(at, name, src), name, 0)
    }

    fn partial_within(&self, name: Name, shown: &str, depth: usize) -> Result<Partial, String> {
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
            Name::Free => return self.imported_anchor(shown),
        };
        let bound = &self.bindings[index];
        let app = matches!(bound.binding, Binding::App);
        let own = match &bound.binding {
            Binding::App => self.bases.get(&index).cloned(),
            Binding::Router(prefix) => Some(prefix.clone()),
            // `app = create_app()` at module level: the factory's app, of this file or
            // another.
            Binding::Result(callee) if bound.module_level => {
                let callee = callee.as_str();
                return match self.scopes.get(&(self.module, callee.to_string())) {
                    Some(&function) if self.is_factory(function) => {
                        self.partial_within(Name::Bound(function), callee, depth + 1)
                    }
                    // Imported: a name, a function of an imported module, a module.
                    None if callee.starts_with("require(")
                        || self
                            .imported
                            .contains_key(callee.split('.').next().unwrap_or(callee)) =>
                    {
                        self.imported_anchor(&format!("{callee}()"))
                    }
                    _ => Err(format!(
                        "`{shown}` is what `{callee}()` returns, which is no app or router factory discover can name"
                    )),
                };
            }
            _ => {
                return Err(format!(
                    "`{shown}` is not an app or router this file creates"
                ));
            }
        };
        // What serves a factory's app as it is counts in the link stage, with its mounts in
        // every file.
        let mounts: Vec<&Attach> = (self.mounts.iter())
            .filter(|m| m.child == name && !m.root)
            .collect();
        if mounts.is_empty() {
            // Made by a factory: served wherever the factory's result is.
            if let Some(&function) = self.factories.get(&index) {
                let function_name = &self.bindings[function].name;
                return self.partial_within(Name::Bound(function), function_name, depth + 1);
            }
            if self.escaped.contains(&index) {
                return Err(format!(
                    "`{shown}` is returned by a function discover cannot name: it is served wherever that function's caller puts it"
                ));
            }
        }
        match (mounts.as_slice(), own) {
            // A module-level app may be mounted by another file (`app.mount("/v2", v2)`):
            // the link stage decides (the app's item carries its base path); an app made in
            // a function that is no factory is served at `/`, below its base path.
            ([], _) if app && bound.module_level && bound.name != DJANGO_ROOT => Ok(Partial {
                anchor: Anchor::Local(bound.name.clone()),
                prefix: Vec::new(),
            }),
            ([], _) if app && self.factory_scopes.contains(&bound.scope) => Err(format!(
                "`{shown}` is made in a factory that returns something else: it is served below wherever that is"
            )),
            ([], own) if app => {
                let mut partial = Partial::root();
                if let Some(own) = own {
                    partial.push(own?, self.python);
                }
                Ok(partial)
            }
            ([], _) if bound.module_level => Ok(Partial {
                anchor: Anchor::Local(bound.name.clone()),
                prefix: Vec::new(),
            }),
            ([], _) => Err(format!(
                "router `{shown}` is created inside a function that does not mount it"
            )),
            ([mount], own) => {
                let mut partial =
                    self.partial_within(mount.parent, &mount.parent_text, depth + 1)?;
                if let Some(prefix) = &mount.prefix {
                    partial.push(prefix.clone()?, self.python);
                }
                // Flask: a `url_prefix` given at registration replaces the blueprint's own.
                if !mount.replaces
                    && let Some(own) = own
                {
                    partial.push(own?, self.python);
                }
                Ok(partial)
            }
            (several, _) => Err(format!(
                "`{shown}` is mounted {} times in this file",
                several.len()
            )),
        }
    }

    /// A router of another file, named as written.
    fn imported_anchor(&self, shown: &str) -> Result<Partial, String> {
        if let Some(rest) = shown.strip_prefix("require(") {
            // `require('./api')()`: what the module exports, called.
            let (module, imported) = match rest.strip_suffix(")()") {
                Some(module) => (module, "default"),
                None => (rest.strip_suffix(')').unwrap_or(rest), "*"),
            };
            let module = module.trim_matches(|c| c == '\'' || c == '"' || c == '`');
            return Ok(Partial {
                anchor: Anchor::Imported {
                    name: shown.to_string(),
                    module: module.to_string(),
                    imported: imported.to_string(),
                },
                prefix: Vec::new(),
            });
        }
        // A factory's result, `createApi()`, is the function's.
        let root = shown.split('.').next().unwrap_or(shown);
        let root = root.strip_suffix("()").unwrap_or(root);
        match self.imported.get(root) {
            Some((module, imported)) => Ok(Partial {
                anchor: Anchor::Imported {
                    name: shown.to_string(),
                    module: module.clone(),
                    imported: imported.clone(),
                },
                prefix: Vec::new(),
            }),
            None => Err(format!(
                "`{shown}` is not an app or router this file creates or imports"
            )),
        }
    }

    /// The mounts extractor's items: the file's module-level apps, routers and path
    /// constants, and every mount of a module-level or imported router.
    pub fn items(&self, file: &str) -> Vec<Mount> {
        let mut out = Vec::new();
        let item = |line, column, kind, name: &str| Mount {
            file: file.to_string(),
            line,
            column,
            kind,
            name: name.to_string(),
            id: None,
            module: None,
            imported: None,
            prefix: Vec::new(),
            prefix_unresolved: None,
            parent: None,
            replaces: false,
            factory: false,
            served: false,
        };
        for (index, bound) in (self.bindings.iter().enumerate())
            .filter(|(_, b)| b.module_level && b.name != DJANGO_ROOT)
        {
            let mut mount = match &bound.binding {
                Binding::App | Binding::Router(_) => {
                    let (kind, prefix) = match &bound.binding {
                        Binding::Router(prefix) => (MountKind::Router, Some(prefix)),
                        _ => (MountKind::App, self.bases.get(&index)),
                    };
                    let mut mount = item(bound.line, bound.column, kind, &bound.name);
                    mount.factory =
                        kind == MountKind::App && !self.python && self.is_factory(index);
                    match prefix {
                        None => {}
                        Some(Ok(p)) if p.is_text() && p.text.is_empty() => {}
                        Some(Ok(p)) => mount.prefix.push(p.clone()),
                        Some(Err(reason)) => mount.prefix_unresolved = Some(reason.clone()),
                    }
                    mount
                }
                Binding::Text(value) if is_path(value) => {
                    let mut mount =
                        item(bound.line, bound.column, MountKind::Constant, &bound.name);
                    mount.prefix.push(Segment::text(value.clone()));
                    mount
                }
                _ => continue,
            };
            mount.id = Some(format!("{file}#{}", bound.name));
            out.push(mount);
        }
        for attach in &self.mounts {
            let mut mount = item(
                attach.line,
                attach.column,
                MountKind::Mount,
                &attach.child_text,
            );
            match attach.child {
                _ if attach.child_module.is_some() => mount.module = attach.child_module.clone(),
                Name::Bound(i) => {
                    let bound = &self.bindings[i];
                    if !bound.module_level
                        || !matches!(bound.binding, Binding::App | Binding::Router(_))
                    {
                        continue;
                    }
                    mount.id = Some(format!("{file}#{}", bound.name));
                }
                Name::Free => match self.imported_anchor(&attach.child_text) {
                    Ok(Partial {
                        anchor:
                            Anchor::Imported {
                                module, imported, ..
                            },
                        ..
                    }) => {
                        mount.module = Some(module);
                        mount.imported = Some(imported);
                    }
                    _ => continue,
                },
                Name::Parameter => continue,
            }
            mount.replaces = attach.replaces;
            if attach.root {
                mount.served = true;
                out.push(mount);
                continue;
            }
            let prefix = attach.prefix.clone().unwrap_or(Ok(Segment::text("")));
            let parent = self.partial_within(attach.parent, &attach.parent_text, 0);
            match (prefix, parent) {
                (Ok(prefix), Ok(mut parent)) => {
                    // Everything below the parent's anchor is the mount's prefix.
                    parent.push(prefix, self.python);
                    mount.prefix = std::mem::take(&mut parent.prefix);
                    if !matches!(parent.anchor, Anchor::Root) {
                        mount.parent = Some(parent.via(file));
                    }
                }
                (Err(reason), _) | (_, Err(reason)) => mount.prefix_unresolved = Some(reason),
            }
            out.push(mount);
        }
        out
    }
}

/// Words of files that may mount a router or declare a route (perhaps on a plugin
/// function's parameter): only those are read below their module-level statements, where
/// apps and routers are made.
static ROUTER_WORDS: Words = Words::joined(&[
    &[
        "include_router",
        "register_blueprint",
        ".mount(",
        ".use(",
        ".route(",
        ".register(",
        "urlpatterns",
        // A call with a path literal: a route, perhaps on a plugin function's parameter.
        "('/",
        "(\"/",
        "(`/",
    ],
    // What serves a factory's app may sit in a function too (`main()`, a test).
    super::gates::MAKER_WORDS,
    super::gates::SERVED_WORDS,
]);

/// How deep the `mounts` extractor looks in a file: below its module-level statements only
/// in files with a router word, or JS files that pass the routes gate (a path array, a
/// koa-router name before the path), whose routes may be declared on a plugin's parameter.
pub fn depth(lang: Lang, src: &[u8]) -> usize {
    if ROUTER_WORDS.any_in(src) || (lang.is_js_like() && super::gates::routes_gate(src)) {
        MAX_DEPTH
    } else {
        MODULE_LEVEL
    }
}

/// The `mounts` extractor.
pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<Mount> {
    let mut items = scan.routers(scan.mounts_depth()).items(scan.path);
    items.sort();
    items
}

/// Member calls that make a function's first parameter a router: the function is then a
/// plugin, served wherever it is handed an app.
const PLUGIN_CALLS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "all",
    "route",
    "register",
    "include_router",
    "register_blueprint",
    "add_url_rule",
    "api_route",
    "websocket",
];

/// The first parameter's name of a function.
fn first_parameter<'s>(function: Node<'_>, src: &'s [u8]) -> Option<&'s str> {
    let params = function
        .field("parameters")
        .or_else(|| function.field("parameter"))?;
    let first = if params.kind_str() == "identifier" {
        params
    } else {
        params.named_child(0)?
    };
    let first = match first.kind_str() {
        "identifier" => first,
        // `(app: FastifyInstance)`, `app: Flask`
        "required_parameter" | "optional_parameter" | "typed_parameter" => {
            first.field("pattern").or_else(|| first.named_child(0))?
        }
        _ => return None,
    };
    (first.kind_str() == "identifier").then(|| text(first, src))
}

/// The name under which a settings module's `ROOT_URLCONF` is bound: an app at `/`.
const DJANGO_ROOT: &str = "<ROOT_URLCONF>";

/// A Django `path()` / `re_path()` / `url()` call: its route and view arguments.
pub(super) fn django_pattern<'t>(call: Node<'t>, src: &[u8]) -> Option<(Node<'t>, Node<'t>)> {
    let function = call.field("function")?;
    let arguments = call.field("arguments")?;
    let name = match function.kind_str() {
        "identifier" => text(function, src),
        "attribute" => text(function.field("attribute")?, src),
        _ => return None,
    };
    if !matches!(name, "path" | "re_path" | "url") {
        return None;
    }
    let positional = py_args(arguments);
    let route = positional
        .first()
        .copied()
        .or_else(|| kwarg(arguments, "route", src))?;
    let view = positional
        .get(1)
        .copied()
        .or_else(|| kwarg(arguments, "view", src))?;
    Some((route, view))
}

/// A pattern's route as Django concatenates it: a `path()` literal; a regular expression
/// (`re_path`, `url`) cannot be joined into a URL.
pub(super) fn django_route(call: Node<'_>, route: Node<'_>, src: &[u8]) -> Result<String, String> {
    let regex = call.field("function").is_some_and(|f| {
        let name = text(f, src);
        name.ends_with("re_path") || name == "url" || name.ends_with(".url")
    });
    match string_literal(route, src) {
        Some(_) if regex => Err(format!("`{}` is a regular expression", one(route, src))),
        Some(literal) => Ok(literal.to_string()),
        None => Err(format!("`{}` is not a literal", one(route, src))),
    }
}

/// What `include(X)` includes: `X`, or the first element of `include((X, "ns"))`; `None`
/// when the view is no `include` call.
pub(super) fn include_target<'t>(view: Node<'t>, src: &[u8]) -> Option<Node<'t>> {
    if view.kind_str() != "call" {
        return None;
    }
    let function = view.field("function")?;
    let name = text(function, src);
    if name != "include" && !name.ends_with(".include") {
        return None;
    }
    let first = *py_args(view.field("arguments")?).first()?;
    if first.kind_str() == "tuple" {
        return first.named_child(0);
    }
    Some(first)
}

/// Whether a constant reads as a URL path.
fn is_path(value: &str) -> bool {
    value.starts_with('/') && value.len() <= 200 && !value.contains(char::is_whitespace)
}

/// The first name of a dotted expression (`settings` of `settings.API_V1_STR`), when the
/// expression is only names and dots.
fn dotted_root<'s>(node: Node<'_>, src: &'s [u8]) -> Option<&'s str> {
    let whole = text(node, src);
    super::routes::is_dotted(whole)
        .then(|| whole.split('.').next())
        .flatten()
}

/// The module of `require('./x')`.
/// The callee of a call that may be a factory's: a name, `module.function` on a plain
/// name, or `require('./x')` (called: `require('./x')(env)`).
fn factory_callee<'s>(function: Node<'_>, src: &'s [u8]) -> Option<&'s str> {
    let plain = match function.kind_str() {
        "identifier" => true,
        "member_expression" | "attribute" => function
            .field("object")
            .is_some_and(|o| o.kind_str() == "identifier"),
        "call_expression" => require_of(function, src).is_some(),
        _ => false,
    };
    plain.then(|| text(function, src))
}

fn require_of<'s>(call: Node<'_>, src: &'s [u8]) -> Option<&'s str> {
    let function = call.field("function")?;
    if text(function, src) != "require" {
        return None;
    }
    let args = named_args(call.field("arguments")?);
    match args.as_slice() {
        [only] => string_literal(*only, src),
        _ => None,
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

/// A route's URL: its path below its router's prefix (Express serves `router.get('/')`
/// mounted at `/v1` at `/v1`, not `/v1/`).
pub fn route_url(prefix: &str, path: &str, python: bool) -> String {
    let mut url = if !python && path == "/" && !prefix.is_empty() {
        prefix.to_string()
    } else {
        join(prefix, path, python)
    };
    if url.is_empty() || !url.starts_with('/') {
        url.insert(0, '/');
    }
    url
}

fn one(node: Node<'_>, src: &[u8]) -> String {
    super::syntax::one_line(text(node, src), 80)
}

/// Visits every named node with children to `levels` levels below the root `node`, in
/// document order, with the scope it is in (`scope_of`). The C walk, with tokens left out
/// and types and plain strings not entered (`calls::no_tokens`): a cursor's stepping cost
/// more than the rest of the extractor, every node this extractor reads has children, and
/// none sits in a type or a string. The walk passes through every ancestor of a node, so
/// it knows the scope that `scope_of` would find going up, one `parent()` at a time, each
/// a descent from the root (a third of the extractor's time before).
///
/// `walked`, when the call graph's walk collected them, are the nodes of the kinds the
/// visitor reads (`walked_kinds`) with their scopes: the same visits, without a walk.
fn collect<'t>(
    node: Node<'t>,
    lang: Lang,
    levels: usize,
    walked: Option<&[Walked<'t>]>,
    visit: &mut dyn FnMut(Node<'t>, Option<Node<'t>>),
) {
    let levels = u32::try_from(levels).unwrap_or(u32::MAX);
    if let Some(walked) = walked {
        for w in walked.iter().filter(|w| w.depth <= levels) {
            visit(w.node, w.scope);
        }
        return;
    }
    let mut scopes: Vec<(u32, Node<'t>)> = Vec::new();
    for step in Preorder::to_depth(node, super::calls::no_tokens(lang), levels) {
        while scopes.last().is_some_and(|(depth, _)| *depth >= step.depth) {
            scopes.pop();
        }
        if step.node.is_named() {
            visit(step.node, scopes.last().map(|(_, scope)| *scope));
            if is_scope(step.node) {
                scopes.push((step.depth, step.node));
            }
        }
    }
}

/// The app or router a chain of calls starts from: `app` in `app.route('/a', a)` and in
/// `app.use(x).get('/y', h)`. Each call of the chain must return its receiver: `use`, a
/// two-argument `route` (Hono's mount; Express's one-argument `route('/x')` returns a
/// route), or a route registration.
fn chain_base<'t>(call: Node<'t>, src: &[u8]) -> Option<Node<'t>> {
    chain_start(call, src).filter(|start| start.kind_str() == "identifier")
}

/// Whether `call` returns its receiver: `use`, a two-argument `route` (Hono's mount;
/// Express's one-argument `route('/x')` returns a route), or a route registration.
fn returns_receiver(call: Node<'_>, src: &[u8]) -> bool {
    let Some(property) = call.field("function").and_then(|f| f.field("property")) else {
        return false;
    };
    match text(property, src) {
        "use" => true,
        "route" => call
            .field("arguments")
            .is_some_and(|a| named_args(a).len() >= 2),
        method => super::routes::JS_METHODS.iter().any(|(m, _)| *m == method),
    }
}

/// What a chain of calls that each return their receiver starts from: `app` in
/// `app.use(x).get('/y', h)`, `new Hono()` in `new Hono().get('/a', h)`, the call
/// `new Hono().basePath('/api')` in `new Hono().basePath('/api').get('/a', h)`.
fn chain_start<'t>(call: Node<'t>, src: &[u8]) -> Option<Node<'t>> {
    if !returns_receiver(call, src) {
        return None;
    }
    let object = call.field("function")?.field("object")?;
    if object.kind_str() == "call_expression" && returns_receiver(object, src) {
        return chain_start(object, src);
    }
    Some(object)
}

/// `new Hono()` or `new Hono().basePath(p)`: `Some` with the base path, if any.
fn new_hono<'t>(node: Node<'t>, src: &[u8]) -> Option<Option<Node<'t>>> {
    let is_new = |n: Node<'_>| {
        n.kind_str() == "new_expression"
            && n.field("constructor")
                .is_some_and(|c| text(c, src) == "Hono")
    };
    if is_new(node) {
        return Some(None);
    }
    let function = node
        .field("function")
        .filter(|_| node.kind_str() == "call_expression")?;
    if !function.field("object").is_some_and(is_new)
        || text(function.field("property")?, src) != "basePath"
    {
        return None;
    }
    match named_args(node.field("arguments")?)[..] {
        [path] => Some(Some(path)),
        _ => None,
    }
}

/// The app a chain of calls on `new Hono()` builds, when a declaration names it: `route`
/// in `const route = new Hono().get('/a', h).post('/b', h)` (Hono's RPC style), for each
/// call of the chain. The name node, whose text is the app's name where `call` is.
pub(super) fn chain_declared<'t>(call: Node<'t>, src: &[u8]) -> Option<Node<'t>> {
    new_hono(chain_start(call, src)?, src)?;
    let mut top = call;
    while let Some(member) = top
        .up()
        .filter(|p| p.kind_str() == "member_expression" && p.field("object") == Some(top))
    {
        let Some(outer) = member
            .up()
            .filter(|p| p.kind_str() == "call_expression" && p.field("function") == Some(member))
        else {
            // `new Hono().get('/a', h).fetch`: the app is not what is declared.
            return None;
        };
        if !returns_receiver(outer, src) {
            return None;
        }
        top = outer;
    }
    let declarator = top
        .up()
        .filter(|p| p.kind_str() == "variable_declarator" && p.field("value") == Some(top))?;
    declarator
        .field("name")
        .filter(|n| n.kind_str() == "identifier")
}

/// Where a route or mount that `call` makes sits: the call, or its method's name when the
/// call is chained on another (`app.get('/a', a).post('/b', b)`, `app.route('/a',
/// a).route('/b', b)`) or its method starts a later line (`router\n  .get(...)`): the call
/// itself starts where the chain does.
pub(super) fn chained_at<'t>(call: Node<'t>) -> Node<'t> {
    let chained = call.field("function").and_then(|function| {
        let object = function.field("object")?;
        let property = function.field("property")?;
        (object.kind_str() == "call_expression"
            || property.start_position().row != call.start_position().row)
            .then_some(property)
    });
    chained.unwrap_or(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nodes the call graph's walk collects for finding the routers are, with their
    /// scopes, those the search's own walk visits and reads: on every fixture.
    #[test]
    fn the_call_graph_walk_collects_what_the_routers_search_reads() {
        let (mut nodes, mut inner) = (0, 0);
        let files = super::super::for_each_fixture(|path, lang, text, tree| {
            let root = tree.root_node();
            let (walked, _) = super::super::calls::walk_collecting(path, lang, text, root);
            let reads = if lang.is_js_like() {
                JS_READS
            } else {
                PYTHON_READS
            };
            let mut own = Vec::new();
            collect(root, lang, MAX_DEPTH, None, &mut |node, scope| {
                if reads.contains(&node.kind_str()) {
                    own.push((node, scope));
                }
            });
            let collected: Vec<_> = walked.iter().map(|w| (w.node, w.scope)).collect();
            assert_eq!(collected, own, "{path}");
            nodes += own.len();
            inner += own
                .iter()
                .filter(|(_, scope)| scope.is_some_and(|s| s != root))
                .count();
        });
        assert!(files > 50, "only {files} fixture files were read");
        assert!(
            nodes > 1000 && inner > 100,
            "{nodes} nodes, {inner} in functions"
        );
    }

    /// `is_scope_kind` is the list the walk's tables are made from.
    #[test]
    fn scope_kinds_agree() {
        for lang in Lang::ALL {
            let grammar = lang.grammar();
            for id in 0..grammar.node_kind_count() {
                let Some(name) = u16::try_from(id)
                    .ok()
                    .and_then(|id| grammar.node_kind_for_id(id))
                else {
                    continue;
                };
                assert_eq!(
                    is_scope_kind(name),
                    SCOPE_KINDS.contains(&name),
                    "{lang} {name}"
                );
            }
        }
    }
}
