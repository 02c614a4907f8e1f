//! The generic layer of the query extractors a repository declares in `discover.toml`: one
//! item per match, named by `@name`, placed at `@item` (default `@name`), every other capture
//! a string field; captures starting with `_` serve predicates only.

use super::scan::Scan;
use super::syntax::{position, text};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

/// Capture names with a meaning of their own; any other capture becomes a field, except
/// these item keys, which a field must not shadow.
pub const NAME: &str = "name";
pub const ITEM: &str = "item";
pub const RESERVED: &[&str] = &["file", "line", "column"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QueryItem {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub name: String,
    /// Capture name and text, sorted by name; a capture the match did not bind is absent.
    pub fields: Vec<(String, String)>,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<QueryItem> {
    let source = scan.text;
    let path = scan.path;
    let root = scan.root;
    let mut found = Vec::new();
    scan.matches(root, None, |m| {
        let Some(name) = m.get(NAME) else {
            return;
        };
        let (line, column) = position(m.get(ITEM).unwrap_or(name));
        let mut fields: Vec<(String, String)> = Vec::new();
        for (capture, node) in &m.captures {
            if *capture == NAME
                || *capture == ITEM
                || capture.starts_with('_')
                || fields.iter().any(|(n, _)| n == capture)
            {
                continue;
            }
            fields.push((capture.to_string(), text(*node, source).to_string()));
        }
        fields.sort();
        found.push(QueryItem {
            file: path.to_string(),
            line,
            column,
            name: text(name, source).to_string(),
            fields,
        });
    });
    found
}

impl QueryItem {
    /// The items as the output file shows them: flat objects, `file`, `line`, `column`,
    /// `name`, then the fields by name.
    pub fn json_view(items: &[QueryItem]) -> Vec<JsonView<'_>> {
        items.iter().map(JsonView).collect()
    }

    /// Reads back the items of a rendered output; `None` when it is not one.
    pub fn read_output(bytes: &[u8]) -> Option<Vec<QueryItem>> {
        let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let mut items = Vec::new();
        for (file, list) in value.get("files")?.as_object()? {
            for item in list.as_array()? {
                let object = item.as_object()?;
                let number = |key: &str| {
                    object
                        .get(key)
                        .and_then(|v| v.as_u64())
                        .and_then(|n| u32::try_from(n).ok())
                };
                let string =
                    |key: &str| object.get(key).and_then(|v| v.as_str()).map(str::to_string);
                let mut fields = Vec::new();
                for (key, value) in object {
                    if matches!(key.as_str(), "line" | "column" | "name") {
                        continue;
                    }
                    fields.push((key.clone(), value.as_str()?.to_string()));
                }
                fields.sort();
                items.push(QueryItem {
                    file: file.clone(),
                    line: number("line")?,
                    column: number("column")?,
                    name: string("name")?,
                    fields,
                });
            }
        }
        items.sort();
        Some(items)
    }
}

pub struct JsonView<'a>(&'a QueryItem);

impl JsonView<'_> {
    pub fn file(&self) -> &str {
        &self.0.file
    }
}

impl Serialize for JsonView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let item = self.0;
        let mut map = serializer.serialize_map(Some(4 + item.fields.len()))?;
        map.serialize_entry("file", &item.file)?;
        map.serialize_entry("line", &item.line)?;
        map.serialize_entry("column", &item.column)?;
        map.serialize_entry("name", &item.name)?;
        for (key, value) in &item.fields {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}
