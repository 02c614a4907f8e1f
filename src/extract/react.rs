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
#[derive(Default, Debug, PartialEq)]
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
pub(crate) struct FactKinds {
    call: u16,
    opening: u16,
    self_closing: u16,
    /// What a component's props are destructured by (`declarators_outside_functions`).
    declarator: u16,
    /// By kind id: a function (`is_js_function`), whose declarators are its own.
    functions: &'static [bool],
}

impl FactKinds {
    /// Whether `body_facts` or `declarators_outside_functions` reads nodes of `kind`.
    pub fn reads(&self, kind: u16) -> bool {
        kind == self.call
            || kind == self.opening
            || kind == self.self_closing
            || kind == self.declarator
            || self.is_function(kind)
    }

    fn is_function(&self, kind: u16) -> bool {
        self.functions.get(usize::from(kind)) == Some(&true)
    }
}

/// A node `body_facts` reads, as the call graph's walk found it, with the bytes it spans.
#[derive(Clone, Copy)]
pub struct FactNode<'t> {
    pub start: u32,
    pub end: u32,
    pub kind: u16,
    pub node: Node<'t>,
}

pub(crate) fn fact_kinds(lang: Lang) -> &'static FactKinds {
    static KINDS: [OnceLock<FactKinds>; Lang::COUNT] = [const { OnceLock::new() }; Lang::COUNT];
    KINDS[lang.index()].get_or_init(|| {
        let language = lang.grammar();
        // 0 (the end of input) is never a node's kind: a grammar without JSX matches none.
        FactKinds {
            call: language.id_for_node_kind("call_expression", true),
            opening: language.id_for_node_kind("jsx_opening_element", true),
            self_closing: language.id_for_node_kind("jsx_self_closing_element", true),
            declarator: language.id_for_node_kind("variable_declarator", true),
            functions: super::calls::function_kinds(lang),
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
        read_fact(visit.node, visit.kind, kinds, source, &mut facts);
    }
    facts
}

/// [`body_facts`] from the nodes the call graph's walk collected (`found`, in document
/// order): those `node` spans are the ones its own walk would visit, since both walks are
/// pruned alike (`calls::no_tokens`) and no body lies inside a pruned kind. Without the
/// walk, `found` is `None` and the body is walked.
pub fn body_facts_from(
    found: Option<&[FactNode<'_>]>,
    node: Node<'_>,
    source: &[u8],
    lang: Lang,
) -> BodyFacts {
    let Some(found) = found else {
        return body_facts(node, source, lang, super::calls::no_tokens(lang));
    };
    let mut facts = BodyFacts::default();
    let kinds = fact_kinds(lang);
    let (start, end) = (node.start_byte(), node.end_byte());
    let first = found.partition_point(|f| (f.start as usize) < start);
    // Nodes nest: one that starts within `node` and ends by its end is `node` or below it.
    for f in found[first..]
        .iter()
        .take_while(|f| (f.start as usize) < end)
    {
        if f.end as usize <= end {
            read_fact(f.node, f.kind, kinds, source, &mut facts);
        }
    }
    facts
}

/// The variable declarators below `node` and outside the functions below it, in document
/// order, as [`for_each_descendant_outside_functions`] visits them, from the nodes the call
/// graph's walk collected (`found`): it collects every declarator and function, and its
/// walk is pruned as that one is (`calls::no_tokens`, which no declarator lies inside).
pub fn declarators_outside_functions<'t>(
    found: &[FactNode<'t>],
    node: Node<'t>,
    lang: Lang,
    mut visit: impl FnMut(Node<'t>),
) {
    let kinds = fact_kinds(lang);
    let (start, end) = (node.start_byte(), node.end_byte());
    let first = found.partition_point(|f| (f.start as usize) < start);
    // Nodes starting before this lie inside a function below `node`.
    let mut inside_until = 0;
    for f in found[first..]
        .iter()
        .take_while(|f| (f.start as usize) < end)
    {
        // `node` itself is not visited, and may be a function whose body is walked.
        if f.end as usize > end || (f.start as usize) < inside_until || f.node == node {
            continue;
        }
        if f.kind == kinds.declarator {
            visit(f.node);
        } else if kinds.is_function(f.kind) {
            inside_until = f.end as usize;
        }
    }
}

fn read_fact(node: Node<'_>, kind: u16, kinds: &FactKinds, source: &[u8], facts: &mut BodyFacts) {
    if kind == kinds.call {
        call_facts(node, source, facts);
    } else if (kind == kinds.opening || kind == kinds.self_closing)
        && let Some(child) = rendered_component(node, source)
    {
        facts.children.insert(child);
    }
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

/// [`for_each_descendant_in`] with `calls::no_tokens`, declining every function below
/// `node` (`is_js_function`): the walk does not go below them at all.
pub fn for_each_descendant_outside_functions<'t>(
    node: Node<'t>,
    lang: Lang,
    mut visit: impl FnMut(Node<'t>),
) {
    // The walk does not descend into a root it prunes; a function's own body is walked.
    let flags = if is_js_function(node.kind_str()) {
        super::calls::no_tokens(lang)
    } else {
        super::calls::no_tokens_nor_functions(lang)
    };
    for_each_descendant_in(node, flags, |n| {
        visit(n);
        !is_js_function(n.kind_str())
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls `check` with every node the call graph's walk visits without tokens
    /// (`calls::no_tokens`), on every fixture, beside the nodes that walk collected for its
    /// file: the roots from which a read of the collected nodes must find what a walk finds.
    /// Returns how many fixture files were read.
    fn for_each_root_with_collected(
        mut check: impl FnMut(&str, Lang, &[u8], &[FactNode<'_>], Node<'_>),
    ) -> usize {
        crate::extract::for_each_fixture(|path, lang, text, tree| {
            let root = tree.root_node();
            let (_, found) = crate::extract::calls::walk_collecting(path, lang, text, root);
            for visit in Preorder::new(root, crate::extract::calls::no_tokens(lang)) {
                check(path, lang, text, &found, visit.node);
            }
        })
    }

    /// Body facts read from the nodes the call graph's walk collected are those a walk of
    /// the body finds: for every node that walk visits, on every fixture.
    #[test]
    fn facts_from_the_call_graph_walk_are_those_of_a_walk_of_the_body() {
        let (mut bodies, mut with_facts) = (0, 0);
        let files = for_each_root_with_collected(|path, lang, text, found, node| {
            let walked = body_facts(node, text, lang, crate::extract::calls::no_tokens(lang));
            let from = body_facts_from(Some(found), node, text, lang);
            assert_eq!(from, walked, "{path}: {node:?}");
            bodies += 1;
            with_facts += usize::from(walked != BodyFacts::default());
        });
        assert!(files > 50, "only {files} fixture files were read");
        assert!(
            bodies > 10_000 && with_facts > 200,
            "{bodies} nodes, {with_facts} with facts"
        );
    }

    /// The declarators read from the nodes the call graph's walk collected are those a walk
    /// outside functions finds: below every node that walk visits, on every fixture.
    #[test]
    fn declarators_from_the_call_graph_walk_are_those_of_a_walk() {
        let (mut roots, mut with_declarators) = (0, 0);
        for_each_root_with_collected(|path, lang, _, found, node| {
            let mut walked = Vec::new();
            for_each_descendant_outside_functions(node, lang, |n| {
                if n.kind_str() == "variable_declarator" {
                    walked.push(n);
                }
            });
            let mut from = Vec::new();
            declarators_outside_functions(found, node, lang, |n| from.push(n));
            assert_eq!(from, walked, "{path}: {node:?}");
            roots += 1;
            with_declarators += usize::from(!walked.is_empty());
        });
        assert!(
            roots > 10_000 && with_declarators > 500,
            "{roots} roots, {with_declarators} with declarators"
        );
    }

    /// A walk pruned below functions hands out the nodes a walk declining them does: from
    /// every node, on every fixture.
    #[test]
    fn walks_outside_functions_see_what_declining_them_sees() {
        let (mut roots, mut pruned_somewhere) = (0, 0);
        crate::extract::for_each_fixture(|path, lang, _, tree| {
            let no_tokens = crate::extract::calls::no_tokens(lang);
            for visit in Preorder::new(tree.root_node(), no_tokens) {
                let mut declining = Vec::new();
                for_each_descendant_in(visit.node, no_tokens, |n| {
                    declining.push(n);
                    !is_js_function(n.kind_str())
                });
                let mut outside = Vec::new();
                for_each_descendant_outside_functions(visit.node, lang, |n| outside.push(n));
                assert_eq!(outside, declining, "{path}: {:?}", visit.node);
                roots += 1;
                let mut all = 0;
                for_each_descendant_in(visit.node, no_tokens, |_| {
                    all += 1;
                    true
                });
                pruned_somewhere += usize::from(all > declining.len());
            }
        });
        assert!(
            roots > 10_000 && pruned_somewhere > 500,
            "{roots} roots, {pruned_somewhere} with functions below"
        );
    }
}
