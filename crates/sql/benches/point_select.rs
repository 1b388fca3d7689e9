//! `point_select`: `SELECT name, v FROM t WHERE id = k` for varying k over a
//! 100k-row table, DriftDB against SQLite in the same run.
//!
//! `driftdb_prepared` runs a statement prepared once (`Session::prepare`,
//! parsed once, bound with `$1` on each run, in an autocommit transaction)
//! against SQLite's prepared, cached statement (`sqlite_prepared`).
//! `driftdb` and `sqlite_text` format the key into SQL text and parse it on
//! every read, for a like-for-like look at the cost of parsing.

#[path = "support.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use support::Keys;

/// Rows in the table.
const ROWS: u64 = 100_000;

fn point_select(c: &mut Criterion) {
    let dir = support::scratch();
    let storage = support::open_driftdb(&dir.path().join("driftdb"));
    let mut session = support::session(&storage, true);
    let conn = support::open_sqlite(dir.path());
    support::run(&mut session, support::POINT_TABLE);
    support::run_sqlite(&conn, support::POINT_TABLE);
    support::load_both(&mut session, &conn, ROWS, support::point_rows);
    let mut session = support::session(&storage, false);

    let mut group = c.benchmark_group("point_select");
    group.bench_function("driftdb", |b| {
        let mut keys = Keys::new(ROWS);
        b.iter(|| {
            let sql = format!("SELECT name, v FROM t WHERE id = {}", keys.next_key());
            support::run(&mut session, &sql)
        });
    });
    group.bench_function("driftdb_prepared", |b| {
        let mut keys = Keys::new(ROWS);
        let prepared = match session.prepare("SELECT name, v FROM t WHERE id = $1") {
            Ok(p) => p,
            Err(e) => panic!("DriftDB prepare: {e}"),
        };
        b.iter(|| {
            let k = driftdb_engine::value::Value::Int4(keys.next_key() as i32);
            match session.execute_prepared(&prepared, &[k]) {
                Ok(out) => out,
                Err(e) => panic!("DriftDB read: {e}"),
            }
        });
    });
    group.bench_function("sqlite_prepared", |b| {
        let mut keys = Keys::new(ROWS);
        b.iter(|| {
            let mut stmt = match conn.prepare_cached("SELECT name, v FROM t WHERE id = ?1") {
                Ok(s) => s,
                Err(e) => panic!("SQLite prepare: {e}"),
            };
            match stmt.query_row([keys.next_key() as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            }) {
                Ok(row) => row,
                Err(e) => panic!("SQLite read: {e}"),
            }
        });
    });
    group.bench_function("sqlite_text", |b| {
        let mut keys = Keys::new(ROWS);
        b.iter(|| {
            let sql = format!("SELECT name, v FROM t WHERE id = {}", keys.next_key());
            match conn.query_row(&sql, [], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            }) {
                Ok(row) => row,
                Err(e) => panic!("SQLite read: {e}"),
            }
        });
    });
    group.finish();
}

criterion_group!(benches, point_select);
criterion_main!(benches);
