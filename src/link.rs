//! The link stage: from every file's declared export surface (the `exports` extractor's
//! items as one file finds them) to the definition each exported name reaches across
//! files, and to the `target` of each call edge that goes through an import. It reads
//! nothing but items and the resolver, so the same items give the same links whatever the
//! order in which files were extracted or reused.
//!
//! Never a guess: a name that two `export *` reach differently, a module that resolves to
//! no repository file, a cycle, a definition a file makes twice: no id, no target.

use crate::extract::{CallNode, Export, ExportKind};
use crate::lang::Lang;
use crate::resolve::Resolver;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What following an exported name found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// The module does not export the name.
    Absent,
    /// It does; the definition's id when one can be named with certainty.
    Found(Option<String>),
}

/// How deep re-export chains are followed; real ones are a handful of files long.
const MAX_CHAIN: usize = 64;

pub struct Linker<'a> {
    resolver: &'a Resolver,
    /// File → its declared exports.
    surfaces: HashMap<String, Vec<Export>>,
    /// Results that did not meet a cycle (those do not depend on where the search began).
    memo: RefCell<HashMap<(String, String), Reach>>,
    names_memo: RefCell<HashMap<String, BTreeSet<String>>>,
}

impl<'a> Linker<'a> {
    /// `declared`: every file's declared export items (`Export::is_declared`), with the ids
    /// of their local definitions.
    pub fn new(resolver: &'a Resolver, declared: impl IntoIterator<Item = Export>) -> Self {
        let mut surfaces: HashMap<String, Vec<Export>> = HashMap::new();
        for export in declared {
            if export.is_declared() {
                surfaces
                    .entry(export.file.clone())
                    .or_default()
                    .push(export);
            }
        }
        Linker {
            resolver,
            surfaces,
            memo: RefCell::new(HashMap::new()),
            names_memo: RefCell::new(HashMap::new()),
        }
    }

    fn module_file(&self, from: &str, module: &str) -> Option<String> {
        self.resolver.module_file(from, module)
    }

    /// The id `name` reaches when imported from `file`.
    pub fn reach(&self, file: &str, name: &str) -> Option<String> {
        match self.reach_in(file, name, &mut Vec::new()).0 {
            Reach::Found(id) => id,
            Reach::Absent => None,
        }
    }

    /// Follows `name` from `file`; the flag says whether a cycle was met on the way.
    fn reach_in(&self, file: &str, name: &str, path: &mut Vec<(String, String)>) -> (Reach, bool) {
        let key = (file.to_string(), name.to_string());
        if let Some(found) = self.memo.borrow().get(&key) {
            return (found.clone(), false);
        }
        if path.contains(&key) || path.len() >= MAX_CHAIN {
            return (Reach::Absent, true);
        }
        path.push(key.clone());
        let (found, cyclic) = self.reach_uncached(file, name, path);
        path.pop();
        if !cyclic {
            self.memo.borrow_mut().insert(key, found.clone());
        }
        (found, cyclic)
    }

    fn reach_uncached(
        &self,
        file: &str,
        name: &str,
        path: &mut Vec<(String, String)>,
    ) -> (Reach, bool) {
        let Some(surface) = self.surfaces.get(file) else {
            return (Reach::Absent, false);
        };
        let named: Vec<&Export> = surface
            .iter()
            .filter(|e| e.name == name && e.name != "*")
            .collect();
        if let [export] = named.as_slice() {
            return self.follow(export, path);
        }
        if named.len() > 1 {
            // Exported twice (`__all__` and a definition agree, or a file at odds with
            // itself): only when every way reaches the same definition.
            let mut cyclic = false;
            let mut reached = Vec::new();
            for export in named {
                let (r, c) = self.follow(export, path);
                cyclic |= c;
                reached.push(r);
            }
            reached.dedup();
            return match reached.as_slice() {
                [one] => (one.clone(), cyclic),
                _ => (Reach::Found(None), cyclic),
            };
        }
        // `export *` never passes on a default export.
        if name == "default" || name == "module.exports" {
            return (Reach::Absent, false);
        }
        let mut cyclic = false;
        let mut found: Vec<Reach> = Vec::new();
        for star in surface
            .iter()
            .filter(|e| e.kind == ExportKind::Star && e.name == "*")
        {
            let Some(target) = star
                .module
                .as_deref()
                .and_then(|m| self.module_file(file, m))
            else {
                continue;
            };
            let (r, c) = self.reach_in(&target, name, path);
            cyclic |= c;
            if r != Reach::Absent && !found.contains(&r) {
                found.push(r);
            }
        }
        match found.as_slice() {
            [] => (Reach::Absent, cyclic),
            [one] => (one.clone(), cyclic),
            // Two `export *` bring the name from different definitions: TypeScript leaves
            // it ambiguous, and so does this.
            _ => (Reach::Found(None), cyclic),
        }
    }

    /// Where one declared export leads.
    fn follow(&self, export: &Export, path: &mut Vec<(String, String)>) -> (Reach, bool) {
        match export.kind {
            ExportKind::Local => (Reach::Found(export.id.clone()), false),
            ExportKind::Reexport => {
                let (Some(module), Some(imported)) = (&export.module, &export.imported) else {
                    return (Reach::Found(None), false);
                };
                let Some(target) = self.module_file(&export.file, module) else {
                    return (Reach::Found(None), false);
                };
                let (r, cyclic) = self.reach_in(&target, imported, path);
                match r {
                    Reach::Found(id) => (Reach::Found(id), cyclic),
                    // Python: `from . import models` in a package names a submodule, which
                    // is a module, not a definition.
                    Reach::Absent => (Reach::Found(None), cyclic),
                }
            }
            ExportKind::Namespace | ExportKind::Star => (Reach::Found(None), false),
        }
    }

    /// Every name `file` exports, `export *` followed (a default export is not passed on).
    fn names(&self, file: &str, path: &mut Vec<String>) -> BTreeSet<String> {
        if let Some(names) = self.names_memo.borrow().get(file) {
            return names.clone();
        }
        if path.iter().any(|p| p == file) || path.len() >= MAX_CHAIN {
            return BTreeSet::new();
        }
        let Some(surface) = self.surfaces.get(file) else {
            return BTreeSet::new();
        };
        path.push(file.to_string());
        let mut names: BTreeSet<String> = BTreeSet::new();
        for export in surface {
            if export.name != "*" {
                names.insert(export.name.clone());
            } else if let Some(target) = export
                .module
                .as_deref()
                .and_then(|m| self.module_file(file, m))
            {
                names.extend(
                    self.names(&target, path)
                        .into_iter()
                        .filter(|n| n != "default" && n != "module.exports"),
                );
            }
        }
        path.pop();
        // Only a search that started here lists every name (a cycle cut others short).
        if path.is_empty() {
            self.names_memo
                .borrow_mut()
                .insert(file.to_string(), names.clone());
        }
        names
    }

    /// A file's export items with ids filled in, plus one `star` item per name an
    /// `export *` brings (at that statement, with the module it comes through).
    pub fn link_exports(&self, file: &str) -> Vec<Export> {
        let Some(surface) = self.surfaces.get(file) else {
            return Vec::new();
        };
        let mut out: Vec<Export> = Vec::with_capacity(surface.len());
        let declared: BTreeSet<&str> = surface
            .iter()
            .filter(|e| e.name != "*")
            .map(|e| e.name.as_str())
            .collect();
        // Name → the stars that bring it.
        let mut brought: BTreeMap<String, Vec<&Export>> = BTreeMap::new();
        for export in surface {
            let mut item = export.clone();
            if item.kind != ExportKind::Local {
                item.id = None;
            }
            if matches!(item.kind, ExportKind::Reexport) {
                item.id = self.follow(export, &mut Vec::new()).0.into_id();
            }
            out.push(item);
            if export.name == "*"
                && let Some(target) = export
                    .module
                    .as_deref()
                    .and_then(|m| self.module_file(file, m))
            {
                for name in self.names(&target, &mut Vec::new()) {
                    if name == "default" || name == "module.exports" || declared.contains(&*name) {
                        continue;
                    }
                    brought.entry(name).or_default().push(export);
                }
            }
        }
        for (name, stars) in brought {
            let reached = self.reach(file, &name);
            // Several stars bringing different definitions of one name export none.
            if stars.len() > 1 && reached.is_none() {
                continue;
            }
            let star = stars[0];
            out.push(Export {
                file: file.to_string(),
                line: star.line,
                column: star.column,
                name: name.clone(),
                kind: ExportKind::Star,
                local: None,
                module: star.module.clone(),
                imported: Some(name),
                id: reached,
            });
        }
        out.sort();
        out.dedup();
        out
    }

    /// Fills the `target` of every edge of `nodes` that goes through an import, when the
    /// definition it reaches can be named. Targets the file found itself stay.
    pub fn link_calls(&self, nodes: &mut [CallNode]) {
        for node in nodes {
            let Some(lang) = Lang::from_path(&node.file) else {
                continue;
            };
            for edge in &mut node.edges {
                let (Some(module), Some(imported)) = (&edge.module, &edge.imported) else {
                    continue;
                };
                edge.target = self.call_target(&node.file, lang, module, imported, &edge.callee);
            }
        }
    }

    fn call_target(
        &self,
        file: &str,
        lang: Lang,
        module: &str,
        imported: &str,
        callee: &str,
    ) -> Option<String> {
        let mut target = self.module_file(file, module)?;
        // The names after the imported binding: `ns.f` → `f`.
        let mut rest = callee.split('.').skip(1).peekable();
        if imported != "*" {
            if rest.peek().is_none() {
                return self.reach_default(&target, imported, lang);
            }
            // `helpers.f()` after `from . import helpers`: a submodule, then its `f`.
            if lang != Lang::Python || self.reaches_anything(&target, imported) {
                return None;
            }
            target = self.resolver.python_submodule(&target, imported)?;
        }
        let Some(mut name) = rest.next() else {
            // Calling the module object itself: CommonJS's `module.exports`.
            return match lang {
                Lang::Python => None,
                _ => self.reach(&target, "module.exports"),
            };
        };
        // Python `import a.b` binds `a`: walk down the submodules the callee names.
        for next in rest {
            if lang != Lang::Python || self.reaches_anything(&target, name) {
                return None;
            }
            target = self.resolver.python_submodule(&target, name)?;
            name = next;
        }
        self.reach(&target, name)
    }

    /// An imported name, the default import falling back on CommonJS's `module.exports`
    /// (what `import x from "./cjs"` gives under esModuleInterop).
    fn reach_default(&self, target: &str, imported: &str, lang: Lang) -> Option<String> {
        if imported == "default"
            && lang != Lang::Python
            && !self.reaches_anything(target, "default")
        {
            return self.reach(target, "module.exports");
        }
        self.reach(target, imported)
    }

    fn reaches_anything(&self, file: &str, name: &str) -> bool {
        self.reach_in(file, name, &mut Vec::new()).0 != Reach::Absent
    }
}

impl Reach {
    fn into_id(self) -> Option<String> {
        match self {
            Reach::Found(id) => id,
            Reach::Absent => None,
        }
    }
}

/// Digest of a chunk's declared export surface, recorded in the manifest: the link digest
/// of the whole state is built from these and the resolver's fingerprint.
pub fn surface_digest(declared: &[Export]) -> String {
    let mut hasher = blake3::Hasher::new();
    for export in declared.iter().filter(|e| e.is_declared()) {
        let local_id = if export.kind == ExportKind::Local {
            export.id.as_deref()
        } else {
            None
        };
        for part in [
            Some(export.file.as_str()),
            Some(export.name.as_str()),
            Some(kind_name(export.kind)),
            export.local.as_deref(),
            export.module.as_deref(),
            export.imported.as_deref(),
            local_id,
        ] {
            hasher.update(part.unwrap_or("\u{1}").as_bytes());
            hasher.update(b"\0");
        }
        hasher.update(b"\n");
    }
    crate::hash::short_hex(hasher.finalize().as_bytes())
}

fn kind_name(kind: ExportKind) -> &'static str {
    match kind {
        ExportKind::Local => "local",
        ExportKind::Reexport => "reexport",
        ExportKind::Namespace => "namespace",
        ExportKind::Star => "star",
    }
}

/// The digest every linked output records: the resolver's fingerprint and each chunk's
/// surface digest, by chunk name. An output linked against another digest may hold links
/// the current surfaces no longer give.
pub fn links_digest<'s>(
    resolution: &str,
    surfaces: impl Iterator<Item = (&'s str, &'s str)>,
) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(resolution.as_bytes());
    hasher.update(b"\n");
    for (chunk, surface) in surfaces {
        hasher.update(chunk.as_bytes());
        hasher.update(b"\0");
        hasher.update(surface.as_bytes());
        hasher.update(b"\n");
    }
    crate::hash::short_hex(hasher.finalize().as_bytes())
}
