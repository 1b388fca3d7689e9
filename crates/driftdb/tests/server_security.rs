//! `driftdb serve` as clients meet it over a real socket: SCRAM and MD5
//! passwords (a wrong one is 28P01), TLS with `sslmode=require` and
//! `verify-full`, the connection limit (53300), the message size limit
//! (54000), `idle_in_transaction_session_timeout` (25P03), and the refusal
//! to listen beyond loopback without a password.
//!
//! Each test starts the real binary as a child on a free port. TLS tests
//! make their CA and certificates with the `openssl` command and connect
//! with `psql`; the others use the `postgres` crate or raw protocol bytes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::{Client, NoTls};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A `driftdb serve` child on a scratch data directory; killed when dropped.
struct Served {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Served {
    /// Starts `driftdb serve` with `args` and `password` (none: unset) and
    /// waits until it accepts connections.
    fn start(args: &[&str], password: Option<&str>) -> Result<Served> {
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_driftdb"));
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--http-listen")
            .arg("127.0.0.1:0")
            .args(args)
            .env("RUST_LOG", "warn")
            .env_remove("DRIFTDB_PASSWORD")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(p) = password {
            command.env("DRIFTDB_PASSWORD", p);
        }
        let mut served = Served {
            child: command.spawn()?,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(served);
            }
            if let Some(status) = served.child.try_wait()? {
                return Err(format!("driftdb serve exited at start: {status}").into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("driftdb serve did not start listening".into())
    }

    /// A libpq connection string to the server.
    fn conninfo(&self, extra: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=driftdb dbname=driftdb connect_timeout=10 {extra}",
            self.port
        )
    }

    fn connect(&self, password: Option<&str>) -> std::result::Result<Client, postgres::Error> {
        let extra = password.map_or(String::new(), |p| format!("password={p}"));
        Client::connect(&self.conninfo(&extra), NoTls)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The SQLSTATE of a failed connection or statement.
fn code(e: &postgres::Error) -> Option<&SqlState> {
    e.code()
}

/// Whether `e` came from the server resetting the connection (the error's
/// text does not say so; its source, an I/O error, does).
fn was_reset(e: &postgres::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionReset)
}

/// The first column of the first row of a simple query, as text.
fn first_value(client: &mut Client, sql: &str) -> Result<String> {
    for message in client.simple_query(sql)? {
        if let postgres::SimpleQueryMessage::Row(row) = message {
            return Ok(row.get(0).unwrap_or("NULL").to_string());
        }
    }
    Err(format!("no row from {sql}").into())
}

/// Runs `command`, which should exit (with an error) at start; fails if it
/// is still running after 20 s. Returns its status and stderr.
fn exits_at_start(command: &mut Command) -> Result<(std::process::ExitStatus, String)> {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("driftdb serve started where it should have refused".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr)?;
    }
    Ok((status, stderr))
}

/// Runs `psql` on `conninfo` with only `env` set; returns its exit status
/// success, stdout and stderr.
fn psql(conninfo: &str, sql: &[&str], env: &[(&str, &str)]) -> Result<(bool, String, String)> {
    let mut command = Command::new("psql");
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .args([
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            "VERBOSITY=verbose",
        ])
        .arg(conninfo);
    for s in sql {
        command.arg("-c").arg(s);
    }
    let out = command.output()?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn scram_takes_the_right_password_and_refuses_a_wrong_one_with_28p01() -> Result {
    let server = Served::start(&[], Some("s3cret"))?;
    let mut client = server.connect(Some("s3cret"))?;
    assert_eq!(first_value(&mut client, "SELECT 1")?, "1");

    let Err(e) = server.connect(Some("wrong")) else {
        return Err("a wrong password was accepted".into());
    };
    assert_eq!(code(&e), Some(&SqlState::INVALID_PASSWORD), "{e}");
    let Err(e) = server.connect(None) else {
        return Err("no password was accepted".into());
    };
    assert!(format!("{e:?}").contains("password missing"), "{e:?}");

    // The server asks for SCRAM-SHA-256 (not PLUS: no TLS here).
    let mut raw = Raw::startup(server.port)?;
    let (tag, body) = raw.message()?;
    assert_eq!(tag, b'R');
    assert_eq!(
        body.get(..4),
        Some(&10i32.to_be_bytes()[..]),
        "AuthenticationSASL"
    );
    assert_eq!(body.get(4..), Some(&b"SCRAM-SHA-256\0\0"[..]));

    // psql, too, sees the 28P01 message.
    let (ok, _, stderr) = psql(
        &server.conninfo(""),
        &["SELECT 1"],
        &[("PGPASSWORD", "nope")],
    )?;
    assert!(!ok);
    assert!(
        stderr.contains("password authentication failed for user \"driftdb\""),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn md5_when_configured() -> Result {
    let server = Served::start(&["--auth-method", "md5"], Some("old-driver"))?;
    let mut client = server.connect(Some("old-driver"))?;
    client.simple_query("SELECT 1")?;
    let Err(e) = server.connect(Some("wrong")) else {
        return Err("a wrong password was accepted".into());
    };
    assert_eq!(code(&e), Some(&SqlState::INVALID_PASSWORD), "{e}");

    // The server asks for MD5 with a 4-byte salt, a fresh one each time.
    let salt = |port| -> Result<Vec<u8>> {
        let (tag, body) = Raw::startup(port)?.message()?;
        assert_eq!(tag, b'R');
        assert_eq!(
            body.get(..4),
            Some(&5i32.to_be_bytes()[..]),
            "AuthenticationMD5Password"
        );
        Ok(body[4..].to_vec())
    };
    let (a, b) = (salt(server.port)?, salt(server.port)?);
    assert_eq!(a.len(), 4);
    assert_ne!(a, b);

    let (ok, out, err) = psql(
        &server.conninfo(""),
        &["SELECT 1"],
        &[("PGPASSWORD", "old-driver")],
    )?;
    assert!(ok, "{err}");
    assert_eq!(out, "1\n");
    Ok(())
}

/// A CA and a server certificate for `localhost` and 127.0.0.1 signed by
/// it, plus a second CA that signed nothing; made with `openssl`.
struct Certificates {
    ca: std::path::PathBuf,
    other_ca: std::path::PathBuf,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) -> Result {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

fn certificates(dir: &Path) -> Result<Certificates> {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for ca in ["ca", "other-ca"] {
        let (key, crt, subj) = (
            format!("{ca}.key"),
            format!("{ca}.crt"),
            format!("/CN=DriftDB test {ca}"),
        );
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend(["-keyout", &key, "-out", &crt, "-days", "2", "-subj", &subj]);
        args.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
        args.extend(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        openssl(dir, &args)?;
    }
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(dir, &args)?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    )?;
    Ok(Certificates {
        ca: dir.join("ca.crt"),
        other_ca: dir.join("other-ca.crt"),
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    })
}

#[test]
fn tls_require_and_verify_full_connect_and_a_wrong_ca_fails() -> Result {
    let certs_dir = tempfile::tempdir()?;
    let certs = certificates(certs_dir.path())?;
    let (cert, key) = (
        certs.cert.to_string_lossy().into_owned(),
        certs.key.to_string_lossy().into_owned(),
    );
    let server = Served::start(&["--tls-cert", &cert, "--tls-key", &key], Some("tls-pass"))?;
    let env = [("PGPASSWORD", "tls-pass")];
    let port = server.port;
    let base = format!("hostaddr=127.0.0.1 host=localhost port={port} user=driftdb dbname=driftdb");

    let (ok, out, err) = psql(
        &format!("{base} sslmode=require"),
        &["SELECT 1", "\\conninfo"],
        &env,
    )?;
    assert!(ok, "{err}");
    assert!(out.starts_with("1\n"), "{out}");
    assert!(out.contains("SSL connection (protocol: TLSv1.3"), "{out}");

    let ca = certs.ca.to_string_lossy();
    let verify_full = format!("{base} sslmode=verify-full sslrootcert={ca}");
    let (ok, out, err) = psql(&verify_full, &["SELECT 1"], &env)?;
    assert!(ok, "{err}");
    assert_eq!(out, "1\n");

    // SCRAM with channel binding (SCRAM-SHA-256-PLUS) over TLS.
    let (ok, out, err) = psql(
        &format!("{verify_full} channel_binding=require"),
        &["SELECT 1"],
        &env,
    )?;
    assert!(ok, "{err}");
    assert_eq!(out, "1\n");
    // A wrong password over TLS is still 28P01's message.
    let (ok, _, err) = psql(&verify_full, &["SELECT 1"], &[("PGPASSWORD", "wrong")])?;
    assert!(!ok);
    assert!(err.contains("password authentication failed"), "{err}");

    let other = certs.other_ca.to_string_lossy();
    let (ok, _, err) = psql(
        &format!("{base} sslmode=verify-full sslrootcert={other}"),
        &["SELECT 1"],
        &env,
    )?;
    assert!(!ok, "a certificate from another CA was trusted");
    assert!(err.contains("certificate verify failed"), "{err}");

    // Without TLS configured, sslmode=require is refused.
    let plain = Served::start(&[], Some("tls-pass"))?;
    let (ok, _, err) = psql(&plain.conninfo("sslmode=require"), &["SELECT 1"], &env)?;
    assert!(!ok);
    assert!(err.contains("server does not support SSL"), "{err}");
    Ok(())
}

#[test]
fn a_bad_tls_key_stops_the_server_at_start() -> Result {
    let dir = tempfile::tempdir()?;
    let certs = certificates(dir.path())?;
    let (cert, wrong_key) = (
        certs.cert.to_string_lossy().into_owned(),
        dir.path().join("ca.crt").to_string_lossy().into_owned(),
    );
    let (status, stderr) = exits_at_start(
        Command::new(env!("CARGO_BIN_EXE_driftdb"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--tls-cert",
                &cert,
                "--tls-key",
                &wrong_key,
            ])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env_remove("DRIFTDB_PASSWORD"),
    )?;
    assert!(!status.success());
    assert!(stderr.contains("holds no PEM private key"), "{stderr}");
    Ok(())
}

#[test]
fn the_connection_past_max_connections_gets_53300() -> Result {
    let server = Served::start(&["--max-connections", "2"], None)?;
    let mut first = server.connect(None)?;
    let mut second = server.connect(None)?;
    let Err(e) = server.connect(None) else {
        return Err("a third connection was admitted".into());
    };
    assert_eq!(code(&e), Some(&SqlState::TOO_MANY_CONNECTIONS), "{e}");
    first.simple_query("SELECT 1")?;
    second.simple_query("SELECT 1")?;
    // A closed connection frees its place.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match server.connect(None) {
            Ok(mut c) => {
                c.simple_query("SELECT 1")?;
                break;
            }
            Err(e) if Instant::now() < deadline => {
                assert_eq!(code(&e), Some(&SqlState::TOO_MANY_CONNECTIONS), "{e}");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[test]
fn listening_beyond_loopback_without_a_password_exits_nonzero() -> Result {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let (status, stderr) = exits_at_start(
        Command::new(env!("CARGO_BIN_EXE_driftdb"))
            .args(["serve", "--listen", &format!("0.0.0.0:{port}")])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env_remove("DRIFTDB_PASSWORD"),
    )?;
    assert!(!status.success());
    assert!(
        stderr.contains(&format!(
            "refusing to listen on 0.0.0.0:{port} without a password"
        )),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn idle_in_transaction_session_timeout_ends_the_connection_with_25p03() -> Result {
    let server = Served::start(&[], None)?;
    let mut client = server.connect(None)?;
    client.batch_execute("SET idle_in_transaction_session_timeout = 300")?;
    // Idle outside a block: no limit.
    std::thread::sleep(Duration::from_millis(600));
    client.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")?;
    client.batch_execute("BEGIN; INSERT INTO t VALUES (1)")?;
    // Busy statements in the block are not idleness.
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(100));
        client.batch_execute("SELECT 1")?;
    }
    std::thread::sleep(Duration::from_millis(900));
    let Err(e) = client.batch_execute("COMMIT") else {
        return Err("the idle block outlived its timeout".into());
    };
    assert_eq!(
        code(&e),
        Some(&SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT),
        "{e}"
    );
    assert!(
        client.batch_execute("SELECT 1").is_err(),
        "the connection is closed"
    );
    // The block was rolled back.
    let mut other = server.connect(None)?;
    assert_eq!(first_value(&mut other, "SELECT count(*) FROM t")?, "0");

    // psql sees the FATAL message.
    let (ok, _, err) = psql(
        &server.conninfo(""),
        &[
            "SET idle_in_transaction_session_timeout = '200ms'; BEGIN",
            "\\! sleep 1",
            "SELECT 1",
        ],
        &[],
    )?;
    assert!(!ok);
    assert!(
        err.contains("terminating connection due to idle-in-transaction timeout"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_message_past_max_message_bytes_gets_54000_and_a_closed_connection() -> Result {
    let server = Served::start(&["--max-message-bytes", "65536"], None)?;
    // Just under the limit works.
    let mut client = server.connect(None)?;
    let under = format!("SELECT length('{}')", "x".repeat(60_000));
    assert_eq!(first_value(&mut client, &under)?, "60000");
    let over = format!("SELECT '{}'", "y".repeat(70_000));
    // (The postgres crate reports the closed connection rather than the
    // error that came just before it.)
    assert!(
        client.simple_query(&over).is_err(),
        "an oversize query was run"
    );
    assert!(
        client.simple_query("SELECT 1").is_err(),
        "the connection is closed"
    );
    let (ok, _, err) = psql(&server.conninfo(""), &[&over], &[])?;
    assert!(!ok);
    assert!(
        err.contains(
            "FATAL:  54000: message of 70014 bytes exceeds the server's limit of 65536 bytes"
        ),
        "{err}"
    );

    // A header claiming 1 GiB: refused at the header, before any body.
    let mut raw = Raw::startup(server.port)?;
    raw.until_ready()?;
    let mut query = vec![b'Q'];
    query.extend_from_slice(&(1i32 << 30).to_be_bytes());
    query.extend_from_slice(b"SELECT ");
    raw.stream.write_all(&query)?;
    let (tag, body) = raw.message()?;
    assert_eq!(tag, b'E');
    let fields = error_fields(&body);
    assert!(fields.contains(&(b'S', "FATAL".into())), "{fields:?}");
    assert!(fields.contains(&(b'C', "54000".into())), "{fields:?}");
    let mut rest = Vec::new();
    raw.stream.read_to_end(&mut rest)?;
    assert!(rest.is_empty(), "the server closes after the error");

    // A negative length is a protocol violation.
    let mut raw = Raw::startup(server.port)?;
    raw.until_ready()?;
    raw.stream.write_all(&[b'Q', 0xff, 0xff, 0xff, 0xff])?;
    let (tag, body) = raw.message()?;
    assert_eq!(tag, b'E');
    assert!(error_fields(&body).contains(&(b'C', "08P01".into())));
    Ok(())
}

/// A connection speaking the protocol byte by byte.
struct Raw {
    stream: TcpStream,
}

impl Raw {
    /// Connects and sends a startup packet for driftdb/driftdb.
    fn startup(port: u16) -> Result<Raw> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut body = 196_608i32.to_be_bytes().to_vec();
        body.extend_from_slice(b"user\0driftdb\0database\0driftdb\0\0");
        let mut packet = i32::try_from(body.len() + 4)?.to_be_bytes().to_vec();
        packet.extend(body);
        let mut raw = Raw { stream };
        raw.stream.write_all(&packet)?;
        Ok(raw)
    }

    /// The next backend message: its type and body.
    fn message(&mut self) -> Result<(u8, Vec<u8>)> {
        let mut header = [0u8; 5];
        self.stream.read_exact(&mut header)?;
        let len = i32::from_be_bytes([header[1], header[2], header[3], header[4]]);
        let mut body = vec![0u8; usize::try_from(len)?.saturating_sub(4)];
        self.stream.read_exact(&mut body)?;
        Ok((header[0], body))
    }

    /// Reads up to the first ReadyForQuery.
    fn until_ready(&mut self) -> Result {
        loop {
            match self.message()? {
                (b'Z', _) => return Ok(()),
                (b'E', body) => return Err(format!("{:?}", error_fields(&body)).into()),
                _ => {}
            }
        }
    }
}

/// The fields of an ErrorResponse body.
fn error_fields(body: &[u8]) -> Vec<(u8, String)> {
    body.split(|b| *b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| (f[0], String::from_utf8_lossy(&f[1..]).into_owned()))
        .collect()
}

#[test]
fn a_cancel_request_stops_the_running_statement() -> Result {
    let server = Served::start(&[], None)?;
    let mut client = server.connect(None)?;
    client.batch_execute(
        "CREATE TABLE n (i INTEGER); \
         INSERT INTO n VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10); \
         INSERT INTO n SELECT a.i FROM n a, n b; INSERT INTO n SELECT a.i FROM n a, n b",
    )?;
    let token = client.cancel_token();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        token.cancel_query(NoTls)
    });
    let started = Instant::now();
    let result = client.batch_execute("SELECT count(*) FROM n a, n b");
    // The server closes a cancel connection as soon as it has read the
    // request; on a loaded machine the client can see that close as a reset
    // while it shuts its side down. What counts is that the statement stopped.
    match canceller.join().map_err(|_| "the canceller panicked")? {
        Ok(()) => {}
        Err(e) if was_reset(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let Err(e) = result else {
        return Err("the statement was not canceled".into());
    };
    assert_eq!(code(&e), Some(&SqlState::QUERY_CANCELED), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(first_value(&mut client, "SELECT 1")?, "1");
    Ok(())
}
