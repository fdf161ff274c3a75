//! Shared pieces of the integration tests: starting servers on 127.0.0.1
//! and a raw-frame WebSocket client that speaks bytes, not our client API,
//! so the tests check the wire itself.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use swill::App;
use swill_proto::{
    ErrorBody, Payload, RequestFrame, RequestType, ResponseFrame, ResponseType, Seq,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Response;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub mod cluster;
pub mod redis;

/// A port of 127.0.0.1 that was free a moment ago, for servers that take
/// a port number rather than a listener (redis-server, a restarted node).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// How long a test waits for a frame before it fails instead of hanging.
/// A guard against a stuck test, never a way to wait for something.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Serves `app` on a free port of 127.0.0.1 and returns its address.
pub async fn start<S>(app: App<S>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let server = swill::serve(listener, app);
    tokio::spawn(async move { server.await });
    addr
}

/// Serves the demo app.
pub async fn start_demo() -> SocketAddr {
    start(swill_examples::demo::app()).await
}

/// A WebSocket client that sends and receives raw Swill frames.
pub struct Raw {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Raw {
    /// Connects to `/ws`, offering `swill.v1`.
    pub async fn connect(addr: SocketAddr) -> Raw {
        Raw::connect_offering(addr, Some("swill.v1")).await
    }

    /// Connects to `/ws`, offering the given subprotocol header (or none).
    pub async fn connect_offering(addr: SocketAddr, protocols: Option<&str>) -> Raw {
        Raw::connect_with_response(addr, protocols).await.0
    }

    /// Connects to `/ws`, offering the given subprotocol header (or none),
    /// and returns the server's 101 response too.
    pub async fn connect_with_response(
        addr: SocketAddr,
        protocols: Option<&str>,
    ) -> (Raw, Response) {
        let mut request = format!("ws://{addr}/ws")
            .into_client_request()
            .expect("request");
        if let Some(p) = protocols {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(p).expect("header"),
            );
        }
        let (ws, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connect");
        (Raw { ws }, response)
    }

    /// Speaks WebSocket over a TCP stream whose handshake was done by hand
    /// (see [`http_get`]).
    pub async fn from_upgraded(tcp: TcpStream) -> Raw {
        let ws =
            WebSocketStream::from_raw_socket(MaybeTlsStream::Plain(tcp), Role::Client, None).await;
        Raw { ws }
    }

    /// Sends a MESSAGE frame `[seq, data, rpc]`.
    pub async fn call(&mut self, seq: impl Into<Seq>, rpc: &str, data: impl Serialize) {
        self.send_frame(&message(seq, rpc, data)).await;
    }

    /// Sends a frame without data: END_OF_STREAM, METADATA or CANCEL.
    pub async fn control(&mut self, seq: impl Into<Seq>, rpc: &str, kind: RequestType) {
        self.send_frame(&RequestFrame::control(seq, rpc, kind))
            .await;
    }

    /// The next frame, which must be a MESSAGE for `seq`; returns its data.
    pub async fn recv_message<T: DeserializeOwned>(&mut self, seq: impl Into<Seq>) -> T {
        let frame = self.recv().await;
        expect_message(&frame, seq)
    }

    /// The next frame, which must be END_OF_STREAM for `seq` without metadata.
    pub async fn recv_end(&mut self, seq: impl Into<Seq>) {
        let seq = seq.into();
        let frame = self.recv().await;
        assert_eq!(
            frame,
            ResponseFrame::end_of_stream(seq),
            "expected a bare END_OF_STREAM for seq {seq}"
        );
    }

    /// The next frame, which must be an ERROR for `seq`; returns its body.
    pub async fn recv_error(&mut self, seq: impl Into<Seq>) -> ErrorBody {
        let frame = self.recv().await;
        expect_error(&frame, seq)
    }

    /// Asserts that the connection still works and that nothing else is
    /// queued before the answer: sends `add [seq, 1]` and checks that the
    /// very next frame is its answer.
    pub async fn assert_next_is_answer_to_add(&mut self, seq: i64) {
        self.call(seq, "add", (seq, 1)).await;
        let frame = self.recv().await;
        assert_eq!(
            frame,
            ResponseFrame::message(seq, Payload::encode(&(seq + 1)).unwrap()),
            "the next frame should be the answer to add (seq {seq})"
        );
    }

    /// Sends raw bytes as one binary frame.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.ws
            .send(Message::Binary(bytes.to_vec().into()))
            .await
            .expect("send");
    }

    /// Sends an encoded request frame.
    pub async fn send_frame(&mut self, frame: &RequestFrame) {
        self.send(&frame.encode()).await;
    }

    /// Sends many request frames in one burst: written together, flushed
    /// once, so that the server finds them all waiting to be read.
    pub async fn send_burst(&mut self, frames: impl IntoIterator<Item = RequestFrame>) {
        for frame in frames {
            let message = Message::Binary(frame.encode().into());
            self.ws.feed(message).await.expect("send");
        }
        self.ws.flush().await.expect("flush");
    }

    /// Sends any WebSocket message.
    pub async fn send_message(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// The next message from the server, or None when the stream ended.
    pub async fn next_message(&mut self) -> Option<Result<Message, tungstenite::Error>> {
        tokio::time::timeout(PATIENCE, self.ws.next())
            .await
            .expect("the server answered in time")
    }

    /// The bytes of the next binary frame.
    pub async fn recv_bytes(&mut self) -> Vec<u8> {
        loop {
            match self.next_message().await {
                Some(Ok(Message::Binary(b))) => return b.to_vec(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a binary frame, got {other:?}"),
            }
        }
    }

    /// The next response frame, decoded.
    pub async fn recv(&mut self) -> ResponseFrame {
        let bytes = self.recv_bytes().await;
        ResponseFrame::decode(bytes.into()).expect("the server sends valid frames")
    }

    /// Waits for the server's close frame.
    pub async fn recv_close(&mut self) -> Option<CloseFrame> {
        loop {
            match self.next_message().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// Closes the connection from the client side.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// A MESSAGE frame `[seq, data, rpc]`.
pub fn message(seq: impl Into<Seq>, rpc: &str, data: impl Serialize) -> RequestFrame {
    RequestFrame::message(seq, rpc, Payload::encode(&data).expect("test data encodes"))
}

/// Checks that `frame` is a MESSAGE for `seq` and decodes its data.
pub fn expect_message<T: DeserializeOwned>(frame: &ResponseFrame, seq: impl Into<Seq>) -> T {
    let seq = seq.into();
    assert_eq!(
        (frame.seq, frame.kind),
        (seq, ResponseType::Message),
        "expected a MESSAGE for seq {seq}, got {frame:?}"
    );
    frame
        .data
        .decode()
        .expect("the answer has the expected type")
}

/// Checks that `frame` is an ERROR for `seq` without metadata; returns its body.
pub fn expect_error(frame: &ResponseFrame, seq: impl Into<Seq>) -> ErrorBody {
    let seq = seq.into();
    assert_eq!(
        (frame.seq, frame.kind),
        (seq, ResponseType::Error),
        "expected an ERROR for seq {seq}, got {frame:?}"
    );
    assert_eq!(frame.leading, None, "an ERROR carries no leading metadata");
    assert_eq!(
        frame.trailing, None,
        "an ERROR carries no trailing metadata"
    );
    ErrorBody::from_payload(&frame.data).expect("an ERROR carries an error body")
}

/// Whether `word` appears in `text` as a whole word (delimited by anything
/// but letters, digits and `_`), so that `id` is not found in `invalid`.
pub fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == word)
}

/// Sends events from handlers to the test: "started", "dropped", ...
///
/// Handlers hold a [`DropGuard`] so the test can await the moment the server
/// drops them, instead of sleeping and hoping.
#[derive(Clone, Debug)]
pub struct Probe(mpsc::UnboundedSender<String>);

/// The test's end of a [`Probe`].
#[derive(Debug)]
pub struct Events {
    rx: mpsc::UnboundedReceiver<String>,
    seen: HashSet<String>,
}

/// A probe and the events it sends.
pub fn probe() -> (Probe, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        Probe(tx),
        Events {
            rx,
            seen: HashSet::new(),
        },
    )
}

impl Probe {
    /// Sends an event.
    pub fn fire(&self, event: impl Into<String>) {
        let _ = self.0.send(event.into());
    }

    /// A guard that fires "`name` dropped" when it is dropped.
    pub fn guard(&self, name: &str) -> DropGuard {
        DropGuard {
            probe: self.clone(),
            name: name.to_owned(),
        }
    }
}

/// Fires "`name` dropped" when dropped; see [`Probe::guard`].
#[derive(Debug)]
pub struct DropGuard {
    probe: Probe,
    name: String,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.probe.fire(format!("{} dropped", self.name));
    }
}

impl Events {
    /// Waits until `event` has been fired (now or earlier).
    pub async fn expect(&mut self, event: &str) {
        let wait = async {
            while !self.seen.contains(event) {
                let next = self.rx.recv().await.expect("the probe is alive");
                self.seen.insert(next);
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .unwrap_or_else(|_| panic!("`{event}` did not happen in time"));
    }

    /// Whether `event` has been fired, as far as is known without waiting.
    pub fn has_happened(&mut self, event: &str) -> bool {
        while let Ok(next) = self.rx.try_recv() {
            self.seen.insert(next);
        }
        self.seen.contains(event)
    }
}

/// A door a handler waits at until the test opens it, once per pass.
#[derive(Clone, Debug)]
pub struct Gate(Arc<Semaphore>);

impl Default for Gate {
    fn default() -> Self {
        Gate::new()
    }
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Gate {
        Gate(Arc::new(Semaphore::new(0)))
    }

    /// Lets one waiter (present or future) through.
    pub fn open(&self) {
        self.0.add_permits(1);
    }

    /// Waits until the gate is opened.
    pub async fn pass(&self) {
        self.0
            .acquire()
            .await
            .expect("the gate is never closed")
            .forget();
    }
}

/// An HTTP response read off a raw TCP connection.
#[derive(Debug)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (Content-Length bytes; empty for a 101).
    pub body: Vec<u8>,
    /// The connection, positioned after the response: WebSocket after a 101.
    pub tcp: TcpStream,
}

impl HttpReply {
    /// Every value of header `name`.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The key of RFC 6455's example handshake, and its accept value.
pub const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// `Sec-WebSocket-Accept` for [`WS_KEY`].
pub const WS_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// An HTTP/1.1 GET of `path` with `headers` (each `Name: value`), written by
/// hand on a fresh TCP connection, so that any header the test wants goes
/// out unvalidated. Reads the response head and its body.
pub async fn http_get(addr: SocketAddr, path: &str, headers: &[&str]) -> HttpReply {
    http_request(addr, "GET", path, headers).await
}

/// Like [`http_get`], with any method. The answer to a HEAD, a 204 or a 304
/// has no body, whatever its Content-Length says.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
) -> HttpReply {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let exchange = async {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.write_all(request.as_bytes()).await.expect("write");
        // Byte by byte, so that nothing past the head is consumed.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let b = tcp.read_u8().await.expect("the server sends a full head");
            head.push(b);
        }
        let head = String::from_utf8(head).expect("the head is text");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("a status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(':').expect("a header line");
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let bodiless = method == "HEAD" || status == 204 || status == 304;
        let len = headers
            .iter()
            .find(|(n, _)| n == "content-length" && !bodiless)
            .map_or(0, |(_, v)| v.parse().expect("a numeric Content-Length"));
        let mut body = vec![0; len];
        tcp.read_exact(&mut body).await.expect("the body");
        HttpReply {
            status,
            headers,
            body,
            tcp,
        }
    };
    tokio::time::timeout(PATIENCE, exchange)
        .await
        .expect("the server answered the HTTP request in time")
}

/// The headers of a valid WebSocket upgrade request, without a subprotocol.
pub const UPGRADE_HEADERS: [&str; 4] = [
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
];

/// The demo's rpcs, in registration order (as `swill.introspect` lists them).
pub const DEMO_RPCS: [&str; 10] = [
    "add",
    "count",
    "total",
    "upper",
    "echo_meta",
    "fail",
    "sleep",
    "users.get",
    "session.put",
    "session.get",
];

/// Byte vectors in the wire file's notation.
pub use swill_proto::testing::wire;
