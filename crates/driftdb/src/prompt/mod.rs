//! The interactive prompt of `driftdb sql` on a terminal: psql's prompts,
//! line editing and persistent history (rustyline), statements that run once
//! a `;` ends them (`input.rs`), `\q` or Ctrl-D to quit, Ctrl-C to drop what
//! was typed.

mod input;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use driftdb_sql::error::SqlError;
use driftdb_sql::session::Session;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::display;
use input::Buffer;

/// The prompt when no statement is open and no transaction block either.
const PROMPT: &str = "driftdb=> ";
/// The prompt inside a transaction block.
const PROMPT_IN_BLOCK: &str = "driftdb=*> ";
/// The prompt while a statement goes on over several lines.
const PROMPT_CONTINUE: &str = "driftdb-# ";

/// Runs the prompt until `\q` or Ctrl-D; `history` is the history file, read
/// at the start and appended to after each statement.
pub fn run(session: &mut Session<'_>, history: &Path) -> ExitCode {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("driftdb: cannot start the prompt: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A missing history file is the first run, not an error.
    if history.exists()
        && let Err(e) = editor.load_history(history)
    {
        eprintln!("driftdb: cannot read history {}: {e}", history.display());
    }
    let mut history_failed = false;
    let mut buffer = Buffer::default();
    loop {
        let prompt = match (buffer.is_empty(), session.in_block()) {
            (false, _) => PROMPT_CONTINUE,
            (true, true) => PROMPT_IN_BLOCK,
            (true, false) => PROMPT,
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("driftdb: cannot read the terminal: {e}");
                return ExitCode::FAILURE;
            }
        };
        let command = line.trim();
        if command == "\\q" {
            break;
        }
        if buffer.is_empty() && command.starts_with('\\') {
            eprintln!("invalid command {command}\nTry \\q to quit.");
            continue;
        }
        let Some(sql) = buffer.push_line(&line) else {
            continue;
        };
        let saved = editor
            .add_history_entry(sql.as_str())
            .and_then(|_| editor.append_history(history));
        if let Err(e) = saved
            && !history_failed
        {
            history_failed = true;
            eprintln!("driftdb: cannot save history to {}: {e}", history.display());
        }
        execute(session, &sql);
    }
    ExitCode::SUCCESS
}

/// Where the history is kept: `~/.driftdb_history`, or in the data directory
/// when there is no home directory.
pub fn history_path(data_dir: &Path) -> PathBuf {
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => PathBuf::from(home).join(".driftdb_history"),
        _ => data_dir.join(".driftdb_history"),
    }
}

/// Runs `sql` and prints each statement's result or error, as psql does.
fn execute(session: &mut Session<'_>, sql: &str) {
    match session.execute_each(sql) {
        Ok(results) => {
            for result in results {
                match result {
                    Ok(out) => print!("{}", display::render(&out)),
                    Err(e) => print_error(&e),
                }
            }
        }
        Err(e) => print_error(&e),
    }
}

/// Prints `e` as psql does, with its SQLSTATE on a line of its own.
fn print_error(e: &SqlError) {
    // Results already printed come before the error on the terminal.
    if let Err(flush) = std::io::stdout().flush() {
        eprintln!("driftdb: cannot write to standard output: {flush}");
    }
    eprintln!("ERROR:  {}\nSQLSTATE: {}", e.message, e.sqlstate);
}
