//! A per-machine cache of content hashes keyed by file metadata, so that `--check` and
//! `--incremental` need not read files that did not change. It lives outside the repository
//! (`$XDG_CACHE_HOME/discover/`, else `~/.cache/discover/`), one file per root and state
//! directory; it never influences what is written to `.state/`, only how fast hashes are
//! known. An entry is trusted only when size, mtime, ctime, inode and device all match, and
//! files modified within two seconds of the cache being written are not cached at all (an
//! edit in the same clock tick could otherwise go unnoticed).

use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Bumped whenever the file layout changes; another version is ignored.
const CACHE_VERSION: u32 = 1;
/// Files modified this recently (seconds) before the cache is written are left out.
const RACY_SECONDS: i64 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            size: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            ino: meta.ino(),
            dev: meta.dev(),
        }
    }

    /// Whether the open file had this stamp both before and after `read` read it: its bytes
    /// are then the ones the stamp was taken with (as sure as the cache is across runs).
    pub fn held_through(&self, read: &crate::unix::ReadFile) -> bool {
        Stamp::of(&read.before) == *self && Stamp::of(&read.after) == *self
    }

    /// The stamp of a file that changed while it was read: never cached, never matched.
    pub fn unstable() -> Stamp {
        Stamp {
            size: u64::MAX,
            mtime: (i64::MAX, 0),
            ctime: (i64::MAX, 0),
            ino: 0,
            dev: 0,
        }
    }

    /// Modified so recently that a further edit in the same clock tick could leave the
    /// stamp unchanged.
    pub fn is_racy(&self, now: i64) -> bool {
        self.mtime.0 >= now - RACY_SECONDS
    }
}

/// A path, its metadata when hashed, and its content hash.
pub type Entry = (String, Stamp, String);

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: Vec<(String, Stamp, String)>,
}

#[derive(Debug, Default)]
pub struct HashCache {
    path: Option<PathBuf>,
    entries: HashMap<String, (Stamp, String)>,
}

impl HashCache {
    /// A cache that is neither read nor written.
    pub fn disabled() -> HashCache {
        HashCache::default()
    }

    /// Loads the cache of the sources of `root` + `state_dir`; a missing, corrupt or
    /// foreign-version file is an empty cache.
    pub fn load(root: &Path, state_dir: &Path) -> HashCache {
        Self::load_keyed(root, state_dir, None)
    }

    /// Removes the temp files that processes killed while writing a cache left behind (a
    /// survey does it off the walk's path).
    pub fn remove_strays() {
        if let Some(dir) = cache_dir() {
            remove_stray_temp_files(&dir);
        }
    }

    /// Loads the cache of the outputs in `state_dir`, by path relative to it: a run that
    /// produces an output whose hash the cache holds for the file's current metadata
    /// leaves the file alone without reading it back.
    pub fn load_outputs(root: &Path, state_dir: &Path) -> HashCache {
        Self::load_keyed(root, state_dir, Some("outputs"))
    }

    fn load_keyed(root: &Path, state_dir: &Path, kind: Option<&str>) -> HashCache {
        let Some(dir) = cache_dir() else {
            return HashCache::disabled();
        };
        let mut key = blake3::Hasher::new();
        key.update(root.as_os_str().as_encoded_bytes());
        key.update(b"\0");
        key.update(state_dir.as_os_str().as_encoded_bytes());
        if let Some(kind) = kind {
            key.update(b"\0");
            key.update(kind.as_bytes());
        }
        let path = dir.join(format!(
            "{}.bin",
            crate::hash::short_hex(key.finalize().as_bytes())
        ));
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|bytes| {
                bincode::serde::decode_from_slice::<CacheFile, _>(
                    &bytes,
                    bincode::config::standard(),
                )
                .ok()
            })
            .filter(|(file, _)| file.version == CACHE_VERSION)
            .map(|(file, _)| {
                file.entries
                    .into_iter()
                    .map(|(path, stamp, hash)| (path, (stamp, hash)))
                    .collect()
            })
            .unwrap_or_default();
        HashCache {
            path: Some(path),
            entries,
        }
    }

    /// The cached hash of `rel`, when its metadata still matches.
    pub fn get(&self, rel: &str, stamp: &Stamp) -> Option<&str> {
        self.entries
            .get(rel)
            .filter(|(cached, _)| cached == stamp)
            .map(|(_, hash)| hash.as_str())
    }

    /// Replaces the cache with `fresh` and writes it if anything changed. Failures are
    /// ignored: the cache only saves time.
    pub fn store(&mut self, fresh: Vec<(String, Stamp, String)>) {
        // The usual case, nothing changed, is told without building a second map. A file
        // modified just now (the one an editor saved) is not learned, and its old entry,
        // which its new stamp no longer matches, may stay: no rewrite for that alone.
        let now = Self::now();
        let settled = fresh.iter().filter(|(_, stamp, _)| !stamp.is_racy(now));
        let racy_known = fresh
            .iter()
            .filter(|(path, stamp, _)| stamp.is_racy(now) && self.entries.contains_key(path))
            .count();
        if settled.clone().count() + racy_known == self.entries.len()
            && settled.into_iter().all(|(path, stamp, hash)| {
                self.entries
                    .get(path)
                    .is_some_and(|(s, h)| s == stamp && h == hash)
            })
        {
            return;
        }
        let entries: Vec<Entry> = fresh
            .into_iter()
            .filter(|(_, stamp, _)| !stamp.is_racy(now))
            .collect();
        self.write(entries.iter().map(|(p, s, h)| (p.as_str(), s, h.as_str())));
        self.entries = entries
            .into_iter()
            .map(|(path, stamp, hash)| (path, (stamp, hash)))
            .collect();
    }

    /// Adds `fresh` to the cache, replacing entries of the same paths, and writes it if
    /// anything changed: for the outputs, of which a run may touch only some. An entry
    /// of a file since removed stays, harmless: no other file has its inode and times.
    pub fn merge(&mut self, fresh: Vec<(String, Stamp, String)>) {
        let now = Self::now();
        let mut changed = false;
        for (path, stamp, hash) in fresh {
            if stamp.is_racy(now)
                || self
                    .entries
                    .get(&path)
                    .is_some_and(|(s, h)| *s == stamp && *h == hash)
            {
                continue;
            }
            self.entries.insert(path, (stamp, hash));
            changed = true;
        }
        if changed {
            self.write(
                self.entries
                    .iter()
                    .map(|(p, (s, h))| (p.as_str(), s, h.as_str())),
            );
        }
    }

    /// Seconds since the epoch, for the racy window.
    pub fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }

    /// Writes `entries` as the cache file, sorted by path, borrowed: the file of a large
    /// tree holds thousands of entries, and copying them to write them cost more than the
    /// encoding (an editor's one-file `--incremental` rewrites it).
    fn write<'a>(&self, entries: impl Iterator<Item = (&'a str, &'a Stamp, &'a str)>) {
        let Some(path) = &self.path else { return };
        let mut list: Vec<(&str, &Stamp, &str)> = entries.collect();
        list.sort_unstable_by(|a, b| a.0.cmp(b.0));
        // The same encoding as `CacheFile`'s: serde writes a borrowed string or stamp as
        // the owned one.
        let Ok(bytes) =
            bincode::serde::encode_to_vec((CACHE_VERSION, list), bincode::config::standard())
        else {
            return;
        };
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let temp = dir.join(format!(".{}.tmp", std::process::id()));
        if std::fs::write(&temp, &bytes).is_ok() && std::fs::rename(&temp, path).is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }
}

/// Removes temp files (`.<pid>.tmp`) that a process killed while writing its cache left
/// behind: those of processes that no longer exist, and any older than a few minutes (a
/// write takes milliseconds, and a reused pid must not keep a stray forever).
fn remove_stray_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix('.'))
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(600));
        if pid != std::process::id() && (old || !crate::unix::process_exists(pid)) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

pub fn cache_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache"),
    };
    Some(base.join("discover"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(mtime: i64) -> Stamp {
        Stamp {
            size: 1,
            mtime: (mtime, 0),
            ctime: (mtime, 0),
            ino: 1,
            dev: 1,
        }
    }

    #[test]
    fn a_file_saved_just_now_does_not_rewrite_the_cache_but_a_removed_one_does() {
        let dir = std::env::temp_dir().join(format!("discover-hash-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cache.bin");
        let cached = |entries: &[(&str, i64, &str)]| HashCache {
            path: Some(path.clone()),
            entries: entries
                .iter()
                .map(|(p, m, h)| (p.to_string(), (stamp(*m), h.to_string())))
                .collect(),
        };
        let fresh = |entries: &[(&str, i64, &str)]| -> Vec<Entry> {
            entries
                .iter()
                .map(|(p, m, h)| (p.to_string(), stamp(*m), h.to_string()))
                .collect()
        };
        let now = HashCache::now();
        // `b.ts` was just saved: too recent to learn, and its old entry may stay.
        let mut cache = cached(&[("a.ts", 1000, "ha"), ("b.ts", 1000, "hb")]);
        cache.store(fresh(&[("a.ts", 1000, "ha"), ("b.ts", now, "hb2")]));
        assert!(!path.exists(), "rewritten for a racy file alone");
        assert_eq!(cache.get("b.ts", &stamp(now)), None);
        // `b.ts` is gone: the cache is rewritten without it.
        cache.store(fresh(&[("a.ts", 1000, "ha")]));
        assert!(path.exists());
        assert_eq!(cache.entries.len(), 1);
        // What was written reads back as the cache file it stands for.
        let read = |path: &Path| {
            let bytes = std::fs::read(path).unwrap();
            let (file, _): (CacheFile, _) =
                bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).unwrap();
            (file.version, file.entries)
        };
        assert_eq!(
            read(&path),
            (
                CACHE_VERSION,
                vec![("a.ts".to_string(), stamp(1000), "ha".to_string())]
            )
        );
        // A racy file the cache never held changes nothing either.
        std::fs::remove_file(&path).unwrap();
        cache.store(fresh(&[("a.ts", 1000, "ha"), ("c.ts", now, "hc")]));
        assert!(!path.exists());
        // Outputs learned later are merged in, sorted by path; one already known changes
        // nothing.
        cache.merge(fresh(&[("a.ts", 1000, "ha")]));
        assert!(!path.exists(), "rewritten with nothing new");
        cache.merge(fresh(&[("0.ts", 999, "h0"), ("z.ts", now, "hz")]));
        assert_eq!(
            read(&path),
            (
                CACHE_VERSION,
                vec![
                    ("0.ts".to_string(), stamp(999), "h0".to_string()),
                    ("a.ts".to_string(), stamp(1000), "ha".to_string()),
                ]
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
