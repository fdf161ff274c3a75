//! The one way a call's frames reach its client: the response metadata, the
//! per-call response hooks, and whether the call has been answered.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::FutureExt;
use futures::future::Either;
use swill_proto::{Metadata, Payload, ResponseFrame, Seq};

use crate::context::Context;
use crate::error::Error;
use crate::hooks::{self, Hooks, Outcome};
use crate::outbox::Outbox;
use crate::sessions::SESSION_HEADER;

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
    ///
    /// This and the other senders below are plain functions returning small
    /// futures, not `async fn`s: a call's state is as large as the largest
    /// future it may await, and it is allocated and moved for every call.
    /// Each builds its frame at once when nothing can make it wait (see
    /// [`Responder::unhooked`]), and otherwise boxes the steps to await.
    pub(crate) fn item<'a>(
        &'a self,
        ctx: &'a Context,
        payload: Payload,
    ) -> impl Future<Output = Result<bool, Error>> + Send + 'a {
        if self.unhooked() {
            let frame = ResponseFrame::message(self.seq, payload).with_leading(self.leading_now());
            return Either::Left(self.outbox.send(frame).map(Ok));
        }
        Either::Right(Box::pin(async move {
            let leading = self.leading(ctx).await?;
            let data = self.outgoing(ctx, payload).await?;
            let frame = ResponseFrame::message(self.seq, data).with_leading(leading);
            Ok(self.outbox.send(frame).await)
        }))
    }

    /// Sends the unary answer, the call's terminal frame.
    pub(crate) fn answer<'a>(
        &'a self,
        ctx: &'a Context,
        payload: Payload,
    ) -> impl Future<Output = Outcome> + Send + 'a {
        self.terminal(ctx, Some(payload))
    }

    /// Sends END_OF_STREAM, the terminal frame of a stream.
    pub(crate) fn end<'a>(&'a self, ctx: &'a Context) -> impl Future<Output = Outcome> + Send + 'a {
        self.terminal(ctx, None)
    }

    /// Sends the call's last frame, with the leading metadata not yet sent
    /// and the trailing metadata: the answer `data`, or END_OF_STREAM
    /// without it. An ERROR instead if a hook or the session's save fails.
    fn terminal<'a>(
        &'a self,
        ctx: &'a Context,
        data: Option<Payload>,
    ) -> impl Future<Output = Outcome> + Send + 'a {
        let frame = move |data: Option<Payload>| match data {
            Some(data) => ResponseFrame::message(self.seq, data),
            None => ResponseFrame::end_of_stream(self.seq),
        };
        // Asked only with no hooks to run: `finish_now` takes the session's
        // new id, which the awaited path must otherwise find.
        let finished_now = || match ctx.session() {
            Some(session) => session.finish_now(),
            None => Some(None),
        };
        if let Some(new_session) = self.unhooked().then(finished_now).flatten() {
            let frame = frame(data)
                .with_leading(self.leading_now())
                .with_trailing(self.trailing_now(new_session));
            return Either::Left(self.finish_with(Ok(frame)));
        }
        Either::Right(Box::pin(async move {
            let built = async {
                let leading = self.leading(ctx).await?;
                let data = match data {
                    Some(data) => Some(self.outgoing(ctx, data).await?),
                    None => None,
                };
                let trailing = self.trailing(ctx).await?;
                Ok(frame(data).with_leading(leading).with_trailing(trailing))
            };
            self.finish_with(built.await).await
        }))
    }

    /// Sends an ERROR, the terminal frame of a failed call.
    pub(crate) fn fail(&self, error: Error) -> impl Future<Output = Outcome> + Send + 'static {
        self.finish_with(Err(error))
    }

    /// Queues the call's terminal frame, or an ERROR for `Err`; resolves to
    /// the call's outcome once queued.
    fn finish_with(
        &self,
        frame: Result<ResponseFrame, Error>,
    ) -> impl Future<Output = Outcome> + Send + 'static {
        let (frame, outcome) = match frame {
            Ok(frame) => (frame, Outcome::Ok),
            Err(error) => (
                ResponseFrame::error(self.seq, error.body()),
                Outcome::Error(error),
            ),
        };
        // Before the frame goes out: once the client has it, it may reuse
        // the seq, and the connection must then see a new call.
        self.finished.store(true, Ordering::Release);
        let sent = self.outbox.send(frame);
        async move {
            sent.await;
            outcome
        }
    }

    /// Whether a frame can be built at once, with no step to await: no
    /// response hooks, the common case. (The last frame also needs the
    /// session, if any, to have nothing to save: see
    /// [`Session::finish_now`](crate::sessions::Session::finish_now).)
    fn unhooked(&self) -> bool {
        self.hooks.before_leading_metadata.is_empty()
            && self.hooks.before_response_message.is_empty()
            && self.hooks.before_trailing_metadata.is_empty()
    }

    /// The leading metadata the handler set, for the frame about to go
    /// out: `None` once it has gone out, else `Some` of what was set.
    fn take_leading(&self) -> Option<Option<Metadata>> {
        let mut meta = self.meta();
        if meta.leading_sent {
            return None;
        }
        meta.leading_sent = true;
        Some(meta.leading.take())
    }

    /// [`Responder::leading`] with no hooks to run.
    fn leading_now(&self) -> Option<Metadata> {
        self.take_leading().flatten().map(server_keys_removed)
    }

    /// [`Responder::trailing`] with no hooks to run, the session's new id
    /// (if it changed) known.
    fn trailing_now(&self, new_session: Option<String>) -> Option<Metadata> {
        let trailing = self.meta().trailing.take().map(server_keys_removed);
        with_session_id(trailing, new_session)
    }

    /// The leading metadata for the frame about to go out, through the
    /// hooks; `None` once it has gone out.
    async fn leading(&self, ctx: &Context) -> Result<Option<Metadata>, Error> {
        let Some(leading) = self.take_leading() else {
            return Ok(None);
        };
        let leading = hooks::chain2(&self.hooks.before_leading_metadata, ctx, leading).await?;
        Ok(leading.map(server_keys_removed))
    }

    /// The trailing metadata, through the hooks; first the session's
    /// changes are saved, and a new session id is added for the client.
    async fn trailing(&self, ctx: &Context) -> Result<Option<Metadata>, Error> {
        let new_session = match ctx.session() {
            Some(session) => session.finish().await?,
            None => None,
        };
        let trailing = self.meta().trailing.take();
        let trailing = hooks::chain2(&self.hooks.before_trailing_metadata, ctx, trailing).await?;
        Ok(with_session_id(
            trailing.map(server_keys_removed),
            new_session,
        ))
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

/// `metadata` without the keys only the server may set: what the app set
/// under the session key is dropped, so that only the server can change a
/// client's session id.
fn server_keys_removed(mut metadata: Metadata) -> Metadata {
    metadata.remove(SESSION_HEADER);
    metadata
}

/// The trailing metadata, with the session's new id for the client when it
/// changed.
fn with_session_id(trailing: Option<Metadata>, new_session: Option<String>) -> Option<Metadata> {
    let Some(id) = new_session else {
        return trailing;
    };
    let mut trailing = trailing.unwrap_or_default();
    trailing.insert(SESSION_HEADER, id);
    Some(trailing)
}
