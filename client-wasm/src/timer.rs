//! Timers from the host (`setTimeout`, present in browsers and Node): the
//! deadline of a call, the pause between reconnect attempts; and waits cut
//! short by a deadline or an `AbortSignal`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::call::AbortListener;

#[wasm_bindgen]
extern "C" {
    // Node answers a `Timeout` object, browsers a number: kept opaque.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// A callback that runs once after a delay, unless the timer is dropped
/// first.
pub(crate) struct Timer {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    /// Runs `callback` after `ms` milliseconds.
    pub(crate) fn once(ms: f64, callback: impl FnOnce() + 'static) -> Timer {
        let callback = Closure::once(callback);
        let id = set_timeout(callback.as_ref().unchecked_ref(), ms);
        Timer {
            id,
            _callback: callback,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// Runs `future` for at most `ms` milliseconds (forever without a limit);
/// `Err(())` when the time ran out first. The timer is cleared as soon as
/// the future is done, so it keeps no Node process alive.
pub(crate) async fn within<F: Future>(ms: Option<f64>, future: F) -> Result<F::Output, ()> {
    until(ms, None, future).await.map_err(|_| ())
}

/// What ended a wait before its future: the deadline, or the signal's
/// abort with its reason.
pub(crate) enum Cut {
    Deadline,
    Aborted(JsValue),
}

/// Runs `future` until the deadline of `ms` milliseconds or the abort of
/// `signal`, whichever comes first; the timer and the listener go as soon
/// as one of them wins.
pub(crate) async fn until<F: Future>(
    ms: Option<f64>,
    signal: Option<&AbortSignal>,
    future: F,
) -> Result<F::Output, Cut> {
    if ms.is_none() && signal.is_none() {
        return Ok(future.await);
    }
    let cut = Rc::new(CutShort::default());
    let _timer = ms.map(|ms| {
        let cut = cut.clone();
        Timer::once(ms, move || cut.expire(Cut::Deadline))
    });
    let _listener = signal.map(|signal| {
        let cut = cut.clone();
        AbortListener::new(signal.clone(), move |reason| {
            cut.expire(Cut::Aborted(reason))
        })
    });
    Race {
        future: Box::pin(future),
        cut,
    }
    .await
}

/// Why a wait was cut, once it was, and who to wake when it is.
#[derive(Default)]
struct CutShort {
    why: RefCell<Option<Cut>>,
    waker: RefCell<Option<Waker>>,
}

impl CutShort {
    fn expire(&self, why: Cut) {
        self.why.borrow_mut().get_or_insert(why);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

struct Race<F> {
    future: Pin<Box<F>>,
    cut: Rc<CutShort>,
}

impl<F: Future> Future for Race<F> {
    type Output = Result<F::Output, Cut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if let Some(why) = self.cut.why.take() {
            return Poll::Ready(Err(why));
        }
        *self.cut.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}
