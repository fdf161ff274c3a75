//! One call in flight: the events the session routes to it, its deadline,
//! its `AbortSignal`, and cancelling it.
//!
//! The wasm twin of the Rust client's `Inbound`: the session decides what
//! each frame means ([`Event`]); this only queues the events until the
//! caller's promise asks for the next one. JavaScript cannot block a
//! socket, so the queue is not bounded: consume a stream, or cancel it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};
use std::time::Duration;

use swill_client::Error;
use swill_client::session::Event;
use swill_proto::{Metadata, Payload, Seq};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::timer::Timer;
use crate::transport::Connection;

/// What a call's next event boils down to, once metadata is put aside.
pub(crate) enum Next {
    /// An item of a response stream.
    Item(Payload),
    /// The single answer (terminal).
    Answer(Payload),
    /// The stream is over (terminal), or the call was already over.
    End,
}

/// Where the session delivers a call's events (the session's sink).
#[derive(Default)]
pub(crate) struct Inbox {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    events: VecDeque<Event>,
    /// The readers waiting for an event (one, unless `next()` is called
    /// again before the last one settled).
    wakers: Vec<Waker>,
    leading: Option<Metadata>,
    trailing: Option<Metadata>,
    /// No more events will come: a terminal one was queued, or the call
    /// was cancelled here.
    over: bool,
    /// Whether END_OF_STREAM was sent: the request stream takes no more.
    request_ended: bool,
    /// The `reason` of the `AbortSignal` that cancelled the call.
    abort_reason: Option<JsValue>,
    timer: Option<Timer>,
    abort: Option<AbortListener>,
}

impl Inbox {
    /// Queues one event; metadata is kept aside at once, so a stream shows
    /// its leading metadata as soon as it arrives.
    pub(crate) fn push(&self, event: Event) {
        let mut state = self.state.borrow_mut();
        if state.over {
            return;
        }
        match &event {
            Event::Leading(leading) => {
                state.leading.get_or_insert_with(|| leading.clone());
                return;
            }
            // Once the call is answered or ended, its metadata is final:
            // empty when the server sent none.
            Event::Answer { trailing, .. } | Event::End { trailing } => {
                state.trailing = Some(trailing.clone().unwrap_or_default());
                state.leading.get_or_insert_with(Metadata::new);
            }
            _ => {}
        }
        if event.is_terminal() {
            state.over = true;
        }
        state.events.push_back(event);
        let guards = state.over.then(|| (state.timer.take(), state.abort.take()));
        let wakers = std::mem::take(&mut state.wakers);
        drop(state);
        drop(guards);
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Ends the call here: drops what is queued and wakes a waiting reader.
    fn stop(&self) -> bool {
        let mut state = self.state.borrow_mut();
        let was_over = std::mem::replace(&mut state.over, true);
        state.events.clear();
        let guards = (state.timer.take(), state.abort.take());
        let wakers = std::mem::take(&mut state.wakers);
        drop(state);
        drop(guards);
        wakers.into_iter().for_each(Waker::wake);
        was_over
    }

    pub(crate) fn leading(&self) -> Option<Metadata> {
        self.state.borrow().leading.clone()
    }

    pub(crate) fn trailing(&self) -> Option<Metadata> {
        self.state.borrow().trailing.clone()
    }

    pub(crate) fn abort_reason(&self) -> Option<JsValue> {
        self.state.borrow().abort_reason.clone()
    }
}

/// A call: its connection, its seq and its inbox.
#[derive(Clone)]
pub(crate) struct Call {
    conn: Rc<Connection>,
    seq: Seq,
    inbox: Rc<Inbox>,
}

impl Call {
    pub(crate) fn new(conn: Rc<Connection>, seq: Seq, inbox: Rc<Inbox>) -> Call {
        Call { conn, seq, inbox }
    }

    pub(crate) fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    /// Enforces a deadline of `ms` milliseconds: then CANCEL, and 408.
    pub(crate) fn expire_after(&self, ms: f64) {
        let weak = self.downgrade();
        let timer = Timer::once(ms, move || {
            let after = Duration::from_secs_f64(ms / 1000.0);
            weak.fail(Error::Timeout(after), None);
        });
        self.inbox.state.borrow_mut().timer = Some(timer);
    }

    /// Cancels the call when `signal` aborts: CANCEL, and 499.
    pub(crate) fn abort_on(&self, signal: AbortSignal) {
        let weak = self.downgrade();
        let listener = AbortListener::new(signal, move |reason| {
            weak.fail(Error::Cancelled, Some(reason))
        });
        self.inbox.state.borrow_mut().abort = Some(listener);
    }

    /// The next item, answer or end; an error ends the call.
    pub(crate) async fn next(&self) -> Result<Next, Error> {
        let event = poll_fn(|cx| {
            let mut state = self.inbox.state.borrow_mut();
            match state.events.pop_front() {
                Some(event) => Poll::Ready(Some(event)),
                None if state.over => Poll::Ready(None),
                None => {
                    state.wakers.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await;
        match event {
            Some(Event::Item(data)) => Ok(Next::Item(data)),
            Some(Event::Answer { data, .. }) => Ok(Next::Answer(data)),
            Some(Event::End { .. }) | None => Ok(Next::End),
            Some(Event::Error(body)) => Err(Error::Remote(body)),
            Some(Event::Failed(error)) => Err(error),
            Some(Event::Leading(_)) => Ok(Next::End), // kept aside by `push`, never queued
        }
    }

    /// Sends one message of the request stream; [`Error::Closed`] once
    /// the stream was ended.
    pub(crate) fn send(&self, data: Payload) -> Result<(), Error> {
        if self.inbox.state.borrow().request_ended {
            return Err(Error::Closed);
        }
        self.conn.message(self.seq, data)
    }

    /// Ends the request stream (END_OF_STREAM), once.
    pub(crate) fn end(&self) -> Result<(), Error> {
        if std::mem::replace(&mut self.inbox.state.borrow_mut().request_ended, true) {
            return Ok(());
        }
        self.conn.end(self.seq)
    }

    /// Cancels the call unless it is over: CANCEL goes to the server and
    /// nothing more is received.
    pub(crate) fn cancel(&self) {
        if !self.inbox.stop() {
            self.conn.cancel(self.seq);
        }
    }

    /// Ends the call here after a local failure (an answer that did not
    /// decode), cancelling it on the server.
    pub(crate) fn fail(&self, error: Error) -> Error {
        self.cancel();
        error
    }

    fn downgrade(&self) -> WeakCall {
        WeakCall {
            conn: Rc::downgrade(&self.conn),
            seq: self.seq,
            inbox: Rc::downgrade(&self.inbox),
        }
    }
}

/// What a timer or an abort listener holds: no cycle, nothing kept alive.
struct WeakCall {
    conn: Weak<Connection>,
    seq: Seq,
    inbox: Weak<Inbox>,
}

impl WeakCall {
    /// CANCEL, then `error` for the caller, unless the call is over.
    fn fail(&self, error: Error, abort_reason: Option<JsValue>) {
        let (Some(conn), Some(inbox)) = (self.conn.upgrade(), self.inbox.upgrade()) else {
            return;
        };
        if inbox.state.borrow().over {
            return;
        }
        conn.cancel(self.seq);
        inbox.state.borrow_mut().abort_reason = abort_reason;
        inbox.push(Event::Failed(error));
    }
}

/// An `abort` listener on a signal, removed when dropped.
pub(crate) struct AbortListener {
    signal: AbortSignal,
    callback: Closure<dyn FnMut()>,
}

impl AbortListener {
    /// Calls `on_abort` with the signal's reason when it aborts.
    pub(crate) fn new(
        signal: AbortSignal,
        on_abort: impl FnOnce(JsValue) + 'static,
    ) -> AbortListener {
        let reason_of = signal.clone();
        let callback = Closure::once(move || on_abort(reason_of.reason()));
        let _ = signal.add_event_listener_with_callback("abort", callback.as_ref().unchecked_ref());
        AbortListener { signal, callback }
    }
}

impl Drop for AbortListener {
    fn drop(&mut self) {
        let callback = self.callback.as_ref().unchecked_ref();
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", callback);
    }
}

/// Owns a call for JavaScript: when the last object holding it (a stream
/// and its iterators) is freed or garbage-collected, the call is cancelled.
pub(crate) struct Handle(pub(crate) Call);

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.cancel();
    }
}
