#!/usr/bin/env bash
# The client test suites: real PostgreSQL drivers against a real DriftDB
# server over a socket. Installs what they need (idempotently), starts
# `driftdb serve` on a scratch data directory and a free loopback port, runs
# psql, psycopg 3, SQLAlchemy (Core and ORM) and Alembic (pytest),
# node-postgres and Knex (node --test) and pgJDBC against it, and stops it
# (SIGTERM: it must exit 0).
#
# Usage: scripts/client-tests.sh   (after `cargo build --release -p driftdb`;
#        DRIFTDB_BIN=path/to/driftdb runs another build, e.g. a debug one)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="${DRIFTDB_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/driftdb}"
[ -x "$bin" ] || cargo build --release -q -p driftdb

# --- installs, each skipped when already there ---
if ! python3 -c 'import alembic, psycopg, pytest, sqlalchemy' >/dev/null 2>&1; then
    python3 -m pip install -q --root-user-action=ignore -r tests/clients/python/requirements.txt
fi
if [ ! -d tests/clients/node/node_modules/pg ] || [ ! -d tests/clients/node/node_modules/knex ]; then
    (cd tests/clients/node && npm ci --no-audit --no-fund --silent)
fi
jdbc_jar=/usr/share/java/postgresql.jar
if [ ! -f "$jdbc_jar" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get install -y -q --no-install-recommends libpostgresql-jdbc-java
fi

# --- the server ---
data="$(mktemp -d)"
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port="$(free_port)"
http_port="$(free_port)"
# 1,000 idle connections need more descriptors than a default 1024.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
RUST_LOG=warn "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" \
    --http-listen "127.0.0.1:$http_port" &
server=$!
stop() {
    kill "$server" 2>/dev/null || true
    rm -rf "$data"
}
trap stop EXIT
for _ in $(seq 1 200); do
    if psql "host=127.0.0.1 port=$port user=driftdb dbname=driftdb" -Atqc 'SELECT 1' >/dev/null 2>&1; then
        break
    fi
    sleep 0.05
done

dsn="host=127.0.0.1 port=$port user=driftdb dbname=driftdb"
echo "== psql"
out="$(psql "$dsn" -v ON_ERROR_STOP=1 -Atq <<'SQL'
CREATE TABLE psql_check (id int PRIMARY KEY, v text);
INSERT INTO psql_check VALUES (1, 'a'), (2, 'b');
UPDATE psql_check SET v = 'c' WHERE id = 2;
SELECT string_agg(v, ',') FROM psql_check;
SELECT count(*) FROM psql_check FOR SYSTEM_TIME ALL;
SQL
)"
[ "$out" = "$(printf 'a,c\n3')" ] || { echo "psql: unexpected output: $out" >&2; exit 1; }
if psql "$dsn" -Atqc 'SELECT * FROM no_such_table' 2>/tmp/psql_err.$$; then
    echo "psql: an error did not fail" >&2; exit 1
fi
grep -q 'relation "no_such_table" does not exist' /tmp/psql_err.$$ && rm -f /tmp/psql_err.$$
echo "psql: ok"

echo "== psycopg 3, SQLAlchemy, Alembic"
DRIFTDB_TEST_DSN="$dsn" DRIFTDB_BIN="$bin" python3 -m pytest -q -p no:cacheprovider tests/clients/python

echo "== node-postgres, Knex"
(cd tests/clients/node && DRIFTDB_TEST_URL="postgres://driftdb@127.0.0.1:$port/driftdb" node --test)

echo "== pgJDBC"
java -cp "$jdbc_jar" tests/clients/jdbc/DriftJdbcTest.java "jdbc:postgresql://127.0.0.1:$port/driftdb"

echo "== HTTP endpoint"
DRIFTDB_HTTP="http://127.0.0.1:$http_port" python3 -m pytest -q -p no:cacheprovider tests/clients/http

echo "== graceful shutdown"
kill -TERM "$server"
wait "$server"
echo "server exited with status 0 after SIGTERM"
trap 'rm -rf "$data"' EXIT
