//! Exit codes, documented once here, in `--help` and in the README.

/// Success: the state was written, or `--check` found it fresh.
pub const OK: i32 = 0;
/// `--check` found the state stale, or some files failed while the rest was written.
pub const STALE_OR_PARTIAL: i32 = 1;
/// Bad usage or configuration, an unreadable root, a state directory that is not ours or
/// is busy (`--no-wait`): nothing was written. Or an I/O error while writing: the manifest
/// was not updated, so `--check` reports the state stale.
pub const USAGE: i32 = 2;
/// Interrupted by SIGINT.
pub const INTERRUPTED: i32 = 130;
/// Terminated by SIGTERM.
pub const TERMINATED: i32 = 143;

pub const HELP: &str = "\
Exit codes:
  0    success (with --check: .state/ is fresh)
  1    --check: .state/ is stale; otherwise some files failed and were
       skipped, the rest was written
  2    usage or configuration error, unreadable root, .state/ not ours
       or busy (--no-wait); or a write failed: the manifest was not
       updated, and --check reports the state stale
  130  interrupted by SIGINT
  143  terminated by SIGTERM";
