//! What the server counts for `/metrics`: connections, statements by kind
//! and their latency, errors by SQLSTATE class. The storage layer counts
//! commits, fsyncs (and their latency) and log bytes itself; all of it goes
//! to one Prometheus recorder installed by [`install`].

use std::time::Duration;

use driftdb_sql::error::SqlError;
use driftdb_sql::exec::Output;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets (seconds) of statements and fsyncs: 50 µs to 10 s.
const BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 10.0,
];

/// Why metrics could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot install the metrics recorder: {0}")]
pub struct MetricsError(String);

/// Installs the process-wide recorder and returns the handle that renders
/// it; call once, before serving.
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .map_err(|e| MetricsError(e.to_string()))?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|e| MetricsError(e.to_string()))?;
    describe();
    Ok(handle)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!("driftdb_connections", "Client connections open now");
    describe_counter!("driftdb_connections_total", "Client connections admitted");
    describe_counter!(
        "driftdb_connections_refused_total",
        "Connections refused at the limit (53300)"
    );
    describe_counter!("driftdb_statements_total", "Statements run, by kind");
    describe_histogram!(
        "driftdb_statement_duration_seconds",
        Unit::Seconds,
        "Statement latency in the session, by kind"
    );
    describe_counter!(
        "driftdb_errors_total",
        "Statement errors, by SQLSTATE class"
    );
    describe_counter!("driftdb_commits_total", "Commits written to the log");
    describe_counter!("driftdb_fsyncs_total", "fsyncs of the commit log");
    describe_histogram!("driftdb_fsync_seconds", Unit::Seconds, "fsync latency");
    describe_counter!(
        "driftdb_log_bytes_written_total",
        Unit::Bytes,
        "Bytes appended to the commit log"
    );
}

/// Counts one statement: its kind (from its command tag) and latency, or
/// its error's SQLSTATE class.
pub fn statement(outcome: &Result<Output, SqlError>, elapsed: Duration) {
    // A COPY FROM STDIN counts when its data ends, not when it starts.
    if let Ok(Output::CopyIn { .. }) = outcome {
        return;
    }
    let kind = match outcome {
        Ok(out) => kind(out),
        Err(e) => {
            let class = e.sqlstate.get(..2).unwrap_or("XX").to_string();
            metrics::counter!("driftdb_errors_total", "class" => class).increment(1);
            "error"
        }
    };
    KIND_HANDLES.with(|handles| {
        let mut handles = handles.borrow_mut();
        let index = match handles.iter().position(|(k, _, _)| *k == kind) {
            Some(i) => i,
            None => {
                handles.push((
                    kind,
                    metrics::counter!("driftdb_statements_total", "kind" => kind),
                    metrics::histogram!("driftdb_statement_duration_seconds", "kind" => kind),
                ));
                handles.len() - 1
            }
        };
        if let Some((_, count, latency)) = handles.get(index) {
            count.increment(1);
            latency.record(elapsed.as_secs_f64());
        }
    });
}

thread_local! {
    /// This connection thread's statement counter and latency histogram per
    /// kind, looked up in the recorder once rather than per statement.
    static KIND_HANDLES: std::cell::RefCell<Vec<(&'static str, metrics::Counter, metrics::Histogram)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A connection was admitted (`true`) or closed (`false`).
pub fn connection(open: bool) {
    if open {
        metrics::gauge!("driftdb_connections").increment(1.0);
        metrics::counter!("driftdb_connections_total").increment(1);
    } else {
        metrics::gauge!("driftdb_connections").decrement(1.0);
    }
}

/// A connection was refused at the limit.
pub fn refused() {
    metrics::counter!("driftdb_connections_refused_total").increment(1);
}

/// The kind of a statement, from the first word of its tag.
fn kind(out: &Output) -> &'static str {
    let word = match out {
        Output::Rows { command, .. } => command.split(' ').next().unwrap_or(""),
        Output::Command(tag) => tag.split(' ').next().unwrap_or(""),
        Output::CopyIn { .. } | Output::CopyOut { .. } => "COPY",
    };
    match word {
        "SELECT" => "select",
        "INSERT" => "insert",
        "UPDATE" => "update",
        "DELETE" => "delete",
        "COPY" => "copy",
        "CREATE" | "DROP" | "ALTER" | "TRUNCATE" | "RESTORE" | "UNDROP" => "ddl",
        "BEGIN" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" => "transaction",
        "SET" | "SHOW" | "RESET" | "DEALLOCATE" => "utility",
        _ => "other",
    }
}
