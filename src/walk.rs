//! File discovery: which files under the root are inventoried, their content hashes, and
//! every file passed over with the reason.

use crate::config::{Settings, human_size};
use crate::hash::content_hash;
use crate::hash_cache::{HashCache, Stamp};
use crate::lang::Lang;
use ignore::WalkBuilder;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Directories never inventoried: dependencies, build output, caches.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "dist",
    "build",
    "__pycache__",
    "site-packages",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
];

/// How deep below the root a directory is checked for being a virtualenv.
const VENV_MAX_DEPTH: usize = 3;

/// Bytes looked at to tell a binary file from text.
const BINARY_SNIFF: usize = 8 * 1024;

/// A file that will be parsed.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Relative to the root, `/`-separated.
    pub path: String,
    pub lang: Lang,
    pub hash: String,
    pub size: u64,
    /// The file's metadata when `hash` was taken, unless it was modified too recently for
    /// its metadata to tell a later edit apart (or changed while it was read): extraction
    /// then takes `hash` for the bytes it reads when their metadata is the same.
    pub settled: Option<Stamp>,
}

/// A file under the root that is not inventoried, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    TooLarge,
    Binary,
    NotUtf8,
    Unreadable,
    SymlinkLoop,
    /// A FIFO, socket or device named like a source file.
    NotAFile,
    ParseFailed,
    ParseTimeout,
    TaskTimeout,
    WorkerCrashed,
    OverMemoryLimit,
    ProtocolError,
}

impl SkipReason {
    /// Reasons found while extracting (not by the walk), which a later run may not see again
    /// until it retries the file.
    pub fn is_extraction_failure(self) -> bool {
        matches!(
            self,
            SkipReason::ParseFailed
                | SkipReason::ParseTimeout
                | SkipReason::TaskTimeout
                | SkipReason::WorkerCrashed
                | SkipReason::OverMemoryLimit
                | SkipReason::ProtocolError
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::TooLarge => "too large",
            SkipReason::Binary => "binary",
            SkipReason::NotUtf8 => "not UTF-8",
            SkipReason::Unreadable => "unreadable",
            SkipReason::SymlinkLoop => "symlink loop",
            SkipReason::NotAFile => "not a regular file",
            SkipReason::ParseFailed => "parse failed",
            SkipReason::ParseTimeout => "parse budget exceeded",
            SkipReason::TaskTimeout => "task timed out",
            SkipReason::WorkerCrashed => "worker crashed",
            SkipReason::OverMemoryLimit => "over memory limit",
            SkipReason::ProtocolError => "corrupt worker frame",
        }
    }
}

/// The result of walking the root.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Sorted by path.
    pub files: Vec<SourceFile>,
    /// Sorted by path.
    pub skipped: Vec<Skipped>,
    /// Human-readable detail for each skipped file, in the same order, for stderr only (it
    /// may hold OS messages that do not belong in `.state/`).
    pub skip_details: Vec<String>,
    /// What import resolution reads besides the source files: `tsconfig*.json` /
    /// `jsconfig*.json`, `package.json` and `pnpm-workspace.yaml` files, relative path and
    /// contents, sorted.
    pub resolution_configs: Vec<(String, String)>,
}

/// Walks `root`, honouring `.gitignore` / `.ignore`, and reads and hashes every candidate.
pub fn walk(
    root: &Path,
    state_dir: &Path,
    settings: &Settings,
    cache: &mut HashCache,
) -> Inventory {
    let state_dir = state_dir
        .canonicalize()
        .unwrap_or_else(|_| state_dir.to_path_buf());
    let mut candidates: Vec<(String, Lang, ReadOutcome)> = Vec::new();
    let mut inventory = Inventory::default();
    let mut errors: Vec<(String, SkipReason, String)> = Vec::new();

    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    // Directories are read on all cores; what they yield is sorted afterwards, so the
    // order the threads found it in never shows.
    let walker = WalkBuilder::new(root)
        .follow_links(true)
        .require_git(false)
        .threads(threads)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if !is_dir || entry.depth() == 0 {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            if SKIPPED_DIRS.contains(&name.as_ref()) {
                return false;
            }
            // A virtualenv under any name carries this marker. Virtualenvs live near the
            // root (`.venv`, `env`, `backend/venv`); looking deeper would cost a stat per
            // directory of every large tree.
            if entry.depth() <= VENV_MAX_DEPTH && entry.path().join("pyvenv.cfg").is_file() {
                return false;
            }
            // The walked paths extend the canonical root, so a plain comparison finds the
            // state directory (it holds no sources, so missing it through a link costs
            // nothing but a few directory reads).
            entry.path() != state_dir.as_path()
        })
        .build_parallel();

    let runs = std::sync::Mutex::new(Vec::new());
    walker.visit(&mut Collectors {
        root,
        settings,
        cache,
        runs: &runs,
    });
    // Each thread sorted what it found: the stable sort finds those runs and merges them.
    let mut found: Vec<Found> = runs
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect();
    found.sort_by(|a, b| a.rel().cmp(b.rel()));
    for f in found {
        match f {
            Found::Error(path, reason, detail) => errors.push((path, reason, detail)),
            Found::Config(rel, text) => inventory.resolution_configs.push((rel, text)),
            Found::Candidate(rel, lang, outcome) => candidates.push((rel, lang, outcome)),
        }
    }

    let mut skipped: Vec<(Skipped, String)> = Vec::new();
    let mut stamps = Vec::with_capacity(candidates.len());
    let now = HashCache::now();
    for (rel, lang, outcome) in candidates {
        match outcome {
            Ok((hash, size, stamp)) => {
                inventory.files.push(SourceFile {
                    path: rel.clone(),
                    lang,
                    hash: hash.clone(),
                    size,
                    settled: (!stamp.is_racy(now)).then(|| stamp.clone()),
                });
                stamps.push((rel, stamp, hash));
            }
            Err((reason, detail)) => skipped.push((Skipped { path: rel, reason }, detail)),
        }
    }
    cache.store(stamps);
    for (path, reason, detail) in errors {
        skipped.push((Skipped { path, reason }, detail));
    }
    inventory.files.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.sort();
    skipped.dedup_by(|a, b| a.0.path == b.0.path);
    for (s, detail) in skipped {
        inventory.skipped.push(s);
        inventory.skip_details.push(detail);
    }
    inventory.resolution_configs.sort();
    inventory
}

/// Makes each walking thread's collector.
struct Collectors<'a> {
    root: &'a Path,
    settings: &'a Settings,
    cache: &'a HashCache,
    runs: &'a std::sync::Mutex<Vec<Vec<Found>>>,
}

impl<'a> ignore::ParallelVisitorBuilder<'a> for Collectors<'a> {
    fn build(&mut self) -> Box<dyn ignore::ParallelVisitor + 'a> {
        Box::new(Collector {
            root: self.root,
            settings: self.settings,
            cache: self.cache,
            found: Vec::new(),
            runs: self.runs,
        })
    }
}

/// What one walking thread found. When the thread is done it sorts its finds (the sorting
/// shared between the threads, off the main thread's path) and hands them over.
struct Collector<'a> {
    root: &'a Path,
    settings: &'a Settings,
    cache: &'a HashCache,
    found: Vec<Found>,
    runs: &'a std::sync::Mutex<Vec<Vec<Found>>>,
}

impl ignore::ParallelVisitor for Collector<'_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> ignore::WalkState {
        if let Some(f) = classify(self.root, self.settings, self.cache, entry) {
            self.found.push(f);
        }
        ignore::WalkState::Continue
    }
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        let mut found = std::mem::take(&mut self.found);
        found.sort_by(|a, b| a.rel().cmp(b.rel()));
        self.runs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(found);
    }
}

/// What one walked entry contributes.
enum Found {
    Error(String, SkipReason, String),
    Config(String, String),
    /// Read and hashed by the walking thread, while the dentry is hot.
    Candidate(String, Lang, ReadOutcome),
}

impl Found {
    fn rel(&self) -> &str {
        match self {
            Found::Error(rel, ..) | Found::Config(rel, _) | Found::Candidate(rel, ..) => rel,
        }
    }
}

fn classify(
    root: &Path,
    settings: &Settings,
    cache: &HashCache,
    entry: Result<ignore::DirEntry, ignore::Error>,
) -> Option<Found> {
    let entry = match entry {
        Ok(entry) => entry,
        Err(err) => {
            let (path, reason) = describe_walk_error(root, &err);
            return Some(Found::Error(path, reason, err.to_string()));
        }
    };
    let file_type = entry.file_type()?;
    if !file_type.is_file() {
        // Reading a FIFO or a device could block or never end; one named like a source
        // file is reported rather than silently passed over.
        if !file_type.is_dir()
            && let Some(rel) = relative(root, entry.path())
            && Lang::from_path(&rel).is_some()
            && settings.include.as_ref().is_none_or(|i| i.is_match(&rel))
            && !settings.exclude.is_match(&rel)
        {
            return Some(Found::Error(
                rel,
                SkipReason::NotAFile,
                "not a regular file".into(),
            ));
        }
        return None;
    }
    let Some(rel) = relative(root, entry.path()) else {
        let lossy = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let lossy = lossy.to_string_lossy().replace('\\', "/");
        return Lang::from_path(&lossy)
            .is_some()
            .then(|| Found::Error(lossy, SkipReason::NotUtf8, "file name is not UTF-8".into()));
    };
    let name = entry.file_name().to_string_lossy();
    if crate::resolve::is_resolution_config(&name) {
        return std::fs::read_to_string(entry.path())
            .ok()
            .map(|text| Found::Config(rel, text));
    }
    let lang = Lang::from_path(&rel)?;
    if let Some(include) = &settings.include
        && !include.is_match(&rel)
    {
        return None;
    }
    if settings.exclude.is_match(&rel) {
        return None;
    }
    let outcome = read_one(&rel, entry.path(), settings.max_file_size, cache);
    Some(Found::Candidate(rel, lang, outcome))
}

type ReadOutcome = Result<(String, u64, Stamp), (SkipReason, String)>;

/// Hashes one file, checking that it is UTF-8 text within the size limit; an unchanged file
/// (same metadata as cached) is not read.
fn read_one(rel: &str, path: &Path, max_size: u64, cache: &HashCache) -> ReadOutcome {
    let meta = std::fs::metadata(path).map_err(|e| (SkipReason::Unreadable, e.to_string()))?;
    if !meta.is_file() {
        return Err((SkipReason::NotAFile, "not a regular file".into()));
    }
    if meta.len() > max_size {
        return Err((
            SkipReason::TooLarge,
            format!("{} > {}", human_size(meta.len()), human_size(max_size)),
        ));
    }
    let stamp = Stamp::of(&meta);
    if let Some(hash) = cache.get(rel, &stamp) {
        return Ok((hash.to_string(), meta.len(), stamp));
    }
    let read = crate::unix::read_regular_file(path)
        .map_err(|e| (SkipReason::Unreadable, e.to_string()))?;
    check_text(&read.bytes)?;
    // A file that changed while it was read (or was replaced since it was looked up) gets
    // a stamp that matches nothing, so it is neither cached with the wrong hash nor
    // trusted next time.
    let stamp = if stamp.held_through(&read) {
        stamp
    } else {
        Stamp::unstable()
    };
    Ok((content_hash(&read.bytes), read.bytes.len() as u64, stamp))
}

/// Rejects binary and non-UTF-8 content.
pub fn check_text(bytes: &[u8]) -> Result<(), (SkipReason, String)> {
    if bytes[..bytes.len().min(BINARY_SNIFF)].contains(&0) {
        return Err((SkipReason::Binary, "contains NUL bytes".into()));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err((
            SkipReason::NotUtf8,
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        ));
    }
    Ok(())
}

/// `/`-separated path relative to the root, or `None` for a name that is not UTF-8 (such a
/// path cannot be written into JSON faithfully).
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    // The walk's paths are the root joined with plain names: their bytes after the root's
    // are the answer (a tenth of `--check` went to the component-wise way below).
    use std::os::unix::ffi::OsStrExt;
    let (root_bytes, path_bytes) = (root.as_os_str().as_bytes(), path.as_os_str().as_bytes());
    if let Some(rest) = path_bytes.strip_prefix(root_bytes)
        && let Some(rest) = rest
            .strip_prefix(b"/")
            .or(root_bytes.ends_with(b"/").then_some(rest))
        && !rest.is_empty()
        && rest
            .split(|&b| b == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
    {
        return std::str::from_utf8(rest).ok().map(str::to_string);
    }
    components_relative(root, path)
}

/// `relative` by path components, for paths that are not the root and plain names.
fn components_relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut out = String::new();
    for part in rel.components() {
        let part = part.as_os_str().to_str()?;
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(part);
    }
    Some(out)
}

fn describe_walk_error(root: &Path, err: &ignore::Error) -> (String, SkipReason) {
    let mut reason = SkipReason::Unreadable;
    let mut path = None;
    let mut current = err;
    loop {
        match current {
            ignore::Error::WithPath { path: p, err } => {
                path = path.or_else(|| relative(root, p));
                current = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                current = err;
            }
            ignore::Error::Loop { child, .. } => {
                reason = SkipReason::SymlinkLoop;
                path = path.or_else(|| relative(root, child));
                break;
            }
            _ => break,
        }
    }
    (path.unwrap_or_else(|| "?".to_string()), reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_by_bytes_agrees_with_relative_by_components() {
        let cases = [
            ("/a/b", "/a/b/c.ts"),
            ("/a/b/", "/a/b/c/d.ts"),
            ("/a/b", "/a/bc/d.ts"),
            ("/a/b", "/a/b"),
            ("/a/b", "/a/b//c.ts"),
            ("/a/b", "/a/b/./c.ts"),
            ("/a/b", "/a/b/../c.ts"),
            (".", "./src/x.py"),
            ("", "src/x.py"),
            ("/", "/etc/x.js"),
            ("/a", "/b/c.ts"),
        ];
        for (root, path) in cases {
            let (root, path) = (Path::new(root), Path::new(path));
            assert_eq!(
                relative(root, path),
                components_relative(root, path),
                "{root:?} {path:?}"
            );
        }
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b/c/d.ts")).as_deref(),
            Some("c/d.ts")
        );
        use std::os::unix::ffi::OsStrExt;
        let bad = Path::new(std::ffi::OsStr::from_bytes(b"/a/b/\xff.ts"));
        assert_eq!(relative(Path::new("/a/b"), bad), None);
    }
}
