#!/usr/bin/env bash
# THE test command of DriftDB: formatting, lints, every test suite, a short fuzz run.
#
# Usage: scripts/test.sh
#
# Knobs (environment variables, passed through to the tests as they are):
#   DRIFTDB_CRASH_ROUNDS  rounds of the crash-recovery test
#                         (crates/storage/tests/crash.rs); unset, the test uses
#                         its own default (50). Raise it for a longer soak, e.g.
#                         DRIFTDB_CRASH_ROUNDS=1000 scripts/test.sh
#   FUZZ_SECONDS          length of the fuzz run at the end, split between the
#                         two targets (default 30).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# Where cargo puts its builds (CARGO_TARGET_DIR when set).
target="${CARGO_TARGET_DIR:-$root/target}"

step() {
    echo
    echo "======================================================================"
    echo "== $*   [${SECONDS}s since start]"
    echo "======================================================================"
}

step "toolchain: rustfmt and clippy"
# `rustup component add` only when the component is missing.
if ! cargo fmt --version >/dev/null 2>&1; then
    rustup component add rustfmt
fi
if ! cargo clippy --version >/dev/null 2>&1; then
    rustup component add clippy
fi
cargo --version
rustc --version

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo test --workspace --release${DRIFTDB_CRASH_ROUNDS:+ (DRIFTDB_CRASH_ROUNDS=$DRIFTDB_CRASH_ROUNDS)}"
cargo test --workspace --release

# The PostgreSQL-checked files DriftDB runs in full today; the rest join this
# list as the SQL engine grows (scripts/pg-crosscheck.sh runs them all on PG).
embedded=(aggregates alter_column alter_table arrays basics catalog comments constraints create_table_as ddl distinct_on dml expressions functions_datetime functions_math functions_string grouping_sets indexes_views interval joins json lateral locking numeric on_conflict ordered_set_aggregates orm_catalog predicates recursive returning sequences set_operations subqueries transactions types update_from window window_frames with)
step "sqllogictest, DriftDB embedded: tests/slt/drift and ${embedded[*]}"
cargo build --release -q -p driftdb-slt
"$target/release/driftdb-slt" --embedded tests/slt/drift/*.slt \
    $(printf 'tests/slt/%s.slt ' "${embedded[@]}")

step "sqllogictest, DriftDB over the wire (driftdb serve, one server per file): the same files"
cargo build --release -q -p driftdb
"$target/release/driftdb-slt" --serve "$target/release/driftdb" tests/slt/drift/*.slt \
    $(printf 'tests/slt/%s.slt ' "${embedded[@]}")

step "client tests: psql, psycopg 3, node-postgres, pgJDBC against driftdb serve"
"$root/scripts/client-tests.sh"

step "PostgreSQL cross-check: tests/slt against a real PostgreSQL 15"
"$root/scripts/pg-crosscheck.sh"

step "fuzz: frame_decoder and sql, ${FUZZ_SECONDS:-30}s in all"
"$root/scripts/fuzz.sh" "${FUZZ_SECONDS:-30}"

step "all checks passed"
