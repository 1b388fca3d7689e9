//! TLS: the server's certificate chain and private key (PEM files) made
//! into the rustls acceptor a connection's SSLRequest is handed to. rustls
//! runs on ring, the one crypto provider pgwire is built with.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The ALPN protocol name of PostgreSQL; clients that open TLS directly
/// (PostgreSQL 17's `sslnegotiation=direct`) require it.
const ALPN_POSTGRESQL: &[u8] = b"postgresql";

/// Where a server's certificate and key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, PEM: the server's certificate first, then any
    /// intermediates.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key: PathBuf,
}

/// A server's loaded TLS setup.
pub(crate) struct Tls {
    /// Accepts a connection's TLS handshake.
    pub(crate) acceptor: TlsAcceptor,
    /// The certificate file as read: SCRAM's channel binding hashes its
    /// first certificate.
    pub(crate) cert_pem: Vec<u8>,
}

/// Reads `files` and builds the acceptor; the error says which file is
/// wrong and why.
pub(crate) fn load(files: &TlsFiles) -> Result<Tls, String> {
    let cert_pem = std::fs::read(&files.cert)
        .map_err(|e| format!("cannot read TLS certificate {}: {e}", files.cert.display()))?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("TLS certificate {}: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "TLS certificate {} holds no PEM certificate",
            files.cert.display()
        ));
    }
    let key = read_key(&files.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "TLS certificate {} and key {}: {e}",
                files.cert.display(),
                files.key.display()
            )
        })?;
    config.alpn_protocols = vec![ALPN_POSTGRESQL.to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_pem,
    })
}

/// The first private key of the PEM file at `path`.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read TLS key {}: {e}", path.display()))?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => {
            format!("TLS key {} holds no PEM private key", path.display())
        }
        e => format!("TLS key {}: {e}", path.display()),
    })
}

/// `N` bytes from the provider's secure random source (salts of the
/// password exchanges).
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .is_err()
    {
        // The system's random source failing is not recoverable; a salt
        // from the clock and the hasher's keys is still unique per exchange.
        use std::hash::{BuildHasher, RandomState};
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            let h = RandomState::new().hash_one((std::time::SystemTime::now(), i));
            chunk.copy_from_slice(&h.to_le_bytes()[..chunk.len()]);
        }
    }
    bytes
}
