//! The servers under test, each run as its own process by `bench serve KIND`.
//!
//! All four answer the same two requests: a unary echo of a 16-byte
//! payload, and a stream of N items of 64 bytes.

use std::net::SocketAddr;

use bytes::Bytes;
use futures::{FutureExt, SinkExt, StreamExt};
use swill::{AnyValue, Error, Request};
use swill_proto::{Payload, RequestFrame, ResponseFrame};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The size of one streamed item's data.
pub const ITEM: usize = 64;

/// The servers the harness knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Raw tokio-tungstenite: echo frames, or send N ready-made frames.
    B0,
    /// B0 plus decoding and encoding the Swill envelope, nothing else.
    B2,
    /// swill with the demo's handlers (and `items` for the stream).
    Swill,
    /// jsonrpsee over WebSocket: an `echo` method and an `items` subscription.
    Jsonrpsee,
    /// swill again, spoken in JSON text frames (`swill.v1.json`).
    SwillJson,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::B0,
        Kind::B2,
        Kind::Swill,
        Kind::Jsonrpsee,
        Kind::SwillJson,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::B0 => "B0",
            Kind::B2 => "B2",
            Kind::Swill => "swill",
            Kind::Jsonrpsee => "jsonrpsee",
            Kind::SwillJson => "swill-json",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
    }
}

/// Runs the server of `kind` on `addr` until killed; prints `ready` first.
pub async fn run(kind: Kind, addr: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    match kind {
        Kind::Jsonrpsee => return jsonrpsee_server(listener).await,
        Kind::Swill | Kind::SwillJson => {
            println!("ready");
            return swill::serve(listener, swill_app()).await;
        }
        Kind::B0 | Kind::B2 => {}
    }
    println!("ready");
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        tokio::spawn(raw_connection(tcp, kind));
    }
}

/// The demo app plus a stream of fixed-size items.
fn swill_app() -> swill_examples::demo::DemoApp {
    swill_examples::demo::app().handle_as("items", |req: Request<u64>| async move {
        let item = AnyValue(swill::Value::Binary(vec![b'x'; ITEM]));
        futures::stream::iter((0..req.data).map(move |_| Ok::<_, Error>(item.clone())))
    })
}

/// B0 and B2: one connection, with the same batching as swill's writer
/// (feed everything ready, flush once).
async fn raw_connection(tcp: TcpStream, kind: Kind) {
    // The same WebSocket settings as swill's, so B0 is the ceiling of our stack.
    let config = WebSocketConfig::default().read_buffer_size(swill::App::DEFAULT_READ_BUFFER_SIZE);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    while let Some(Ok(message)) = source.next().await {
        let Message::Binary(frame) = message else {
            continue;
        };
        let mut replies = match kind {
            Kind::B0 => b0_replies(frame),
            _ => b2_replies(frame),
        };
        // Pipelined requests already read answer in the same flush.
        while let Some(Some(Ok(Message::Binary(next)))) = source.next().now_or_never() {
            replies.extend(match kind {
                Kind::B0 => b0_replies(next),
                _ => b2_replies(next),
            });
        }
        for reply in replies {
            if sink.feed(Message::Binary(reply)).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
}

/// B0 echoes each frame; a request for `items` gets N frames the size of
/// swill's item frames, built once.
fn b0_replies(frame: Bytes) -> Vec<Bytes> {
    match items_requested(&frame) {
        Some((seq, n)) => {
            let item = item_frame(seq);
            vec![item; n as usize]
        }
        None => vec![frame],
    }
}

/// B2 decodes the envelope and encodes a response envelope per answer.
fn b2_replies(frame: Bytes) -> Vec<Bytes> {
    let Ok(request) = RequestFrame::decode(frame) else {
        return Vec::new();
    };
    if request.rpc == "items" {
        let n: u64 = request.data.decode().unwrap_or(0);
        let mut out: Vec<Bytes> = (0..n)
            .map(|_| item_frame(request.seq.get() as u64))
            .collect();
        out.push(ResponseFrame::end_of_stream(request.seq).encode().into());
        out
    } else {
        vec![
            ResponseFrame::message(request.seq, request.data)
                .encode()
                .into(),
        ]
    }
}

fn items_requested(frame: &Bytes) -> Option<(u64, u64)> {
    let request = RequestFrame::decode(frame.clone()).ok()?;
    (request.rpc == "items").then(|| (request.seq.get() as u64, request.data.decode().unwrap_or(0)))
}

/// One item frame exactly as swill sends it.
fn item_frame(seq: u64) -> Bytes {
    let data =
        Payload::encode(&swill_proto::serde_bytes::Bytes::new(&[b'x'; ITEM])).unwrap_or_default();
    ResponseFrame::message(seq, data).encode().into()
}

async fn jsonrpsee_server(listener: TcpListener) -> std::io::Result<()> {
    use jsonrpsee::server::{RpcModule, Server, ServerConfig};
    let addr = listener.local_addr()?;
    drop(listener);
    let config = ServerConfig::builder()
        .ws_only()
        .max_connections(20_000)
        .build();
    let server = Server::builder().set_config(config).build(addr).await?;
    let mut module = RpcModule::new(());
    module
        .register_method("echo", |params, _, _| {
            params.one::<String>().unwrap_or_default()
        })
        .map_err(std::io::Error::other)?;
    module
        .register_subscription(
            "items",
            "item",
            "items_unsubscribe",
            |params, pending, _, _| async move {
                let n: u64 = params.one().unwrap_or(0);
                let sink = pending.accept().await?;
                let item = serde_json::value::to_raw_value(&"x".repeat(ITEM))?;
                for _ in 0..n {
                    sink.send(item.clone()).await?;
                }
                Ok(())
            },
        )
        .map_err(std::io::Error::other)?;
    let handle = server.start(module);
    println!("ready");
    handle.stopped().await;
    Ok(())
}
