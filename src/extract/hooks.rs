//! The `hooks` extractor: custom React hooks defined at module level.

use super::components::ModuleExports;
use super::react::body_facts_from;
use super::scan::Scan;
use super::syntax::NodeExt;
use super::syntax::{one_line, position, text};
use serde::{Deserialize, Serialize};

/// Capture names `extractors/hooks/*.scm` may use.
pub const CAPTURES: &[&str] = &["hook", "name"];

/// `export > lexical_declaration > variable_declarator` starts at depth 3.
const MAX_DEPTH: u32 = 3;

const TEXT_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hook {
    #[serde(default)]
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The definition's stable id, `path#Qualified.Name` (see the calls extractor).
    pub id: String,
    #[serde(default = "crate::render::name_left_out")]
    pub name: String,
    #[serde(default)]
    pub exported: bool,
    #[serde(default)]
    pub default: bool,
    /// Each parameter as written, with its type and default.
    #[serde(default)]
    pub params: Vec<String>,
    /// The declared return type, without the colon; `None` when not written.
    pub returns: Option<String>,
    /// Hooks it calls, sorted, without repeats.
    #[serde(default)]
    pub hooks: Vec<String>,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<Hook> {
    let source = scan.text;
    let path = scan.path;
    let exports = ModuleExports(scan.exports);
    let mut found = Vec::new();
    let root = scan.root;
    let lang = scan.lang;
    let fact_nodes = scan.fact_nodes();
    scan.matches(root, Some(MAX_DEPTH), |m| {
        let (Some(function), Some(name_node)) = (m.get("hook"), m.get("name")) else {
            return;
        };
        let name = text(name_node, source);
        let params = match function.field("parameters") {
            Some(list) => list
                .named_kids()
                .into_iter()
                .filter(|p| p.kind_str() != "comment")
                .map(|p| one_line(text(p, source), TEXT_MAX))
                .collect(),
            // `useX = value => ...` has a bare parameter.
            None => function
                .field("parameter")
                .map(|p| vec![one_line(text(p, source), TEXT_MAX)])
                .unwrap_or_default(),
        };
        let returns = function
            .field("return_type")
            .and_then(|t| t.named_child(0))
            .map(|t| one_line(text(t, source), TEXT_MAX));
        let hooks = function
            .field("body")
            .map(|b| {
                body_facts_from(fact_nodes, b, source, lang)
                    .hooks
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default();
        let (exported, default) = exports.status(name_node, name);
        let (line, column) = position(name_node);
        found.push(Hook {
            file: path.to_string(),
            line,
            column,
            id: name.to_string(),
            name: name.to_string(),
            exported,
            default,
            params,
            returns,
            hooks,
        });
    });
    found
}
