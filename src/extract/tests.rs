//! The `tests` extractor: Jest / Vitest / Mocha / node:test suites and cases with their full
//! title paths, pytest functions and classes, unittest `TestCase` classes and methods.

use super::bindings::{ImportKind, Imports};
use super::scan::Scan;
use super::syntax::NodeExt;
use super::syntax::{ancestors, named_args, one_line, position, string_literal, text};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::collections::HashSet;
use tree_sitter::Node;

/// Capture names `extractors/tests/*.scm` may use.
pub const CAPTURES: &[&str] = &["call", "function", "class"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct TestCase {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Full title path: `Cart > add > rejects negatives`; Python `TestClass::test_method`.
    pub name: String,
    pub kind: TestKind,
    pub framework: String,
    /// Skipped unconditionally, by itself or by an enclosing suite (`.todo` included).
    #[serde(default)]
    pub skipped: bool,
    /// Sorted: `each`, `only`, `todo`, `concurrent`, `parametrize`, `skipif`, `xfail`, ...
    #[serde(default)]
    pub modifiers: Vec<String>,
    /// Rows of a literal `.each([...])` table or product of literal `parametrize` lists.
    pub cases: Option<u32>,
    /// pytest's ids of the cases (`test_add[1-2]` runs case `1-2`), in pytest's order,
    /// when every one follows from literals; absent otherwise.
    #[serde(default)]
    pub case_ids: Option<Vec<String>>,
}

impl Serialize for TestCase {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // The worker pipe (bincode) needs every field; in JSON `case_ids` is left out when
        // absent, as it is for all but parametrized pytest tests.
        let sparse = serializer.is_human_readable();
        let mut out = serializer.serialize_struct("TestCase", 10)?;
        out.serialize_field("file", &self.file)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("column", &self.column)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("framework", &self.framework)?;
        out.serialize_field("skipped", &self.skipped)?;
        out.serialize_field("modifiers", &self.modifiers)?;
        out.serialize_field("cases", &self.cases)?;
        if !sparse || self.case_ids.is_some() {
            out.serialize_field("case_ids", &self.case_ids)?;
        }
        out.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestKind {
    Suite,
    Test,
}

impl TestKind {
    pub const ALL: [TestKind; 2] = [TestKind::Suite, TestKind::Test];

    /// As JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            TestKind::Suite => "suite",
            TestKind::Test => "test",
        }
    }
}

impl TestCase {
    /// The test's line in a chunk file, as the generic rendering writes it
    /// (`render::chunk_files`): `false`, `null` and empty lists left out.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        use crate::render::{item_head, write_flag, write_str, write_str_list, write_u32};
        item_head(out, self.line, self.column);
        out.extend_from_slice(b",\"name\":");
        write_str(out, &self.name);
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(self.kind.name().as_bytes());
        out.extend_from_slice(b"\",\"framework\":");
        write_str(out, &self.framework);
        write_flag(out, b"\"skipped\"", self.skipped);
        write_str_list(out, b"\"modifiers\"", &self.modifiers);
        if let Some(cases) = self.cases {
            out.extend_from_slice(b",\"cases\":");
            write_u32(out, cases);
        }
        if let Some(ids) = &self.case_ids {
            write_str_list(out, b"\"case_ids\"", ids);
        }
        out.push(b'}');
    }
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<TestCase> {
    if scan.lang.is_js_like() {
        extract_js(scan)
    } else {
        extract_python(scan)
    }
}

// ---------------------------------------------------------------------------------------
// JavaScript / TypeScript

/// Member modifiers a test function may carry; anything else (`test.describe`,
/// `describe.configure`) is not one of ours.
const JS_MODIFIERS: &[&str] = &[
    "skip",
    // Playwright: skipped until fixed.
    "fixme",
    // Playwright: expected to fail.
    "fail",
    "only",
    "todo",
    "each",
    "concurrent",
    "failing",
    "fails",
    "sequential",
    "shuffle",
    "skipIf",
    "runIf",
];

/// Modifiers that return a function to call with the title: `it.each(table)('t', fn)`.
const CURRIED: &[&str] = &["each", "skipIf", "runIf"];

/// One recognised call, before nesting.
struct JsTest {
    node_id: usize,
    at: (u32, u32),
    title: String,
    kind: TestKind,
    skipped: bool,
    modifiers: Vec<String>,
    cases: Option<u32>,
}

fn extract_js(scan: &mut Scan<'_, '_>) -> Vec<TestCase> {
    let src = scan.text;
    let mut calls = Vec::new();
    scan.matches(scan.root, None, |m| {
        if let Some(call) = m.get("call") {
            calls.push(call);
        }
    });
    // Test functions under other names (`import { test as setup }`, `const test =
    // base.extend(...)`) are calls the query, which knows the standard names, does not see.
    let aliases = test_aliases(scan.imports(), scan.root, src);
    if !aliases.is_empty() {
        calls.extend(calls_of(scan.root, src, &aliases));
    }
    calls.sort_by_key(|c| (c.start_byte(), std::cmp::Reverse(c.end_byte())));
    calls.dedup_by_key(|c| c.id());
    // `test.describe` is Playwright's: in a Jest file it is a call of something else.
    let playwright = scan.imports().statements.iter().any(|s| {
        RUNNERS
            .iter()
            .any(|(m, label)| *m == s.module && *label == "playwright")
    });
    let mut mocha_names = false;
    let mut found = Vec::new();
    for call in &calls {
        match js_test(*call, src, &aliases, playwright) {
            Recognised::Test(t) => found.push((*call, t)),
            Recognised::MochaHook => mocha_names = true,
            Recognised::No => {}
        }
    }
    if found.is_empty() {
        return Vec::new();
    }
    let framework = js_framework(
        scan.imports(),
        mocha_names
            || found.iter().any(|(c, _)| {
                c.field("function")
                    .is_some_and(|f| is_mocha_name(base_name(f, src)))
            }),
    );
    // Suites by node id: their full name and whether they are skipped.
    let mut suites: HashMap<usize, (String, bool)> = HashMap::new();
    let mut out = Vec::with_capacity(found.len());
    for (call, t) in found {
        let parent = ancestors(call)
            .into_iter()
            .find_map(|node| suites.get(&node.id()).cloned());
        let (name, skipped) = match parent {
            Some((prefix, parent_skipped)) => (
                format!("{prefix} > {}", t.title),
                t.skipped || parent_skipped,
            ),
            None => (t.title, t.skipped),
        };
        if t.kind == TestKind::Suite {
            suites.insert(t.node_id, (name.clone(), skipped));
        }
        out.push(TestCase {
            file: scan.path.to_string(),
            line: t.at.0,
            column: t.at.1,
            name,
            kind: t.kind,
            framework: framework.to_string(),
            skipped,
            modifiers: t.modifiers,
            cases: t.cases,
            case_ids: None,
        });
    }
    out
}

enum Recognised {
    Test(JsTest),
    MochaHook,
    No,
}

fn is_mocha_name(name: &str) -> bool {
    matches!(
        name,
        "suite" | "context" | "xcontext" | "specify" | "xspecify" | "before" | "after"
    )
}

/// The identifier a callee chain starts from: `it` of `it.skip.each(x)`.
fn base_name<'s>(callee: Node<'_>, src: &'s [u8]) -> &'s str {
    let mut node = callee;
    loop {
        match node.kind_str() {
            "identifier" => return text(node, src),
            "member_expression" => match node.field("object") {
                Some(o) => node = o,
                None => return "",
            },
            "call_expression" => match node.field("function") {
                Some(f) => node = f,
                None => return "",
            },
            _ => return "",
        }
    }
}

/// The module a test runner is imported from, and its label.
const RUNNERS: &[(&str, &str)] = &[
    ("vitest", "vitest"),
    ("node:test", "node"),
    ("mocha", "mocha"),
    ("@jest/globals", "jest"),
    ("@playwright/test", "playwright"),
    ("playwright/test", "playwright"),
];

/// The standard names of test functions, which the query matches (and the word gate
/// looks for).
pub const TEST_NAMES: &[&str] = &[
    "describe",
    "fdescribe",
    "xdescribe",
    "it",
    "fit",
    "xit",
    "test",
    "xtest",
    "suite",
    "context",
    "xcontext",
    "specify",
    "xspecify",
];

/// Local names bound to a test function under another name: imported from a test runner
/// with an alias (`import { test as setup } from "@playwright/test"`), or a module-level
/// `const x = test.extend(...)` of a test function (Playwright fixtures); each with the
/// standard name it stands for.
fn test_aliases(imports: &Imports, root: Node<'_>, src: &[u8]) -> HashMap<String, String> {
    let mut aliases: HashMap<String, String> = HashMap::new();
    for statement in &imports.statements {
        if statement.wrapped || !RUNNERS.iter().any(|(m, _)| *m == statement.module) {
            continue;
        }
        for binding in &statement.bindings {
            if binding.local != binding.imported && TEST_NAMES.contains(&binding.imported.as_str())
            {
                aliases.insert(binding.local.clone(), binding.imported.clone());
            }
        }
    }
    for statement in root.named_kids() {
        let declaration = match statement.kind_str() {
            "export_statement" => statement.field("declaration"),
            "lexical_declaration" | "variable_declaration" => Some(statement),
            _ => None,
        };
        let Some(declaration) = declaration else {
            continue;
        };
        for declarator in declaration.named_kids() {
            let (Some(name), Some(value)) = (declarator.field("name"), declarator.field("value"))
            else {
                continue;
            };
            // `base.extend(...)` or `base.extend<Fixtures>(...)`.
            let extended = (value.kind_str() == "call_expression")
                .then(|| value.field("function"))
                .flatten()
                .filter(|f| f.kind_str() == "member_expression")
                .filter(|f| {
                    f.field("property")
                        .is_some_and(|p| text(p, src) == "extend")
                })
                .and_then(|f| f.field("object"))
                .filter(|o| o.kind_str() == "identifier")
                .map(|o| text(o, src));
            let Some(base) = extended else {
                continue;
            };
            let standard = aliases
                .get(base)
                .cloned()
                .or_else(|| TEST_NAMES.contains(&base).then(|| base.to_string()));
            let local = text(name, src);
            if let Some(standard) = standard
                && name.kind_str() == "identifier"
                && !TEST_NAMES.contains(&local)
            {
                aliases.insert(local.to_string(), standard);
            }
        }
    }
    aliases
}

/// Calls whose callee chain starts from one of `names` (`setup(...)`, `setup.skip(...)`).
fn calls_of<'t>(root: Node<'t>, src: &[u8], names: &HashMap<String, String>) -> Vec<Node<'t>> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind_str() == "call_expression"
            && let Some(callee) = node.field("function")
            && names.contains_key(base_name(callee, src))
        {
            found.push(node);
        }
        stack.extend(node.named_kids());
    }
    found
}

fn js_test(
    call: Node<'_>,
    src: &[u8],
    aliases: &HashMap<String, String>,
    playwright: bool,
) -> Recognised {
    let (Some(mut callee), Some(arguments)) = (call.field("function"), call.field("arguments"))
    else {
        return Recognised::No;
    };
    // `it.each(table)` is the callee of the call holding the title.
    let mut table = None;
    if callee.kind_str() == "call_expression" {
        table = callee.field("arguments");
        match callee.field("function") {
            Some(f) => callee = f,
            None => return Recognised::No,
        }
    }
    let mut members = Vec::new();
    let mut node = callee;
    while node.kind_str() == "member_expression" {
        let (Some(object), Some(property)) = (node.field("object"), node.field("property")) else {
            return Recognised::No;
        };
        members.push(text(property, src));
        node = object;
    }
    members.reverse();
    if node.kind_str() != "identifier" {
        return Recognised::No;
    }
    let written = text(node, src);
    let base = aliases.get(written).map_or(written, String::as_str);
    // Playwright's suites: `test.describe('s', fn)`, `test.describe.serial(...)`, and its
    // `.parallel` / `.skip` / `.only` / `.fixme`; `test.describe.configure(...)` and
    // `test.step(...)` are not items.
    let mut base = base;
    if playwright && base == "test" && members.first() == Some(&"describe") {
        members.remove(0);
        if members
            .iter()
            .any(|m| !matches!(*m, "serial" | "parallel" | "skip" | "only" | "fixme"))
        {
            return Recognised::No;
        }
        base = "describe";
        return js_case(call, arguments, table, base, &members, src);
    }
    if matches!(base, "before" | "after") {
        return if members.is_empty() && table.is_none() {
            Recognised::MochaHook
        } else {
            Recognised::No
        };
    }
    if members.iter().any(|m| !JS_MODIFIERS.contains(m)) {
        return Recognised::No;
    }
    js_case(call, arguments, table, base, &members, src)
}

/// A suite or test once its callee is understood: `base` is the standard test function,
/// `members` its modifiers.
fn js_case(
    call: Node<'_>,
    arguments: Node<'_>,
    table: Option<Node<'_>>,
    base: &str,
    members: &[&str],
    src: &[u8],
) -> Recognised {
    let curried = members.iter().any(|m| CURRIED.contains(m));
    if curried != table.is_some() {
        return Recognised::No;
    }
    let kind = match base {
        "describe" | "fdescribe" | "xdescribe" | "suite" | "context" | "xcontext" => {
            TestKind::Suite
        }
        _ => TestKind::Test,
    };
    let args = named_args(arguments);
    let Some(title) = args.first().copied() else {
        return Recognised::No;
    };
    if is_function(title) {
        return Recognised::No;
    }
    // Vitest takes options before the callback: `test('t', { retry: 2 }, () => {})`.
    let callback = match args.get(1) {
        Some(o) if o.kind_str() == "object" => args.get(2).copied(),
        other => other.copied(),
    };
    let mut modifiers: Vec<String> = members
        .iter()
        .filter(|m| !matches!(**m, "skip" | "fixme"))
        .map(|m| m.to_ascii_lowercase())
        .collect();
    match callback {
        Some(f) if is_function(f) => {}
        // A bare `test(x)` is a call of some other `test`; a todo has a written title.
        None if kind == TestKind::Test
            && matches!(title.kind_str(), "string" | "template_string") =>
        {
            modifiers.push("todo".to_string());
        }
        // `it.todo('t')` has no callback by definition.
        None if members.contains(&"todo") => {}
        _ => return Recognised::No,
    }
    if base.starts_with('f') {
        modifiers.push("only".to_string());
    }
    modifiers.sort();
    modifiers.dedup();
    let skipped = base.starts_with('x')
        || members.contains(&"skip")
        || members.contains(&"fixme")
        || modifiers.iter().any(|m| m == "todo");
    let cases = table.and_then(|t| table_rows(t, src));
    Recognised::Test(JsTest {
        node_id: call.id(),
        at: position(call),
        title: title_text(title, src),
        kind,
        skipped,
        modifiers,
        cases,
    })
}

fn is_function(node: Node<'_>) -> bool {
    matches!(
        node.kind_str(),
        "arrow_function" | "function_expression" | "generator_function"
    )
}

/// A title as written, without quotes; a template keeps its `${...}`; any other expression
/// is its source text.
fn title_text(node: Node<'_>, src: &[u8]) -> String {
    match node.kind_str() {
        "string" => string_literal(node, src)
            .map_or_else(|| one_line(text(node, src), 200), |s| s.to_string()),
        "template_string" => {
            let raw = text(node, src);
            let inner = raw
                .strip_prefix('`')
                .and_then(|s| s.strip_suffix('`'))
                .unwrap_or(raw);
            inner.to_string()
        }
        _ => one_line(text(node, src), 200),
    }
}

/// Rows of an `.each` table: the elements of a literal array, or the lines after the
/// header of a tagged template table.
fn table_rows(arguments: Node<'_>, src: &[u8]) -> Option<u32> {
    if arguments.kind_str() == "template_string" {
        let rows = text(arguments, src)
            .trim_matches('`')
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        return u32::try_from(rows.checked_sub(1)?).ok();
    }
    let args = named_args(arguments);
    let [array] = args.as_slice() else {
        return None;
    };
    if array.kind_str() != "array" {
        return None;
    }
    let mut count = 0u32;
    for element in array.named_kids() {
        match element.kind_str() {
            "comment" => {}
            "spread_element" => return None,
            _ => count += 1,
        }
    }
    Some(count)
}

/// `vitest`, `node`, `mocha` or `jest`: by an import or top-level `require` of the runner,
/// else `mocha` when the file uses Mocha-only names, else `jest`.
fn js_framework(imports: &Imports, mocha_names: bool) -> &'static str {
    for statement in &imports.statements {
        let module = match statement.kind {
            ImportKind::Import => statement.module.as_str(),
            ImportKind::Require if !statement.wrapped => statement.module.as_str(),
            _ => continue,
        };
        if let Some((_, label)) = RUNNERS.iter().find(|(m, _)| *m == module) {
            return label;
        }
    }
    if mocha_names { "mocha" } else { "jest" }
}

// ---------------------------------------------------------------------------------------
// Python

/// Conditional skips and expected failures of unittest and Django, listed as modifiers.
const UNITTEST_MODIFIERS: &[&str] = &[
    "skipIf",
    "skipUnless",
    "expectedFailure",
    "skipIfDBFeature",
    "skipUnlessDBFeature",
    "skipUnlessAnyDBFeature",
];

/// What the decorators of a definition say.
#[derive(Default)]
struct Marks {
    skipped: bool,
    modifiers: Vec<String>,
    cases: Option<u32>,
    case_ids: Option<Vec<String>>,
    /// Some decorator was there.
    decorated: bool,
    /// A decorator that may add fixtures or parametrization pytest's ids would show: not
    /// a pytest mark (an alias of one, a plugin's), or `usefixtures`.
    foreign: bool,
    /// The argument names of the `parametrize` marks.
    argnames: Vec<String>,
}

/// Whether a module- or class-level definition is decorated with a fixture that has
/// `params` (`@pytest.fixture(params=[...])`).
fn has_parametrized_fixture(root: Node<'_>, src: &[u8]) -> bool {
    root.named_kids().into_iter().any(|child| {
        let (definition, decorated) = unwrap_decorated_plain(child);
        let fixture = decorated.is_some_and(|d| {
            d.named_kids().into_iter().any(|decorator| {
                let written = text(decorator, src);
                decorator.kind_str() == "decorator"
                    && written.contains("fixture")
                    && written.contains("params")
            })
        });
        fixture
            || (definition.kind_str() == "class_definition"
                && definition
                    .field("body")
                    .is_some_and(|body| has_parametrized_fixture(body, src)))
    })
}

/// pytest's own fixtures, which are never parametrized (a conftest could override one with
/// `params`; that is not seen).
const BUILTIN_FIXTURES: &[&str] = &[
    "cache",
    "capfd",
    "capfdbinary",
    "caplog",
    "capsys",
    "capsysbinary",
    "doctest_namespace",
    "monkeypatch",
    "pytestconfig",
    "pytester",
    "record_property",
    "record_testsuite_property",
    "record_xml_attribute",
    "recwarn",
    "request",
    "testdir",
    "tmp_path",
    "tmp_path_factory",
    "tmpdir",
    "tmpdir_factory",
];

/// Whether the ids of a test's own `parametrize` marks are all of its ids: nothing else
/// adds parametrization pytest would show. Another fixture may be parametrized (in this
/// file or a conftest), so every parameter must be an argument name of the marks or one
/// of pytest's own fixtures; a foreign decorator may be a mark alias or add fixtures.
fn own_ids_are_all(definition: Node<'_>, marks: &Marks, method: bool, src: &[u8]) -> bool {
    if marks.foreign {
        return false;
    }
    let Some(parameters) = definition.field("parameters") else {
        return false;
    };
    named_args(parameters)
        .into_iter()
        .skip(usize::from(method))
        .all(|p| match p.kind_str() {
            "identifier" => {
                let name = text(p, src);
                marks.argnames.iter().any(|a| a == name) || BUILTIN_FIXTURES.contains(&name)
            }
            // A parameter with a default is not a fixture.
            "default_parameter" | "typed_default_parameter" => true,
            "typed_parameter" => p.named_child(0).is_some_and(|n| {
                n.kind_str() == "identifier" && {
                    let name = text(n, src);
                    marks.argnames.iter().any(|a| a == name) || BUILTIN_FIXTURES.contains(&name)
                }
            }),
            _ => false,
        })
}

fn extract_python(scan: &mut Scan<'_, '_>) -> Vec<TestCase> {
    let src = scan.text;
    let file = scan.path;
    let mut found: Vec<(&str, Node<'_>)> = Vec::new();
    scan.matches(scan.root, Some(1), |m| {
        if let Some(f) = m.kind_besides(&[]) {
            found.push(f);
        }
    });
    let pytest_file = is_pytest_file(file);
    // `pytestmark = ...` marks every test of the module; a fixture with `params` here
    // parametrizes the tests that use it, directly, through another fixture, or as
    // `autouse`.
    let module_marked = memchr::memmem::find(src, b"pytestmark").is_some()
        || has_parametrized_fixture(scan.root, src);
    let mut unittest_classes: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for (kind, node) in found {
        let (definition, marks) = unwrap_decorated(node, src);
        let Some(name) = definition.field("name").map(|n| text(n, src)) else {
            continue;
        };
        match kind {
            "function" if pytest_file && is_pytest_name(name) => {
                let mut marks = marks;
                // `pytestmark = ...` marks every test of the module.
                if module_marked || !own_ids_are_all(definition, &marks, false, src) {
                    marks.case_ids = None;
                }
                out.push(py_item(
                    file,
                    definition,
                    name.to_string(),
                    TestKind::Test,
                    "pytest",
                    marks,
                ));
            }
            "class" => {
                let mut ctx = ClassContext {
                    file,
                    src,
                    pytest_file,
                    module_marked,
                    unittest_classes: &mut unittest_classes,
                    out: &mut out,
                };
                ctx.class(definition, name, None, marks, false, false);
            }
            _ => {}
        }
    }
    out
}

struct ClassContext<'a, 's> {
    file: &'a str,
    src: &'s [u8],
    pytest_file: bool,
    /// The module sets `pytestmark`.
    module_marked: bool,
    unittest_classes: &'a mut HashSet<String>,
    out: &'a mut Vec<TestCase>,
}

impl ClassContext<'_, '_> {
    /// A test class and its test methods (and nested pytest classes); nothing when it
    /// holds no test.
    fn class(
        &mut self,
        class: Node<'_>,
        name: &str,
        prefix: Option<&str>,
        marks: Marks,
        parent_skipped: bool,
        parent_decorated: bool,
    ) -> bool {
        let src = self.src;
        let unittest = bases(class, src)
            .iter()
            .any(|b| is_test_base(b) || self.unittest_classes.contains(*b));
        if unittest && prefix.is_none() {
            self.unittest_classes.insert(name.to_string());
        }
        let Some(body) = class.field("body") else {
            return false;
        };
        let pytest = !unittest
            && self.pytest_file
            && name.starts_with("Test")
            && !has_method(body, "__init__", src);
        if !unittest && !pytest {
            return false;
        }
        let framework = if unittest { "unittest" } else { "pytest" };
        let full = match prefix {
            Some(p) => format!("{p}::{name}"),
            None => name.to_string(),
        };
        let skipped = marks.skipped || parent_skipped;
        // A class's marks (a class-level `parametrize` among them) apply to its methods.
        let decorated = marks.decorated || parent_decorated || self.module_marked;
        let suite_at = self.out.len();
        let mut any = false;
        for child in body.named_kids() {
            let (definition, child_marks) = unwrap_decorated(child, src);
            let Some(child_name) = definition.field("name").map(|n| text(n, src)) else {
                continue;
            };
            match definition.kind_str() {
                "function_definition" => {
                    let is_test = if unittest {
                        child_name.starts_with("test")
                    } else {
                        is_pytest_name(child_name)
                    };
                    if is_test {
                        let mut child_marks = child_marks;
                        if decorated || !own_ids_are_all(definition, &child_marks, true, src) {
                            child_marks.case_ids = None;
                        }
                        let mut item = py_item(
                            self.file,
                            definition,
                            format!("{full}::{child_name}"),
                            TestKind::Test,
                            framework,
                            child_marks,
                        );
                        item.skipped |= skipped;
                        self.out.push(item);
                        any = true;
                    }
                }
                "class_definition" => {
                    any |= self.class(
                        definition,
                        child_name,
                        Some(&full),
                        child_marks,
                        skipped,
                        decorated,
                    );
                }
                _ => {}
            }
        }
        if any {
            let mut suite = py_item(self.file, class, full, TestKind::Suite, framework, marks);
            suite.skipped = skipped;
            // A suite runs no case of its own: its parametrization shows in its tests' ids.
            suite.case_ids = None;
            self.out.insert(suite_at, suite);
        }
        any
    }
}

fn py_item(
    file: &str,
    definition: Node<'_>,
    name: String,
    kind: TestKind,
    framework: &str,
    marks: Marks,
) -> TestCase {
    let (line, column) = position(definition);
    let mut modifiers = marks.modifiers;
    modifiers.sort();
    modifiers.dedup();
    TestCase {
        file: file.to_string(),
        line,
        column,
        name,
        kind,
        framework: framework.to_string(),
        skipped: marks.skipped,
        modifiers,
        cases: marks.cases,
        case_ids: marks.case_ids,
    }
}

/// pytest's default collection: `test_*.py` and `*_test.py` files; also `tests.py` and
/// anything under a `test` / `tests` directory, where projects put their suites.
fn is_pytest_file(path: &str) -> bool {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let stem = name.strip_suffix(".py").unwrap_or(name);
    stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem == "tests"
        || dir.split('/').any(|s| s == "test" || s == "tests")
}

/// A unittest base: `TestCase` and its kin (`SimpleTestCase`, `APITestCase`), or a
/// project's own base test class imported from elsewhere (`WidgetTest`, `AdminTests`,
/// `MigrationTestBase`).
fn is_test_base(name: &str) -> bool {
    ["TestCase", "Test", "Tests", "TestBase", "TestsBase"]
        .iter()
        .any(|s| name.ends_with(s))
}

fn is_pytest_name(name: &str) -> bool {
    name == "test" || name.starts_with("test_")
}

fn has_method(body: Node<'_>, method: &str, src: &[u8]) -> bool {
    body.named_kids().into_iter().any(|child| {
        let (definition, _) = unwrap_decorated_plain(child);
        definition.kind_str() == "function_definition"
            && definition
                .field("name")
                .is_some_and(|n| text(n, src) == method)
    })
}

/// The last name of each base class: `TestCase` of `django.test.TestCase`.
fn bases<'s>(class: Node<'_>, src: &'s [u8]) -> Vec<&'s str> {
    let Some(list) = class.field("superclasses") else {
        return Vec::new();
    };
    list.named_kids()
        .into_iter()
        .filter(|b| matches!(b.kind_str(), "identifier" | "attribute"))
        .map(|b| text(b, src).rsplit('.').next().unwrap_or(""))
        .collect()
}

fn unwrap_decorated_plain(node: Node<'_>) -> (Node<'_>, Option<Node<'_>>) {
    if node.kind_str() == "decorated_definition"
        && let Some(d) = node.field("definition")
    {
        return (d, Some(node));
    }
    (node, None)
}

/// The definition under a decorated one, and what its decorators say.
fn unwrap_decorated<'t>(node: Node<'t>, src: &[u8]) -> (Node<'t>, Marks) {
    let (definition, decorated) = unwrap_decorated_plain(node);
    let mut marks = Marks::default();
    let Some(decorated) = decorated else {
        return (definition, marks);
    };
    let mut all_cases: Option<Option<u32>> = None;
    // pytest applies the decorator nearest the function first: its ids come first in a
    // case's id, and it varies slowest.
    let mut all_ids: Option<Option<Vec<String>>> = None;
    for decorator in decorated.named_kids() {
        if decorator.kind_str() != "decorator" {
            continue;
        }
        let Some(expression) = decorator.named_child(0) else {
            continue;
        };
        let (callee, arguments) = if expression.kind_str() == "call" {
            (expression.field("function"), expression.field("arguments"))
        } else {
            (Some(expression), None)
        };
        let Some(callee) = callee else {
            continue;
        };
        marks.decorated = true;
        let dotted = text(callee, src);
        let last = dotted.rsplit('.').next().unwrap_or("");
        let is_mark = dotted.starts_with("pytest.mark.") || dotted.starts_with("mark.");
        if last == "skip" && (is_mark || matches!(dotted, "unittest.skip" | "skip")) {
            marks.skipped = true;
        } else if is_mark {
            marks.foreign |= last == "usefixtures";
            if last == "parametrize" {
                let names = arguments
                    .and_then(|a| parametrize_arguments(a, src)?[0])
                    .and_then(|n| parametrize_names(n, src));
                match names {
                    Some((names, _)) => marks.argnames.extend(names.iter().map(|n| n.to_string())),
                    None => marks.foreign = true,
                }
                let rows = arguments.and_then(|a| parametrize_rows(a, src));
                all_cases = Some(match (all_cases, rows) {
                    (None, r) => r,
                    (Some(Some(a)), Some(b)) => a.checked_mul(b),
                    _ => None,
                });
                let ids = arguments.and_then(|a| parametrize_ids(a, src));
                all_ids = Some(match (all_ids, ids) {
                    (None, ids) => ids,
                    (Some(Some(upper)), Some(nearer)) => Some(
                        nearer
                            .iter()
                            .flat_map(|n| upper.iter().map(move |u| format!("{n}-{u}")))
                            .collect(),
                    ),
                    _ => None,
                });
            }
            marks.modifiers.push(last.to_ascii_lowercase());
        } else if UNITTEST_MODIFIERS.contains(&last) {
            marks.modifiers.push(last.to_ascii_lowercase());
        } else {
            marks.foreign = true;
        }
    }
    marks.cases = all_cases.flatten();
    marks.case_ids = all_ids.flatten();
    (definition, marks)
}

/// The arguments of `parametrize(argnames, argvalues, ids=...)`, by position or keyword.
fn parametrize_arguments<'t>(arguments: Node<'t>, src: &[u8]) -> Option<[Option<Node<'t>>; 3]> {
    let mut found = [None; 3];
    let mut positional = 0;
    for arg in named_args(arguments) {
        match arg.kind_str() {
            "keyword_argument" => {
                let value = arg.field("value");
                let slot = match arg.field("name").map(|n| text(n, src)) {
                    Some("argnames") => 0,
                    Some("argvalues") => 1,
                    Some("ids") => 2,
                    // Indirect values go through fixtures, which may make other ids.
                    Some("indirect") if value.is_some_and(|v| v.kind_str() != "false") => {
                        return None;
                    }
                    _ => continue,
                };
                found[slot] = value;
            }
            "list_splat" | "dictionary_splat" => return None,
            _ => {
                // A third positional is `indirect` in older pytest, a fourth `ids`; newer
                // pytest refuses both: no ids are given.
                if positional >= 2 {
                    return None;
                }
                found[positional] = Some(arg);
                positional += 1;
            }
        }
    }
    Some(found)
}

/// pytest's id of each case of one `parametrize`, when each follows from literals by
/// pytest's own rules (`IdMaker`): a `pytest.param(..., id=)` or an `ids=[...]` entry
/// when given, else the row's values joined with `-`, each a printable ASCII string of at
/// most 100 characters as written, an integer or a plain decimal as Python prints it,
/// `True` / `False` / `None`, or for a list, tuple, dict or set the argument's name and
/// the row's index (`items0`). A name, a call, an ids function, a string with escapes or
/// an f-string, or two cases with one id (which pytest's versions make unique differently)
/// give none: the id would be a guess.
fn parametrize_ids(arguments: Node<'_>, src: &[u8]) -> Option<Vec<String>> {
    let [names, values, ids] = parametrize_arguments(arguments, src)?;
    let (names, force_tuple) = parametrize_names(names?, src)?;
    let values = values?;
    if !matches!(values.kind_str(), "list" | "tuple") {
        return None;
    }
    let given: Option<Vec<Node<'_>>> = match ids {
        None => None,
        Some(ids) if matches!(ids.kind_str(), "list" | "tuple") => Some(named_args(ids)),
        Some(_) => return None,
    };
    let rows = named_args(values);
    // pytest refuses an ids list of another length, and makes a case of no rows.
    if rows.is_empty() || given.as_ref().is_some_and(|g| g.len() != rows.len()) {
        return None;
    }
    let mut out = Vec::new();
    for (index, row) in rows.into_iter().enumerate() {
        let (cells, explicit) = parameter_set(row, names.len(), force_tuple, src)?;
        let listed = given.as_ref().and_then(|g| g.get(index)).copied();
        let id = match (explicit, listed) {
            (Some(id), _) => id,
            (None, Some(listed)) if listed.kind_str() != "none" => {
                literal_id(listed, src, usize::MAX)?
            }
            _ => {
                let mut parts = Vec::with_capacity(cells.len());
                for (cell, name) in cells.into_iter().zip(&names) {
                    parts.push(match cell.kind_str() {
                        "list" | "tuple" | "dictionary" | "set" => format!("{name}{index}"),
                        _ => literal_id(cell, src, 100)?,
                    });
                }
                parts.join("-")
            }
        };
        out.push(id);
    }
    let mut seen = HashSet::new();
    out.iter().all(|id| seen.insert(id.as_str())).then_some(out)
}

/// The argument names of a `parametrize`, and whether each row is the one value of a
/// single name (`"x"`: pytest's `force_tuple`) rather than a sequence of values (`"x, y"`,
/// `["x"]`, `("x",)`). A single name with a trailing comma (`"x,"`) is left out: pytest
/// versions read it differently.
pub(crate) fn parametrize_names<'s>(
    names: Node<'_>,
    src: &'s [u8],
) -> Option<(Vec<&'s str>, bool)> {
    match names.kind_str() {
        "string" => {
            let text = plain_string(names, src)?;
            let split: Vec<&str> = text
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect();
            let trailing_comma = text.trim_end().ends_with(',');
            if split.is_empty() || (split.len() == 1 && trailing_comma) {
                return None;
            }
            let single = split.len() == 1;
            Some((split, single))
        }
        "list" | "tuple" => {
            let split: Vec<&str> = named_args(names)
                .into_iter()
                .map(|n| plain_string(n, src))
                .collect::<Option<_>>()?;
            (!split.is_empty()).then_some((split, false))
        }
        _ => None,
    }
}

/// A row of `argvalues`: its values, one per argument name, and the id `pytest.param`
/// gives it, if any.
fn parameter_set<'t>(
    row: Node<'t>,
    arity: usize,
    force_tuple: bool,
    src: &[u8],
) -> Option<(Vec<Node<'t>>, Option<String>)> {
    if row.kind_str() == "call"
        && row
            .field("function")
            .is_some_and(|f| matches!(text(f, src), "pytest.param" | "param"))
    {
        let mut cells = Vec::new();
        let mut id = None;
        for arg in named_args(row.field("arguments")?) {
            match arg.kind_str() {
                "keyword_argument" => {
                    let value = arg.field("value")?;
                    match arg.field("name").map(|n| text(n, src)) {
                        Some("id") if value.kind_str() != "none" => {
                            // `id` must be a str: bytes are refused.
                            let written = text(value, src);
                            if written
                                .bytes()
                                .take_while(u8::is_ascii_alphabetic)
                                .any(|b| b == b'b' || b == b'B')
                            {
                                return None;
                            }
                            id = Some(plain_string(value, src)?.to_string());
                        }
                        Some("id" | "marks") => {}
                        _ => return None,
                    }
                }
                "list_splat" | "dictionary_splat" => return None,
                _ => cells.push(arg),
            }
        }
        return (cells.len() == arity).then_some((cells, id));
    }
    if force_tuple {
        return Some((vec![row], None));
    }
    if !matches!(row.kind_str(), "list" | "tuple") {
        return None;
    }
    let cells = named_args(row);
    if cells.iter().any(|c| c.kind_str() == "list_splat") || cells.len() != arity {
        return None;
    }
    Some((cells, None))
}

/// The text of a string or bytes literal without escape or interpolation, when it is
/// printable ASCII: what pytest's ASCII escaping leaves as written (`b"x"` too; a raw
/// prefix changes nothing without a backslash).
fn plain_string<'s>(node: Node<'_>, src: &'s [u8]) -> Option<&'s str> {
    let raw = text(node, src);
    let prefix = raw.bytes().take_while(u8::is_ascii_alphabetic);
    if node.kind_str() != "string" || !prefix.into_iter().all(|b| b"rRbBuU".contains(&b)) {
        return None;
    }
    let body = string_literal(node, src)?;
    body.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'\\')
        .then_some(body)
}

/// The id pytest makes of a literal value: see `parametrize_ids`.
fn literal_id(node: Node<'_>, src: &[u8], max_string: usize) -> Option<String> {
    match node.kind_str() {
        "string" => plain_string(node, src)
            .filter(|s| s.len() <= max_string)
            .map(str::to_string),
        "true" => Some("True".into()),
        "false" => Some("False".into()),
        "none" => Some("None".into()),
        "integer" | "float" => python_number(text(node, src)).map(str::to_string),
        "unary_operator" => {
            let operand = node.field("argument")?;
            let sign = text(node, src).strip_suffix(text(operand, src))?.trim();
            // `-0` prints as `0`.
            let number = python_number(text(operand, src))?;
            (sign == "-" && number != "0").then(|| format!("-{number}"))
        }
        _ => None,
    }
}

/// A number literal written as Python prints its value: a decimal integer without
/// leading zeros or `_`, or a decimal with both parts, no trailing zero (`1.0` aside),
/// between 1e-4 and 1e16 and at most 15 digits, which `repr` keeps as written.
fn python_number(literal: &str) -> Option<&str> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let no_leading_zero = |s: &str| s == "0" || !s.starts_with('0');
    match literal.split_once('.') {
        None => (digits(literal) && no_leading_zero(literal)).then_some(literal),
        Some((whole, fraction)) => {
            let plain = digits(whole)
                && digits(fraction)
                && no_leading_zero(whole)
                && (fraction == "0" || !fraction.ends_with('0'))
                && whole.len() + fraction.len() <= 15
                && !(whole == "0" && fraction.starts_with("0000"));
            plain.then_some(literal)
        }
    }
}

/// Cases of `parametrize(names, [ ... ])`: the length of a literal list or tuple.
fn parametrize_rows(arguments: Node<'_>, src: &[u8]) -> Option<u32> {
    let mut positional = 0;
    let mut values = None;
    for arg in arguments.named_kids() {
        match arg.kind_str() {
            "comment" => {}
            "keyword_argument" => {
                if arg
                    .field("name")
                    .is_some_and(|n| text(n, src) == "argvalues")
                {
                    values = arg.field("value");
                }
            }
            _ => {
                positional += 1;
                if positional == 2 {
                    values = Some(arg);
                }
            }
        }
    }
    let values = values?;
    if !matches!(values.kind_str(), "list" | "tuple") {
        return None;
    }
    let mut count = 0u32;
    for element in values.named_kids() {
        match element.kind_str() {
            "comment" => {}
            "list_splat" | "list_comprehension" => return None,
            _ => count += 1,
        }
    }
    Some(count)
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::extract::Items;

    #[test]
    fn kind_names_are_the_serde_names() {
        crate::extract::assert_serde_names(&TestKind::ALL, TestKind::name);
    }

    fn case(file: &str, name: &str) -> TestCase {
        TestCase {
            file: file.to_string(),
            line: 7,
            column: 5,
            name: name.to_string(),
            kind: TestKind::Test,
            framework: "jest".to_string(),
            skipped: false,
            modifiers: Vec::new(),
            cases: None,
            case_ids: None,
        }
    }

    /// The direct rendering against the generic one (`to_output_json` holds them equal in
    /// debug builds and checks the bytes read back): every field set and none, no cases,
    /// escapes.
    #[test]
    fn the_direct_rendering_is_the_generic_one() {
        let odd = "tests/q\"\\ü\u{2}_test.py";
        let mut full = case(odd, "Suite::test_\"a\"\n");
        full.kind = TestKind::Suite;
        full.framework = "pytest".into();
        full.skipped = true;
        full.modifiers = vec!["parametrize".into(), "xfail".into()];
        full.cases = Some(3);
        full.case_ids = Some(vec!["1-2".into(), "a\\b".into()]);
        let mut no_cases = case(odd, "test_none");
        no_cases.cases = Some(0);
        let mut items = vec![full, no_cases, case(odd, "plain"), case("b.test.ts", "b")];
        items.sort();
        let text = String::from_utf8(Items::Tests(items).to_output_json("c")).unwrap();
        assert!(text.contains(
            "{\"line\":7,\"column\":5,\"name\":\"Suite::test_\\\"a\\\"\\n\",\"kind\":\"suite\",\
             \"framework\":\"pytest\",\"skipped\":true,\"modifiers\":[\"parametrize\",\"xfail\"],\
             \"cases\":3,\"case_ids\":[\"1-2\",\"a\\\\b\"]}"
        ));
        assert!(text.contains(
            "\"name\":\"test_none\",\"kind\":\"test\",\"framework\":\"jest\",\"cases\":0}"
        ));
        assert!(text.contains("\"name\":\"plain\",\"kind\":\"test\",\"framework\":\"jest\"}"));
        assert!(text.ends_with("\n]\n}\n}\n"));
    }
}
