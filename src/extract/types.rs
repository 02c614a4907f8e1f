//! The `types` extractor (in progress).

use super::scan::Scan;
use serde::{Deserialize, Serialize};

/// Capture names `extractors/types/*.scm` may use.
pub const CAPTURES: &[&str] = &[];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TypeDef {
    pub file: String,
    pub line: u32,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<TypeDef> {
    let _ = scan;
    Vec::new()
}
