//! What a handler returns, and how it becomes response frames.

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use schemars::JsonSchema;
use serde::Serialize;
use swill_proto::Payload;

use crate::error::Error;
use crate::schema::Side;

/// A handler's answer, type-erased: one message, or a stream of them. Internal.
#[doc(hidden)]
pub enum Reply {
    /// One message (or an error): the unary answer.
    Unary(Result<Payload, Error>),
    /// A stream of messages; an `Err` item ends it with an ERROR frame.
    Stream(BoxStream<'static, Result<Payload, Error>>),
}

/// A handler's return type.
///
/// - `Result<T, Error>` or a plain `T`: one message (`T: Serialize + JsonSchema`);
/// - any `Stream<Item = Result<T, Error>>`, e.g. from `async_stream::stream!`:
///   a stream of messages; an `Err` item ends it with that error;
/// - `Result<impl Stream<...>, Error>`: a stream that can fail before its
///   first item.
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

fn stream_reply<S, T>(stream: S) -> Reply
where
    S: Stream<Item = Result<T, Error>> + Send + 'static,
    T: Serialize,
{
    Reply::Stream(stream.map(|item| item.and_then(|v| encode(&v))).boxed())
}

#[doc(hidden)]
pub struct Fallible;
#[doc(hidden)]
pub struct Infallible;
#[doc(hidden)]
pub struct Streamed<T>(std::marker::PhantomData<fn() -> T>);
#[doc(hidden)]
pub struct FallibleStream<T>(std::marker::PhantomData<fn() -> T>);

impl<T> IntoReply<Fallible> for Result<T, Error>
where
    T: Serialize + JsonSchema + Send + 'static,
{
    fn into_reply(self) -> Reply {
        Reply::Unary(self.and_then(|v| encode(&v)))
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

impl<S, T> IntoReply<Streamed<T>> for S
where
    S: Stream<Item = Result<T, Error>> + Send + 'static,
    T: Serialize + JsonSchema + 'static,
{
    fn into_reply(self) -> Reply {
        stream_reply(self)
    }

    fn describe() -> Side {
        Side::of::<T>(true)
    }
}

impl<S, T> IntoReply<FallibleStream<T>> for Result<S, Error>
where
    S: Stream<Item = Result<T, Error>> + Send + 'static,
    T: Serialize + JsonSchema + 'static,
{
    fn into_reply(self) -> Reply {
        match self {
            Ok(stream) => stream_reply(stream),
            Err(e) => Reply::Stream(futures::stream::once(async { Err(e) }).boxed()),
        }
    }

    fn describe() -> Side {
        Side::of::<T>(true)
    }
}
