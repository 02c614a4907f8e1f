//! Command-line arguments as typed, and their resolution into a validated run configuration.

use crate::config::{self, Overrides, Settings};
use crate::extract::ExtractorId;
use crate::run::{Mode, RunConfig, RunError};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// Deterministic, chunked JSON inventory of a TypeScript / JavaScript / Python codebase.
///
/// Walks ROOT, parses every source file once with tree-sitter, runs the extractors and
/// writes one JSON file per extractor and chunk under ROOT/.state, plus manifest.json.
#[derive(Debug, Parser)]
#[command(name = "discover", version, after_help = crate::exit::HELP)]
pub struct Args {
    /// Repository to inventory.
    #[arg(default_value = ".")]
    pub root: PathBuf,

    /// Where to write the inventory [default: ROOT/.state].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Write nothing; exit 0 when the state matches the sources, 1 when it is stale (listing
    /// stale chunks and the files added, modified or deleted since).
    #[arg(long, conflicts_with_all = ["incremental", "only_chunks", "parallel", "jobs", "timeout", "max_memory"])]
    pub check: bool,

    /// Re-extract only stale chunks and drop chunks whose sources are gone.
    #[arg(long)]
    pub incremental: bool,

    /// Run only these extractors (comma-separated); the others' outputs stay untouched.
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Re-extract only these chunks (comma-separated names, as in the manifest); the other
    /// chunks stay untouched.
    #[arg(long, value_name = "CHUNK,...", value_delimiter = ',')]
    pub only_chunks: Vec<String>,

    /// Skip source files larger than this (e.g. 512KiB, 2MB) [default: 1MiB, or
    /// `max_file_size` in discover.toml].
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,

    /// List the extractors with a one-line description and exit.
    #[arg(long)]
    pub list_extractors: bool,

    /// Extract in isolated worker processes, one per core less one (at least one).
    #[arg(long)]
    pub parallel: bool,

    /// Number of worker processes (implies --parallel).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Per-task time limit for a worker (e.g. 5m, 90s, 500ms); a task over it is killed and
    /// retried by halves until the file responsible is found and skipped.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// Per-worker resident memory limit (e.g. 512MiB); enforced like --timeout.
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<String>,

    /// Time budget for parsing and querying one file, in any mode; a file over it is skipped
    /// with a warning.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub file_timeout: String,

    /// Print a line per task (start, end, peak memory) to stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// Print the run summary as JSON on stdout (instead of the text summary on stderr).
    #[arg(long, conflicts_with = "check")]
    pub json: bool,

    /// Read every file instead of trusting the per-machine hash cache (in
    /// $XDG_CACHE_HOME/discover or ~/.cache/discover), and do not update it.
    #[arg(long)]
    pub no_cache: bool,

    /// Print only warnings and errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The default per-task timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Parses `5m`, `90s`, `500ms`, `1h`, `2m30s`, or a bare number of seconds.
pub fn parse_duration(text: &str, what: &str) -> Result<Duration, RunError> {
    let err = || {
        RunError::Usage(format!(
            "invalid duration `{text}` for {what}: expected e.g. 5m, 90s, 500ms, 1h30m"
        ))
    };
    let trimmed = text.trim();
    if let Ok(seconds) = trimmed.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|_| err());
    }
    let mut total = Duration::ZERO;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        let (number, tail) = rest.split_at(digits);
        let number: f64 = number.parse().map_err(|_| err())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let seconds = match unit {
            "ms" => number / 1000.0,
            "s" => number,
            "m" => number * 60.0,
            "h" => number * 3600.0,
            _ => return Err(err()),
        };
        total += Duration::try_from_secs_f64(seconds).map_err(|_| err())?;
        rest = tail;
    }
    if total.is_zero() {
        return Err(err());
    }
    Ok(total)
}

impl Args {
    /// Validates the arguments and loads `discover.toml`.
    pub fn resolve(self) -> Result<RunConfig, RunError> {
        let root_shown = self.root.display().to_string();
        let meta = std::fs::metadata(&self.root).map_err(|e| RunError::Root {
            path: root_shown.clone(),
            message: e.to_string(),
        })?;
        if !meta.is_dir() {
            return Err(RunError::Root {
                path: root_shown,
                message: "not a directory".to_string(),
            });
        }
        let root = self.root.canonicalize().map_err(|e| RunError::Root {
            path: root_shown.clone(),
            message: e.to_string(),
        })?;
        let (state_dir, state_shown) = match &self.state_dir {
            Some(dir) => (absolute(dir)?, dir.display().to_string()),
            None => (
                root.join(".state"),
                if self.root.as_os_str() == "." {
                    ".state".to_string()
                } else {
                    self.root.join(".state").display().to_string()
                },
            ),
        };

        let selected = if self.only.is_empty() {
            ExtractorId::ALL.to_vec()
        } else {
            let mut selected = Vec::new();
            for name in &self.only {
                let name = name.trim();
                let id = ExtractorId::from_name(name).ok_or_else(|| {
                    RunError::Usage(format!(
                        "unknown extractor `{name}` in --only; known extractors: {}",
                        ExtractorId::ALL.map(|e| e.name()).join(", ")
                    ))
                })?;
                if !selected.contains(&id) {
                    selected.push(id);
                }
            }
            selected.sort();
            selected
        };
        let only_chunks = if self.only_chunks.is_empty() {
            None
        } else {
            Some(
                self.only_chunks
                    .iter()
                    .map(|c| c.trim().to_string())
                    .collect(),
            )
        };

        let jobs = match (self.jobs, self.parallel) {
            (Some(0), _) => {
                return Err(RunError::Usage(
                    "-j/--jobs takes a number of workers, at least 1".into(),
                ));
            }
            (Some(n), _) => n,
            (None, true) => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .saturating_sub(1)
                .max(1),
            (None, false) => 0,
        };
        let parallel_only = |flag: &str| {
            RunError::Usage(format!(
                "{flag} limits worker processes; add --parallel or -j N (in process, --file-timeout bounds each file)"
            ))
        };
        let timeout = match &self.timeout {
            Some(_) if jobs == 0 => return Err(parallel_only("--timeout")),
            Some(text) => parse_duration(text, "--timeout")?,
            None => DEFAULT_TIMEOUT,
        };
        let max_memory = match &self.max_memory {
            Some(_) if jobs == 0 => return Err(parallel_only("--max-memory")),
            Some(text) => Some(config::parse_size(text, "--max-memory")?),
            None => None,
        };
        let file_timeout = parse_duration(&self.file_timeout, "--file-timeout")?;
        let settings: Settings = config::load(
            &root,
            &Overrides {
                max_file_size: self.max_file_size,
            },
        )?;
        let mode = if self.check {
            Mode::Check
        } else if self.incremental {
            Mode::Incremental
        } else {
            Mode::Full
        };
        Ok(RunConfig {
            root,
            state_dir,
            state_shown,
            mode,
            selected,
            only_chunks,
            settings,
            quiet: self.quiet,
            jobs,
            timeout,
            max_memory,
            file_timeout,
            verbose: self.verbose,
            json: self.json,
            use_cache: !self.no_cache,
        })
    }
}

fn absolute(path: &std::path::Path) -> Result<PathBuf, RunError> {
    std::path::absolute(path)
        .map_err(|e| RunError::Usage(format!("invalid --state-dir `{}`: {e}", path.display())))
}

pub fn list_extractors() -> String {
    let mut out = String::new();
    for e in ExtractorId::ALL {
        out.push_str(&format!(
            "{:<10} v{}  {}\n",
            e.name(),
            e.version(),
            e.description()
        ));
    }
    out
}
