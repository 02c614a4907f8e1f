//! `discover.toml` at the root, merged with command-line overrides into the settings a run
//! uses.

use crate::extract::UserExtractor;
use crate::lang::Lang;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::Path;

pub const CONFIG_FILE: &str = "discover.toml";
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1024 * 1024;
pub const DEFAULT_CHUNK_MAX_FILES: usize = 60;
pub const DEFAULT_CHUNK_WARN_SIZE: u64 = 512 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid `{path}`: {message}")]
    Parse { path: String, message: String },
    #[error("invalid glob `{glob}` in `{key}` of `{path}`: {message}")]
    Glob {
        path: String,
        key: &'static str,
        glob: String,
        message: String,
    },
    #[error(
        "invalid size `{value}` for {what}: expected a number of bytes with an optional unit (B, KB, KiB, MB, MiB, GB, GiB), e.g. `512KiB`"
    )]
    Size { what: String, value: String },
    #[error("invalid value for {what}: {message}")]
    Value { what: String, message: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    max_file_size: Option<SizeValue>,
    #[serde(default)]
    chunks: ChunkFileConfig,
    #[serde(default)]
    extractors: Vec<ExtractorFileConfig>,
}

/// `[[extractors]]`: a query extractor the repository brings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractorFileConfig {
    name: String,
    #[serde(default)]
    description: String,
    languages: Vec<String>,
    query: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChunkFileConfig {
    max_files: Option<usize>,
    #[serde(default)]
    roots: Vec<String>,
    warn_size: Option<SizeValue>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SizeValue {
    Bytes(u64),
    Text(String),
}

/// Everything that decides which files are read and how they are chunked.
#[derive(Debug)]
pub struct Settings {
    pub include: Option<GlobSet>,
    pub exclude: GlobSet,
    pub max_file_size: u64,
    pub chunk_max_files: usize,
    pub chunk_roots: GlobSet,
    pub chunk_warn_size: u64,
    /// The repository's own query extractors, their query files read and checked.
    pub extractors: Vec<UserExtractor>,
}

/// Overrides given on the command line.
#[derive(Debug, Default)]
pub struct Overrides {
    pub max_file_size: Option<String>,
}

pub fn load(root: &Path, overrides: &Overrides) -> Result<Settings, ConfigError> {
    let path = root.join(CONFIG_FILE);
    let shown = CONFIG_FILE.to_string();
    let file: FileConfig = match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: e.to_string().trim().to_string(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: shown,
                source,
            });
        }
    };

    let max_file_size = match (&overrides.max_file_size, &file.max_file_size) {
        (Some(cli), _) => parse_size(cli, "--max-file-size")?,
        (None, Some(v)) => size_value(v, "`max_file_size` in discover.toml")?,
        (None, None) => DEFAULT_MAX_FILE_SIZE,
    };
    let chunk_max_files = file.chunks.max_files.unwrap_or(DEFAULT_CHUNK_MAX_FILES);
    if chunk_max_files == 0 {
        return Err(ConfigError::Value {
            what: "`chunks.max_files` in discover.toml".into(),
            message: "must be at least 1".into(),
        });
    }
    let chunk_warn_size = match &file.chunks.warn_size {
        Some(v) => size_value(v, "`chunks.warn_size` in discover.toml")?,
        None => DEFAULT_CHUNK_WARN_SIZE,
    };

    let include = if file.include.is_empty() {
        None
    } else {
        Some(glob_set(&file.include, "include")?)
    };
    let exclude = glob_set(&file.exclude, "exclude")?;
    let chunk_roots = glob_set(&file.chunks.roots, "chunks.roots")?;

    let extractors = user_extractors(root, &file.extractors)?;

    Ok(Settings {
        include,
        exclude,
        max_file_size,
        chunk_max_files,
        chunk_roots,
        chunk_warn_size,
        extractors,
    })
}

/// Validates each `[[extractors]]` entry and reads and checks its query file: a name that is
/// not a plain lowercase word, clashes with a built-in or repeats, an unknown language, an
/// unreadable file or a query that does not compile is an error naming the entry.
fn user_extractors(
    root: &Path,
    entries: &[ExtractorFileConfig],
) -> Result<Vec<UserExtractor>, ConfigError> {
    let mut out: Vec<UserExtractor> = Vec::new();
    for entry in entries {
        let what = format!("[[extractors]] `{}` in {CONFIG_FILE}", entry.name);
        let value_error = |message: String| ConfigError::Value {
            what: what.clone(),
            message,
        };
        let name = entry.name.as_str();
        let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !plain {
            return Err(value_error(
                "a name is lowercase letters, digits, `-` and `_`, starting with a letter (it names the output directory)".into(),
            ));
        }
        if crate::extract::is_builtin_extractor(name) {
            return Err(value_error(format!(
                "`{name}` is a built-in extractor; choose another name"
            )));
        }
        if out.iter().any(|u| u.name == name) {
            return Err(value_error("declared twice".into()));
        }
        if entry.languages.is_empty() {
            return Err(value_error(
                "`languages` is empty; name at least one of typescript, tsx, javascript, python"
                    .into(),
            ));
        }
        let mut langs = Vec::new();
        for language in &entry.languages {
            let lang = Lang::from_name(language).ok_or_else(|| {
                value_error(format!(
                    "unknown language `{language}`; known: typescript, tsx, javascript, python"
                ))
            })?;
            if !langs.contains(&lang) {
                langs.push(lang);
            }
        }
        langs.sort();
        let query_path = entry.query.replace('\\', "/");
        let query_source = std::fs::read_to_string(root.join(&entry.query))
            .map_err(|e| value_error(format!("cannot read its query `{query_path}`: {e}")))?;
        let user = UserExtractor {
            name: name.to_string(),
            description: if entry.description.is_empty() {
                format!("query extractor `{query_path}`")
            } else {
                entry.description.clone()
            },
            langs,
            query_path,
            query_source,
        };
        crate::extract::check_user_query(&user).map_err(|e| value_error(e.to_string()))?;
        out.push(user);
    }
    Ok(out)
}

fn glob_set(globs: &[String], key: &'static str) -> Result<GlobSet, ConfigError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let parsed = Glob::new(glob).map_err(|e| ConfigError::Glob {
            path: CONFIG_FILE.into(),
            key,
            glob: glob.clone(),
            message: e.kind().to_string(),
        })?;
        builder.add(parsed);
    }
    builder.build().map_err(|e| ConfigError::Glob {
        path: CONFIG_FILE.into(),
        key,
        glob: globs.join(", "),
        message: e.to_string(),
    })
}

fn size_value(value: &SizeValue, what: &str) -> Result<u64, ConfigError> {
    match value {
        SizeValue::Bytes(n) => Ok(*n),
        SizeValue::Text(s) => parse_size(s, what),
    }
}

/// Parses `1048576`, `512KiB`, `1MB`, `1.5 MiB`.
pub fn parse_size(text: &str, what: &str) -> Result<u64, ConfigError> {
    let err = || ConfigError::Size {
        what: what.to_string(),
        value: text.to_string(),
    };
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(ConfigError::Value {
            what: what.to_string(),
            message: format!("`{text}` is negative; expected a size such as `512KiB`"),
        });
    }
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number.parse().map_err(|_| err())?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return Err(err()),
    };
    let bytes = number * multiplier as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(err());
    }
    Ok(bytes as u64)
}

/// `1.5 MiB`-style rendering for messages.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
