//! One call, from its request hooks to its `after_request`: everything
//! about a call lives in this module.
//!
//! The connection opens a call with [`open`], spawns (or polls) the
//! [`Call`] and keeps the [`CallHandle`] to feed it, stop it and ask
//! whether it has been answered. The handler sees the call through its
//! [`Context`]; every frame of the answer goes out through the call's
//! [`Responder`], which fires the response hooks; the client's messages
//! come in through [`Inbound`](inbound::Inbound), which fires the request
//! data hooks; this file fires the others (`before_request`,
//! `before_request_metadata`, `after_request`).

mod handle;
mod inbound;
mod responder;

pub(crate) use handle::{CallHandle, Opening, open};
pub(crate) use inbound::Inbound;
pub(crate) use responder::Responder;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::Either;
use futures::{FutureExt, StreamExt};
use swill_proto::{Code, Metadata, Payload};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::context::Context;
use crate::context::RequestHead;
use crate::error::Error;
use crate::handler::BoxedHandler;
use crate::hooks::{self, BeforeRequest, Chained, Hooks, Outcome};
use crate::reply::Reply;
use crate::request::CallInput;

/// Why the connection stops a call before it is done.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The client sent CANCEL.
    Cancel,
    /// The connection closed, or the server shut down.
    Disconnect,
    /// The connection found a fault (a message over the size limit): the
    /// call ends with this error.
    Fail(Error),
}

/// Everything a call task starts from.
pub(crate) struct Call {
    pub(crate) handler: BoxedHandler,
    /// The `before_request` hooks and guards of the route's modules.
    pub(crate) module_hooks: Option<Arc<[BeforeRequest]>>,
    /// The rpc's request metrics.
    pub(crate) metrics: Arc<crate::metrics::RouteMetrics>,
    pub(crate) head: RequestHead,
    /// The opening MESSAGE's data; `None` when a METADATA frame opened it.
    pub(crate) first: Option<Payload>,
    /// Later messages, for streaming requests and those opened by METADATA.
    pub(crate) inbound: Option<mpsc::Receiver<Payload>>,
    /// Whether the request streams: then a bad message can end the call.
    pub(crate) streams_request: bool,
    /// Whether the answer streams: a reply of the other shape (from a
    /// layer) is answered in this one.
    pub(crate) streams_response: bool,
    pub(crate) stop: oneshot::Receiver<Stop>,
    pub(crate) responder: Arc<Responder>,
    pub(crate) hooks: Arc<Hooks>,
    /// When the opening frame arrived: the deadline counts from here.
    pub(crate) received: Instant,
}

/// How the race between the handler, a stop and the deadline ended.
enum Ended {
    Done(Outcome),
    Stopped(Stop),
    DeadlineExceeded(u64),
}

impl Call {
    /// Runs the call to its end, whatever that is, then `after_request`.
    ///
    /// Stopping is dropping: on CANCEL, disconnect or deadline the handler's
    /// future (and its stream) is dropped wherever it is awaiting, before
    /// `after_request` runs.
    ///
    /// Plain functions returning `async` blocks, here and below: an `async
    /// fn` keeps its arguments for as long as it runs, beside what it moves
    /// them into, and a call's state is allocated and moved for every call.
    pub(crate) fn run(self) -> impl Future<Output = ()> + Send {
        let span = tracing::info_span!(
            "request",
            rpc = %self.head.rpc,
            seq = %self.head.seq,
            outcome = tracing::field::Empty,
            code = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            parent_id = tracing::field::Empty,
        );
        crate::trace::continue_trace(&span, &self.head.metadata);
        self.run_inner().instrument(span)
    }

    fn run_inner(self) -> impl Future<Output = ()> + Send {
        let Call {
            handler,
            module_hooks,
            metrics,
            head,
            first,
            inbound,
            streams_request,
            streams_response,
            mut stop,
            responder,
            hooks,
            received,
        } = self;
        async move {
            let in_flight = crate::metrics::InFlight::new(&metrics, &head.rpc);
            let has_metadata = !head.metadata.is_empty();
            let (head, rejected) =
                match request_hooks(&hooks, module_hooks.as_deref(), head, has_metadata).await {
                    Ok(head) => (head, None),
                    Err((head, e)) => (head, Some(e)),
                };
            let timeout = head.metadata.get(Metadata::TIMEOUT).cloned();
            let ctx = Context::new(head, responder.clone());

            let outcome = match (rejected, deadline(timeout.as_ref(), received)) {
                (Some(error), _) | (None, Err(error)) => responder.fail(error).await,
                (None, Ok(deadline)) => {
                    let inbound = Inbound::new(first, inbound, ctx.clone(), hooks.clone());
                    let ended = tokio::select! {
                        biased;
                        stopped = &mut stop => Ended::Stopped(stopped.unwrap_or(Stop::Disconnect)),
                        ms = expires(deadline) => Ended::DeadlineExceeded(ms),
                        outcome = drive(&ctx, handler, inbound, streams_request, streams_response) => Ended::Done(outcome),
                    };
                    match ended {
                        Ended::Done(outcome) => outcome,
                        Ended::Stopped(Stop::Cancel) => Outcome::Cancelled,
                        Ended::Stopped(Stop::Disconnect) => Outcome::Disconnected,
                        Ended::Stopped(Stop::Fail(error)) => responder.fail(error).await,
                        Ended::DeadlineExceeded(ms) => responder.fail(deadline_exceeded(ms)).await,
                    }
                }
            };
            record(&outcome, received);
            in_flight.finish(&outcome, received.elapsed());
            for hook in &hooks.after_request {
                hook(ctx.clone(), outcome.clone()).await;
            }
        }
    }
}

/// The app's `before_request` (and `before_request_metadata`) hooks, then
/// those of the modules the rpc sits in; a ready value when there are
/// none, as [`hooks::chain`]. A refusal comes with the head the rest of
/// the call sees: the request as it came, without its metadata or what
/// the hooks attached.
fn request_hooks<'a>(
    hooks: &'a Hooks,
    module_hooks: Option<&'a [BeforeRequest]>,
    head: RequestHead,
    has_metadata: bool,
) -> Chained<'a, RequestHead, (RequestHead, Error)> {
    let none = hooks.before_request.is_empty()
        && (!has_metadata || hooks.before_request_metadata.is_empty())
        && module_hooks.is_none_or(<[_]>::is_empty);
    if none {
        return Either::Left(std::future::ready(Ok(head)));
    }
    Either::Right(Box::pin(async move {
        let refused = RequestHead {
            rpc: head.rpc.clone(),
            seq: head.seq,
            metadata: Metadata::new(),
            extensions: http::Extensions::new(),
            connection: head.connection.clone(),
            session: head.session.clone(),
        };
        let chained = async {
            let mut head = hooks::chain(&hooks.before_request, head).await?;
            if has_metadata {
                head = hooks::chain(&hooks.before_request_metadata, head).await?;
            }
            match module_hooks {
                Some(module_hooks) => hooks::chain(module_hooks, head).await,
                None => Ok(head),
            }
        };
        chained.await.map_err(|error| (refused, error))
    }))
}

/// Reads the `swill-timeout` metadata: milliseconds, a non-negative integer.
/// A deadline already past (0 ms, or a request that waited in a hook) is
/// the 408 at once: the handler does not run, even one that would finish
/// without waiting, which a timer would not stop.
fn deadline(
    timeout: Option<&rmpv::Value>,
    received: Instant,
) -> Result<Option<(Instant, u64)>, Error> {
    match timeout {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            Some(ms) => {
                let at = received + Duration::from_millis(ms);
                if at <= Instant::now() {
                    return Err(deadline_exceeded(ms));
                }
                Ok(Some((at, ms)))
            }
            None => {
                // rmpv shows 100.0 as `100`, which reads as the integer
                // it asks for.
                let found = match v {
                    rmpv::Value::F64(f) => format!("{f:?}"),
                    rmpv::Value::F32(f) => format!("{f:?}"),
                    v => v.to_string(),
                };
                Err(Error::bad_request(format!(
                    "`{}` must be a non-negative integer of milliseconds, found {found}",
                    Metadata::TIMEOUT
                )))
            }
        },
    }
}

fn deadline_exceeded(ms: u64) -> Error {
    let message = format!("deadline exceeded: the request took more than {ms} ms");
    Error::new(Code::DEADLINE_EXCEEDED, message)
}

/// Resolves when the deadline passes, with its length; never without one.
/// The timer is boxed, and made only for a call with a deadline.
fn expires(deadline: Option<(Instant, u64)>) -> impl Future<Output = u64> + Send {
    let timer = deadline.map(|(at, ms)| (Box::pin(tokio::time::sleep_until(at.into())), ms));
    async move {
        match timer {
            Some((timer, ms)) => {
                timer.await;
                ms
            }
            None => std::future::pending().await,
        }
    }
}

/// Runs the handler and writes its answer: MESSAGE frames, then
/// END_OF_STREAM or an ERROR.
async fn drive(
    ctx: &Context,
    handler: BoxedHandler,
    inbound: Inbound,
    streams_request: bool,
    streams_response: bool,
) -> Outcome {
    // Only a streaming request reads messages while its handler runs, so
    // only it needs a way to report a bad one (a unary request's message is
    // read by `Request::from_call`, whose error is the call's).
    let (fail, failed) = streams_request.then(oneshot::channel).unzip();
    let input = CallInput {
        ctx: ctx.clone(),
        inbound,
        fail,
    };
    // A bad message in a streaming request resolves this; otherwise it never does.
    let failed = async move {
        match futures::future::OptionFuture::from(failed).await {
            Some(Ok(error)) => error,
            // No channel, or the handler is done with it.
            _ => std::future::pending().await,
        }
    };
    let mut failed = std::pin::pin!(failed);

    // `handler(input)` runs the extractors before it returns a future:
    // called inside `guarded`, a panic there is this call's 500 too.
    let called = std::panic::catch_unwind(AssertUnwindSafe(|| handler(input)));
    let reply = tokio::select! {
        biased;
        error = &mut failed => Reply::Unary(Err(error)),
        reply = crate::panic::guarded("the handler", called) => reply,
    };
    let responder = ctx.responder();
    // A handler's reply has its rpc's shape; a layer's (`Reply` is public)
    // may not, and the client waits for the shape the rpc declares: one
    // answer becomes a stream of one item, a stream's first item the one
    // answer.
    let mut items = match (reply, streams_response) {
        (Reply::Unary(Err(error)), _) => return responder.fail(error).await,
        (Reply::Unary(Ok(payload)), false) => return responder.answer(ctx, payload).await,
        (Reply::Unary(Ok(payload)), true) => futures::stream::iter([Ok(payload)]).boxed(),
        (Reply::Stream(items), true) => items,
        (Reply::Stream(mut items), false) => {
            return match guard(ctx, items.next()).await {
                Ok(Some(Ok(payload))) => responder.answer(ctx, payload).await,
                Ok(Some(Err(error))) | Err(error) => responder.fail(error).await,
                Ok(None) => {
                    tracing::error!(rpc = ctx.rpc(), "an empty stream answered a unary rpc");
                    responder.fail(Error::internal()).await
                }
            };
        }
    };
    loop {
        let item = tokio::select! {
            biased;
            error = &mut failed => Some(Err(error)),
            item = guard(ctx, items.next()) => item.unwrap_or_else(|e| Some(Err(e))),
        };
        match item {
            Some(Ok(payload)) => match responder.item(ctx, payload).await {
                Ok(true) => {}
                // The connection is gone: producing more would be wasted work.
                Ok(false) => return Outcome::Disconnected,
                Err(error) => return responder.fail(error).await,
            },
            Some(Err(error)) => return responder.fail(error).await,
            None => return responder.end(ctx).await,
        }
    }
}

/// Polls a response stream, turning a panic into a 500.
async fn guard<F: Future>(ctx: &Context, user_code: F) -> Result<F::Output, Error> {
    AssertUnwindSafe(user_code)
        .catch_unwind()
        .await
        .map_err(|panic| {
            tracing::error!(
                rpc = ctx.rpc(),
                seq = %ctx.seq(),
                panic = crate::panic::message(&*panic),
                "handler panicked"
            );
            Error::internal()
        })
}

/// Records the result on the request's span (`outcome`, and `code` for an
/// ERROR), and logs it with the duration.
fn record(outcome: &Outcome, received: Instant) {
    let span = tracing::Span::current();
    let name = match outcome {
        Outcome::Ok => "ok",
        Outcome::Error(e) => {
            span.record("code", e.code().as_i64());
            "error"
        }
        Outcome::Cancelled => "cancelled",
        Outcome::Disconnected => "disconnected",
    };
    span.record("outcome", name);
    tracing::debug!(
        outcome = name,
        duration_us = received.elapsed().as_micros() as u64,
        "request finished"
    );
}
