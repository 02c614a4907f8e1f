//! The `imports` extractor: one item per import statement (per module for Python's
//! `import a, b`), with the local files it resolves to filled in later by `resolve`.

use super::scan::Match;
use super::syntax::NodeExt;
use super::syntax::{ancestors, position, string_literal, text};
use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use tree_sitter::Node;

/// Capture names `extractors/imports/*.scm` may use.
pub const CAPTURES: &[&str] = &[
    "static", "reexport", "dynamic", "require", "import", "from", "source",
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Import {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub kind: ImportKind,
    pub specifier: String,
    /// Bindings, as written: `a`, `a as b`, `default as X`, `* as ns`, `*`.
    #[serde(default)]
    pub names: Vec<String>,
    /// Repository-relative source files the statement loads, sorted; empty for packages.
    #[serde(default)]
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    Static,
    Type,
    Dynamic,
    Require,
    Reexport,
}

impl ImportKind {
    /// As JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::Static => "static",
            ImportKind::Type => "type",
            ImportKind::Dynamic => "dynamic",
            ImportKind::Require => "require",
            ImportKind::Reexport => "reexport",
        }
    }
}

impl Import {
    /// The import's line in its chunk file, as the generic rendering writes it
    /// (`render::chunk_files`): empty lists left out.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        use crate::render::write_str;
        crate::render::item_head(out, self.line, self.column);
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(self.kind.name().as_bytes());
        out.extend_from_slice(b"\",\"specifier\":");
        write_str(out, &self.specifier);
        for (key, list) in [
            (&b",\"names\":["[..], &self.names),
            (&b",\"targets\":["[..], &self.targets),
        ] {
            if list.is_empty() {
                continue;
            }
            out.extend_from_slice(key);
            for (i, value) in list.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, value);
            }
            out.push(b']');
        }
        out.push(b'}');
    }
}

/// Turns one match of `extractors/imports/*.scm` into import items (several for Python's
/// `import a, b`).
pub fn from_match(m: &Match<'_, '_>, source: &[u8], lang: Lang, file: &str, out: &mut Vec<Import>) {
    let mut statement = None;
    let mut literal = None;
    for &(role, node) in &m.captures {
        match role {
            "source" => literal = Some(node),
            _ if role.starts_with('_') => {}
            _ => statement = Some((role, node)),
        }
    }
    let Some((role, node)) = statement else {
        return;
    };
    let item = |at: Node<'_>, kind, specifier: &str, names| {
        let (line, column) = position(at);
        Import {
            file: file.to_string(),
            line,
            column,
            kind,
            specifier: specifier.to_string(),
            names,
            targets: Vec::new(),
        }
    };
    if lang.is_js_like() {
        let Some(specifier) = literal.and_then(|l| string_literal(l, source)) else {
            return;
        };
        let (kind, names) = match role {
            "static" => js_import_names(node, source),
            "reexport" => (ImportKind::Reexport, js_reexport_names(node, source)),
            "dynamic" => (ImportKind::Dynamic, Vec::new()),
            _ => (ImportKind::Require, js_require_names(node, source)),
        };
        out.push(item(node, kind, specifier, names));
        return;
    }
    let kind = if under_type_checking(node, source) {
        ImportKind::Type
    } else {
        ImportKind::Static
    };
    match role {
        "import" => {
            for name in node.field_kids("name") {
                let (module, names) = match name.kind_str() {
                    "aliased_import" => {
                        let module = name.field("name").map(|n| text(n, source));
                        let alias = name.field("alias").map(|n| text(n, source));
                        (
                            module,
                            alias.map(|a| vec![format!("* as {a}")]).unwrap_or_default(),
                        )
                    }
                    _ => (Some(text(name, source)), Vec::new()),
                };
                if let Some(module) = module {
                    out.push(item(name, kind, module, names));
                }
            }
        }
        "from" => {
            let Some(module) = node.field("module_name") else {
                return;
            };
            let mut names = Vec::new();
            for child in node.named_kids() {
                match child.kind_str() {
                    "wildcard_import" => names.push("*".to_string()),
                    "aliased_import" if child != module => {
                        let n = child.field("name").map(|n| text(n, source));
                        let a = child.field("alias").map(|n| text(n, source));
                        if let (Some(n), Some(a)) = (n, a) {
                            names.push(format!("{n} as {a}"));
                        }
                    }
                    "dotted_name" if child != module => names.push(text(child, source).to_string()),
                    _ => {}
                }
            }
            out.push(item(node, kind, text(module, source), names));
        }
        _ => {
            if let Some(specifier) = literal.and_then(|l| string_literal(l, source)) {
                out.push(item(node, ImportKind::Dynamic, specifier, Vec::new()));
            }
        }
    }
}

fn js_import_names(statement: Node<'_>, source: &[u8]) -> (ImportKind, Vec<String>) {
    let mut kind = ImportKind::Static;
    let mut names = Vec::new();
    for child in statement.kids() {
        match child.kind_str() {
            // `import type { X } from` (an anonymous `type` token right in the statement).
            "type" if !child.is_named() => kind = ImportKind::Type,
            "import_clause" => {
                for part in child.named_kids() {
                    match part.kind_str() {
                        "identifier" => names.push(format!("default as {}", text(part, source))),
                        "namespace_import" => {
                            if let Some(id) = part.named_child(0) {
                                names.push(format!("* as {}", text(id, source)));
                            }
                        }
                        "named_imports" => {
                            for spec in part.named_kids() {
                                if spec.kind_str() == "import_specifier" {
                                    names.push(specifier_name(spec, source));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (kind, names)
}

fn js_reexport_names(statement: Node<'_>, source: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for child in statement.kids() {
        match child.kind_str() {
            "*" => names.push("*".to_string()),
            "namespace_export" => {
                if let Some(id) = child.named_child(0) {
                    names.push(format!("* as {}", text(id, source)));
                }
            }
            "export_clause" => {
                for spec in child.named_kids() {
                    if spec.kind_str() == "export_specifier" {
                        names.push(specifier_name(spec, source));
                    }
                }
            }
            _ => {}
        }
    }
    names
}

/// `a` or `a as b` for an import or export specifier.
fn specifier_name(spec: Node<'_>, source: &[u8]) -> String {
    let name = spec.field("name").map(|n| text(n, source)).unwrap_or("");
    match spec.field("alias") {
        Some(alias) => format!("{name} as {}", text(alias, source)),
        None => name.to_string(),
    }
}

/// Bindings of `const x = require("m")`, `const { a, b: c } = require("m")` and TypeScript's
/// `import x = require("m")`.
fn js_require_names(node: Node<'_>, source: &[u8]) -> Vec<String> {
    if node.kind_str() == "import_require_clause" {
        return node
            .named_child(0)
            .filter(|n| n.kind_str() == "identifier")
            .map(|n| vec![format!("* as {}", text(n, source))])
            .unwrap_or_default();
    }
    let Some(declarator) = node.up().filter(|p| p.kind_str() == "variable_declarator") else {
        return Vec::new();
    };
    let Some(pattern) = declarator.field("name") else {
        return Vec::new();
    };
    match pattern.kind_str() {
        "identifier" => vec![format!("* as {}", text(pattern, source))],
        "object_pattern" => {
            let mut names = Vec::new();
            for prop in pattern.named_kids() {
                match prop.kind_str() {
                    "shorthand_property_identifier_pattern" => {
                        names.push(text(prop, source).to_string())
                    }
                    "pair_pattern" => {
                        let key = prop.field("key").map(|n| text(n, source));
                        let value = prop.field("value").map(|n| text(n, source));
                        if let (Some(k), Some(v)) = (key, value) {
                            names.push(format!("{k} as {v}"));
                        }
                    }
                    _ => {}
                }
            }
            names
        }
        _ => Vec::new(),
    }
}

/// Whether a Python import sits in the body of `if TYPE_CHECKING:` (it then exists for type
/// checkers only).
fn under_type_checking(node: Node<'_>, source: &[u8]) -> bool {
    let chain = ancestors(node);
    chain.iter().enumerate().any(|(level, &up)| {
        let current = if level == 0 { node } else { chain[level - 1] };
        up.kind_str() == "if_statement"
            && up
                .field("condition")
                .is_some_and(|c| text(c, source).ends_with("TYPE_CHECKING"))
            && up.field("consequence") == Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Items;

    /// The direct rendering against the generic one (`to_output_json` holds them equal in
    /// debug builds and checks the bytes read back): empty and full lists, escapes.
    #[test]
    fn the_direct_rendering_is_the_generic_one() {
        let import = |kind, specifier: &str, names: &[&str], targets: &[&str]| Import {
            file: "a\u{3}.py".to_string(),
            line: 3,
            column: 0,
            kind,
            specifier: specifier.to_string(),
            names: names.iter().map(|n| n.to_string()).collect(),
            targets: targets.iter().map(|t| t.to_string()).collect(),
        };
        let mut items = vec![
            import(
                ImportKind::Static,
                ".\"models\"",
                &["a", "b as c"],
                &["pkg/models.py"],
            ),
            import(ImportKind::Dynamic, "os", &[], &[]),
            import(ImportKind::Require, "./x", &[], &["x.js", "x/index.js"]),
            import(ImportKind::Type, "t", &["* as T"], &[]),
        ];
        items.sort();
        let text = String::from_utf8(Items::Imports(items).to_output_json("c")).unwrap();
        assert!(text.contains("\n\"a\\u0003.py\":[\n"));
        assert!(text.contains(
            "{\"line\":3,\"column\":0,\"kind\":\"static\",\"specifier\":\".\\\"models\\\"\",\
             \"names\":[\"a\",\"b as c\"],\"targets\":[\"pkg/models.py\"]}"
        ));
        assert!(
            text.contains("{\"line\":3,\"column\":0,\"kind\":\"dynamic\",\"specifier\":\"os\"}")
        );
        assert!(text.contains("\"specifier\":\"./x\",\"targets\":[\"x.js\",\"x/index.js\"]}"));
        assert!(text.contains("\"kind\":\"type\",\"specifier\":\"t\",\"names\":[\"* as T\"]}"));
    }
}
