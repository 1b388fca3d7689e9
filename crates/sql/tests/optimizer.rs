//! The optimizer's access-path rules: a primary-key equality is a point
//! read, an indexed equality or range goes through the index, and a plan
//! for a past point only uses an index that existed then.

use std::ops::Bound;

use driftdb_engine::txn::Transaction;
use driftdb_sql::bind::{Settings, bind};
use driftdb_sql::parser::parse;
use driftdb_sql::plan::Plan;
use driftdb_sql::rel::Scan;
use driftdb_sql::session::Session;
use driftdb_storage::{Options, Storage};

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// The first scan of the plan of `sql`.
fn scan(storage: &Storage, sql: &str) -> TestResult<Scan> {
    let txn = Transaction::begin(storage)?;
    let stmt = parse(sql)?.remove(0);
    let Plan::Query(q) = bind(&txn, &stmt, &Settings::default())? else {
        return Err(format!("not a query: {sql}").into());
    };
    let mut rel = q.rel;
    let mut out = Vec::new();
    rel.scans_mut(&mut |s: &mut Scan| out.push(s.clone()));
    out.into_iter().next().ok_or_else(|| "no scan".into())
}

#[test]
fn access_paths() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut s = Session::new(&storage, "t");
    s.execute(
        "CREATE TABLE item (id INTEGER PRIMARY KEY, color TEXT, size INTEGER);
         INSERT INTO item VALUES (1, 'red', 10), (2, 'blue', 20);
         CREATE INDEX item_color ON item (color);",
    )?;

    let point = scan(&storage, "SELECT * FROM item WHERE id = 2")?;
    assert!(matches!(
        point.range,
        (Bound::Included(_), Bound::Included(_))
    ));
    assert!(point.index.is_none());

    let by_color = scan(&storage, "SELECT * FROM item WHERE color = 'red'")?;
    assert_eq!(
        by_color.index.as_ref().map(|(i, _)| i.name.as_str()),
        Some("item_color")
    );

    let unindexed = scan(&storage, "SELECT * FROM item WHERE size > 5")?;
    assert!(unindexed.index.is_none());

    // Seq 2 is before CREATE INDEX (seq 3): no index then.
    let past = scan(
        &storage,
        "SELECT * FROM item FOR SYSTEM_TIME AS OF @SEQ:2 WHERE color = 'red'",
    )?;
    assert!(past.index.is_none());
    let after = scan(
        &storage,
        "SELECT * FROM item FOR SYSTEM_TIME AS OF @SEQ:3 WHERE color = 'red'",
    )?;
    assert!(after.index.is_some());
    Ok(())
}

#[test]
fn prepared_statements_take_parameters() -> TestResult {
    use driftdb_engine::value::Value;
    use driftdb_sql::exec::Output;
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut s = Session::new(&storage, "t");
    s.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)")?;
    let insert = s.prepare("INSERT INTO kv VALUES ($1, $2)")?;
    for k in 0..5 {
        s.execute_prepared(&insert, &[Value::Int4(k), Value::Text(format!("v{k}"))])?;
    }
    // A text parameter reads as an untyped literal: '3' becomes an integer here.
    let get = s.prepare("SELECT v FROM kv WHERE k = $1")?;
    let out = s.execute_prepared(&get, &[Value::Text("3".into())])?;
    assert_eq!(
        out,
        Output::Rows {
            columns: vec![("v".into(), Some(driftdb_engine::value::DataType::Text))],
            rows: vec![vec![Value::Text("v3".into())]],
            command: "SELECT",
        }
    );
    let missing = s.execute_prepared(&get, &[]);
    assert_eq!(missing.err().map(|e| e.sqlstate), Some("42P02"));
    assert!(s.prepare("SELECT 1; SELECT 2").is_err());
    Ok(())
}
