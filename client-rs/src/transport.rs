//! The native transport: dialing a WebSocket, and the one task per
//! connection that reads and writes it.
//!
//! The [`Session`] holds the protocol state; this module only moves bytes.
//! Callers lock the session for a moment to turn a call into a frame and
//! put the frame on the connection's queue *while still holding the lock*,
//! so frames leave in exactly the order the session made them (a CANCEL
//! never overtakes a message of its own call). The task writes the queue
//! in batches (feed many, flush once) and routes what it reads to each
//! call's bounded channel.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use swill_proto::{CallShape, Payload, RequestFrame, Seq};
use tokio::sync::mpsc::{self, UnboundedSender, WeakUnboundedSender};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio_tungstenite::WebSocketStream;

use crate::builder::{Config, Io};
use crate::builder::{SessionSlot, lock_slot};
use crate::error::Error;
use crate::options::CallOptions;
use crate::session::{Event, Read, Received, Session};

mod dial;
mod task;
#[cfg(feature = "tls")]
mod tls;

#[cfg(feature = "tls")]
pub(crate) use dial::is_secure;
pub(crate) use dial::{DialFailure, dial};
#[cfg(feature = "tls")]
pub(crate) use tls::check as check_tls;

/// An open WebSocket to a server, over TCP or a stream of the user's.
pub(crate) type Socket = WebSocketStream<Box<dyn Io>>;

/// How a call's events reach its caller.
type Sink = mpsc::Sender<Event>;

/// The most request-stream messages waiting to be written, per connection:
/// past it, [`Connection::send`] waits (the bound on outgoing memory).
const MAX_QUEUED_MESSAGES: usize = 256;

/// A frame on its way out, with the queue slot it occupies.
struct Outgoing {
    frame: RequestFrame,
    _slot: Option<OwnedSemaphorePermit>,
}

/// What the connection task and the callers share.
struct Shared {
    session: Mutex<Session<Sink>>,
    /// Where the client keeps its session id (see `Builder::session`).
    session_id: SessionSlot,
    /// When the connection started; `last_read` counts from here.
    epoch: Instant,
    /// Milliseconds from `epoch` to the last frame read, for keepalive.
    last_read: AtomicU64,
    /// Whether the reader is waiting for a call to take its events (then
    /// silence is our doing, not the server's).
    delivering: AtomicBool,
    /// Asks the task to close the WebSocket with a close handshake.
    close: Notify,
    /// Set when the task has stopped: the socket is closed.
    stopped: watch::Sender<bool>,
}

/// The callers' side of one connection. Dropping the last one (the
/// client's and every call's) closes the socket.
pub(crate) struct Connection {
    shared: Arc<Shared>,
    outgoing: UnboundedSender<Outgoing>,
    queue: Arc<Semaphore>,
    stream_buffer: usize,
}

impl Connection {
    /// Starts the task that owns `socket`, and returns the callers' side.
    pub(crate) fn spawn(socket: Socket, config: &Config) -> Arc<Connection> {
        let shared = Arc::new(Shared {
            session: Mutex::new(Session::new()),
            session_id: config.session.clone(),
            epoch: Instant::now(),
            last_read: AtomicU64::new(0),
            delivering: AtomicBool::new(false),
            close: Notify::new(),
            stopped: watch::Sender::new(false),
        });
        let (outgoing, queue) = mpsc::unbounded_channel();
        let task = task::run(
            socket,
            shared.clone(),
            outgoing.downgrade(),
            queue,
            config.clone(),
        );
        tokio::spawn(task);
        let connection = Connection {
            shared,
            outgoing,
            queue: Arc::new(Semaphore::new(MAX_QUEUED_MESSAGES)),
            stream_buffer: config.stream_buffer,
        };
        if config.check_shapes {
            let mut session = connection.shared.session();
            if let Ok(frame) = session.probe_shapes() {
                let _ = connection.outgoing.send(Outgoing { frame, _slot: None });
            }
        }
        Arc::new(connection)
    }

    /// Whether the connection still works, as far as we know.
    pub(crate) fn is_open(&self) -> bool {
        !self.shared.session().is_closed()
    }

    /// Opens a call; its events arrive on the returned channel.
    pub(crate) fn start(
        &self,
        rpc: &str,
        shape: CallShape,
        data: Option<Payload>,
        options: &CallOptions,
    ) -> Result<(Seq, mpsc::Receiver<Event>), Error> {
        let (sink, events) = mpsc::channel(self.stream_buffer);
        let mut session = self.shared.session();
        let (seq, frame) = session.start(rpc, shape, data, options, sink)?;
        self.push(&mut session, seq, frame, None)?;
        Ok((seq, events))
    }

    /// Sends one message of a call's request stream, waiting while the
    /// connection's outgoing queue is full.
    pub(crate) async fn send(&self, seq: Seq, data: Payload) -> Result<(), Error> {
        let slot = self.queue.clone().acquire_owned().await.ok();
        let mut session = self.shared.session();
        let frame = session.message(seq, data)?;
        self.push(&mut session, seq, frame, slot)
    }

    /// Ends a call's request stream (END_OF_STREAM), if the call is still on.
    pub(crate) fn finish(&self, seq: Seq) {
        let mut session = self.shared.session();
        if let Ok(frame) = session.end(seq) {
            let _ = self.push(&mut session, seq, frame, None);
        }
    }

    /// Cancels a call (CANCEL), if it is still on.
    pub(crate) fn cancel(&self, seq: Seq) {
        let mut session = self.shared.session();
        if let Some(frame) = session.cancel(seq) {
            let _ = self.outgoing.send(Outgoing { frame, _slot: None });
        }
    }

    /// Closes the WebSocket with a close handshake (1000), failing the
    /// calls still in flight, and waits until the socket is closed.
    pub(crate) async fn close(&self) {
        let mut stopped = self.shared.stopped.subscribe();
        self.shared.close.notify_one();
        // Bounded: a server that stopped reading keeps the task's writes
        // waiting; the task still ends on its own once the socket gives.
        let stopped = stopped.wait_for(|stopped| *stopped);
        let _ = tokio::time::timeout(task::CLOSE_TIMEOUT * 2, stopped).await;
    }

    /// Queues a frame; called with the session locked, to keep the order.
    fn push(
        &self,
        session: &mut Session<Sink>,
        seq: Seq,
        frame: RequestFrame,
        slot: Option<OwnedSemaphorePermit>,
    ) -> Result<(), Error> {
        self.outgoing
            .send(Outgoing { frame, _slot: slot })
            .map_err(|_| {
                session.cancel(seq);
                Error::Disconnected {
                    reason: "the connection is closed".to_owned(),
                }
            })
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn session(&self) -> MutexGuard<'_, Session<Sink>> {
        // The session's methods cannot leave it half-changed, so a panic
        // elsewhere while it was locked does not make it unusable.
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_read.store(ms, Ordering::Relaxed);
    }

    fn silent_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_read.load(Ordering::Relaxed));
        self.epoch.elapsed().saturating_sub(last)
    }

    /// Routes one message to its call. Waits while the call's channel is
    /// full: that is the backpressure of a stream nobody consumes. Returns
    /// why the connection must end, if the message says so.
    async fn deliver(
        &self,
        message: Received<'_>,
        json: bool,
        replies: &WeakUnboundedSender<Outgoing>,
    ) -> Option<String> {
        let Read {
            mut incoming,
            mismatched,
            cancels,
            session_id,
            dropped,
            fatal,
        } = self.session().read(message, json);
        if fatal.is_some() {
            return fatal;
        }
        if let Some(id) = session_id {
            *lock_slot(&self.session_id) = Some(id);
        }
        if let Some(why) = dropped {
            tracing::warn!("{why}");
        }
        let (failed, cancelled): (Vec<_>, Vec<_>) = mismatched
            .into_iter()
            .map(|(sink, event, cancel)| ((sink, event), cancel))
            .unzip();
        let reply = incoming.as_mut().and_then(|i| i.reply.take());
        send_replies(replies, cancels.into_iter().chain(cancelled).chain(reply));
        self.delivering.store(true, Ordering::Relaxed);
        for (sink, event) in failed {
            let _ = sink.send(event).await;
        }
        if let Some(incoming) = incoming {
            for event in incoming.events {
                // An error means the caller is gone; its drop already cancelled.
                if incoming.sink.send(event).await.is_err() {
                    break;
                }
            }
        }
        self.delivering.store(false, Ordering::Relaxed);
        self.touch();
        None
    }
}

/// Queues the frames the session asks to send back (CANCELs), rare enough
/// that the queue's sender is only reached for when there are some.
fn send_replies(
    replies: &WeakUnboundedSender<Outgoing>,
    frames: impl IntoIterator<Item = RequestFrame>,
) {
    let mut frames = frames.into_iter().peekable();
    if frames.peek().is_none() {
        return;
    }
    if let Some(queue) = replies.upgrade() {
        for frame in frames {
            let _ = queue.send(Outgoing { frame, _slot: None });
        }
    }
}
