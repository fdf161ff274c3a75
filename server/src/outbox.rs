//! The queue of frames waiting to be written to one connection, and the task
//! that writes them in batches.

use futures::{Sink, SinkExt};
use swill_proto::ResponseFrame;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The sending side of a connection's write queue.
///
/// Bounded: when the client reads slower than handlers produce, `send`
/// waits, and the handler with it. That is the backpressure that keeps a
/// connection's memory bounded.
#[derive(Clone, Debug)]
pub(crate) struct Outbox(mpsc::Sender<Message>);

/// How many queued frames are written before one flush.
const BATCH: usize = 64;

impl Outbox {
    /// A queue holding at most `capacity` frames.
    pub(crate) fn channel(capacity: usize) -> (Outbox, mpsc::Receiver<Message>) {
        let (tx, rx) = mpsc::channel(capacity);
        (Outbox(tx), rx)
    }

    /// Encodes and queues a frame; false if the connection is gone.
    pub(crate) async fn send(&self, frame: ResponseFrame) -> bool {
        self.send_message(Message::Binary(frame.encode().into()))
            .await
    }

    /// Queues any WebSocket message (a close frame, say).
    pub(crate) async fn send_message(&self, message: Message) -> bool {
        self.0.send(message).await.is_ok()
    }
}

/// Writes queued messages until the queue closes or the socket fails.
///
/// Every message already queued is fed before one flush, so a burst of
/// replies costs one write system call, not one per frame.
pub(crate) async fn write_loop<S>(mut sink: S, mut queue: mpsc::Receiver<Message>)
where
    S: Sink<Message> + Unpin,
    S::Error: std::fmt::Display,
{
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let mut closing = false;
        for message in batch.drain(..) {
            closing |= message.is_close();
            if let Err(e) = sink.feed(message).await {
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
