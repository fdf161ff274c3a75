//! One call, from its handler's first poll to its terminal frame.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::{FutureExt, StreamExt};
use swill_proto::{ErrorBody, ResponseFrame};
use tokio::sync::oneshot;

use crate::context::Context;
use crate::error::Error;
use crate::handler::BoxedHandler;
use crate::reply::Reply;
use crate::request::CallInput;

/// Runs a handler and writes its answer: MESSAGE frames, then END_OF_STREAM
/// or an ERROR.
///
/// Cancellation is dropping this future: the connection aborts the task
/// that runs it on CANCEL or disconnect, which drops the handler wherever it
/// is awaiting. A panic in the handler, or in its stream, becomes a 500 for
/// this call only, logged with its message.
pub(crate) async fn run(handler: BoxedHandler, input: CallInput, failed: oneshot::Receiver<Error>) {
    let ctx = input.ctx.clone();
    // A bad message in a streaming request resolves this; otherwise it never does.
    let failed = async move {
        match failed.await {
            Ok(error) => error,
            Err(_) => std::future::pending().await,
        }
    };
    let mut failed = std::pin::pin!(failed);

    let reply = tokio::select! {
        biased;
        error = &mut failed => Reply::Unary(Err(error)),
        reply = guard(&ctx, handler(input)) => reply.unwrap_or_else(|e| Reply::Unary(Err(e))),
    };
    match reply {
        Reply::Unary(Ok(payload)) => {
            let frame = ResponseFrame::message(ctx.seq(), payload)
                .with_leading(ctx.take_leading())
                .with_trailing(ctx.take_trailing());
            finish(&ctx, frame).await;
        }
        Reply::Unary(Err(error)) => fail(&ctx, error).await,
        Reply::Stream(mut items) => loop {
            let item = tokio::select! {
                biased;
                error = &mut failed => Some(Err(error)),
                item = guard(&ctx, items.next()) => item.unwrap_or_else(|e| Some(Err(e))),
            };
            match item {
                Some(Ok(payload)) => {
                    let frame =
                        ResponseFrame::message(ctx.seq(), payload).with_leading(ctx.take_leading());
                    if !ctx.outbox().send(frame).await {
                        return;
                    }
                }
                Some(Err(error)) => return fail(&ctx, error).await,
                None => {
                    let frame = ResponseFrame::end_of_stream(ctx.seq())
                        .with_leading(ctx.take_leading())
                        .with_trailing(ctx.take_trailing());
                    return finish(&ctx, frame).await;
                }
            }
        },
    }
}

/// Polls user code, turning a panic into a 500.
async fn guard<F: Future>(ctx: &Context, user_code: F) -> Result<F::Output, Error> {
    AssertUnwindSafe(user_code)
        .catch_unwind()
        .await
        .map_err(|panic| {
            tracing::error!(
                rpc = ctx.rpc(),
                seq = %ctx.seq(),
                panic = panic_message(&*panic),
                "handler panicked"
            );
            Error::internal()
        })
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

async fn finish(ctx: &Context, frame: ResponseFrame) {
    ctx.mark_finished();
    ctx.outbox().send(frame).await;
}

async fn fail(ctx: &Context, error: Error) {
    let body: ErrorBody = error.into();
    finish(ctx, ResponseFrame::error(ctx.seq(), &body)).await;
}
