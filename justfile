# lscb — common tasks. `just` lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Show the recipes.
default:
    @just --list

# Build every binary (services, lscbctl).
build:
    cargo build --workspace --bins

# Run the whole stack on SQLite under ./data (Ctrl-C stops it).
up: build
    ./target/debug/lscbctl up

# Build, start the stack, and leave it running (extended by the reference dataset issue).
demo: build
    ./target/debug/lscbctl up

# Every test: unit, store (SQLite, and PostgreSQL when LSCB_TEST_PG_URL is set), end-to-end, and the grpcurl smoke test.
test:
    cargo build --workspace --bins --tests
    if cargo nextest --version >/dev/null 2>&1; then cargo nextest run --workspace --no-fail-fast; else cargo test --workspace --no-fail-fast; fi
    ./scripts/smoke.sh

# Formatting and clippy with warnings as errors.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all
