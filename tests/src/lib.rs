//! Shared pieces of the integration tests: starting servers on 127.0.0.1
//! and a raw-frame WebSocket client that speaks bytes, not our client API,
//! so the tests check the wire itself.

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use swill::App;
use swill_proto::{RequestFrame, ResponseFrame};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame before it fails instead of hanging.
/// A guard against a stuck test, never a way to wait for something.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Serves `app` on a free port of 127.0.0.1 and returns its address.
pub async fn start(app: App) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(swill::serve(listener, app));
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
        let mut request = format!("ws://{addr}/ws")
            .into_client_request()
            .expect("request");
        if let Some(p) = protocols {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(p).expect("header"),
            );
        }
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connect");
        Raw { ws }
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

/// Turns the wire file's notation (hex bytes and "quoted" ASCII) into bytes.
pub fn wire(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            out.extend_from_slice(part.as_bytes());
        } else {
            for hex in part.split_whitespace() {
                out.push(u8::from_str_radix(hex, 16).expect("test vector is hex"));
            }
        }
    }
    out
}
