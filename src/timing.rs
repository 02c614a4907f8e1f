//! Where a run's time goes, for whoever works on its speed: with `DISCOVER_TIMINGS` set in
//! the environment, each stage's end is printed on stderr as milliseconds since the first
//! mark (the start of `main`). Unset, a mark costs one load of a `OnceLock`.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Option<Instant>> = OnceLock::new();

/// Prints `label` with the time since the first mark, when `DISCOVER_TIMINGS` is set.
pub fn mark(label: &str) {
    let start = START.get_or_init(|| std::env::var_os("DISCOVER_TIMINGS").map(|_| Instant::now()));
    if let Some(start) = start {
        eprintln!(
            "timing: {:8.1} ms  {label}",
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
}
