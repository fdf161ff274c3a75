//! The queue of frames waiting to be written to one connection, and the task
//! that writes them in batches.

use bytes::Bytes;
use futures::{Sink, SinkExt};
use swill_proto::ResponseFrame;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::metrics::Frames;

/// The sending side of a connection's write queue.
///
/// Bounded: when the client reads slower than handlers produce, `send`
/// waits, and the handler with it. That is the backpressure that keeps a
/// connection's memory bounded.
#[derive(Clone, Debug)]
pub(crate) struct Outbox(mpsc::Sender<Outgoing>);

/// Work the read loop must await before reading on: a full queue.
pub(crate) type Wait = futures::future::BoxFuture<'static, ()>;

/// What the queue holds: 32 bytes, where a `Message` is 56. The channel
/// allocates its slots up front, so this is per-connection memory.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// An encoded Swill frame.
    Frame(Bytes),
    /// Anything else (close, ping), rare enough to box.
    Control(Box<Message>),
}

impl Outgoing {
    /// The WebSocket message: the frame as is, or as JSON text on a
    /// `swill.v1.json` connection.
    fn into_message(self, json: bool, sent: &Frames) -> Message {
        match self {
            Outgoing::Frame(bytes) if json => {
                // Our own frames are always one MessagePack value.
                let text = swill_proto::json::frame_to_text(&bytes).unwrap_or_default();
                sent.count(text.len());
                Message::Text(text.into())
            }
            Outgoing::Frame(bytes) => {
                sent.count(bytes.len());
                Message::Binary(bytes)
            }
            Outgoing::Control(message) => *message,
        }
    }
}

/// What [`Outbox::try_push`] did.
pub(crate) enum Pushed {
    Queued,
    /// No room: the client reads slower than frames come.
    Full,
    /// The connection is gone.
    Closed,
}

/// How many queued frames are written before one flush.
const BATCH: usize = 64;

impl Outbox {
    /// A queue holding at most `capacity` frames.
    pub(crate) fn channel(capacity: usize) -> (Outbox, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(capacity);
        (Outbox(tx), rx)
    }

    /// Encodes and queues a frame; false if the connection is gone.
    pub(crate) async fn send(&self, frame: ResponseFrame) -> bool {
        self.push(Outgoing::Frame(frame.encode().into())).await
    }

    /// Queues an encoded frame if there is room, without waiting.
    pub(crate) fn try_push(&self, frame: Bytes) -> Pushed {
        match self.0.try_send(Outgoing::Frame(frame)) {
            Ok(()) => Pushed::Queued,
            Err(mpsc::error::TrySendError::Full(_)) => {
                crate::metrics::queue_full();
                Pushed::Full
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Pushed::Closed,
        }
    }

    /// Queues any other WebSocket message (a close frame, a ping); false if
    /// the connection is gone.
    pub(crate) async fn send_message(&self, message: Message) -> bool {
        self.push(Outgoing::Control(Box::new(message))).await
    }

    /// Queues a frame if there is room; otherwise returns the wait for room,
    /// boxed, for the caller to await (backpressure). The connection's read
    /// loop uses this: its hot path then is plain code, not a state machine
    /// that every idle connection would carry.
    pub(crate) fn send_or_wait(&self, frame: ResponseFrame) -> Option<Wait> {
        match self.0.try_send(Outgoing::Frame(frame.encode().into())) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => None,
            Err(mpsc::error::TrySendError::Full(message)) => {
                crate::metrics::queue_full();
                let queue = self.0.clone();
                Some(Box::pin(async move {
                    let _ = queue.send(message).await;
                }))
            }
        }
    }

    /// Tries without waiting first, and boxes the wait for room only when
    /// the queue is full: every future that awaits this one then holds a
    /// pointer instead of a channel's send future, which keeps an idle
    /// connection's task small.
    async fn push(&self, message: Outgoing) -> bool {
        match self.0.try_send(message) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(message)) => {
                crate::metrics::queue_full();
                Box::pin(self.0.send(message)).await.is_ok()
            }
        }
    }
}

/// Writes queued messages until the queue closes or the socket fails.
///
/// Every message already queued is fed before one flush, so a burst of
/// replies costs one write system call, not one per frame.
pub(crate) async fn write_loop<S>(mut sink: S, mut queue: mpsc::Receiver<Outgoing>, json: bool)
where
    S: Sink<Message> + Unpin,
    S::Error: std::fmt::Display,
{
    let sent = Frames::sent();
    // Fed straight from the queue: a batch vector would cost every
    // connection kilobytes of capacity for the one burst it ever had.
    while let Some(first) = queue.recv().await {
        let first = first.into_message(json, &sent);
        let mut closing = first.is_close();
        if let Err(e) = sink.feed(first).await {
            tracing::debug!(error = %e, "write failed; closing the connection");
            return;
        }
        for _ in 1..BATCH {
            let Ok(next) = queue.try_recv() else { break };
            let next = next.into_message(json, &sent);
            closing |= next.is_close();
            if let Err(e) = sink.feed(next).await {
                tracing::debug!(error = %e, "write failed; closing the connection");
                return;
            }
        }
        if let Err(e) = sink.flush().await {
            tracing::debug!(error = %e, "flush failed; closing the connection");
            return;
        }
        if closing {
            break;
        }
    }
    let _ = sink.close().await;
}
