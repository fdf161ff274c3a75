//! The streaming calls (server streaming, client streaming,
//! bidirectional) as one Python object, [`PyCall`].
//!
//! The call opens in the background as soon as the object is made, so
//! `client.stream(...)` can return an async iterator at once, like the
//! TypeScript client. Sending and receiving are locked apart, so one task
//! can send while another iterates. `cancel()` ends the call at once,
//! also while a `next()` is waiting (it then ends the iteration), and so
//! does dropping the object: its handles go, and dropping them sends
//! CANCEL, as in the Rust client.

use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use swill_client::{Error, Metadata, RequestSender, ResponseFuture, ResponseStream, Value};
use tokio::sync::watch;

use crate::convert::{self, Answer, PyMetadata, PyValue};
use crate::{deliver, error};

/// The handles of an open call.
pub(crate) struct Parts {
    sender: tokio::sync::Mutex<Option<RequestSender<Value>>>,
    receiver: tokio::sync::Mutex<Receiver>,
}

/// What the call receives.
enum Receiver {
    /// Items, until the end (server streaming, bidirectional).
    Stream(ResponseStream<Value>),
    /// One answer (client streaming).
    Answer(ResponseFuture<Value>),
    /// Nothing more: the call ended, failed or was cancelled.
    Over,
}

impl Parts {
    /// A call that only receives a stream.
    pub(crate) fn stream(stream: ResponseStream<Value>) -> Self {
        Parts::new(None, Receiver::Stream(stream))
    }

    /// A client-streaming call.
    pub(crate) fn client_stream(parts: (RequestSender<Value>, ResponseFuture<Value>)) -> Self {
        Parts::new(Some(parts.0), Receiver::Answer(parts.1))
    }

    /// A bidirectional call.
    pub(crate) fn bidi(parts: (RequestSender<Value>, ResponseStream<Value>)) -> Self {
        Parts::new(Some(parts.0), Receiver::Stream(parts.1))
    }

    fn new(sender: Option<RequestSender<Value>>, receiver: Receiver) -> Self {
        Parts {
            sender: tokio::sync::Mutex::new(sender),
            receiver: tokio::sync::Mutex::new(receiver),
        }
    }

    /// Drops the handles nobody is using: the receiver first, which sends
    /// CANCEL unless the call is over. A method holding one drops it
    /// itself once it sees the cancel.
    fn drop_handles(&self) {
        if let Ok(mut receiver) = self.receiver.try_lock() {
            *receiver = Receiver::Over;
        }
        if let Ok(mut sender) = self.sender.try_lock() {
            sender.take();
        }
    }
}

/// What the opening task left: nothing yet, the open call, or why it
/// could not open.
type Opened = Option<Result<Arc<Parts>, Error>>;

/// The state every method of a call shares.
struct Shared {
    opened: watch::Receiver<Opened>,
    /// `true` once cancelled; dropped with the call, which the opening
    /// task takes as a cancel too.
    closed: watch::Sender<bool>,
    /// The leading and trailing metadata seen so far, readable at any
    /// time, even while a `next()` holds the receiver.
    metadata: Mutex<(Option<Metadata>, Option<Metadata>)>,
}

impl Shared {
    /// The open call, once it is; the error that kept it from opening.
    async fn parts(&self) -> Result<Arc<Parts>, Error> {
        let mut opened = self.opened.clone();
        let opened = opened.wait_for(Option::is_some).await;
        match opened.as_deref() {
            Ok(Some(Ok(parts))) => Ok(parts.clone()),
            Ok(Some(Err(e))) => Err(e.clone()),
            // The opening task is gone without a word: only at shutdown.
            Ok(None) | Err(_) => Err(Error::Cancelled),
        }
    }

    fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// Resolves once the call is cancelled.
    async fn cancelled(&self) {
        let mut closed = self.closed.subscribe();
        // An error means the sender is gone, which cannot happen while
        // `self` lives: treat it as cancelled all the same.
        let _ = closed.wait_for(|closed| *closed).await;
    }

    fn lock_metadata(&self) -> std::sync::MutexGuard<'_, (Option<Metadata>, Option<Metadata>)> {
        self.metadata.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps the stream's metadata once it has come.
    fn record(&self, stream: &ResponseStream<Value>) {
        let mut metadata = self.lock_metadata();
        if metadata.0.is_none() {
            metadata.0 = stream.leading().cloned();
        }
        if metadata.1.is_none() {
            metadata.1 = stream.trailing().cloned();
        }
    }
}

/// A streaming call: `send`, `finish`, `next`, `answer` and `cancel`, as
/// the call's shape allows.
#[pyclass(name = "Call", module = "swill_client._native", frozen)]
pub(crate) struct PyCall {
    shared: Arc<Shared>,
}

impl PyCall {
    /// Starts opening the call on the tokio runtime and returns at once.
    pub(crate) fn open<F>(opening: F) -> Self
    where
        F: Future<Output = Result<Parts, Error>> + Send + 'static,
    {
        let (opened_tx, opened) = watch::channel(None);
        let (closed, _) = watch::channel(false);
        let mut closed_rx = closed.subscribe();
        pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
            let outcome = tokio::select! {
                parts = opening => parts.map(Arc::new),
                _ = closed_rx.wait_for(|closed| *closed) => Err(Error::Cancelled),
            };
            let parts = outcome.as_ref().ok().cloned();
            // Nobody to take it when the call object is gone: the value
            // comes back in the error and its drop cancels the call.
            let _ = opened_tx.send(Some(outcome));
            // A cancel that came while the call was opening, too late for
            // `cancel()` to see the open call.
            if let Some(parts) = parts
                && *closed_rx.borrow()
            {
                parts.drop_handles();
            }
        });
        let shared = Shared {
            opened,
            closed,
            metadata: Mutex::new((None, None)),
        };
        PyCall {
            shared: Arc::new(shared),
        }
    }
}

#[pymethods]
impl PyCall {
    /// Sends one request message; waits while the outgoing queue is full.
    fn send<'py>(&self, py: Python<'py>, item: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let item = convert::to_value(item)?;
        let shared = self.shared.clone();
        deliver::future_into_py(py, async move {
            let parts = shared.parts().await.map_err(error::to_py)?;
            let mut sender = parts.sender.lock().await;
            if shared.is_closed() {
                sender.take();
            }
            match sender.as_ref() {
                Some(sender) => sender.send(&item).await.map_err(error::to_py),
                None => Err(error::to_py(Error::Closed)),
            }
        })
    }

    /// Ends the request stream (END_OF_STREAM) once the messages sent
    /// before are out. A call that failed to open has nothing to end; its
    /// error comes from `next()` or `answer()`.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        deliver::future_into_py(py, async move {
            if let Ok(parts) = shared.parts().await {
                parts.sender.lock().await.take();
            }
            Ok(())
        })
    }

    /// The next item of the response stream; raises `StopAsyncIteration`
    /// at its end, or once the call is cancelled.
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        deliver::future_into_py(py, next(shared))
    }

    /// The answer of a client-streaming call, with its metadata.
    fn answer<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        deliver::future_into_py(py, answer(shared))
    }

    /// Cancels the call: CANCEL goes to the server (unless the call is
    /// over), and nothing more is sent or received.
    fn cancel(&self) {
        self.shared.closed.send_replace(true);
        if let Some(Ok(parts)) = self.shared.opened.borrow().as_ref() {
            parts.drop_handles();
        }
    }

    /// The server's leading metadata, once it has come.
    #[getter]
    fn leading_metadata<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let leading = self.shared.lock_metadata().0.clone();
        leading.map(|m| PyMetadata(m).into_pyobject(py)).transpose()
    }

    /// The server's trailing metadata, once the call has ended.
    #[getter]
    fn trailing_metadata<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let trailing = self.shared.lock_metadata().1.clone();
        trailing
            .map(|m| PyMetadata(m).into_pyobject(py))
            .transpose()
    }
}

fn stop() -> PyErr {
    PyStopAsyncIteration::new_err(())
}

async fn next(shared: Arc<Shared>) -> PyResult<PyValue> {
    if shared.is_closed() {
        return Err(stop());
    }
    let parts = shared.parts().await.map_err(error::to_py)?;
    let mut receiver = parts.receiver.lock().await;
    let Receiver::Stream(stream) = &mut *receiver else {
        return Err(stop());
    };
    let item = tokio::select! {
        item = stream.next() => item,
        () = shared.cancelled() => None,
    };
    shared.record(stream);
    match item {
        Some(Ok(value)) => Ok(PyValue(value)),
        Some(Err(e)) => {
            *receiver = Receiver::Over;
            Err(error::to_py(e))
        }
        None => {
            *receiver = Receiver::Over;
            Err(stop())
        }
    }
}

async fn answer(shared: Arc<Shared>) -> PyResult<Answer> {
    let parts = shared.parts().await.map_err(error::to_py)?;
    let mut receiver = parts.receiver.lock().await;
    let Receiver::Answer(future) = &mut *receiver else {
        return Err(error::to_py(Error::Cancelled));
    };
    let outcome = tokio::select! {
        outcome = future => outcome,
        () = shared.cancelled() => Err(Error::Cancelled),
    };
    *receiver = Receiver::Over;
    let response = outcome.map_err(error::to_py)?;
    let mut metadata = shared.lock_metadata();
    metadata.0 = Some(response.leading.clone());
    metadata.1 = Some(response.trailing.clone());
    Ok(convert::answer(response))
}
