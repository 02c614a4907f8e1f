//! `discover`: a deterministic, chunked JSON inventory of TypeScript / JavaScript / Python
//! codebases, extracted with tree-sitter.

pub mod alloc;
pub mod chunk;
pub mod cli;
pub mod compose;
pub mod config;
pub mod exit;
pub mod extract;
pub mod fault;
pub mod guide;
pub mod hash;
pub mod hash_cache;
pub mod lang;
pub mod link;
pub mod lock;
pub mod manifest;
pub mod mcp;
pub mod orchestrator;
pub mod query;
pub mod render;
pub mod resolve;
pub mod run;
pub mod signals;
pub mod staleness;
pub mod state;
pub mod task;
pub mod timing;
pub mod unix;
pub mod walk;
pub mod watch;

use clap::Parser;
use std::ffi::OsString;

/// The whole program: parses `args`, runs, prints errors, and returns the exit code.
pub fn main_with_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if args
        .get(1)
        .is_some_and(|a| a == orchestrator::WORKER_COMMAND)
    {
        return orchestrator::worker_main();
    }
    // `discover query …` has arguments of its own; a directory named `query` is `./query`.
    if args.get(1).is_some_and(|a| a == "query") {
        return query::main(&args[2..]);
    }
    if args.get(1).is_some_and(|a| a == "mcp") {
        return mcp::main(&args[2..]);
    }
    if args.get(1).is_some_and(|a| a == "watch") {
        return watch::main(&args[2..]);
    }
    // Scripts that asked for JSON get an error object on stdout even when the arguments
    // themselves are what is wrong.
    let wants_json = args.iter().skip(1).any(|a| a == "--json");
    let args = match cli::Args::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ExitCode::Usage.code()
            } else {
                exit::ExitCode::Ok.code()
            };
            let _ = e.print();
            if code != exit::ExitCode::Ok.code() && wants_json {
                print_json_error(code, e.kind().as_str().unwrap_or("invalid arguments"));
            }
            return code;
        }
    };
    if args.list_extractors {
        // The repository's own extractors are listed too, so its `discover.toml` is read.
        if let Err(e) = args.install_registry() {
            eprintln!("error: {e}");
            return exit::ExitCode::Usage.code();
        }
        // A closed pipe (`discover --list-extractors | head -1`) is not an error.
        let _ =
            std::io::Write::write_all(&mut std::io::stdout(), cli::list_extractors().as_bytes());
        return exit::ExitCode::Ok.code();
    }
    let json = args.json;
    let result = args
        .resolve()
        .map_err(run::RunError::from)
        .and_then(|cfg| run::execute_and_exit(&cfg));
    match result {
        Ok(code) => code.code(),
        Err(e) => {
            eprintln!("error: {e}");
            if json {
                print_json_error(exit::ExitCode::Usage.code(), &e.to_string());
            }
            exit::ExitCode::Usage.code()
        }
    }
}

/// `{"exit_code": N, "error": "..."}` on stdout, for `--json` runs that end in an error.
fn print_json_error(code: i32, message: &str) {
    #[derive(serde::Serialize)]
    struct JsonError<'a> {
        exit_code: i32,
        error: &'a str,
    }
    let bytes = manifest::to_json_bytes(&JsonError {
        exit_code: code,
        error: message,
    });
    let _ = std::io::Write::write_all(&mut std::io::stdout(), &bytes);
}
