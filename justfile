# discover's tasks. `just --list` shows them.

# Inventory a repository (default: this one) into ROOT/.state; extra flags go to discover.
discover *ARGS:
    cargo run --release --quiet -- {{ARGS}}

# Run the whole test suite (integration tests run the real binary on fixture trees). In the
# dev profile, not cargo's separate `test` one, so that CI's `discover --check` afterwards
# runs the binary the tests built instead of building it again.
test:
    cargo nextest run --no-fail-fast --features fault-injection --cargo-profile dev

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings

# Benchmark on the pinned real-world corpus (BIG=1 for the large one), every variant side by
# side; prints one table and writes target/bench/{default,big}.{md,json}.
bench:
    cargo build --release --bin discover --example parse-floor
    bin/fetch-corpus "target/corpus$([ "${BIG:-}" = 1 ] && echo -big || true)"
    python3 bin/bench
