//! Command-line arguments as typed, and their resolution into a validated run configuration.

use crate::config::{self, Overrides, Settings};
use crate::extract::ExtractorId;
use crate::run::{Mode, RunConfig, RunError};
use clap::Parser;
use std::path::PathBuf;

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
    #[arg(long, conflicts_with_all = ["incremental", "only_chunks"])]
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

    /// Print only warnings and errors.
    #[arg(short, long)]
    pub quiet: bool,
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
