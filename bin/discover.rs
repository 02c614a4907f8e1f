//! Entry point: everything lives in the library so tests can drive it.

fn main() -> std::process::ExitCode {
    discover::alloc::install();
    discover::timing::mark("started");
    let code = discover::main_with_args(std::env::args_os());
    discover::timing::mark("done");
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(2))
}
/// mimalloc for Rust's allocations, as for tree-sitter's (see `discover::alloc`).
#[global_allocator]
static GLOBAL: discover::alloc::Allocator = discover::alloc::Allocator;
