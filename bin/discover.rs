//! Entry point: everything lives in the library so tests can drive it.

fn main() -> std::process::ExitCode {
    let code = discover::main_with_args(std::env::args_os());
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(2))
}
