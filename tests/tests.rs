//! Integration tests: the real binary on fixture trees in temp directories.

mod util;

mod bad_input;
mod catalogue;
mod check;
mod chunking;
mod determinism;
mod extractors;
#[cfg(feature = "fault-injection")]
mod faults;
mod incremental;
mod links;
mod mcp;
mod parallel;
#[cfg(feature = "fault-injection")]
mod process;
mod query;
mod resolution;
mod routes;
mod safety;
mod selection;
mod user_extractors;
mod watch;
