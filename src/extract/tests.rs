//! The `tests` extractor (in progress).

use super::scan::Scan;
use serde::{Deserialize, Serialize};

/// Capture names `extractors/tests/*.scm` may use.
pub const CAPTURES: &[&str] = &[];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TestCase {
    pub file: String,
    pub line: u32,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<TestCase> {
    let _ = scan;
    Vec::new()
}
