#!/usr/bin/env bash
# Runs the non-temporal sqllogictest files against a real PostgreSQL 15, so
# that DriftDB's expectations are PostgreSQL's and not guesses. Starts a
# throwaway server on loopback (as the unprivileged user `nobody` when run as
# root), runs tests/slt/*.slt through driftdb-slt, and stops it.
#
# Usage: scripts/pg-crosscheck.sh [FILE.slt ...]   (default: tests/slt/*.slt)
# Knobs: PG_BIN (default /usr/lib/postgresql/15/bin), PG_CROSSCHECK_PORT (54329).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
port="${PG_CROSSCHECK_PORT:-54329}"
if [ ! -x "$pg_bin/initdb" ]; then
    echo "pg-crosscheck: no PostgreSQL server binaries in $pg_bin (install postgresql-15)" >&2
    exit 1
fi
files=("$@")
if [ "${#files[@]}" -eq 0 ]; then
    files=(tests/slt/*.slt)
fi

work="$(mktemp -d)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$work"
    as_pg=(runuser -u nobody --)
fi
stop() {
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop EXIT

"${as_pg[@]}" "$pg_bin/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
    -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null

cargo build --release -q -p driftdb-slt
"${CARGO_TARGET_DIR:-$root/target}/release/driftdb-slt" \
    --url "host=127.0.0.1 port=$port user=postgres dbname=postgres" "${files[@]}"
