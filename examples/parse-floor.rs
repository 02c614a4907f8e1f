//! The benchmark's floor: reads and parses every file discover would parse, with the same
//! grammars, and does nothing else. `parse-floor ROOT [THREADS]`.

use discover::lang::Lang;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The same allocators as discover, so that the floor differs from it by extraction only.
#[global_allocator]
static GLOBAL: discover::alloc::Allocator = discover::alloc::Allocator;

fn main() -> std::process::ExitCode {
    discover::alloc::install();
    let mut args = std::env::args_os().skip(1);
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: parse-floor ROOT [THREADS]");
        return std::process::ExitCode::from(2);
    };
    let threads: usize = args
        .next()
        .and_then(|t| t.to_str().and_then(|t| t.parse().ok()))
        .unwrap_or(1)
        .max(1);
    let files: Vec<(PathBuf, Lang)> = ignore::WalkBuilder::new(&root)
        .require_git(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter_map(|e| {
            let lang = Lang::from_path(&e.path().to_string_lossy())?;
            Some((e.into_path(), lang))
        })
        .collect();
    let next = AtomicUsize::new(0);
    let nodes = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut parser = tree_sitter::Parser::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((path, lang)) = files.get(i) else {
                        break;
                    };
                    let Ok(source) = std::fs::read(path) else {
                        continue;
                    };
                    if parser.set_language(&lang.grammar()).is_err() {
                        continue;
                    }
                    if let Some(tree) = parser.parse(&source, None) {
                        nodes.fetch_add(tree.root_node().descendant_count(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    eprintln!(
        "parsed {} files ({} nodes) with {threads} thread(s)",
        files.len(),
        nodes.load(Ordering::Relaxed)
    );
    std::process::ExitCode::SUCCESS
}
