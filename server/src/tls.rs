//! Serving `wss://` (feature `tls`): rustls, through tokio-rustls, with
//! the `ring` provider.
//!
//! ```no_run
//! # async fn run(app: swill::App) -> std::io::Result<()> {
//! let tls = swill::tls::config_from_pem("cert.pem", "key.pem")?;
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
//! swill::serve(listener, app).tls(tls).await
//! # }
//! ```
//!
//! Build the [`rustls::ServerConfig`] yourself for client certificates,
//! other protocol versions or a certificate resolver; swill only needs it
//! to offer `http/1.1` in ALPN (the WebSocket upgrade is HTTP/1.1), which
//! [`config_from_pem`] does.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How long a client may take over the TLS handshake before it is
/// dropped: a peer that opens a connection and says nothing must not hold
/// a task for ever.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server configuration from PEM files: `cert`, the certificate chain
/// (the server's certificate first), and `key`, its private key (PKCS#8,
/// PKCS#1 or SEC1). Offers TLS 1.2 and 1.3 and ALPN `http/1.1`.
///
/// Fails with [`io::ErrorKind::InvalidInput`] and a message naming the
/// file when a file is missing, holds no certificate or no key, or the key
/// does not fit the certificate.
pub fn config_from_pem(
    cert: impl AsRef<Path>,
    key: impl AsRef<Path>,
) -> io::Result<Arc<rustls::ServerConfig>> {
    let (cert, key) = (cert.as_ref(), key.as_ref());
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| invalid(format!("{}: {e}", cert.display())))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("{}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(invalid(format!("{}: no PEM certificate", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| invalid(format!("{}: no PEM private key: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid(format!("the key does not fit the certificate: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
