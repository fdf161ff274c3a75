//! Talking to an original Python Swill server, which insists on the
//! subprotocol `swill/1`. A stand-in plays that server here: it refuses
//! any other offer, echoes `swill/1`, and answers `add` as the original
//! does (5-element responses).

use std::net::SocketAddr;

use crate::common::swill;
use futures::{SinkExt, StreamExt};
use swill_client::proto::{Payload, RequestFrame, ResponseFrame};
use swill_client::{Client, Error, Subprotocol};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};

/// Starts the stand-in on its own thread and runtime; returns its address.
fn original_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(serve(tcp));
            }
        });
    });
    addr
}

/// Accepts only `swill/1`, as the original server does. (The signature is
/// tungstenite's handshake callback.)
#[allow(clippy::result_large_err)]
fn require_legacy(request: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    let offered = request
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if offered.split(',').any(|t| t.trim() == "swill/1") {
        let echo = HeaderValue::from_static("swill/1");
        response
            .headers_mut()
            .insert("sec-websocket-protocol", echo);
        return Ok(response);
    }
    let mut refusal = ErrorResponse::new(Some("swill/1 required".to_owned()));
    *refusal.status_mut() = StatusCode::FORBIDDEN;
    Err(refusal)
}

async fn serve(tcp: tokio::net::TcpStream) {
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, require_legacy).await else {
        return;
    };
    while let Some(Ok(Message::Binary(bytes))) = ws.next().await {
        let Ok(request) = RequestFrame::decode(bytes) else {
            continue;
        };
        let Ok((a, b)) = request.data.decode::<(i64, i64)>() else {
            continue;
        };
        let answer = Payload::encode(&(a + b)).expect("encodes");
        let frame = ResponseFrame::message(request.seq, answer).encode();
        if ws.send(Message::Binary(frame.into())).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn the_legacy_subprotocol_talks_to_an_original_server() {
    let url = format!("ws://{}/ws", original_server());
    let client = Client::builder(&url).legacy_subprotocol().connect().await;
    let sum: i64 = client.unwrap().call("add", &(1, 2)).await.unwrap();
    assert_eq!(sum, 3);
}

#[tokio::test]
async fn auto_falls_back_to_the_legacy_subprotocol() {
    let url = format!("ws://{}/ws", original_server());
    let refused = Client::connect(&url).await.unwrap_err();
    assert!(
        matches!(
            refused,
            Error::Connect {
                status: Some(403),
                ..
            }
        ),
        "{refused:?}"
    );

    let client = Client::builder(&url)
        .subprotocol(Subprotocol::Auto)
        .connect()
        .await;
    let sum: i64 = client.unwrap().call("add", &(20, 22)).await.unwrap();
    assert_eq!(sum, 42);
}

#[test]
fn the_cli_talks_to_an_original_server_with_or_without_the_flag() {
    let url = format!("ws://{}/ws", original_server());
    for flags in [&[][..], &["--legacy"][..]] {
        let output = swill(&[&["call", &url, "add", "[1, 2]"][..], flags].concat(), "");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{flags:?}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&output.stdout), "3\n");
    }
}
