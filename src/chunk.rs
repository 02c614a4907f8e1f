//! Chunking: which files share an output file. Chunks follow directories: a directory whose
//! subtree holds at most `max_files` sources (and no configured chunk root below it) is one
//! chunk; a larger one is split into its subdirectories, its own files forming a chunk named
//! after the directory itself.

use crate::config::Settings;
use crate::walk::SourceFile;
use std::collections::BTreeMap;

/// Name of the chunk holding files that sit directly in the root.
pub const ROOT_CHUNK: &str = "_root";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Path-like and stable: the directory relative to the root, or `_root`.
    pub name: String,
    /// Indices into the inventory's (sorted) file list, ascending.
    pub files: Vec<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChunkError {
    #[error(
        "chunk names `{a}` and `{b}` would share the output file `{a}.json`; rename one of the directories or exclude it in discover.toml"
    )]
    Collision { a: String, b: String },
}

/// A directory of the tree, its children's names borrowed from the file paths.
#[derive(Default)]
struct Dir<'a> {
    own: Vec<usize>,
    children: BTreeMap<&'a str, Dir<'a>>,
    total: usize,
    has_root_below: bool,
}

/// Splits the sorted file list into chunks, sorted by name.
pub fn plan_chunks(files: &[SourceFile], settings: &Settings) -> Result<Vec<Chunk>, ChunkError> {
    // The files of a directory go into the tree together: one descent per directory, not
    // per file. Each list stays ascending, as the files are taken in order.
    let mut by_parent: foldhash::HashMap<&str, Vec<usize>> = Default::default();
    for (index, file) in files.iter().enumerate() {
        let parent = file.path.rsplit_once('/').map_or("", |(parent, _)| parent);
        by_parent.entry(parent).or_default().push(index);
    }
    let mut tree = Dir::default();
    for (parent, own) in by_parent {
        let mut dir = &mut tree;
        if !parent.is_empty() {
            for part in parent.split('/') {
                dir = dir.children.entry(part).or_default();
            }
        }
        dir.own = own;
    }
    annotate(&mut tree, "", settings);
    let mut chunks = Vec::new();
    emit(&tree, "", settings, &mut chunks);
    chunks.sort_by(|a, b| a.name.cmp(&b.name));
    for pair in chunks.windows(2) {
        if pair[0].name == pair[1].name {
            return Err(ChunkError::Collision {
                a: pair[0].name.clone(),
                b: pair[1].name.clone(),
            });
        }
    }
    // `a` is written to `a.json`; a chunk under a directory literally named `a.json` would
    // need that path as a directory. The names are sorted, so those that start with a
    // prefix follow the first one that is not below it.
    for chunk in &chunks {
        let prefix = format!("{}.json/", chunk.name);
        let first = chunks.partition_point(|c| c.name.as_str() < prefix.as_str());
        if let Some(other) = chunks.get(first).filter(|c| c.name.starts_with(&prefix)) {
            return Err(ChunkError::Collision {
                a: chunk.name.clone(),
                b: other.name.clone(),
            });
        }
    }
    Ok(chunks)
}

/// Fills in subtree totals and whether a configured chunk root lies strictly below.
fn annotate(dir: &mut Dir<'_>, path: &str, settings: &Settings) -> bool {
    let mut total = dir.own.len();
    let mut root_below = false;
    for (name, child) in &mut dir.children {
        let child_path = join(path, name);
        let child_is_root = settings.chunk_roots.is_match(&child_path);
        root_below |= annotate(child, &child_path, settings) || child_is_root;
        total += child.total;
    }
    dir.total = total;
    dir.has_root_below = root_below;
    root_below
}

fn emit(dir: &Dir<'_>, path: &str, settings: &Settings, out: &mut Vec<Chunk>) {
    let name = if path.is_empty() {
        ROOT_CHUNK.to_string()
    } else {
        path.to_string()
    };
    if dir.total <= settings.chunk_max_files && !dir.has_root_below {
        let mut files = Vec::with_capacity(dir.total);
        collect(dir, &mut files);
        files.sort_unstable();
        if !files.is_empty() {
            out.push(Chunk { name, files });
        }
        return;
    }
    if !dir.own.is_empty() {
        out.push(Chunk {
            name,
            files: dir.own.clone(),
        });
    }
    for (child_name, child) in &dir.children {
        emit(child, &join(path, child_name), settings, out);
    }
}

fn collect(dir: &Dir<'_>, out: &mut Vec<usize>) {
    out.extend_from_slice(&dir.own);
    for child in dir.children.values() {
        collect(child, out);
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}
