//! The `routes` extractor (in progress).

use super::scan::Scan;
use serde::{Deserialize, Serialize};

/// Capture names `extractors/routes/*.scm` may use.
pub const CAPTURES: &[&str] = &[];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Route {
    pub file: String,
    pub line: u32,
}

pub fn extract(scan: &mut Scan<'_, '_>) -> Vec<Route> {
    let _ = scan;
    Vec::new()
}
pub fn is_next_route_file(path: &str) -> bool {
    let _ = path;
    false
}
