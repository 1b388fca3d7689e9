#!/usr/bin/env bash
# DriftDB against PostgreSQL 15 under pgbench, in one sitting on this
# machine: both servers on loopback with durable commits (fsync on), the
# same data, every scenario with `-M prepared` and 8 clients. Prints TPS and
# p50/p95/p99 latency of each, and DriftDB's ratio to PostgreSQL.
#
# Usage: bench/run.sh            Knobs: BENCH_SECONDS (default 15 per run),
#        BENCH_CLIENTS (8), BENCH_ROWS (100000), PG_BIN, BENCH_PG_PORT
#        (54331), BENCH_DRIFT_PORT (54332), BENCH_SCENARIOS (the scenarios
#        to run, of "point_select insert update point_select_past"; all by
#        default), DRIFTDB_BIN (the server to run; default the release
#        build under CARGO_TARGET_DIR or target/, built first). Each row
#        also shows the server CPU per transaction in µs: DriftDB's process
#        time, PostgreSQL's postmaster children's (its backends', counted
#        when they exit).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${BENCH_SECONDS:-15}"
clients="${BENCH_CLIENTS:-8}"
rows="${BENCH_ROWS:-100000}"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
pg_port="${BENCH_PG_PORT:-54331}"
drift_port="${BENCH_DRIFT_PORT:-54332}"
scenarios="${BENCH_SCENARIOS:-point_select insert update point_select_past}"
drift_bin="${DRIFTDB_BIN:-}"

if [ -z "$drift_bin" ]; then
    cargo build --release -q -p driftdb
    drift_bin="${CARGO_TARGET_DIR:-$root/target}/release/driftdb"
fi
work="$(mktemp -d)"
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$work"
    as_pg=(runuser -u nobody --)
fi
drift_pid=""
cleanup() {
    [ -n "$drift_pid" ] && kill "$drift_pid" 2>/dev/null && wait "$drift_pid" 2>/dev/null
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
    -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c max_connections=50" start >/dev/null
mkdir "$work/drift"
RUST_LOG=warn "$drift_bin" serve --data-dir "$work/drift" \
    --listen "127.0.0.1:$drift_port" --http-listen 127.0.0.1:0 &
drift_pid=$!
pg_dsn="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres"
drift_dsn="host=127.0.0.1 port=$drift_port user=driftdb dbname=driftdb"
for _ in $(seq 1 100); do
    psql "$drift_dsn" -Atqc 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.1
done

# The same rows in both: `rows` accounts loaded in batches of 1,000, then
# every balance changed once (so each account has a past version).
load() {
    local dsn="$1"
    {
        echo "CREATE TABLE bench_accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler text);"
        echo "CREATE TABLE bench_inserts (bid int, abalance int, filler text);"
        python3 - "$rows" <<'PY'
import sys
n = int(sys.argv[1])
for start in range(1, n + 1, 1000):
    vals = ",".join(f"({i},{i % 10},0,'{'x' * 60}')" for i in range(start, min(start + 1000, n + 1)))
    print(f"INSERT INTO bench_accounts VALUES {vals};")
PY
    } | psql "$dsn" -v ON_ERROR_STOP=1 -q >/dev/null
}
load "$pg_dsn"
load "$drift_dsn"
past_seq="$(psql "$drift_dsn" -Atqc 'SELECT drift_seq()')"
psql "$pg_dsn" -qc 'UPDATE bench_accounts SET abalance = 1'
psql "$drift_dsn" -qc 'UPDATE bench_accounts SET abalance = 1'
sed "s/@SEQ:[0-9]*/@SEQ:$past_seq/" bench/point_select_past.sql > "$work/point_select_past.sql"

# Clock ticks of CPU a process has used: `ticks PID FIELD FIELD` adds the
# two fields of /proc/PID/stat (14+15 its own user+system time, 16+17 that
# of its children it has waited for).
ticks() {
    python3 - "$@" <<'PY'
import sys
pid, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# Fields after the command name (which may hold spaces) start at field 3.
f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
print(int(f[a - 3]) + int(f[b - 3]))
PY
}

# One pgbench run: prints "tps p50 p95 p99 cpu" (latencies in ms; cpu: the
# server's µs of CPU per transaction, from `ticks PID FIELDS` around the
# run). A write conflict (40001: DriftDB has no row locks, concurrent
# updates of one row conflict at commit) is retried, as --max-tries does
# for PostgreSQL.
run() {
    local dsn="$1" script="$2" pid="$3" fields="$4" logdir before after
    logdir="$(mktemp -d -p "$work")"
    # shellcheck disable=SC2086
    before="$(ticks "$pid" $fields)"
    (cd "$logdir" && pgbench "$dsn" -n -M prepared -c "$clients" -j 2 -T "$seconds" \
        --max-tries=50 -f "$script" -l >"$logdir/out" 2>&1) || { cat "$logdir/out" >&2; return 1; }
    # PostgreSQL's backends are counted once the postmaster has reaped them.
    sleep 0.5
    # shellcheck disable=SC2086
    after="$(ticks "$pid" $fields)"
    python3 - "$logdir" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import glob, re, sys
d, ticks, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = open(f"{d}/out").read()
tps = float(re.search(r"tps = ([0-9.]+) \(without initial", out).group(1))
done = int(re.search(r"number of transactions actually processed: ([0-9]+)", out).group(1))
# Each log line: client, transaction, latency in µs ("failed" when it
# gave up after its tries), ...
lat = sorted(int(x) for f in glob.glob(f"{d}/pgbench_log.*") for x in (l.split()[2] for l in open(f)) if x.isdigit())
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000
print(f"{tps:.0f} {pick(0.50):.3f} {pick(0.95):.3f} {pick(0.99):.3f} {ticks * 1e6 / hz / max(done, 1):.0f}")
PY
}

pg_pid="$(head -n 1 "$work/pg/postmaster.pid")"
printf '\n%-20s | %-34s | %-34s | %s\n' "scenario" "PostgreSQL 15: tps p50/p95/p99 ms cpu" "DriftDB: tps p50/p95/p99 ms cpu" "DriftDB/PG tps"
printf '%s\n' "---------------------|------------------------------------|------------------------------------|---------------"
current_tps=""
for scenario in $scenarios; do
    script="$root/bench/$scenario.sql"
    [ "$scenario" = point_select_past ] && script="$work/point_select_past.sql"
    if [ "$scenario" = point_select_past ]; then
        pg="-"
        pg_cell="(PostgreSQL has no time travel)"
    else
        pg="$(run "$pg_dsn" "$script" "$pg_pid" "16 17")"
        read -r pt p50 p95 p99 pc <<<"$pg"
        pg_cell="$pt  $p50/$p95/$p99  ${pc}µs"
    fi
    drift="$(run "$drift_dsn" "$script" "$drift_pid" "14 15")"
    read -r dt d50 d95 d99 dc <<<"$drift"
    if [ "$pg" != "-" ]; then
        ratio="$(python3 -c "print(f'{$dt/$pt:.2f}')")"
    elif [ -n "$current_tps" ]; then
        ratio="$(python3 -c "print(f'{$dt/$current_tps:.2f}x of current')")"
    else
        ratio="-"
    fi
    [ "$scenario" = point_select ] && current_tps="$dt"
    printf '%-20s | %-34s | %-34s | %s\n' "$scenario" "$pg_cell" "$dt  $d50/$d95/$d99  ${dc}µs" "$ratio"
done
echo
echo "($clients clients, -M prepared, ${seconds}s per run, $rows accounts; past point @SEQ:$past_seq)"
