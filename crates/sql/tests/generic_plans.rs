//! A prepared query keeps a generic plan (bound once, parameters as
//! placeholders) and must answer every later execution exactly as a fresh
//! binding with that execution's values would: other values, other rows;
//! a catalog change by any session; a value binding itself reads (LIMIT);
//! what the snapshot decides (`drift_seq()`, a timestamp point); a block
//! whose snapshot predates another session's DDL.

use driftdb_engine::value::Value;
use driftdb_sql::exec::Output;
use driftdb_sql::session::{Prepared, Session};
use driftdb_storage::{Options, Storage};

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// The rows a prepared statement returns.
fn rows(s: &mut Session<'_>, p: &Prepared, params: &[Value]) -> TestResult<Vec<Vec<Value>>> {
    match s.execute_prepared(p, params)? {
        Output::Rows { rows, .. } => Ok(rows),
        other => Err(format!("expected rows, got {other:?}").into()),
    }
}

/// The rows of the last statement of `sql`.
fn query(s: &mut Session<'_>, sql: &str) -> TestResult<Vec<Vec<Value>>> {
    match s.execute(sql)?.pop() {
        Some(Output::Rows { rows, .. }) => Ok(rows),
        other => Err(format!("expected rows, got {other:?}").into()),
    }
}

fn one(s: &mut Session<'_>, sql: &str) -> TestResult<Value> {
    query(s, sql)?
        .first()
        .and_then(|r| r.first())
        .cloned()
        .ok_or_else(|| format!("no value from {sql}").into())
}

#[test]
fn each_execution_reads_its_own_values() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut s = Session::new(&storage, "a");
    s.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT); \
         CREATE INDEX t_k ON t (k); \
         INSERT INTO t VALUES (1, 10, 'one'), (2, 20, 'two'), (3, 20, 'three')",
    )?;
    let by_id = Prepared::parse("SELECT v FROM t WHERE id = $1")?;
    let by_k = Prepared::parse("SELECT id FROM t WHERE k = $1 AND id > $2 ORDER BY id")?;
    for _ in 0..2 {
        assert_eq!(
            rows(&mut s, &by_id, &[Value::Int4(1)])?,
            [[Value::Text("one".into())]]
        );
        assert_eq!(
            rows(&mut s, &by_id, &[Value::Int4(3)])?,
            [[Value::Text("three".into())]]
        );
        assert!(rows(&mut s, &by_id, &[Value::Int4(4)])?.is_empty());
        // A wider integer than the column: still the right row.
        assert_eq!(
            rows(&mut s, &by_id, &[Value::Int8(2)])?,
            [[Value::Text("two".into())]]
        );
        assert_eq!(
            rows(&mut s, &by_k, &[Value::Int4(20), Value::Int4(0)])?,
            [[Value::Int4(2)], [Value::Int4(3)]]
        );
        assert_eq!(
            rows(&mut s, &by_k, &[Value::Int4(20), Value::Int4(2)])?,
            [[Value::Int4(3)]]
        );
        assert_eq!(
            rows(&mut s, &by_k, &[Value::Int4(10), Value::Int4(0)])?,
            [[Value::Int4(1)]]
        );
    }
    // NULL and untyped text bind with their values; the answers agree.
    assert!(rows(&mut s, &by_id, &[Value::Null])?.is_empty());
    assert_eq!(
        rows(&mut s, &by_id, &[Value::Text("1".into())])?,
        [[Value::Text("one".into())]]
    );
    // A row written since is read.
    s.execute("UPDATE t SET v = 'uno' WHERE id = 1")?;
    assert_eq!(
        rows(&mut s, &by_id, &[Value::Int4(1)])?,
        [[Value::Text("uno".into())]]
    );
    Ok(())
}

#[test]
fn values_binding_reads_are_not_kept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut s = Session::new(&storage, "a");
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)")?;
    let limited = Prepared::parse("SELECT id FROM t ORDER BY id LIMIT $1")?;
    assert_eq!(rows(&mut s, &limited, &[Value::Int8(1)])?.len(), 1);
    assert_eq!(rows(&mut s, &limited, &[Value::Int8(3)])?.len(), 3);
    assert_eq!(rows(&mut s, &limited, &[Value::Int8(2)])?.len(), 2);

    // drift_seq() is the snapshot's last commit at every execution.
    let seq = Prepared::parse("SELECT drift_seq()")?;
    let before = rows(&mut s, &seq, &[])?;
    s.execute("INSERT INTO t VALUES (4)")?;
    let after = rows(&mut s, &seq, &[])?;
    assert_ne!(before, after);
    assert_eq!(after, query(&mut s, "SELECT drift_seq()")?);

    // A point given as a seq reads the same past at every execution; a
    // seq that was the present when first bound reads the rows of then.
    let Value::Int8(now) = one(&mut s, "SELECT drift_seq()")? else {
        return Err("drift_seq() is not a bigint".into());
    };
    let at = Prepared::parse(&format!(
        "SELECT count(*) FROM t FOR SYSTEM_TIME AS OF @SEQ:{now}"
    ))?;
    assert_eq!(rows(&mut s, &at, &[])?, [[Value::Int8(4)]]);
    s.execute("INSERT INTO t VALUES (5)")?;
    assert_eq!(rows(&mut s, &at, &[])?, [[Value::Int8(4)]]);
    let current = Prepared::parse("SELECT count(*) FROM t")?;
    assert_eq!(rows(&mut s, &current, &[])?, [[Value::Int8(5)]]);
    Ok(())
}

#[test]
fn catalog_changes_replace_the_plan() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut a = Session::new(&storage, "a");
    let mut b = Session::new(&storage, "b");
    a.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'x')")?;
    let p = Prepared::parse("SELECT * FROM t WHERE id = $1")?;
    let key = [Value::Int4(1)];
    assert_eq!(
        rows(&mut a, &p, &key)?,
        [[Value::Int4(1), Value::Text("x".into())]]
    );

    // A block that began before another session's DDL keeps reading its
    // snapshot's catalog; a new transaction reads the new one.
    a.execute("BEGIN")?;
    assert_eq!(
        rows(&mut a, &p, &key)?,
        [[Value::Int4(1), Value::Text("x".into())]]
    );
    b.execute("ALTER TABLE t ADD COLUMN w INTEGER DEFAULT 7")?;
    assert_eq!(
        rows(&mut a, &p, &key)?,
        [[Value::Int4(1), Value::Text("x".into())]]
    );
    a.execute("COMMIT")?;
    assert_eq!(
        rows(&mut a, &p, &key)?,
        [[Value::Int4(1), Value::Text("x".into()), Value::Int4(7)]]
    );
    assert_eq!(
        rows(&mut b, &p, &key)?,
        [[Value::Int4(1), Value::Text("x".into()), Value::Int4(7)]]
    );

    // The session's own uncommitted DDL is seen, and gone after ROLLBACK.
    a.execute("BEGIN; ALTER TABLE t DROP COLUMN v")?;
    assert_eq!(rows(&mut a, &p, &key)?, [[Value::Int4(1), Value::Int4(7)]]);
    a.execute("ROLLBACK")?;
    assert_eq!(
        rows(&mut a, &p, &key)?,
        [[Value::Int4(1), Value::Text("x".into()), Value::Int4(7)]]
    );

    // A dropped and recreated table is the new one.
    b.execute("DROP TABLE t; CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)")?;
    assert_eq!(rows(&mut a, &p, &key)?, [[Value::Int4(1)]]);
    b.execute("DROP TABLE t")?;
    let gone = a.execute_prepared(&p, &key);
    assert!(
        matches!(&gone, Err(e) if e.sqlstate == "42P01"),
        "expected 42P01, got {gone:?}"
    );

    // `drift.as_of` reads the past schema.
    b.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'x')")?;
    let Value::Int8(then) = one(&mut a, "SELECT drift_seq()")? else {
        return Err("drift_seq() is not a bigint".into());
    };
    b.execute("ALTER TABLE t ADD COLUMN z INTEGER")?;
    assert_eq!(rows(&mut a, &p, &key)?[0].len(), 3);
    a.execute(&format!("SET drift.as_of = '@SEQ:{then}'"))?;
    assert_eq!(rows(&mut a, &p, &key)?[0].len(), 2);
    a.execute("RESET drift.as_of")?;
    assert_eq!(rows(&mut a, &p, &key)?[0].len(), 3);
    Ok(())
}
