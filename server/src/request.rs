//! What a handler receives: [`Request`] for one message, [`StreamingRequest`]
//! for a stream of them.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use swill_proto::{Metadata, Payload};
use tokio::sync::oneshot;

use crate::call::Inbound;
use crate::context::Context;
use crate::error::Error;
use crate::message::Message;
use crate::schema::Side;

/// A request carrying exactly one message, decoded into `T`.
///
/// ```
/// use swill::{Error, Request};
/// /// Adds two numbers.
/// #[swill::rpc]
/// async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
///     Ok(req.data.0 + req.data.1)
/// }
/// ```
///
/// Data that does not fit `T` never reaches the handler: the client gets
/// ERROR 400 with a message naming the expected type and the field at fault.
#[derive(Debug)]
pub struct Request<T> {
    /// The decoded message.
    pub data: T,
    /// Metadata, connection, extensions; response metadata setters.
    pub ctx: Context,
}

impl<T> Request<T> {
    /// A request outside any server, for calling a handler in a unit test:
    /// `data` with a [`Context::default`].
    pub fn new(data: T) -> Self {
        Request {
            data,
            ctx: Context::default(),
        }
    }

    /// The request metadata.
    pub fn metadata(&self) -> &Metadata {
        self.ctx.metadata()
    }
}

/// A request carrying a stream of messages, each decoded into `T`; the stream
/// ends when the client sends END_OF_STREAM.
///
/// ```
/// use futures::StreamExt;
/// use swill::{Error, StreamingRequest};
/// /// Sums a stream of integers.
/// #[swill::rpc]
/// async fn total(mut req: StreamingRequest<i64>) -> Result<i64, Error> {
///     let mut sum = 0;
///     while let Some(n) = req.next().await {
///         sum += n;
///     }
///     Ok(sum)
/// }
/// ```
///
/// A message that does not fit `T` ends the call with ERROR 400; the handler
/// is dropped and never sees it. If the handler stops reading, the client's
/// messages wait in a small per-call buffer (32 messages) and then hold up
/// the connection's reading (TCP backpressure), so memory stays bounded
/// whatever the handler does.
pub struct StreamingRequest<T> {
    /// Metadata, connection, extensions; response metadata setters.
    pub ctx: Context,
    inbound: BoxStream<'static, Result<Payload, Error>>,
    fail: Option<oneshot::Sender<Error>>,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T> StreamingRequest<T> {
    /// The request metadata.
    pub fn metadata(&self) -> &Metadata {
        self.ctx.metadata()
    }
}

impl<T: Message> Stream for StreamingRequest<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if this.fail.is_none() {
            // A bad message was reported; the call is being torn down.
            return Poll::Pending;
        }
        let item = ready!(this.inbound.poll_next_unpin(cx))
            .map(|message| message.and_then(|p| T::from_payload(this.ctx.rpc(), &p)));
        match item {
            None => Poll::Ready(None),
            Some(Ok(item)) => Poll::Ready(Some(item)),
            Some(Err(error)) => {
                // The call ends with this error; the handler never sees it.
                if let Some(fail) = this.fail.take() {
                    let _ = fail.send(error);
                }
                Poll::Pending
            }
        }
    }
}

impl<T> std::fmt::Debug for StreamingRequest<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingRequest")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

/// A call, as the handler's tower [`Service`](tower::Service) takes it
/// ([`HandlerService`](crate::HandlerService)): what a layer of your own
/// sees. Its [`context`](CallInput::context) has the rpc, the request's
/// metadata and extensions, so a layer can refuse a call (with a
/// [`swill::Error`](crate::Error), which reaches the client as it is) or
/// time it; the messages stay for the handler.
///
/// ```
/// use std::task::{Context, Poll};
/// use swill::{CallInput, Error, Reply};
///
/// /// Refuses calls without a `token` in their metadata.
/// #[derive(Clone)]
/// struct RequireToken<S>(S);
///
/// impl<S> tower::Service<CallInput> for RequireToken<S>
/// where
///     S: tower::Service<CallInput, Response = Reply>,
///     S::Error: Into<tower::BoxError>,
///     S::Future: Send + 'static,
/// {
///     type Response = Reply;
///     type Error = tower::BoxError;
///     type Future = futures::future::BoxFuture<'static, Result<Reply, tower::BoxError>>;
///
///     fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
///         self.0.poll_ready(cx).map_err(Into::into)
///     }
///
///     fn call(&mut self, input: CallInput) -> Self::Future {
///         if input.context().metadata().get_str("token").is_none() {
///             let refused = Error::unauthorized("a token is required");
///             return Box::pin(async move { Err(refused.into()) });
///         }
///         let answer = self.0.call(input);
///         Box::pin(async move { answer.await.map_err(Into::into) })
///     }
/// }
///
/// let app = swill::App::new().layer(tower::layer::layer_fn(RequireToken));
/// ```
pub struct CallInput {
    pub(crate) ctx: Context,
    pub(crate) inbound: Inbound,
    /// Where a streaming request reports a bad message; `None` for a
    /// unary one, whose one message is read by [`Request`]'s `from_call`:
    /// a bad one is that call's error.
    pub(crate) fail: Option<oneshot::Sender<Error>>,
}

impl CallInput {
    /// The call's context: its rpc, metadata, extensions, connection.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The one message of a unary request, still encoded.
    pub(crate) async fn message(&mut self) -> Result<Payload, Error> {
        match self.inbound.next().await {
            Some(payload) => payload,
            None => Err(Error::bad_request(format!(
                "`{}` takes one message, and the request ended without one",
                self.ctx.rpc()
            ))),
        }
    }
}

/// A handler argument: [`Request<T>`] or [`StreamingRequest<T>`].
///
/// The argument's type decides whether the rpc's request side streams.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a swill handler's request",
    label = "the last argument must be `Request<T>` or `StreamingRequest<T>`",
    note = "`T` must be `serde::Deserialize + schemars::JsonSchema`; extractors such as `State<T>` come before the request"
)]
pub trait FromCall<M>: Sized + Send + 'static {
    /// Builds the argument from the call's first message or its stream.
    #[doc(hidden)]
    fn from_call(input: CallInput) -> impl Future<Output = Result<Self, Error>> + Send;

    /// Whether the request streams, and the schema of one message.
    #[doc(hidden)]
    fn describe() -> Side;
}

#[doc(hidden)]
pub struct OneMessage;
#[doc(hidden)]
pub struct ManyMessages;

impl<T: Message> FromCall<OneMessage> for Request<T> {
    async fn from_call(mut input: CallInput) -> Result<Self, Error> {
        let payload = input.message().await?;
        let data = T::from_payload(input.ctx.rpc(), &payload)?;
        Ok(Request {
            data,
            ctx: input.ctx,
        })
    }

    fn describe() -> Side {
        T::side(false)
    }
}

impl<T: Message> FromCall<ManyMessages> for StreamingRequest<T> {
    async fn from_call(input: CallInput) -> Result<Self, Error> {
        // The channel comes with every route whose request streams, which
        // `describe` below declares. Without it a bad message could not end
        // the call, and the stream would stall: fail at once instead.
        let Some(fail) = input.fail else {
            tracing::error!(
                rpc = input.ctx.rpc(),
                "a streaming request without its report channel"
            );
            return Err(Error::internal());
        };
        Ok(StreamingRequest {
            ctx: input.ctx,
            inbound: input.inbound.into_stream(),
            fail: Some(fail),
            _type: std::marker::PhantomData,
        })
    }

    fn describe() -> Side {
        T::side(true)
    }
}
