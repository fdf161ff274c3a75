//! The receiving end of a call, and the future of a single answer.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use serde::de::DeserializeOwned;
use swill_proto::{Metadata, Payload, Seq};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::time::{Instant, Sleep};

use crate::error::{Error, decode_error};
use crate::options::Response;
use crate::session::Event;
use crate::transport::Connection;

/// What a call's next event boils down to, once metadata is put aside.
pub(crate) enum Next {
    /// An item of a response stream.
    Item(Payload),
    /// The single answer (terminal).
    Answer(Payload),
    /// The stream is over (terminal).
    End,
}

/// The receiving end of one call: its events, deadline and metadata.
///
/// It holds the call's in-flight slot, and dropping it before the call is
/// over sends CANCEL. Every call handle is built on one.
pub(crate) struct Inbound {
    conn: Arc<Connection>,
    seq: Seq,
    events: mpsc::Receiver<Event>,
    deadline: Option<(Pin<Box<Sleep>>, Duration)>,
    leading: Option<Metadata>,
    trailing: Option<Metadata>,
    done: bool,
    _slot: OwnedSemaphorePermit,
}

impl Inbound {
    pub(crate) fn new(
        conn: Arc<Connection>,
        seq: Seq,
        events: mpsc::Receiver<Event>,
        deadline: Option<(Instant, Duration)>,
        slot: OwnedSemaphorePermit,
    ) -> Self {
        Inbound {
            conn,
            seq,
            events,
            deadline: deadline.map(|(at, after)| (Box::pin(tokio::time::sleep_until(at)), after)),
            leading: None,
            trailing: None,
            done: false,
            _slot: slot,
        }
    }

    pub(crate) fn connection(&self) -> &Arc<Connection> {
        &self.conn
    }

    pub(crate) fn seq(&self) -> Seq {
        self.seq
    }

    /// The next item, answer or end; an error ends the call. After the
    /// end, it keeps answering [`Next::End`].
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<Next, Error>> {
        if self.done {
            return Poll::Ready(Ok(Next::End));
        }
        // Events first: an answer that came in time wins over the deadline.
        while let Poll::Ready(event) = self.events.poll_recv(cx) {
            let next = match event {
                Some(Event::Leading(leading)) => {
                    self.leading.get_or_insert(leading);
                    continue;
                }
                Some(Event::Item(data)) => Ok(Next::Item(data)),
                Some(Event::Answer { data, trailing }) => {
                    self.trailing = trailing;
                    Ok(Next::Answer(data))
                }
                Some(Event::End { trailing }) => {
                    self.trailing = trailing;
                    Ok(Next::End)
                }
                Some(Event::Error(body)) => Err(Error::Remote(body)),
                Some(Event::Failed(error)) => Err(error),
                None => Err(Error::Disconnected {
                    reason: "the connection closed".to_owned(),
                }),
            };
            self.done = !matches!(next, Ok(Next::Item(_)));
            return Poll::Ready(next);
        }
        if let Some((sleep, after)) = &mut self.deadline
            && sleep.as_mut().poll(cx).is_ready()
        {
            let after = *after;
            self.cancel();
            return Poll::Ready(Err(Error::Timeout(after)));
        }
        Poll::Pending
    }

    /// Sends CANCEL unless the call is over, and ends it here.
    pub(crate) fn cancel(&mut self) {
        if !std::mem::replace(&mut self.done, true) {
            self.conn.cancel(self.seq);
        }
    }

    /// Ends the call here after a local failure (a message that would not
    /// decode), cancelling it on the server.
    pub(crate) fn fail(&mut self, error: Error) -> Error {
        self.cancel();
        error
    }

    pub(crate) fn leading(&self) -> Option<&Metadata> {
        self.leading.as_ref()
    }

    pub(crate) fn trailing(&self) -> Option<&Metadata> {
        self.trailing.as_ref()
    }

    pub(crate) fn take_metadata(&mut self) -> (Metadata, Metadata) {
        let leading = self.leading.take().unwrap_or_default();
        (leading, self.trailing.take().unwrap_or_default())
    }
}

impl Drop for Inbound {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The answer of a client-streaming call, to await once its messages are
/// sent.
///
/// It resolves to the answer with its metadata. Dropping it before then
/// cancels the call (CANCEL goes to the server).
#[must_use = "the answer arrives only if this future is awaited; dropping it cancels the call"]
pub struct ResponseFuture<T> {
    inbound: Inbound,
    _type: PhantomData<fn() -> T>,
}

impl<T> ResponseFuture<T> {
    pub(crate) fn new(inbound: Inbound) -> Self {
        ResponseFuture {
            inbound,
            _type: PhantomData,
        }
    }

    /// Cancels the call: CANCEL goes to the server, and nothing more is
    /// received.
    pub fn cancel(mut self) {
        self.inbound.cancel();
    }
}

impl<T: DeserializeOwned> Future for ResponseFuture<T> {
    type Output = Result<Response<T>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inbound = &mut self.get_mut().inbound;
        let data = match std::task::ready!(inbound.poll_next(cx))? {
            Next::Answer(data) => data,
            Next::Item(_) | Next::End => {
                let error = decode_error("expected one answer, the server sent a stream");
                return Poll::Ready(Err(inbound.fail(error)));
            }
        };
        let data = data.decode().map_err(Error::Decode)?;
        let (leading, trailing) = inbound.take_metadata();
        Poll::Ready(Ok(Response {
            data,
            leading,
            trailing,
        }))
    }
}

impl<T> std::fmt::Debug for ResponseFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("seq", &self.inbound.seq)
            .finish_non_exhaustive()
    }
}
