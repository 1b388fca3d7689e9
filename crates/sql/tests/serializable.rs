//! SERIALIZABLE: a transaction whose reads of the present were changed by
//! another commit after its snapshot fails at commit with 40001, so the
//! committed transactions are as if they ran one at a time. Snapshot
//! isolation (the default, PostgreSQL's REPEATABLE READ) allows write skew.

use driftdb_engine::value::Value;
use driftdb_sql::session::Session;
use driftdb_storage::{Options, Storage};

mod common;

use common::{TestResult, rows};

fn on_call(s: &mut Session<'_>) -> TestResult<Vec<Vec<Value>>> {
    rows(s, "SELECT count(*) FROM doctors WHERE on_call")
}

/// Two doctors on call; each transaction checks that someone else is on
/// call and takes itself off.
fn write_skew(begin: &str) -> TestResult<(Result<(), String>, i64)> {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut a = Session::new(&storage, "a");
    let mut b = Session::new(&storage, "b");
    a.execute("CREATE TABLE doctors (id INT PRIMARY KEY, on_call BOOLEAN NOT NULL)")?;
    a.execute("INSERT INTO doctors VALUES (1, true), (2, true)")?;
    a.execute(begin)?;
    b.execute(begin)?;
    assert_eq!(on_call(&mut a)?, vec![vec![Value::Int8(2)]]);
    assert_eq!(on_call(&mut b)?, vec![vec![Value::Int8(2)]]);
    a.execute("UPDATE doctors SET on_call = false WHERE id = 1")?;
    b.execute("UPDATE doctors SET on_call = false WHERE id = 2")?;
    a.execute("COMMIT")?;
    let second = b
        .execute("COMMIT")
        .map(|_| ())
        .map_err(|e| e.sqlstate.to_string());
    let Value::Int8(left) = on_call(&mut a)?[0][0] else {
        return Err("count(*) is not a bigint".into());
    };
    Ok((second, left))
}

#[test]
fn serializable_refuses_write_skew_that_snapshot_isolation_allows() -> TestResult {
    assert_eq!(write_skew("BEGIN")?, (Ok(()), 0));
    assert_eq!(
        write_skew("BEGIN ISOLATION LEVEL SERIALIZABLE")?,
        (Err("40001".into()), 1)
    );
    assert_eq!(
        write_skew("BEGIN; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")?,
        (Err("40001".into()), 1)
    );
    Ok(())
}

#[test]
fn a_point_read_conflicts_only_with_a_change_of_its_key() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut a = Session::new(&storage, "a");
    let mut b = Session::new(&storage, "b");
    a.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")?;
    a.execute("INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")?;

    // Another row of the same table changes: no conflict.
    a.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")?;
    assert_eq!(
        rows(&mut a, "SELECT v FROM t WHERE id = 1")?,
        vec![vec![Value::Int4(10)]]
    );
    a.execute("UPDATE t SET v = 21 WHERE id = 2")?;
    b.execute("UPDATE t SET v = 31 WHERE id = 3")?;
    a.execute("COMMIT")?;

    // The row it read changes: 40001, and nothing of it lands.
    a.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")?;
    assert_eq!(
        rows(&mut a, "SELECT v FROM t WHERE id = 1")?,
        vec![vec![Value::Int4(10)]]
    );
    a.execute("UPDATE t SET v = 22 WHERE id = 2")?;
    b.execute("UPDATE t SET v = 11 WHERE id = 1")?;
    let lost = a.execute("COMMIT");
    assert_eq!(lost.err().map(|e| e.sqlstate), Some("40001"));
    assert_eq!(
        rows(&mut a, "SELECT id, v FROM t ORDER BY id")?,
        vec![
            vec![Value::Int4(1), Value::Int4(11)],
            vec![Value::Int4(2), Value::Int4(21)],
            vec![Value::Int4(3), Value::Int4(31)],
        ]
    );

    // A read-only serializable transaction commits whatever happened.
    a.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")?;
    rows(&mut a, "SELECT sum(v) FROM t")?;
    b.execute("UPDATE t SET v = 12 WHERE id = 1")?;
    a.execute("COMMIT")?;
    Ok(())
}

#[test]
fn default_transaction_isolation_makes_every_transaction_serializable() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut a = Session::new(&storage, "a");
    let mut b = Session::new(&storage, "b");
    a.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")?;
    a.execute("INSERT INTO t VALUES (1, 1)")?;
    a.execute("SET default_transaction_isolation = 'serializable'")?;
    a.execute("BEGIN")?;
    assert_eq!(
        rows(&mut a, "SHOW transaction_isolation")?,
        vec![vec![Value::Text("serializable".into())]]
    );
    rows(&mut a, "SELECT * FROM t")?;
    b.execute("INSERT INTO t VALUES (2, 2)")?;
    a.execute("INSERT INTO t VALUES (3, 3)")?;
    let lost = a.execute("COMMIT");
    assert_eq!(lost.err().map(|e| e.sqlstate), Some("40001"));
    // An explicit level wins over the default.
    a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")?;
    assert_eq!(
        rows(&mut a, "SHOW transaction_isolation")?,
        vec![vec![Value::Text("repeatable read".into())]]
    );
    rows(&mut a, "SELECT * FROM t")?;
    b.execute("INSERT INTO t VALUES (4, 4)")?;
    a.execute("INSERT INTO t VALUES (5, 5)")?;
    a.execute("COMMIT")?;
    Ok(())
}
