//! A prepared query, `INSERT`, `UPDATE` or `DELETE` keeps a generic plan
//! (bound once, parameters as placeholders) and must answer every later
//! execution exactly as a fresh binding with that execution's values
//! would: other values, other rows; a catalog change by any session
//! (columns, defaults, constraints, foreign keys, a replaced view); a value binding itself reads (LIMIT);
//! what the snapshot decides (`drift_seq()`, a timestamp point); a block
//! whose snapshot predates another session's DDL; a sequence default, `ON
//! CONFLICT` and `RETURNING` run again at each execution.

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

/// The command tag of a prepared statement that returns no rows.
fn tag(s: &mut Session<'_>, p: &Prepared, params: &[Value]) -> TestResult<String> {
    match s.execute_prepared(p, params)? {
        Output::Command(tag) => Ok(tag),
        other => Err(format!("expected a command tag, got {other:?}").into()),
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

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn writes_read_their_own_values() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut s = Session::new(&storage, "a");
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, v TEXT)")?;
    let insert = Prepared::parse("INSERT INTO t (id, n, v) VALUES ($1, $2, 'x')")?;
    let update = Prepared::parse("UPDATE t SET n = n + $1 WHERE id = $2")?;
    let delete = Prepared::parse("DELETE FROM t WHERE id = $1")?;
    for id in 1..=3 {
        assert_eq!(
            tag(&mut s, &insert, &[Value::Int4(id), Value::Int4(10 * id)])?,
            "INSERT 0 1"
        );
    }
    assert_eq!(
        tag(&mut s, &update, &[Value::Int4(5), Value::Int4(2)])?,
        "UPDATE 1"
    );
    assert_eq!(
        tag(&mut s, &update, &[Value::Int4(-1), Value::Int8(3)])?,
        "UPDATE 1"
    );
    assert_eq!(
        tag(&mut s, &update, &[Value::Int4(1), Value::Int4(9)])?,
        "UPDATE 0"
    );
    assert_eq!(tag(&mut s, &delete, &[Value::Int4(1)])?, "DELETE 1");
    assert_eq!(tag(&mut s, &delete, &[Value::Int4(1)])?, "DELETE 0");
    assert_eq!(
        query(&mut s, "SELECT id, n FROM t ORDER BY id")?,
        [
            [Value::Int4(2), Value::Int4(25)],
            [Value::Int4(3), Value::Int4(29)]
        ]
    );
    // Each execution's errors are its own: a duplicate key, a NULL in a
    // NOT NULL column (bound with its value), a value out of the column's
    // range; the plan then still serves the next values.
    let dup = s.execute_prepared(&insert, &[Value::Int4(2), Value::Int4(0)]);
    assert!(matches!(&dup, Err(e) if e.sqlstate == "23505"), "{dup:?}");
    let null = s.execute_prepared(&insert, &[Value::Int4(4), Value::Null]);
    assert!(matches!(&null, Err(e) if e.sqlstate == "23502"), "{null:?}");
    let wide = s.execute_prepared(&insert, &[Value::Int8(1 << 40), Value::Int4(0)]);
    assert!(matches!(&wide, Err(e) if e.sqlstate == "22003"), "{wide:?}");
    assert_eq!(
        tag(&mut s, &insert, &[Value::Int4(4), Value::Int4(40)])?,
        "INSERT 0 1"
    );
    assert_eq!(one(&mut s, "SELECT count(*) FROM t")?, Value::Int8(3));
    Ok(())
}

#[test]
fn writes_follow_catalog_changes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut a = Session::new(&storage, "a");
    let mut b = Session::new(&storage, "b");
    a.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER DEFAULT 1)")?;
    let insert = Prepared::parse("INSERT INTO t (id) VALUES ($1)")?;
    let update = Prepared::parse("UPDATE t SET n = $1 WHERE id = $2")?;
    tag(&mut a, &insert, &[Value::Int4(1)])?;
    tag(&mut a, &update, &[Value::Int4(5), Value::Int4(1)])?;

    // Another session changes the default and adds a CHECK: both apply
    // to the next execution.
    b.execute("ALTER TABLE t ALTER COLUMN n SET DEFAULT 2")?;
    tag(&mut a, &insert, &[Value::Int4(2)])?;
    assert_eq!(one(&mut a, "SELECT n FROM t WHERE id = 2")?, Value::Int4(2));
    b.execute("ALTER TABLE t ADD CONSTRAINT small CHECK (n < 10)")?;
    let checked = a.execute_prepared(&update, &[Value::Int4(50), Value::Int4(1)]);
    assert!(
        matches!(&checked, Err(e) if e.sqlstate == "23514"),
        "{checked:?}"
    );
    tag(&mut a, &update, &[Value::Int4(6), Value::Int4(1)])?;

    // A column added by another session takes its default in both.
    b.execute("ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'w'")?;
    tag(&mut a, &insert, &[Value::Int4(3)])?;
    assert_eq!(
        query(&mut a, "SELECT id, n, w FROM t ORDER BY id")?,
        [
            [Value::Int4(1), Value::Int4(6), text("w")],
            [Value::Int4(2), Value::Int4(2), text("w")],
            [Value::Int4(3), Value::Int4(2), text("w")]
        ]
    );

    // A block that began before another session's DDL writes under its
    // snapshot's definition (the default of then), as a fresh binding in
    // it would; the next transaction uses the new one.
    a.execute("BEGIN")?;
    tag(&mut a, &insert, &[Value::Int4(4)])?;
    b.execute("ALTER TABLE t ALTER COLUMN n SET DEFAULT 3")?;
    tag(&mut a, &insert, &[Value::Int4(5)])?;
    a.execute("COMMIT")?;
    tag(&mut a, &insert, &[Value::Int4(6)])?;
    assert_eq!(
        query(&mut a, "SELECT id, n FROM t WHERE id >= 4 ORDER BY id")?,
        [
            [Value::Int4(4), Value::Int4(2)],
            [Value::Int4(5), Value::Int4(2)],
            [Value::Int4(6), Value::Int4(3)]
        ]
    );

    // A dropped table fails the next execution; a recreated one is used.
    b.execute("DROP TABLE t")?;
    let gone = a.execute_prepared(&insert, &[Value::Int4(7)]);
    assert!(matches!(&gone, Err(e) if e.sqlstate == "42P01"), "{gone:?}");
    b.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER DEFAULT 9)")?;
    tag(&mut a, &insert, &[Value::Int4(7)])?;
    assert_eq!(
        query(&mut a, "SELECT id, n FROM t")?,
        [[Value::Int4(7), Value::Int4(9)]]
    );
    Ok(())
}

#[test]
fn sequences_conflicts_and_returning_run_per_execution() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut s = Session::new(&storage, "a");
    s.execute("CREATE TABLE t (id SERIAL PRIMARY KEY, k INTEGER UNIQUE, n INTEGER)")?;
    let insert = Prepared::parse("INSERT INTO t (k, n) VALUES ($1, $2) RETURNING id, k, n")?;
    for k in 1..=3 {
        assert_eq!(
            rows(&mut s, &insert, &[Value::Int4(k), Value::Int4(0)])?,
            [[Value::Int4(k), Value::Int4(k), Value::Int4(0)]]
        );
    }
    let upsert = Prepared::parse(
        "INSERT INTO t (k, n) VALUES ($1, $2) \
         ON CONFLICT (k) DO UPDATE SET n = t.n + excluded.n WHERE t.n < $3 \
         RETURNING k, n",
    )?;
    let run = |s: &mut Session<'_>, k: i32, n: i32, limit: i32| {
        rows(
            s,
            &upsert,
            &[Value::Int4(k), Value::Int4(n), Value::Int4(limit)],
        )
    };
    assert_eq!(run(&mut s, 2, 5, 100)?, [[Value::Int4(2), Value::Int4(5)]]);
    assert_eq!(run(&mut s, 2, 5, 100)?, [[Value::Int4(2), Value::Int4(10)]]);
    assert!(run(&mut s, 2, 5, 10)?.is_empty());
    assert_eq!(run(&mut s, 9, 1, 0)?, [[Value::Int4(9), Value::Int4(1)]]);
    let nothing = Prepared::parse("INSERT INTO t (k) VALUES ($1) ON CONFLICT DO NOTHING")?;
    assert_eq!(tag(&mut s, &nothing, &[Value::Int4(9)])?, "INSERT 0 0");
    assert_eq!(tag(&mut s, &nothing, &[Value::Int4(10)])?, "INSERT 0 1");

    let update = Prepared::parse("UPDATE t SET n = $1 WHERE k = $2 RETURNING id, n * $3")?;
    assert_eq!(
        rows(
            &mut s,
            &update,
            &[Value::Int4(7), Value::Int4(1), Value::Int4(2)]
        )?,
        [[Value::Int4(1), Value::Int4(14)]]
    );
    assert_eq!(
        rows(
            &mut s,
            &update,
            &[Value::Int4(8), Value::Int4(3), Value::Int4(3)]
        )?,
        [[Value::Int4(3), Value::Int4(24)]]
    );
    let delete = Prepared::parse("DELETE FROM t WHERE k = $1 RETURNING id")?;
    assert_eq!(
        rows(&mut s, &delete, &[Value::Int4(1)])?,
        [[Value::Int4(1)]]
    );
    assert!(rows(&mut s, &delete, &[Value::Int4(1)])?.is_empty());
    // Every serial value was handed out once, in order: 1-3 by the plain
    // inserts, 4-7 by the four upserts (each proposes a row), 8 and 9 by
    // the two with ON CONFLICT DO NOTHING.
    assert_eq!(
        query(&mut s, "SELECT id, k FROM t ORDER BY id")?,
        [
            [Value::Int4(2), Value::Int4(2)],
            [Value::Int4(3), Value::Int4(3)],
            [Value::Int4(7), Value::Int4(9)],
            [Value::Int4(9), Value::Int4(10)]
        ]
    );
    Ok(())
}

#[test]
fn writes_see_foreign_keys_added_by_another_session() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut a = Session::new(&storage, "a");
    let mut b = Session::new(&storage, "b");
    a.execute("CREATE TABLE p (id INTEGER PRIMARY KEY); INSERT INTO p VALUES (1), (2), (3)")?;
    let delete = Prepared::parse("DELETE FROM p WHERE id = $1")?;
    let update = Prepared::parse("UPDATE p SET id = $1 WHERE id = $2")?;
    assert_eq!(tag(&mut a, &delete, &[Value::Int4(1)])?, "DELETE 1");
    b.execute(
        "CREATE TABLE c (p_id INTEGER REFERENCES p (id) ON UPDATE CASCADE); \
         INSERT INTO c VALUES (2), (3)",
    )?;
    let refused = a.execute_prepared(&delete, &[Value::Int4(2)]);
    assert!(
        matches!(&refused, Err(e) if e.sqlstate == "23503"),
        "{refused:?}"
    );
    assert_eq!(
        tag(&mut a, &update, &[Value::Int4(30), Value::Int4(3)])?,
        "UPDATE 1"
    );
    assert_eq!(
        query(&mut b, "SELECT p_id FROM c ORDER BY p_id")?,
        [[Value::Int4(2)], [Value::Int4(30)]]
    );
    b.execute("DROP TABLE c")?;
    assert_eq!(tag(&mut a, &delete, &[Value::Int4(2)])?, "DELETE 1");
    Ok(())
}

#[test]
fn views_replaced_by_another_session_are_read_anew() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut a = Session::new(&storage, "a");
    let mut b = Session::new(&storage, "b");
    a.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); \
         CREATE TABLE copy (id INTEGER, n INTEGER); \
         INSERT INTO t VALUES (1, 10), (2, 20); \
         CREATE VIEW v AS SELECT id, n FROM t WHERE id = 1",
    )?;
    let select = Prepared::parse("SELECT n FROM v WHERE id = $1")?;
    let insert = Prepared::parse("INSERT INTO copy SELECT id, n FROM v WHERE id = $1")?;
    assert_eq!(
        rows(&mut a, &select, &[Value::Int4(1)])?,
        [[Value::Int4(10)]]
    );
    assert!(rows(&mut a, &select, &[Value::Int4(2)])?.is_empty());
    assert_eq!(tag(&mut a, &insert, &[Value::Int4(2)])?, "INSERT 0 0");
    b.execute("CREATE OR REPLACE VIEW v AS SELECT id, n * 2 AS n FROM t")?;
    assert_eq!(
        rows(&mut a, &select, &[Value::Int4(2)])?,
        [[Value::Int4(40)]]
    );
    assert_eq!(tag(&mut a, &insert, &[Value::Int4(2)])?, "INSERT 0 1");
    assert_eq!(
        query(&mut a, "SELECT id, n FROM copy")?,
        [[Value::Int4(2), Value::Int4(40)]]
    );
    b.execute("DROP VIEW v")?;
    let gone = a.execute_prepared(&select, &[Value::Int4(1)]);
    assert!(matches!(&gone, Err(e) if e.sqlstate == "42P01"), "{gone:?}");
    Ok(())
}
