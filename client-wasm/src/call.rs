//! One call in flight: the events the session routes to it, its deadline,
//! its `AbortSignal`, and cancelling it.
//!
//! The session decides what each frame means ([`Event`]) and the shared
//! [`CallState`] what the caller gets of it; this only queues those
//! deliveries until the caller's promise asks for the next one, and holds
//! the timer and the abort listener. JavaScript cannot block a socket, so
//! the queue is not bounded: consume a stream, or cancel it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};
use std::time::Duration;

use swill_client::Error;
use swill_client::driver::{CallState, Next};
use swill_client::session::Event;
use swill_proto::{Metadata, Payload, Seq};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::timer::Timer;
use crate::transport::Connection;

/// Where the session delivers a call's events (the session's sink).
#[derive(Default)]
pub(crate) struct Inbox {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// What the caller gets next, in order.
    queue: VecDeque<Result<Next, Error>>,
    /// The readers waiting for a delivery (one, unless `next()` is called
    /// again before the last one settled).
    wakers: Vec<Waker>,
    /// Whether the call is over, and its metadata.
    call: CallState,
    /// Whether END_OF_STREAM was sent: the request stream takes no more.
    request_ended: bool,
    /// The `reason` of the `AbortSignal` that cancelled the call.
    abort_reason: Option<JsValue>,
    timer: Option<Timer>,
    abort: Option<AbortListener>,
    /// For a unary call made by `Client.call`: the promise to settle with
    /// the answer, straight from the socket's message handler, instead of
    /// queueing it for a future to take.
    settle: Option<Settle>,
}

/// The `resolve` and `reject` functions of a call's promise.
pub(crate) struct Settle {
    pub(crate) resolve: js_sys::Function,
    pub(crate) reject: js_sys::Function,
}

impl Inbox {
    /// The inbox of a unary call whose answer settles a promise.
    pub(crate) fn settling(settle: Settle) -> Inbox {
        let state = State {
            settle: Some(settle),
            ..State::default()
        };
        Inbox {
            state: RefCell::new(state),
        }
    }

    /// Takes one event; metadata is kept aside at once, so a stream shows
    /// its leading metadata as soon as it arrives.
    pub(crate) fn push(&self, event: Event) {
        let mut state = self.state.borrow_mut();
        if let Some(next) = state.call.on_event(event) {
            self.deliver(state, next);
        }
    }

    /// Ends the call here with `error` for the caller; `true` if it was
    /// still on (then CANCEL must go out).
    pub(crate) fn fail(&self, error: Error) -> bool {
        let mut state = self.state.borrow_mut();
        let Some(error) = state.call.fail(error) else {
            return false;
        };
        self.deliver(state, Err(error));
        true
    }

    /// Hands a delivery on: to the call's promise, or to its queue.
    fn deliver(&self, mut state: std::cell::RefMut<'_, State>, next: Result<Next, Error>) {
        let Some(settle) = state.settle.take() else {
            state.queue.push_back(next);
            return self.wake(state);
        };
        let abort_reason = state.abort_reason.clone();
        self.wake(state);
        // Outside the borrow: settling calls into JavaScript.
        let (settle_with, value) = match next.and_then(Next::answer) {
            Ok(data) => match crate::open::decode(&data) {
                Ok(value) => (&settle.resolve, value),
                Err(e) => (&settle.reject, crate::error::to_js(&e)),
            },
            Err(e) => (
                &settle.reject,
                crate::open::rejection(&e, abort_reason.as_ref()),
            ),
        };
        let _ = settle_with.call1(&JsValue::UNDEFINED, &value);
    }

    /// Ends the call here: drops what is queued and wakes a waiting reader.
    /// `true` if it was still on.
    fn stop(&self) -> bool {
        let mut state = self.state.borrow_mut();
        let was_on = state.call.stop();
        state.queue.clear();
        self.wake(state);
        was_on
    }

    /// Wakes the readers; once the call is over, drops its timer and abort
    /// listener (outside the borrow: dropping them calls into JavaScript).
    fn wake(&self, mut state: std::cell::RefMut<'_, State>) {
        let guards = state
            .call
            .is_over()
            .then(|| (state.timer.take(), state.abort.take()));
        let wakers = std::mem::take(&mut state.wakers);
        drop(state);
        drop(guards);
        wakers.into_iter().for_each(Waker::wake);
    }

    pub(crate) fn leading(&self) -> Option<Metadata> {
        self.state.borrow().call.leading().cloned()
    }

    pub(crate) fn trailing(&self) -> Option<Metadata> {
        self.state.borrow().call.trailing().cloned()
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

    /// Enforces the call's deadline of `deadline_ms`, `ms` from now: then
    /// CANCEL, and 408.
    pub(crate) fn expire_after(&self, ms: f64, deadline_ms: f64) {
        let weak = self.downgrade();
        let timer = Timer::once(ms, move || {
            // The error names the call's deadline, not what was left of it
            // once the call was open.
            let deadline = Duration::from_secs_f64(deadline_ms / 1000.0);
            weak.fail(Error::Timeout(deadline), None);
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
        poll_fn(|cx| {
            let mut state = self.inbox.state.borrow_mut();
            match state.queue.pop_front() {
                Some(next) => Poll::Ready(next),
                None if state.call.is_over() => Poll::Ready(Ok(Next::End)),
                None => {
                    state.wakers.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Waits for the one answer of a unary or client-streaming call.
    pub(crate) async fn answer(&self) -> Result<Payload, Error> {
        self.next().await?.answer()
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
        if self.inbox.stop() {
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
        if inbox.state.borrow().call.is_over() {
            return;
        }
        inbox.state.borrow_mut().abort_reason = abort_reason;
        if inbox.fail(error) {
            conn.cancel(self.seq);
        }
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
