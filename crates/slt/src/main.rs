//! `driftdb-slt --url URL FILE...`: runs sqllogictest files over the
//! PostgreSQL protocol. Each file runs in a fresh schema `slt`, so files do not
//! see each other's tables. Errors are matched on SQLSTATE
//! (`statement error (42P01)`) or on the message, written `SQLSTATE: message`.
//! Prints `N passed, M failed` and exits non-zero when a file fails.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use sqllogictest::{DBOutput, DefaultColumnType, Runner};

/// Command-line arguments.
#[derive(Parser, Debug)]
#[command(name = "driftdb-slt", about)]
struct Args {
    /// Connection string (libpq key=value or postgres:// URL).
    #[arg(long)]
    url: String,
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

fn main() -> ExitCode {
    let args = Args::parse();
    let (mut passed, mut failed) = (0, 0);
    for file in &args.files {
        let url = args.url.clone();
        let mut runner = Runner::new(move || {
            let conn = connect(&url);
            async move { conn }
        });
        match runner.run_file(file) {
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
