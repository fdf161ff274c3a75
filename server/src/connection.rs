//! One WebSocket connection: read frames, route them to calls, write answers.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{Sink, Stream, StreamExt};
use http::Extensions;
use swill_proto::{Limits, Payload, RequestFrame, RequestType, ResponseFrame, Seq};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, Id, JoinSet};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tracing::Instrument;

use crate::app::Router;
use crate::call;
use crate::context::Context;
use crate::error::{Error, NOT_FOUND_MESSAGE};
use crate::info::ConnectionInfo;
use crate::outbox::{self, Outbox};
use crate::request::CallInput;

/// How many messages of a streaming request may wait for its handler.
const INBOUND_CAPACITY: usize = 32;

/// An open request: the route's index and the client's seq, as the wire
/// file says requests are identified (rpc, seq), per connection.
type Key = (usize, Seq);

/// What the connection keeps for each open request.
struct OpenCall {
    task: AbortHandle,
    /// Feeds the handler's request stream; `None` once it needs no more.
    inbound: Option<mpsc::Sender<Payload>>,
    streams_request: bool,
    ctx: Context,
}

/// The per-connection state: open requests and their tasks.
struct Demux {
    router: Arc<Router>,
    info: Arc<ConnectionInfo>,
    outbox: Outbox,
    open: HashMap<Key, OpenCall>,
    /// Every call's task; dropping the set aborts them all.
    calls: JoinSet<Key>,
    limits: Limits,
}

/// Serves one upgraded connection until the client leaves or it breaks.
///
/// When it ends, for whatever reason, every call still open is cancelled
/// (its handler dropped), as if the client had sent CANCEL for each.
pub(crate) async fn run<S>(socket: S, router: Arc<Router>, info: Arc<ConnectionInfo>)
where
    S: Stream<Item = Result<Message, tungstenite::Error>>
        + Sink<Message, Error = tungstenite::Error>
        + Send
        + 'static,
{
    let span = tracing::debug_span!("connection", id = info.id());
    serve(socket, router, info).instrument(span).await
}

async fn serve<S>(socket: S, router: Arc<Router>, info: Arc<ConnectionInfo>)
where
    S: Stream<Item = Result<Message, tungstenite::Error>>
        + Sink<Message, Error = tungstenite::Error>
        + Send
        + 'static,
{
    let (sink, mut source) = socket.split();
    let (outbox, queue) = Outbox::channel();
    let writer = tokio::spawn(outbox::write_loop(sink, queue).in_current_span());
    tracing::debug!(remote = ?info.remote_addr(), "connected");

    let mut demux = Demux {
        router,
        info,
        outbox,
        open: HashMap::new(),
        calls: JoinSet::new(),
        limits: Limits::default(),
    };
    loop {
        tokio::select! {
            incoming = source.next() => match incoming {
                Some(Ok(Message::Binary(bytes))) => demux.on_frame(bytes).await,
                Some(Ok(Message::Text(_))) => {
                    demux.close(CloseCode::Unsupported, "swill speaks binary MessagePack frames, not text").await;
                    break;
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {} // ping and pong are answered by tungstenite
                Some(Err(tungstenite::Error::Capacity(e))) => {
                    demux.close(CloseCode::Size, &e.to_string()).await;
                    break;
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "read failed");
                    break;
                }
            },
            Some(done) = demux.calls.join_next_with_id(), if !demux.calls.is_empty() => {
                demux.on_call_done(done);
            }
        }
    }
    demux.calls.shutdown().await;
    drop(demux);
    let _ = writer.await;
    tracing::debug!("disconnected");
}

impl Demux {
    async fn on_frame(&mut self, bytes: bytes::Bytes) {
        match RequestFrame::decode_with(bytes, &self.limits) {
            Ok(frame) => self.dispatch(frame).await,
            Err(e) => match e.seq {
                Some(seq) => {
                    tracing::debug!(%seq, error = %e, "malformed frame");
                    self.reply_error(seq, Error::bad_request(format!("malformed frame: {e}")))
                        .await;
                }
                None => {
                    tracing::warn!(error = %e, "dropped a malformed frame without a readable seq")
                }
            },
        }
    }

    async fn dispatch(&mut self, frame: RequestFrame) {
        let router = self.router.clone();
        let Some((index, route)) = router.find(&frame.rpc) else {
            if matches!(frame.kind, RequestType::Message | RequestType::Metadata) {
                self.reply_error(frame.seq, Error::not_found(NOT_FOUND_MESSAGE))
                    .await;
            }
            return;
        };
        let key = (index, frame.seq);
        match self.open.get_mut(&key) {
            // A finished call's (rpc, seq) may be reused before its task is reaped.
            Some(call) if !call.ctx.is_finished() => match frame.kind {
                RequestType::Message => call.feed(frame.data).await,
                RequestType::EndOfStream => call.inbound = None,
                RequestType::Cancel => {
                    call.task.abort();
                    self.open.remove(&key);
                }
                RequestType::Metadata => {
                    tracing::debug!(rpc = %frame.rpc, seq = %frame.seq, "metadata for an open request ignored");
                }
            },
            _ => match frame.kind {
                RequestType::Message | RequestType::Metadata => self.start(key, route, frame).await,
                // For a request that is not open, the protocol says to ignore these.
                RequestType::EndOfStream | RequestType::Cancel => {}
            },
        }
    }

    async fn start(&mut self, key: Key, route: &crate::app::Route, frame: RequestFrame) {
        if self.open.len() >= self.router.config.max_requests_per_connection {
            let error = Error::new(
                swill_proto::Code::TOO_MANY_REQUESTS,
                format!(
                    "too many requests open on this connection (at most {})",
                    self.router.config.max_requests_per_connection
                ),
            );
            return self.reply_error(frame.seq, error).await;
        }
        let (tx, rx) = mpsc::channel(INBOUND_CAPACITY);
        let mut inbound = Some(tx);
        if frame.kind == RequestType::Message {
            if let Some(tx) = &inbound {
                // A fresh channel always has room for its first message.
                let _ = tx.try_send(frame.data);
            }
            if !route.request.streams {
                inbound = None;
            }
        }
        let ctx = Context::new(
            route.name.clone(),
            frame.seq,
            frame.metadata.unwrap_or_default(),
            self.info.clone(),
            Extensions::new(),
            self.outbox.clone(),
        );
        let (fail, failed) = oneshot::channel();
        let input = CallInput {
            ctx: ctx.clone(),
            inbound: rx,
            fail,
        };
        let handler = route.handler.clone();
        let task = self.calls.spawn(async move {
            call::run(handler, input, failed).await;
            key
        });
        let call = OpenCall {
            task,
            inbound,
            streams_request: route.request.streams,
            ctx,
        };
        self.open.insert(key, call);
    }

    fn on_call_done(&mut self, done: Result<(Id, Key), tokio::task::JoinError>) {
        match done {
            Ok((id, key)) => {
                if self.open.get(&key).is_some_and(|c| c.task.id() == id) {
                    self.open.remove(&key);
                }
            }
            // Aborted tasks were removed when they were cancelled.
            Err(e) if e.is_cancelled() => {}
            Err(e) => {
                let id = e.id();
                tracing::error!(error = %e, "a call task failed outside its handler");
                self.open.retain(|_, c| c.task.id() != id);
            }
        }
    }

    async fn reply_error(&self, seq: Seq, error: Error) {
        self.outbox
            .send(ResponseFrame::error(seq, error.body()))
            .await;
    }

    async fn close(&self, code: CloseCode, reason: &str) {
        tracing::debug!(?code, reason, "closing the connection");
        let frame = CloseFrame {
            code,
            reason: reason.to_owned().into(),
        };
        self.outbox.send_message(Message::Close(Some(frame))).await;
    }
}

impl OpenCall {
    /// Hands a message to the handler. A unary request takes one message;
    /// later ones are ignored.
    async fn feed(&mut self, data: Payload) {
        if let Some(tx) = &self.inbound
            && tx.send(data).await.is_err()
        {
            // The handler no longer reads: it finished or stopped listening.
            self.inbound = None;
        }
        if !self.streams_request {
            self.inbound = None;
        }
    }
}
