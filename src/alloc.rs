//! One allocator for the whole process, mimalloc, with tree-sitter in a heap of its own:
//! Rust's allocations go to mimalloc's default heap (the global allocator, set in each
//! binary), tree-sitter's to a separate heap.
//!
//! Why mimalloc: with tree-sitter on glibc's allocator, parsing inside discover ran well
//! behind the same parsing alone (the parse-only floor): the parser's `malloc` and its walks
//! over fresh subtrees (summarizing children, releasing trees) took 1.5 to 4 times the perf
//! samples.
//!
//! Why a heap of its own: sharing one heap, the extractors' long-lived strings and vectors
//! pin pages that the parser's nodes also use, so a freed tree does not give its pages
//! back whole; the next parse then takes blocks from scattered free lists (cache misses in
//! `malloc`, in building and in releasing the tree) where the floor carves fresh pages in
//! order. In its own heap, each parse reuses the pages the previous tree left empty.
//!
//! The parse-only floor installs the same allocator, so that the benchmark's ratio still
//! measures what extraction adds.

use std::ffi::c_void;
use std::sync::atomic::{AtomicPtr, Ordering};

// mimalloc's first-class heaps (v3: any thread may allocate from one, and a block is freed
// with `mi_free` wherever it came from). Declared here rather than through
// libmimalloc-sys's `extended` feature, which brings much else.
unsafe extern "C" {
    fn mi_heap_new() -> *mut c_void;
    fn mi_heap_malloc(heap: *mut c_void, size: usize) -> *mut c_void;
    fn mi_heap_zalloc(heap: *mut c_void, size: usize) -> *mut c_void;
    fn mi_heap_realloc(heap: *mut c_void, p: *mut c_void, size: usize) -> *mut c_void;
}

/// tree-sitter's heap; set once by `install`, never freed (it lives as long as the process).
static HEAP: AtomicPtr<c_void> = AtomicPtr::new(std::ptr::null_mut());

/// Routes tree-sitter's allocations to a mimalloc heap of their own. Call once, first thing
/// in `main`, before any tree-sitter object exists.
pub fn install() {
    // SAFETY: plain constructor; a null heap (out of memory) is checked below.
    let heap = unsafe { mi_heap_new() };
    assert!(!heap.is_null(), "mimalloc could not create a heap");
    HEAP.store(heap, Ordering::Release);
    let allocator = tree_sitter::Allocator {
        malloc,
        calloc,
        realloc,
        free: libmimalloc_sys::mi_free,
    };
    // SAFETY: called at the start of `main`, single-threaded, before any tree-sitter
    // object exists; the four functions are one allocator family, never return null for a
    // non-zero size (mimalloc aborts on exhaustion like Rust's allocator) and align like
    // `malloc`.
    unsafe { tree_sitter::set_allocator(Some(allocator)) };
}

fn heap() -> *mut c_void {
    HEAP.load(Ordering::Acquire)
}

unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
    // SAFETY: `heap` was created by `install` before tree-sitter could call this.
    unsafe { mi_heap_malloc(heap(), size) }
}

/// `calloc` on the heap's zeroing allocation.
unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
    let Some(total) = count.checked_mul(size) else {
        // tree-sitter never asks for this much; overflowing is a bug, not a null to handle.
        std::process::abort();
    };
    // SAFETY: as in `malloc`.
    unsafe { mi_heap_zalloc(heap(), total) }
}

unsafe extern "C" fn realloc(p: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: `p` is null or came from this heap (tree-sitter reallocates only its own
    // blocks); the result stays in the heap.
    unsafe { mi_heap_realloc(heap(), p, size) }
}
