//! The receiving end of a call, and the future of a single answer.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use serde::de::DeserializeOwned;
use swill_proto::{Code, Metadata, Seq};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::time::{Instant, Sleep};

use crate::driver::{CallState, Next};
use crate::error::Error;
use crate::options::Response;
use crate::session::Event;
use crate::transport::Connection;

/// The receiving end of one call: its events, deadline and metadata.
///
/// It holds the call's in-flight slot, and dropping it before the call is
/// over sends CANCEL. Every call handle is built on one.
pub(crate) struct Inbound {
    conn: Arc<Connection>,
    seq: Seq,
    events: mpsc::Receiver<Event>,
    deadline: Option<(Pin<Box<Sleep>>, Duration)>,
    state: CallState,
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
            state: CallState::new(),
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
        // Events first: an answer that came in time wins over the deadline.
        while !self.state.is_over() {
            let Poll::Ready(event) = self.events.poll_recv(cx) else {
                break;
            };
            let next = match event {
                Some(event) => self.state.on_event(event),
                None => Some(self.state.on_lost()),
            };
            if let Some(next) = next {
                return Poll::Ready(self.own_deadline(next));
            }
        }
        if self.state.is_over() {
            return Poll::Ready(Ok(Next::End));
        }
        if let Some((sleep, after)) = &mut self.deadline
            && sleep.as_mut().poll(cx).is_ready()
            && let Some(error) = self.state.expire(*after)
        {
            self.conn.cancel(self.seq);
            return Poll::Ready(Err(error));
        }
        Poll::Pending
    }

    /// The server's 408 for the deadline this call sent it (`swill-timeout`)
    /// once that deadline has passed here too: the caller's own
    /// [`Error::Timeout`], as when the timer here fires first. Which of the
    /// two comes first is a matter of scheduling (with a deadline of 0 the
    /// server's answer usually wins).
    fn own_deadline(&self, next: Result<Next, Error>) -> Result<Next, Error> {
        match (next, &self.deadline) {
            (Err(Error::Remote(body)), Some((sleep, after)))
                if body.code == Code::DEADLINE_EXCEEDED && sleep.deadline() <= Instant::now() =>
            {
                Err(Error::Timeout(*after))
            }
            (next, _) => next,
        }
    }

    /// Sends CANCEL unless the call is over, and ends it here.
    pub(crate) fn cancel(&mut self) {
        if self.state.stop() {
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
        self.state.leading()
    }

    pub(crate) fn trailing(&self) -> Option<&Metadata> {
        self.state.trailing()
    }

    pub(crate) fn take_metadata(&mut self) -> (Metadata, Metadata) {
        self.state.take_metadata()
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
        let data = std::task::ready!(inbound.poll_next(cx))?.answer()?;
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
