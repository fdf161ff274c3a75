//! Helpers for the production-behaviour tests: an event log that hooks
//! write to, and raw HTTP for handshakes the WebSocket client hides.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// A shared, ordered log of what happened, plus a channel to await entries.
#[derive(Clone)]
pub struct Log {
    entries: Arc<Mutex<Vec<String>>>,
    tx: mpsc::UnboundedSender<String>,
}

/// The receiving end of a [`Log`], to wait for a given entry.
pub struct Watch(mpsc::UnboundedReceiver<String>);

pub fn log() -> (Log, Watch) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        Log {
            entries: Arc::default(),
            tx,
        },
        Watch(rx),
    )
}

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        let entry = entry.into();
        self.entries.lock().expect("log").push(entry.clone());
        let _ = self.tx.send(entry);
    }

    pub fn entries(&self) -> Vec<String> {
        self.entries.lock().expect("log").clone()
    }
}

impl Watch {
    /// Waits until an entry equal to `entry` is pushed.
    pub async fn until(&mut self, entry: &str) {
        let wait = async {
            while let Some(e) = self.0.recv().await {
                if e == entry {
                    return;
                }
            }
            panic!("the log closed before {entry:?}");
        };
        tokio::time::timeout(swill_tests::PATIENCE, wait)
            .await
            .unwrap_or_else(|_| panic!("{entry:?} never happened"));
    }
}

/// Sends a raw HTTP/1.1 upgrade request with extra headers and returns the
/// open socket and the response head (status line and headers).
pub async fn handshake(
    addr: SocketAddr,
    path: &str,
    extra: &[(&str, &str)],
) -> (TcpStream, String) {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    );
    for (k, v) in extra {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tcp.read(&mut byte).await.expect("read");
        assert!(n == 1, "the server closed during the handshake");
        head.push(byte[0]);
    }
    (tcp, String::from_utf8_lossy(&head).into_owned())
}

/// The status code of a response head.
pub fn status(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line")
}

/// A plain HTTP request; returns the whole response as text.
pub async fn http_get(addr: SocketAddr, path: &str, extra: &[(&str, &str)]) -> String {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in extra {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(swill_tests::PATIENCE, tcp.read_to_end(&mut out))
        .await
        .expect("the server answered in time")
        .expect("read");
    String::from_utf8_lossy(&out).into_owned()
}
