//! User code's panics, turned into answers.
//!
//! A handler, an extractor, a guard or a hook that panics fails its own
//! call (or upgrade) and nothing else: the connection polls a new call on
//! its own task, and a tower layer may run the handler on another (tower's
//! `Buffer` does), so a panic that escaped would take the connection or
//! that task down with it. Both halves of a call of user code are caught:
//! the call itself (a handler's extractors run before its future exists),
//! with `catch_unwind`, and its future, with [`guarded`].

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use futures::future::Either;
use http::StatusCode;

use crate::error::Error;
use crate::hooks::Rejection;
use crate::reply::Reply;

/// Runs the future that calling user code made, with panics caught: a
/// panic in the call (`called`, from [`std::panic::catch_unwind`]) or in
/// the future is logged, naming `what`, and gives what [`FromPanic`] says.
///
/// ```text
/// guarded("a hook", std::panic::catch_unwind(AssertUnwindSafe(|| hook(input))))
/// ```
pub(crate) fn guarded<Out, Fut>(
    what: &'static str,
    called: std::thread::Result<Fut>,
) -> impl Future<Output = Out> + Send
where
    Fut: Future<Output = Out> + Send,
    Out: FromPanic + Send,
{
    match called {
        Ok(future) => Either::Left(
            AssertUnwindSafe(future)
                .catch_unwind()
                .map(move |ran| ran.unwrap_or_else(|panic| panicked(what, &*panic))),
        ),
        Err(panic) => Either::Right(std::future::ready(panicked(what, &*panic))),
    }
}

fn panicked<Out: FromPanic>(what: &str, panic: &(dyn Any + Send)) -> Out {
    tracing::error!(panic = message(panic), "{what} panicked");
    Out::from_panic()
}

/// The text a panic was raised with.
pub(crate) fn message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

/// What user code that panicked gives instead of its result: the call's
/// 500 (the upgrade's, before a connection), or nothing for a hook that
/// only observes.
pub(crate) trait FromPanic {
    fn from_panic() -> Self;
}

impl FromPanic for () {
    fn from_panic() {}
}

impl FromPanic for Error {
    fn from_panic() -> Self {
        Error::internal()
    }
}

impl FromPanic for Reply {
    fn from_panic() -> Self {
        Reply::Unary(Err(Error::internal()))
    }
}

impl FromPanic for Rejection {
    fn from_panic() -> Self {
        Rejection::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }
}

impl<T, E: FromPanic> FromPanic for Result<T, E> {
    fn from_panic() -> Self {
        Err(E::from_panic())
    }
}
