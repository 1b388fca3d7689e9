//! Describe answers come from the description kept with a prepared
//! statement only while nothing they depend on changed: a catalog change
//! by any session, the statement's own uncommitted DDL, `drift.as_of`, or
//! the types of the bound parameters.

use driftdb_engine::value::Value;
use driftdb_sql::session::{Prepared, Session};
use driftdb_storage::{Options, Storage};

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn column_names(
    s: &Session<'_>,
    p: &Prepared,
    params: Option<&[Value]>,
) -> TestResult<Vec<String>> {
    let d = s.describe(p, params)?;
    Ok(d.columns
        .iter()
        .flatten()
        .map(|(name, _)| name.clone())
        .collect())
}

#[test]
fn descriptions_follow_the_catalog_and_the_session() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut a = Session::new(&storage, "a");
    let mut b = Session::new(&storage, "b");
    a.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")?;
    let p = Prepared::parse("SELECT * FROM t WHERE id = $1")?;
    let one = [Value::Int4(1)];
    assert_eq!(column_names(&a, &p, Some(&one))?, ["id", "v"]);
    // Asked again: the same answer.
    assert_eq!(column_names(&a, &p, Some(&one))?, ["id", "v"]);

    // Another session's committed change is seen.
    b.execute("ALTER TABLE t ADD COLUMN w INTEGER")?;
    assert_eq!(column_names(&a, &p, Some(&one))?, ["id", "v", "w"]);

    // The session's own uncommitted change is seen, and forgotten when it
    // rolls back.
    a.execute("BEGIN; ALTER TABLE t DROP COLUMN v")?;
    assert_eq!(column_names(&a, &p, Some(&one))?, ["id", "w"]);
    a.execute("ROLLBACK")?;
    assert_eq!(column_names(&a, &p, Some(&one))?, ["id", "v", "w"]);

    // A session reading the past sees the past schema.
    let seq = match a.execute("SELECT drift_seq()")?.pop() {
        Some(driftdb_sql::exec::Output::Rows { rows, .. }) => rows[0][0].clone(),
        other => return Err(format!("expected rows, got {other:?}").into()),
    };
    let Value::Int8(seq) = seq else {
        return Err(format!("drift_seq() gave {seq:?}").into());
    };
    a.execute(&format!("SET drift.as_of = '@SEQ:{}'", seq - 1))?;
    assert_eq!(column_names(&a, &p, Some(&one))?, ["id", "v"]);
    a.execute("RESET drift.as_of")?;
    assert_eq!(column_names(&a, &p, Some(&one))?, ["id", "v", "w"]);

    // Parameter types are part of the answer.
    let q = Prepared::parse("SELECT $1 AS x")?;
    let text = a.describe(&q, Some(&[Value::Text("a".into())]))?;
    let int = a.describe(&q, Some(&[Value::Int4(1)]))?;
    assert_ne!(text.columns, int.columns);
    Ok(())
}
