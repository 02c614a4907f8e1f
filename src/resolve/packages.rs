//! Workspace packages and `package.json` entry points: how a bare specifier naming a
//! package of the repository's own npm / yarn / pnpm workspace (`@acme/ui`,
//! `@acme/ui/button`), or a `#internal` specifier of a package's `imports`, reaches its
//! source files. TypeScript finds such a package through the `node_modules` link the
//! package manager makes; discover reads the workspace globs instead, then follows the
//! package's `exports` (or `types` / `main`) as TypeScript does, and maps a target in a
//! build directory (`dist/index.d.ts`) back to the source it is built from.

use globset::{GlobSet, GlobSetBuilder};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;

/// JSON as written, with object keys in file order: `exports` conditions are tried in the
/// order the package lists them.
#[derive(Debug, Clone)]
pub enum Json {
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
    /// `null`, numbers, booleans: nothing an entry point can be.
    Other,
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        struct JsonVisitor;
        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Json, E> {
                Ok(Json::Str(v))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
                Ok(Json::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
                Ok(Json::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
                Ok(Json::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
                Ok(Json::Other)
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Other)
            }
            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Json::Arr(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    out.push((k, v));
                }
                Ok(Json::Obj(out))
            }
        }
        deserializer.deserialize_any(JsonVisitor)
    }
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// What resolution reads of one `package.json`.
#[derive(Debug, Default)]
pub struct Manifest {
    pub name: Option<String>,
    pub exports: Option<Json>,
    pub imports: Option<Json>,
    /// `types`, else `typings`.
    pub types: Option<String>,
    pub main: Option<String>,
    /// `"type": "module"`: `.js` / `.ts` files here are ES modules to Node.
    pub module_type: bool,
    /// The `tsconfig` field: the config an `extends` naming the package reads.
    pub tsconfig: Option<String>,
    /// A `typesVersions` field.
    pub types_versions: bool,
    /// Workspace globs declared here (`workspaces` as a list or `{ packages: [...] }`, or
    /// a `pnpm-workspace.yaml` beside it), relative to this directory.
    pub workspaces: Vec<String>,
}

impl Manifest {
    pub fn parse(text: &str) -> Option<Manifest> {
        let json: Json = serde_json::from_str(text).ok()?;
        let string = |key: &str| json.get(key).and_then(Json::str).map(str::to_string);
        let globs = |value: Option<&Json>| -> Vec<String> {
            match value {
                Some(Json::Arr(items)) => items
                    .iter()
                    .filter_map(Json::str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            }
        };
        let workspaces = match json.get("workspaces") {
            Some(Json::Obj(_)) => globs(json.get("workspaces").and_then(|w| w.get("packages"))),
            other => globs(other),
        };
        Some(Manifest {
            name: string("name"),
            exports: json.get("exports").cloned(),
            imports: json.get("imports").cloned(),
            types: string("types").or_else(|| string("typings")),
            main: string("main"),
            module_type: string("type").as_deref() == Some("module"),
            tsconfig: string("tsconfig"),
            types_versions: json.get("typesVersions").is_some(),
            workspaces,
        })
    }
}

/// The `packages:` globs of a `pnpm-workspace.yaml`: a block list of plain or quoted
/// strings, the only shape pnpm documents.
pub fn pnpm_workspace_globs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let code = line.split(" #").next().unwrap_or("").trim_end();
        if code.trim().is_empty() || code.trim_start().starts_with('#') {
            continue;
        }
        if !code.starts_with([' ', '\t', '-']) {
            inside = code.trim() == "packages:";
            continue;
        }
        if inside && let Some(item) = code.trim().strip_prefix('-') {
            let item = item.trim().trim_matches(|c| c == '"' || c == '\'');
            if !item.is_empty() {
                out.push(item.to_string());
            }
        }
    }
    out
}

/// The workspaces: every package a workspace root's globs name, by name, seen from the
/// files under that root (where the package manager's `node_modules` links are found).
#[derive(Debug, Default)]
pub struct Workspace {
    /// Package name → (workspace root, package directory) for each membership.
    by_name: BTreeMap<String, Vec<(String, String)>>,
}

impl Workspace {
    /// `manifests`: directory → manifest, every `package.json` of the tree.
    pub fn new(manifests: &BTreeMap<String, Manifest>) -> Workspace {
        let mut by_name: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (root, manifest) in manifests {
            if manifest.workspaces.is_empty() {
                continue;
            }
            let Some((include, exclude)) = glob_sets(&manifest.workspaces) else {
                continue;
            };
            for (dir, member) in manifests {
                let Some(name) = member.name.as_deref() else {
                    continue;
                };
                let Some(rel) = relative_to(dir, root) else {
                    continue;
                };
                if !rel.is_empty() && include.is_match(rel) && !exclude.is_match(rel) {
                    by_name
                        .entry(name.to_string())
                        .or_default()
                        .push((root.clone(), dir.clone()));
                }
            }
        }
        Workspace { by_name }
    }

    /// The member package a bare specifier written in a file of directory `from` names,
    /// and the subpath after its name (`@acme/ui/button` → (`packages/ui`, `./button`);
    /// `@acme/ui` → (.., `.`)). Only the workspaces holding `from` count, the innermost
    /// first; two members of one name there give none: which one a `node_modules` link
    /// names is the package manager's choice.
    pub fn package<'s>(&self, from: &str, specifier: &'s str) -> Option<(&str, String)> {
        let mut parts = specifier.splitn(3, '/');
        let first = parts.next()?;
        let name_len = if first.starts_with('@') {
            first.len() + 1 + parts.next()?.len()
        } else {
            first.len()
        };
        let (name, rest): (&'s str, &'s str) = specifier.split_at(name_len);
        let visible: Vec<&(String, String)> = self
            .by_name
            .get(name)?
            .iter()
            .filter(|(root, _)| relative_to(from, root).is_some())
            .collect();
        let innermost = visible.iter().map(|(root, _)| root.len()).max()?;
        let mut dirs = visible
            .iter()
            .filter(|(root, _)| root.len() == innermost)
            .map(|(_, dir)| dir.as_str());
        let dir = dirs.next()?;
        if dirs.next().is_some() {
            return None;
        }
        let subpath = if rest.is_empty() {
            ".".to_string()
        } else {
            format!(".{rest}")
        };
        Some((dir, subpath))
    }
}

/// `include` and `exclude` (`!`-prefixed) sets of workspace globs.
fn glob_sets(globs: &[String]) -> Option<(GlobSet, GlobSet)> {
    let mut include = GlobSetBuilder::new();
    let mut exclude = GlobSetBuilder::new();
    for glob in globs {
        let (set, pattern) = match glob.strip_prefix('!') {
            Some(rest) => (&mut exclude, rest),
            None => (&mut include, glob.as_str()),
        };
        let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
        // `*` stays within one directory, as in npm's and pnpm's globs.
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .ok()?;
        set.add(glob);
    }
    Some((include.build().ok()?, exclude.build().ok()?))
}

/// `dir` relative to `root` (both root-relative, `""` for the root), if under it.
fn relative_to<'d>(dir: &'d str, root: &str) -> Option<&'d str> {
    if root.is_empty() {
        return Some(dir);
    }
    let rest = dir.strip_prefix(root)?;
    if rest.is_empty() {
        Some(rest)
    } else {
        rest.strip_prefix('/')
    }
}

/// The targets a subpath (`.`, `./button`, `#db`) maps to in an `exports` or `imports`
/// field, under the conditions given, first match first; `None` when the field does not
/// list the subpath (a package with `exports` exposes nothing else), an empty list when
/// it blocks it (`null`).
pub fn map_subpath(field: &Json, subpath: &str, conditions: &[&str]) -> Option<Vec<String>> {
    // `"exports": "./x.js"`, a list, or a conditions object stand for `{ ".": ... }`.
    let is_subpath_map = match field {
        Json::Obj(entries) => entries
            .first()
            .is_some_and(|(k, _)| k.starts_with('.') || k.starts_with('#')),
        _ => false,
    };
    if !is_subpath_map {
        return (subpath == ".").then(|| targets(field, "", conditions).unwrap_or_default());
    }
    let Json::Obj(entries) = field else {
        return None;
    };
    if let Some((_, value)) = entries
        .iter()
        .find(|(k, _)| k == subpath && !k.contains('*'))
    {
        return Some(targets(value, "", conditions).unwrap_or_default());
    }
    // Patterns, as Node orders them: the longest prefix before the `*`, then the longest
    // key; the `*` matches at least one character.
    let mut best: Option<(&str, &Json)> = None;
    for (key, value) in entries {
        let Some((pre, post)) = key.split_once('*') else {
            continue;
        };
        let matches =
            subpath.len() >= key.len() && subpath.starts_with(pre) && subpath.ends_with(post);
        let better = best.is_none_or(|(k, _)| {
            let k_pre = k.split('*').next().map_or(0, str::len);
            (pre.len(), key.len()) > (k_pre, k.len())
        });
        if matches && better {
            best = Some((key, value));
        }
    }
    let (key, value) = best?;
    let (pre, post) = key.split_once('*')?;
    let star = &subpath[pre.len()..subpath.len() - post.len()];
    // Node refuses a match that would step out of the target's directory.
    if star
        .split('/')
        .any(|segment| matches!(segment, "" | "." | ".." | "node_modules"))
    {
        return Some(Vec::new());
    }
    Some(targets(value, star, conditions).unwrap_or_default())
}

/// The relative targets a value gives: a string, each of a list in turn, or the first
/// object entry whose condition is one of `conditions` and gives something; `None` when
/// no condition applies (Node then tries the next entry up), an empty list for `null`.
fn targets(value: &Json, star: &str, conditions: &[&str]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    collect_targets(value, star, conditions, &mut out, 0).then_some(out)
}

/// Adds the targets of `value` to `out`; whether it gave an answer (a target or `null`).
fn collect_targets(
    value: &Json,
    star: &str,
    conditions: &[&str],
    out: &mut Vec<String>,
    depth: u32,
) -> bool {
    if depth > 16 {
        return false;
    }
    match value {
        Json::Str(target) => {
            out.push(target.replace('*', star));
            true
        }
        Json::Arr(items) => {
            let mut any = false;
            for item in items {
                any |= collect_targets(item, star, conditions, out, depth + 1);
            }
            any
        }
        Json::Obj(entries) => entries
            .iter()
            .filter(|(k, _)| conditions.contains(&k.as_str()))
            .any(|(_, v)| collect_targets(v, star, conditions, out, depth + 1)),
        Json::Other => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }

    const IMPORT: &[&str] = &["types", "import", "default"];

    #[test]
    fn exports_follow_the_conditions_in_the_package_order() {
        let exports = json(
            r#"{ ".": { "import": { "types": "./dist/index.d.mts", "default": "./dist/index.mjs" },
                       "require": "./dist/index.cjs" },
                 "./button": "./src/button.tsx",
                 "./icons/*": { "types": "./dist/icons/*.d.ts" },
                 "./icons/special/*": "./src/special/*.tsx",
                 "./internal/*": null,
                 "./package.json": "./package.json" }"#,
        );
        assert_eq!(
            map_subpath(&exports, ".", IMPORT).unwrap(),
            ["./dist/index.d.mts"]
        );
        assert_eq!(
            map_subpath(&exports, ".", &["types", "require", "default"]).unwrap(),
            ["./dist/index.cjs"],
            "the first listed condition that applies wins, at each level"
        );
        assert_eq!(
            map_subpath(&exports, "./button", IMPORT).unwrap(),
            ["./src/button.tsx"]
        );
        assert_eq!(
            map_subpath(&exports, "./icons/star", IMPORT).unwrap(),
            ["./dist/icons/star.d.ts"]
        );
        assert_eq!(
            map_subpath(&exports, "./icons/special/x", IMPORT).unwrap(),
            ["./src/special/x.tsx"]
        );
        assert!(
            map_subpath(&exports, "./internal/a", IMPORT)
                .unwrap()
                .is_empty()
        );
        assert!(map_subpath(&exports, "./other", IMPORT).is_none());
        // A `*` never matches `..` or nothing.
        assert!(
            map_subpath(&exports, "./icons/../internal/a", IMPORT)
                .unwrap()
                .is_empty()
        );
        assert!(map_subpath(&exports, "./icons/", IMPORT).is_none());
        // On one prefix, the longer key wins.
        let tie = json(r#"{ "./*": "./src/*", "./*.js": "./legacy/*.js" }"#);
        assert_eq!(
            map_subpath(&tie, "./util.js", IMPORT).unwrap(),
            ["./legacy/util.js"]
        );
        assert_eq!(map_subpath(&tie, "./util", IMPORT).unwrap(), ["./src/util"]);
        // A condition whose object gives nothing falls through to the next.
        let nested = json(r#"{ "import": { "browser": "./b.js" }, "default": "./d.js" }"#);
        assert_eq!(map_subpath(&nested, ".", IMPORT).unwrap(), ["./d.js"]);
        // Sugar: a string or a conditions object is the "." entry.
        assert_eq!(
            map_subpath(&json(r#""./i.js""#), ".", IMPORT).unwrap(),
            ["./i.js"]
        );
        assert_eq!(
            map_subpath(
                &json(r#"{ "require": "./c.js", "default": "./d.js" }"#),
                ".",
                IMPORT
            )
            .unwrap(),
            ["./d.js"]
        );
    }

    #[test]
    fn workspace_members_by_globs_and_names() {
        let mut manifests = BTreeMap::new();
        let manifest = |text: &str| Manifest::parse(text).unwrap();
        manifests.insert(
            String::new(),
            manifest(
                r#"{ "name": "root", "workspaces": ["packages/*", "apps/**", "!apps/legacy"] }"#,
            ),
        );
        manifests.insert("packages/ui".into(), manifest(r#"{ "name": "@acme/ui" }"#));
        manifests.insert(
            "packages/ui/nested".into(),
            manifest(r#"{ "name": "nested" }"#),
        );
        manifests.insert("apps/web/site".into(), manifest(r#"{ "name": "site" }"#));
        manifests.insert("apps/legacy".into(), manifest(r#"{ "name": "legacy" }"#));
        manifests.insert("examples/ui".into(), manifest(r#"{ "name": "@acme/ui" }"#));
        manifests.insert(
            "tools".into(),
            manifest(r#"{ "name": "tools", "workspaces": ["pkgs/*"] }"#),
        );
        manifests.insert("tools/pkgs/a".into(), manifest(r#"{ "name": "a" }"#));
        manifests.insert("tools/pkgs/b".into(), manifest(r#"{ "name": "a" }"#));
        manifests.insert("tools/pkgs/site".into(), manifest(r#"{ "name": "site" }"#));
        let ws = Workspace::new(&manifests);
        let from = "apps/web/site/src";
        assert_eq!(
            ws.package(from, "@acme/ui"),
            Some(("packages/ui", ".".into()))
        );
        assert_eq!(
            ws.package(from, "@acme/ui/button/x"),
            Some(("packages/ui", "./button/x".into()))
        );
        assert_eq!(
            ws.package(from, "site"),
            Some(("apps/web/site", ".".into()))
        );
        assert_eq!(
            ws.package(from, "nested"),
            None,
            "`*` stays in one directory"
        );
        assert_eq!(ws.package(from, "legacy"), None, "excluded by `!`");
        assert_eq!(
            ws.package(from, "root"),
            None,
            "the root is not its own member"
        );
        assert_eq!(ws.package(from, "@acme/uix"), None);
        // Another workspace's packages are not linked here; inside it, its own `site` is
        // nearer than the outer one, and two packages named `a` give none.
        assert_eq!(ws.package(from, "a"), None);
        assert_eq!(
            ws.package("tools/pkgs/a", "site"),
            Some(("tools/pkgs/site", ".".into()))
        );
        assert_eq!(ws.package("tools/pkgs/site", "a"), None);
    }

    #[test]
    fn pnpm_workspace_yaml() {
        let text = "# workspace\npackages:\n  - 'packages/*'\n  - \"apps/*\" # apps\n  - tools\n  - '!**/test/**'\ncatalog:\n  react: ^18\n";
        assert_eq!(
            pnpm_workspace_globs(text),
            ["packages/*", "apps/*", "tools", "!**/test/**"]
        );
    }
}
