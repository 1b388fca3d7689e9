//! `driftdb-slt (--url URL | --embedded | --serve BINARY) FILE...`: runs
//! sqllogictest files over the PostgreSQL protocol (each file in a fresh
//! schema `slt`), against DriftDB embedded (each file in a fresh data
//! directory), or against a DriftDB server over the wire (a fresh server on a
//! fresh data directory per file). Errors are
//! matched on SQLSTATE (`statement error (42P01)`) or on the message, written
//! `SQLSTATE: message`. Prints `N passed, M failed` and exits non-zero when a
//! file fails.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use sqllogictest::{DBOutput, DefaultColumnType, Runner};

/// Command-line arguments.
#[derive(Parser, Debug)]
#[command(name = "driftdb-slt", about)]
struct Args {
    /// Connection string (libpq key=value or postgres:// URL).
    #[arg(
        long,
        required_unless_present_any = ["embedded", "serve"],
        conflicts_with_all = ["embedded", "serve"]
    )]
    url: Option<String>,
    /// Run against DriftDB embedded, in a fresh data directory per file.
    #[arg(long, conflicts_with = "serve")]
    embedded: bool,
    /// Run against `BINARY serve` (the driftdb binary) over the wire: a
    /// fresh server on a fresh data directory per file.
    #[arg(long, value_name = "BINARY")]
    serve: Option<PathBuf>,
    /// The .slt files to run.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// A server error: SQLSTATE and message.
#[derive(Debug)]
struct SqlError {
    sqlstate: Option<String>,
    message: String,
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sqlstate {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for SqlError {}

impl From<postgres::Error> for SqlError {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => SqlError {
                sqlstate: Some(db.code().code().to_string()),
                message: db.message().to_string(),
            },
            None => SqlError {
                sqlstate: None,
                message: e.to_string(),
            },
        }
    }
}

/// One connection, running each record with the simple query protocol so
/// values come back in PostgreSQL's text format.
struct Connection(postgres::Client);

impl sqllogictest::DB for Connection {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SqlError> {
        let mut rows = Vec::new();
        let mut columns = None;
        let mut affected = 0;
        for message in self.0.simple_query(sql)? {
            match message {
                postgres::SimpleQueryMessage::RowDescription(cols) => columns = Some(cols.len()),
                postgres::SimpleQueryMessage::Row(row) => {
                    columns = Some(row.len());
                    rows.push(
                        (0..row.len())
                            .map(|i| row.get(i).map_or_else(|| "NULL".to_string(), text_value))
                            .collect(),
                    );
                }
                postgres::SimpleQueryMessage::CommandComplete(n) => affected = n,
                _ => {}
            }
        }
        Ok(match columns {
            Some(n) => DBOutput::Rows {
                types: vec![DefaultColumnType::Any; n],
                rows,
            },
            None => DBOutput::StatementComplete(affected),
        })
    }

    fn engine_name(&self) -> &str {
        "postgres-protocol"
    }

    fn error_sql_state(err: &SqlError) -> Option<String> {
        err.sqlstate.clone()
    }
}

/// sqllogictest's convention: an empty string is written `(empty)`.
fn text_value(s: &str) -> String {
    if s.is_empty() {
        "(empty)".to_string()
    } else {
        s.to_string()
    }
}

fn connect(url: &str) -> Result<Connection, SqlError> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    client.batch_execute(
        "DROP SCHEMA IF EXISTS slt CASCADE; CREATE SCHEMA slt; SET search_path TO slt",
    )?;
    Ok(Connection(client))
}

/// A `driftdb serve` child on a scratch data directory; killed when dropped.
struct Served {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Served {
    /// Starts `binary serve` on a free loopback port and waits until it
    /// accepts connections.
    fn start(binary: &std::path::Path) -> Result<Served, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = std::process::Command::new(binary)
            .arg("serve")
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--http-listen")
            .arg("127.0.0.1:0")
            .env("RUST_LOG", "error")
            .env_remove("DRIFTDB_PASSWORD")
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let served = Served {
            child,
            url: format!("host=127.0.0.1 port={port} user=driftdb dbname=driftdb"),
            _dir: dir,
        };
        for _ in 0..500 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(served);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Err(format!(
            "{} serve did not start listening",
            binary.display()
        ))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// DriftDB embedded: a storage in a scratch directory and one session on it.
struct Embedded {
    _dir: tempfile::TempDir,
    session: driftdb_sql::session::Session<'static>,
}

impl Embedded {
    fn open() -> Result<Self, SqlError> {
        let dir = tempfile::tempdir().map_err(|e| SqlError {
            sqlstate: Some("58030".into()),
            message: e.to_string(),
        })?;
        let storage =
            driftdb_storage::Storage::open(dir.path(), driftdb_storage::Options::default())
                .map_err(|e| SqlError::from(driftdb_sql::error::SqlError::from(e)))?;
        // The runner keeps one storage per file for the life of the process
        // run; leaking it gives the session a 'static borrow.
        let storage: &'static driftdb_storage::Storage = Box::leak(Box::new(storage));
        Ok(Embedded {
            _dir: dir,
            session: driftdb_sql::session::Session::new(storage, "driftdb"),
        })
    }
}

impl From<driftdb_sql::error::SqlError> for SqlError {
    fn from(e: driftdb_sql::error::SqlError) -> Self {
        SqlError {
            sqlstate: Some(e.sqlstate.to_string()),
            message: e.message,
        }
    }
}

impl sqllogictest::DB for Embedded {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SqlError> {
        let outputs = self.session.execute(sql)?;
        Ok(match outputs.into_iter().last() {
            Some(driftdb_sql::exec::Output::Rows { columns, rows, .. }) => DBOutput::Rows {
                types: vec![DefaultColumnType::Any; columns.len()],
                rows: rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|v| {
                                driftdb_engine::text::format_text(v)
                                    .map_or_else(|| "NULL".into(), |s| text_value(&s))
                            })
                            .collect()
                    })
                    .collect(),
            },
            Some(driftdb_sql::exec::Output::Command(tag)) => DBOutput::StatementComplete(
                tag.rsplit(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
            ),
            Some(driftdb_sql::exec::Output::CopyOut { rows, .. }) => {
                DBOutput::StatementComplete(u64::try_from(rows).unwrap_or(u64::MAX))
            }
            Some(driftdb_sql::exec::Output::CopyIn { .. }) | None => DBOutput::StatementComplete(0),
        })
    }

    fn engine_name(&self) -> &str {
        "driftdb-embedded"
    }

    fn error_sql_state(err: &SqlError) -> Option<String> {
        err.sqlstate.clone()
    }
}

fn run_file(args: &Args, file: &PathBuf) -> Result<(), String> {
    if let Some(binary) = &args.serve {
        let served = Served::start(binary)?;
        let url = served.url.clone();
        let mut runner = Runner::new(move || {
            let conn = postgres::Client::connect(&url, postgres::NoTls)
                .map(Connection)
                .map_err(SqlError::from);
            async move { conn }
        });
        runner.add_label("driftdb");
        return runner.run_file(file).map_err(|e| e.to_string());
    }
    match &args.url {
        Some(url) => {
            let url = url.clone();
            let mut runner = Runner::new(move || {
                let conn = connect(&url);
                async move { conn }
            });
            runner.run_file(file).map_err(|e| e.to_string())
        }
        None => {
            let mut runner = Runner::new(|| {
                let db = Embedded::open();
                async move { db }
            });
            runner.add_label("driftdb");
            runner.run_file(file).map_err(|e| e.to_string())
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (mut passed, mut failed) = (0, 0);
    for file in &args.files {
        match run_file(&args, file) {
            Ok(()) => {
                passed += 1;
                println!("ok     {}", file.display());
            }
            Err(e) => {
                failed += 1;
                println!("FAILED {}\n{e}", file.display());
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
