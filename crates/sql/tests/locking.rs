//! `SELECT … FOR UPDATE` between two sessions: locks never wait; a locked
//! row that another commit changes after the locker's snapshot fails the
//! locker with 40001, at the lock if the change came first, else at its
//! `COMMIT` (even one without writes). Rows that differ do not conflict.

use driftdb_engine::value::Value;
use driftdb_sql::session::Session;
use driftdb_storage::{Options, Storage};

mod common;

use common::{TestResult, outcome, rows};

/// Two sessions over a table `t` with rows 1 → 10 and 2 → 20.
fn setup(storage: &Storage) -> TestResult<(Session<'_>, Session<'_>)> {
    let mut a = Session::new(storage, "a");
    let b = Session::new(storage, "b");
    a.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")?;
    a.execute("INSERT INTO t VALUES (1, 10), (2, 20)")?;
    Ok((a, b))
}

fn value_of(s: &mut Session<'_>, id: i32) -> TestResult<Vec<Vec<Value>>> {
    rows(s, &format!("SELECT v FROM t WHERE id = {id}"))
}

#[test]
fn a_locked_row_updated_by_another_commit_fails_the_lockers_update() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let (mut a, mut b) = setup(&storage)?;
    a.execute("BEGIN")?;
    assert_eq!(
        rows(&mut a, "SELECT v FROM t WHERE id = 1 FOR UPDATE")?,
        vec![vec![Value::Int4(10)]]
    );
    assert_eq!(outcome(&mut b, "UPDATE t SET v = 11 WHERE id = 1"), None);
    a.execute("UPDATE t SET v = v + 1 WHERE id = 1")?;
    assert_eq!(outcome(&mut a, "COMMIT").as_deref(), Some("40001"));
    assert_eq!(value_of(&mut a, 1)?, vec![vec![Value::Int4(11)]]);
    Ok(())
}

#[test]
fn of_two_lockers_that_update_the_later_committer_fails() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let (mut a, mut b) = setup(&storage)?;
    a.execute("BEGIN")?;
    b.execute("BEGIN")?;
    rows(&mut a, "SELECT v FROM t WHERE id = 1 FOR UPDATE")?;
    rows(&mut b, "SELECT v FROM t WHERE id = 1 FOR UPDATE")?;
    a.execute("UPDATE t SET v = v + 1 WHERE id = 1")?;
    b.execute("UPDATE t SET v = v + 5 WHERE id = 1")?;
    assert_eq!(outcome(&mut a, "COMMIT"), None);
    assert_eq!(outcome(&mut b, "COMMIT").as_deref(), Some("40001"));
    assert_eq!(value_of(&mut a, 1)?, vec![vec![Value::Int4(11)]]);
    Ok(())
}

#[test]
fn a_lock_without_writes_fails_at_commit_when_overtaken() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let (mut a, mut b) = setup(&storage)?;
    a.execute("BEGIN")?;
    rows(&mut a, "SELECT v FROM t WHERE id = 2 FOR SHARE")?;
    assert_eq!(outcome(&mut b, "UPDATE t SET v = 21 WHERE id = 2"), None);
    assert_eq!(outcome(&mut a, "COMMIT").as_deref(), Some("40001"));
    // The session is usable again, and a new lock sees the update.
    assert_eq!(
        rows(&mut a, "SELECT v FROM t WHERE id = 2 FOR UPDATE")?,
        vec![vec![Value::Int4(21)]]
    );
    Ok(())
}

#[test]
fn locking_a_row_changed_after_the_snapshot_fails_at_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let (mut a, mut b) = setup(&storage)?;
    a.execute("BEGIN")?;
    assert_eq!(value_of(&mut a, 1)?, vec![vec![Value::Int4(10)]]);
    assert_eq!(outcome(&mut b, "DELETE FROM t WHERE id = 1"), None);
    // A plain read still sees the snapshot; the lock refuses it.
    assert_eq!(value_of(&mut a, 1)?, vec![vec![Value::Int4(10)]]);
    assert_eq!(
        outcome(&mut a, "SELECT v FROM t WHERE id = 1 FOR UPDATE").as_deref(),
        Some("40001")
    );
    a.execute("ROLLBACK")?;
    Ok(())
}

#[test]
fn locks_of_different_rows_do_not_conflict() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let (mut a, mut b) = setup(&storage)?;
    a.execute("BEGIN")?;
    b.execute("BEGIN")?;
    rows(&mut a, "SELECT v FROM t WHERE id = 1 FOR UPDATE")?;
    rows(&mut b, "SELECT v FROM t WHERE id = 2 FOR UPDATE")?;
    b.execute("UPDATE t SET v = 22 WHERE id = 2")?;
    assert_eq!(outcome(&mut b, "COMMIT"), None);
    a.execute("UPDATE t SET v = 12 WHERE id = 1")?;
    assert_eq!(outcome(&mut a, "COMMIT"), None);

    // A lock-only block whose row nobody changed commits too.
    a.execute("BEGIN")?;
    rows(&mut a, "SELECT v FROM t WHERE id = 1 FOR NO KEY UPDATE")?;
    assert_eq!(outcome(&mut b, "UPDATE t SET v = 23 WHERE id = 2"), None);
    assert_eq!(outcome(&mut a, "COMMIT"), None);
    assert_eq!(
        rows(&mut a, "SELECT v FROM t ORDER BY id")?,
        vec![vec![Value::Int4(12)], vec![Value::Int4(23)]]
    );

    // A filter that is no key range: only the rows it passes are locked.
    a.execute("BEGIN")?;
    assert_eq!(
        rows(&mut a, "SELECT id FROM t WHERE v > 20 FOR UPDATE")?,
        vec![vec![Value::Int4(2)]]
    );
    assert_eq!(outcome(&mut b, "UPDATE t SET v = 13 WHERE id = 1"), None);
    assert_eq!(outcome(&mut a, "COMMIT"), None);
    a.execute("BEGIN")?;
    rows(&mut a, "SELECT id FROM t WHERE v > 20 FOR UPDATE")?;
    assert_eq!(outcome(&mut b, "UPDATE t SET v = 24 WHERE id = 2"), None);
    assert_eq!(outcome(&mut a, "COMMIT").as_deref(), Some("40001"));
    Ok(())
}

#[test]
fn rollback_to_a_savepoint_releases_the_locks_taken_after_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let (mut a, mut b) = setup(&storage)?;
    a.execute("BEGIN")?;
    rows(&mut a, "SELECT v FROM t WHERE id = 1 FOR UPDATE")?;
    a.execute("SAVEPOINT s")?;
    rows(&mut a, "SELECT v FROM t WHERE id = 2 FOR UPDATE")?;
    a.execute("ROLLBACK TO SAVEPOINT s")?;
    assert_eq!(outcome(&mut b, "UPDATE t SET v = 21 WHERE id = 2"), None);
    assert_eq!(outcome(&mut a, "COMMIT"), None);

    // The lock taken before the savepoint stays.
    a.execute("BEGIN")?;
    rows(&mut a, "SELECT v FROM t WHERE id = 1 FOR UPDATE")?;
    a.execute("SAVEPOINT s")?;
    a.execute("ROLLBACK TO SAVEPOINT s")?;
    assert_eq!(outcome(&mut b, "UPDATE t SET v = 11 WHERE id = 1"), None);
    assert_eq!(outcome(&mut a, "COMMIT").as_deref(), Some("40001"));
    Ok(())
}
