//! The `driftdb` binary: one command per subcommand of SPEC §1 that exists so far.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use driftdb_storage::{Tail, verify};

/// DriftDB: a SQL database in which nothing is ever overwritten.
#[derive(Parser, Debug)]
#[command(name = "driftdb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check every checksum and structural invariant of a stopped data directory.
    Verify {
        /// The data directory.
        #[arg(long, env = "DRIFTDB_DATA_DIR", default_value = "./driftdb-data")]
        data_dir: PathBuf,
    },
}

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
