//! The trait that turns a plain async fn into a handler.

use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::reply::{IntoReply, Reply};
use crate::request::{CallInput, FromCall};
use crate::schema::Side;

/// A function the app can call for an rpc.
///
/// Implemented for every `async fn(A) -> R` (and closure) where `A` is
/// [`Request<T>`](crate::Request) or [`StreamingRequest<T>`](crate::StreamingRequest)
/// and `R` is one of the [`IntoReply`] forms. The types choose the call
/// shape: a streaming argument makes the request side stream, a returned
/// stream makes the response side stream. `M` only tells the impls apart.
///
/// ```
/// use swill::{App, Error, Request};
/// let app = App::new().handle_as("users.count", |_req: Request<()>| async { Ok::<_, Error>(42u64) });
/// ```
pub trait Handler<M>: Clone + Send + Sync + 'static {
    /// Runs the handler for one call. Internal.
    #[doc(hidden)]
    fn call(&self, input: CallInput) -> BoxFuture<'static, Reply>;

    /// The request and response sides, for introspection. Internal.
    #[doc(hidden)]
    fn describe() -> (Side, Side);
}

impl<F, Fut, A, R, MA, MR> Handler<(MA, MR, A, R)> for F
where
    F: Fn(A) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    A: FromCall<MA>,
    R: IntoReply<MR>,
    MA: 'static,
    MR: 'static,
{
    fn call(&self, input: CallInput) -> BoxFuture<'static, Reply> {
        let handler = self.clone();
        async move {
            match A::from_call(input).await {
                Ok(arg) => handler(arg).await.into_reply(),
                Err(e) => Reply::Unary(Err(e)),
            }
        }
        .boxed()
    }

    fn describe() -> (Side, Side) {
        (A::describe(), R::describe())
    }
}

/// A handler with its types erased, as the router stores it.
pub(crate) type BoxedHandler = Arc<dyn Fn(CallInput) -> BoxFuture<'static, Reply> + Send + Sync>;

pub(crate) fn boxed<H: Handler<M>, M>(handler: H) -> BoxedHandler {
    Arc::new(move |input| handler.call(input))
}
