//! What React code does inside a function: the JSX it returns, the hooks it calls, the
//! components it renders. Shared by the components, hooks and calls extractors.

use super::preorder::Preorder;
use super::syntax::NodeExt;
use super::syntax::text;
use crate::lang::Lang;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use tree_sitter::Node;

/// Node kinds that start a new function scope in JS/TS.
pub fn is_js_function(kind: &str) -> bool {
    matches!(
        kind,
        "arrow_function"
            | "function_expression"
            | "function"
            | "function_declaration"
            | "generator_function"
            | "generator_function_declaration"
            | "method_definition"
    )
}

/// Whether an expression is JSX, looking through parentheses, `cond ? <A/> : null`,
/// `cond && <A/>`, `as` casts and `React.createElement(...)`.
pub fn is_jsx_value(node: Node<'_>, source: &[u8]) -> bool {
    match node.kind_str() {
        "jsx_element" | "jsx_self_closing_element" | "jsx_fragment" => true,
        "parenthesized_expression" | "as_expression" | "satisfies_expression" => {
            first_value(node).is_some_and(|inner| is_jsx_value(inner, source))
        }
        "ternary_expression" => {
            node.field("consequence")
                .is_some_and(|n| is_jsx_value(n, source))
                || node
                    .field("alternative")
                    .is_some_and(|n| is_jsx_value(n, source))
        }
        "binary_expression" => node.field("right").is_some_and(|n| is_jsx_value(n, source)),
        "call_expression" => node
            .field("function")
            .is_some_and(|f| matches!(text(f, source), "React.createElement" | "createElement")),
        _ => false,
    }
}

/// The first named child that is not a comment: `return ( // why\n <div/> )` holds a
/// comment before the element.
pub fn first_value(node: Node<'_>) -> Option<Node<'_>> {
    node.named_kids()
        .into_iter()
        .find(|c| c.kind_str() != "comment")
}

/// Whether a function returns JSX: an arrow whose body is JSX, or a `return` of JSX in its
/// own body (not in a nested function's, such as a `.map` callback).
pub fn returns_jsx(function: Node<'_>, source: &[u8]) -> bool {
    let Some(body) = function.field("body") else {
        return false;
    };
    if body.kind_str() != "statement_block" {
        return is_jsx_value(body, source);
    }
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        if node.kind_str() == "return_statement" {
            if first_value(node).is_some_and(|value| is_jsx_value(value, source)) {
                return true;
            }
            continue;
        }
        for child in node.named_kids() {
            if !is_js_function(child.kind_str()) && child.kind_str() != "class" {
                stack.push(child);
            }
        }
    }
    false
}

/// The hooks a function body calls, the components it renders and the contexts it reads,
/// each sorted and without repeats.
#[derive(Default)]
pub struct BodyFacts {
    pub hooks: BTreeSet<String>,
    pub children: BTreeSet<String>,
    pub contexts: BTreeSet<String>,
}

/// Whether `name` is a hook's name: `use` followed by a capital letter or digit.
pub fn is_hook_name(name: &str) -> bool {
    name.strip_prefix("use")
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The name under which a call's callee is recorded as a hook: `useX` and `React.useX`
/// give `useX`; `store.useX` stays whole; anything else is not a hook call.
pub fn hook_callee(callee: Node<'_>, source: &[u8]) -> Option<String> {
    match callee.kind_str() {
        "identifier" => {
            let name = text(callee, source);
            is_hook_name(name).then(|| name.to_string())
        }
        "member_expression" => {
            let property = text(callee.field("property")?, source);
            if !is_hook_name(property) {
                return None;
            }
            let object = text(callee.field("object")?, source);
            Some(if object == "React" {
                property.to_string()
            } else {
                format!("{object}.{property}")
            })
        }
        _ => None,
    }
}

/// The component a JSX element renders: a name starting with a capital letter, or a member
/// chain (`Foo.Bar`, `provider.Link`), kept whole; JSX treats both as components, and
/// lower-case plain names (`div`) as HTML elements.
pub fn rendered_component(element: Node<'_>, source: &[u8]) -> Option<String> {
    let name = element.field("name")?;
    let written = text(name, source);
    let is_component = match name.kind_str() {
        "identifier" => written.starts_with(|c: char| c.is_ascii_uppercase()),
        "member_expression" | "nested_identifier" => true,
        _ => false,
    };
    is_component.then(|| written.to_string())
}

/// The kind ids `body_facts` looks for, per grammar: comparing ids instead of names saves
/// a string comparison per node of every component and hook body.
struct FactKinds {
    call: u16,
    opening: u16,
    self_closing: u16,
}

fn fact_kinds(lang: Lang) -> &'static FactKinds {
    static KINDS: [OnceLock<FactKinds>; Lang::COUNT] = [const { OnceLock::new() }; Lang::COUNT];
    KINDS[lang.index()].get_or_init(|| {
        let language = lang.grammar();
        // 0 (the end of input) is never a node's kind: a grammar without JSX matches none.
        FactKinds {
            call: language.id_for_node_kind("call_expression", true),
            opening: language.id_for_node_kind("jsx_opening_element", true),
            self_closing: language.id_for_node_kind("jsx_self_closing_element", true),
        }
    })
}

/// Collects the body facts of `node` and everything under it, including nested callbacks (a
/// component rendered inside `items.map(...)` is still its child); an arrow's expression
/// body may itself be the hook call or the rendered element. Types and plain strings,
/// which hold neither calls nor JSX, are not walked: `walk` is the call graph's walk
/// without tokens (`calls::no_tokens`).
pub fn body_facts(node: Node<'_>, source: &[u8], lang: Lang, walk: &[u8]) -> BodyFacts {
    let mut facts = BodyFacts::default();
    let kinds = fact_kinds(lang);
    for visit in Preorder::new(node, walk) {
        if visit.kind == kinds.call {
            call_facts(visit.node, source, &mut facts);
        } else if (visit.kind == kinds.opening || visit.kind == kinds.self_closing)
            && let Some(child) = rendered_component(visit.node, source)
        {
            facts.children.insert(child);
        }
    }
    facts
}

/// The hook a call calls, and the context it reads.
fn call_facts(current: Node<'_>, source: &[u8], facts: &mut BodyFacts) {
    let Some(callee) = current.field("function") else {
        return;
    };
    let first_argument = || current.field("arguments").and_then(first_value);
    if let Some(hook) = hook_callee(callee, source) {
        if hook == "useContext"
            && let Some(context) = first_argument()
        {
            facts.contexts.insert(text(context, source).to_string());
        }
        facts.hooks.insert(hook);
    } else if text(callee, source) == "use"
        && let Some(context) = first_argument()
    {
        // React 19's `use(SomeContext)` reads a context like `useContext`.
        let written = text(context, source);
        if written.ends_with("Context") {
            facts.hooks.insert("use".to_string());
            facts.contexts.insert(written.to_string());
        }
    }
}

/// Visits every node below `node` (tokens included) in document order; `visit` returns
/// whether to descend into the node it was given. The C walk (`preorder`), which hands
/// nodes out in batches and so cannot be pruned as it goes: the nodes below one `visit`
/// declined are walked and not handed to `visit`. Walking them costs less than a cursor's
/// stepping over the rest (a fifth per node).
pub fn for_each_descendant<'t>(node: Node<'t>, visit: impl FnMut(Node<'t>) -> bool) {
    for_each_descendant_in(node, &[], visit);
}

/// [`for_each_descendant`] over the nodes a walk pruned by `flags` (`preorder`'s, by kind
/// id) hands out: a visitor that reads no token, or nothing below some kinds, is spared
/// them (a parameter list is mostly punctuation, a component's body mostly tokens).
pub fn for_each_descendant_in<'t>(
    node: Node<'t>,
    flags: &[u8],
    mut visit: impl FnMut(Node<'t>) -> bool,
) {
    let mut declined: Option<u32> = None;
    for step in Preorder::new(node, flags).skip(1) {
        if let Some(depth) = declined {
            if step.depth > depth {
                continue;
            }
            declined = None;
        }
        if !visit(step.node) {
            declined = Some(step.depth);
        }
    }
}
