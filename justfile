# discover's tasks. `just --list` shows them.

# Inventory a repository (default: this one) into ROOT/.state; extra flags go to discover.
discover *ARGS:
    cargo run --release --quiet -- {{ARGS}}

# Run the whole test suite (integration tests run the real binary on fixture trees).
test:
    cargo nextest run --no-fail-fast --features fault-injection

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings
