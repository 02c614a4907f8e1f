//! The `components` extractor (in progress).

use super::scan::Scan;
use serde::{Deserialize, Serialize};

/// Capture names `extractors/components/*.scm` may use.
pub const CAPTURES: &[&str] = &[];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Component {
    pub file: String,
    pub line: u32,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<Component> {
    let _ = scan;
    Vec::new()
}
