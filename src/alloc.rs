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

/// Rust's global allocator: mimalloc's default heap, asked as `malloc` asks it whenever the
/// alignment is one its blocks always have. The `mimalloc` crate asks every allocation
/// through `mi_malloc_aligned`, whose alignment checks cost about 20 instructions more per
/// allocation than `mi_malloc` (a million allocations on the 978-file sample).
pub struct Allocator;

/// The alignment every mimalloc block has: blocks are whole words from a word-aligned start.
const WORD: usize = std::mem::size_of::<usize>();

// SAFETY: each function returns a block of mimalloc's default heap with the layout's size
// and an alignment of at least the layout's (a word for `mi_malloc`, `mi_zalloc` and
// `mi_realloc`, which are only asked for layouts aligned to at most that), or null on
// exhaustion; `mi_free` takes any block of the heap.
unsafe impl std::alloc::GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: plain allocation calls.
        let block: *mut u8 = unsafe {
            if layout.align() <= WORD {
                libmimalloc_sys::mi_malloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        };
        // Every test runs the debug binary: each of its allocations checks the claim above.
        debug_assert!(block.is_null() || block.align_offset(layout.align()) == 0);
        block
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if layout.align() <= WORD {
                libmimalloc_sys::mi_zalloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as in `dealloc`; the block keeps the layout's alignment.
        unsafe {
            if layout.align() <= WORD {
                libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
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
