//! The load generator: the same connections, depth and payload bytes for
//! every server, spoken in each one's dialect.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{FutureExt, SinkExt, StreamExt};
use hdrhistogram::Histogram;
use swill_proto::{Payload, RequestFrame, ResponseFrame};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::servers::Kind;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The payload of a unary echo: 16 bytes.
const ECHO: &[u8; 16] = b"0123456789abcdef";

pub async fn connect(kind: Kind, addr: SocketAddr) -> std::io::Result<Ws> {
    let path = match kind {
        Kind::Swill | Kind::SwillJson => "/ws",
        _ => "/",
    };
    // A small read buffer keeps the client from zero-filling 128 KiB per
    // read, which would make it, not the server, the bottleneck.
    let config = WebSocketConfig::default().read_buffer_size(swill::App::DEFAULT_READ_BUFFER_SIZE);
    let mut request = format!("ws://{addr}{path}")
        .into_client_request()
        .map_err(std::io::Error::other)?;
    if kind == Kind::SwillJson {
        let token = HeaderValue::from_static(swill_proto::json::SUBPROTOCOL);
        request
            .headers_mut()
            .insert("sec-websocket-protocol", token);
    }
    let (ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .map_err(std::io::Error::other)?;
    Ok(ws)
}

/// A unary echo request with id `id`, in `kind`'s dialect.
fn echo_request(kind: Kind, id: u64) -> Message {
    match kind {
        Kind::Jsonrpsee => Message::Text(
            format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"echo","params":["{}"]}}"#,
                "x".repeat(16)
            )
            .into(),
        ),
        _ => {
            let data =
                Payload::encode(&swill_proto::serde_bytes::Bytes::new(ECHO)).unwrap_or_default();
            frame(kind, RequestFrame::message(id, "echo_meta", data))
        }
    }
}

/// A Swill request frame, binary or (for `SwillJson`) as JSON text.
fn frame(kind: Kind, frame: RequestFrame) -> Message {
    let bytes = frame.encode();
    match kind {
        Kind::SwillJson => Message::Text(
            swill_proto::json::frame_to_text(&bytes)
                .unwrap_or_default()
                .into(),
        ),
        _ => Message::Binary(bytes.into()),
    }
}

/// The id an answer carries (B0 echoes the request itself).
fn answer_id(kind: Kind, message: &Message) -> Option<u64> {
    match (kind, message) {
        (Kind::Jsonrpsee, Message::Text(text)) => {
            let v: serde_json::Value = serde_json::from_str(text).ok()?;
            v.get("id")?.as_u64()
        }
        (Kind::SwillJson, Message::Text(text)) => {
            swill_proto::json::leading_seq(text).map(|seq| seq as u64)
        }
        (Kind::B0, Message::Binary(b)) => {
            Some(RequestFrame::decode(b.clone()).ok()?.seq.get() as u64)
        }
        (_, Message::Binary(b)) => Some(ResponseFrame::decode(b.clone()).ok()?.seq.get() as u64),
        _ => None,
    }
}

fn is_answer(message: &Message) -> bool {
    matches!(message, Message::Binary(_) | Message::Text(_))
}

/// Requests per second of unary echo, `conns` connections with `depth`
/// requests in flight on each, measured over `time` after `warmup`.
pub async fn unary(
    kind: Kind,
    addr: SocketAddr,
    conns: usize,
    depth: usize,
    warmup: Duration,
    time: Duration,
) -> std::io::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let ws = connect(kind, addr).await?;
        tasks.push(tokio::spawn(pipeline(
            kind,
            ws,
            depth,
            done.clone(),
            stop.clone(),
        )));
    }
    tokio::time::sleep(warmup).await;
    let start_count = done.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(time).await;
    let count = done.load(Ordering::Relaxed) - start_count;
    let rate = count as f64 / start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    Ok(rate)
}

/// Keeps `depth` requests in flight on one connection: every answer read
/// is replaced by a new request, written in one batch per read burst.
async fn pipeline(
    kind: Kind,
    mut ws: Ws,
    depth: usize,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) {
    let mut id = 0u64;
    for _ in 0..depth {
        id += 1;
        if ws.feed(echo_request(kind, id)).await.is_err() {
            return;
        }
    }
    let _ = ws.flush().await;
    while !stop.load(Ordering::Relaxed) {
        let Some(Ok(first)) = ws.next().await else {
            return;
        };
        let mut answers = u64::from(is_answer(&first));
        while let Some(Some(Ok(m))) = ws.next().now_or_never() {
            answers += u64::from(is_answer(&m));
        }
        done.fetch_add(answers, Ordering::Relaxed);
        for _ in 0..answers {
            id += 1;
            if ws.feed(echo_request(kind, id)).await.is_err() {
                return;
            }
        }
        if ws.flush().await.is_err() {
            return;
        }
    }
    let _ = ws.close(None).await;
}

/// Items per second of a server stream of `n` items of 64 bytes.
pub async fn stream(kind: Kind, addr: SocketAddr, n: u64) -> std::io::Result<f64> {
    let mut ws = connect(kind, addr).await?;
    let request = match kind {
        Kind::Jsonrpsee => Message::Text(
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"items","params":[{n}]}}"#).into(),
        ),
        _ => {
            let data = Payload::encode(&n).unwrap_or_default();
            frame(kind, RequestFrame::message(1u64, "items", data))
        }
    };
    // Frames besides the items: swill and B2 end with END_OF_STREAM, a
    // jsonrpsee subscription starts with its id.
    let extra = match kind {
        Kind::B0 => 0,
        _ => 1,
    };
    let start = Instant::now();
    ws.send(request).await.map_err(std::io::Error::other)?;
    let mut seen = 0;
    while seen < n + extra {
        match ws.next().await {
            Some(Ok(m)) if is_answer(&m) => seen += 1,
            Some(Ok(_)) => {}
            _ => return Err(std::io::Error::other("the stream broke off")),
        }
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let _ = ws.close(None).await;
    Ok(rate)
}

/// Latency percentiles (p50, p99, p99.9, in µs) of unary echo sent at a
/// fixed `rate` on one connection, open loop: each latency counts from when
/// the request was due, not from when it was sent, so a stalled server
/// cannot hide its tail (coordinated omission).
///
/// The pacing runs on a thread of its own, sleeping to each due time and
/// handing the due ids to the writer: a pacer that busy-looped on the
/// load's one core would take that core from the reader, and its stalls,
/// not the server's, would make the tail.
pub async fn latency(
    kind: Kind,
    addr: SocketAddr,
    rate: f64,
    time: Duration,
) -> std::io::Result<[f64; 3]> {
    let ws = connect(kind, addr).await?;
    let (mut sink, mut source) = ws.split();
    let total = (rate * time.as_secs_f64()) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now() + Duration::from_millis(10);
    let due = move |id: u64| start + interval.mul_f64((id - 1) as f64);
    let (tick, mut ticks) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let pacer = std::thread::spawn(move || {
        for id in 1..=total {
            let at = due(id);
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
            if tick.send(id).is_err() {
                return;
            }
        }
    });
    let sender = async move {
        while let Some(id) = ticks.recv().await {
            if sink.feed(echo_request(kind, id)).await.is_err() {
                return;
            }
            // Whatever else came due meanwhile goes in the same flush.
            while let Ok(id) = ticks.try_recv() {
                if sink.feed(echo_request(kind, id)).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    };
    let receiver = async move {
        let mut histogram = Histogram::<u64>::new(3).map_err(std::io::Error::other)?;
        let mut received = 0;
        while received < total {
            let Some(Ok(message)) = source.next().await else {
                return Err(std::io::Error::other("the connection broke off"));
            };
            if let Some(id) = answer_id(kind, &message) {
                let micros = due(id).elapsed().as_micros() as u64;
                let _ = histogram.record(micros.max(1));
                received += 1;
            }
        }
        Ok(histogram)
    };
    let ((), histogram) = tokio::join!(sender, receiver);
    let _ = pacer.join();
    let h = histogram?;
    Ok([
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
    ]
    .map(|v| v as f64))
}

/// Opens `n` idle connections, proves each one is served with one echo, and
/// returns them (to keep them open while the server's memory is read).
pub async fn idle(kind: Kind, addr: SocketAddr, n: usize) -> std::io::Result<Vec<Ws>> {
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        let mut ws = connect(kind, addr).await?;
        ws.send(echo_request(kind, 1))
            .await
            .map_err(std::io::Error::other)?;
        loop {
            match ws.next().await {
                Some(Ok(m)) if is_answer(&m) => break,
                Some(Ok(_)) => {}
                _ => return Err(std::io::Error::other("an idle connection was refused")),
            }
        }
        conns.push(ws);
    }
    Ok(conns)
}
