//! One WebSocket connection: read frames, route them to calls, write answers.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures::stream::{SplitSink, SplitStream};
use futures::{Sink, Stream, StreamExt};
use swill_proto::{Code, DecodeErrorKind, RequestFrame, RequestType, ResponseFrame, Seq};
use tokio::task::{Id, JoinSet};
use tokio::time::{Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tracing::Instrument;

use crate::call::{self, CallHandle, Opening, Stop};
use crate::context::RequestHead;
use crate::error::{Error, NOT_FOUND_MESSAGE};
use crate::hooks;
use crate::info::ConnectionInfo;
use crate::outbox::{Outbox, Wait, Writer};
use crate::router::{Route, Router};
use crate::sessions::Session;
use crate::shutdown::Shutdown;

/// An open request: the route's index and the client's seq, as the wire
/// file identifies requests (rpc, seq), per connection.
type Key = (usize, Seq);

/// What the connection keeps for each open request: its task, and the
/// handle that feeds and stops it.
struct OpenCall {
    task: Id,
    call: CallHandle,
}

/// The per-connection state: open requests and their tasks.
struct Demux {
    router: Arc<Router>,
    info: Arc<ConnectionInfo>,
    outbox: Outbox,
    open: HashMap<Key, OpenCall>,
    calls: JoinSet<Key>,
    /// Set once the server shuts down: new requests are refused with 503.
    draining: bool,

    /// When the latest frame (of any kind) arrived: for the idle timeout,
    /// and as the receive time of a request (its deadline counts from it).
    last_frame: Instant,
}

/// Why the read loop ended.
enum Leave {
    /// The peer closed or the socket failed: nothing more can be sent.
    Gone,
    /// We close, with this code and reason.
    Close(CloseCode, String),
}

/// Serves one upgraded connection until the client leaves, it breaks, or
/// the server shuts down.
///
/// When it ends, every call still open is stopped (its handler dropped, its
/// `after_request` run), then the `after_connection` hooks run.
///
/// A plain function that builds the connection's state and returns its
/// future: an `async fn` keeps its arguments for as long as it runs, beside
/// whatever it moved them into, and every idle connection would carry the
/// socket, the router and the shutdown signal twice.
pub(crate) fn run<S>(
    socket: S,
    router: Arc<Router>,
    info: Arc<ConnectionInfo>,
    shutdown: Shutdown,
) -> impl Future<Output = ()> + Send + 'static
where
    S: Stream<Item = Result<Message, tungstenite::Error>>
        + Sink<Message, Error = tungstenite::Error>
        + Send
        + 'static,
{
    let span = tracing::info_span!("connection", id = info.id());
    Connection::new(socket, router, info, shutdown)
        .serve()
        .instrument(span)
}

/// One connection's state, owned by its task: the socket's two halves, the
/// open calls, and the timers.
struct Connection<S: Sink<Message>> {
    source: SplitStream<S>,
    writer: Writer<SplitSink<S, Message>>,
    demux: Demux,
    shutdown: Shutdown,
    keepalive: Option<Interval>,
    /// Reading waits for this: room in a full queue, the connection's own
    /// or a handler's that does not keep up with its client's stream. The
    /// rest of the loop goes on meanwhile (writes, keepalive, shutdown).
    paused: Option<Wait>,
    /// Set once shutdown is requested: when the open calls' time is up.
    /// Boxed, and made only then: a timer is 100 bytes that every idle
    /// connection would carry.
    grace_ends: Option<Pin<Box<tokio::time::Sleep>>>,
    received: crate::metrics::Frames,
    json: bool,
    _open: crate::metrics::ConnectionOpen,
}

impl<S> Connection<S>
where
    S: Stream<Item = Result<Message, tungstenite::Error>>
        + Sink<Message, Error = tungstenite::Error>
        + Send
        + 'static,
{
    fn new(socket: S, router: Arc<Router>, info: Arc<ConnectionInfo>, shutdown: Shutdown) -> Self {
        let json = info.subprotocol() == Some(swill_proto::json::SUBPROTOCOL);
        let (sink, source) = socket.split();
        let (outbox, queue) = Outbox::channel(router.config.limits.max_queued_frames);
        let writer = Writer::new(sink, queue, json, router.config.idle_timeout);
        let keepalive = router.config.keepalive.map(|every| {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            tick
        });
        Connection {
            source,
            writer,
            demux: Demux {
                router,
                info,
                outbox,
                open: HashMap::new(),
                calls: JoinSet::new(),
                draining: false,
                last_frame: Instant::now(),
            },
            shutdown,
            keepalive,
            paused: None,
            grace_ends: None,
            received: crate::metrics::Frames::received(),
            json,
            _open: crate::metrics::ConnectionOpen::new(),
        }
    }

    /// The connection's life. An `async` block, not an `async fn`: an
    /// `async fn` would keep `self` twice, as its argument and as the
    /// variable it moves that into.
    #[allow(clippy::manual_async_fn)] // the `async fn` it suggests is the double
    fn serve(mut self) -> impl Future<Output = ()> + Send {
        async move {
            tracing::debug!(remote = ?self.demux.info.remote_addr(), "connected");
            hooks::notify(&self.demux.router.hooks.after_accept, &self.demux.info).await;
            let leave = self.read_and_write().await;
            // A peer that stopped reading cannot hold what follows: the close frame
            // and the socket's close get a bounded time each.
            if let Leave::Close(code, reason) = leave {
                tracing::debug!(?code, reason, "closing the connection");
                let close = CloseFrame {
                    code,
                    reason: reason.into(),
                };
                let close = self.writer.send_now(Message::Close(Some(close)));
                let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, close).await;
            }
            // Nothing more is written: the queue closes before the calls stop, so
            // that none of them waits for room in it.
            self.writer.close_queue();
            self.demux.stop_all().await;
            hooks::notify(&self.demux.router.hooks.after_connection, &self.demux.info).await;
            let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, self.writer.finish()).await;
            tracing::debug!("disconnected");
        }
    }

    /// The connection's loop, until it has to end.
    async fn read_and_write(&mut self) -> Leave {
        let demux = &mut self.demux;
        let writer = &mut self.writer;
        let idle_timeout = demux.router.config.idle_timeout;
        loop {
            tokio::select! {
                // In this order: the rare and cheap first (shutdown, reaping
                // finished calls), so that a client that never stops sending
                // cannot hold them off; then reading before writing: while
                // requests keep coming, their answers gather and go out in
                // batches (see `Writer::after_read`), the rest once the socket
                // has nothing more to read, as a hand-written server would
                // batch them.
                biased;
                () = self.shutdown.requested(), if !demux.draining => {
                    demux.draining = true;
                    self.grace_ends = Some(Box::pin(tokio::time::sleep_until(self.shutdown.grace_deadline())));
                    demux.end_endless_streams();
                    // Calls just ended still have their ERROR to send: the
                    // close comes once their tasks are done.
                    if demux.open.is_empty() && demux.calls.is_empty() {
                        return shutting_down();
                    }
                }
                () = grace(&mut self.grace_ends), if self.grace_ends.is_some() => return shutting_down(),
                Some(done) = demux.calls.join_next_with_id(), if !demux.calls.is_empty() => {
                    demux.on_call_done(done);
                    if demux.draining && demux.open.is_empty() && demux.calls.is_empty() {
                        return shutting_down();
                    }
                }
                () = resume(&mut self.paused), if self.paused.is_some() => {
                    self.paused = None;
                    // Not reading was the server's doing, not the client's.
                    demux.last_frame = Instant::now();
                }
                incoming = self.source.next(), if self.paused.is_none() => {
                    demux.last_frame = Instant::now();
                    let json = self.json;
                    let wait = match incoming {
                        Some(Ok(Message::Binary(bytes))) if !json => {
                            self.received.count(bytes.len());
                            demux.on_frame(bytes)
                        }
                        Some(Ok(Message::Text(text))) if json => {
                            self.received.count(text.len());
                            demux.on_text(&text)
                        }
                        Some(Ok(Message::Binary(_))) => return Leave::Close(
                            CloseCode::Unsupported,
                            format!("this connection speaks JSON text frames ({})", swill_proto::json::SUBPROTOCOL),
                        ),
                        Some(Ok(Message::Text(_))) => return Leave::Close(
                            CloseCode::Unsupported,
                            "swill speaks binary MessagePack frames, not text".to_owned(),
                        ),
                        Some(Ok(Message::Close(_))) | None => return Leave::Gone,
                        Some(Ok(_)) => None, // pings are answered by tungstenite
                        Some(Err(tungstenite::Error::Capacity(e))) => {
                            return Leave::Close(CloseCode::Size, e.to_string());
                        }
                        // An unmasked frame, reserved bits, an unknown opcode...:
                        // the peer is told why, as RFC 6455 asks.
                        Some(Err(tungstenite::Error::Protocol(e))) => {
                            return Leave::Close(CloseCode::Protocol, e.to_string());
                        }
                        // RFC 6455, 8.1: a text frame that is not UTF-8 fails
                        // the connection with 1007.
                        Some(Err(tungstenite::Error::Utf8(e))) => {
                            return Leave::Close(CloseCode::Invalid, format!("a text frame that is not UTF-8: {e}"));
                        }
                        Some(Err(e)) => {
                            tracing::debug!(error = %e, "read failed");
                            return Leave::Gone;
                        }
                    };
                    // A full queue: reading waits for room (backpressure).
                    match wait {
                        Some(wait) => self.paused = Some(wait),
                        None => {
                            if writer.after_read().await.is_err() {
                                return Leave::Gone;
                            }
                        }
                    }
                }
                Some(first) = writer.next() => {
                    if writer.write(first).await.is_err() {
                        return Leave::Gone;
                    }
                }
                () = tick(&mut self.keepalive) => {
                    let idle = self.paused.is_none()
                        && idle_timeout.is_some_and(|idle| demux.last_frame.elapsed() >= idle);
                    if idle {
                        return Leave::Close(CloseCode::Away, "idle timeout".to_owned());
                    }
                    if writer.send_now(Message::Ping(Default::default())).await.is_err() {
                        return Leave::Gone;
                    }
                }
            }
        }
    }
}

/// How long the close frame, and then closing the socket, may take with a
/// peer that does not read.
const CLOSE_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn shutting_down() -> Leave {
    Leave::Close(CloseCode::Away, "the server is shutting down".to_owned())
}

async fn tick(keepalive: &mut Option<Interval>) {
    match keepalive {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn message_too_large(router: &Router, len: usize) -> Error {
    Error::new(
        Code::MESSAGE_TOO_LARGE,
        format!(
            "the message is {len} bytes, more than the limit of {}",
            router.config.limits.max_message_size
        ),
    )
}

async fn resume(paused: &mut Option<Wait>) {
    match paused {
        Some(wait) => {
            wait.as_mut().await;
        }
        None => std::future::pending().await,
    }
}

async fn grace(ends: &mut Option<Pin<Box<tokio::time::Sleep>>>) {
    match ends {
        Some(sleep) => sleep.as_mut().await,
        None => std::future::pending().await,
    }
}

impl Demux {
    /// Handles one binary frame. Plain code: what must wait (a full queue)
    /// comes back boxed, for the read loop to await before reading on.
    fn on_frame(&mut self, bytes: bytes::Bytes) -> Option<Wait> {
        match RequestFrame::decode_with(bytes, &self.router.config.limits.codec()) {
            Ok(frame) => self.dispatch(frame),
            Err(e) => match e.seq {
                Some(seq) => {
                    tracing::debug!(%seq, error = %e, "malformed frame");
                    let error = match e.kind {
                        DecodeErrorKind::TooLarge { .. } => {
                            Error::new(Code::MESSAGE_TOO_LARGE, e.kind.to_string())
                        }
                        _ => Error::bad_request(format!("malformed frame: {e}")),
                    };
                    self.fail_seq(seq, error)
                }
                None => {
                    tracing::warn!(error = %e, "dropped a malformed frame without a readable seq");
                    None
                }
            },
        }
    }

    /// Handles one JSON text frame: read as the MessagePack frame it
    /// stands for. Text that is not JSON is a malformed frame, answered by
    /// seq when the start of it is readable.
    fn on_text(&mut self, text: &str) -> Option<Wait> {
        match swill_proto::json::frame_from_text(text) {
            Ok(bytes) => self.on_frame(bytes.into()),
            Err(e) => match swill_proto::json::leading_seq(text) {
                Some(seq) => {
                    tracing::debug!(%seq, error = %e, "a frame that is not JSON");
                    let error = Error::bad_request(format!("malformed frame: not JSON: {e}"));
                    self.fail_seq(Seq::from(seq), error)
                }
                None => {
                    tracing::warn!(error = %e, "dropped a text frame that is not JSON, without a readable seq");
                    None
                }
            },
        }
    }

    fn dispatch(&mut self, frame: RequestFrame) -> Option<Wait> {
        let router = self.router.clone();
        let Some((index, route)) = router.find(&frame.rpc) else {
            if matches!(frame.kind, RequestType::Message | RequestType::Metadata) {
                return self.reply_error(frame.seq, Error::not_found(NOT_FOUND_MESSAGE));
            }
            return None;
        };
        let key = (index, frame.seq);
        let too_large = frame.kind == RequestType::Message
            && frame.data.len() > router.config.limits.max_message_size;
        match self.open.get_mut(&key) {
            // A finished call's (rpc, seq) may be reused before its task is reaped.
            Some(open) if !open.call.finished() => match frame.kind {
                RequestType::Message if too_large => {
                    // Stopped but kept: a client still streaming has more
                    // messages on their way, which the arm below drops.
                    let error = message_too_large(&router, frame.data.len());
                    open.call.stop(Stop::Fail(error));
                    None
                }
                RequestType::Message => open.call.feed(frame.data),
                RequestType::EndOfStream => {
                    open.call.end_of_stream();
                    None
                }
                RequestType::Cancel => {
                    self.stop(key, Stop::Cancel);
                    None
                }
                RequestType::Metadata => {
                    tracing::debug!(rpc = %frame.rpc, seq = %frame.seq, "metadata for an open request ignored");
                    None
                }
            },
            // The request ended (an ERROR, say) while its client was still
            // streaming: messages already on their way must not open a new
            // request and earn a second answer. END_OF_STREAM or CANCEL
            // closes it; a METADATA frame opens a new one explicitly.
            Some(open) if open.call.client_streaming() => match frame.kind {
                RequestType::Message => {
                    tracing::debug!(rpc = %frame.rpc, seq = %frame.seq, "message for an ended request dropped");
                    None
                }
                RequestType::EndOfStream | RequestType::Cancel => {
                    self.open.remove(&key);
                    None
                }
                RequestType::Metadata => {
                    self.open.remove(&key);
                    self.start(key, route, frame)
                }
            },
            _ => match frame.kind {
                RequestType::Message if too_large => {
                    let error = message_too_large(&router, frame.data.len());
                    self.reply_error(frame.seq, error)
                }
                RequestType::Message | RequestType::Metadata => self.start(key, route, frame),
                // For a request that is not open, the protocol says to ignore these.
                RequestType::EndOfStream | RequestType::Cancel => None,
            },
        }
    }

    fn start(&mut self, key: Key, route: &Route, frame: RequestFrame) -> Option<Wait> {
        let config = &self.router.config;
        if self.draining {
            let error = Error::new(Code::UNAVAILABLE, "the server is shutting down");
            return self.reply_error(frame.seq, error);
        }
        if self.open.len() >= config.limits.max_requests_per_connection {
            let error = Error::new(
                Code::TOO_MANY_REQUESTS,
                format!(
                    "too many requests open on this connection (at most {})",
                    config.limits.max_requests_per_connection
                ),
            );
            return self.reply_error(frame.seq, error);
        }
        let opening = Opening {
            head: RequestHead {
                rpc: route.name.clone(),
                seq: frame.seq,
                metadata: frame.metadata.unwrap_or_default(),
                extensions: self.info.extensions().clone(),
                connection: self.info.clone(),
                session: self.info.session.as_ref().map(|b| Session::new(b.clone())),
            },
            // Opened by METADATA: even a unary request has its message to come.
            first: (frame.kind == RequestType::Message).then_some(frame.data),
            received: self.last_frame,
            buffer: config.limits.request_stream_buffer,
        };
        let (call, handle) = call::open(
            route,
            opening,
            self.outbox.clone(),
            self.router.hooks.clone(),
        );
        // Boxed: the call's future is kilobytes, and spawning moves a future
        // several times; moving a pointer instead was worth a tenth of the
        // server's time in profiles.
        let mut run = Box::pin(call.run());
        // Most unary handlers finish at their first poll: answered here, such
        // a call never costs a task, nor a place among the open requests.
        // (Streaming answers always get a task: one could keep this loop
        // busy for as long as the client reads.) If it is still pending,
        // the task polls it again at once, registering real wakers.
        if !route.response.streams {
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            if run.as_mut().poll(&mut cx).is_ready() {
                return None;
            }
        }
        // In the connection's span, so that the call's own span (and the
        // handler's log lines) sit under it, as inline calls' do.
        let task = self.calls.spawn(
            async move {
                run.await;
                key
            }
            .in_current_span(),
        );
        let open = OpenCall {
            task: task.id(),
            call: handle,
        };
        self.open.insert(key, open);
        None
    }

    /// Ends the calls that would otherwise hold the drain to its grace
    /// period (subscriptions), with 503: their clients resume elsewhere.
    fn end_endless_streams(&mut self) {
        let endless: Vec<Key> = self
            .open
            .keys()
            .filter(|(index, _)| self.router.route(*index).is_some_and(|r| r.endless))
            .copied()
            .collect();
        for key in endless {
            let error = Error::new(Code::UNAVAILABLE, "the server is shutting down");
            self.stop(key, Stop::Fail(error));
        }
    }

    /// Stops an open call and forgets it: its task ends on its own, having
    /// run `after_request`.
    fn stop(&mut self, key: Key, why: Stop) {
        if let Some(mut open) = self.open.remove(&key) {
            open.call.stop(why);
        }
    }

    /// Stops every open call and waits for their tasks (and their
    /// `after_request` hooks) to end.
    async fn stop_all(&mut self) {
        for (_, mut open) in self.open.drain() {
            open.call.stop(Stop::Disconnect);
        }
        while let Some(done) = self.calls.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "a call task failed outside its handler");
            }
        }
    }

    fn on_call_done(&mut self, done: Result<(Id, Key), tokio::task::JoinError>) {
        match done {
            Ok((id, key)) => {
                // A request whose client is still streaming lingers until
                // that stream ends (see `dispatch`).
                if self
                    .open
                    .get(&key)
                    .is_some_and(|c| c.task == id && !c.call.client_streaming())
                {
                    self.open.remove(&key);
                }
            }
            Err(e) => {
                let id = e.id();
                tracing::error!(error = %e, "a call task failed outside its handler");
                self.open.retain(|_, c| c.task != id);
            }
        }
    }

    /// Answers a malformed frame that names `seq`. Responses carry only
    /// the seq, so an ERROR for it ends, for the client, every request in
    /// progress with that seq: those are stopped with it (their own ERROR
    /// is the one answer). A request that ended while its client still
    /// streams gets no second ERROR: the frame was one of its. Otherwise
    /// (no request, or one that is over but not yet reaped, whose seq the
    /// client may reuse) the frame gets an ERROR of its own.
    fn fail_seq(&mut self, seq: Seq, error: Error) -> Option<Wait> {
        let mut answered = false;
        for open in self
            .open
            .iter_mut()
            .filter(|(k, _)| k.1 == seq)
            .map(|(_, o)| o)
        {
            if !open.call.finished() {
                open.call.stop(Stop::Fail(error.clone()));
                answered = true;
            } else if open.call.client_streaming() {
                answered = true;
            }
        }
        match answered {
            true => None,
            false => self.reply_error(seq, error),
        }
    }

    /// Answers a request the connection itself refuses (404, 413, 429,
    /// 503, a malformed frame).
    fn reply_error(&self, seq: Seq, error: Error) -> Option<Wait> {
        self.outbox
            .send_or_wait(ResponseFrame::error(seq, error.body()))
    }
}
