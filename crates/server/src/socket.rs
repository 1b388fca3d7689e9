//! One client socket from accept to close: TLS negotiation (pgwire's), then
//! pgwire's message loop with two limits of DriftDB's own that pgwire has
//! no hook for.
//!
//! - **Message size.** [`Limited`] reads the length of each frontend message
//!   from the byte stream as it arrives and fails the read as soon as a
//!   header names more than `max_message_bytes`, so an oversize message is
//!   never buffered; the client gets FATAL 54000 and the connection closes.
//!   (pgwire alone accepts up to 1 GiB and closes without a word above it.)
//! - **Idle in transaction.** While the client is silent inside a
//!   transaction block for longer than the session's
//!   `idle_in_transaction_session_timeout`, the connection ends with FATAL
//!   25P03, as in PostgreSQL; the session it drops rolls the block back.
//! - **Batched replies.** pgwire flushes the socket after nearly every
//!   message it sends; [`Limited`] holds the replies instead and the loop
//!   sends them in one write when it is about to wait for the client (no
//!   complete message left in the read buffer), as PostgreSQL does. A
//!   pipelined Bind/Describe/Execute/Sync is then answered in one packet
//!   rather than four.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use pgwire::api::{ClientInfo, PgWireConnectionState};
use pgwire::error::ErrorInfo;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::TlsAcceptor;
use pgwire::tokio::server::{
    MaybeTls, PgWireMessageServerCodec, negotiate_tls, process_error, process_message,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::codec::{Framed, FramedParts};

use driftdb_sql::session::Prepared;

use crate::ConnectionHandlers;

/// How long a client has from connecting to finishing authentication
/// (pgwire's own limit, and PostgreSQL's `authentication_timeout` is 60 s).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection's framed socket.
type Socket = Framed<Limited<MaybeTls>, PgWireMessageServerCodec<Arc<Prepared>>>;

/// Serves one accepted socket until the client leaves, a FATAL error, or
/// `closed` turns true (the server shuts down: the connection ends with
/// FATAL 57P01 when it next waits for its client).
pub(crate) async fn serve(
    tcp: TcpStream,
    tls: Option<TlsAcceptor>,
    handlers: ConnectionHandlers<'_>,
    max_message_bytes: usize,
    mut closed: tokio::sync::watch::Receiver<bool>,
) -> io::Result<()> {
    let startup_deadline = tokio::time::sleep(STARTUP_TIMEOUT);
    tokio::pin!(startup_deadline);
    let negotiated = tokio::select! {
        () = &mut startup_deadline => return Ok(()),
        negotiated = negotiate_tls(tcp, tls) => negotiated?,
    };
    // `None`: the client opened TLS directly and the server has none.
    let Some(socket) = negotiated else {
        return Ok(());
    };
    let mut socket = limit_messages(socket, max_message_bytes);

    let ConnectionHandlers {
        shared,
        conn,
        handler,
        startup,
    } = handlers;
    // Whether the last message answered ended with ReadyForQuery: only then
    // does the server wait on the client (PostgreSQL arms its idle timer
    // at the same point).
    let mut ready = false;
    loop {
        if !holds_message(socket.read_buffer(), socket.state()) {
            socket.get_mut().hold = false;
            socket.flush().await?;
        }
        let starting = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        );
        let idle_limit = match socket.state() {
            PgWireConnectionState::ReadyForQuery if ready => {
                conn.worker().ok().and_then(|w| w.idle_timeout())
            }
            _ => None,
        };
        let idle = async {
            match idle_limit {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        let next = tokio::select! {
            biased;
            _ = closed.wait_for(|c| *c) => {
                let _ = send_fatal(
                    &mut socket,
                    "57P01",
                    "terminating connection due to administrator command".into(),
                )
                .await;
                break;
            }
            () = &mut startup_deadline, if starting => break,
            () = idle => {
                tracing::info!("terminating a connection idle in a transaction for {idle_limit:?}");
                let _ = send_fatal(
                    &mut socket,
                    "25P03",
                    "terminating connection due to idle-in-transaction timeout".into(),
                )
                .await;
                break;
            }
            next = socket.next() => next,
        };
        let message = match next {
            None => break,
            Some(Ok(message)) => message,
            Some(Err(e)) => {
                let (code, text) = match socket.get_ref().violation {
                    Some(v) => v.describe(max_message_bytes),
                    None => ("08P01", format!("invalid frontend message: {e}")),
                };
                tracing::debug!("closing a connection: {text}");
                if send_fatal(&mut socket, code, text).await.is_ok() {
                    linger(socket).await;
                }
                return Ok(());
            }
        };
        // Terminate: the client leaves; dropping the socket closes it.
        if matches!(message, PgWireFrontendMessage::Terminate(_)) {
            break;
        }
        // Replies wait until the client's next message is not already here.
        socket.get_mut().hold = true;
        let extended_query = match socket.state() {
            PgWireConnectionState::CopyInProgress(extended) => extended,
            _ => message.is_extended_query(),
        };
        let cancel_request = matches!(message, PgWireFrontendMessage::CancelRequest(_));
        ready = matches!(
            message,
            PgWireFrontendMessage::Query(_) | PgWireFrontendMessage::Sync(_)
        );
        if let Err(e) = process_message(
            message,
            &mut socket,
            startup.clone(),
            handler.clone(),
            handler.clone(),
            handler.clone(),
            shared.cancel_keys.clone(),
        )
        .await
        {
            let fatal = e.is_fatal();
            process_error(&mut socket, e, extended_query).await?;
            if fatal {
                break;
            }
        }
        // A CancelRequest comes on a connection of its own, which ends.
        if cancel_request {
            break;
        }
    }
    // Whatever the last messages were answered with goes out before close.
    socket.get_mut().hold = false;
    socket.flush().await
}

/// Whether `buffered` (what the connection has read and not yet decoded)
/// holds a whole typed message. During startup every message is answered
/// at once, so this is false there.
fn holds_message(buffered: &[u8], state: PgWireConnectionState) -> bool {
    if matches!(
        state,
        PgWireConnectionState::AwaitingStartup | PgWireConnectionState::AuthenticationInProgress
    ) {
        return false;
    }
    match buffered {
        [_, a, b, c, d, ..] => {
            let len = u64::from(u32::from_be_bytes([*a, *b, *c, *d]));
            buffered.len() as u64 > len
        }
        _ => false,
    }
}

/// Sends a FATAL ErrorResponse; the caller then drops the socket.
async fn send_fatal(socket: &mut Socket, code: &str, message: String) -> io::Result<()> {
    socket.get_mut().hold = false;
    let info = ErrorInfo::new("FATAL".into(), code.into(), message);
    socket
        .send(PgWireBackendMessage::ErrorResponse(info.into()))
        .await?;
    socket.close().await
}

/// How long a connection cut in the middle of a message still reads (and
/// drops) what its client sends, so that the client reads the error
/// before the connection closes.
const LINGER: Duration = Duration::from_secs(1);

/// After the FATAL error for a message the server will not read: drops
/// what the client still sends until it hangs up or [`LINGER`] passes.
/// Closing a socket with unread data resets the connection, and the reset
/// can destroy the error before the client reads it.
async fn linger(socket: Socket) {
    use tokio::io::AsyncReadExt;
    let mut io = socket.into_parts().io.io;
    let mut scratch = [0u8; 8192];
    let _ = tokio::time::timeout(LINGER, async {
        while matches!(io.read(&mut scratch).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// Puts [`Limited`] under the negotiated socket, keeping what its buffers
/// already hold.
fn limit_messages(
    socket: Framed<MaybeTls, PgWireMessageServerCodec<Arc<Prepared>>>,
    max_message_bytes: usize,
) -> Socket {
    let old = socket.into_parts();
    let mut io = Limited::new(old.io, max_message_bytes);
    // Bytes already read (the start of the startup packet) are framed too.
    if let Err((_, violation)) = io.frames.scan(&old.read_buf, max_message_bytes) {
        io.violation = Some(violation);
    }
    let mut parts = FramedParts::new::<PgWireBackendMessage>(io, old.codec);
    parts.read_buf = old.read_buf;
    parts.write_buf = old.write_buf;
    Framed::from_parts(parts)
}

/// Why the byte stream was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Violation {
    /// A message longer than the limit; its length field.
    TooLarge(u64),
    /// A length field below 4 (it counts itself).
    BadLength(i32),
}

impl Violation {
    /// The SQLSTATE and message the client gets.
    fn describe(self, max: usize) -> (&'static str, String) {
        match self {
            Violation::TooLarge(len) => (
                "54000",
                format!(
                    "message of {len} bytes exceeds the server's limit of {max} bytes (max_message_bytes)"
                ),
            ),
            Violation::BadLength(len) => ("08P01", format!("invalid message length {len}")),
        }
    }

    fn io_error(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, format!("{self:?}"))
    }
}

/// Where the byte stream stands in the framing of frontend messages: the
/// first message (the startup packet or a CancelRequest) is a 4-byte
/// length and a body; every later one a type byte, a 4-byte length and a
/// body. The length counts itself and the body.
#[derive(Debug)]
enum Frames {
    /// In a header: the bytes of it seen so far.
    Header {
        typed: bool,
        seen: [u8; 5],
        got: usize,
    },
    /// In a body: how many of its bytes are still to come.
    Body { left: u64 },
}

impl Frames {
    /// Follows `bytes`; on a header past `max`, the offset in `bytes` where
    /// its message starts (0 when it started in an earlier read).
    fn scan(&mut self, mut bytes: &[u8], max: usize) -> Result<(), (usize, Violation)> {
        let total = bytes.len();
        let mut header_start = 0;
        while !bytes.is_empty() {
            match self {
                Frames::Body { left } => {
                    let n = bytes
                        .len()
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    bytes = &bytes[n..];
                    *left -= n as u64;
                    if *left == 0 {
                        *self = Frames::header();
                    }
                }
                Frames::Header { typed, seen, got } => {
                    if *got == 0 {
                        header_start = total - bytes.len();
                    }
                    let need = if *typed { 5 } else { 4 };
                    let n = bytes.len().min(need - *got);
                    seen[*got..*got + n].copy_from_slice(&bytes[..n]);
                    *got += n;
                    bytes = &bytes[n..];
                    if *got < need {
                        continue;
                    }
                    let field = [
                        seen[need - 4],
                        seen[need - 3],
                        seen[need - 2],
                        seen[need - 1],
                    ];
                    let field = i32::from_be_bytes(field);
                    let len = match u64::try_from(field) {
                        Ok(len) if len >= 4 => len,
                        _ => return Err((header_start, Violation::BadLength(field))),
                    };
                    if len > max as u64 {
                        return Err((header_start, Violation::TooLarge(len)));
                    }
                    *self = match len - 4 {
                        0 => Frames::header(),
                        left => Frames::Body { left },
                    };
                }
            }
        }
        Ok(())
    }

    /// The header of a typed message.
    fn header() -> Frames {
        Frames::Header {
            typed: true,
            seen: [0; 5],
            got: 0,
        }
    }
}

/// How many reply bytes [`Limited`] holds before it writes them even
/// while the connection has more messages to answer.
const HOLD_BYTES: usize = 64 << 10;

/// A connection's byte stream that follows the message framing and cuts
/// the stream at the header of a message longer than the limit, and holds
/// replies while `hold` is set (flushes are deferred until it is cleared).
pub(crate) struct Limited<S> {
    io: S,
    max: usize,
    frames: Frames,
    /// Set once a header broke the limit: the reads from then on fail.
    pub(crate) violation: Option<Violation>,
    /// Replies written and not yet sent.
    out: Vec<u8>,
    /// Whether a flush may wait: more client messages are already here.
    hold: bool,
}

impl<S> Limited<S> {
    fn new(io: S, max: usize) -> Self {
        Limited {
            io,
            max,
            frames: Frames::Header {
                typed: false,
                seen: [0; 5],
                got: 0,
            },
            violation: None,
            out: Vec::new(),
            hold: false,
        }
    }
}

impl<S: AsyncWrite + Unpin> Limited<S> {
    /// Writes out every held reply byte.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.out.is_empty() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.out))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(v) = this.violation {
            return Poll::Ready(Err(v.io_error()));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        if let Err((at, v)) = this.frames.scan(&buf.filled()[before..], this.max) {
            this.violation = Some(v);
            if at == 0 {
                return Poll::Ready(Err(v.io_error()));
            }
            // The messages before the oversize one are delivered; the next
            // read fails.
            buf.set_filled(before + at);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.out.len() >= HOLD_BYTES {
            ready!(this.poll_drain(cx))?;
        }
        this.out.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.hold {
            return Poll::Ready(Ok(()));
        }
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::{Frames, Violation};

    fn typed(tag: u8, body: usize) -> Vec<u8> {
        let mut m = vec![tag];
        m.extend_from_slice(&i32::try_from(body + 4).unwrap_or(i32::MAX).to_be_bytes());
        m.extend(std::iter::repeat_n(b'x', body));
        m
    }

    fn startup() -> Frames {
        Frames::Header {
            typed: false,
            seen: [0; 5],
            got: 0,
        }
    }

    #[test]
    fn frames_follow_messages_split_anywhere() {
        let mut stream = 12i32.to_be_bytes().to_vec();
        stream.extend_from_slice(b"startup!");
        stream.extend(typed(b'Q', 100));
        stream.extend(typed(b'S', 0));
        stream.extend(typed(b'Q', 1000));
        for split in 1..stream.len() {
            let mut frames = startup();
            let (a, b) = stream.split_at(split);
            assert_eq!(frames.scan(a, 1004), Ok(()));
            assert_eq!(frames.scan(b, 1004), Ok(()));
            assert!(matches!(frames, Frames::Header { got: 0, .. }));
        }
    }

    #[test]
    fn an_oversize_header_is_caught_where_its_message_starts() {
        let mut stream = 8i32.to_be_bytes().to_vec();
        stream.extend_from_slice(b"boot");
        stream.extend(typed(b'Q', 10));
        let start = stream.len();
        stream.extend(typed(b'Q', 2000));
        let mut frames = startup();
        assert_eq!(
            frames.scan(&stream, 1000),
            Err((start, Violation::TooLarge(2004)))
        );
        // A header split across reads: the message began in the earlier one.
        let mut frames = startup();
        assert_eq!(frames.scan(&stream[..start + 2], 1000), Ok(()));
        assert_eq!(
            frames.scan(&stream[start + 2..], 1000),
            Err((0, Violation::TooLarge(2004)))
        );
    }

    #[test]
    fn lengths_below_four_or_negative_are_invalid() {
        let mut frames = startup();
        assert_eq!(
            frames.scan(&3i32.to_be_bytes(), 1000),
            Err((0, Violation::BadLength(3)))
        );
        let mut frames = Frames::header();
        let mut m = vec![b'Q'];
        m.extend_from_slice(&(-1i32).to_be_bytes());
        assert_eq!(frames.scan(&m, 1000), Err((0, Violation::BadLength(-1))));
    }
}
