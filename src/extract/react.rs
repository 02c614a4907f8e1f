//! What React code does inside a function: the JSX it returns, the hooks it calls, the
//! components it renders. Shared by the components, hooks and calls extractors.

use super::syntax::text;
use std::collections::BTreeSet;
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
    match node.kind() {
        "jsx_element" | "jsx_self_closing_element" | "jsx_fragment" => true,
        "parenthesized_expression" | "as_expression" | "satisfies_expression" => node
            .named_child(0)
            .is_some_and(|inner| is_jsx_value(inner, source)),
        "ternary_expression" => {
            node.child_by_field_name("consequence")
                .is_some_and(|n| is_jsx_value(n, source))
                || node
                    .child_by_field_name("alternative")
                    .is_some_and(|n| is_jsx_value(n, source))
        }
        "binary_expression" => node
            .child_by_field_name("right")
            .is_some_and(|n| is_jsx_value(n, source)),
        "call_expression" => node
            .child_by_field_name("function")
            .is_some_and(|f| matches!(text(f, source), "React.createElement" | "createElement")),
        _ => false,
    }
}

/// Whether a function returns JSX: an arrow whose body is JSX, or a `return` of JSX in its
/// own body (not in a nested function's, such as a `.map` callback).
pub fn returns_jsx(function: Node<'_>, source: &[u8]) -> bool {
    let Some(body) = function.child_by_field_name("body") else {
        return false;
    };
    if body.kind() != "statement_block" {
        return is_jsx_value(body, source);
    }
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        if node.kind() == "return_statement" {
            if node
                .named_child(0)
                .is_some_and(|value| is_jsx_value(value, source))
            {
                return true;
            }
            continue;
        }
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            if !is_js_function(child.kind()) && child.kind() != "class" {
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
    match callee.kind() {
        "identifier" => {
            let name = text(callee, source);
            is_hook_name(name).then(|| name.to_string())
        }
        "member_expression" => {
            let property = text(callee.child_by_field_name("property")?, source);
            if !is_hook_name(property) {
                return None;
            }
            let object = text(callee.child_by_field_name("object")?, source);
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
/// chain whose root does (`Foo.Bar`), kept whole. `div` and `motion.div` are not components.
pub fn rendered_component(element: Node<'_>, source: &[u8]) -> Option<String> {
    let name = element.child_by_field_name("name")?;
    let written = text(name, source);
    let starts_upper = written
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase());
    (starts_upper
        && matches!(
            name.kind(),
            "identifier" | "member_expression" | "nested_identifier"
        ))
    .then(|| written.to_string())
}

/// Collects the body facts of everything under `node`, including nested callbacks (a
/// component rendered inside `items.map(...)` is still its child).
pub fn body_facts(node: Node<'_>, source: &[u8]) -> BodyFacts {
    let mut facts = BodyFacts::default();
    // An arrow's expression body may itself be the rendered element.
    if let Some(child) = matches!(node.kind(), "jsx_self_closing_element")
        .then(|| rendered_component(node, source))
        .flatten()
    {
        facts.children.insert(child);
    }
    for_each_descendant(node, |current| {
        match current.kind() {
            "call_expression" => {
                let Some(callee) = current.child_by_field_name("function") else {
                    return true;
                };
                if let Some(hook) = hook_callee(callee, source) {
                    let reads_context = matches!(hook.as_str(), "useContext" | "use");
                    if reads_context
                        && let Some(context) = current
                            .child_by_field_name("arguments")
                            .and_then(|a| a.named_child(0))
                    {
                        facts.contexts.insert(text(context, source).to_string());
                    }
                    facts.hooks.insert(hook);
                } else if text(callee, source) == "use"
                    && let Some(context) = current
                        .child_by_field_name("arguments")
                        .and_then(|a| a.named_child(0))
                {
                    // React 19's `use(SomeContext)` reads a context like `useContext`.
                    let written = text(context, source);
                    if written.ends_with("Context") {
                        facts.hooks.insert("use".to_string());
                        facts.contexts.insert(written.to_string());
                    }
                }
            }
            "jsx_opening_element" | "jsx_self_closing_element" => {
                if let Some(child) = rendered_component(current, source) {
                    facts.children.insert(child);
                }
            }
            _ => {}
        }
        true
    });
    facts
}

/// Visits every node below `node` in document order; `visit` returns whether to descend
/// into the node it was given. Iterative, so a deeply nested generated file cannot
/// overflow the stack.
pub fn for_each_descendant<'t>(node: Node<'t>, mut visit: impl FnMut(Node<'t>) -> bool) {
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return;
    }
    loop {
        let descend = visit(cursor.node());
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() || cursor.node() == node {
                return;
            }
        }
    }
}
