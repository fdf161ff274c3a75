//! The queue of frames waiting to be written to one connection, and the
//! writer, driven by the connection's own task, that writes them in batches.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::{Sink, SinkExt};
use swill_proto::ResponseFrame;
use tokio_tungstenite::tungstenite::Message;

use crate::metrics::Frames;

/// The sending side of a connection's write queue.
///
/// Bounded: when the client reads slower than handlers produce, `send`
/// waits, and the handler with it. That is the backpressure that keeps a
/// connection's memory bounded.
#[derive(Clone, Debug)]
pub(crate) struct Outbox(flume::Sender<Outgoing>);

/// Work the read loop must await before reading on: room in a full queue.
/// It resolves to false if the queue's receiver went first.
pub(crate) type Wait = futures::future::BoxFuture<'static, bool>;

/// What the queue holds: an encoded Swill frame, 32 bytes where a
/// `Message` is 56. (Pings and the close frame do not queue: the
/// connection's task writes them itself, see [`Writer::send_now`].)
#[derive(Debug)]
pub(crate) struct Outgoing(Bytes);

impl Outgoing {
    /// The WebSocket message: the frame as is, or as JSON text on a
    /// `swill.v1.json` connection.
    fn into_message(self, json: bool, sent: &Frames) -> Message {
        let Outgoing(bytes) = self;
        if json {
            // Our own frames are always one MessagePack value.
            let text = swill_proto::json::frame_to_text(&bytes).unwrap_or_default();
            sent.count(text.len());
            Message::Text(text.into())
        } else {
            sent.count(bytes.len());
            Message::Binary(bytes)
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

/// How many frames may be read, with answers waiting, before they are
/// written: the bound on how long a client that keeps sending delays the
/// answers to its earlier calls.
const READS_PER_WRITE: usize = 32;

impl Outbox {
    /// A queue holding at most `capacity` frames.
    ///
    /// flume, not tokio's channel: tokio's allocates its first block of 32
    /// slots and a cache-padded channel (1.5 KB together) with every
    /// connection, where flume's queue is a `VecDeque` that grows with use;
    /// it was a fifth of an idle connection's memory.
    pub(crate) fn channel(capacity: usize) -> (Outbox, Queue) {
        let (tx, rx) = flume::bounded(capacity);
        let stream = rx.clone().into_stream();
        let batch = BATCH.min(capacity);
        (Outbox(tx), Queue { rx, stream, batch })
    }

    /// Encodes and queues a frame; resolves to false if the connection is
    /// gone.
    ///
    /// A plain function: the frame is encoded, and queued if there is
    /// room, when it is called; the future it returns only waits when the
    /// queue is full (and only then does dropping it unsent lose the
    /// frame). As an `async fn` it would carry the frame, and every future
    /// awaiting it that much more, through every call's state. Callers
    /// await it at once.
    pub(crate) fn send(&self, frame: ResponseFrame) -> impl Future<Output = bool> + Send + 'static {
        let queued = self.queue(frame);
        async move {
            match queued {
                Ok(sent) => sent,
                Err(wait) => wait.await,
            }
        }
    }

    /// Encodes and queues `frame` if there is room: whether the connection
    /// took it (false: it is gone), or the wait for room when it is full.
    fn queue(&self, frame: ResponseFrame) -> Result<bool, Wait> {
        match self.0.try_send(Outgoing(frame.encode().into())) {
            Ok(()) => Ok(true),
            Err(flume::TrySendError::Disconnected(_)) => Ok(false),
            Err(flume::TrySendError::Full(message)) => Err(self.wait_for_room(message)),
        }
    }

    /// Queues `message` once there is room: false if the connection goes
    /// first. Boxed, so that the futures awaiting it hold a pointer.
    fn wait_for_room(&self, message: Outgoing) -> Wait {
        crate::metrics::queue_full();
        let sent = self.0.clone().into_send_async(message);
        Box::pin(async move { sent.await.is_ok() })
    }

    /// Queues an encoded frame if there is room, without waiting.
    pub(crate) fn try_push(&self, frame: Bytes) -> Pushed {
        match self.0.try_send(Outgoing(frame)) {
            Ok(()) => Pushed::Queued,
            Err(flume::TrySendError::Full(_)) => {
                crate::metrics::queue_full();
                Pushed::Full
            }
            Err(flume::TrySendError::Disconnected(_)) => Pushed::Closed,
        }
    }

    /// Queues a frame if there is room; otherwise returns the wait for room,
    /// boxed, for the caller to await (backpressure). The connection's read
    /// loop uses this: its hot path then is plain code, not a state machine
    /// that every idle connection would carry.
    pub(crate) fn send_or_wait(&self, frame: ResponseFrame) -> Option<Wait> {
        self.queue(frame).err()
    }
}

/// The receiving end of a connection's write queue.
pub(crate) struct Queue {
    /// For what is there now: `try_recv`, `len`.
    rx: flume::Receiver<Outgoing>,
    /// For waiting: a stream keeps its waker registered from one poll to
    /// the next, where a new `recv` future each time the connection's loop
    /// goes round would register (and allocate) anew.
    stream: flume::r#async::RecvStream<'static, Outgoing>,
    /// Frames that make a full batch: [`BATCH`], or the whole queue if it
    /// is smaller. (Kept: flume takes its lock to tell the capacity.)
    batch: usize,
}

/// The writing end of one connection: its queue and its socket's sink,
/// driven by the connection's own task.
///
/// One task reads and writes, so a burst of answers is written without
/// waking a second task, and an idle connection carries no writer task.
/// The read loop selects on [`next`](Writer::next) (cancel-safe) and writes
/// what it gets, also while its reading waits for room in the queue.
pub(crate) struct Writer<S> {
    sink: S,
    /// `None` once closed (see [`close_queue`](Writer::close_queue)).
    queue: Option<Queue>,
    json: bool,
    sent: Frames,
    /// Frames read since the last write.
    reads: usize,
    /// How long one write may wait for the peer to take it; then the peer
    /// is taken for gone (see [`Writer::new`]).
    stall: Option<Duration>,
}

/// The socket failed, or a close frame went out: nothing more is written.
#[derive(Debug)]
pub(crate) struct Closed;

impl<S> Writer<S>
where
    S: Sink<Message> + Unpin + Send,
    S::Error: std::fmt::Display,
{
    /// A writer over `sink`. A write that the peer does not take within
    /// `stall` (the app's idle timeout) means a peer that stopped reading:
    /// the connection is then closed. Without that bound, such a peer
    /// would hold the connection's task in a write for ever, out of reach
    /// of the idle timeout, the keepalive and shutdown.
    pub(crate) fn new(sink: S, queue: Queue, json: bool, stall: Option<Duration>) -> Self {
        Writer {
            sink,
            queue: Some(queue),
            json,
            sent: Frames::sent(),
            reads: 0,
            stall,
        }
    }

    /// The next queued message. Cancel-safe: for a `select!` branch.
    pub(crate) async fn next(&mut self) -> Option<Outgoing> {
        match &mut self.queue {
            Some(queue) => queue.stream.next().await,
            None => None,
        }
    }

    /// The next queued message, if one is there now.
    fn try_next(&self) -> Option<Outgoing> {
        self.queue.as_ref()?.rx.try_recv().ok()
    }

    /// Writes `first` and whatever else is queued (up to a batch), then
    /// flushes once the queue is empty: a burst of answers costs one write
    /// system call. The rest of a longer queue waits for the next turn, so
    /// that reading goes on between batches; while it waits, the frames
    /// stay in tungstenite's write buffer, which goes out by itself once it
    /// holds `write_buffer_size` (128 KiB), so a long stream is written in
    /// large writes rather than one per batch. Nothing is left unflushed:
    /// only this writer empties the queue, and the write that empties it
    /// flushes; until then a later turn of the connection's loop writes on
    /// ([`next`](Writer::next) is ready, or [`after_read`](Writer::after_read)
    /// is due within [`READS_PER_WRITE`] reads from a client that keeps
    /// sending).
    pub(crate) fn write(&mut self, first: Outgoing) -> BoxFuture<'_, Result<(), Closed>> {
        let stall = self.stall;
        bounded(stall, self.write_batch(first))
    }

    async fn write_batch(&mut self, first: Outgoing) -> Result<(), Closed> {
        self.reads = 0;
        let mut next = Some(first);
        for fed in 1..=BATCH {
            let Some(outgoing) = next.take() else { break };
            let message = outgoing.into_message(self.json, &self.sent);
            if let Err(e) = self.sink.feed(message).await {
                tracing::debug!(error = %e, "write failed; closing the connection");
                return Err(Closed);
            }
            if fed < BATCH {
                next = self.try_next();
            }
        }
        if self
            .queue
            .as_ref()
            .is_some_and(|queue| !queue.rx.is_empty())
        {
            return Ok(()); // the next turn writes the rest, and flushes
        }
        if let Err(e) = self.sink.flush().await {
            tracing::debug!(error = %e, "flush failed; closing the connection");
            return Err(Closed);
        }
        Ok(())
    }

    /// After a frame was read: writes a batch once a full one is queued,
    /// or once [`READS_PER_WRITE`] frames were read since the last write
    /// and anything waits. So the queue never fills up while reading goes
    /// on (a full queue would make calls wait for room and count against
    /// the connection's open requests), answers do not wait behind a client
    /// that keeps sending, and each write still carries many frames.
    pub(crate) async fn after_read(&mut self) -> Result<(), Closed> {
        self.reads += 1;
        let Some(queue) = &self.queue else {
            return Ok(());
        };
        let queued = queue.rx.len();
        let due = queued >= queue.batch || (queued > 0 && self.reads >= READS_PER_WRITE);
        if !due {
            return Ok(());
        }
        match self.try_next() {
            Some(first) => self.write(first).await,
            None => Ok(()),
        }
    }

    /// No more frames can be queued; calls that try, or wait for room, see
    /// the connection gone. What is queued is dropped.
    pub(crate) fn close_queue(&mut self) {
        self.queue = None;
    }

    /// Writes what is queued, then `message` (a ping, the close frame).
    pub(crate) fn send_now(&mut self, message: Message) -> BoxFuture<'_, Result<(), Closed>> {
        let stall = self.stall;
        bounded(stall, self.send_after_queued(message))
    }

    async fn send_after_queued(&mut self, message: Message) -> Result<(), Closed> {
        while let Some(queued) = self.try_next() {
            let queued = queued.into_message(self.json, &self.sent);
            if self.sink.feed(queued).await.is_err() {
                return Err(Closed);
            }
        }
        let closing = message.is_close();
        if self.sink.feed(message).await.is_err() || self.sink.flush().await.is_err() {
            return Err(Closed);
        }
        if closing { Err(Closed) } else { Ok(()) }
    }

    /// The end of the connection: the socket is closed (what is still
    /// queued is dropped: see [`close_queue`](Writer::close_queue)).
    pub(crate) async fn finish(mut self) {
        let _ = self.sink.close().await;
    }
}

/// `write` within `limit`, if there is one, counted from when it first
/// has to wait; a write still waiting then is a peer that stopped reading.
///
/// Boxed: every idle connection's task is as large as the largest thing it
/// awaits, and a write with its timer is the largest; a pointer costs one
/// allocation per batch written instead of that size per connection.
fn bounded<'a>(
    limit: Option<Duration>,
    write: impl Future<Output = Result<(), Closed>> + Send + 'a,
) -> BoxFuture<'a, Result<(), Closed>> {
    Box::pin(async move {
        let mut write = std::pin::pin!(write);
        // Most writes finish at once: only one that waits starts the clock.
        if let std::task::Poll::Ready(written) = futures::poll!(write.as_mut()) {
            return written;
        }
        let Some(limit) = limit else {
            return write.await;
        };
        tokio::time::timeout(limit, write)
            .await
            .unwrap_or_else(|_| {
                let why = "the peer took no frames for too long; closing the connection";
                tracing::debug!(?limit, "{why}");
                Err(Closed)
            })
    })
}
