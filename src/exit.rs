//! Exit codes, documented once here, in `--help` and in the README.

/// How a run ends, as the process's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success: the state was written, or `--check` found it fresh.
    Ok,
    /// `--check` found the state stale, or some files failed while the rest was written.
    StaleOrPartial,
    /// Bad usage or configuration, an unreadable root, a state directory that is not ours
    /// or is busy (`--no-wait`): nothing was written. Or an I/O error while writing: the
    /// manifest was not updated, so `--check` reports the state stale.
    Usage,
    /// Interrupted by SIGINT.
    Interrupted,
    /// Terminated by SIGTERM.
    Terminated,
    /// Another signal (128 + its number).
    Signal(i32),
}

impl ExitCode {
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::StaleOrPartial => 1,
            ExitCode::Usage => 2,
            ExitCode::Interrupted => 130,
            ExitCode::Terminated => 143,
            ExitCode::Signal(sig) => 128 + sig,
        }
    }

    /// The exit status of a run stopped by `sig`.
    pub fn of_signal(sig: i32) -> ExitCode {
        match sig {
            libc::SIGINT => ExitCode::Interrupted,
            libc::SIGTERM => ExitCode::Terminated,
            _ => ExitCode::Signal(sig),
        }
    }
}

pub const HELP: &str = "\
Examples:
  discover                  inventory . into ./.state
  discover ../app -j 2      the same for ../app, in two worker processes
  discover --incremental    re-extract only what changed since the last run
  discover --check          exit 1 when .state/ is stale (CI, editor hooks)
  discover --check --json   the same verdict as JSON on stdout
  discover --only types     run one extractor, leave the others' outputs alone
  discover query callers save
                            who calls `save`, read from .state (discover query --help)
  discover watch            refresh .state after every burst of edits, until ^C
  discover mcp              serve the queries to an assistant (MCP over stdio)

Extractors: calls, components, exports, hooks, imports, mounts, routes, schemas,
symbols, tests, types, and a repository's own from discover.toml (discover
--list-extractors); routes also runs mounts, exports and schemas, its sources

Exit codes:
  0    success (with --check: .state/ is fresh)
  1    --check: .state/ is stale; otherwise some files failed and were
       skipped, the rest was written
  2    usage or configuration error, unreadable root, .state/ not ours
       or busy (--no-wait); or a write failed: the manifest was not
       updated, and --check reports the state stale
  130  interrupted by SIGINT
  143  terminated by SIGTERM";
