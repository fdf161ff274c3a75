//! Lifecycle hooks: async functions the app runs at each stage of a
//! connection and of a request, in registration order.
//!
//! Each hook takes what it may change and returns it (or an error that
//! rejects), so plain async closures work without lifetime puzzles:
//!
//! ```
//! use swill::{App, Error, RequestHead};
//!
//! let app = App::new().before_request(|head: RequestHead| async move {
//!     match head.metadata.get_str("token") {
//!         Some("let-me-in") => Ok(head),
//!         _ => Err(Error::unauthorized("a valid token is required")),
//!     }
//! });
//! ```
//!
//! The stages, and the order in which they fire, are in the guide.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use std::future::Ready;

use futures::FutureExt;
use futures::future::{BoxFuture, Either};
use http::{Extensions, HeaderMap, StatusCode, Uri};
use swill_proto::{Metadata, Payload};

use crate::context::{Context, RequestHead};
use crate::error::Error;
use crate::info::ConnectionInfo;
use crate::panic::{FromPanic, guarded};

/// The HTTP upgrade request, as `before_connection` sees it.
#[derive(Debug)]
pub struct Handshake {
    /// The path and query of the upgrade.
    pub uri: Uri,
    /// The request headers (cookies, `Authorization`, `Origin`...).
    pub headers: HeaderMap,
    /// The peer's address, when known.
    pub remote_addr: Option<SocketAddr>,
    /// Values to attach to the connection: every request of it can read
    /// them through [`Context::extensions`].
    pub extensions: Extensions,
}

/// A refusal of the WebSocket upgrade: sent as this HTTP status and reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The HTTP status, e.g. 401 or 403.
    pub status: StatusCode,
    /// A plain-text explanation, sent as the response body.
    pub reason: String,
}

impl Rejection {
    /// A rejection with a status and a reason.
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Rejection {
            status,
            reason: reason.into(),
        }
    }
}

/// A frame that continues an open request, for `before_request_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Continuation {
    /// Another message of a streaming request.
    Message,
    /// The client's END_OF_STREAM.
    EndOfStream,
}

/// How a request ended, for `after_request`.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The answer went out in full.
    Ok,
    /// The request ended with this ERROR (a handler's, a hook's, 400, 408...).
    Error(Error),
    /// The client sent CANCEL.
    Cancelled,
    /// The connection closed (or the server shut down) first.
    Disconnected,
}

pub(crate) type Hook<In, Out> = Arc<dyn Fn(In) -> BoxFuture<'static, Out> + Send + Sync>;
type Hook2<A, B, Out> = Arc<dyn Fn(A, B) -> BoxFuture<'static, Out> + Send + Sync>;

/// Every hook registered on an app, by stage.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) before_connection: Vec<Hook<Handshake, Result<Handshake, Rejection>>>,
    pub(crate) after_accept: Vec<Hook<Arc<ConnectionInfo>, ()>>,
    pub(crate) before_request: Vec<BeforeRequest>,
    pub(crate) before_request_metadata: Vec<Hook<RequestHead, Result<RequestHead, Error>>>,
    pub(crate) before_request_data: Vec<Hook2<Context, Continuation, Result<(), Error>>>,
    pub(crate) before_request_message: Vec<Hook2<Context, Payload, Result<Payload, Error>>>,
    pub(crate) before_leading_metadata: Vec<MetadataHook>,
    pub(crate) before_response_message: Vec<Hook2<Context, Payload, Result<Payload, Error>>>,
    pub(crate) before_trailing_metadata: Vec<MetadataHook>,
    pub(crate) after_request: Vec<Hook2<Context, Outcome, ()>>,
    pub(crate) after_connection: Vec<Hook<Arc<ConnectionInfo>, ()>>,
}

/// A hook chain's result: ready at once when there are no hooks.
pub(crate) type Chained<'a, T, E> = Either<Ready<Result<T, E>>, BoxFuture<'a, Result<T, E>>>;

/// A `before_request` hook (or a guard, which is one).
pub(crate) type BeforeRequest = Hook<RequestHead, Result<RequestHead, Error>>;

type MetadataHook = Hook2<Context, Option<Metadata>, Result<Option<Metadata>, Error>>;

/// Erases a hook's type, for the app to store it. A panic in the hook,
/// when it is called or while it runs, is what [`FromPanic`] says (a 500
/// for the call): never the connection's end (see [`crate::panic`]).
pub(crate) fn erase<In, Out, F, Fut>(f: F) -> Hook<In, Out>
where
    F: Fn(In) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Out> + Send + 'static,
    Out: FromPanic + Send + 'static,
{
    Arc::new(move |input| guarded("a hook", catch_unwind(AssertUnwindSafe(|| f(input)))).boxed())
}

/// Erases a two-argument hook's type, as [`erase`].
pub(crate) fn erase2<A, B, Out, F, Fut>(f: F) -> Hook2<A, B, Out>
where
    F: Fn(A, B) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Out> + Send + 'static,
    Out: FromPanic + Send + 'static,
{
    Arc::new(move |a, b| guarded("a hook", catch_unwind(AssertUnwindSafe(|| f(a, b)))).boxed())
}

/// Runs hooks that each pass a value on, stopping at the first error.
///
/// With no hooks (the common case) it is a ready value, not a state
/// machine: every call runs several chains, and their futures would
/// otherwise make every call's future larger.
pub(crate) fn chain<'a, T: Send + 'a, E: Send + 'a>(
    hooks: &'a [Hook<T, Result<T, E>>],
    mut value: T,
) -> Chained<'a, T, E> {
    if hooks.is_empty() {
        return Either::Left(std::future::ready(Ok(value)));
    }
    Either::Right(Box::pin(async move {
        for h in hooks {
            value = h(value).await?;
        }
        Ok(value)
    }))
}

/// Runs per-call hooks that each pass a value on, stopping at the first
/// error; a ready value when there are none, as [`chain`].
pub(crate) fn chain2<'a, T: Send + 'a>(
    hooks: &'a [Hook2<Context, T, Result<T, Error>>],
    ctx: &'a Context,
    mut value: T,
) -> Chained<'a, T, Error> {
    if hooks.is_empty() {
        return Either::Left(std::future::ready(Ok(value)));
    }
    Either::Right(Box::pin(async move {
        for h in hooks {
            value = h(ctx.clone(), value).await?;
        }
        Ok(value)
    }))
}

/// Runs observing hooks.
pub(crate) async fn notify<T: Clone>(hooks: &[Hook<T, ()>], value: &T) {
    for h in hooks {
        h(value.clone()).await;
    }
}
