//! Concurrent writers: first committer wins on a shared primary key and on a
//! shared value of a unique index; the loser gets 40001 and nothing of it
//! lands.

use driftdb_engine::value::Value;
use driftdb_sql::session::Session;
use driftdb_storage::{Options, Storage};

mod common;

use common::{TestResult, rows};

#[test]
fn unique_values_conflict_like_primary_keys() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut a = Session::new(&storage, "a");
    let mut b = Session::new(&storage, "b");
    a.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE)")?;

    // Different primary keys, the same unique value: neither sees the other's
    // row before commit, and the second commit fails.
    a.execute("BEGIN; INSERT INTO u VALUES (1, 'x@y')")?;
    b.execute("BEGIN; INSERT INTO u VALUES (2, 'x@y')")?;
    a.execute("COMMIT")?;
    let lost = b.execute("COMMIT");
    assert_eq!(lost.err().map(|e| e.sqlstate), Some("40001"));

    // The same primary key: likewise.
    a.execute("BEGIN; INSERT INTO u VALUES (3, 'p@q')")?;
    b.execute("BEGIN; INSERT INTO u VALUES (3, 'r@s')")?;
    a.execute("COMMIT")?;
    let lost = b.execute("COMMIT");
    assert_eq!(lost.err().map(|e| e.sqlstate), Some("40001"));

    assert_eq!(
        rows(&mut a, "SELECT id, email FROM u ORDER BY id")?,
        vec![
            vec![Value::Int4(1), Value::Text("x@y".into())],
            vec![Value::Int4(3), Value::Text("p@q".into())],
        ]
    );
    // NULLs never collide, even concurrently.
    a.execute("BEGIN; INSERT INTO u VALUES (4, NULL)")?;
    b.execute("BEGIN; INSERT INTO u VALUES (5, NULL)")?;
    a.execute("COMMIT")?;
    b.execute("COMMIT")?;
    assert_eq!(
        rows(&mut a, "SELECT count(*) FROM u WHERE email IS NULL")?,
        vec![vec![Value::Int8(2)]]
    );
    Ok(())
}
