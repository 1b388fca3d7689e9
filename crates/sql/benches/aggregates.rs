//! `aggregates`: `count(*)`, `sum(v)` and a 100-group `GROUP BY` over 1M rows
//! (`DRIFTDB_BENCH_ROWS` to change), DriftDB against SQLite in the same run.
//! Both run the same SQL text; each DriftDB query is an autocommit statement.

#[path = "support.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use driftdb_sql::exec::Output;

/// The queries, by bench name.
const QUERIES: [(&str, &str); 3] = [
    ("count", "SELECT count(*) FROM g"),
    ("sum", "SELECT sum(v) FROM g"),
    (
        "group_by",
        "SELECT grp, count(*), sum(v) FROM g GROUP BY grp",
    ),
];

fn aggregates(c: &mut Criterion) {
    let rows = support::rows();
    let dir = support::scratch();
    let storage = support::open_driftdb(&dir.path().join("driftdb"));
    let mut session = support::session(&storage, true);
    let conn = support::open_sqlite(dir.path());
    support::run(&mut session, support::GROUP_TABLE);
    support::run_sqlite(&conn, support::GROUP_TABLE);
    support::load_both(&mut session, &conn, rows, support::group_rows);
    let mut session = support::session(&storage, false);

    for (name, sql) in QUERIES {
        let mut group = support::load_group(c, &format!("aggregates/{name}"), 10, rows);
        group.bench_function("driftdb", |b| {
            b.iter(|| match support::run(&mut session, sql).pop() {
                Some(Output::Rows { rows, .. }) => rows.len(),
                _ => panic!("{sql}: no rows"),
            });
        });
        group.bench_function("sqlite", |b| {
            let mut stmt = match conn.prepare(sql) {
                Ok(s) => s,
                Err(e) => panic!("SQLite prepare {sql}: {e}"),
            };
            b.iter(|| {
                let mut out = match stmt.query([]) {
                    Ok(r) => r,
                    Err(e) => panic!("SQLite {sql}: {e}"),
                };
                let mut n = 0usize;
                loop {
                    match out.next() {
                        Ok(Some(_)) => n += 1,
                        Ok(None) => break n,
                        Err(e) => panic!("SQLite {sql}: {e}"),
                    }
                }
            });
        });
        group.finish();
    }
}

criterion_group!(benches, aggregates);
criterion_main!(benches);
