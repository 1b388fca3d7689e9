//! Shared set-up for the SQL engine benchmarks: a DriftDB session and an
//! SQLite connection over scratch directories, and the SQL that loads both
//! with the same rows.

#![allow(dead_code)]

/// The allocator the `driftdb` binary runs with (see its `main.rs`), so the
/// benchmarks measure the engine as it ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use driftdb_engine::value::Value;
use driftdb_sql::exec::Output;
use driftdb_sql::session::Session;
use driftdb_storage::{Options, Storage};
use rusqlite::Connection;

/// Rows per multi-row INSERT statement when loading.
pub const BATCH: u64 = 1_000;

/// A scratch directory under `DRIFTDB_BENCH_DIR` (default: the system temp dir).
pub fn scratch() -> tempfile::TempDir {
    let base = std::env::var_os("DRIFTDB_BENCH_DIR").map(std::path::PathBuf::from);
    let made = match base {
        Some(b) => tempfile::tempdir_in(b),
        None => tempfile::tempdir(),
    };
    match made {
        Ok(d) => d,
        Err(e) => panic!("cannot create a scratch directory: {e}"),
    }
}

/// The number of rows for the 1M-row benchmarks (`DRIFTDB_BENCH_ROWS`, default 1M).
pub fn rows() -> u64 {
    std::env::var("DRIFTDB_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Opens a DriftDB data directory in `dir` with the default options.
pub fn open_driftdb(dir: &Path) -> Storage {
    match Storage::open(dir, Options::default()) {
        Ok(s) => s,
        Err(e) => panic!("cannot open {}: {e}", dir.display()),
    }
}

/// A session on `storage`; `synchronous_commit` off when `fast_load`, so a
/// set-up's many commits do not each wait for an fsync.
pub fn session(storage: &Storage, fast_load: bool) -> Session<'_> {
    let mut s = Session::new(storage, "bench");
    if fast_load && let Err(e) = s.set_parameter("synchronous_commit", "off") {
        panic!("cannot set synchronous_commit: {}", e.message);
    }
    s
}

/// Runs `sql` on DriftDB or stops the benchmark with the error.
pub fn run(session: &mut Session<'_>, sql: &str) -> Vec<Output> {
    match session.execute(sql) {
        Ok(out) => out,
        Err(e) => panic!("{sql:.80}: {}: {}", e.sqlstate, e.message),
    }
}

/// The single value a one-row, one-column DriftDB query returns.
pub fn scalar(session: &mut Session<'_>, sql: &str) -> Value {
    match run(session, sql).pop() {
        Some(Output::Rows { mut rows, .. }) if rows.len() == 1 => match rows.pop() {
            Some(mut row) if row.len() == 1 => row.pop().unwrap_or(Value::Null),
            _ => panic!("{sql}: not one value"),
        },
        _ => panic!("{sql}: not one row"),
    }
}

/// The current seq of DriftDB (`drift_seq()`).
pub fn current_seq(session: &mut Session<'_>) -> i64 {
    match scalar(session, "SELECT drift_seq()") {
        Value::Int8(n) => n,
        other => panic!("drift_seq() returned {other:?}"),
    }
}

/// Opens an SQLite database file in `dir`: WAL journal, synchronous=NORMAL.
pub fn open_sqlite(dir: &Path) -> Connection {
    let conn = match Connection::open(dir.join("bench.sqlite")) {
        Ok(c) => c,
        Err(e) => panic!("cannot open SQLite in {}: {e}", dir.display()),
    };
    if let Err(e) = conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;") {
        panic!("cannot set SQLite pragmas: {e}");
    }
    conn
}

/// Runs `sql` on SQLite or stops the benchmark with the error.
pub fn run_sqlite(conn: &Connection, sql: &str) {
    if let Err(e) = conn.execute_batch(sql) {
        panic!("SQLite: {sql:.80}: {e}");
    }
}

/// `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v BIGINT)`: the
/// point-select table.
pub const POINT_TABLE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v BIGINT)";

/// One multi-row INSERT into the point-select table: rows `from..to`.
pub fn point_rows(from: u64, to: u64) -> String {
    values("INSERT INTO t VALUES ", from, to, |i| {
        format!("({i}, 'name-{i}', {})", i * 7)
    })
}

/// `CREATE TABLE g (id INTEGER PRIMARY KEY, grp INTEGER, v BIGINT)`: the
/// aggregate table, `grp` with 100 distinct values.
pub const GROUP_TABLE: &str = "CREATE TABLE g (id INTEGER PRIMARY KEY, grp INTEGER, v BIGINT)";

/// One multi-row INSERT into the aggregate table: rows `from..to`.
pub fn group_rows(from: u64, to: u64) -> String {
    values("INSERT INTO g VALUES ", from, to, |i| {
        format!("({i}, {}, {})", i % 100, i % 1_000)
    })
}

/// `head` followed by the rows `from..to` as `row` writes them, comma-separated.
fn values(head: &str, from: u64, to: u64, row: impl Fn(u64) -> String) -> String {
    let rows: Vec<String> = (from..to).map(row).collect();
    format!("{head}{}", rows.join(", "))
}

/// The INSERT statements of `BATCH` rows each that load rows `0..n` with `batch`.
pub fn batches(n: u64, batch: impl Fn(u64, u64) -> String) -> Vec<String> {
    (0..n.div_ceil(BATCH))
        .map(|b| batch(b * BATCH, ((b + 1) * BATCH).min(n)))
        .collect()
}

/// Loads rows `0..n` into DriftDB and SQLite, one autocommit statement of
/// `BATCH` rows at a time on each.
pub fn load_both(
    session: &mut Session<'_>,
    conn: &Connection,
    n: u64,
    batch: impl Fn(u64, u64) -> String,
) {
    for sql in batches(n, batch) {
        run(session, &sql);
        run_sqlite(conn, &sql);
    }
}

/// Keys spread over `0..n`, a different one each call (a fixed LCG, so every
/// run reads the same sequence).
pub struct Keys {
    state: u64,
    n: u64,
}

impl Keys {
    /// Keys below `n`.
    pub fn new(n: u64) -> Self {
        Keys {
            state: 0x2545_f491,
            n,
        }
    }

    /// The next key.
    pub fn next_key(&mut self) -> u64 {
        self.state = self
            .state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.state >> 33) % self.n
    }
}

/// A group of whole-load benchmarks: 10 flat samples over `seconds`, each
/// iteration counted as `elements` rows.
pub fn load_group<'c>(
    c: &'c mut Criterion,
    name: &str,
    seconds: u64,
    elements: u64,
) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(seconds))
        .throughput(Throughput::Elements(elements));
    group
}
