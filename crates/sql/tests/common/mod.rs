//! Helpers shared by the integration tests that drive sessions with SQL text.

#![allow(dead_code)]

use driftdb_engine::value::Value;
use driftdb_sql::exec::Output;
use driftdb_sql::session::Session;

/// A test's outcome: any error fails it with its message.
pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// The rows of the last statement of `sql`, which must return rows.
pub fn rows(s: &mut Session<'_>, sql: &str) -> TestResult<Vec<Vec<Value>>> {
    match s.execute(sql)?.pop() {
        Some(Output::Rows { rows, .. }) => Ok(rows),
        other => Err(format!("expected rows, got {other:?}").into()),
    }
}

/// The SQLSTATE `sql` fails with, or `None` when it succeeds.
pub fn outcome(s: &mut Session<'_>, sql: &str) -> Option<String> {
    s.execute(sql).err().map(|e| e.sqlstate.to_string())
}
