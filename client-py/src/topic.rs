//! Topics: `swill_client._native.Subscription`, a Rust [`Subscription`]
//! behind `next()` and `cancel()`, and the conversions of positions.
//!
//! Resubscribing after a lost connection, recovering from history,
//! dropping duplicates and reporting gaps are the Rust subscription's
//! (`swill_client::topic::Cursor`); this only hands its items to Python:
//! a publication as `(epoch, offset, data)`, [`Error::Missed`] as a
//! `SwillError` 409 whose data holds `last` and `now`, the end as
//! `StopAsyncIteration`.

use std::sync::Arc;

use futures::StreamExt;
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use serde::Serialize;
use swill_client::{Error, Position, Subscription, Value};
use tokio::sync::watch;

use crate::convert::{PyValue, ToPython};
use crate::{deliver, error};

/// A position on its way to Python: `(epoch, offset)`, which the Python
/// half makes a `Position`.
pub(crate) type PyPosition = (String, u64);

/// A position as Python gives it.
pub(crate) fn position(position: PyPosition) -> Position {
    Position::new(position.0, position.1)
}

/// A publication on its way to Python: `(epoch, offset, data)`.
type PyPublication = (String, u64, PyValue);

/// The state `next()` and `cancel()` share.
struct Shared {
    /// The subscription; `None` once it ended or was cancelled (dropping
    /// it unsubscribes: CANCEL goes to the server).
    subscription: tokio::sync::Mutex<Option<Subscription<Value>>>,
    /// `true` once cancelled.
    cancelled: watch::Sender<bool>,
    /// `true` once the client is closed: the subscription then ends with
    /// 503 (the Rust subscription of a closed client would try to
    /// subscribe again, paced, for ever).
    client_closed: watch::Receiver<bool>,
}

/// One subscription to a topic, open (the server confirmed it).
#[pyclass(name = "Subscription", module = "swill_client._native", frozen)]
pub(crate) struct PySubscription {
    shared: Arc<Shared>,
}

impl PySubscription {
    pub(crate) fn new(
        subscription: Subscription<Value>,
        client_closed: watch::Receiver<bool>,
    ) -> Self {
        let (cancelled, _) = watch::channel(false);
        let shared = Shared {
            subscription: tokio::sync::Mutex::new(Some(subscription)),
            cancelled,
            client_closed,
        };
        PySubscription {
            shared: Arc::new(shared),
        }
    }
}

#[pymethods]
impl PySubscription {
    /// The next publication, `(epoch, offset, data)`. Raises `SwillError`
    /// 409 when publications were lost for good (the subscription goes
    /// on), the error that ended it, then `StopAsyncIteration` (also once
    /// cancelled).
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        deliver::future_into_py(py, next(shared))
    }

    /// Unsubscribes: CANCEL goes to the server, and a `next()` waiting
    /// now, or any later one, ends the iteration.
    fn cancel(&self) {
        self.shared.cancelled.send_replace(true);
        // A `next()` holding the subscription drops it itself.
        if let Ok(mut subscription) = self.shared.subscription.try_lock() {
            subscription.take();
        }
    }
}

fn stop() -> PyErr {
    PyStopAsyncIteration::new_err(())
}

/// Why a subscription stopped waiting for its next item.
enum Interrupted {
    Cancelled,
    ClientClosed,
}

async fn next(shared: Arc<Shared>) -> PyResult<PyPublication> {
    let mut subscription = shared.subscription.lock().await;
    if *shared.cancelled.borrow() {
        subscription.take();
    }
    let Some(stream) = subscription.as_mut() else {
        return Err(stop());
    };
    let mut cancelled = shared.cancelled.subscribe();
    // The stream first: once it ended (a closed client ends it with 503,
    // then `None`), the next call must see the end, not a second 503.
    let item = tokio::select! {
        biased;
        item = stream.next() => Ok(item),
        _ = cancelled.wait_for(|c| *c) => Err(Interrupted::Cancelled),
        () = closed(shared.client_closed.clone()) => Err(Interrupted::ClientClosed),
    };
    match item {
        Ok(Some(Ok(publication))) => {
            let Position { epoch, offset } = publication.position;
            Ok((epoch, offset, PyValue(publication.data)))
        }
        // It goes on after these (the Rust subscription says which end
        // it: the next item is then `None`).
        Ok(Some(Err(e))) => Err(to_py(e)),
        Ok(None) | Err(Interrupted::Cancelled) => {
            subscription.take();
            Err(stop())
        }
        Err(Interrupted::ClientClosed) => {
            subscription.take();
            Err(error::swill_error(503, "the client is closed"))
        }
    }
}

/// Resolves once the client is closed. A client object that was only
/// dropped (garbage-collected) never resolves it: like the Rust client's,
/// a subscription keeps the connection open without the client.
async fn closed(mut client_closed: watch::Receiver<bool>) {
    if client_closed.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// What a lost stretch of publications carries to Python.
#[derive(Serialize)]
struct Missed {
    last: Option<Position>,
    now: Position,
}

/// A subscription's error as a `SwillError`; [`Error::Missed`] carries
/// `{"last": {"epoch", "offset"} | None, "now": {...}}` as its data.
fn to_py(e: Error) -> PyErr {
    let (code, message) = (e.code().as_i64(), e.message().into_owned());
    match e {
        Error::Missed { last, now } => {
            error::swill_error_with(code, message, ToPython(Missed { last, now }))
        }
        e => error::to_py(e),
    }
}
