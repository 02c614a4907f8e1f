//! The state directory on disk: atomic writes, leftover temp files, orphaned outputs.

use crate::hash_cache::{Entry, HashCache, Stamp};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

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
        "refusing to use `{path}` as the state directory: it is not empty and holds no manifest.json (pass --state-dir to choose another)"
    )]
    Foreign { path: String },
}

pub struct StateDir {
    root: PathBuf,
    /// How paths are shown in messages (as the user would type them).
    shown: String,
    /// Directories that received a rename, flushed by `sync`.
    renamed_in: RefCell<BTreeSet<PathBuf>>,
    /// Content hashes of outputs by their metadata, and what this run learned of them.
    output_cache: RefCell<(HashCache, Vec<Entry>)>,
}

impl StateDir {
    pub fn new(root: PathBuf, shown: String) -> StateDir {
        StateDir {
            root,
            shown,
            renamed_in: RefCell::new(BTreeSet::new()),
            output_cache: RefCell::new((HashCache::disabled(), Vec::new())),
        }
    }

    /// Outputs whose metadata and hash this cache holds are known without reading them.
    pub fn with_output_cache(self, cache: HashCache) -> StateDir {
        *self.output_cache.borrow_mut() = (cache, Vec::new());
        self
    }

    /// Writes what the run learned of its outputs' hashes to the output cache.
    pub fn store_output_cache(&self) {
        let (cache, fresh) = &mut *self.output_cache.borrow_mut();
        cache.merge(std::mem::take(fresh));
    }

    /// `write_atomic` for an output whose content hash is `hash`: when the file's metadata
    /// is cached with that hash, it already holds these bytes and is not read back (a full
    /// run otherwise reads the whole state to compare).
    pub fn write_output(&self, rel: &str, bytes: &[u8], hash: &str) -> Result<bool, StateError> {
        let target = self.root.join(rel);
        let stamp = fs::metadata(&target)
            .ok()
            .filter(|m| m.len() == bytes.len() as u64)
            .map(|m| Stamp::of(&m));
        let (cache, fresh) = &mut *self.output_cache.borrow_mut();
        if let Some(stamp) = stamp {
            let unchanged = cache.get(rel, &stamp) == Some(hash)
                || fs::read(&target).is_ok_and(|old| old == bytes);
            if unchanged {
                fresh.push((rel.to_string(), stamp, hash.to_string()));
                return Ok(false);
            }
        }
        // Written now, the file is within the cache's racy window: it is learned next run.
        self.replace(rel, &target, bytes)?;
        Ok(true)
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    pub fn show(&self, rel: &str) -> String {
        format!("{}/{rel}", self.shown.trim_end_matches('/'))
    }

    pub fn output_rel(extractor: &str, chunk: &str) -> String {
        format!("{extractor}/{chunk}.json")
    }

    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, StateError> {
        match fs::read(self.root.join(rel)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(self.io("read", rel, source)),
        }
    }

    /// Size of the file `rel`, or `None` when there is none.
    pub fn size(&self, rel: &str) -> Option<u64> {
        fs::metadata(self.root.join(rel))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    /// Refuses to take over a non-empty directory that was not written by us: orphan
    /// cleanup would otherwise delete somebody's JSON files.
    /// A run killed before its first manifest leaves only output directories and temp
    /// files, which are ours too.
    pub fn check_ownership(
        &self,
        manifest_name: &str,
        output_dirs: &[&str],
    ) -> Result<(), StateError> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(self.io("read", "", source)),
        };
        if self.root.join(manifest_name).exists() {
            return Ok(());
        }
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let ours =
                (is_dir && output_dirs.contains(&name.as_str())) || name.ends_with(TEMP_SUFFIX);
            if !ours {
                return Err(StateError::Foreign {
                    path: self.shown.clone(),
                });
            }
        }
        Ok(())
    }

    /// Writes `bytes` to `rel` through a temp file in the same directory, fsynced and renamed
    /// into place, so a reader sees the old file or the new one, never a mix. Returns false
    /// when the file already held exactly these bytes (and was left alone).
    pub fn write_atomic(&self, rel: &str, bytes: &[u8]) -> Result<bool, StateError> {
        let target = self.root.join(rel);
        // Opening a file costs several times a stat on some file systems: compare contents
        // only when the sizes agree.
        let same_size = fs::metadata(&target).is_ok_and(|m| m.len() == bytes.len() as u64);
        if same_size && fs::read(&target).is_ok_and(|old| old == bytes) {
            return Ok(false);
        }
        self.replace(rel, &target, bytes)?;
        Ok(true)
    }

    /// Puts `bytes` in place of `target` through a temp file and a rename.
    fn replace(&self, rel: &str, target: &Path, bytes: &[u8]) -> Result<(), StateError> {
        let dir = target.parent().unwrap_or(&self.root);
        if !self.renamed_in.borrow().contains(dir) {
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
        self.renamed_in.borrow_mut().insert(dir.to_path_buf());
        Ok(())
    }

    pub fn remove(&self, rel: &str) -> Result<(), StateError> {
        match fs::remove_file(self.root.join(rel)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(self.io("remove", rel, source)),
        }
    }

    /// Flushes everything written so far (file contents and the renames that put them in
    /// place) to disk: one `syncfs` of the file system holding the state, or, where that
    /// fails, an fsync of every file and directory written to.
    pub fn sync(&self) {
        let mut dirs = std::mem::take(&mut *self.renamed_in.borrow_mut());
        if let Ok(root) = fs::File::open(&self.root)
            && crate::unix::syncfs(&root)
        {
            return;
        }
        for dir in &dirs {
            for file in fs::read_dir(dir).into_iter().flatten().flatten() {
                if let Ok(file) = fs::File::open(file.path()) {
                    let _ = file.sync_all();
                }
            }
        }
        dirs.insert(self.root.clone());
        for dir in dirs {
            if let Ok(dir) = fs::File::open(&dir) {
                let _ = dir.sync_all();
            }
        }
    }

    /// Removes temp files left by a run that was killed mid-write. Returns how many.
    pub fn remove_leftover_temp_files(&self) -> usize {
        let mut removed = 0;
        for path in self.files_below(&self.root) {
            if path.to_string_lossy().ends_with(TEMP_SUFFIX) && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Output files (`*.json` below the root, the manifest aside) that are not in `keep`.
    pub fn orphans(&self, keep: &BTreeSet<String>, manifest_name: &str) -> Vec<String> {
        let mut orphans: Vec<String> = self
            .files_below(&self.root)
            .into_iter()
            .filter_map(|p| crate::walk::relative(&self.root, &p))
            .filter(|rel| rel.ends_with(".json") && rel != manifest_name && !keep.contains(rel))
            .collect();
        orphans.sort();
        orphans
    }

    /// Removes directories left empty below the root.
    pub fn remove_empty_dirs(&self) {
        fn prune(dir: &Path, is_root: bool) -> bool {
            let Ok(entries) = fs::read_dir(dir) else {
                return false;
            };
            let mut empty = true;
            for entry in entries.flatten() {
                let path = entry.path();
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if !(is_dir && prune(&path, false)) {
                    empty = false;
                }
            }
            empty && !is_root && fs::remove_dir(dir).is_ok()
        }
        prune(&self.root, true);
    }

    fn files_below(&self, dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                match entry.file_type() {
                    Ok(t) if t.is_dir() => stack.push(entry.path()),
                    Ok(t) if t.is_file() => out.push(entry.path()),
                    _ => {}
                }
            }
        }
        out
    }

    fn io(&self, action: &'static str, rel: &str, source: std::io::Error) -> StateError {
        StateError::Io {
            action,
            path: self.show(rel),
            source,
        }
    }
}
