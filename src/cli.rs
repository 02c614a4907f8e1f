//! Command-line arguments as typed, and their resolution into a validated run configuration.

use crate::config::{self, Overrides, Settings};
use crate::extract::ExtractorId;
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
    /// Repository to inventory [default: the nearest directory up from here holding
    /// .state/manifest.json or discover.toml, else the git top level, else .].
    pub root: Option<PathBuf>,

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
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub max_file_size: Option<String>,

    /// List the extractors with a one-line description and exit.
    #[arg(long)]
    pub list_extractors: bool,

    /// Extract in isolated worker processes, one per core less one (at least one).
    #[arg(long)]
    pub parallel: bool,

    /// Number of worker processes (implies --parallel); more than 4 per core is clamped.
    #[arg(short = 'j', long, value_name = "N", allow_negative_numbers = true)]
    pub jobs: Option<String>,

    /// Per-task time limit for a worker (e.g. 5m, 90s, 500ms); a task over it is killed and
    /// retried by halves until the file responsible is found and skipped.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub timeout: Option<String>,

    /// Per-worker resident memory limit (e.g. 512MiB, at least 16MiB); enforced like
    /// --timeout.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub max_memory: Option<String>,

    /// Time budget for parsing and querying one file, in any mode; a file over it is skipped
    /// with a warning.
    /// The budget counts the CPU time of the thread working on the file, so a loaded
    /// machine does not change which files are skipped.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10s",
        allow_hyphen_values = true
    )]
    pub file_timeout: String,

    /// Print a line per task (start, end, peak memory) to stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// Print the run summary as JSON on stdout (instead of the text summary on stderr); with
    /// --check, the verdict as JSON.
    #[arg(long)]
    pub json: bool,

    /// Read every file instead of trusting the per-machine hash cache (in
    /// $XDG_CACHE_HOME/discover or ~/.cache/discover), and do not update it.
    #[arg(long)]
    pub no_cache: bool,

    /// When another run is writing the same state directory, fail at once (exit 2) instead
    /// of waiting for it to finish.
    #[arg(long, conflicts_with = "check")]
    pub no_wait: bool,

    /// Print only warnings and errors: no progress, no summary (skipped and failed files
    /// and the reason for a non-zero exit are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

/// What a run does to the state directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    Incremental,
    Check,
}

/// A validated run configuration, built once from the arguments.
#[derive(Debug)]
pub struct RunConfig {
    pub root: PathBuf,
    /// ROOT as typed, and `--state-dir` as typed when given: for hints that name them.
    pub root_shown: String,
    pub state_dir_arg: Option<String>,
    pub state_dir: PathBuf,
    pub state_shown: String,
    pub mode: Mode,
    pub selected: Vec<ExtractorId>,
    pub only_chunks: Option<Vec<String>>,
    pub settings: Settings,
    pub quiet: bool,
    /// Worker processes; 0 extracts in process.
    pub jobs: usize,
    pub timeout: Duration,
    pub max_memory: Option<u64>,
    pub file_timeout: Duration,
    pub verbose: bool,
    pub json: bool,
    /// Whether the per-machine hash cache is read and written.
    pub use_cache: bool,
    /// Whether a writing run waits for another one holding the state directory's lock.
    pub wait_for_lock: bool,
}

impl RunConfig {
    /// `discover FLAG [ROOT] [--state-dir DIR]`: the command to suggest, naming the root
    /// and state directory this run was given.
    pub fn command_hint(&self, flag: &str) -> String {
        let mut hint = format!("discover {flag}");
        if self.root_shown != "." {
            hint.push(' ');
            hint.push_str(&shell_word(&self.root_shown));
        }
        if let Some(dir) = &self.state_dir_arg {
            hint.push_str(" --state-dir ");
            hint.push_str(&shell_word(dir));
        }
        hint
    }
}

/// `word`, quoted for a POSIX shell when it holds anything but plain path characters.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Arguments or configuration that cannot make a run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot inventory `{path}`: {message}")]
    Root { path: String, message: String },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
}

/// The default per-task timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Parses `5m`, `90s`, `500ms`, `1h`, `2m30s`, or a bare number of seconds.
pub fn parse_duration(text: &str, what: &str) -> Result<Duration, CliError> {
    let err = || {
        CliError::Usage(format!(
            "invalid duration `{text}` for {what}: expected e.g. 5m, 90s, 500ms, 1h30m"
        ))
    };
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(CliError::Usage(format!(
            "invalid duration `{text}` for {what}: it cannot be negative (e.g. 5m, 90s, 500ms)"
        )));
    }
    let positive = |total: Duration| {
        if total.is_zero() {
            Err(CliError::Usage(format!(
                "invalid duration `{text}` for {what}: it must be more than zero (e.g. 5m, 90s, 500ms)"
            )))
        } else {
            Ok(total)
        }
    };
    if let Ok(seconds) = trimmed.parse::<f64>() {
        return positive(Duration::try_from_secs_f64(seconds).map_err(|_| err())?);
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
    positive(total)
}

/// The smallest `--max-memory` accepted: a worker's own resident set (binary, grammars,
/// compiled queries) is several MiB, so less would skip every file.
pub const MIN_MAX_MEMORY: u64 = 16 << 20;

/// Parses `-j`: a whole number of workers, at least 1.
fn parse_jobs(text: &str) -> Result<usize, CliError> {
    match text.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        Ok(_) => Err(CliError::Usage(format!(
            "invalid value `{text}` for -j/--jobs: expected a number of worker processes, at least 1"
        ))),
        Err(_) => Err(CliError::Usage(format!(
            "invalid value `{text}` for -j/--jobs: expected a whole number of worker processes, e.g. -j 4"
        ))),
    }
}

impl Args {
    /// Reads the root's `discover.toml` (when there is one) for its extractors and
    /// installs the registry with them.
    pub fn install_registry(&self) -> Result<(), CliError> {
        let settings = config::load(&self.root_dir(), &Overrides::default())?;
        crate::extract::install_registry(settings.extractors).map_err(CliError::Usage)
    }

    /// ROOT as given, or found from the working directory as git and cargo find theirs:
    /// the nearest ancestor holding `.state/manifest.json` or `discover.toml`, else the git
    /// top level, else the working directory. Relative to the working directory.
    fn root_dir(&self) -> PathBuf {
        if let Some(root) = &self.root {
            return root.clone();
        }
        let Ok(cwd) = std::env::current_dir() else {
            return PathBuf::from(".");
        };
        let found = cwd
            .ancestors()
            .find(|d| {
                d.join(".state")
                    .join(crate::manifest::MANIFEST_FILE)
                    .is_file()
                    || d.join(config::CONFIG_FILE).is_file()
            })
            .or_else(|| cwd.ancestors().find(|d| d.join(".git").exists()));
        match found {
            Some(dir) if dir != cwd => {
                let up = cwd.ancestors().position(|a| a == dir).unwrap_or(0);
                PathBuf::from(vec![".."; up].join("/"))
            }
            _ => PathBuf::from("."),
        }
    }

    /// Validates the arguments and loads `discover.toml`.
    pub fn resolve(self) -> Result<RunConfig, CliError> {
        let root_arg = self.root_dir();
        let root_shown = root_arg.display().to_string();
        if self.root.is_none() && root_shown != "." && !self.quiet && !self.json {
            eprintln!("discover: the root is `{root_shown}` (found upwards from here)");
        }
        let meta = std::fs::metadata(&root_arg).map_err(|e| CliError::Root {
            path: root_shown.clone(),
            message: e.to_string(),
        })?;
        if !meta.is_dir() {
            return Err(CliError::Root {
                path: root_shown,
                message: "not a directory".to_string(),
            });
        }
        let root = root_arg.canonicalize().map_err(|e| CliError::Root {
            path: root_shown.clone(),
            message: e.to_string(),
        })?;
        let (state_dir, state_shown) = match &self.state_dir {
            Some(dir) => (absolute(dir)?, dir.display().to_string()),
            None => (
                root.join(".state"),
                if root_arg.as_os_str() == "." {
                    ".state".to_string()
                } else {
                    root_arg.join(".state").display().to_string()
                },
            ),
        };

        let settings: Settings = config::load(
            &root,
            &Overrides {
                max_file_size: self.max_file_size.clone(),
            },
        )?;
        // Before any extractor is looked up: `--only` may name the repository's own.
        crate::extract::install_registry(settings.extractors.clone()).map_err(CliError::Usage)?;

        let selected = if self.only.is_empty() {
            ExtractorId::all()
        } else {
            let mut selected = Vec::new();
            for name in &self.only {
                let name = name.trim();
                let id = ExtractorId::from_name(name).ok_or_else(|| {
                    CliError::Usage(format!(
                        "unknown extractor `{name}` in --only; known extractors: {}",
                        ExtractorId::all()
                            .iter()
                            .map(|e| e.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
                if !selected.contains(&id) {
                    selected.push(id);
                }
            }
            // Routes compose their URLs and schemas from every file's mounts, export
            // surfaces and schemas: a route run without them would report what an older
            // state (or none) says.
            if selected.contains(&ExtractorId::ROUTES) {
                for needed in [
                    ExtractorId::MOUNTS,
                    ExtractorId::EXPORTS,
                    ExtractorId::SCHEMAS,
                ] {
                    if !selected.contains(&needed) {
                        selected.push(needed);
                    }
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

        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let jobs = match (&self.jobs, self.parallel) {
            (Some(text), _) => {
                let asked = parse_jobs(text)?;
                // More workers than this only time-slice the same cores: every file then
                // takes longer by the clock, and nothing is gained.
                let most = cores * 4;
                if asked > most {
                    eprintln!(
                        "warning: -j {asked} is more than 4 workers per core; using {most} ({cores} core(s))"
                    );
                }
                asked.min(most)
            }
            (None, true) => cores.saturating_sub(1).max(1),
            (None, false) => 0,
        };
        let parallel_only = |flag: &str| {
            CliError::Usage(format!(
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
            Some(text) => {
                let limit = config::parse_size(text, "--max-memory")?;
                if limit < MIN_MAX_MEMORY {
                    return Err(CliError::Usage(format!(
                        "--max-memory {text} is {}, below the smallest workable limit of {}: a worker needs that much before it reads a file (sizes without a unit are bytes; did you mean {text}MiB?)",
                        config::human_size(limit),
                        config::human_size(MIN_MAX_MEMORY)
                    )));
                }
                Some(limit)
            }
            None => None,
        };
        let file_timeout = parse_duration(&self.file_timeout, "--file-timeout")?;
        let mode = if self.check {
            Mode::Check
        } else if self.incremental {
            Mode::Incremental
        } else {
            Mode::Full
        };
        Ok(RunConfig {
            root_shown: root_shown.clone(),
            state_dir_arg: self.state_dir.as_ref().map(|d| d.display().to_string()),
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
            wait_for_lock: !self.no_wait,
        })
    }
}

fn absolute(path: &std::path::Path) -> Result<PathBuf, CliError> {
    std::path::absolute(path)
        .map_err(|e| CliError::Usage(format!("invalid --state-dir `{}`: {e}", path.display())))
}

/// The registry's extractors (the repository's own included), a line each: name, version
/// (`query` for a repository's query extractor, whose version is its file's hash) and
/// description.
pub fn list_extractors() -> String {
    let all = ExtractorId::all();
    let width = all.iter().map(|e| e.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for e in all {
        let def = e.def();
        let (version, description) = match def.query {
            Some((path, _)) => ("query".to_string(), format!("{} ({path})", def.description)),
            None => (format!("v{}", def.version), def.description.to_string()),
        };
        out.push_str(&format!(
            "{:<width$}  {version:<5}  {description}\n",
            e.name()
        ));
    }
    out
}
