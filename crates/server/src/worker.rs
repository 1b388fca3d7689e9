//! One thread per connection owns its SQL session and runs its statements,
//! so a slow statement never stalls the I/O threads or another session.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use driftdb_engine::interrupt::Interrupt;
use driftdb_engine::value::Value;
use driftdb_sql::error::SqlError;
use driftdb_sql::exec::Output;
use driftdb_sql::session::{BlockStatus, Description, Prepared, Session};
use driftdb_storage::Storage;
use tokio::sync::oneshot;

/// The stack of a session thread: deep enough for the parser's and binder's
/// recursion at their nesting limits.
const STACK_BYTES: usize = 8 << 20;

/// What a connection asks its session thread to do.
enum Job {
    /// Run every statement of a simple-protocol query, stopping at the first
    /// error.
    Simple(String),
    /// Parse one statement for the extended protocol.
    Parse(String),
    /// Describe a statement, with its parameter values when they are known.
    Describe(Arc<Prepared>, Option<Vec<Value>>),
    /// Run a parsed statement with its parameter values.
    Execute(Arc<Prepared>, Vec<Value>),
    /// An error outside the session (a Bind it could not read) fails the
    /// open block.
    Fail,
    /// A chunk of `COPY … FROM STDIN` data.
    CopyData(Vec<u8>),
    /// The end of the COPY data.
    CopyDone,
    /// The client abandoned the COPY, with its message.
    CopyFail(String),
}

/// The session thread's answer to a job.
enum Answer {
    Simple(Vec<Result<Output, SqlError>>),
    Parse(Result<Prepared, SqlError>),
    Describe(Result<Description, SqlError>),
    Execute(Result<Output, SqlError>),
    /// The job needs no answer but its completion.
    Done,
    CopyFail(SqlError),
}

/// The answer and where the session stands after the job.
struct Reply {
    answer: Answer,
    status: BlockStatus,
    /// The session's timeouts after the job.
    timeouts: Timeouts,
}

/// A session's timeouts, in milliseconds (0: none), as its settings stand.
#[derive(Debug, Clone, Copy, Default)]
struct Timeouts {
    /// `statement_timeout`: how long the next statement may run.
    statement_ms: u64,
    /// `idle_in_transaction_session_timeout`: how long the connection may
    /// wait for the client inside a transaction block.
    idle_in_transaction_ms: u64,
}

/// Why a job could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The session thread could not be started.
    #[error("could not start a session thread: {0}")]
    Spawn(#[from] std::io::Error),
    /// The session thread ended (it panicked, or the server is stopping).
    #[error("the session ended unexpectedly")]
    Gone,
}

/// A connection's handle on its session thread.
pub struct Worker {
    jobs: mpsc::Sender<(Job, oneshot::Sender<Reply>)>,
    interrupt: Interrupt,
    state: std::sync::Mutex<(BlockStatus, Timeouts)>,
}

impl Worker {
    /// Starts the session thread of a connection by `user` on `storage`,
    /// with the startup packet's `parameters` applied; fails with the first
    /// parameter the session refuses.
    pub fn start(
        storage: Arc<Storage>,
        user: String,
        parameters: Vec<(String, String)>,
    ) -> Result<Result<Worker, SqlError>, WorkerError> {
        let (jobs, inbox) = mpsc::channel::<(Job, oneshot::Sender<Reply>)>();
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("driftdb-session".into())
            .stack_size(STACK_BYTES)
            .spawn(move || {
                let mut session = Session::new(&storage, &user);
                let applied = parameters
                    .iter()
                    .try_for_each(|(name, value)| session.set_parameter(name, value));
                let ok = applied.is_ok();
                let _ = ready_tx.send(applied.map(|()| session.interrupt().clone()));
                if ok {
                    serve(&mut session, inbox);
                }
            })?;
        let interrupt = match ready_rx.recv() {
            Ok(Ok(interrupt)) => interrupt,
            Ok(Err(e)) => return Ok(Err(e)),
            Err(_) => return Err(WorkerError::Gone),
        };
        Ok(Ok(Worker {
            jobs,
            interrupt,
            state: std::sync::Mutex::new((BlockStatus::Idle, Timeouts::default())),
        }))
    }

    /// The interrupt of the session: raising it stops the running statement.
    pub fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    /// Where the session stood after its last job.
    pub fn status(&self) -> BlockStatus {
        self.state.lock().map_or(BlockStatus::Idle, |s| s.0)
    }

    /// How long the client may leave the session idle now: the
    /// `idle_in_transaction_session_timeout` when the session is inside a
    /// transaction block (failed or not), else no limit.
    pub fn idle_timeout(&self) -> Option<std::time::Duration> {
        let (status, timeouts) = self
            .state
            .lock()
            .map_or((BlockStatus::Idle, Timeouts::default()), |s| *s);
        match (status, timeouts.idle_in_transaction_ms) {
            (BlockStatus::Idle, _) | (_, 0) => None,
            (_, ms) => Some(std::time::Duration::from_millis(ms)),
        }
    }

    /// Runs every statement of a simple-protocol query.
    pub async fn simple(&self, sql: String) -> Result<Vec<Result<Output, SqlError>>, WorkerError> {
        match self.ask(Job::Simple(sql)).await? {
            Answer::Simple(outcomes) => Ok(outcomes),
            _ => Err(WorkerError::Gone),
        }
    }

    /// Parses one statement of the extended protocol.
    pub async fn parse(&self, sql: String) -> Result<Result<Prepared, SqlError>, WorkerError> {
        match self.ask(Job::Parse(sql)).await? {
            Answer::Parse(p) => Ok(p),
            _ => Err(WorkerError::Gone),
        }
    }

    /// Describes a statement (with its parameter values, when bound).
    pub async fn describe(
        &self,
        prepared: Arc<Prepared>,
        params: Option<Vec<Value>>,
    ) -> Result<Result<Description, SqlError>, WorkerError> {
        match self.ask(Job::Describe(prepared, params)).await? {
            Answer::Describe(d) => Ok(d),
            _ => Err(WorkerError::Gone),
        }
    }

    /// Runs a parsed statement with its parameter values.
    pub async fn execute(
        &self,
        prepared: Arc<Prepared>,
        params: Vec<Value>,
    ) -> Result<Result<Output, SqlError>, WorkerError> {
        match self.ask(Job::Execute(prepared, params)).await? {
            Answer::Execute(out) => Ok(out),
            _ => Err(WorkerError::Gone),
        }
    }

    /// Fails the open block after an error the session did not see.
    pub async fn fail(&self) -> Result<(), WorkerError> {
        self.ask(Job::Fail).await.map(|_| ())
    }

    /// Hands a chunk of COPY data to the session.
    pub async fn copy_data(&self, data: Vec<u8>) -> Result<(), WorkerError> {
        self.ask(Job::CopyData(data)).await.map(|_| ())
    }

    /// Ends the COPY: `COPY n`, or its first error.
    pub async fn copy_done(&self) -> Result<Result<Output, SqlError>, WorkerError> {
        match self.ask(Job::CopyDone).await? {
            Answer::Execute(out) => Ok(out),
            _ => Err(WorkerError::Gone),
        }
    }

    /// Abandons the COPY; the error to report.
    pub async fn copy_fail(&self, message: String) -> Result<SqlError, WorkerError> {
        match self.ask(Job::CopyFail(message)).await? {
            Answer::CopyFail(e) => Ok(e),
            _ => Err(WorkerError::Gone),
        }
    }

    /// Hands `job` to the session thread and waits for its answer, raising
    /// the interrupt when `statement_timeout` runs out first.
    async fn ask(&self, job: Job) -> Result<Answer, WorkerError> {
        let (tx, mut rx) = oneshot::channel();
        self.interrupt.clear();
        self.jobs.send((job, tx)).map_err(|_| WorkerError::Gone)?;
        let timeout_ms = self.state.lock().map_or(0, |s| s.1.statement_ms);
        let reply = if timeout_ms == 0 {
            rx.await
        } else {
            let timer = tokio::time::sleep(std::time::Duration::from_millis(timeout_ms));
            tokio::select! {
                reply = &mut rx => reply,
                () = timer => {
                    self.interrupt.raise(driftdb_engine::interrupt::InterruptReason::Timeout);
                    rx.await
                }
            }
        };
        let reply = reply.map_err(|_| WorkerError::Gone)?;
        if let Ok(mut state) = self.state.lock() {
            *state = (reply.status, reply.timeouts);
        }
        Ok(reply.answer)
    }
}

/// The session thread's loop: one job at a time until the connection drops
/// its handle.
fn serve(session: &mut Session<'_>, inbox: mpsc::Receiver<(Job, oneshot::Sender<Reply>)>) {
    // When the last statement started: a COPY FROM STDIN's latency runs
    // from there to the end of its data.
    let mut statement_started = Instant::now();
    while let Ok((job, reply)) = inbox.recv() {
        let answer = match job {
            Job::Simple(sql) => {
                statement_started = Instant::now();
                Answer::Simple(run_simple(session, &sql))
            }
            Job::Parse(sql) => Answer::Parse(failing(session, Prepared::parse(&sql))),
            Job::Describe(prepared, params) => {
                let described = session.describe(&prepared, params.as_deref());
                Answer::Describe(failing(session, described))
            }
            Job::Execute(prepared, params) => {
                statement_started = Instant::now();
                let outcome = session.execute_prepared(&prepared, &params);
                crate::metrics::statement(&outcome, statement_started.elapsed());
                Answer::Execute(outcome)
            }
            Job::Fail => {
                session.fail_block();
                Answer::Done
            }
            Job::CopyData(data) => {
                session.copy_data(&data);
                Answer::Done
            }
            Job::CopyDone => {
                let outcome = session.copy_done();
                crate::metrics::statement(&outcome, statement_started.elapsed());
                Answer::Execute(outcome)
            }
            Job::CopyFail(message) => Answer::CopyFail(session.copy_fail(&message)),
        };
        let timeout = |name: &str| {
            session
                .parameter(name)
                .ok()
                .and_then(|t| parse_timeout_ms(&t))
                .unwrap_or(0)
        };
        let timeouts = Timeouts {
            statement_ms: timeout("statement_timeout"),
            idle_in_transaction_ms: timeout("idle_in_transaction_session_timeout"),
        };
        // A connection that went away no longer wants the answer.
        let _ = reply.send(Reply {
            answer,
            status: session.status(),
            timeouts,
        });
    }
}

/// `result`, failing the session's open block when it is an error.
fn failing<T>(session: &mut Session<'_>, result: Result<T, SqlError>) -> Result<T, SqlError> {
    if result.is_err() {
        session.fail_block();
    }
    result
}

/// Runs the statements of `sql` in order; the first failure ends the list.
fn run_simple(session: &mut Session<'_>, sql: &str) -> Vec<Result<Output, SqlError>> {
    let statements = match Prepared::parse_all(sql) {
        Ok(s) => s,
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
    outcomes
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
