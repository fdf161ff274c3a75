//! The one way a call's frames reach its client: the response metadata, the
//! per-call response hooks, and whether the call has been answered.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use swill_proto::{Metadata, Payload, ResponseFrame, Seq};

use crate::context::Context;
use crate::error::Error;
use crate::hooks::{self, Hooks, Outcome};
use crate::outbox::Outbox;

/// Sends every frame of one call, firing `before_leading_metadata`,
/// `before_response_message` and `before_trailing_metadata` on the way.
///
/// Shared by the call (which answers), its [`Context`] (through which the
/// handler sets metadata) and the connection (which asks whether the call
/// has been answered, to tell a reused seq from a frame for this call).
pub(crate) struct Responder {
    seq: Seq,
    outbox: Outbox,
    hooks: Arc<Hooks>,
    meta: Mutex<ResponseMeta>,
    /// Set just before the terminal frame goes out.
    finished: AtomicBool,
}

#[derive(Default)]
struct ResponseMeta {
    leading: Option<Metadata>,
    leading_sent: bool,
    trailing: Option<Metadata>,
}

impl Responder {
    pub(crate) fn new(seq: Seq, outbox: Outbox, hooks: Arc<Hooks>) -> Responder {
        Responder {
            seq,
            outbox,
            hooks,
            meta: Mutex::default(),
            finished: AtomicBool::new(false),
        }
    }

    /// Whether the terminal frame (an answer, END_OF_STREAM, an ERROR) has
    /// gone out, or is going.
    pub(crate) fn finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// The connection's write queue and the call's seq, for frames that may
    /// skip the per-message hook because there is none (topics' fan-out).
    pub(crate) fn direct(&self) -> Option<(Outbox, Seq)> {
        self.hooks
            .before_response_message
            .is_empty()
            .then(|| (self.outbox.clone(), self.seq))
    }

    /// Sets the leading metadata; false once it has gone out.
    pub(crate) fn set_leading(&self, metadata: Metadata) -> bool {
        let mut meta = self.meta();
        if meta.leading_sent {
            return false;
        }
        meta.leading = Some(metadata);
        true
    }

    /// Sends leading metadata at once, as its own METADATA frame.
    pub(crate) async fn send_leading(&self, ctx: &Context, metadata: Metadata) -> bool {
        {
            let mut meta = self.meta();
            if meta.leading_sent {
                return false;
            }
            meta.leading_sent = true;
            meta.leading = None;
        }
        match hooks::chain2(&self.hooks.before_leading_metadata, ctx, Some(metadata)).await {
            Ok(Some(metadata)) => {
                let frame = ResponseFrame::metadata(self.seq, metadata);
                self.outbox.send(frame).await
            }
            Ok(None) => true,
            Err(e) => {
                tracing::debug!(error = %e, "a hook rejected the leading metadata");
                false
            }
        }
    }

    /// Sets the trailing metadata, for the final frame.
    pub(crate) fn set_trailing(&self, metadata: Metadata) {
        self.meta().trailing = Some(metadata);
    }

    /// Sends one item of a stream: false once the connection is gone; a
    /// hook's error ends the call.
    pub(crate) async fn item(&self, ctx: &Context, payload: Payload) -> Result<bool, Error> {
        let leading = self.leading(ctx).await?;
        let data = self.outgoing(ctx, payload).await?;
        let frame = ResponseFrame::message(self.seq, data).with_leading(leading);
        Ok(self.outbox.send(frame).await)
    }

    /// Sends the unary answer, the call's terminal frame.
    pub(crate) async fn answer(&self, ctx: &Context, payload: Payload) -> Outcome {
        let frame = async {
            let leading = self.leading(ctx).await?;
            let data = self.outgoing(ctx, payload).await?;
            let trailing = self.trailing(ctx).await?;
            Ok::<_, Error>(
                ResponseFrame::message(self.seq, data)
                    .with_leading(leading)
                    .with_trailing(trailing),
            )
        };
        match frame.await {
            Ok(frame) => self.finish(frame).await,
            Err(error) => self.fail(error).await,
        }
    }

    /// Sends END_OF_STREAM, the terminal frame of a stream.
    pub(crate) async fn end(&self, ctx: &Context) -> Outcome {
        let frame = async {
            let leading = self.leading(ctx).await?;
            let trailing = self.trailing(ctx).await?;
            Ok::<_, Error>(
                ResponseFrame::end_of_stream(self.seq)
                    .with_leading(leading)
                    .with_trailing(trailing),
            )
        };
        match frame.await {
            Ok(frame) => self.finish(frame).await,
            Err(error) => self.fail(error).await,
        }
    }

    /// Sends an ERROR, the terminal frame of a failed call.
    pub(crate) async fn fail(&self, error: Error) -> Outcome {
        self.finished.store(true, Ordering::Release);
        self.outbox
            .send(ResponseFrame::error(self.seq, error.body()))
            .await;
        Outcome::Error(error)
    }

    async fn finish(&self, frame: ResponseFrame) -> Outcome {
        // Before the frame goes out: once the client has it, it may reuse
        // the seq, and the connection must then see a new call.
        self.finished.store(true, Ordering::Release);
        self.outbox.send(frame).await;
        Outcome::Ok
    }

    /// The leading metadata for the frame about to go out, through the
    /// hooks; `None` once it has gone out.
    async fn leading(&self, ctx: &Context) -> Result<Option<Metadata>, Error> {
        let leading = {
            let mut meta = self.meta();
            if meta.leading_sent {
                return Ok(None);
            }
            meta.leading_sent = true;
            meta.leading.take()
        };
        let mut leading = hooks::chain2(&self.hooks.before_leading_metadata, ctx, leading).await?;
        if let Some(metadata) = leading.as_mut() {
            metadata.remove(crate::sessions::SESSION_HEADER);
        }
        Ok(leading)
    }

    /// The trailing metadata, through the hooks; first the session's
    /// changes are saved, and a new session id is added for the client.
    async fn trailing(&self, ctx: &Context) -> Result<Option<Metadata>, Error> {
        let new_session = match ctx.session() {
            Some(session) => session.finish().await?,
            None => None,
        };
        let trailing = self.meta().trailing.take();
        let mut trailing =
            hooks::chain2(&self.hooks.before_trailing_metadata, ctx, trailing).await?;
        // The key is the server's: what the app set under it is dropped,
        // so that only the server can change a client's session id.
        if let Some(metadata) = trailing.as_mut() {
            metadata.remove(crate::sessions::SESSION_HEADER);
        }
        if let Some(id) = new_session {
            trailing
                .get_or_insert_with(Metadata::new)
                .insert(crate::sessions::SESSION_HEADER, id);
        }
        Ok(trailing)
    }

    async fn outgoing(&self, ctx: &Context, payload: Payload) -> Result<Payload, Error> {
        hooks::chain2(&self.hooks.before_response_message, ctx, payload).await
    }

    fn meta(&self) -> MutexGuard<'_, ResponseMeta> {
        // Never held across an await or user code: poisoning can only come
        // from a panic in this file, and the data stays valid.
        self.meta.lock().unwrap_or_else(|p| p.into_inner())
    }
}
