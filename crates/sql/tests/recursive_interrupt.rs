//! A `WITH RECURSIVE` that never ends is stopped, like any statement, by
//! the session's interrupt: a statement timeout or a cancel request
//! (57014), and the session goes on working afterwards.

use std::time::Duration;

use driftdb_engine::interrupt::InterruptReason;
use driftdb_sql::session::Session;
use driftdb_storage::{Options, Storage};

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

const ENDLESS: &str =
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t";

fn sqlstate(result: driftdb_sql::error::Result<Vec<driftdb_sql::exec::Output>>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(e) => e.sqlstate.to_string(),
    }
}

#[test]
fn an_endless_recursion_times_out() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut s = Session::new(&storage, "a");
    s.interrupt().start(Some(Duration::from_millis(200)));
    assert_eq!(sqlstate(s.execute(ENDLESS)), "57014");
    s.interrupt().start(None);
    assert_eq!(sqlstate(s.execute("SELECT 1")), "ok");
    Ok(())
}

#[test]
fn an_endless_recursion_is_cancelled() -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut s = Session::new(&storage, "a");
    s.interrupt().start(None);
    let interrupt = s.interrupt().clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        interrupt.raise(InterruptReason::Cancel);
    });
    let state = sqlstate(s.execute(ENDLESS));
    canceller
        .join()
        .map_err(|_| "the cancelling thread failed")?;
    assert_eq!(state, "57014");
    Ok(())
}
