//! Timers from the host (`setTimeout`, present in browsers and Node): the
//! deadline of a call, the pause between reconnect attempts.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

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

/// Resolves after `ms` milliseconds.
pub(crate) async fn sleep(ms: f64) {
    let promise = Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// Runs `future` for at most `ms` milliseconds (forever without a limit);
/// `Err(())` when the time ran out first. The timer is cleared as soon as
/// the future is done, so it keeps no Node process alive.
pub(crate) async fn within<F: Future>(ms: Option<f64>, future: F) -> Result<F::Output, ()> {
    let Some(ms) = ms else {
        return Ok(future.await);
    };
    let expired = Rc::new(Expired::default());
    let flag = expired.clone();
    let _timer = Timer::once(ms, move || flag.expire());
    Race {
        future: Box::pin(future),
        expired,
    }
    .await
}

/// Whether a deadline has passed, and who to wake when it does.
#[derive(Default)]
struct Expired {
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Expired {
    fn expire(&self) {
        self.done.set(true);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

struct Race<F> {
    future: Pin<Box<F>>,
    expired: Rc<Expired>,
}

impl<F: Future> Future for Race<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if self.expired.done.get() {
            return Poll::Ready(Err(()));
        }
        *self.expired.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}
