//! Stable ids for every definition an extractor reports: `path#Qualified.Name`, the id
//! the call graph gives the same definition. Extractors write the qualified name into
//! `id`; this pass, run once per file after all of them, turns it into the id. A
//! definition with a body is a node of the call graph, whose ids carry the `~2`, `~3`
//! of a redefinition: the item takes the id of the first node of its qualified name that
//! starts at or after the item's own first line (overload signatures and the
//! implementation after them share one). Anything else (a variable, an interface, a type,
//! an enum) is `path#Qualified.Name`, which is also what the export surface names.

use super::Items;
use super::calls::CallNode;
use foldhash::HashMap;

pub fn assign(items: &mut [Items], nodes: &[CallNode], path: &str) {
    let mut by_name: HashMap<&str, Vec<(u32, &str)>> = HashMap::default();
    for node in nodes {
        by_name
            .entry(node.name.as_str())
            .or_default()
            .push((node.line, node.id.as_str()));
    }
    let id_of = |qualified: &str, line: u32| -> String {
        match by_name.get(qualified).map(Vec::as_slice) {
            Some([(_, id)]) => id.to_string(),
            Some(list @ [_, ..]) => list
                .iter()
                .find(|(start, _)| *start >= line)
                .or(list.last())
                .map(|(_, id)| id.to_string())
                .unwrap_or_default(),
            _ => format!("{path}#{qualified}"),
        }
    };
    for list in items {
        match list {
            Items::Symbols(v) => v.iter_mut().for_each(|i| i.id = id_of(&i.id, i.line)),
            Items::Components(v) => v.iter_mut().for_each(|i| i.id = id_of(&i.id, i.line)),
            Items::Hooks(v) => v.iter_mut().for_each(|i| i.id = id_of(&i.id, i.line)),
            Items::Types(v) => v.iter_mut().for_each(|i| i.id = id_of(&i.id, i.line)),
            Items::Schemas(v) => v.iter_mut().for_each(|i| i.id = id_of(&i.id, i.line)),
            // A handler the file defines once is named by its id; a name the file does not
            // define (imported, global) or defines several times stays as written.
            Items::Routes(v) => {
                for handler in v.iter_mut().flat_map(|r| r.handlers.iter_mut()) {
                    let Some(rest) = handler.strip_prefix(super::routes::LOCAL) else {
                        continue;
                    };
                    // `LINE\u{1}NAME`: the definition starting at LINE, of several so named
                    // (a decorator may be where its node starts).
                    let (line, name) = match rest.split_once(super::routes::LOCAL) {
                        Some((line, name)) => (line.parse::<u32>().ok(), name),
                        None => (None, rest),
                    };
                    *handler = match (by_name.get(name).map(Vec::as_slice), line) {
                        (Some([(_, id)]), _) => id.to_string(),
                        (Some(list @ [_, ..]), Some(line)) => list
                            .iter()
                            .filter(|(start, _)| *start <= line)
                            .max_by_key(|(start, _)| *start)
                            .map_or(name.to_string(), |(_, id)| id.to_string()),
                        _ => name.to_string(),
                    };
                }
            }
            _ => {}
        }
    }
}
