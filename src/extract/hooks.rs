//! The `hooks` extractor (in progress).

use super::scan::Scan;
use serde::{Deserialize, Serialize};

/// Capture names `extractors/hooks/*.scm` may use.
pub const CAPTURES: &[&str] = &[];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hook {
    pub file: String,
    pub line: u32,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<Hook> {
    let _ = scan;
    Vec::new()
}
