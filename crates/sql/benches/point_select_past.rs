//! `point_select_past`: DriftDB only. A 100k-row table whose hot row has
//! 10,001 versions (10,000 updates, one autocommit statement each) and whose
//! other rows have 4 (three whole-table updates). Reads of one row as of the
//! seq just before the hot row's 10,000 updates, against the current read of
//! the same row; for the hot row and for a cold one.
//!
//! Each read runs in an autocommit transaction, as SQL text (parsed, bound
//! and planned every time) and as a statement prepared once with the key as
//! `$1` (the prepared point SELECT of the `point_select` bench).

#[path = "support.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};

/// Rows in the table.
const ROWS: u64 = 100_000;
/// Updates of the hot row.
const HOT_UPDATES: u64 = 10_000;
/// The hot row's id.
const HOT: u64 = 4_242;
/// A cold row's id.
const COLD: u64 = 77_777;

fn point_select_past(c: &mut Criterion) {
    let dir = support::scratch();
    let storage = support::open_driftdb(dir.path());
    let mut session = support::session(&storage, true);
    support::run(&mut session, support::POINT_TABLE);
    for sql in support::batches(ROWS, support::point_rows) {
        support::run(&mut session, &sql);
    }
    let past = support::current_seq(&mut session);
    for _ in 0..HOT_UPDATES {
        support::run(
            &mut session,
            &format!("UPDATE t SET v = v + 1 WHERE id = {HOT}"),
        );
    }
    for _ in 0..3 {
        support::run(&mut session, "UPDATE t SET v = v + 1");
    }
    let versions = support::scalar(
        &mut session,
        &format!("SELECT count(*) FROM t FOR SYSTEM_TIME ALL WHERE id = {HOT}"),
    );
    println!("hot row {HOT}: {versions:?} versions; past reads as of @SEQ:{past}");
    let mut session = support::session(&storage, false);

    let mut group = c.benchmark_group("point_select_past");
    for (label, id) in [("hot_10k_versions", HOT), ("cold_4_versions", COLD)] {
        let current = format!("SELECT name, v FROM t WHERE id = {id}");
        let as_of =
            format!("SELECT name, v FROM t FOR SYSTEM_TIME AS OF @SEQ:{past} WHERE id = {id}");
        group.bench_function(format!("{label}/current"), |b| {
            b.iter(|| support::run(&mut session, &current));
        });
        group.bench_function(format!("{label}/as_of_past"), |b| {
            b.iter(|| support::run(&mut session, &as_of));
        });
        for (kind, sql) in [
            (
                "current_prepared",
                "SELECT name, v FROM t WHERE id = $1".to_string(),
            ),
            (
                "as_of_past_prepared",
                format!("SELECT name, v FROM t FOR SYSTEM_TIME AS OF @SEQ:{past} WHERE id = $1"),
            ),
        ] {
            let prepared = match session.prepare(&sql) {
                Ok(p) => p,
                Err(e) => panic!("DriftDB prepare: {e}"),
            };
            let key = [driftdb_engine::value::Value::Int4(id as i32)];
            group.bench_function(format!("{label}/{kind}"), |b| {
                b.iter(|| match session.execute_prepared(&prepared, &key) {
                    Ok(out) => out,
                    Err(e) => panic!("DriftDB read: {e}"),
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, point_select_past);
criterion_main!(benches);
