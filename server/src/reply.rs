//! What a handler returns, and how it becomes response frames.

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use schemars::JsonSchema;
use serde::Serialize;
use swill_proto::Payload;

use crate::error::Error;
use crate::schema::Side;

/// A handler's answer, type-erased: one message, or a stream of them.
/// What the handler's tower [`Service`](tower::Service) answers a
/// [`CallInput`](crate::CallInput) with; a layer passes it on.
pub enum Reply {
    /// One message (or an error): the unary answer.
    Unary(Result<Payload, Error>),
    /// A stream of messages; an `Err` item ends it with an ERROR frame.
    Stream(BoxStream<'static, Result<Payload, Error>>),
}

/// A handler's return type.
///
/// - `Result<T, E>` or a plain `T`: one message (`T: Serialize + JsonSchema`);
/// - any `Stream<Item = Result<T, E>>`, e.g. from `async_stream::stream!`:
///   a stream of messages; an `Err` item ends it with that error;
/// - `Result<impl Stream<...>, E>`: a stream that can fail before its
///   first item.
///
/// `E` is [`Error`] or any error type of yours with `Into<swill::Error>`
/// (a `From` impl that picks the code):
///
/// ```
/// use swill::{Code, Error, Request};
///
/// enum LookupError { Missing(u64), Down }
///
/// impl From<LookupError> for Error {
///     fn from(e: LookupError) -> Error {
///         match e {
///             LookupError::Missing(id) => Error::not_found(format!("no user {id}")),
///             LookupError::Down => Error::new(Code::UNAVAILABLE, "the directory is down"),
///         }
///     }
/// }
///
/// async fn name(req: Request<u64>) -> Result<String, LookupError> {
///     Err(LookupError::Missing(req.data))
/// }
/// # let _ = swill::App::new().handle(name);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a swill handler's answer",
    label = "not an answer swill can send",
    note = "a handler returns `T`, `Result<T, E>`, a `Stream` of `Result<T, E>`, or `Result<impl Stream, E>`",
    note = "`T` must be `serde::Serialize + schemars::JsonSchema + Send` (derive both on your types), and `E: Into<swill::Error>`"
)]
pub trait IntoReply<M>: Send + 'static {
    /// Erases the answer into frames-to-be.
    #[doc(hidden)]
    fn into_reply(self) -> Reply;

    /// Whether the response streams, and the schema of one message.
    #[doc(hidden)]
    fn describe() -> Side;
}

/// Encodes one outgoing message; a value serde cannot encode is the
/// server's bug, reported as a 500 without details and logged in full.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Payload, Error> {
    Payload::encode(value).map_err(|e| {
        tracing::error!(error = %e, "a handler's answer could not be encoded");
        Error::internal()
    })
}

fn stream_reply<S, T, E>(stream: S) -> Reply
where
    S: Stream<Item = Result<T, E>> + Send + 'static,
    T: Serialize,
    E: Into<Error>,
{
    Reply::Stream(
        stream
            .map(|item| item.map_err(Into::into).and_then(|v| encode(&v)))
            .boxed(),
    )
}

#[doc(hidden)]
pub struct Fallible;
#[doc(hidden)]
pub struct Infallible;
#[doc(hidden)]
pub struct Streamed<T>(std::marker::PhantomData<fn() -> T>);
#[doc(hidden)]
pub struct FallibleStream<T>(std::marker::PhantomData<fn() -> T>);

impl<T, E> IntoReply<Fallible> for Result<T, E>
where
    T: Serialize + JsonSchema + Send + 'static,
    E: Into<Error> + Send + 'static,
{
    fn into_reply(self) -> Reply {
        Reply::Unary(self.map_err(Into::into).and_then(|v| encode(&v)))
    }

    fn describe() -> Side {
        Side::of::<T>(false)
    }
}

impl<T> IntoReply<Infallible> for T
where
    T: Serialize + JsonSchema + Send + 'static,
{
    fn into_reply(self) -> Reply {
        Reply::Unary(encode(&self))
    }

    fn describe() -> Side {
        Side::of::<T>(false)
    }
}

impl<S, T, E> IntoReply<Streamed<(T, E)>> for S
where
    S: Stream<Item = Result<T, E>> + Send + 'static,
    T: Serialize + JsonSchema + 'static,
    E: Into<Error> + 'static,
{
    fn into_reply(self) -> Reply {
        stream_reply(self)
    }

    fn describe() -> Side {
        Side::of::<T>(true)
    }
}

impl<S, T, E, F> IntoReply<FallibleStream<(T, E, F)>> for Result<S, F>
where
    S: Stream<Item = Result<T, E>> + Send + 'static,
    T: Serialize + JsonSchema + 'static,
    E: Into<Error> + 'static,
    F: Into<Error> + Send + 'static,
{
    fn into_reply(self) -> Reply {
        match self {
            Ok(stream) => stream_reply(stream),
            Err(e) => {
                let e = e.into();
                Reply::Stream(futures::stream::once(async { Err(e) }).boxed())
            }
        }
    }

    fn describe() -> Side {
        Side::of::<T>(true)
    }
}
