//! One allocator for the whole process: mimalloc serves Rust's allocations (the global
//! allocator, set in each binary) and tree-sitter's.
//!
//! With tree-sitter on glibc's allocator, parsing inside discover ran well behind the same
//! parsing alone (the parse-only floor): the heap that queries, cursors and extraction share
//! with the parser made its `malloc` and the walk over fresh subtrees (summarizing
//! children, releasing trees) markedly slower — measured with perf on the bench corpus, the
//! same parser functions took 1.5 to 4 times the samples. The parse-only floor installs the
//! same allocator, so that the benchmark's ratio still measures what extraction adds.

/// Routes tree-sitter's allocations to mimalloc. Call once, first thing in `main`, before
/// any tree-sitter object exists.
pub fn install() {
    let allocator = tree_sitter::Allocator {
        malloc: libmimalloc_sys::mi_malloc,
        calloc: zeroed,
        realloc: libmimalloc_sys::mi_realloc,
        free: libmimalloc_sys::mi_free,
    };
    // SAFETY: called at the start of `main`, single-threaded, before any tree-sitter
    // object exists; the four functions are one allocator family, never return null for a
    // non-zero size (mimalloc aborts on exhaustion like Rust's allocator) and align like
    // `malloc`.
    unsafe { tree_sitter::set_allocator(Some(allocator)) };
}

/// `calloc` on mimalloc's zeroing allocation (its own `mi_calloc` is behind a feature that
/// brings much else).
unsafe extern "C" fn zeroed(count: usize, size: usize) -> *mut std::ffi::c_void {
    let Some(total) = count.checked_mul(size) else {
        // tree-sitter never asks for this much; overflowing is a bug, not a null to handle.
        std::process::abort();
    };
    // SAFETY: plain allocation call; mimalloc returns zeroed memory or aborts.
    unsafe { libmimalloc_sys::mi_zalloc(total) }
}
