//! The subscribers: plain WebSocket connections that count what arrives,
//! speaking Swill v1 (`swill.subscribe`) or socket.io (engine.io v4).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use swill_proto::{RequestFrame, SUBSCRIBE_RPC, SubscribeRequest};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::servers::TOPIC;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a run may take before it is called failed.
const PATIENCE: Duration = Duration::from_secs(120);

/// The protocol a subscriber speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Swill,
    SocketIo,
}

/// Deliveries counted across every subscriber.
#[derive(Default)]
pub struct Tally {
    received: AtomicU64,
    target: AtomicU64,
    done: Notify,
}

impl Tally {
    fn count(&self) {
        let now = self.received.fetch_add(1, Ordering::Relaxed) + 1;
        if now == self.target.load(Ordering::Relaxed) {
            self.done.notify_one();
        }
    }
}

/// Connects one subscriber and returns once it is subscribed; it then
/// counts publications into `tally` until the connection ends.
pub async fn subscriber(
    protocol: Protocol,
    addr: SocketAddr,
    tally: Arc<Tally>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    subscriber_of(protocol, addr, tally, 1).await
}

/// A subscriber connection with `subscriptions` subscriptions to the topic
/// (swill; a socket.io socket is in the room once).
pub async fn subscriber_of(
    protocol: Protocol,
    addr: SocketAddr,
    tally: Arc<Tally>,
    subscriptions: u32,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let mut ws = connect(protocol, addr).await?;
    if protocol == Protocol::Swill {
        let request = SubscribeRequest {
            topic: TOPIC.into(),
            since: None,
        };
        let data = swill_proto::Payload::encode(&request).map_err(std::io::Error::other)?;
        for seq in 1..=subscriptions {
            let frame = RequestFrame::message(seq, SUBSCRIBE_RPC, data.clone()).encode();
            ws.send(Message::Binary(frame.into()))
                .await
                .map_err(std::io::Error::other)?;
        }
        // Each subscription's position item.
        for _ in 0..subscriptions {
            next_frame(&mut ws).await?;
        }
    }
    Ok(tokio::spawn(async move {
        while let Some(Ok(message)) = ws.next().await {
            match (protocol, message) {
                // After its position item, a subscription receives only
                // publications: counted without decoding, as socket.io's
                // are, so that the load generator is not the bottleneck.
                (Protocol::Swill, Message::Binary(_)) => tally.count(),
                (Protocol::SocketIo, Message::Text(text)) => {
                    if text.starts_with("42[\"msg\"") {
                        tally.count();
                    } else if text.as_str() == "2" {
                        let _ = ws.send(Message::text("3")).await;
                    }
                }
                _ => {}
            }
        }
    }))
}

/// Opens a connection, through socket.io's handshake for socket.io.
async fn connect(protocol: Protocol, addr: SocketAddr) -> std::io::Result<Socket> {
    let url = match protocol {
        Protocol::Swill => format!("ws://{addr}/ws"),
        Protocol::SocketIo => format!("ws://{addr}/socket.io/?EIO=4&transport=websocket"),
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(std::io::Error::other)?;
    if protocol == Protocol::SocketIo {
        // Engine.io's open packet, then connect to the namespace "/".
        next_frame(&mut ws).await?;
        ws.send(Message::text("40"))
            .await
            .map_err(std::io::Error::other)?;
        next_frame(&mut ws).await?;
    }
    Ok(ws)
}

async fn next_frame(ws: &mut Socket) -> std::io::Result<Message> {
    match tokio::time::timeout(PATIENCE, ws.next()).await {
        Ok(Some(Ok(message))) => Ok(message),
        _ => Err(std::io::Error::other("the server did not answer")),
    }
}

/// Asks the server to publish `count` messages of `size` bytes and waits
/// until every subscriber has them all: deliveries per second.
pub async fn blast(
    protocol: Protocol,
    addr: SocketAddr,
    tally: &Tally,
    subscribers: u64,
    count: u32,
    size: usize,
) -> std::io::Result<f64> {
    let mut ws = connect(protocol, addr).await?;
    let before = tally.received.load(Ordering::Relaxed);
    let target = before + subscribers * u64::from(count);
    tally.target.store(target, Ordering::Relaxed);
    let started = Instant::now();
    let request = match protocol {
        Protocol::Swill => {
            let data =
                swill_proto::Payload::encode(&serde_json::json!({"count": count, "size": size}))
                    .map_err(std::io::Error::other)?;
            Message::Binary(RequestFrame::message(1, "blast", data).encode().into())
        }
        Protocol::SocketIo => Message::text(format!(
            "42[\"blast\",{{\"count\":{count},\"size\":{size}}}]"
        )),
    };
    ws.send(request).await.map_err(std::io::Error::other)?;
    // A permit left by an earlier blast only costs one more look.
    while tally.received.load(Ordering::Relaxed) < target {
        if tokio::time::timeout(PATIENCE, tally.done.notified())
            .await
            .is_err()
        {
            return Err(std::io::Error::other(format!(
                "{} of {} deliveries arrived",
                tally.received.load(Ordering::Relaxed) - before,
                target - before
            )));
        }
    }
    Ok((target - before) as f64 / started.elapsed().as_secs_f64())
}
