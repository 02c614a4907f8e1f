//! Import resolution: from a specifier to the repository's own source files, the way
//! TypeScript's bundler-style resolution and Python's import system would find them.

mod packages;

use crate::extract::{Import, ImportKind};
use crate::lang::Lang;
use crate::walk::SourceFile;
use foldhash::HashSet;
use packages::{Manifest, Workspace};
use std::collections::BTreeMap;

/// Extensions probed, in order, for an extensionless JS/TS specifier.
const JS_EXTENSIONS: &[&str] = &[
    ".ts", ".tsx", ".d.ts", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs",
];

pub struct Resolver {
    files: HashSet<String>,
    /// Directory of each `tsconfig.json` / `jsconfig.json` → its effective path mapping.
    ts_configs: BTreeMap<String, TsPaths>,
    /// Directory → the build layout its `tsconfig*.json` files agree on.
    layouts: BTreeMap<String, BuildLayout>,
    /// Directory of each `package.json` → what resolution reads of it.
    manifests: BTreeMap<String, Manifest>,
    workspace: Workspace,
    fingerprint: String,
}

/// Whether a file named `name` is one import resolution reads: a TypeScript / JavaScript
/// project configuration (`extends` chains name files like `tsconfig.base.json`), a
/// `package.json`, or a `pnpm-workspace.yaml`.
pub fn is_resolution_config(name: &str) -> bool {
    ((name.starts_with("tsconfig") || name.starts_with("jsconfig")) && name.ends_with(".json"))
        || name == "package.json"
        || name == "pnpm-workspace.yaml"
}

/// `exports` / `imports` conditions, as TypeScript's bundler resolution sets them.
const IMPORT_CONDITIONS: &[&str] = &["types", "import", "default"];
const REQUIRE_CONDITIONS: &[&str] = &["types", "require", "default"];

/// How a file's bare specifiers meet packages, by its nearest tsconfig's module resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `bundler`, or no tsconfig, or one whose setting cannot be read: `exports` with
    /// `import` or `require` as the statement is written.
    Bundler,
    /// `node16` / `nodenext`: `exports` with `node`, and `import` or `require` as the
    /// importing file is an ES module or CommonJS.
    Node16,
    /// `node10` (`node`): `exports` is not read, only `types` / `main` / paths.
    Node10,
    /// `classic`: no package is looked up.
    Classic,
    /// What TypeScript would do is not known: an `extends` outside the repository, a
    /// solution-style config (`files: []` with `references`), settings discover does not
    /// model (`customConditions`, `resolvePackageJson*: false`), a value TypeScript would
    /// refuse. No package is resolved: an answer would be a guess.
    Unknown,
}

/// How a module is loaded: it decides the `exports` conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// `import` / `export … from`.
    Import,
    /// `require()`, `import x = require()`.
    Require,
    /// `import()`.
    Dynamic,
}

/// Extensions a source file built into a build directory may have, in the order probed.
const SOURCE_EXTENSIONS: &[&str] = &[".ts", ".tsx", ".mts", ".cts", ".js", ".jsx"];

#[derive(Debug, Default, Clone)]
struct TsPaths {
    /// Root-relative `baseUrl`, when set.
    base_url: Option<String>,
    /// Root-relative `outDir` and `rootDir`, when set: where the project's output goes,
    /// and the sources it is built from.
    out_dir: Option<String>,
    root_dir: Option<String>,
    /// `declarationDir`: where `.d.ts` files go when not beside the output.
    declaration_dir: Option<String>,
    /// `compilerOptions.moduleResolution` and `module`, lowercased.
    module_resolution: Option<String>,
    module: Option<String>,
    target: Option<String>,
    /// Some `extends` could not be read (a package outside the workspace): what it sets
    /// is unknown.
    unread_extends: bool,
    /// `files: []` with `references`: the files belong to the referenced projects.
    solution: bool,
    /// `customConditions`, `resolvePackageJsonExports` / `Imports: false`: resolution
    /// settings discover does not model.
    unmodelled: bool,
    /// Root-relative directory that `paths` targets are relative to.
    paths_base: String,
    /// `(pattern, targets)` in file order.
    paths: Vec<(String, Vec<String>)>,
}

/// Where a package's build output goes and what it is built from, by its tsconfigs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BuildLayout {
    out_dir: Option<String>,
    declaration_dir: Option<String>,
    root_dir: Option<String>,
}

impl BuildLayout {
    /// Several tsconfigs of one package disagree: no mapping.
    const CONFLICTING: BuildLayout = BuildLayout {
        out_dir: None,
        declaration_dir: None,
        root_dir: None,
    };
}

/// The configurations resolution reads, parsed once: the TypeScript configurations by
/// path, the package manifests by directory (a `pnpm-workspace.yaml` adds its globs to its
/// directory's), and the workspaces they declare, which package-named `extends`
/// (`@acme/tsconfig/base.json`) point into.
struct Configs {
    parsed: BTreeMap<String, serde_json::Value>,
    manifests: BTreeMap<String, Manifest>,
    workspace: Workspace,
}

impl Configs {
    fn read(configs: &[(String, String)]) -> Configs {
        let mut parsed = BTreeMap::new();
        let mut manifests: BTreeMap<String, Manifest> = BTreeMap::new();
        let mut pnpm: Vec<(String, Vec<String>)> = Vec::new();
        for (path, text) in configs {
            let name = path.rsplit('/').next().unwrap_or(path);
            let dir = parent_dir(path).to_string();
            if name == "package.json" {
                if let Some(manifest) = Manifest::parse(text) {
                    manifests.insert(dir, manifest);
                }
            } else if name == "pnpm-workspace.yaml" {
                pnpm.push((dir, packages::pnpm_workspace_globs(text)));
            } else if let Ok(value) = serde_json::from_str(&strip_jsonc(text)) {
                parsed.insert(path.clone(), value);
            }
        }
        for (dir, globs) in pnpm {
            manifests.entry(dir).or_default().workspaces.extend(globs);
        }
        let workspace = Workspace::new(&manifests);
        Configs {
            parsed,
            manifests,
            workspace,
        }
    }

    /// The files the `extends` entries name that are not among the configurations — a
    /// shared config not called `tsconfig*.json`, such as a workspace package's
    /// `base.json` — for resolution to read what TypeScript reads.
    fn missing_extends(&self) -> Vec<String> {
        let mut missing: Vec<String> = self
            .parsed
            .iter()
            .flat_map(|(path, value)| {
                extends_entries(value)
                    .into_iter()
                    .filter_map(|entry| self.target(parent_dir(path), entry))
            })
            .filter(|target| !self.parsed.contains_key(target))
            .collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// The config file an `extends` entry written in `dir` names, if in the repository.
    fn target(&self, dir: &str, entry: &str) -> Option<String> {
        let with_json = |mut path: String| {
            if !path.ends_with(".json") && !self.parsed.contains_key(&path) {
                path.push_str(".json");
            }
            path
        };
        if entry.starts_with("./") || entry.starts_with("../") {
            return Some(with_json(normalize(&join(dir, entry))?));
        }
        let (package, subpath) = self.workspace.package(dir, entry)?;
        let manifest = self.manifests.get(package)?;
        // As TypeScript reads a package named by `extends`: its `exports`, else (for the
        // package itself) its `tsconfig` field, else `tsconfig.json`.
        const CONDITIONS: &[&str] = &["node", "require", "types", "default"];
        let relative = match &manifest.exports {
            Some(exports) => packages::map_subpath(exports, &subpath, CONDITIONS)?
                .into_iter()
                .next()?,
            None if subpath == "." => manifest
                .tsconfig
                .clone()
                .map(|t| {
                    if t.starts_with("./") {
                        t
                    } else {
                        format!("./{t}")
                    }
                })
                .unwrap_or_else(|| "./tsconfig.json".to_string()),
            None => subpath,
        };
        Some(with_json(normalize(&join(
            package,
            relative.strip_prefix("./")?,
        ))?))
    }
}

impl Resolver {
    /// `configs` are what the walk collected (see `is_resolution_config`); `read` reads
    /// a root-relative file, for the configs `extends` chains name under other names.
    pub fn new(
        files: &[SourceFile],
        configs: &[(String, String)],
        read: impl Fn(&str) -> Option<String>,
    ) -> Resolver {
        let mut configs = configs.to_vec();
        let mut extends = Configs::read(&configs);
        let mut tried: Vec<String> = Vec::new();
        // Eight levels is deeper than real chains go; one that cannot be read stays out,
        // and what it would set is unknown.
        for _ in 0..8 {
            let missing: Vec<String> = extends
                .missing_extends()
                .into_iter()
                .filter(|path| !tried.contains(path))
                .collect();
            if missing.is_empty() {
                break;
            }
            for path in missing {
                if let Some(text) = read(&path) {
                    configs.push((path.clone(), text));
                }
                tried.push(path);
            }
            configs.sort();
            extends = Configs::read(&configs);
        }
        let mut fingerprint = crate::hash::Digest::new();
        for file in files {
            fingerprint.part(file.path.as_bytes()).part(b"\n");
        }
        for (path, text) in &configs {
            fingerprint
                .part(path.as_bytes())
                .part(b"\0")
                .part(text.as_bytes())
                .part(b"\0");
        }
        let parsed = &extends.parsed;
        let mut ts_configs = BTreeMap::new();
        let mut layouts: BTreeMap<String, Vec<BuildLayout>> = BTreeMap::new();
        for path in parsed.keys() {
            let name = path.rsplit('/').next().unwrap_or(path);
            let dir = parent_dir(path).to_string();
            if name.starts_with("tsconfig") {
                let effective = effective_paths(path, parent_dir(path), &extends, 0);
                layouts.entry(dir.clone()).or_default().push(BuildLayout {
                    out_dir: effective.out_dir.clone(),
                    declaration_dir: effective.declaration_dir.clone(),
                    root_dir: effective.root_dir.clone(),
                });
            }
            if name == "tsconfig.json" || name == "jsconfig.json" {
                let effective = effective_paths(path, parent_dir(path), &extends, 0);
                // tsconfig.json wins over jsconfig.json in the same directory.
                if name == "tsconfig.json" || !ts_configs.contains_key(&dir) {
                    ts_configs.insert(dir, effective);
                }
            }
        }
        // A package whose tsconfigs (`tsconfig.json`, `tsconfig.build.json`, …) name
        // different layouts has no one layout to map its build back with.
        let layouts = layouts
            .into_iter()
            .filter_map(|(dir, mut all)| {
                all.retain(|l| l.out_dir.is_some() || l.declaration_dir.is_some());
                all.dedup();
                let agreed = match all.as_slice() {
                    [] => None,
                    [one] => Some(one.clone()),
                    _ => Some(BuildLayout::CONFLICTING),
                };
                agreed.map(|l| (dir, l))
            })
            .collect();
        let Configs {
            manifests,
            workspace,
            ..
        } = extends;
        Resolver {
            files: {
                let mut set = HashSet::with_capacity_and_hasher(files.len(), Default::default());
                set.extend(files.iter().map(|f| f.path.clone()));
                set
            },
            ts_configs,
            layouts,
            manifests,
            workspace,
            fingerprint: fingerprint.finish(),
        }
    }

    /// Digest of everything resolution looks at besides the importing file: the set of
    /// source paths, the TypeScript configurations and the packages' manifests.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Fills in `import.targets`.
    pub fn resolve(&self, import: &mut Import) {
        let Some(lang) = Lang::from_path(&import.file) else {
            return;
        };
        let mut targets = if lang.is_js_like() {
            let syntax = match import.kind {
                ImportKind::Require => Syntax::Require,
                ImportKind::Dynamic => Syntax::Dynamic,
                ImportKind::Static | ImportKind::Type | ImportKind::Reexport => Syntax::Import,
            };
            self.resolve_js(&import.file, &import.specifier, syntax)
                .into_iter()
                .collect()
        } else {
            self.resolve_python(&import.file, &import.specifier, &import.names)
        };
        targets.retain(|t| t != &import.file);
        targets.sort();
        targets.dedup();
        import.targets = targets;
    }

    /// The repository file a module specifier written in `from` loads: the JS/TS module,
    /// or the Python module itself (`x.py`, `x/__init__.py`), never `from`.
    pub fn module_file(&self, from: &str, specifier: &str) -> Option<String> {
        let lang = Lang::from_path(from)?;
        let found = if lang.is_js_like() {
            // Whether the module was imported or required is not known here: where the
            // two differ (a package with `import` and `require` targets), neither is taken.
            let dir = parent_dir(from);
            let mode = self.mode(dir);
            let esm = self.is_esm(from, mode, Syntax::Import);
            let imported = self.resolve_js_in(dir, mode, specifier, esm);
            // Asked once when the syntax cannot change the answer (the link stage asks
            // this for every call through an import): in a file that is CommonJS either
            // way; and for a relative specifier, where an import finds what a require
            // finds, or nothing (under node16 an ES module's import takes the one file its
            // require would try first), and nothing is the answer then either way.
            let same = !esm || is_relative(specifier);
            if !same && imported != self.resolve_js_in(dir, mode, specifier, false) {
                return None;
            }
            imported
        } else {
            self.resolve_python(from, specifier, &[]).into_iter().next()
        };
        found.filter(|f| f != from)
    }

    /// The submodule `name` of the Python package whose `__init__.py` is `package`.
    pub fn python_submodule(&self, package: &str, name: &str) -> Option<String> {
        let dir = package
            .strip_suffix("/__init__.py")
            .or_else(|| package.strip_suffix("/__init__.pyi"))?;
        self.python_module(&join(dir, name))
    }

    fn resolve_js(&self, from: &str, specifier: &str, syntax: Syntax) -> Option<String> {
        let dir = parent_dir(from);
        let mode = self.mode(dir);
        let esm = self.is_esm(from, mode, syntax);
        self.resolve_js_in(dir, mode, specifier, esm)
    }

    /// Which conditions apply, as TypeScript decides: by the syntax, except that under
    /// node16 / nodenext a static import takes the importing file's format, and a `.cts` /
    /// `.cjs` file is CommonJS everywhere.
    fn is_esm(&self, from: &str, mode: Mode, syntax: Syntax) -> bool {
        match syntax {
            Syntax::Require => false,
            Syntax::Dynamic => true,
            Syntax::Import => match mode {
                Mode::Node16 => self.is_es_module(from),
                _ => !(from.ends_with(".cts") || from.ends_with(".cjs")),
            },
        }
    }

    /// A specifier written in a file of directory `dir`, under `mode`, as an ES module
    /// (`esm`) or CommonJS asks for it.
    fn resolve_js_in(&self, dir: &str, mode: Mode, specifier: &str, esm: bool) -> Option<String> {
        if is_relative(specifier) {
            let path = normalize(&join(dir, specifier))?;
            // An ES module under node16 / nodenext names its file whole: no extension or
            // `index` is added.
            if mode == Mode::Node16 && esm {
                return self
                    .ts_twin(&path)
                    .or_else(|| self.files.contains(&path).then_some(path));
            }
            return self.probe_js(&path);
        }
        if specifier.starts_with('/') {
            return None;
        }
        // As TypeScript: `paths`, then `baseUrl`, then `imports` for `#name`, then the
        // packages `node_modules` holds, of which the repository's own are its workspace's.
        if let Some(found) = self.resolve_ts_paths(dir, specifier) {
            return Some(found);
        }
        let conditions: &[&str] = match (mode, esm) {
            (Mode::Node16, true) => &["types", "node", "import", "default"],
            (Mode::Node16, false) => &["types", "node", "require", "default"],
            (_, true) => IMPORT_CONDITIONS,
            (_, false) => REQUIRE_CONDITIONS,
        };
        match mode {
            Mode::Classic | Mode::Unknown => None,
            _ if specifier.starts_with('#') => {
                if mode == Mode::Node10 {
                    return None;
                }
                self.resolve_package_import(dir, specifier, conditions)
            }
            _ => self.resolve_workspace_package(dir, specifier, conditions, mode != Mode::Node10),
        }
    }

    /// The module resolution of the nearest tsconfig above `dir`.
    fn mode(&self, dir: &str) -> Mode {
        let Some(config) = self.nearest_ts_config(dir) else {
            return Mode::Bundler;
        };
        if config.solution || config.unmodelled {
            return Mode::Unknown;
        }
        // TypeScript's defaults: `module` follows `target` (CommonJS for ES3 / ES5, the
        // default target; ES2015 above), `moduleResolution` follows `module`. A setting an
        // unread `extends` may hold is unknown.
        let known = |value: &Option<String>| value.is_some() || !config.unread_extends;
        let resolution = match config.module_resolution.as_deref() {
            Some(resolution) => resolution,
            None if !known(&config.module) => return Mode::Unknown,
            None => {
                let module = match config.module.as_deref() {
                    Some(module) => module,
                    None if !known(&config.target) => return Mode::Unknown,
                    None => match config.target.as_deref() {
                        None | Some("es3" | "es5") => "commonjs",
                        Some(
                            "es6" | "es2015" | "es2016" | "es2017" | "es2018" | "es2019" | "es2020"
                            | "es2021" | "es2022" | "es2023" | "es2024" | "esnext",
                        ) => "es2015",
                        Some(_) => return Mode::Unknown,
                    },
                };
                match module {
                    "node16" | "node18" | "node20" | "nodenext" => "node16",
                    "preserve" => "bundler",
                    "commonjs" => "node10",
                    "amd" | "umd" | "system" | "es6" | "es2015" | "es2020" | "es2022"
                    | "esnext" | "none" => "classic",
                    _ => return Mode::Unknown,
                }
            }
        };
        match resolution {
            "bundler" => Mode::Bundler,
            "node16" | "nodenext" => Mode::Node16,
            "node" | "node10" => Mode::Node10,
            "classic" => Mode::Classic,
            _ => Mode::Unknown,
        }
    }

    /// Whether `file` is an ES module to Node: `.mts` / `.mjs`, or another JS/TS file
    /// under a `package.json` with `"type": "module"`.
    fn is_es_module(&self, file: &str) -> bool {
        if file.ends_with(".mts") || file.ends_with(".mjs") {
            return true;
        }
        if file.ends_with(".cts") || file.ends_with(".cjs") {
            return false;
        }
        let mut dir = parent_dir(file);
        loop {
            if let Some(manifest) = self.manifests.get(dir) {
                return manifest.module_type;
            }
            if dir.is_empty() {
                return false;
            }
            dir = parent_dir(dir);
        }
    }

    /// A specifier `paths` or `baseUrl` of the nearest `tsconfig.json` maps to a file.
    fn resolve_ts_paths(&self, dir: &str, specifier: &str) -> Option<String> {
        let config = self.nearest_ts_config(dir)?;
        let mut best: Option<(usize, &str, &Vec<String>)> = None;
        for (pattern, targets) in &config.paths {
            let matched = match pattern.split_once('*') {
                Some((pre, post)) => {
                    specifier.len() >= pre.len() + post.len()
                        && specifier.starts_with(pre)
                        && specifier.ends_with(post)
                }
                None => pattern == specifier,
            };
            // The longest prefix before the `*` wins, as in TypeScript.
            let weight = pattern.split('*').next().map_or(0, str::len)
                + usize::from(!pattern.contains('*')) * 10_000;
            if matched && best.is_none_or(|(w, _, _)| weight > w) {
                best = Some((weight, pattern, targets));
            }
        }
        if let Some((_, pattern, targets)) = best {
            let star = match pattern.split_once('*') {
                Some((pre, post)) => &specifier[pre.len()..specifier.len() - post.len()],
                None => "",
            };
            for target in targets {
                let substituted = target.replacen('*', star, 1);
                if let Some(path) = normalize(&join(&config.paths_base, &substituted))
                    && let Some(found) = self.probe_js(&path)
                {
                    return Some(found);
                }
            }
        }
        let base = config.base_url.as_deref()?;
        self.probe_js(&normalize(&join(base, specifier))?)
    }

    /// A bare specifier naming a workspace package: through its `exports` when it has
    /// them (nothing else is exposed then), else `types`, `main` or `index` for the
    /// package itself and the path under its directory for a subpath.
    fn resolve_workspace_package(
        &self,
        from_dir: &str,
        specifier: &str,
        conditions: &[&str],
        read_exports: bool,
    ) -> Option<String> {
        let (dir, subpath) = self.workspace.package(from_dir, specifier)?;
        let manifest = self.manifests.get(dir)?;
        // `typesVersions` redirects what TypeScript reads by its own version: not modelled.
        if manifest.types_versions {
            return None;
        }
        if let Some(exports) = manifest.exports.as_ref().filter(|_| read_exports) {
            return packages::map_subpath(exports, &subpath, conditions)?
                .iter()
                .find_map(|target| self.package_target(dir, target));
        }
        if subpath == "." {
            let entries = [manifest.types.as_deref(), manifest.main.as_deref()];
            return entries
                .into_iter()
                .flatten()
                .find_map(|entry| {
                    let path = normalize(&join(dir, entry))?;
                    self.probe_js(&path)
                        .or_else(|| self.source_of_built(dir, &path))
                })
                .or_else(|| self.probe_js(&join(dir, "index")));
        }
        self.probe_js(&normalize(&join(dir, subpath.strip_prefix("./")?))?)
    }

    /// A `#name` specifier, through the `imports` of the nearest `package.json`.
    fn resolve_package_import(
        &self,
        mut dir: &str,
        specifier: &str,
        conditions: &[&str],
    ) -> Option<String> {
        loop {
            if let Some(manifest) = self.manifests.get(dir) {
                return packages::map_subpath(manifest.imports.as_ref()?, specifier, conditions)?
                    .iter()
                    .find_map(|target| self.package_target(dir, target));
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent_dir(dir);
        }
    }

    /// The source file an `exports` / `imports` target of the package in `dir` is: the
    /// file itself (or, for a `.js` name, its TypeScript twin, as TypeScript looks for),
    /// else the source a build-directory target is built from. Targets must be relative
    /// (`./dist/x.js`); a package name as target is not followed.
    fn package_target(&self, dir: &str, target: &str) -> Option<String> {
        let relative = target.strip_prefix("./")?;
        // Node refuses a target that leaves the package or reaches into `node_modules`.
        if relative
            .split('/')
            .any(|segment| matches!(segment, "" | "." | ".." | "node_modules"))
        {
            return None;
        }
        let path = join(dir, relative);
        self.ts_twin(&path)
            .or_else(|| self.files.contains(&path).then(|| path.clone()))
            .or_else(|| self.source_of_built(dir, &path))
    }

    /// The TypeScript source a `.js`-family name stands for, as TypeScript looks for it
    /// before the `.js` file itself.
    fn ts_twin(&self, path: &str) -> Option<String> {
        [
            (".js", ".ts"),
            (".js", ".tsx"),
            (".js", ".d.ts"),
            (".jsx", ".tsx"),
            (".jsx", ".d.ts"),
            (".mjs", ".mts"),
            (".mjs", ".d.mts"),
            (".cjs", ".cts"),
            (".cjs", ".d.cts"),
        ]
        .into_iter()
        .find_map(|(js, ts)| {
            let candidate = format!("{}{ts}", path.strip_suffix(js)?);
            self.files.contains(&candidate).then_some(candidate)
        })
    }

    /// The source `path`, a file in the build directory of the package in `dir`, is built
    /// from: the same path under the source directory, with a source extension. The build
    /// and source directories are what the package's tsconfigs say (`declarationDir` for
    /// a declaration there, else `outDir`; `rootDir`); without an `outDir` or
    /// `declarationDir` in any of them, a top directory named `dist`, `build`, `lib` or
    /// `out`. Without a `rootDir`, the sources are under `src/` or the package root, and
    /// when both hold a candidate, neither is taken; so is none when the package's
    /// tsconfigs disagree.
    fn source_of_built(&self, dir: &str, path: &str) -> Option<String> {
        let declaration = [".d.ts", ".d.mts", ".d.cts"]
            .iter()
            .any(|e| path.ends_with(e));
        let (build_dir, root_dir) = match self.layouts.get(dir) {
            Some(layout) if *layout == BuildLayout::CONFLICTING => return None,
            Some(layout) => {
                let under = |d: &Option<String>| {
                    d.clone().filter(|d| {
                        path.strip_prefix(d.as_str())
                            .is_some_and(|r| r.starts_with('/'))
                    })
                };
                let build = if declaration {
                    under(&layout.declaration_dir).or_else(|| under(&layout.out_dir))
                } else {
                    under(&layout.out_dir)
                };
                (build?, layout.root_dir.clone())
            }
            None => {
                let first = path
                    .strip_prefix(dir)?
                    .trim_start_matches('/')
                    .split('/')
                    .next()?;
                if !matches!(first, "dist" | "build" | "lib" | "out") {
                    return None;
                }
                (join(dir, first), None)
            }
        };
        let rest = path.strip_prefix(build_dir.as_str())?.strip_prefix('/')?;
        let stem = [".d.ts", ".d.mts", ".d.cts", ".js", ".mjs", ".cjs", ".jsx"]
            .iter()
            .find_map(|ext| rest.strip_suffix(ext))?;
        let roots = match root_dir {
            Some(root) => vec![root],
            None => vec![join(dir, "src"), dir.to_string()],
        };
        let mut found = roots.iter().filter_map(|root| {
            let base = join(root, stem);
            SOURCE_EXTENSIONS.iter().find_map(|ext| {
                let candidate = format!("{base}{ext}");
                (self.files.contains(&candidate) && candidate != path).then_some(candidate)
            })
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    fn nearest_ts_config(&self, mut dir: &str) -> Option<&TsPaths> {
        loop {
            if let Some(config) = self.ts_configs.get(dir) {
                return Some(config);
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent_dir(dir);
        }
    }

    fn probe_js(&self, base: &str) -> Option<String> {
        // ESM-style TypeScript imports name the emitted `.js` file; TypeScript looks for
        // the source first.
        if let Some(twin) = self.ts_twin(base) {
            return Some(twin);
        }
        if self.files.contains(base) {
            return Some(base.to_string());
        }
        // Every candidate in one buffer: `base` with each extension, then `base/index`.
        let mut candidate = String::with_capacity(base.len() + 12);
        for index in [false, true] {
            candidate.clear();
            candidate.push_str(base);
            if index {
                if !base.is_empty() {
                    candidate.push('/');
                }
                candidate.push_str("index");
            }
            let stem = candidate.len();
            for ext in JS_EXTENSIONS {
                candidate.truncate(stem);
                candidate.push_str(ext);
                if self.files.contains(candidate.as_str()) {
                    return Some(candidate);
                }
            }
        }
        None
    }

    fn resolve_python(&self, from: &str, specifier: &str, names: &[String]) -> Vec<String> {
        let level = specifier.chars().take_while(|&c| c == '.').count();
        let rest = &specifier[level..];
        let parts: Vec<&str> = rest.split('.').filter(|p| !p.is_empty()).collect();
        let imported: Vec<&str> = names
            .iter()
            .filter_map(|n| n.split(" as ").next())
            .filter(|n| *n != "*")
            .collect();
        let mut targets = Vec::new();
        // Every candidate is probed in this one buffer.
        let mut probe = String::with_capacity(from.len() + 32);
        if level > 0 {
            let mut base = parent_dir(from);
            for _ in 1..level {
                if base.is_empty() {
                    return targets;
                }
                base = parent_dir(base);
            }
            self.python_from(base, &parts, &imported, &mut targets, &mut probe);
            return targets;
        }
        // Where `sys.path` would most likely point: the directory holding the file's top
        // package, then each directory above it (a project in a monorepo subdirectory), then
        // a `src/` layout at the root.
        let mut root = self.python_package_root(from, &mut probe);
        loop {
            if self.python_from(root, &parts, &imported, &mut targets, &mut probe) {
                return targets;
            }
            if root.is_empty() {
                break;
            }
            root = parent_dir(root);
        }
        self.python_from("src", &parts, &imported, &mut targets, &mut probe);
        targets
    }

    /// Resolves `parts` under `base` and each imported name as a submodule of it; returns
    /// whether anything was found. `probe` is the buffer candidates are built in.
    fn python_from(
        &self,
        base: &str,
        parts: &[&str],
        names: &[&str],
        out: &mut Vec<String>,
        probe: &mut String,
    ) -> bool {
        probe.clear();
        probe.push_str(base);
        for part in parts {
            push_segment(probe, part);
        }
        let module_dir = probe.len();
        let before = out.len();
        let found = if parts.is_empty() {
            self.probe_python_init(probe)
        } else {
            self.probe_python_module(probe)
        };
        out.extend(found);
        for name in names {
            probe.truncate(module_dir);
            push_segment(probe, name);
            out.extend(self.probe_python_module(probe));
        }
        out.len() > before
    }

    fn python_module(&self, path: &str) -> Option<String> {
        self.probe_python_module(&mut path.to_string())
    }

    /// The module `probe` names (`x.py`, `x.pyi`, or the package's `x/__init__.py(i)`),
    /// each candidate built by extending `probe`, which holds the path again after.
    fn probe_python_module(&self, probe: &mut String) -> Option<String> {
        let path = probe.len();
        for extension in [".py", ".pyi"] {
            probe.truncate(path);
            probe.push_str(extension);
            if self.files.contains(probe.as_str()) {
                let found = probe.clone();
                probe.truncate(path);
                return Some(found);
            }
        }
        probe.truncate(path);
        self.probe_python_init(probe)
    }

    /// The `__init__.py` (or `.pyi`) of the package directory `probe` holds, which it
    /// holds again after.
    fn probe_python_init(&self, probe: &mut String) -> Option<String> {
        let dir = probe.len();
        let mut found = None;
        for init in ["__init__.py", "__init__.pyi"] {
            probe.truncate(dir);
            push_segment(probe, init);
            if self.files.contains(probe.as_str()) {
                found = Some(probe.clone());
                break;
            }
        }
        probe.truncate(dir);
        found
    }

    /// The directory a file's top-level package sits in: its parent directories are climbed
    /// while they are packages (hold an `__init__.py`).
    fn python_package_root<'f>(&self, from: &'f str, probe: &mut String) -> &'f str {
        let mut dir = parent_dir(from);
        while !dir.is_empty() && {
            probe.clear();
            probe.push_str(dir);
            self.probe_python_init(probe).is_some()
        } {
            dir = parent_dir(dir);
        }
        dir
    }
}

/// A path option of the config in `dir`, root-relative: relative to `dir`, or to the
/// starting config's directory after `${configDir}`.
fn relative_option(dir: &str, leaf_dir: &str, value: &str) -> Option<String> {
    match value.strip_prefix("${configDir}") {
        Some(rest) => normalize(&join(leaf_dir, rest.trim_start_matches('/'))),
        None => normalize(&join(dir, value)),
    }
}

/// The entries of a config's `extends`: a string or a list of them.
fn extends_entries(value: &serde_json::Value) -> Vec<&str> {
    match value.get("extends") {
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// The effective `baseUrl` / `paths` of a config, following relative `extends` chains.
/// `leaf_dir` is the directory of the config the chain starts from: what `${configDir}`
/// stands for in any config of the chain (TypeScript 5.5).
fn effective_paths(path: &str, leaf_dir: &str, extends: &Configs, depth: usize) -> TsPaths {
    let dir = parent_dir(path);
    let Some(value) = extends.parsed.get(path) else {
        return TsPaths {
            unread_extends: true,
            ..TsPaths::default()
        };
    };
    let mut inherited = TsPaths {
        paths_base: dir.to_string(),
        ..TsPaths::default()
    };
    let parents = extends_entries(value);
    // Eight levels is deeper than real projects go and stops cycles.
    if depth < 8 {
        for parent in parents {
            let Some(target) = extends.target(dir, parent) else {
                inherited.unread_extends = true;
                continue;
            };
            let base = effective_paths(&target, leaf_dir, extends, depth + 1);
            inherited.unread_extends |= base.unread_extends;
            inherited.unmodelled |= base.unmodelled;
            for (mine, theirs) in [
                (&mut inherited.declaration_dir, &base.declaration_dir),
                (&mut inherited.module_resolution, &base.module_resolution),
                (&mut inherited.module, &base.module),
                (&mut inherited.target, &base.target),
            ] {
                if theirs.is_some() {
                    mine.clone_from(theirs);
                }
            }
            if base.base_url.is_some() {
                inherited.base_url = base.base_url.clone();
            }
            if base.out_dir.is_some() {
                inherited.out_dir = base.out_dir.clone();
            }
            if base.root_dir.is_some() {
                inherited.root_dir = base.root_dir.clone();
            }
            if !base.paths.is_empty() {
                inherited.paths = base.paths.clone();
                inherited.paths_base = base.paths_base.clone();
            }
        }
    }
    let options = value.get("compilerOptions");
    // Relative to the configuration that sets them, as TypeScript reads them.
    let dir_option = |key: &str| {
        options
            .and_then(|o| o.get(key))
            .and_then(|v| v.as_str())
            .and_then(|v| relative_option(dir, leaf_dir, v))
    };
    for (key, field) in [
        ("outDir", &mut inherited.out_dir),
        ("rootDir", &mut inherited.root_dir),
        ("declarationDir", &mut inherited.declaration_dir),
    ] {
        if let Some(value) = dir_option(key) {
            *field = Some(value);
        }
    }
    let lowercase = |key: &str| {
        options
            .and_then(|o| o.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_ascii_lowercase)
    };
    for (key, field) in [
        ("moduleResolution", &mut inherited.module_resolution),
        ("module", &mut inherited.module),
        ("target", &mut inherited.target),
    ] {
        if let Some(value) = lowercase(key) {
            *field = Some(value);
        }
    }
    let set = |key: &str| options.and_then(|o| o.get(key));
    if set("customConditions")
        .and_then(|v| v.as_array())
        .is_some_and(|a| !a.is_empty())
        || set("resolvePackageJsonExports").and_then(|v| v.as_bool()) == Some(false)
        || set("resolvePackageJsonImports").and_then(|v| v.as_bool()) == Some(false)
    {
        inherited.unmodelled = true;
    }
    // A solution: the root config only points at the projects that hold the files.
    inherited.solution = value.get("references").is_some()
        && value
            .get("files")
            .and_then(|f| f.as_array())
            .is_some_and(|f| f.is_empty());
    if let Some(base_url) = options
        .and_then(|o| o.get("baseUrl"))
        .and_then(|v| v.as_str())
    {
        inherited.base_url = relative_option(dir, leaf_dir, base_url);
        if !inherited.paths.is_empty() && inherited.paths_base == dir {
            inherited.paths_base = inherited.base_url.clone().unwrap_or_default();
        }
    }
    if let Some(paths) = options
        .and_then(|o| o.get("paths"))
        .and_then(|v| v.as_object())
    {
        inherited.paths = paths
            .iter()
            .map(|(pattern, targets)| {
                let targets = targets
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                (pattern.clone(), targets)
            })
            .collect();
        inherited.paths_base = inherited
            .base_url
            .clone()
            .unwrap_or_else(|| dir.to_string());
    }
    inherited
}

/// Removes `//` and `/* */` comments and trailing commas, which `tsconfig.json` allows.
fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                out.extend_from_slice(&bytes[start..i]);
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b',' => {
                let next = bytes[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
                if !matches!(next, Some(b'}') | Some(b']')) {
                    out.push(b',');
                }
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Whether a JS specifier names a path from the importing file's directory.
fn is_relative(specifier: &str) -> bool {
    specifier.starts_with("./")
        || specifier.starts_with("../")
        || specifier == "."
        || specifier == ".."
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Appends `rest` to the path in `path` as `join` joins them.
fn push_segment(path: &mut String, rest: &str) {
    if !path.is_empty() && !rest.is_empty() {
        path.push('/');
    }
    path.push_str(rest);
}

fn join(dir: &str, rest: &str) -> String {
    // Built by hand: `format!` costs several times as much, and the resolver joins paths
    // for every candidate it probes.
    let mut path = String::with_capacity(dir.len() + 1 + rest.len());
    path.push_str(dir);
    push_segment(&mut path, rest);
    path
}

/// Resolves `.` and `..` segments; `None` when the path climbs out of the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_comments_and_trailing_commas_but_not_strings() {
        let text = "{ // c\n \"a\": \"http://x/*y*/\", /* b */ \"p\": [1, 2,], }";
        let v: serde_json::Value = serde_json::from_str(&strip_jsonc(text)).unwrap();
        assert_eq!(v["a"], "http://x/*y*/");
        assert_eq!(v["p"], serde_json::json!([1, 2]));
    }

    fn resolver(paths: &[&str], configs: &[(&str, &str)]) -> Resolver {
        let files: Vec<SourceFile> = (paths.iter())
            .map(|p| SourceFile {
                path: p.to_string(),
                lang: Lang::from_path(p).unwrap(),
                hash: String::new(),
                size: 1,
                settled: None,
            })
            .collect();
        let configs: Vec<(String, String)> = (configs.iter())
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        Resolver::new(&files, &configs, |_| None)
    }

    #[test]
    fn module_file_takes_a_file_only_when_import_and_require_agree() {
        // Bundler resolution (no tsconfig): a relative specifier probes extensions and
        // `index` whichever the syntax.
        let plain = resolver(&["src/a.ts", "src/util/index.ts", "src/b.ts"], &[]);
        assert_eq!(
            plain.module_file("src/a.ts", "./util").as_deref(),
            Some("src/util/index.ts")
        );
        assert_eq!(
            plain.module_file("src/a.ts", "./b").as_deref(),
            Some("src/b.ts")
        );
        assert_eq!(
            plain.module_file("src/a.ts", "./a"),
            None,
            "a file is not its own module"
        );
        // node16 in an ES module package: an import names its file whole, a require
        // probes; `./b` is then two different answers, and neither is taken.
        let node16 = resolver(
            &["src/a.ts", "src/b.ts"],
            &[
                (
                    "tsconfig.json",
                    r#"{"compilerOptions":{"module":"node16"}}"#,
                ),
                ("package.json", r#"{"type":"module"}"#),
            ],
        );
        assert_eq!(node16.module_file("src/a.ts", "./b"), None);
        assert_eq!(
            node16.module_file("src/a.ts", "./b.js").as_deref(),
            Some("src/b.ts")
        );
        // A CommonJS file is CommonJS either way.
        let cjs = resolver(
            &["src/a.cts", "src/b.ts"],
            &[(
                "tsconfig.json",
                r#"{"compilerOptions":{"module":"node16"}}"#,
            )],
        );
        assert_eq!(
            cjs.module_file("src/a.cts", "./b").as_deref(),
            Some("src/b.ts")
        );
    }

    #[test]
    fn normalize_refuses_to_leave_the_root() {
        assert_eq!(normalize("a/./b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize("a/../../x"), None);
    }
}
