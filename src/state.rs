//! The state directory on disk: atomic writes, leftover temp files, orphaned outputs.

use crate::hash_cache::{Entry, HashCache, Stamp};
use foldhash::HashMap;
use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Suffix of in-flight temp files; any such file found later is a killed run's leftover.
const TEMP_SUFFIX: &str = ".discover-tmp";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("failed to {action} `{path}`: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error(
        "refusing to use `{path}` as the state directory: `{culprit}` was not written by discover, and discover writes only into an empty directory or one it owns (pass --state-dir to choose another)"
    )]
    Foreign { path: String, culprit: String },
    #[error(
        "`{path}` is being written by {holder}; wait for it, or drop --no-wait to wait automatically"
    )]
    Busy { path: String, holder: String },
    #[error("failed to flush `{path}` to disk: {source}; the manifest was not updated")]
    Flush {
        path: String,
        source: std::io::Error,
    },
}

/// Output hashes this run learned, by path, with the metadata they were seen with.
type Learned = HashMap<String, (Stamp, String)>;

/// What `write_output` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file already held these bytes.
    Unchanged,
    /// There was no such file.
    Created,
    /// The file held other bytes.
    Replaced,
}

/// Where the state directory is and how it is shown: what the survey's side thread uses
/// before the run's `StateDir` (whose per-run bookkeeping sits behind mutexes, for the
/// link stage's threads) has its caches.
#[derive(Debug, Clone)]
pub struct Place {
    root: PathBuf,
    /// How paths are shown in messages (as the user would type them).
    shown: String,
}

/// The value behind `mutex`: the link stage writes outputs from several threads. A thread
/// that panicked mid-update cannot leave more than a cache entry or a directory to flush
/// behind, and the panic ends the run anyway.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub struct StateDir {
    place: Place,
    /// Directories that received a rename, flushed by `sync`.
    renamed_in: Mutex<BTreeSet<PathBuf>>,
    /// Content hashes of outputs by their metadata, and what this run learned of them.
    output_cache: Mutex<(HashCache, Learned)>,
    /// The files below the root when the run began (`set_known_files`), and
    /// those it has written since: where `orphans` looks, without listing the directory
    /// again.
    known_files: Mutex<Option<Listing>>,
}

impl StateDir {
    pub fn new(root: PathBuf, shown: String) -> StateDir {
        StateDir {
            place: Place { root, shown },
            renamed_in: Mutex::new(BTreeSet::new()),
            output_cache: Mutex::new((HashCache::disabled(), HashMap::default())),
            known_files: Mutex::new(None),
        }
    }

    /// Writes what the run learned of its outputs' hashes to the output cache.
    pub fn store_output_cache(&self) {
        let (cache, fresh) = &mut *lock(&self.output_cache);
        let learned: Vec<Entry> = std::mem::take(fresh)
            .into_iter()
            .map(|(rel, (stamp, hash))| (rel, stamp, hash))
            .collect();
        cache.merge(learned);
    }

    /// The content hash of the output `rel`, whose metadata `meta` was just looked up.
    /// Known without reading when this machine's cache (or this run) saw the file with the
    /// same metadata; otherwise read, hashed and learned.
    pub fn output_hash_of(&self, rel: &str, meta: &fs::Metadata) -> Option<String> {
        let stamp = Stamp::of(meta);
        if let Some(hash) = self.known_hash(rel, &stamp) {
            return Some(hash);
        }
        let bytes = fs::read(self.place.root.join(rel)).ok()?;
        let hash = crate::hash::content_hash(&bytes);
        lock(&self.output_cache)
            .1
            .insert(rel.to_string(), (stamp, hash.clone()));
        Some(hash)
    }

    fn known_hash(&self, rel: &str, stamp: &Stamp) -> Option<String> {
        let (cache, fresh) = &*lock(&self.output_cache);
        match fresh.get(rel) {
            Some((learned, hash)) if learned == stamp => Some(hash.clone()),
            _ => cache.get(rel, stamp).map(str::to_string),
        }
    }

    /// `write_atomic` for an output whose content hash is `hash`: when the file's metadata
    /// is cached with that hash, it already holds these bytes and is not read back (a full
    /// run otherwise reads the whole state to compare).
    pub fn write_output(&self, rel: &str, bytes: &[u8], hash: &str) -> Result<Written, StateError> {
        let target = self.place.root.join(rel);
        let meta = fs::metadata(&target).ok();
        if let Some(meta) = meta.as_ref().filter(|m| m.len() == bytes.len() as u64) {
            let stamp = Stamp::of(meta);
            let unchanged = self.known_hash(rel, &stamp).as_deref() == Some(hash)
                || fs::read(&target).is_ok_and(|old| old == bytes);
            if unchanged {
                lock(&self.output_cache)
                    .1
                    .insert(rel.to_string(), (stamp, hash.to_string()));
                return Ok(Written::Unchanged);
            }
        }
        // Written now, the file is within the cache's racy window: it is learned next run.
        self.replace(rel, &target, bytes)?;
        Ok(if meta.is_some() {
            Written::Replaced
        } else {
            Written::Created
        })
    }

    pub fn output_rel(extractor: &str, chunk: &str) -> String {
        format!("{extractor}/{chunk}.json")
    }

    /// Size of the file `rel`, or `None` when there is none.
    pub fn size(&self, rel: &str) -> Option<u64> {
        fs::metadata(self.place.root.join(rel))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    /// Writes `bytes` to `rel` through a temp file in the same directory, fsynced and renamed
    /// into place, so a reader sees the old file or the new one, never a mix. Returns false
    /// when the file already held exactly these bytes (and was left alone).
    pub fn write_atomic(&self, rel: &str, bytes: &[u8]) -> Result<bool, StateError> {
        let target = self.place.root.join(rel);
        // Opening a file costs several times a stat on some file systems: compare contents
        // only when the sizes agree.
        let same_size = fs::metadata(&target).is_ok_and(|m| m.len() == bytes.len() as u64);
        if same_size && fs::read(&target).is_ok_and(|old| old == bytes) {
            return Ok(false);
        }
        self.replace(rel, &target, bytes)?;
        Ok(true)
    }

    /// `write_atomic` for a caller that knows the file held other bytes when the run read
    /// it (under the lock): not read back to compare.
    pub fn write_changed(&self, rel: &str, bytes: &[u8]) -> Result<(), StateError> {
        self.replace(rel, &self.place.root.join(rel), bytes)
    }

    /// Puts `bytes` in place of `target` through a temp file and a rename.
    fn replace(&self, rel: &str, target: &Path, bytes: &[u8]) -> Result<(), StateError> {
        let dir = target.parent().unwrap_or(&self.place.root);
        if !lock(&self.renamed_in).contains(dir) {
            fs::create_dir_all(dir).map_err(|e| self.io("create directory for", rel, e))?;
        }
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{file_name}.{}{TEMP_SUFFIX}", std::process::id()));
        let result = (|| {
            // Not fsynced one by one: `sync` flushes the whole state with one `syncfs`
            // before the manifest that describes it is written (a full run writes thousands
            // of outputs, and a flush each cost more than the extraction).
            let mut file = fs::File::create(&temp)?;
            file.write_all(bytes)?;
            drop(file);
            fs::rename(&temp, target)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&temp);
            return Err(self.io("write", rel, e));
        }
        lock(&self.renamed_in).insert(dir.to_path_buf());
        if let Some(known) = &mut *lock(&self.known_files) {
            known.files.insert(rel.to_string());
        }
        Ok(())
    }

    /// Removes the output `rel`, and then its directories up to the root as long as the
    /// removal left them empty. Nothing else is pruned: an empty directory discover did not
    /// empty itself may be somebody's (or a concurrent run's, before it held the lock).
    pub fn remove(&self, rel: &str) -> Result<(), StateError> {
        let target = self.place.root.join(rel);
        match fs::remove_file(&target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(self.io("remove", rel, source)),
        }
        // The directory where the removal shows: the first one that is not removed in turn.
        let mut changed = target.parent().unwrap_or(&self.place.root);
        while changed != self.place.root && fs::remove_dir(changed).is_ok() {
            lock(&self.renamed_in).remove(changed);
            changed = changed.parent().unwrap_or(&self.place.root);
        }
        lock(&self.renamed_in).insert(changed.to_path_buf());
        Ok(())
    }

    /// Flushes everything written so far (file contents and the renames that put them in
    /// place) to disk: one `syncfs` of the file system holding the state, or, where the
    /// kernel has none, an fsync of every file and directory written to. A failed flush is
    /// an error: the caller must not write a manifest that describes outputs the disk may
    /// not hold.
    pub fn sync(&self) -> Result<(), StateError> {
        let mut dirs = std::mem::take(&mut *lock(&self.renamed_in));
        let flush_error = |source| StateError::Flush {
            path: self.place.shown.clone(),
            source,
        };
        crate::fault::at_sync().map_err(flush_error)?;
        let root = fs::File::open(&self.place.root).map_err(flush_error)?;
        match crate::unix::syncfs(&root) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {}
            Err(e) => return Err(flush_error(e)),
        }
        for dir in &dirs {
            for file in fs::read_dir(dir).into_iter().flatten().flatten() {
                if file.file_type().is_ok_and(|t| t.is_file()) {
                    fs::File::open(file.path())
                        .and_then(|f| f.sync_all())
                        .map_err(flush_error)?;
                }
            }
        }
        dirs.insert(self.place.root.clone());
        for dir in dirs {
            fs::File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(flush_error)?;
        }
        Ok(())
    }

    /// Whether anything was written or removed since the last `sync`.
    pub fn wrote_anything(&self) -> bool {
        !lock(&self.renamed_in).is_empty()
    }

    /// Outputs of ours (see `is_our_output_in`) below the root that are not in `keep`. Any
    /// other file is left alone, whatever its name. After `set_known_files`, looks among
    /// the files that listing found and those written since, instead of listing the
    /// directory again.
    pub fn orphans(&self, keep: &BTreeSet<String>, manifest_name: &str) -> Vec<String> {
        match &*lock(&self.known_files) {
            Some(known) => orphans_among(
                &self.place.root,
                known.files.iter().cloned(),
                keep,
                manifest_name,
            ),
            None => orphans_among(
                &self.place.root,
                files_in(&self.place.root).files.into_iter(),
                keep,
                manifest_name,
            ),
        }
    }

    pub fn show(&self, rel: &str) -> String {
        self.place.show(rel)
    }

    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.place.read(rel)
    }

    /// Where the directory is, for another thread.
    pub fn place(&self) -> &Place {
        &self.place
    }

    /// The files a listing at the start of the run found
    /// (`Place::remove_leftover_temp_files`), for `orphans`.
    pub fn set_known_files(&self, listing: Listing) {
        *lock(&self.known_files) = Some(listing);
    }

    /// Outputs whose metadata and hash `cache` holds are known without reading them.
    pub fn set_output_cache(&self, cache: HashCache) {
        *lock(&self.output_cache) = (cache, HashMap::default());
    }

    fn io(&self, action: &'static str, rel: &str, source: std::io::Error) -> StateError {
        self.place.io(action, rel, source)
    }
}

impl Place {
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Removes temp files left by a run that was killed mid-write, and lists the other
    /// files (for `StateDir::set_known_files`: the caller holds the lock, so only this run
    /// adds outputs from here on). Returns the listing and how many temp files went.
    pub fn remove_leftover_temp_files(&self) -> (Listing, usize) {
        let mut removed = 0;
        let (paths, complete) = files_below(&self.root);
        let mut files = BTreeSet::new();
        for path in paths {
            if path.to_string_lossy().ends_with(TEMP_SUFFIX) {
                if fs::remove_file(&path).is_ok() {
                    removed += 1;
                }
            } else if let Some(rel) = crate::walk::relative(&self.root, &path) {
                files.insert(rel);
            }
        }
        (Listing { files, complete }, removed)
    }

    pub fn show(&self, rel: &str) -> String {
        format!("{}/{rel}", self.shown.trim_end_matches('/'))
    }

    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, StateError> {
        match fs::read(self.root.join(rel)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(self.io("read", rel, source)),
        }
    }

    /// Refuses to take over a directory discover did not write: orphan cleanup and
    /// rebuilds would otherwise delete or overwrite somebody's files. The directory is ours
    /// when it is missing or empty, when its manifest is verifiably discover's (see
    /// `manifest::is_ours`), or, with no such manifest (a run killed before its first one,
    /// or a manifest damaged beyond recognition), when every other file in it is a provable
    /// output of ours or a temp file of ours and there is at least one output, or nothing
    /// but such temp files (a first run killed while it wrote its first output). Returns
    /// the manifest's bytes, which it had to read (`None` when there is none).
    pub fn check_ownership(&self, manifest_name: &str) -> Result<Option<Vec<u8>>, StateError> {
        match fs::read_dir(&self.root) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(self.io("read", "", source)),
        }
        let manifest = match fs::read(self.root.join(manifest_name)) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(self.io("read", manifest_name, source)),
        };
        if manifest.as_deref().is_some_and(crate::manifest::is_ours) {
            return Ok(manifest);
        }
        let mut files: Vec<String> = files_below(&self.root)
            .0
            .into_iter()
            .filter_map(|p| crate::walk::relative(&self.root, &p))
            .collect();
        files.sort();
        let foreign = |rel: &str| StateError::Foreign {
            path: self.shown.clone(),
            culprit: self.show(rel),
        };
        let mut outputs = 0;
        for rel in &files {
            if rel == manifest_name || rel.ends_with(TEMP_SUFFIX) {
                continue;
            }
            // The directory's guide, when discover wrote it.
            if rel == crate::guide::GUIDE_FILE
                && fs::read(self.root.join(rel)).is_ok_and(|b| crate::guide::is_ours(&b))
            {
                continue;
            }
            if !is_our_output_in(&self.root, rel) {
                // A `manifest.json` that is not ours is what makes the directory foreign.
                return Err(foreign(if manifest.is_some() {
                    manifest_name
                } else {
                    rel
                }));
            }
            outputs += 1;
        }
        match manifest {
            Some(_) if outputs == 0 => Err(foreign(manifest_name)),
            _ => Ok(manifest),
        }
    }

    fn io(&self, action: &'static str, rel: &str, source: std::io::Error) -> StateError {
        StateError::Io {
            action,
            path: self.show(rel),
            source,
        }
    }
}

/// Files' metadata by path (looked up thousands of times a run: a fast hash).
pub type Metadata = foldhash::HashMap<String, fs::Metadata>;

/// The metadata of each file of `rels` (relative to `root`) that is a regular file: what
/// `--check` learns of thousands of outputs before deciding which are current.
pub fn metadata_of(root: &Path, rels: &[String]) -> Metadata {
    rels.iter()
        .filter_map(|rel| {
            let meta = fs::metadata(root.join(rel)).ok()?;
            meta.is_file().then(|| (rel.clone(), meta))
        })
        .collect()
}

/// The regular files below a state directory, relative to it (a name that is not UTF-8 is
/// left out: no output has one).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub files: BTreeSet<String>,
    /// Nothing but regular files and directories was found: a path not in `files` is no
    /// file. (A symbolic link is not followed, and may stand for any file below it.)
    pub complete: bool,
}

impl Listing {
    /// Whether `rel` may be a file: listed, or behind something the listing did not enter.
    pub fn may_hold(&self, rel: &str) -> bool {
        !self.complete || self.files.contains(rel)
    }
}

/// The `Listing` of `root`.
pub fn files_in(root: &Path) -> Listing {
    let (paths, complete) = files_below(root);
    Listing {
        files: paths
            .into_iter()
            .filter_map(|p| crate::walk::relative(root, &p))
            .collect(),
        complete,
    }
}

/// The orphans among `files` (relative to `root`); one removed since is not ours any more.
pub fn orphans_among(
    root: &Path,
    files: impl Iterator<Item = String>,
    keep: &BTreeSet<String>,
    manifest_name: &str,
) -> Vec<String> {
    let mut orphans: Vec<String> = files
        .filter(|rel| {
            rel.ends_with(".json")
                && rel != manifest_name
                && !keep.contains(rel)
                && is_our_output_in(root, rel)
        })
        .collect();
    orphans.sort();
    orphans
}

/// The regular files below `dir` (symbolic links are not followed), and whether nothing
/// else was met: no link, no other kind of file, no directory that could not be read.
fn files_below(dir: &Path) -> (Vec<PathBuf>, bool) {
    let mut out = Vec::new();
    let mut complete = true;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            complete = false;
            continue;
        };
        for entry in entries {
            match entry.and_then(|e| e.file_type().map(|t| (e, t))) {
                Ok((e, t)) if t.is_dir() => stack.push(e.path()),
                Ok((e, t)) if t.is_file() => out.push(e.path()),
                _ => complete = false,
            }
        }
    }
    (out, complete)
}

/// Whether `rel` (relative to the state directory `root`) is an output discover wrote:
/// `<extractor>/<chunk>.json` whose own header names that extractor and that chunk. Only
/// such files are ever deleted as orphans.
fn is_our_output_in(root: &Path, rel: &str) -> bool {
    let Some((extractor, chunk)) = rel
        .strip_suffix(".json")
        .and_then(|stem| stem.split_once('/'))
    else {
        return false;
    };
    #[derive(serde::Deserialize)]
    struct Header {
        extractor: String,
        chunk: String,
    }
    fs::read(root.join(rel))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Header>(&bytes).ok())
        .is_some_and(|h| h.extractor == extractor && h.chunk == chunk)
}
