//! `bulk_insert`: rows per second of multi-row INSERTs of 1,000 rows, each
//! its own autocommit statement (its own transaction on SQLite too), DriftDB
//! against SQLite in the same run. Both engines run the same SQL text.
//!
//! `bulk_insert_1m` is the load the issue names: 1M rows into an empty table,
//! each iteration in a fresh directory (opening it, creating the table and
//! building the statements' text are not timed).
//!
//! One iteration inserts the next 100,000 rows (100 statements) into the same
//! table, so over the run the table grows past 1M rows; the statements' text
//! is built before the clock starts. DriftDB commits with its default,
//! `synchronous_commit` on (one fsync per statement); SQLite in WAL mode with
//! synchronous=NORMAL does not fsync at commit.

#[path = "support.rs"]
mod support;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

/// Rows per iteration.
const ROWS: u64 = 100_000;

/// The 1,000-row INSERT statements of iteration `i`.
fn iteration(i: u64) -> Vec<String> {
    let first = i * ROWS;
    support::batches(ROWS, |from, to| {
        support::point_rows(first + from, first + to)
    })
}

/// The time of `iters` runs of `once`, each timing only what it should:
/// what criterion's `iter_custom` asks for.
fn summed(iters: u64, mut once: impl FnMut() -> Duration) -> Duration {
    (0..iters).map(|_| once()).sum()
}

/// Runs `statements` in turn through `run`; how long that took.
fn time_statements(statements: &[String], mut run: impl FnMut(&str)) -> Duration {
    let start = Instant::now();
    for sql in statements {
        run(sql);
    }
    start.elapsed()
}

fn bulk_insert(c: &mut Criterion) {
    let dir = support::scratch();
    let storage = support::open_driftdb(&dir.path().join("driftdb"));
    let mut session = support::session(&storage, false);
    let conn = support::open_sqlite(dir.path());
    support::run(&mut session, support::POINT_TABLE);
    support::run_sqlite(&conn, support::POINT_TABLE);

    let mut group = support::load_group(c, "bulk_insert", 10, ROWS);
    let mut next = 0;
    group.bench_function("driftdb", |b| {
        b.iter_custom(|iters| {
            summed(iters, || {
                let statements = iteration(next);
                next += 1;
                time_statements(&statements, |sql| {
                    support::run(&mut session, sql);
                })
            })
        });
    });
    let mut next = 0;
    group.bench_function("sqlite", |b| {
        b.iter_custom(|iters| {
            summed(iters, || {
                let statements = iteration(next);
                next += 1;
                time_statements(&statements, |sql| {
                    support::run_sqlite(&conn, sql);
                })
            })
        });
    });
    group.finish();
}

/// Rows in one load of `bulk_insert_1m`.
const LOAD: u64 = 1_000_000;

fn bulk_insert_1m(c: &mut Criterion) {
    let statements = support::batches(LOAD, support::point_rows);
    let mut group = support::load_group(c, "bulk_insert_1m", 30, LOAD);
    group.bench_function("driftdb", |b| {
        b.iter_custom(|iters| {
            summed(iters, || {
                let dir = support::scratch();
                let storage = support::open_driftdb(&dir.path().join("driftdb"));
                let mut session = support::session(&storage, false);
                support::run(&mut session, support::POINT_TABLE);
                time_statements(&statements, |sql| {
                    support::run(&mut session, sql);
                })
            })
        });
    });
    group.bench_function("sqlite", |b| {
        b.iter_custom(|iters| {
            summed(iters, || {
                let dir = support::scratch();
                let conn = support::open_sqlite(dir.path());
                support::run_sqlite(&conn, support::POINT_TABLE);
                time_statements(&statements, |sql| {
                    support::run_sqlite(&conn, sql);
                })
            })
        });
    });
    group.finish();
}

criterion_group!(benches, bulk_insert, bulk_insert_1m);
criterion_main!(benches);
