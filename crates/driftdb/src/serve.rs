//! `driftdb serve`: the server's settings from flags, environment and a TOML
//! file (a flag beats the environment, which beats the file), then the
//! server itself until SIGTERM or SIGINT.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use driftdb_server::http::HttpEndpoint;
use driftdb_server::{
    AuthMethod, DATABASE, DEFAULT_MAX_MESSAGE_BYTES, SUPERUSER, Server, ServerOptions, TlsFiles,
};
use driftdb_storage::{Options, Storage};

/// Settings of `driftdb serve` given as flags or environment variables.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The data directory (created if missing). Default ./driftdb-data.
    #[arg(long, env = "DRIFTDB_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Where to listen for PostgreSQL clients. Default 127.0.0.1:5433.
    #[arg(long, env = "DRIFTDB_LISTEN")]
    listen: Option<SocketAddr>,
    /// Where the HTTP endpoint (/metrics, /health/live, /health/ready)
    /// listens. Default 127.0.0.1:9433.
    #[arg(long, env = "DRIFTDB_HTTP_LISTEN")]
    http_listen: Option<SocketAddr>,
    /// A TOML file of settings (keys: data_dir, listen, http_listen,
    /// password, auth_method, tls_cert, tls_key, max_connections,
    /// max_message_bytes, shutdown_grace_seconds).
    #[arg(long, env = "DRIFTDB_CONFIG")]
    config: Option<PathBuf>,
    /// How clients prove the password: scram-sha-256 (default) or md5 (for
    /// old drivers).
    #[arg(long, env = "DRIFTDB_AUTH_METHOD")]
    auth_method: Option<AuthMethod>,
    /// The TLS certificate chain, PEM (with --tls-key: clients may use TLS).
    #[arg(long, env = "DRIFTDB_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The TLS private key, PEM.
    #[arg(long, env = "DRIFTDB_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Connections beyond this many are refused (SQLSTATE 53300). Default 1100.
    #[arg(long, env = "DRIFTDB_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// The longest message a client may send, in bytes; a longer one ends
    /// the connection (SQLSTATE 54000). Default 67108864 (64 MiB).
    #[arg(long, env = "DRIFTDB_MAX_MESSAGE_BYTES")]
    max_message_bytes: Option<usize>,
    /// Seconds running statements get to finish after SIGTERM. Default 10.
    #[arg(long, env = "DRIFTDB_SHUTDOWN_GRACE_SECONDS")]
    shutdown_grace_seconds: Option<u64>,
}

/// The same settings in the config file.
#[derive(serde::Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    data_dir: Option<PathBuf>,
    listen: Option<SocketAddr>,
    http_listen: Option<SocketAddr>,
    password: Option<String>,
    auth_method: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    max_connections: Option<usize>,
    max_message_bytes: Option<usize>,
    shutdown_grace_seconds: Option<u64>,
}

/// The settings a server runs with, every source merged.
struct Settings {
    data_dir: PathBuf,
    http_listen: SocketAddr,
    options: ServerOptions,
}

impl ServeArgs {
    fn settings(self) -> Result<Settings, String> {
        let file = match &self.config {
            Some(path) => read_config(path)?,
            None => ConfigFile::default(),
        };
        let password = std::env::var("DRIFTDB_PASSWORD")
            .ok()
            .or(file.password)
            .filter(|p| !p.is_empty());
        let auth_method = match (self.auth_method, file.auth_method) {
            (Some(m), _) => m,
            (None, Some(m)) => m.parse().map_err(|e| format!("config file: {e}"))?,
            (None, None) => AuthMethod::default(),
        };
        let tls = match (
            self.tls_cert.or(file.tls_cert),
            self.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => return Err("--tls-cert needs --tls-key".into()),
            (None, Some(_)) => return Err("--tls-key needs --tls-cert".into()),
        };
        let max_message_bytes = self
            .max_message_bytes
            .or(file.max_message_bytes)
            .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
        if max_message_bytes < 1024 {
            return Err(format!(
                "max_message_bytes is {max_message_bytes}; it must be at least 1024"
            ));
        }
        Ok(Settings {
            http_listen: self
                .http_listen
                .or(file.http_listen)
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 9433))),
            data_dir: self
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("./driftdb-data")),
            options: ServerOptions {
                listen: self
                    .listen
                    .or(file.listen)
                    .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 5433))),
                password,
                auth_method,
                tls,
                max_connections: self
                    .max_connections
                    .or(file.max_connections)
                    .unwrap_or(1100),
                max_message_bytes,
                shutdown_grace: Duration::from_secs(
                    self.shutdown_grace_seconds
                        .or(file.shutdown_grace_seconds)
                        .unwrap_or(10),
                ),
            },
        })
    }
}

fn read_config(path: &Path) -> Result<ConfigFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
}

/// Runs the server until SIGTERM or SIGINT; exits 0 after a clean shutdown.
pub fn run(args: ServeArgs) -> ExitCode {
    let settings = match args.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("driftdb: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("driftdb: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&settings.data_dir) {
        eprintln!(
            "driftdb: cannot create data directory {}: {e}",
            settings.data_dir.display()
        );
        return ExitCode::FAILURE;
    }
    let storage = match Storage::open(&settings.data_dir, Options::default()) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("driftdb: {e}");
            return ExitCode::FAILURE;
        }
    };
    let grace = settings.options.shutdown_grace;
    let metrics = match driftdb_server::metrics::install() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("driftdb: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async {
        let server = Server::bind(storage.clone(), settings.options.clone())
            .await
            .map_err(|e| e.to_string())?;
        let http = HttpEndpoint::bind(settings.http_listen, metrics, server.ready_flag())
            .await
            .map_err(|e| format!("cannot listen on {} (HTTP): {e}", settings.http_listen))?;
        let http_addr = http.local_addr().unwrap_or(settings.http_listen);
        tokio::spawn(http.run());
        let addr = server.local_addr().unwrap_or(settings.options.listen);
        if settings.options.password.is_none() {
            tracing::warn!(
                "no password set (DRIFTDB_PASSWORD): loopback clients connect without one"
            );
        }
        if settings.options.password.is_some()
            && settings.options.auth_method == AuthMethod::Md5
        {
            tracing::warn!(
                "auth_method md5: for old drivers only; scram-sha-256 is stronger"
            );
        }
        tracing::info!(
            "DriftDB listening on {addr} (data directory {}); connect with: psql -h {} -p {} -U {SUPERUSER} {DATABASE}; metrics on http://{http_addr}/metrics",
            settings.data_dir.display(),
            addr.ip(),
            addr.port()
        );
        server.run(shutdown_signal()).await;
        Ok::<(), String>(())
    });
    if let Err(e) = served {
        eprintln!("driftdb: {e}");
        return ExitCode::FAILURE;
    }
    runtime.shutdown_timeout(grace);
    // Session threads hold the storage until their last statement ends.
    let deadline = std::time::Instant::now() + grace;
    while Arc::strong_count(&storage) > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if let Err(e) = storage.checkpoint() {
        tracing::warn!("checkpoint at shutdown failed: {e}");
    }
    tracing::info!("DriftDB stopped");
    ExitCode::SUCCESS
}

/// Completes at the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!("cannot watch SIGTERM: {e}");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: no new connections; running statements may finish");
}
