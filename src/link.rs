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
use foldhash::HashMap;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What following an exported name found. Ordered as a lattice for the solver: `Absent`
/// below every definition, and `Found(None)` (exported, but no single definition) above.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// The module does not export the name (or, while solving, not yet known to).
    Absent,
    /// It does; the definition's id when one can be named with certainty.
    Found(Option<String>),
}

impl Reach {
    /// The least upper bound: two different definitions make the name ambiguous.
    fn join(self, other: Reach) -> Reach {
        match (self, other) {
            (Reach::Absent, x) | (x, Reach::Absent) => x,
            (Reach::Found(a), Reach::Found(b)) if a == b => Reach::Found(a),
            _ => Reach::Found(None),
        }
    }

    fn into_id(self) -> Option<String> {
        match self {
            Reach::Found(id) => id,
            Reach::Absent => None,
        }
    }
}

/// One file's declared exports, indexed by name.
#[derive(Default)]
struct Surface {
    all: Vec<Export>,
    /// Name → positions in `all` (the `export *` items are not named).
    named: HashMap<String, Vec<usize>>,
    /// Positions of the `export * from` items, with the file each loads (when it resolves
    /// to a file with a surface).
    stars: Vec<(usize, Option<usize>)>,
    /// For each position in `all`: the file index its `module` loads, when it resolves to
    /// a file with a surface; `Err(())` when it resolves elsewhere or nowhere.
    targets: Vec<Result<usize, ()>>,
}

/// Export surfaces of every file and, solved once for all, what each exported name
/// reaches. The solution is the least fixed point of "a name reaches what its export
/// statement names, or the join of what the `export *` targets give for it", found by
/// iterating in a fixed order until nothing changes: it does not depend on the order in
/// which anything was read, and a cycle of `export *` simply contributes nothing new.
impl Surface {
    /// Whether `name` is one of the file's own names that `import *` does not bring.
    fn unlisted(&self, name: &str) -> bool {
        self.named
            .get(name)
            .is_some_and(|positions| positions.iter().all(|&p| self.all[p].unlisted))
    }
}

pub struct Linker<'a> {
    resolver: &'a Resolver,
    files: Vec<String>,
    index: HashMap<String, usize>,
    surfaces: Vec<Surface>,
    /// Per file: every name it exports (stars followed), with what it reaches.
    solved: Vec<BTreeMap<String, Reach>>,
    /// Per file: each name its stars bring (and it does not export itself), with the
    /// files whose surfaces bring it.
    brought: Vec<BTreeMap<String, Vec<usize>>>,
    /// Importing file → specifier → the file it loads. Nested, so that a lookup (one per
    /// call edge through an import) builds no key.
    modules: Mutex<HashMap<String, HashMap<String, Option<String>>>>,
    /// A linker over part of the files ([`Linker::partial`]): the files whose surfaces it
    /// knows (those it holds, and those known to have none).
    known: Option<std::collections::HashSet<String>>,
    /// The files a partial linker was asked about without knowing them.
    misses: Mutex<std::collections::BTreeSet<String>>,
}

impl<'a> Linker<'a> {
    /// `declared`: every file's declared export items (`Export::is_declared`), with the ids
    /// of their local definitions.
    pub fn new(resolver: &'a Resolver, declared: impl IntoIterator<Item = Export>) -> Self {
        let mut by_file: BTreeMap<String, Vec<Export>> = BTreeMap::new();
        for export in declared {
            if export.is_declared() {
                by_file.entry(export.file.clone()).or_default().push(export);
            }
        }
        let files: Vec<String> = by_file.keys().cloned().collect();
        let index: HashMap<String, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i))
            .collect();
        let mut linker = Linker {
            resolver,
            files,
            index,
            surfaces: Vec::new(),
            solved: Vec::new(),
            brought: Vec::new(),
            modules: Mutex::new(HashMap::default()),
            known: None,
            misses: Mutex::new(std::collections::BTreeSet::new()),
        };
        for (file, mut all) in by_file {
            all.sort();
            let mut surface = Surface::default();
            for (position, export) in all.iter().enumerate() {
                let target = export
                    .module
                    .as_deref()
                    .and_then(|m| linker.module_file(&file, m))
                    .and_then(|t| linker.index.get(&t).copied())
                    .ok_or(());
                surface.targets.push(target);
                if export.name == "*" {
                    surface.stars.push((position, target.ok()));
                } else {
                    surface
                        .named
                        .entry(export.name.clone())
                        .or_default()
                        .push(position);
                }
            }
            surface.all = all;
            linker.surfaces.push(surface);
        }
        linker.solve();
        linker
    }

    /// A linker over some files only: `declared` are the declared exports of a set of files
    /// closed under what their re-exports and stars load (every file a surface's `module`
    /// resolves to is in it, or is known to have no surface), and `known` is that set with
    /// the files known to have none. What the solver finds for such a file depends only on
    /// files of the set, so it is what a linker over every file finds. A question about a
    /// file outside the set is answered as for a file without a surface and recorded
    /// ([`Linker::misses`]): an answer is the whole linker's only when there were none.
    pub fn partial(
        resolver: &'a Resolver,
        declared: impl IntoIterator<Item = Export>,
        known: std::collections::HashSet<String>,
    ) -> Self {
        let mut linker = Linker::new(resolver, declared);
        linker.known = Some(known);
        linker
    }

    /// How many files' surfaces the linker holds.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The files a partial linker was asked about that it does not know, sorted.
    pub fn misses(&self) -> Vec<String> {
        lock(&self.misses).iter().cloned().collect()
    }

    /// Records a question about `file` that a partial linker cannot answer.
    fn note(&self, file: &str) {
        if let Some(known) = &self.known
            && !known.contains(file)
        {
            lock(&self.misses).insert(file.to_string());
        }
    }

    /// The repository file `module` (as written in `from`) loads.
    pub fn module_file(&self, from: &str, module: &str) -> Option<String> {
        if let Some(found) = lock(&self.modules).get(from).and_then(|m| m.get(module)) {
            return found.clone();
        }
        // Resolved outside the lock: the link stage's threads may ask the same question
        // at once, and both get the one answer the resolver gives.
        let found = self.resolver.module_file(from, module);
        lock(&self.modules)
            .entry(from.to_string())
            .or_default()
            .insert(module.to_string(), found.clone());
        found
    }

    /// The file an import in `file` names, as [`Linker::module_file`] finds it, except that
    /// a package's `__init__.py` importing from `.` names itself: `from . import sub` there
    /// binds the submodule `sub` (see [`Linker::reaches_anything`]).
    fn import_source(&self, file: &str, module: &str) -> Option<String> {
        if module == "." && is_package_init(file) {
            return Some(file.to_string());
        }
        self.module_file(file, module)
    }

    /// The files in an order where each comes after the files its re-exports and stars
    /// load (a depth-first postorder; files on a cycle in any order among themselves), so
    /// that an iteration in this order settles everything off cycles in one round.
    fn dependency_order(&self) -> Vec<usize> {
        let count = self.files.len();
        let loads = |file: usize| -> Vec<usize> {
            let mut out: Vec<usize> = self.surfaces[file]
                .targets
                .iter()
                .filter_map(|t| t.ok())
                .filter(|&t| t != file)
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        };
        let mut order = Vec::with_capacity(count);
        let mut seen = vec![false; count];
        for start in 0..count {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            // (file, its loads, the next one to visit)
            let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![(start, loads(start), 0)];
            while let Some((file, next, at)) = stack.last_mut() {
                if let Some(&child) = next.get(*at) {
                    *at += 1;
                    if !seen[child] {
                        seen[child] = true;
                        let grandchildren = loads(child);
                        stack.push((child, grandchildren, 0));
                    }
                } else {
                    order.push(*file);
                    stack.pop();
                }
            }
        }
        order
    }

    /// Every file's names, then what each reaches, each by iteration to a fixed point (in
    /// dependency order, so that the rounds are as few as the cycles need).
    fn solve(&mut self) {
        let order = self.dependency_order();
        let count = self.files.len();
        // The names: a file's own, plus what its stars' targets export (never a default,
        // nor a Python name its `__all__` leaves out).
        // Per file, each name a star brings, with every star target that brings it.
        let mut brought: Vec<BTreeMap<String, Vec<usize>>> = vec![BTreeMap::new(); count];
        loop {
            let mut changed = false;
            for &file in &order {
                let mut mine = std::mem::take(&mut brought[file]);
                for &(_, target) in &self.surfaces[file].stars {
                    let Some(target) = target else { continue };
                    if target == file {
                        continue;
                    }
                    let surface = &self.surfaces[target];
                    let own = surface.named.keys().filter(|n| !surface.unlisted(n));
                    let theirs = brought[target].keys();
                    for name in own.chain(theirs) {
                        if is_default(name) || self.surfaces[file].named.contains_key(name) {
                            continue;
                        }
                        let providers = mine.entry(name.clone()).or_default();
                        if !providers.contains(&target) {
                            providers.push(target);
                            changed = true;
                        }
                    }
                }
                brought[file] = mine;
            }
            if !changed {
                break;
            }
        }
        // Every name a file exports, own or brought, starts unknown.
        let mut solved: Vec<BTreeMap<String, Reach>> = self
            .surfaces
            .iter()
            .zip(&brought)
            .map(|(s, b)| {
                (s.named.keys().chain(b.keys()))
                    .map(|name| (name.clone(), Reach::Absent))
                    .collect()
            })
            .collect();
        for providers in brought.iter_mut().flat_map(|b| b.values_mut()) {
            providers.sort_unstable();
        }
        self.brought = brought;
        loop {
            let mut changed = false;
            for &file in &order {
                // Taken out while it is updated: a file's names never read its own.
                let mut values = std::mem::take(&mut solved[file]);
                for (name, slot) in values.iter_mut() {
                    let value = self.evaluate(file, name, &solved);
                    if *slot != value {
                        *slot = value;
                        changed = true;
                    }
                }
                solved[file] = values;
            }
            if !changed {
                break;
            }
        }
        // A name still unresolved is exported (its statement says so) but reaches nothing
        // this can name: a re-export of a name its module does not have.
        for names in &mut solved {
            for value in names.values_mut() {
                if *value == Reach::Absent {
                    *value = Reach::Found(None);
                }
            }
        }
        self.solved = solved;
    }

    /// One step of the solver for `name` in `file`, from the current values of the others.
    fn evaluate(&self, file: usize, name: &str, solved: &[BTreeMap<String, Reach>]) -> Reach {
        let surface = &self.surfaces[file];
        let value_in =
            |target: usize, name: &str| solved[target].get(name).cloned().unwrap_or(Reach::Absent);
        if let Some(positions) = surface.named.get(name) {
            return positions.iter().fold(Reach::Absent, |acc, &p| {
                let export = &surface.all[p];
                let reach = match export.kind {
                    ExportKind::Local => Reach::Found(export.id.clone()),
                    ExportKind::Reexport => match (surface.targets[p], &export.imported) {
                        (Ok(target), Some(imported)) if target != file => {
                            value_in(target, imported)
                        }
                        _ => Reach::Found(None),
                    },
                    ExportKind::Namespace | ExportKind::Star => Reach::Found(None),
                };
                acc.join(reach)
            });
        }
        if is_default(name) {
            return Reach::Absent;
        }
        // Stars whose module is a package or a file without a surface bring nothing this
        // can see; TypeScript rejects a barrel whose stars collide, so such a star cannot
        // hold a name another star brings.
        self.brought[file]
            .get(name)
            .into_iter()
            .flatten()
            .fold(Reach::Absent, |acc, &target| {
                acc.join(value_in(target, name))
            })
    }

    fn lookup(&self, file: &str, name: &str) -> Reach {
        self.note(file);
        self.index
            .get(file)
            .and_then(|&i| self.solved[i].get(name).cloned())
            .unwrap_or(Reach::Absent)
    }

    /// The id `name` reaches when imported from `file`.
    pub fn reach(&self, file: &str, name: &str) -> Option<String> {
        self.lookup(file, name).into_id()
    }

    /// A file's export items with ids filled in, plus one `star` item per name an
    /// `export *` brings (at the first such statement, with the module it comes through).
    pub fn link_exports(&self, file: &str) -> Vec<Export> {
        self.note(file);
        let Some(&index) = self.index.get(file) else {
            return Vec::new();
        };
        let surface = &self.surfaces[index];
        let mut out: Vec<Export> = Vec::with_capacity(surface.all.len());
        for (position, export) in surface.all.iter().enumerate() {
            let mut item = export.clone();
            match item.kind {
                ExportKind::Local => {}
                ExportKind::Reexport => {
                    item.id = match (surface.targets[position], &export.imported) {
                        (Ok(target), Some(imported)) if target != index => self.solved[target]
                            .get(imported)
                            .cloned()
                            .unwrap_or(Reach::Absent),
                        _ => Reach::Absent,
                    }
                    .into_id();
                }
                ExportKind::Namespace | ExportKind::Star => item.id = None,
            }
            out.push(item);
        }
        for (name, reach) in &self.solved[index] {
            if surface.named.contains_key(name) {
                continue;
            }
            let stars: Vec<&Export> = surface
                .stars
                .iter()
                .filter(|&&(_, t)| {
                    t.is_some_and(|t| {
                        t != index
                            && self.solved[t].contains_key(name)
                            && !self.surfaces[t].unlisted(name)
                    })
                })
                .map(|&(p, _)| &surface.all[p])
                .collect();
            let Some(first) = stars.first() else { continue };
            // Several stars bringing different definitions of one name export none.
            if stars.len() > 1 && *reach == Reach::Found(None) {
                continue;
            }
            out.push(Export {
                file: file.to_string(),
                line: first.line,
                column: first.column,
                name: name.clone(),
                kind: ExportKind::Star,
                local: None,
                module: first.module.clone(),
                imported: Some(name.clone()),
                id: reach.clone().into_id(),
                unlisted: false,
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
        let mut target = self.import_source(file, module)?;
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

    /// The id an imported expression reaches: `settings.API_V1_STR` after `from
    /// app.core.config import settings` is `app/core/config.py#settings.API_V1_STR`;
    /// `items.router` after `from app.api.routes import items` is the `router` of the
    /// submodule; `routes` after `const routes = require('./routes')` is what that module
    /// assigns to `module.exports`. Attributes of a definition are appended to its id, so
    /// the answer names something only when an item carries that id.
    pub fn reach_path(
        &self,
        file: &str,
        module: &str,
        imported: &str,
        expression: &str,
    ) -> Option<String> {
        let lang = Lang::from_path(file)?;
        let python = lang == Lang::Python;
        let mut target = self.import_source(file, module)?;
        // `require('./x')` is the module itself, with no attribute after it; a factory's
        // call, `users.createUsers()`, is the function's.
        let expression = expression.strip_suffix("()").unwrap_or(expression);
        let rest: Vec<&str> = if expression.contains('(') {
            Vec::new()
        } else {
            expression.split('.').skip(1).collect()
        };
        let attributes = |id: String, rest: &[&str]| -> String {
            rest.iter().fold(id, |id, name| format!("{id}.{name}"))
        };
        if imported != "*" {
            if !python || self.reaches_anything(&target, imported) {
                let id = self.reach_default(&target, imported, lang)?;
                return Some(attributes(id, &rest));
            }
            target = self.resolver.python_submodule(&target, imported)?;
        }
        for (position, name) in rest.iter().enumerate() {
            if self.reaches_anything(&target, name) {
                let id = self.reach(&target, name)?;
                return Some(attributes(id, &rest[position + 1..]));
            }
            if !python {
                return None;
            }
            target = self.resolver.python_submodule(&target, name)?;
        }
        // The module object itself: CommonJS's `module.exports`.
        if python {
            None
        } else {
            self.reach(&target, "module.exports")
        }
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

    /// Whether `file` binds `name` itself (a definition, or an import the solver follows),
    /// so that `file.name` is not a submodule. A package's `__init__.py` that imports a
    /// submodule from itself (`from . import sub`) binds the submodule: following that
    /// re-export leads back to the package, and the callers reach `sub` as a submodule.
    fn reaches_anything(&self, file: &str, name: &str) -> bool {
        self.lookup(file, name) != Reach::Absent && !self.imports_own_submodule(file, name)
    }

    /// Whether `file` is a Python package's `__init__` whose every export of `name` is
    /// `from . import name`.
    fn imports_own_submodule(&self, file: &str, name: &str) -> bool {
        if !is_package_init(file) {
            return false;
        }
        let Some(&index) = self.index.get(file) else {
            return false;
        };
        let surface = &self.surfaces[index];
        surface.named.get(name).is_some_and(|positions| {
            positions.iter().all(|&p| {
                let export = &surface.all[p];
                export.kind == ExportKind::Reexport
                    && export.module.as_deref() == Some(".")
                    && export.imported.as_deref() == Some(name)
            })
        })
    }
}

/// Whether `file` is a Python package's `__init__.py` (or stub).
fn is_package_init(file: &str) -> bool {
    file.ends_with("/__init__.py") || file.ends_with("/__init__.pyi")
}

/// Digest of a chunk's declared export surface, recorded in the manifest: the link digest
/// of the whole state is built from these and the resolver's fingerprint.
pub fn surface_digest(declared: &[Export]) -> String {
    // One buffer, hashed once: the digest of the same bytes fed part by part.
    let mut hasher = crate::hash::Digest::new();
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
            export.unlisted.then_some("unlisted"),
        ] {
            hasher.part(part.unwrap_or("\u{1}").as_bytes()).part(b"\0");
        }
        hasher.part(b"\n");
    }
    hasher.finish()
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
    let mut digest = crate::hash::Digest::new();
    digest.part(resolution.as_bytes()).part(b"\n");
    for (chunk, surface) in surfaces {
        digest.pair(chunk.as_bytes(), surface.as_bytes());
    }
    digest.finish()
}

/// The value behind `mutex`: a linker's caches, shared by the link stage's threads. A
/// cache a panicking thread left half-updated holds answers the resolver gave all the same.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The names `export *` never passes on.
fn is_default(name: &str) -> bool {
    name == "default" || name == "module.exports"
}
