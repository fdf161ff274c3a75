//! `wss://`: the server's own TLS (rustls), the Rust client and the CLI
//! trusting a private CA, and an untrusted certificate refused, with
//! certificates made here, at test time.

use std::net::SocketAddr;
use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use swill_client::{Client, Error};
use swill_tests::cluster::{Node, swill_binary};
use tokio_rustls::rustls::pki_types::pem::PemObject;

/// A CA, and a certificate for `localhost` and 127.0.0.1 that it signed,
/// as PEM files in a directory of their own.
struct Certs {
    dir: PathBuf,
    ca: String,
}

impl Certs {
    fn new() -> Certs {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "swill test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let server = CertificateParams::new(names).unwrap();
        let cert = server.signed_by(&key, &ca_cert, &ca_key).unwrap();

        let unique = format!(
            "swill-tls-{}-{}",
            std::process::id(),
            swill_tests::free_port()
        );
        let dir = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
        Certs {
            dir,
            ca: ca_cert.pem(),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The demo app served over TLS on a free port.
async fn serve_tls(certs: &Certs) -> SocketAddr {
    let config =
        swill::tls::config_from_pem(certs.path("cert.pem"), certs.path("key.pem")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = swill::serve(listener, swill_examples::demo::app()).tls(config);
    tokio::spawn(async move { server.await });
    addr
}

/// A client of `url` that trusts the test CA.
async fn trusting(certs: &Certs, url: String) -> Client {
    Client::builder(url)
        .root_certificates_pem(certs.ca.clone())
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_trusting_the_private_ca_calls_over_wss() {
    let certs = Certs::new();
    let addr = serve_tls(&certs).await;
    for host in ["localhost", "127.0.0.1"] {
        let client = trusting(&certs, format!("wss://{host}:{}/ws", addr.port())).await;
        assert_eq!(client.call::<i64>("add", &(1, 2)).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_connection_failure_that_says_so() {
    let certs = Certs::new();
    let addr = serve_tls(&certs).await;
    let error = Client::connect(format!("wss://localhost:{}/ws", addr.port()))
        .await
        .unwrap_err();
    match &error {
        Error::Connect { reason, .. } => {
            assert!(reason.contains("not trusted"), "{reason}");
            assert!(reason.contains("the CA that signed it"), "{reason}");
        }
        other => panic!("expected a connection failure, got {other:?}"),
    }
    // Nothing else is lost: a trusting client is served.
    let client = trusting(&certs, format!("wss://localhost:{}/ws", addr.port())).await;
    assert_eq!(client.call::<i64>("add", &(2, 2)).await.unwrap(), 4);
}

/// A certificate from the trusted CA, but expired: the message says so,
/// not that the CA is missing (it was given).
#[tokio::test]
async fn an_expired_certificate_is_refused_as_expired() {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(2020, 1, 2);
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();
    let mut certs = Certs::new();
    std::fs::write(certs.dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(certs.dir.join("key.pem"), key.serialize_pem()).unwrap();
    certs.ca = ca_cert.pem();
    let addr = serve_tls(&certs).await;
    let error = Client::builder(format!("wss://localhost:{}/ws", addr.port()))
        .root_certificates_pem(certs.ca.clone())
        .connect()
        .await
        .unwrap_err();
    match &error {
        Error::Connect { reason, .. } => {
            assert!(reason.contains("has expired"), "{reason}");
            assert!(!reason.contains("the CA that signed it"), "{reason}");
        }
        other => panic!("expected a connection failure, got {other:?}"),
    }
}

/// A trusted certificate for other names: the message says it is the
/// name, not the trust, so that nobody goes looking for a CA file.
#[tokio::test]
async fn a_certificate_for_other_names_is_refused_for_the_name() {
    let certs = Certs::new();
    let addr = serve_tls(&certs).await;
    let error = Client::builder(format!("wss://api.example.com:{}/ws", addr.port()))
        .root_certificates_pem(certs.ca.clone())
        .transport(move || tokio::net::TcpStream::connect(addr))
        .connect()
        .await
        .unwrap_err();
    match &error {
        Error::Connect { reason, .. } => {
            assert!(
                reason.contains("not valid for `api.example.com`"),
                "{reason}"
            );
            assert!(!reason.contains("not trusted"), "{reason}");
        }
        other => panic!("expected a connection failure, got {other:?}"),
    }
}

/// PEM that holds no certificate is the program's mistake, refused before
/// anything is dialed (nothing listens at the URL's port), not a
/// connection failure.
#[tokio::test]
async fn a_root_pem_that_holds_no_certificate_is_refused_before_dialing() {
    let port = swill_tests::free_port();
    for pem in [
        &b""[..],
        b"not a certificate",
        b"-----BEGIN CERTIFICATE-----\nxx\n",
    ] {
        let error = Client::builder(format!("wss://localhost:{port}/ws"))
            .root_certificates_pem(pem)
            .connect()
            .await
            .unwrap_err();
        match &error {
            Error::Invalid(reason) => assert!(reason.contains("root certificate"), "{reason}"),
            other => panic!("expected Error::Invalid, got {other:?}"),
        }
    }
    // Only wss:// reads it: a ws:// client given one connects as before.
    let addr = swill_tests::start_demo().await;
    let client = Client::builder(format!("ws://{addr}/ws"))
        .root_certificates_pem(&b"not a certificate"[..])
        .connect()
        .await
        .unwrap();
    assert_eq!(client.call::<i64>("add", (1, 2)).await.unwrap(), 3);
}

/// The certificate `openssl req -x509` makes by default: self-signed and
/// marked as a CA. Given to the client as is, it is trusted for the names
/// it holds; another such certificate is not.
#[tokio::test]
async fn a_self_signed_certificate_marked_as_a_ca_is_trusted_when_given() {
    let self_signed = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        (params.self_signed(&key).unwrap(), key)
    };
    let (cert, key) = self_signed("localhost");
    let certs = Certs::new();
    std::fs::write(certs.dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(certs.dir.join("key.pem"), key.serialize_pem()).unwrap();
    let addr = serve_tls(&certs).await;
    let url = |host: &str| format!("wss://{host}:{}/ws", addr.port());
    let given =
        |pem: String, url: String| Client::builder(url).root_certificates_pem(pem).connect();
    let client = given(cert.pem(), url("localhost")).await.unwrap();
    assert_eq!(client.call::<i64>("add", &(1, 2)).await.unwrap(), 3);
    // Its names are still checked: it does not hold 127.0.0.1.
    let error = given(cert.pem(), url("127.0.0.1")).await.unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    // Another self-signed CA certificate is no reason to trust this one.
    let (other, _) = self_signed("localhost");
    let error = given(other.pem(), url("localhost")).await.unwrap_err();
    match &error {
        Error::Connect { reason, .. } => {
            assert!(reason.contains("self-signed"), "{reason}");
            assert!(reason.contains("not trusted"), "{reason}");
            assert!(!reason.contains("CaUsedAsEndEntity"), "{reason}");
        }
        other => panic!("expected a connection failure, got {other:?}"),
    }
}

#[tokio::test]
async fn plain_websocket_to_a_tls_port_fails_and_harms_nothing() {
    let certs = Certs::new();
    let addr = serve_tls(&certs).await;
    let plain = Client::connect(format!("ws://127.0.0.1:{}/ws", addr.port())).await;
    match &plain {
        // The hint names the other scheme.
        Err(Error::Connect { reason, .. }) => assert!(reason.contains("use wss://"), "{reason}"),
        other => panic!("expected a connection failure, got {other:?}"),
    }
    let client = trusting(&certs, format!("wss://127.0.0.1:{}/ws", addr.port())).await;
    assert_eq!(client.call::<i64>("add", &(3, 3)).await.unwrap(), 6);
}

#[tokio::test]
async fn tls_to_a_plain_port_fails_with_a_hint() {
    let addr = swill_tests::start_demo().await;
    let secure = Client::builder(format!("wss://127.0.0.1:{}/ws", addr.port()))
        .connect()
        .await;
    match &secure {
        Err(Error::Connect { reason, .. }) => assert!(reason.contains("use ws://"), "{reason}"),
        other => panic!("expected a connection failure, got {other:?}"),
    }
}

/// GET `path` over TLS (trusting the test CA), the response as text.
async fn https_get(certs: &Certs, addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    let ca = rustls::pki_types::CertificateDer::from_pem_slice(certs.ca.as_bytes()).unwrap();
    roots.add(ca).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    let _ = tls.read_to_string(&mut response).await;
    response
}

#[tokio::test]
async fn over_the_servers_own_tls_the_app_knows_it_is_secure() {
    let certs = Certs::new();
    let config =
        swill::tls::config_from_pem(certs.path("cert.pem"), certs.path("key.pem")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = swill::serve(listener, swill_examples::demo::app()).tls(config);
    tokio::spawn(async move { server.await });
    // The AsyncAPI document tells clients to use wss://.
    let response = https_get(&certs, addr, "/asyncapi.json").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let doc: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(doc["servers"]["swill"]["protocol"], "wss");
}

#[test]
fn pem_files_that_hold_nothing_are_refused_with_the_file_named() {
    let certs = Certs::new();
    let empty = certs.dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let error = swill::tls::config_from_pem(&empty, certs.path("key.pem")).unwrap_err();
    assert!(error.to_string().contains("empty.pem"), "{error}");
    let error = swill::tls::config_from_pem(certs.path("cert.pem"), &empty).unwrap_err();
    assert!(error.to_string().contains("no PEM private key"), "{error}");
}

#[tokio::test]
async fn the_demo_serves_wss_and_the_cli_trusts_a_ca_file() {
    let certs = Certs::new();
    let node = Node::spawn(&[
        "--tls-cert",
        &certs.path("cert.pem"),
        "--tls-key",
        &certs.path("key.pem"),
    ])
    .await;
    let url = format!("wss://localhost:{}/ws", node.addr.port());
    let run = |extra: &[&str]| {
        std::process::Command::new(swill_binary())
            .args(["call", &url, "add", "[1, 2]"])
            .args(extra)
            .output()
            .unwrap()
    };
    let trusted = run(&["--ca", &certs.path("ca.pem")]);
    assert_eq!(
        trusted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&trusted.stdout), "3\n");
    let untrusted = run(&[]);
    assert_eq!(untrusted.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(stderr.contains("not trusted"), "{stderr}");
    // A CA file with no certificate in it is the user's mistake, not the
    // network's.
    let junk = certs.dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let mistaken = run(&["--ca", junk.to_str().unwrap()]);
    assert_eq!(mistaken.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&mistaken.stderr);
    assert!(stderr.contains("no PEM certificate"), "{stderr}");
    assert!(stderr.contains("junk.pem"), "the file is named: {stderr}");
}
