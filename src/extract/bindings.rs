//! A file's module-level imports and the names they bind, read once per file for every
//! extractor that asks (the call graph's targets, Zod's names, pydantic's bases, the route
//! and test frameworks). Each consumer filters what it needs; none scans imports itself.

use super::syntax::NodeExt;
use super::syntax::{string_literal, text};
use crate::lang::Lang;
use tree_sitter::Node;

/// How a module is brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// `import … from "m"`, `import "m"`.
    Import,
    /// A module-level `const … = require("m")` (or `require("m")()` and the like, see
    /// `Statement::wrapped`).
    Require,
    /// Python `import m`, `import m as n`: one statement per imported name.
    PyImport,
    /// Python `from m import a, b as c`.
    PyFrom,
}

/// A name an import binds in the file: `local` refers to `imported` (`default`, `*` for
/// the module itself, or the exported name) of `module`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub local: String,
    /// The module as written for this binding (`import a.b` binds `a` to module `a`).
    pub module: String,
    pub imported: String,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub kind: ImportKind,
    /// The module as written: a JS specifier, a Python dotted name (`.models` for a
    /// relative one; for `import a as b` the text of `a as b`'s name).
    pub module: String,
    /// A `require` under a call, member or `await` (`require("express")()`,
    /// `require("x").Router`): it binds nothing directly.
    pub wrapped: bool,
    /// A Python import inside a module-level `if` / `try` block.
    pub guarded: bool,
    /// The text of the declared name of a `require` (`express`, `{ Router }`), or the
    /// default import's local name.
    pub declared: Option<String>,
    pub bindings: Vec<Binding>,
}

/// The module-level import statements of a file, in document order.
#[derive(Debug, Clone, Default)]
pub struct Imports {
    pub statements: Vec<Statement>,
}

impl Imports {
    pub fn of(root: Node<'_>, source: &[u8], lang: Lang) -> Imports {
        let mut statements = Vec::new();
        if lang.is_js_like() {
            for statement in root.named_kids() {
                match statement.kind_str() {
                    "import_statement" => js_import(statement, source, &mut statements),
                    "lexical_declaration" | "variable_declaration" => {
                        js_requires(statement, source, &mut statements);
                    }
                    _ => {}
                }
            }
        } else {
            python_blocks(root, source, &mut statements);
        }
        Imports { statements }
    }

    /// Every binding, in order (a wrapped `require` binds nothing).
    pub fn bindings(&self) -> impl Iterator<Item = &Binding> {
        self.statements.iter().flat_map(|s| s.bindings.iter())
    }
}

fn js_import(statement: Node<'_>, source: &[u8], out: &mut Vec<Statement>) {
    let Some(module) = statement
        .field("source")
        .and_then(|s| string_literal(s, source))
    else {
        return;
    };
    let mut bindings = Vec::new();
    let mut declared = None;
    let clause = statement
        .named_kids()
        .into_iter()
        .find(|c| c.kind_str() == "import_clause");
    if let Some(clause) = clause {
        for part in clause.named_kids() {
            let mut bind = |local: Node<'_>, imported: &str| {
                bindings.push(Binding {
                    local: text(local, source).to_string(),
                    module: module.to_string(),
                    imported: imported.to_string(),
                });
            };
            match part.kind_str() {
                "identifier" => {
                    if declared.is_none() {
                        declared = Some(text(part, source).to_string());
                    }
                    bind(part, "default");
                }
                "namespace_import" => {
                    if let Some(name) = part.named_child(0) {
                        bind(name, "*");
                    }
                }
                "named_imports" => {
                    for spec in part.named_kids() {
                        let Some(name) = spec.field("name") else {
                            continue;
                        };
                        let local = spec.field("alias").unwrap_or(name);
                        bind(local, text(name, source));
                    }
                }
                _ => {}
            }
        }
    }
    out.push(Statement {
        kind: ImportKind::Import,
        module: module.to_string(),
        wrapped: false,
        guarded: false,
        declared,
        bindings,
    });
}

/// `const x = require("m")`, `const { a, b: c } = require("m")`, and wrapped requires
/// (`const app = require("express")()`), one statement per declarator.
fn js_requires(statement: Node<'_>, source: &[u8], out: &mut Vec<Statement>) {
    for declarator in statement.named_kids() {
        let (Some(name), Some(value)) = (declarator.field("name"), declarator.field("value"))
        else {
            continue;
        };
        let Some((module, wrapped)) = required_module(value, source) else {
            continue;
        };
        let mut bindings = Vec::new();
        if !wrapped {
            let mut bind = |local: Node<'_>, imported: &str| {
                bindings.push(Binding {
                    local: text(local, source).to_string(),
                    module: module.to_string(),
                    imported: imported.to_string(),
                });
            };
            match name.kind_str() {
                "identifier" => bind(name, "*"),
                "object_pattern" => {
                    for property in name.named_kids() {
                        match property.kind_str() {
                            "shorthand_property_identifier_pattern" => {
                                bind(property, text(property, source));
                            }
                            "pair_pattern" => {
                                if let (Some(k), Some(v)) =
                                    (property.field("key"), property.field("value"))
                                    && v.kind_str() == "identifier"
                                {
                                    bind(v, text(k, source));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        out.push(Statement {
            kind: ImportKind::Require,
            module: module.to_string(),
            wrapped,
            guarded: false,
            declared: Some(text(name, source).to_string()),
            bindings,
        });
    }
}

/// `m` of `require("m")`, and whether the call sits under another call, a member access
/// or an `await` (`require("m")()`, `require("m").Router`).
pub(super) fn required_module<'s>(value: Node<'_>, source: &'s [u8]) -> Option<(&'s str, bool)> {
    let mut node = value;
    for depth in 0..4 {
        match node.kind_str() {
            "call_expression" => {
                let function = node.field("function")?;
                if function.kind_str() == "identifier" && text(function, source) == "require" {
                    let arguments = node.field("arguments")?;
                    let first = arguments
                        .named_kids()
                        .into_iter()
                        .find(|a| a.kind_str() != "comment")?;
                    return string_literal(first, source).map(|m| (m, depth > 0));
                }
                node = function;
            }
            "member_expression" => node = node.field("object")?,
            "await_expression" => node = node.named_child(0)?,
            _ => return None,
        }
    }
    None
}

/// Python imports at module level and in module-level `if` / `try` blocks and their
/// branches (`guarded`). The module's own statements come first, in order; guarded blocks
/// after them, the last-found block first (a later binding of the same name wins in the
/// call graph's table, as it always has).
fn python_blocks(root: Node<'_>, source: &[u8], out: &mut Vec<Statement>) {
    let mut blocks = vec![(root, false)];
    while let Some((block, guarded)) = blocks.pop() {
        for statement in block.named_kids() {
            match statement.kind_str() {
                "import_statement" => python_import(statement, source, guarded, out),
                "import_from_statement" => python_from(statement, source, guarded, out),
                "if_statement" | "try_statement" | "block" | "else_clause" | "except_clause" => {
                    blocks.push((statement, true));
                }
                _ => {}
            }
        }
    }
}

fn python_import(statement: Node<'_>, source: &[u8], guarded: bool, out: &mut Vec<Statement>) {
    for name in statement.field_kids("name") {
        let written = text(name, source);
        let binding = match name.kind_str() {
            "aliased_import" => match (name.field("name"), name.field("alias")) {
                (Some(module), Some(alias)) => Some(Binding {
                    local: text(alias, source).to_string(),
                    module: text(module, source).to_string(),
                    imported: "*".to_string(),
                }),
                _ => None,
            },
            // `import a.b` binds `a`.
            _ => {
                let first = written.split('.').next().unwrap_or(written);
                Some(Binding {
                    local: first.to_string(),
                    module: first.to_string(),
                    imported: "*".to_string(),
                })
            }
        };
        out.push(Statement {
            kind: ImportKind::PyImport,
            module: written.to_string(),
            wrapped: false,
            guarded,
            declared: None,
            bindings: binding.into_iter().collect(),
        });
    }
}

fn python_from(statement: Node<'_>, source: &[u8], guarded: bool, out: &mut Vec<Statement>) {
    let Some(module) = statement.field("module_name") else {
        return;
    };
    let module = text(module, source).to_string();
    let mut bindings = Vec::new();
    for name in statement.field_kids("name") {
        let (imported, local) = match name.kind_str() {
            "aliased_import" => match (name.field("name"), name.field("alias")) {
                (Some(n), Some(a)) => (text(n, source), text(a, source)),
                _ => continue,
            },
            _ => (text(name, source), text(name, source)),
        };
        bindings.push(Binding {
            local: local.to_string(),
            module: module.clone(),
            imported: imported.to_string(),
        });
    }
    out.push(Statement {
        kind: ImportKind::PyFrom,
        module,
        wrapped: false,
        guarded,
        declared: None,
        bindings,
    });
}
