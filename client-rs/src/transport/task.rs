//! The task that owns a connection's socket: it writes the queued frames
//! in batches, reads frames and routes them to their calls, and pings.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc::{UnboundedReceiver, WeakUnboundedSender};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

use super::{Outgoing, Shared, Socket};
use crate::builder::{Config, Encoding};
use crate::reconnect::ConnectionState;
use crate::session::Received;

/// The most frames written before one flush.
const MAX_BATCH: usize = 64;

/// How long a close handshake may wait for the server's Close.
pub(super) const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The connection task: reads and writes until either side stops, then
/// fails every pending call and reports the disconnection.
pub(super) async fn run(
    socket: Socket,
    shared: Arc<Shared>,
    replies: WeakUnboundedSender<Outgoing>,
    mut queue: UnboundedReceiver<Outgoing>,
    config: Config,
) {
    let (sink, stream) = socket.split();
    let json = config.encoding == Encoding::Json;
    let mut read = pin!(read_loop(stream, &shared, &replies, json));
    let reason = tokio::select! {
        reason = &mut read => reason,
        ended = write_loop(sink, &mut queue, &shared, config.keepalive, json) => match ended {
            Ended::Closing(reason) => {
                // Calls fail now, and no new one starts; then the close
                // handshake: the server answers our Close with its own and
                // ends the stream.
                fail_pending(&shared, reason);
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, &mut read).await;
                reason.to_owned()
            }
            Ended::Failed(reason) => reason,
        },
    };
    tracing::debug!(%reason, "connection closed");
    fail_pending(&shared, &reason);
    drop(queue);
    config.report(ConnectionState::Disconnected { reason });
    shared.stopped.send_replace(true);
}

/// Fails every call still in flight, and any started later.
fn fail_pending(shared: &Shared, reason: &str) {
    let failed = shared.session().close(reason);
    for (sink, event) in failed {
        // A full channel belongs to a caller that is not reading; it sees
        // the channel close instead, which means the same.
        let _ = sink.try_send(event);
    }
}

/// How the writing side stopped.
enum Ended {
    /// We sent Close: the client was closed or dropped.
    Closing(&'static str),
    /// The socket failed, or the server stopped answering pings.
    Failed(String),
}

async fn read_loop(
    mut stream: SplitStream<Socket>,
    shared: &Shared,
    replies: &WeakUnboundedSender<Outgoing>,
    json: bool,
) -> String {
    loop {
        let message = match stream.next().await {
            Some(Ok(message)) => message,
            Some(Err(e)) => return e.to_string(),
            None => return "the server closed the connection".to_owned(),
        };
        shared.touch();
        let fatal = match message {
            Message::Binary(bytes) => shared.deliver(Received::Binary(bytes), json, replies).await,
            Message::Text(text) => shared.deliver(Received::Text(&text), json, replies).await,
            Message::Close(Some(close)) => {
                let code = u16::from(close.code);
                return format!("the server closed the connection ({code} {})", close.reason);
            }
            Message::Close(None) => return "the server closed the connection".to_owned(),
            // Pings are answered by tungstenite; any frame counts as a sign of life.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => None,
        };
        // The server broke the protocol: the connection ends, and its calls
        // fail with why (see `Read::fatal`).
        if let Some(why) = fatal {
            tracing::warn!("{why}");
            return why;
        }
    }
}

async fn write_loop(
    mut sink: SplitSink<Socket, Message>,
    queue: &mut UnboundedReceiver<Outgoing>,
    shared: &Shared,
    keepalive: Option<Duration>,
    json: bool,
) -> Ended {
    let mut ticker = keepalive.map(|every| {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        (ticker, every)
    });
    loop {
        tokio::select! {
            next = queue.recv() => {
                let Some(first) = next else {
                    close_normally(&mut sink).await;
                    return Ended::Closing("the client was dropped");
                };
                if let Err(e) = write_batch(&mut sink, first, queue, json).await {
                    return Ended::Failed(e.to_string());
                }
            }
            () = shared.close.notified() => {
                // What is queued when the writer takes the close goes out
                // before the Close (a dropped call's CANCEL, a stream's
                // END_OF_STREAM), and only that: a sender still pumping
                // would keep the queue from ever running dry.
                let queued = queue.len();
                for outgoing in std::iter::from_fn(|| queue.try_recv().ok()).take(queued) {
                    if sink.feed(message(&outgoing, json)).await.is_err() {
                        break;
                    }
                }
                close_normally(&mut sink).await;
                return Ended::Closing("the client was closed");
            }
            every = tick(&mut ticker) => {
                if shared.silent_for() > every * 2 && !shared.delivering.load(Ordering::Relaxed) {
                    let reason = "the server did not answer keepalive pings";
                    return Ended::Failed(reason.to_owned());
                }
                if let Err(e) = sink.send(Message::Ping(Bytes::new())).await {
                    return Ended::Failed(e.to_string());
                }
            }
        }
    }
}

/// Writes `first` and whatever else is queued (up to [`MAX_BATCH`]), then
/// flushes once.
async fn write_batch(
    sink: &mut SplitSink<Socket, Message>,
    first: Outgoing,
    queue: &mut UnboundedReceiver<Outgoing>,
    json: bool,
) -> Result<(), tungstenite::Error> {
    let mut next = Some(first);
    let mut written = 0;
    while let Some(outgoing) = next.take() {
        sink.feed(message(&outgoing, json)).await?;
        written += 1;
        if written < MAX_BATCH {
            next = queue.try_recv().ok();
        }
    }
    sink.flush().await
}

/// A queued frame as a WebSocket message.
fn message(outgoing: &Outgoing, json: bool) -> Message {
    let frame = outgoing.frame.encode();
    match json {
        // Our own frames are always one MessagePack value.
        true => Message::Text(
            swill_proto::json::frame_to_text(&frame)
                .unwrap_or_default()
                .into(),
        ),
        false => Message::Binary(frame.into()),
    }
}

/// Waits for the next keepalive tick, or forever without keepalive.
async fn tick(ticker: &mut Option<(tokio::time::Interval, Duration)>) -> Duration {
    match ticker {
        Some((ticker, every)) => {
            ticker.tick().await;
            *every
        }
        None => std::future::pending().await,
    }
}

/// Starts the close handshake with 1000 (normal closure): a close frame
/// with no code reads as 1005 to the server, "no status given".
async fn close_normally(sink: &mut SplitSink<Socket, Message>) {
    let normal = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let _ = sink.send(Message::Close(Some(normal))).await;
    let _ = sink.close().await;
}
