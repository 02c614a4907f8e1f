//! Entry point: everything lives in the library so tests can drive it.

fn main() -> std::process::ExitCode {
    let code = discover::main_with_args(std::env::args_os());
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(2))
}
/// Rust's allocations get a heap of their own. On glibc's heap, interleaved with
/// tree-sitter's many small node allocations, file buffers and outputs made freeing a parse
/// tree markedly slower (see the README's notes on dependencies).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
