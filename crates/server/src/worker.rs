//! A connection's SQL session. Each connection has a thread of its own
//! (`lib.rs`) that reads its socket and runs its statements in turn, as a
//! PostgreSQL backend process does: a slow statement stalls only its own
//! connection, and a statement costs no hand-off between threads.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use driftdb_engine::interrupt::Interrupt;
use driftdb_engine::value::Value;
use driftdb_sql::error::SqlError;
use driftdb_sql::exec::Output;
use driftdb_sql::session::{BlockStatus, Description, Prepared, Session};
use driftdb_storage::Storage;

/// Why a session could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A statement panicked while it held the session; it is unusable.
    #[error("the session ended unexpectedly")]
    Gone,
}

/// A connection's session and what the connection needs to know of it.
pub struct Worker<'s> {
    session: Mutex<Session<'s>>,
    interrupt: Interrupt,
    /// When the running statement started: a COPY FROM STDIN's latency
    /// runs from there to the end of its data.
    statement_started: Mutex<Instant>,
}

impl<'s> Worker<'s> {
    /// The session of a connection by `user` on `storage`, with the startup
    /// packet's `parameters` applied; fails with the first parameter the
    /// session refuses.
    pub fn start(
        storage: &'s Storage,
        user: &str,
        parameters: &[(String, String)],
    ) -> Result<Worker<'s>, SqlError> {
        let mut session = Session::new(storage, user);
        for (name, value) in parameters {
            session.set_parameter(name, value)?;
        }
        Ok(Worker {
            interrupt: session.interrupt().clone(),
            session: Mutex::new(session),
            statement_started: Mutex::new(Instant::now()),
        })
    }

    /// The interrupt of the session: raising it stops the running statement.
    pub fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    /// Where the session stands.
    pub fn status(&self) -> BlockStatus {
        self.session
            .lock()
            .map_or(BlockStatus::Idle, |s| s.status())
    }

    /// How long the client may leave the session idle now: the
    /// `idle_in_transaction_session_timeout` when the session is inside a
    /// transaction block (failed or not), else no limit.
    pub fn idle_timeout(&self) -> Option<Duration> {
        let session = self.session.lock().ok()?;
        match session.status() {
            BlockStatus::Idle => None,
            _ => timeout(&session, "idle_in_transaction_session_timeout"),
        }
    }

    /// Runs every statement of a simple-protocol query, stopping at the
    /// first error; several statements without transaction control run in
    /// one implicit transaction, as in PostgreSQL.
    pub fn simple(&self, sql: &str) -> Result<Vec<Result<Output, SqlError>>, WorkerError> {
        self.statement(|session| {
            let statements = match Prepared::parse_all(sql) {
                Ok(s) => s,
                Err(e) => return vec![Err(e)],
            };
            let implicit = match session.open_implicit_block(&statements) {
                Ok(implicit) => implicit,
                Err(e) => return vec![Err(e)],
            };
            let mut outcomes = Vec::with_capacity(statements.len());
            for stmt in &statements {
                let started = Instant::now();
                let outcome = session.execute_prepared(stmt, &[]);
                crate::metrics::statement(&outcome, started.elapsed());
                let failed = outcome.is_err();
                outcomes.push(outcome);
                if failed {
                    break;
                }
            }
            if implicit && let Err(e) = session.close_implicit_block() {
                outcomes.push(Err(e));
            }
            outcomes
        })
    }

    /// Parses one statement of the extended protocol; a failure fails the
    /// open block.
    pub fn parse(&self, sql: &str) -> Result<Result<Prepared, SqlError>, WorkerError> {
        self.with(|session| failing(session, Prepared::parse(sql)))
    }

    /// Describes a statement (with its parameter values, when bound); a
    /// failure fails the open block.
    pub fn describe(
        &self,
        prepared: &Prepared,
        params: Option<&[Value]>,
    ) -> Result<Result<Arc<Description>, SqlError>, WorkerError> {
        self.with(|session| {
            let described = session.describe(prepared, params);
            failing(session, described)
        })
    }

    /// Runs a parsed statement with its parameter values.
    pub fn execute(
        &self,
        prepared: &Prepared,
        params: &[Value],
    ) -> Result<Result<Output, SqlError>, WorkerError> {
        self.statement(|session| {
            let started = Instant::now();
            let outcome = session.execute_prepared(prepared, params);
            crate::metrics::statement(&outcome, started.elapsed());
            outcome
        })
    }

    /// Fails the open block after an error the session did not see.
    pub fn fail(&self) -> Result<(), WorkerError> {
        self.with(Session::fail_block)
    }

    /// Hands a chunk of COPY data to the session.
    pub fn copy_data(&self, data: &[u8]) -> Result<(), WorkerError> {
        self.with(|session| session.copy_data(data))
    }

    /// Ends the COPY: `COPY n`, or its first error.
    pub fn copy_done(&self) -> Result<Result<Output, SqlError>, WorkerError> {
        let started = self
            .statement_started
            .lock()
            .map_or_else(|_| Instant::now(), |s| *s);
        self.with(|session| {
            let outcome = session.copy_done();
            crate::metrics::statement(&outcome, started.elapsed());
            outcome
        })
    }

    /// Abandons the COPY; the error to report.
    pub fn copy_fail(&self, message: &str) -> Result<SqlError, WorkerError> {
        self.with(|session| session.copy_fail(message))
    }

    /// Runs `job` as a new statement: the interrupt is lowered and
    /// `statement_timeout` starts counting.
    fn statement<T>(&self, job: impl FnOnce(&mut Session<'s>) -> T) -> Result<T, WorkerError> {
        if let Ok(mut started) = self.statement_started.lock() {
            *started = Instant::now();
        }
        self.with(|session| {
            session
                .interrupt()
                .start(timeout(session, "statement_timeout"));
            job(session)
        })
    }

    /// Runs `job` on the session.
    fn with<T>(&self, job: impl FnOnce(&mut Session<'s>) -> T) -> Result<T, WorkerError> {
        let mut session = self.session.lock().map_err(|_| WorkerError::Gone)?;
        Ok(job(&mut session))
    }
}

/// `result`, failing the session's open block when it is an error.
fn failing<T>(session: &mut Session<'_>, result: Result<T, SqlError>) -> Result<T, SqlError> {
    if result.is_err() {
        session.fail_block();
    }
    result
}

/// The session's timeout setting `name`; `None` when it is 0 (none).
fn timeout(session: &Session<'_>, name: &str) -> Option<Duration> {
    session
        .parameter_value(name)
        .ok()
        .and_then(parse_timeout_ms)
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
}

/// A timeout setting as `SHOW` prints it (`0`, `250ms`, `5s`, `1min`) in
/// milliseconds.
fn parse_timeout_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let n: u64 = text[..digits].parse().ok()?;
    let scale = match text[digits..].trim() {
        "" | "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::parse_timeout_ms;

    #[test]
    fn timeouts_read_in_postgresql_units() {
        assert_eq!(parse_timeout_ms("0"), Some(0));
        assert_eq!(parse_timeout_ms("250"), Some(250));
        assert_eq!(parse_timeout_ms("250ms"), Some(250));
        assert_eq!(parse_timeout_ms("5s"), Some(5_000));
        assert_eq!(parse_timeout_ms("2min"), Some(120_000));
        assert_eq!(parse_timeout_ms("1 h"), Some(3_600_000));
        assert_eq!(parse_timeout_ms("x"), None);
    }
}
