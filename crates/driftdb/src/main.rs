//! The `driftdb` binary: one command per subcommand of SPEC §1 that exists so far.

mod display;
mod prompt;
mod serve;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use driftdb_sql::session::Session;
use driftdb_storage::{Options, Storage, Tail, verify};

/// DriftDB: a SQL database in which nothing is ever overwritten.
#[derive(Parser, Debug)]
#[command(name = "driftdb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve PostgreSQL clients (psql, drivers, ORMs) over the wire protocol.
    Serve(serve::ServeArgs),
    /// Run SQL embedded, with no server: `-e SQL`, `-f FILE`, SQL on stdin, or
    /// an interactive prompt when stdin is a terminal.
    Sql {
        /// The data directory (created if missing).
        #[arg(long, env = "DRIFTDB_DATA_DIR", default_value = "./driftdb-data")]
        data_dir: PathBuf,
        /// SQL to run.
        #[arg(short = 'e', long = "execute", conflicts_with = "file")]
        execute: Option<String>,
        /// A file of SQL to run.
        #[arg(short = 'f', long = "file")]
        file: Option<PathBuf>,
    },
    /// Check every checksum and structural invariant of a stopped data directory.
    Verify {
        /// The data directory.
        #[arg(long, env = "DRIFTDB_DATA_DIR", default_value = "./driftdb-data")]
        data_dir: PathBuf,
    },
}

/// The process's allocator. A commit's rows are allocated by the session
/// that builds them and freed by the storage threads that merge them into
/// the store. Under that pattern glibc's malloc took about 40% of the
/// session thread in a bulk load, most of it consolidating and relinking
/// its free lists; with mimalloc a bulk INSERT runs about 35% faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Verify { data_dir } => run_verify(&data_dir),
        Command::Serve(args) => serve::run(args),
        Command::Sql {
            data_dir,
            execute,
            file,
        } => run_sql(&data_dir, execute, file),
    }
}

/// `driftdb sql`: runs the SQL given, printing results as psql does; exits
/// non-zero when a statement failed. With no SQL given and a terminal on
/// standard input, runs the interactive prompt instead.
fn run_sql(dir: &std::path::Path, execute: Option<String>, file: Option<PathBuf>) -> ExitCode {
    // `None`: nothing given and a terminal on stdin, so the prompt reads SQL.
    let sql = match (execute, file) {
        (Some(sql), _) => Some(sql),
        (None, Some(path)) => match std::fs::read_to_string(&path) {
            Ok(sql) => Some(sql),
            Err(e) => {
                eprintln!("driftdb: cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
        (None, None) if std::io::stdin().is_terminal() => None,
        (None, None) => {
            let mut sql = String::new();
            if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut sql) {
                eprintln!("driftdb: cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
            Some(sql)
        }
    };
    let storage = match Storage::open(dir, Options::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("driftdb: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut session = Session::new(&storage, "driftdb");
    let Some(sql) = sql else {
        return prompt::run(&mut session, &prompt::history_path(dir));
    };
    let results = match session.execute_each(&sql) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("ERROR:  {}: {}", e.sqlstate, e.message);
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    for r in results {
        match r {
            Ok(out) => print!("{}", display::render(&out)),
            Err(e) => {
                failed = true;
                eprintln!("ERROR:  {}: {}", e.sqlstate, e.message);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn run_verify(dir: &std::path::Path) -> ExitCode {
    match verify(dir) {
        Ok(report) => {
            println!(
                "ok: {} segments, {} frames, seqs 1..={}, checkpoint at seq {}",
                report.segments, report.frames, report.last_seq, report.checkpoint_seq
            );
            if let Tail::Torn {
                position,
                bytes,
                reason,
            } = report.tail
            {
                println!(
                    "note: torn last frame ({reason}, {bytes} bytes) at {position}; the next open cuts it off"
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("verify failed: {e}");
            ExitCode::FAILURE
        }
    }
}
