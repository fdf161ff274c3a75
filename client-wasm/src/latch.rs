//! A value that is set once and awaited by any number of tasks: the
//! outcome of a reconnect round, the opening of a stream.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::{Poll, Waker};

/// Set once with [`set`](Latch::set); [`get`](Latch::get) waits for it.
pub(crate) struct Latch<T> {
    value: RefCell<Option<T>>,
    waiting: RefCell<Vec<Waker>>,
}

impl<T> Default for Latch<T> {
    fn default() -> Self {
        Latch {
            value: RefCell::new(None),
            waiting: RefCell::new(Vec::new()),
        }
    }
}

impl<T: Clone> Latch<T> {
    /// Sets the value and wakes every waiting task, in the order they came.
    pub(crate) fn set(&self, value: T) {
        *self.value.borrow_mut() = Some(value);
        for waker in self.waiting.take() {
            waker.wake();
        }
    }

    /// The value, if it is set.
    pub(crate) fn peek(&self) -> Option<T> {
        self.value.borrow().clone()
    }

    /// The value, once it is set.
    pub(crate) async fn get(&self) -> T {
        poll_fn(|cx| match self.peek() {
            Some(value) => Poll::Ready(value),
            None => {
                // Polled again by the same task (a race, say): one waker.
                let mut waiting = self.waiting.borrow_mut();
                if !waiting.iter().any(|w| w.will_wake(cx.waker())) {
                    waiting.push(cx.waker().clone());
                }
                Poll::Pending
            }
        })
        .await
    }

    /// Runs `future` unless the latch is set first (`None`): a stop that
    /// came wins even over a future ready in the same turn, so that what
    /// was stopped does not start after all.
    pub(crate) async fn unless<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        let mut stopped = pin!(self.get());
        poll_fn(|cx| match stopped.as_mut().poll(cx) {
            Poll::Ready(_) => Poll::Ready(None),
            Poll::Pending => future.as_mut().poll(cx).map(Some),
        })
        .await
    }
}
