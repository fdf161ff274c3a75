//! `wss://` (feature `tls`): rustls with the `ring` provider, trusting the
//! platform's roots (rustls-native-certs) and any PEM the builder was given.

use std::sync::Arc;

use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::{WebPkiServerVerifier, verify_server_name};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::server::ParsedCertificate;
use tokio_rustls::rustls::{
    self, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_tungstenite::tungstenite::{self, error::UrlError};

use crate::builder::{Config, Io};

/// The TLS handshake for `host` over `stream` (TCP, or a transport of the
/// user's).
pub(super) async fn wrap(
    config: &Config,
    host: &str,
    stream: Box<dyn Io>,
) -> Result<Box<dyn Io>, tungstenite::Error> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| tungstenite::Error::Url(UrlError::NoHostName))?;
    let settings = client_config(config).map_err(|what| {
        tungstenite::Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, what))
    })?;
    let connector = TlsConnector::from(settings);
    let stream = connector.connect(name, stream).await.map_err(|e| {
        // rustls reports a refused certificate as an I/O error; say what
        // it means and what to do.
        let refused = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .and_then(|e| match e {
                rustls::Error::InvalidCertificate(why) => Some(why),
                _ => None,
            });
        let message = match refused {
            Some(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => format!(
                "TLS: the server's certificate is not valid for `{host}` ({e}); connect with \
                 a name the certificate holds"
            ),
            Some(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => format!(
                "TLS: the server's certificate has expired ({e}); the server needs a new one"
            ),
            Some(CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }) => {
                format!(
                    "TLS: the server's certificate is not valid yet ({e}); check this \
                     machine's clock"
                )
            }
            Some(CertificateError::Other(other))
                if other.0.downcast_ref::<webpki::Error>()
                    == Some(&webpki::Error::CaUsedAsEndEntity) =>
            {
                "TLS: the server's certificate is self-signed (a CA's certificate) and not \
                 trusted; give the client that certificate (a PEM file) to trust it"
                    .to_owned()
            }
            Some(_) => format!(
                "TLS: the server's certificate is not trusted ({e}); give the client the \
                 certificate of the CA that signed it (a PEM file) to trust it, or the \
                 server's own certificate if it is self-signed"
            ),
            None if is_not_tls(&e) => format!(
                "TLS handshake failed: the server's answer is not TLS ({e}); if it speaks plain \
                 WebSocket, use ws://"
            ),
            None => format!("TLS handshake failed: {e}"),
        };
        tungstenite::Error::Io(std::io::Error::new(e.kind(), message))
    })?;
    Ok(Box::new(stream))
}

/// Whether the handshake failed on bytes that are not TLS records (an HTTP
/// answer from a plain server).
fn is_not_tls(e: &std::io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)
            )
        })
}

/// Builds the client's TLS settings before the first dial, so that PEM
/// holding no certificate is the program's mistake
/// ([`Error::Invalid`](crate::Error::Invalid)), not a connection failure.
pub(crate) fn check(config: &Config) -> Result<(), crate::Error> {
    client_config(config)
        .map(drop)
        .map_err(crate::Error::Invalid)
}

/// The client's TLS settings, built on first use.
fn client_config(config: &Config) -> Result<Arc<ClientConfig>, String> {
    if let Some(built) = config.tls.get() {
        return Ok(built.clone());
    }
    let built = build(config)?;
    // Two first dials at once both build; either result will do.
    Ok(config.tls.get_or_init(|| built).clone())
}

/// The platform's roots plus the builder's PEM certificates.
fn build(config: &Config) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    // A platform store that cannot be read leaves the builder's roots.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    let mut given = Vec::new();
    for pem in &config.roots_pem {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("a root certificate is not PEM: {e}"))?;
        if certs.is_empty() {
            return Err("the root certificate PEM holds no certificate".to_owned());
        }
        for cert in certs {
            roots
                .add(cert.clone())
                .map_err(|e| format!("a root certificate was refused: {e}"))?;
            given.push(cert);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let verifier = Arc::new(RootsOrGiven { roots, given });
    let mut tls = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(tls))
}

/// The usual verification against the roots, plus one case it refuses: the
/// server presents, as is, a certificate the builder was given, and that
/// certificate is marked as a CA. `openssl req -x509` makes such
/// self-signed certificates by default, and webpki refuses a CA's
/// certificate as a server's own, where OpenSSL, curl and Python accept it
/// once it is trusted. Trusting the very certificate the user named is no
/// weaker than trusting it as a root; its names are still checked, and
/// every other failure (an expired certificate included) stands.
#[derive(Debug)]
struct RootsOrGiven {
    roots: Arc<WebPkiServerVerifier>,
    /// The certificates the builder was given (`--ca` in the CLI).
    given: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for RootsOrGiven {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.roots.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verdict {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(other)))
                if other.0.downcast_ref::<webpki::Error>()
                    == Some(&webpki::Error::CaUsedAsEndEntity)
                    && self.given.iter().any(|cert| cert == end_entity) =>
            {
                verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            verdict => verdict,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.roots.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.roots.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.roots.supported_verify_schemes()
    }
}
