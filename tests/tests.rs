//! Integration tests: the real binary on fixture trees in temp directories.

mod util;

mod bad_input;
mod check;
mod chunking;
mod determinism;
mod incremental;
mod resolution;
mod selection;
