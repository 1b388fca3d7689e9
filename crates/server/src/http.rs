//! The HTTP endpoint: `/metrics` (Prometheus text), `/health/live` (the
//! process answers) and `/health/ready` (it accepts PostgreSQL clients).
//! A few GETs from a scraper need no HTTP framework: requests are read up
//! to their blank line, answered, and the connection closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The most a request head may take.
const MAX_HEAD: usize = 8 << 10;

/// The HTTP endpoint, bound and ready to serve.
pub struct HttpEndpoint {
    listener: TcpListener,
    metrics: PrometheusHandle,
    ready: Arc<AtomicBool>,
}

impl HttpEndpoint {
    /// Binds `addr`; `/health/ready` answers 200 while `ready` is set.
    pub async fn bind(
        addr: SocketAddr,
        metrics: PrometheusHandle,
        ready: Arc<AtomicBool>,
    ) -> std::io::Result<Self> {
        Ok(HttpEndpoint {
            listener: TcpListener::bind(addr).await?,
            metrics,
            ready,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves requests until the task is dropped.
    pub async fn run(self) {
        let this = Arc::new(self);
        loop {
            match this.listener.accept().await {
                Ok((socket, _)) => {
                    let this = this.clone();
                    tokio::spawn(async move {
                        if let Err(e) = this.answer(socket).await {
                            tracing::debug!("http request failed: {e}");
                        }
                    });
                }
                Err(e) => tracing::warn!("http accept failed: {e}"),
            }
        }
    }

    async fn answer(&self, mut socket: TcpStream) -> std::io::Result<()> {
        let mut head = Vec::with_capacity(512);
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.ends_with(b"\n\n") {
            let n = tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut buf))
                .await
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "slow request"))??;
            if n == 0 {
                return Ok(());
            }
            head.extend_from_slice(&buf[..n]);
            if head.len() > MAX_HEAD {
                return respond(
                    &mut socket,
                    "431 Request Header Fields Too Large",
                    "text/plain",
                    "too large\n",
                )
                .await;
            }
        }
        let line = String::from_utf8_lossy(&head);
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if method != "GET" && method != "HEAD" {
            return respond(
                &mut socket,
                "405 Method Not Allowed",
                "text/plain",
                "GET only\n",
            )
            .await;
        }
        match path.split('?').next().unwrap_or("") {
            "/metrics" => {
                let body = self.metrics.render();
                respond(&mut socket, "200 OK", "text/plain; version=0.0.4", &body).await
            }
            "/health/live" => respond(&mut socket, "200 OK", "text/plain", "live\n").await,
            "/health/ready" if self.ready.load(Ordering::Acquire) => {
                respond(&mut socket, "200 OK", "text/plain", "ready\n").await
            }
            "/health/ready" => {
                respond(
                    &mut socket,
                    "503 Service Unavailable",
                    "text/plain",
                    "not ready\n",
                )
                .await
            }
            _ => respond(&mut socket, "404 Not Found", "text/plain", "not found\n").await,
        }
    }
}

async fn respond(
    socket: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(body.as_bytes()).await?;
    socket.shutdown().await
}
