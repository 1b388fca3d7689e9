//! DriftDB's server: PostgreSQL's wire protocol over an open storage, so
//! psql, psycopg, node-postgres, JDBC and ORMs connect unchanged.
//!
//! Each connection has a thread of its own, as each PostgreSQL connection
//! has a backend process: it reads the socket on a single-threaded tokio
//! runtime (`wire.rs`: the protocol, on `pgwire`; `startup.rs`: database,
//! role, authentication and parameters) and runs the statements in its
//! session (`worker.rs`) itself, so a slow statement stalls no other
//! connection and a fast one costs no hand-off. `socket.rs` runs a socket from
//! accept to close (TLS from `tls.rs`, the message size limit, the
//! idle-in-transaction timeout). `codec.rs` turns values into the wire's
//! text and binary formats and back; `cancel.rs` routes CancelRequests to
//! the session they name.

mod cancel;
pub mod codec;
pub mod http;
pub mod metrics;
mod socket;
mod startup;
mod tls;
mod wire;
mod worker;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pgwire::tokio::TlsAcceptor;
use tokio::net::TcpListener;

use driftdb_storage::Storage;

pub use startup::{AuthMethod, DATABASE, SUPERUSER};
pub use tls::TlsFiles;

use crate::cancel::CancelKeys;
use crate::wire::Handler;

/// How a server runs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where it listens.
    pub listen: SocketAddr,
    /// The superuser's password; `None` runs without one (loopback only).
    pub password: Option<String>,
    /// How clients prove the password (when one is set).
    pub auth_method: AuthMethod,
    /// The certificate and key of TLS; `None` refuses clients' SSLRequest.
    pub tls: Option<TlsFiles>,
    /// Connections beyond this many are refused with 53300.
    pub max_connections: usize,
    /// The longest frontend message accepted, in bytes (its length field);
    /// a longer one gets FATAL 54000 and the connection closes.
    pub max_message_bytes: usize,
    /// How long running statements may go on after a shutdown signal.
    pub shutdown_grace: Duration,
}

/// The default of [`ServerOptions::max_message_bytes`]: 64 MiB
/// (PostgreSQL's own limit is 1 GiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Listening without a password anywhere but loopback.
    #[error(
        "refusing to listen on {0} without a password: set DRIFTDB_PASSWORD (or `password` in the config file), or listen on 127.0.0.1"
    )]
    NoPassword(SocketAddr),
    /// The TLS certificate or key could not be used.
    #[error("{0}")]
    Tls(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// What every connection of a server shares.
pub(crate) struct Shared {
    pub(crate) storage: Arc<Storage>,
    pub(crate) options: ServerOptions,
    pub(crate) cancel_keys: Arc<CancelKeys>,
    /// How connections authenticate.
    pub(crate) auth: startup::Auth,
    /// TLS, when configured.
    tls: Option<TlsAcceptor>,
    /// Connections admitted and not yet closed.
    connections: AtomicUsize,
}

/// A connection's place among the admitted ones; dropping it (when the
/// connection closes) frees the place and its cancel key.
pub(crate) struct Admission {
    shared: Arc<Shared>,
    pid: std::sync::OnceLock<i32>,
}

impl Shared {
    /// Admits one more connection, or `None` at the limit.
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Admission> {
        let max = self.options.max_connections;
        let admitted = self
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            });
        if admitted.is_err() {
            metrics::refused();
            return None;
        }
        metrics::connection(true);
        Some(Admission {
            shared: self.clone(),
            pid: std::sync::OnceLock::new(),
        })
    }
}

impl Admission {
    /// Records the process id the connection's cancel key is filed under.
    pub(crate) fn set_pid(&self, pid: i32) {
        let _ = self.pid.set(pid);
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.shared.connections.fetch_sub(1, Ordering::AcqRel);
        metrics::connection(false);
        if let Some(pid) = self.pid.get() {
            self.shared.cancel_keys.remove(*pid);
        }
    }
}

/// A listening server; [`Server::run`] serves it until shutdown.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
    ready: Arc<std::sync::atomic::AtomicBool>,
}

impl Server {
    /// Binds `options.listen` over `storage`, with TLS when configured.
    /// Refuses a non-loopback address without a password.
    pub async fn bind(
        storage: Arc<Storage>,
        options: ServerOptions,
    ) -> Result<Server, ServerError> {
        if options.password.is_none() && !options.listen.ip().is_loopback() {
            return Err(ServerError::NoPassword(options.listen));
        }
        let tls = options
            .tls
            .as_ref()
            .map(tls::load)
            .transpose()
            .map_err(ServerError::Tls)?;
        let auth = startup::Auth::new(
            options.password.as_deref(),
            options.auth_method,
            tls.as_ref().map(|t| t.cert_pem.as_slice()),
        );
        let listener =
            TcpListener::bind(options.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: options.listen,
                    source,
                })?;
        Ok(Server {
            listener,
            ready: Arc::default(),
            shared: Arc::new(Shared {
                storage,
                options,
                cancel_keys: Arc::new(CancelKeys::default()),
                auth,
                tls: tls.map(|t| t.acceptor),
                connections: AtomicUsize::new(0),
            }),
        })
    }

    /// The address it listens on (the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Set while the server accepts connections (for `/health/ready`).
    pub fn ready_flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.ready.clone()
    }

    /// Accepts connections until `shutdown` completes, then stops accepting
    /// and waits up to the grace period for open connections to finish.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let Server {
            listener,
            shared,
            ready,
        } = self;
        ready.store(true, Ordering::Release);
        let (closing, closed) = tokio::sync::watch::channel(false);
        // Every connection thread holds a sender; `recv` ends once all are gone.
        let (alive, mut all_gone) = tokio::sync::mpsc::channel::<()>(1);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((socket, _)) => {
                        let _ = socket.set_nodelay(true);
                        let connection = Connection::new(shared.clone(), closed.clone(), alive.clone());
                        if let Err(e) = connection.spawn(socket) {
                            tracing::warn!("could not start a connection thread: {e}");
                        }
                    }
                    Err(e) => tracing::warn!("accept failed: {e}"),
                },
            }
        }
        ready.store(false, Ordering::Release);
        drop(listener);
        drop(alive);
        let grace = shared.options.shutdown_grace;
        if tokio::time::timeout(grace, all_gone.recv()).await.is_err() {
            tracing::info!("closing the connections still open after {grace:?}",);
            let _ = closing.send(true);
            shared.cancel_keys.cancel_all();
            let _ = tokio::time::timeout(CLOSE_WAIT, all_gone.recv()).await;
        }
    }
}

/// How long connections have to close once told to (the grace period
/// over): long enough for a canceled statement to stop.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The stack of a connection thread: deep enough for the parser's and
/// binder's recursion at their nesting limits.
const STACK_BYTES: usize = 8 << 20;

/// An accepted connection, before its thread starts.
struct Connection {
    shared: Arc<Shared>,
    /// Becomes true when the server closes its connections.
    closed: tokio::sync::watch::Receiver<bool>,
    /// Held while the connection lives.
    alive: tokio::sync::mpsc::Sender<()>,
}

impl Connection {
    fn new(
        shared: Arc<Shared>,
        closed: tokio::sync::watch::Receiver<bool>,
        alive: tokio::sync::mpsc::Sender<()>,
    ) -> Self {
        Connection {
            shared,
            closed,
            alive,
        }
    }

    /// Serves `socket` on a thread of its own until it closes.
    fn spawn(self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let socket = socket.into_std()?;
        std::thread::Builder::new()
            .name("driftdb-conn".into())
            .stack_size(STACK_BYTES)
            .spawn(move || {
                let Connection {
                    shared,
                    closed,
                    alive,
                } = self;
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!("could not start a connection's runtime: {e}");
                        return;
                    }
                };
                let storage = shared.storage.clone();
                let ended = runtime.block_on(async {
                    let socket = tokio::net::TcpStream::from_std(socket)?;
                    let tls = shared.tls.clone();
                    let max_message = shared.options.max_message_bytes;
                    let handlers = ConnectionHandlers::new(shared, &storage);
                    socket::serve(socket, tls, handlers, max_message, closed).await
                });
                if let Err(e) = ended {
                    tracing::debug!("connection ended: {e}");
                }
                drop(alive);
            })?;
        Ok(())
    }
}

/// The protocol handlers of one connection; they share its state.
struct ConnectionHandlers<'s> {
    shared: Arc<Shared>,
    conn: Arc<wire::Connection<'s>>,
    handler: Arc<Handler<'s>>,
    startup: Arc<startup::Startup<'s>>,
}

impl<'s> ConnectionHandlers<'s> {
    /// The handlers of a connection whose session runs on `storage`.
    fn new(shared: Arc<Shared>, storage: &'s Storage) -> Self {
        let conn = Arc::new(wire::Connection::default());
        ConnectionHandlers {
            handler: Arc::new(Handler::new(conn.clone())),
            startup: Arc::new(startup::Startup::new(shared.clone(), storage, conn.clone())),
            conn,
            shared,
        }
    }
}
