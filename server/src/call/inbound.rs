//! The client's messages for one call, as its handler receives them.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use swill_proto::Payload;
use tokio::sync::mpsc;

use crate::context::Context;
use crate::error::Error;
use crate::hooks::{self, Continuation, Hooks};

/// Receives a call's messages from the connection and passes each through
/// the request hooks (`before_request_data` for continuation frames,
/// `before_request_message` for every message).
pub(crate) struct Inbound {
    /// The opening message, when the call was opened with one.
    first: Option<Payload>,
    /// Later messages; `None` for a unary request opened with its message,
    /// which needs no channel at all.
    rx: Option<mpsc::Receiver<Payload>>,
    /// What the request hooks are given.
    ctx: Context,
    hooks: Arc<Hooks>,
    /// The next message is the one that opened the call: no
    /// `before_request_data` for it.
    opening: bool,
    ended: bool,
}

impl Inbound {
    pub(crate) fn new(
        first: Option<Payload>,
        rx: Option<mpsc::Receiver<Payload>>,
        ctx: Context,
        hooks: Arc<Hooks>,
    ) -> Self {
        Inbound {
            opening: first.is_some(),
            first,
            rx,
            ctx,
            hooks,
            ended: false,
        }
    }

    /// The next message, or `None` at END_OF_STREAM. A hook's error ends the call.
    pub(crate) async fn next(&mut self) -> Option<Result<Payload, Error>> {
        if self.ended {
            return None;
        }
        let received = match (self.first.take(), &mut self.rx) {
            (Some(first), _) => Some(first),
            (None, Some(rx)) => rx.recv().await,
            (None, None) => None,
        };
        let Some(payload) = received else {
            self.ended = true;
            return match self.continuation(Continuation::EndOfStream).await {
                Ok(()) => None,
                Err(e) => Some(Err(e)),
            };
        };
        if !std::mem::replace(&mut self.opening, false)
            && let Err(e) = self.continuation(Continuation::Message).await
        {
            return Some(Err(e));
        }
        Some(hooks::chain2(&self.hooks.before_request_message, &self.ctx, payload).await)
    }

    async fn continuation(&self, kind: Continuation) -> Result<(), Error> {
        for hook in &self.hooks.before_request_data {
            hook(self.ctx.clone(), kind).await?;
        }
        Ok(())
    }

    /// The messages as a stream, for [`StreamingRequest`](crate::StreamingRequest).
    pub(crate) fn into_stream(self) -> BoxStream<'static, Result<Payload, Error>> {
        futures::stream::unfold(self, |mut inbound| async move {
            inbound.next().await.map(|item| (item, inbound))
        })
        .boxed()
    }
}
