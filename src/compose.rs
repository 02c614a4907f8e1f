//! Routes' URLs across files: where each router is served, from every file's mounts
//! (the `mounts` extractor's items) and the export surfaces that say what an imported
//! name is. Part of the link stage: it reads items only, never a source.
//!
//! A router's place is its one mount's parent's place, the mount's prefix, then the
//! router's own prefix (Flask: a prefix given at registration replaces the blueprint's
//! own). An app nobody mounts is served at `/`. A router mounted nowhere, mounted in
//! several places, reached through an import no file defines, or whose prefix reads a
//! value no item carries gives no URL, and says which.

use crate::extract::mounts_join as join;
use crate::extract::{ExtractorId, Library, Mount, MountKind, Route, Segment, Via};
use crate::link::Linker;
use crate::manifest::ChunkEntry;
use foldhash::{HashMap, HashSet};
use std::cell::RefCell;

/// How deep mounts may nest before a chain counts as a cycle.
const MAX_CHAIN: usize = 32;

pub struct Composer<'a> {
    linker: &'a Linker<'a>,
    /// Apps and routers by id.
    routers: HashMap<String, Mount>,
    /// Path constants by id (`path#NAME`, `path#settings.API_V1_STR`).
    constants: HashMap<String, String>,
    /// Mounts by the id of the router they mount.
    mounts: HashMap<String, Vec<Mount>>,
    /// Factories' apps something serves as they are (`served` mounts), by id.
    served: HashSet<String>,
    /// The ids of every schema (`schemas` items) a request or response may name.
    schemas: HashSet<String>,
    places: RefCell<HashMap<String, Result<String, String>>>,
    /// The routers whose place is being worked out, outermost first: how a cycle is seen.
    visiting: RefCell<Vec<String>>,
}

impl<'a> Composer<'a> {
    pub fn new(
        linker: &'a Linker<'a>,
        items: impl IntoIterator<Item = Mount>,
        schemas: HashSet<String>,
    ) -> Composer<'a> {
        let mut composer = Composer {
            linker,
            routers: HashMap::default(),
            constants: HashMap::default(),
            mounts: HashMap::default(),
            served: HashSet::default(),
            schemas,
            places: RefCell::new(HashMap::default()),
            visiting: RefCell::new(Vec::new()),
        };
        let mut items: Vec<Mount> = items.into_iter().collect();
        items.sort();
        for item in items {
            match item.kind {
                MountKind::App | MountKind::Router => {
                    if let Some(id) = item.id.clone() {
                        composer.routers.insert(id, item);
                    }
                }
                MountKind::Constant => {
                    if let (Some(id), [value]) = (&item.id, item.prefix.as_slice()) {
                        composer.constants.insert(id.clone(), value.text.clone());
                    }
                }
                MountKind::Mount => {
                    let child = match (&item.id, &item.module, &item.imported) {
                        (Some(id), _, _) => Some(id.clone()),
                        (None, Some(module), Some(imported)) => {
                            linker.reach_path(&item.file, module, imported, &item.name)
                        }
                        // A Django url configuration, included by module.
                        (None, Some(module), None) => linker
                            .module_file(&item.file, module)
                            .map(|file| format!("{file}#urlpatterns")),
                        _ => None,
                    };
                    match child {
                        Some(child) if item.served => {
                            composer.served.insert(child);
                        }
                        Some(child) => composer.mounts.entry(child).or_default().push(item),
                        None => {}
                    }
                }
            }
        }
        composer
    }

    /// Fills `url` (or `url_unresolved`) of every route whose URL continues in another
    /// file, and the id of the router it continues from; replaces each handler named
    /// through an import by the id of the definition it reaches.
    pub fn link_routes(&self, routes: &mut [Route]) {
        for route in routes {
            for import in &route.handler_imports {
                let Some(slot) = route.handlers.get_mut(import.index as usize) else {
                    continue;
                };
                *slot = self
                    .linker
                    .reach_path(&route.file, &import.module, &import.imported, &import.name)
                    .unwrap_or_else(|| import.name.clone());
            }
            self.link_schemas(route);
            let Some(via) = route.router.as_mut() else {
                continue;
            };
            if let (Some(module), Some(imported)) = (&via.module, &via.imported) {
                via.router = self
                    .linker
                    .reach_path(&route.file, module, imported, &via.name);
            }
            let python = is_python(&route.file);
            match self.place_of(&route.file, via, 0) {
                Ok(prefix) => {
                    route.url = Some(crate::extract::route_url(&prefix, &route.path, python));
                    route.url_unresolved = None;
                }
                Err(reason) => {
                    route.url = None;
                    route.url_unresolved = Some(reason);
                }
            }
        }
    }

    /// `request` and `response`: the one schema each role's names reach (a body of
    /// several models, or none, gives no `request`).
    fn link_schemas(&self, route: &mut Route) {
        let mut request = Vec::new();
        let mut response = Vec::new();
        for schema in &route.schema_refs {
            let id = match (&schema.module, &schema.imported) {
                (Some(module), Some(imported)) => {
                    self.linker
                        .reach_path(&route.file, module, imported, &schema.name)
                }
                _ => Some(format!("{}#{}", route.file, schema.name)),
            };
            let Some(id) = id.filter(|id| self.schemas.contains(id)) else {
                continue;
            };
            match schema.role.as_str() {
                "request" => request.push(id),
                _ => response.push(id),
            }
        }
        request.dedup();
        response.dedup();
        route.request = (request.len() == 1).then(|| request.remove(0));
        route.response = (response.len() == 1).then(|| response.remove(0));
    }

    /// The path below which `via` (written in `file`) puts what follows it.
    fn place_of(&self, file: &str, via: &Via, depth: usize) -> Result<String, String> {
        let python = is_python(file);
        let mut place = if via.name.is_empty() {
            String::new()
        } else {
            let id = match (&via.router, &via.module, &via.imported) {
                (_, Some(module), Some(imported)) => self
                    .linker
                    .reach_path(file, module, imported, &via.name)
                    .ok_or_else(|| {
                        format!(
                            "`{}` (imported from `{module}`) reaches no definition discover can name",
                            via.name
                        )
                    })?,
                (Some(id), _, _) => id.clone(),
                _ => return Err(format!("`{}` is no router discover can name", via.name)),
            };
            self.place_of_router(&id, depth + 1)?
        };
        for segment in &via.prefix {
            place = join(&place, &self.value(file, segment)?, python);
        }
        Ok(place)
    }

    /// Where the routes of router `id` are served: its mount's place and its own prefix.
    /// Each router's answer is remembered, so it must not depend on which router was asked
    /// first: a cycle is named by its least router, whichever of them the question entered
    /// it through (a full run and an incremental one compose different routes first).
    fn place_of_router(&self, id: &str, depth: usize) -> Result<String, String> {
        if let Some(known) = self.places.borrow().get(id) {
            return known.clone();
        }
        {
            let visiting = self.visiting.borrow();
            if let Some(at) = visiting.iter().position(|v| v == id) {
                let least = visiting[at..].iter().min().map_or(id, String::as_str);
                return Err(format!("`{least}` is mounted in a cycle"));
            }
        }
        if depth > MAX_CHAIN {
            return Err(format!(
                "`{id}` is mounted through more than {MAX_CHAIN} routers"
            ));
        }
        self.visiting.borrow_mut().push(id.to_string());
        let found = self.compute_place(id, depth);
        self.visiting.borrow_mut().pop();
        self.places
            .borrow_mut()
            .insert(id.to_string(), found.clone());
        found
    }

    fn compute_place(&self, id: &str, depth: usize) -> Result<String, String> {
        let Some(router) = self.routers.get(id) else {
            return Err(format!("`{id}` is not an app or router discover found"));
        };
        let python = is_python(&router.file);
        let mounts = self.mounts.get(id).map(Vec::as_slice).unwrap_or_default();
        let (base, replaces) = match (router.kind, mounts) {
            // Served at `/`, below its own base path (Hono's `basePath`) if it has one.
            (MountKind::App, []) if router.factory && !self.served.contains(id) => {
                return Err(format!(
                    "`{id}` makes an app that nothing discover reads serves or mounts: it is served wherever its callers put it"
                ));
            }
            (MountKind::App, [_, ..]) if router.factory && self.served.contains(id) => {
                return Err(format!(
                    "`{id}` makes an app that is both served as it is and mounted: two URLs"
                ));
            }
            (MountKind::App, []) => (String::new(), false),
            (_, []) => return Err(format!("router `{id}` is mounted nowhere discover can see")),
            (_, [mount]) => self.mounted_at(mount, depth)?,
            (_, several) => {
                // Mounted the same way several times (two settings modules naming one
                // ROOT_URLCONF) is one place; anything else is several URLs.
                let places: Vec<Result<(String, bool), String>> =
                    several.iter().map(|m| self.mounted_at(m, depth)).collect();
                match places.first() {
                    Some(Ok(first)) if places.iter().all(|p| p.as_ref() == Ok(first)) => {
                        first.clone()
                    }
                    _ => {
                        let places: Vec<String> = several
                            .iter()
                            .map(|m| format!("{}:{}", m.file, m.line))
                            .collect();
                        return Err(format!(
                            "`{id}` is mounted {} times ({})",
                            several.len(),
                            places.join(", ")
                        ));
                    }
                }
            }
        };
        if replaces {
            return Ok(base);
        }
        if let Some(reason) = &router.prefix_unresolved {
            return Err(format!("{reason} ({}:{})", router.file, router.line));
        }
        let mut place = base;
        for segment in &router.prefix {
            place = join(&place, &self.value(&router.file, segment)?, python);
        }
        Ok(place)
    }

    /// The place one mount puts its child at (before the child's own prefix), and whether
    /// the mount's prefix replaces the child's own.
    fn mounted_at(&self, mount: &Mount, depth: usize) -> Result<(String, bool), String> {
        if let Some(reason) = &mount.prefix_unresolved {
            return Err(format!("{reason} ({}:{})", mount.file, mount.line));
        }
        // No parent: an app of the mount's own file, served at `/`.
        let mut base = match &mount.parent {
            Some(parent) => self.place_of(&mount.file, parent, depth)?,
            None => String::new(),
        };
        for segment in &mount.prefix {
            base = join(
                &base,
                &self.value(&mount.file, segment)?,
                is_python(&mount.file),
            );
        }
        Ok((base, mount.replaces))
    }

    /// A prefix's text: as written, or the constant an imported name reaches.
    fn value(&self, file: &str, segment: &Segment) -> Result<String, String> {
        let (Some(module), Some(imported)) = (&segment.module, &segment.imported) else {
            return Ok(segment.text.clone());
        };
        self.linker
            .reach_path(file, module, imported, &segment.text)
            .and_then(|id| self.constants.get(&id).cloned())
            .ok_or_else(|| {
                format!(
                    "`{}` (imported from `{module}`) is no path constant discover can read",
                    segment.text
                )
            })
    }
}

fn is_python(file: &str) -> bool {
    file.ends_with(".py") || file.ends_with(".pyi")
}

/// The schema libraries whose schemas a route's request or response can be.
pub const SCHEMA_LIBRARIES: &[Library] = &[
    Library::Pydantic,
    Library::Dataclass,
    Library::Zod,
    Library::Joi,
    Library::Yup,
    Library::Valibot,
];

/// The digest every routes output records: the links digest (export surfaces and
/// resolution) and each chunk's mounts and schemas outputs, by chunk. A routes output
/// linked against another may hold URLs or schemas the current outputs no longer give.
pub fn routes_digest<'c>(links: &str, chunks: impl Iterator<Item = &'c ChunkEntry>) -> String {
    let (mounts, schemas) = (ExtractorId::MOUNTS.name(), ExtractorId::SCHEMAS.name());
    let mut parts: Vec<(&str, &str, &str)> = Vec::new();
    for chunk in chunks {
        for output in &chunk.outputs {
            if output.extractor == mounts || output.extractor == schemas {
                parts.push((&output.extractor, &chunk.name, &output.hash));
            }
        }
    }
    // In the order of the keys `extractor/chunk`: by extractor, then chunk, as neither
    // extractor's name begins with the other's.
    parts.sort_unstable();
    // The same construction as the links digest, over those outputs' hashes.
    let mut digest = crate::hash::Digest::new();
    digest.part(links.as_bytes()).part(b"\n");
    for (extractor, chunk, hash) in parts {
        digest
            .part(extractor.as_bytes())
            .part(b"/")
            .pair(chunk.as_bytes(), hash.as_bytes());
    }
    digest.finish()
}
