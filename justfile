# lscb — common tasks. `just` lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Show the recipes.
default:
    @just --list

# Build every binary (services, lscbctl).
build:
    cargo build --workspace --bins

# Install lscbctl and the five service binaries into ~/.cargo/bin (on PATH with a rustup install).
install:
    cargo install --locked --path crates/lscb-cli
    for c in indicators audits training finance aggregator; do cargo install --locked --path crates/lscb-$c; done

# Run the whole stack on SQLite under ./data (Ctrl-C stops it).
up: build
    ./target/debug/lscbctl up

# Build, start the stack on SQLite (./data), seed the 2015/16 reference dataset, write out/annual-report-2015-16.{html,md}, serve until Ctrl-C.
demo: build
    #!/usr/bin/env bash
    set -euo pipefail
    bin="${LSCBCTL:-./target/debug/lscbctl}"
    data="${LSCB_DATA_DIR:-data}"
    base="${LSCB_DEMO_BASE_PORT:-50050}"
    mkdir -p out "$data"
    "$bin" up --data-dir "$data" --base-port "$base" &
    up=$!
    trap 'kill -INT $up 2>/dev/null; wait $up 2>/dev/null; exit 0' INT TERM
    for port in $base $((base+1)) $((base+2)) $((base+3)) $((base+4)); do
        for _ in $(seq 1 150); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
            if ! kill -0 $up 2>/dev/null; then echo "lscbctl up stopped (is a stack already running on ports $base-$((base+4))?)" >&2; exit 1; fi
            sleep 0.2
        done
    done
    export LSCB_AGGREGATOR_URL=http://127.0.0.1:$base LSCB_INDICATORS_URL=http://127.0.0.1:$((base+1)) \
        LSCB_AUDITS_URL=http://127.0.0.1:$((base+2)) LSCB_TRAINING_URL=http://127.0.0.1:$((base+3)) \
        LSCB_FINANCE_URL=http://127.0.0.1:$((base+4))
    export LSCB_TOKEN=$("$bin" token issue --partnership bscb --role admin --sub demo --secret-file "$data/jwt-secret")
    "$bin" seed --data-dir deploy/reference-data/2015-16
    "$bin" report --year 2015-16 --format html -o out/annual-report-2015-16.html
    "$bin" report --year 2015-16 --format markdown -o out/annual-report-2015-16.md
    echo
    echo "The 2015/16 reference report is in:"
    echo "  $(pwd)/out/annual-report-2015-16.html"
    echo "  $(pwd)/out/annual-report-2015-16.md"
    echo "The stack is still running (aggregator $base, indicators $((base+1)), audits $((base+2)), training $((base+3)), finance $((base+4))):"
    echo "  export TOKEN=$LSCB_TOKEN"
    echo "  grpcurl -plaintext -H \"authorization: Bearer \$TOKEN\" -d '{\"year\":{\"code\":\"2015-16\"}}' localhost:$((base+4)) lscb.finance.v1.FinanceService/GetStatement"
    echo "Ctrl-C stops it."
    wait $up

# Every test: unit, store (SQLite, and PostgreSQL when LSCB_TEST_PG_URL is set), end-to-end, the grpcurl smoke test and the reliability suite's short subset.
test:
    cargo build --workspace --bins --tests
    if cargo nextest --version >/dev/null 2>&1; then cargo nextest run --workspace --no-fail-fast; else cargo test --workspace --no-fail-fast; fi
    ./scripts/smoke.sh
    "${CARGO_TARGET_DIR:-target}/debug/lscb-bench" reliability --smoke --out "${CARGO_TARGET_DIR:-target}/reliability-smoke.md"

# Formatting and clippy with warnings as errors.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all

# Benchmarks (about 10 minutes on 2 cores): lscb next to a tonic hello-world and raw SQLite/PostgreSQL inserts, servers and load generator on different cores; writes BENCHMARKS.md. PostgreSQL: LSCB_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432).
bench:
    cargo build --release -p lscb-bench -p lscb-indicators -p lscb-audits -p lscb-training -p lscb-finance -p lscb-aggregator -p lscb-cli --bins
    "${CARGO_TARGET_DIR:-target}/release/lscb-bench" run --out BENCHMARKS.md

# A seconds-long run of the benchmark harness on the debug build (CI): checks that it works, does not judge figures.
bench-smoke:
    cargo build -p lscb-bench -p lscb-indicators -p lscb-audits -p lscb-training -p lscb-finance -p lscb-aggregator -p lscb-cli --bins
    "${CARGO_TARGET_DIR:-target}/debug/lscb-bench" run --smoke --out "${CARGO_TARGET_DIR:-target}/bench-smoke.md" --notes /dev/null

# Reliability suite (about 10 minutes on 2 cores) against the release binaries: concurrent writers (SQLite, PostgreSQL, two replicas), identical replays, generated bad inputs, the authorisation matrix, kill -9 mid-ingest, dead and hung data services during a report, SIGTERM with open streams, idle connections; writes RELIABILITY.md. PostgreSQL: LSCB_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432).
reliability:
    cargo build --release -p lscb-bench -p lscb-indicators -p lscb-audits -p lscb-training -p lscb-finance -p lscb-aggregator -p lscb-cli --bins
    "${CARGO_TARGET_DIR:-target}/release/lscb-bench" reliability --out RELIABILITY.md

# The reliability suite's short subset (under a minute) on the debug build; fails when a check misses its goal.
reliability-smoke:
    cargo build -p lscb-bench -p lscb-indicators -p lscb-audits -p lscb-training -p lscb-finance -p lscb-aggregator -p lscb-cli --bins
    "${CARGO_TARGET_DIR:-target}/debug/lscb-bench" reliability --smoke --out "${CARGO_TARGET_DIR:-target}/reliability-smoke.md"
