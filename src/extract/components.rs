//! The `components` extractor: React function, arrow, wrapped and class components.

use super::react::{
    FactNode, body_facts_from, declarators_outside_functions, for_each_descendant,
    for_each_descendant_outside_functions, returns_jsx,
};
use super::scan::Scan;
use super::symbols::ExportList;
use super::syntax::NodeExt;
use super::syntax::{one_line, position, text};
use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tree_sitter::Node;

/// Capture names `extractors/components/*.scm` may use.
pub const CAPTURES: &[&str] = &["function", "wrapped", "class", "alias", "name", "default"];

/// Deepest start of a candidate: `export > lexical_declaration > variable_declarator` is 3;
/// components defined inside functions are local and not part of the module's shape.
const MAX_DEPTH: u32 = 3;

const TYPE_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Component {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The definition's stable id, `path#Qualified.Name` (see the calls extractor).
    pub id: String,
    #[serde(default = "crate::render::name_left_out")]
    pub name: String,
    pub kind: ComponentKind,
    #[serde(default)]
    pub exported: bool,
    #[serde(default)]
    pub default: bool,
    /// Wrapping calls, outermost first, as written: `React.memo`, `forwardRef`, `observer`.
    #[serde(default)]
    pub wrappers: Vec<String>,
    /// For `const Public = memo(Impl)`: the component of this file it wraps, whose props,
    /// hooks, children and contexts it repeats.
    pub wraps: Option<String>,
    /// Destructured prop names, in source order; `...rest` for a rest element.
    #[serde(default)]
    pub props: Vec<String>,
    /// The props parameter's declared type, or the type argument of `React.FC<...>`,
    /// `forwardRef<Ref, Props>` and `Component<Props>`.
    pub props_type: Option<String>,
    #[serde(default)]
    pub hooks: Vec<String>,
    #[serde(default)]
    pub children: Vec<String>,
    #[serde(default)]
    pub contexts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComponentKind {
    Function,
    Arrow,
    Class,
    /// `const FooProvider = FooContext.Provider`: a context's provider or consumer.
    Alias,
}

impl ComponentKind {
    pub const ALL: [ComponentKind; 4] = [
        ComponentKind::Function,
        ComponentKind::Arrow,
        ComponentKind::Class,
        ComponentKind::Alias,
    ];

    /// As JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            ComponentKind::Function => "function",
            ComponentKind::Arrow => "arrow",
            ComponentKind::Class => "class",
            ComponentKind::Alias => "alias",
        }
    }
}

impl Component {
    /// The component's line in a chunk file of `file`'s, as the generic rendering writes it
    /// (`render::chunk_files`): `false`, `null` and empty lists left out, an id into the
    /// file as `#Name`, and the `name` that id gives left out.
    pub fn write_line(&self, out: &mut Vec<u8>, file: &str) {
        use crate::render::{
            Names, item_head, write_flag, write_id, write_name, write_opt_str, write_str_list,
        };
        item_head(out, self.line, self.column);
        let qualified = write_id(out, &self.id, file);
        write_name(out, qualified, Names::Qualified, &self.name);
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(self.kind.name().as_bytes());
        out.push(b'"');
        write_flag(out, b"\"exported\"", self.exported);
        write_flag(out, b"\"default\"", self.default);
        write_str_list(out, b"\"wrappers\"", &self.wrappers);
        write_opt_str(out, b"\"wraps\"", self.wraps.as_deref());
        write_str_list(out, b"\"props\"", &self.props);
        write_opt_str(out, b"\"props_type\"", self.props_type.as_deref());
        write_str_list(out, b"\"hooks\"", &self.hooks);
        write_str_list(out, b"\"children\"", &self.children);
        write_str_list(out, b"\"contexts\"", &self.contexts);
        out.push(b'}');
    }
}

/// Export status of module-level definitions: the file's separate export statements
/// (`symbols::ExportList`) plus an `export` in front of the definition itself.
pub struct ModuleExports<'a>(pub &'a ExportList);

impl ModuleExports<'_> {
    /// Whether the definition `node` named `name` is exported, and whether as the default:
    /// by an `export` in front of it or by a separate statement.
    pub fn status(&self, node: Node<'_>, name: &str) -> (bool, bool) {
        let mut exported = self.0.contains(name);
        let mut default = self.0.is_default(name);
        for up in std::iter::once(node).chain(super::syntax::ancestors(node)) {
            if up.kind_str() == "export_statement" {
                exported = true;
                default |= up.kids().into_iter().any(|c| c.kind_str() == "default");
                break;
            }
            if matches!(up.kind_str(), "program" | "statement_block" | "class_body") {
                break;
            }
        }
        (exported, default)
    }
}

/// A `memo(Foo)`-style wrapping of a component defined elsewhere in the file.
struct Wrapping {
    target: String,
    wrappers: Vec<String>,
    /// `export default memo(Foo)`: no name of its own.
    default: bool,
    /// `const Public = memo(Foo)`: the name, its position and export status.
    alias: Option<(String, u32, u32, bool, bool)>,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<Component> {
    let source = scan.text;
    let exports = ModuleExports(scan.exports);
    let mut found: Vec<Component> = Vec::new();
    let mut wrappings: Vec<Wrapping> = Vec::new();
    let root = scan.root;
    let lang = scan.lang;
    let path = scan.path;
    let fact_nodes = scan.fact_nodes();
    scan.matches(root, Some(MAX_DEPTH), |m| {
        let name_node = m.get("name");
        let name = name_node.map_or("default", |n| text(n, source));
        let anchor = m.get("default").or(name_node);
        let declared_type = name_node
            .and_then(|n| n.up())
            .and_then(|declarator| declarator.field("type"))
            .and_then(|annotation| fc_props_type(annotation, source));
        if let (Some(alias), Some(name_node)) = (m.get("alias"), name_node) {
            let (exported, default) = exports.status(name_node, name);
            let (line, column) = position(name_node);
            let context = alias.field("object").map(|o| text(o, source).to_string());
            found.push(Component {
                file: path.to_string(),
                line,
                column,
                id: name.to_string(),
                name: name.to_string(),
                kind: ComponentKind::Alias,
                exported,
                default,
                wrappers: Vec::new(),
                wraps: None,
                props: Vec::new(),
                props_type: None,
                hooks: Vec::new(),
                children: Vec::new(),
                contexts: context.into_iter().collect(),
            });
            return;
        }
        if let Some(class) = m.get("class") {
            if let Some(component) =
                class_component(class, name, source, path, &exports, lang, fact_nodes)
            {
                found.push(component);
            }
            return;
        }
        let (function, wrappers, wrapped_type) = if let Some(function) = m.get("function") {
            (function, Vec::new(), None)
        } else if let Some(call) = m.get("wrapped") {
            match unwrap(call, source) {
                Unwrapped::Function(function, wrappers, props_type) => {
                    (function, wrappers, props_type)
                }
                Unwrapped::Reference(target, wrappers) => {
                    if m.get("default").is_some() {
                        wrappings.push(Wrapping {
                            target,
                            wrappers,
                            default: true,
                            alias: None,
                        });
                    } else if let Some(name_node) = name_node {
                        let (line, column) = position(name_node);
                        let (exported, default) = exports.status(name_node, name);
                        wrappings.push(Wrapping {
                            target,
                            wrappers,
                            default: false,
                            alias: Some((name.to_string(), line, column, exported, default)),
                        });
                    }
                    return;
                }
                Unwrapped::Nothing => return,
            }
        } else {
            return;
        };
        let facts = function
            .field("body")
            .map(|b| body_facts_from(fact_nodes, b, source, lang));
        // A capitalised function that calls hooks is a component whatever it returns
        // (`null`, a string, `children`, `useMemo(() => <X/>)`); an anonymous default export
        // needs JSX.
        let calls_hooks =
            name_node.is_some() && facts.as_ref().is_some_and(|f| !f.hooks.is_empty());
        if !calls_hooks && !returns_jsx(function, source) {
            return;
        }
        let at = anchor.unwrap_or(function);
        let (exported, default) = exports.status(at, name);
        let (props, param_type) = props_of(function, source, lang, fact_nodes);
        let (line, column) = position(at);
        let kind = if function.kind_str() == "arrow_function" {
            ComponentKind::Arrow
        } else {
            ComponentKind::Function
        };
        let facts = facts.unwrap_or_default();
        found.push(Component {
            file: path.to_string(),
            line,
            column,
            id: name.to_string(),
            name: name.to_string(),
            kind,
            exported,
            default,
            wrappers,
            wraps: None,
            props,
            props_type: param_type.or(wrapped_type).or(declared_type),
            hooks: facts.hooks.into_iter().collect(),
            children: facts.children.into_iter().collect(),
            contexts: facts.contexts.into_iter().collect(),
        });
    });
    // `export default memo(Foo)` marks Foo as the default export; `const Bar =
    // observer(Foo)` is a component of its own that repeats what Foo does. Aliases of
    // aliases (`const A = memo(Impl); const B = observer(A)`) resolve in source order.
    for wrapping in wrappings {
        let Some(i) = found.iter().position(|c| c.name == wrapping.target) else {
            continue;
        };
        match wrapping.alias {
            None => {
                let component = &mut found[i];
                for wrapper in wrapping.wrappers {
                    if !component.wrappers.contains(&wrapper) {
                        component.wrappers.push(wrapper);
                    }
                }
                if wrapping.default {
                    component.default = true;
                    component.exported = true;
                }
            }
            Some((name, line, column, exported, default)) => {
                let mut alias = found[i].clone();
                alias.id = name.clone();
                alias.name = name;
                alias.line = line;
                alias.column = column;
                alias.exported = exported;
                alias.default = default;
                alias.wrappers = wrapping.wrappers;
                alias.wraps = Some(wrapping.target);
                found.push(alias);
            }
        }
    }
    found
}

enum Unwrapped<'t> {
    /// The wrapped function, the wrappers outermost first, and a props type from them.
    Function(Node<'t>, Vec<String>, Option<String>),
    /// The wrappers of a component named elsewhere: `memo(Foo)`.
    Reference(String, Vec<String>),
    Nothing,
}

/// Looks through nested wrapper calls to the function or name they wrap.
fn unwrap<'t>(call: Node<'t>, source: &[u8]) -> Unwrapped<'t> {
    let mut wrappers = Vec::new();
    let mut props_type = None;
    let mut current = call;
    loop {
        let Some(callee) = current.field("function") else {
            return Unwrapped::Nothing;
        };
        // A curried HOC (`connect(mapState)(Foo)`) or a member call: keep it as written.
        wrappers.push(one_line(text(callee, source), TYPE_MAX));
        if props_type.is_none()
            && let Some(args) = current.field("type_arguments")
        {
            let types: Vec<Node<'_>> = args.named_kids().into_iter().collect();
            // `forwardRef<Ref, Props>` puts the props second; `memo<Props>` first.
            let pick = if text(callee, source).ends_with("forwardRef") {
                types.get(1)
            } else {
                types.first()
            };
            props_type = pick.map(|t| one_line(text(*t, source), TYPE_MAX));
        }
        let Some(first) = current.field("arguments").and_then(|a| a.named_child(0)) else {
            return Unwrapped::Nothing;
        };
        match first.kind_str() {
            "arrow_function" | "function_expression" | "function" => {
                return Unwrapped::Function(first, wrappers, props_type);
            }
            "call_expression" => current = first,
            "identifier" => {
                return Unwrapped::Reference(text(first, source).to_string(), wrappers);
            }
            _ => return Unwrapped::Nothing,
        }
    }
}

/// The props a function component takes: destructured names of its first parameter (or
/// of `const { a } = props` in its body) and the parameter's declared type.
fn props_of(
    function: Node<'_>,
    source: &[u8],
    lang: Lang,
    fact_nodes: Option<&[FactNode<'_>]>,
) -> (Vec<String>, Option<String>) {
    let first = function
        .field("parameters")
        .and_then(|p| p.named_child(0))
        .or_else(|| function.field("parameter"));
    let Some(first) = first else {
        return (Vec::new(), None);
    };
    // TypeScript wraps a parameter with its annotation; JavaScript gives the pattern.
    let (pattern, declared) = match first.kind_str() {
        "required_parameter" | "optional_parameter" => (
            first.field("pattern"),
            first
                .field("type")
                .and_then(|t| t.named_child(0))
                .map(|t| one_line(text(t, source), TYPE_MAX)),
        ),
        _ => (Some(first), None),
    };
    let Some(mut pattern) = pattern else {
        return (Vec::new(), declared);
    };
    if pattern.kind_str() == "assignment_pattern"
        && let Some(left) = pattern.field("left")
    {
        pattern = left;
    }
    match pattern.kind_str() {
        "object_pattern" => (pattern_names(pattern, source), declared),
        "identifier" => {
            let param = text(pattern, source);
            let mut names = Vec::new();
            if let Some(body) = function.field("body") {
                let read = |node: Node<'_>| {
                    // `const props = useThemeProps({ props: inProps })` is a common way to
                    // fill in defaults before destructuring.
                    if node.kind_str() == "variable_declarator"
                        && node.field("value").is_some_and(
                            |v| matches!(text(v, source), p if p == param || p == "props"),
                        )
                        && let Some(target) = node
                            .field("name")
                            .filter(|n| n.kind_str() == "object_pattern")
                    {
                        names.extend(pattern_names(target, source));
                    }
                };
                // Declarators are neither tokens nor inside types or plain strings, and
                // nested functions' own are not this one's.
                match fact_nodes {
                    Some(found) => declarators_outside_functions(found, body, lang, read),
                    None => for_each_descendant_outside_functions(body, lang, read),
                }
            }
            (names, declared)
        }
        _ => (Vec::new(), declared),
    }
}

/// The property names an object pattern binds, in source order.
fn pattern_names(pattern: Node<'_>, source: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for property in pattern.named_kids() {
        let name = match property.kind_str() {
            "shorthand_property_identifier_pattern" => Some(text(property, source).to_string()),
            "pair_pattern" => property.field("key").map(|k| text(k, source).to_string()),
            "object_assignment_pattern" => {
                property.field("left").map(|k| text(k, source).to_string())
            }
            "rest_pattern" => property
                .named_child(0)
                .map(|r| format!("...{}", text(r, source))),
            _ => None,
        };
        if let Some(name) = name
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// `React.FC<Props>`, `FC<Props>`, `React.FunctionComponent<Props>`,
/// `React.ComponentType<Props>`: the props type argument of a variable's annotation.
fn fc_props_type(annotation: Node<'_>, source: &[u8]) -> Option<String> {
    let generic = annotation.named_child(0)?;
    if generic.kind_str() != "generic_type" {
        return None;
    }
    let name = text(generic.field("name")?, source);
    let last = name.rsplit('.').next().unwrap_or(name);
    if !matches!(
        last,
        "FC" | "FunctionComponent" | "VFC" | "ComponentType" | "VoidFunctionComponent"
    ) {
        return None;
    }
    let args = generic.field("type_arguments")?;
    let first = args.named_child(0)?;
    Some(one_line(text(first, source), TYPE_MAX))
}

/// A class component: a class extending `Component` / `PureComponent` (from React or not),
/// or any class whose `render` method returns JSX.
fn class_component(
    class: Node<'_>,
    name: &str,
    source: &[u8],
    path: &str,
    exports: &ModuleExports<'_>,
    lang: Lang,
    fact_nodes: Option<&[super::react::FactNode<'_>]>,
) -> Option<Component> {
    let heritage = {
        class
            .named_kids()
            .into_iter()
            .find(|c| c.kind_str() == "class_heritage")?
    };
    let body = class.field("body")?;
    let base = react_base(heritage, source);
    let render = {
        body.named_kids().into_iter().find(|m| {
            m.kind_str() == "method_definition"
                && m.field("name").is_some_and(|n| text(n, source) == "render")
        })
    };
    let renders_jsx = render.is_some_and(|r| returns_jsx(r, source));
    if base.is_none() && !renders_jsx {
        return None;
    }
    let facts = body_facts_from(fact_nodes, body, source, lang);
    let mut props = Vec::new();
    let mut contexts: BTreeSet<String> = facts.contexts;
    for_each_descendant(body, |node| {
        match node.kind_str() {
            // `const { a, b } = this.props`
            "variable_declarator" => {
                if node
                    .field("value")
                    .is_some_and(|v| text(v, source) == "this.props")
                    && let Some(target) = node
                        .field("name")
                        .filter(|n| n.kind_str() == "object_pattern")
                {
                    for name in pattern_names(target, source) {
                        if !props.contains(&name) {
                            props.push(name);
                        }
                    }
                }
            }
            // `this.props.a`
            "member_expression" => {
                if node
                    .field("object")
                    .is_some_and(|o| text(o, source) == "this.props")
                    && let Some(property) = node.field("property")
                {
                    let name = text(property, source).to_string();
                    if !props.contains(&name) {
                        props.push(name);
                    }
                }
            }
            // `static contextType = ThemeContext`
            "public_field_definition" | "field_definition" => {
                let is_context = node
                    .field("name")
                    .or_else(|| node.field("property"))
                    .is_some_and(|n| text(n, source) == "contextType");
                if is_context && let Some(value) = node.field("value") {
                    contexts.insert(text(value, source).to_string());
                }
            }
            _ => {}
        }
        true
    });
    let (exported, default) = exports.status(class, name);
    let (line, column) = position(class.field("name").unwrap_or(class));
    Some(Component {
        file: path.to_string(),
        line,
        column,
        id: name.to_string(),
        name: name.to_string(),
        kind: ComponentKind::Class,
        exported,
        default,
        wrappers: Vec::new(),
        wraps: None,
        props,
        props_type: base.flatten(),
        hooks: Vec::new(),
        children: facts.children.into_iter().collect(),
        contexts: contexts.into_iter().collect(),
    })
}

/// `Some(props type)` when the class extends `Component` or `PureComponent` (bare or as
/// a member such as `React.Component`), `None` otherwise.
fn react_base(heritage: Node<'_>, source: &[u8]) -> Option<Option<String>> {
    let mut found = None;
    for_each_descendant(heritage, |node| {
        if found.is_some() {
            return false;
        }
        let (base, args) = match node.kind_str() {
            "identifier" | "member_expression" => (node, None),
            "generic_type" => (
                match node.field("name") {
                    Some(n) => n,
                    None => return true,
                },
                node.field("type_arguments"),
            ),
            _ => return true,
        };
        let written = text(base, source);
        let last = written.rsplit('.').next().unwrap_or(written);
        if matches!(last, "Component" | "PureComponent") {
            // TS writes `extends React.Component<Props>`: the arguments follow the name.
            let args = args.or_else(|| {
                base.next_named_sibling()
                    .filter(|s| s.kind_str() == "type_arguments")
            });
            found = Some(
                args.and_then(|a| a.named_child(0))
                    .map(|t| one_line(text(t, source), TYPE_MAX)),
            );
            return false;
        }
        node.kind_str() != "member_expression"
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Items;

    #[test]
    fn kind_names_are_the_serde_names() {
        crate::extract::assert_serde_names(&ComponentKind::ALL, ComponentKind::name);
    }

    fn component(file: &str, id: &str, name: &str) -> Component {
        Component {
            file: file.to_string(),
            line: 3,
            column: 6,
            id: id.to_string(),
            name: name.to_string(),
            kind: ComponentKind::Arrow,
            exported: false,
            default: false,
            wrappers: Vec::new(),
            wraps: None,
            props: Vec::new(),
            props_type: None,
            hooks: Vec::new(),
            children: Vec::new(),
            contexts: Vec::new(),
        }
    }

    /// The direct rendering against the generic one (`to_output_json` holds them equal in
    /// debug builds and checks the bytes read back): every field set and none, a name the
    /// id gives or not, a foreign id, escapes.
    #[test]
    fn the_direct_rendering_is_the_generic_one() {
        let odd = "src/q\"\\ü\u{2}.tsx";
        let mut full = component(odd, &format!("{odd}#Outer.Card~2"), "Outer.Card");
        full.kind = ComponentKind::Function;
        full.exported = true;
        full.default = true;
        full.wrappers = vec!["React.memo".into(), "forwardRef".into()];
        full.wraps = Some("Impl\"".into());
        full.props = vec!["title".into(), "...rest".into()];
        full.props_type = Some("Props<\"a\">\n".into());
        full.hooks = vec!["useState".into()];
        full.children = vec!["Button".into(), "Icon".into()];
        full.contexts = vec!["Theme".into()];
        let mut items = vec![
            full,
            component(odd, &format!("{odd}#Bare"), "Bare"),
            component(odd, &format!("{odd}#Named"), "Other"),
            component(odd, "elsewhere.tsx#Foreign", "Foreign"),
            component("b.jsx", "b.jsx#B", "B"),
        ];
        items.sort();
        let text = String::from_utf8(Items::Components(items).to_output_json("c")).unwrap();
        assert!(text.contains(
            "{\"line\":3,\"column\":6,\"id\":\"#Outer.Card~2\",\"kind\":\"function\",\
             \"exported\":true,\"default\":true,\"wrappers\":[\"React.memo\",\"forwardRef\"],\
             \"wraps\":\"Impl\\\"\",\"props\":[\"title\",\"...rest\"],\
             \"props_type\":\"Props<\\\"a\\\">\\n\",\"hooks\":[\"useState\"],\
             \"children\":[\"Button\",\"Icon\"],\"contexts\":[\"Theme\"]}"
        ));
        assert!(text.contains("{\"line\":3,\"column\":6,\"id\":\"#Bare\",\"kind\":\"arrow\"}"));
        assert!(text.contains("\"id\":\"#Named\",\"name\":\"Other\",\"kind\":\"arrow\"}"));
        assert!(text.contains("\"id\":\"elsewhere.tsx#Foreign\",\"name\":\"Foreign\","));
        assert!(text.ends_with("\n]\n}\n}\n"));
    }
}
