//! Compiles `csrc/preorder.c`, the preorder walk over tree-sitter's subtrees, against the
//! private headers of the tree-sitter crate that is linked: its build script publishes
//! its public include directory (`links = "tree-sitter"` → `DEP_TREE_SITTER_INCLUDE`), and
//! the private headers sit beside it in `src/`.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=csrc/preorder.c");
    let include = PathBuf::from(
        env::var("DEP_TREE_SITTER_INCLUDE")
            .expect("the tree-sitter crate publishes its include directory"),
    );
    let private = include
        .parent()
        .expect("tree-sitter's include directory has a parent")
        .join("src");
    cc::Build::new()
        .std("c11")
        .include(&include)
        .include(&private)
        .define("_POSIX_C_SOURCE", "200112L")
        .define("_DEFAULT_SOURCE", None)
        .opt_level(3)
        // Packing a node's position into vector registers to store it costs the walk more
        // than it saves (callgrind: 5% fewer instructions in the walk without it).
        .flag_if_supported("-fno-tree-slp-vectorize")
        .warnings(true)
        .file("csrc/preorder.c")
        .compile("discover-preorder");
}
