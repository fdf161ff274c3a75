//! `swill_client._native.Client`: one connection, a method per call shape.

use std::sync::RwLock;

use pyo3::prelude::*;
use swill_client::{Client, Error, Value};
use tokio::sync::watch;

use crate::call::{Parts, PyCall};
use crate::convert::{self, ToPython};
use crate::topic::{self, PyPosition, PySubscription};
use crate::{deliver, error};

/// A connected Rust [`Client`]; `close()` closes it and lets go of it.
#[pyclass(name = "Client", module = "swill_client._native", frozen)]
pub(crate) struct PyClient {
    client: RwLock<Option<Client>>,
    /// `true` once closed (or released): the subscriptions end.
    closed: watch::Sender<bool>,
    /// The session id when the client was closed, still readable then
    /// (to resume that session with a new client).
    last_session: RwLock<Option<String>>,
}

impl PyClient {
    pub(crate) fn new(client: Client) -> Self {
        PyClient {
            client: RwLock::new(Some(client)),
            closed: watch::channel(false).0,
            last_session: RwLock::new(None),
        }
    }

    /// Takes the client out: later calls fail with 503, and the
    /// subscriptions end with 503.
    fn take(&self) -> Option<Client> {
        self.closed.send_replace(true);
        let client = self
            .client
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(client) = &client {
            *self.last_session.write().unwrap_or_else(|p| p.into_inner()) = client.session();
        }
        client
    }

    /// The client for a stream, which opens in the background: once
    /// closed, the error is the stream's, raised by its first read.
    fn client_for_stream(&self) -> Result<Client, Error> {
        self.client().map_err(|_| Error::Disconnected {
            reason: "the client is closed".to_owned(),
        })
    }

    /// A clone of the client (clones share the connection), or 503 once
    /// closed.
    fn client(&self) -> PyResult<Client> {
        let client = self.client.read().unwrap_or_else(|p| p.into_inner());
        client
            .clone()
            .ok_or_else(|| error::swill_error(503, "the client is closed"))
    }
}

#[pymethods]
impl PyClient {
    /// A unary call; resolves to `(data, leading, trailing)`.
    #[pyo3(signature = (rpc, request, metadata = None, timeout = None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        rpc: String,
        request: &Bound<'py, PyAny>,
        metadata: Option<&Bound<'py, PyAny>>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = convert::to_value(request)?;
        let options = convert::call_options(metadata, timeout)?;
        let client = self.client()?;
        deliver::future_into_py(py, async move {
            let response = client.call_with::<Value>(&rpc, &request, options).await;
            Ok(convert::answer(response.map_err(error::to_py)?))
        })
    }

    /// A server-streaming call, opening in the background.
    #[pyo3(signature = (rpc, request, metadata = None, timeout = None))]
    fn server_stream(
        &self,
        rpc: String,
        request: &Bound<'_, PyAny>,
        metadata: Option<&Bound<'_, PyAny>>,
        timeout: Option<f64>,
    ) -> PyResult<PyCall> {
        let request = convert::to_value(request)?;
        let options = convert::call_options(metadata, timeout)?;
        let client = self.client_for_stream();
        Ok(PyCall::open(async move {
            let client = client?;
            let stream = client.server_stream_with::<Value>(&rpc, &request, options);
            Ok(Parts::stream(stream.await?))
        }))
    }

    /// A client-streaming call, opening in the background.
    #[pyo3(signature = (rpc, metadata = None, timeout = None))]
    fn client_stream(
        &self,
        rpc: String,
        metadata: Option<&Bound<'_, PyAny>>,
        timeout: Option<f64>,
    ) -> PyResult<PyCall> {
        let options = convert::call_options(metadata, timeout)?;
        let client = self.client_for_stream();
        Ok(PyCall::open(async move {
            let client = client?;
            let parts = client.client_stream_with::<Value, Value>(&rpc, options);
            Ok(Parts::client_stream(parts.await?))
        }))
    }

    /// A bidirectional call, opening in the background.
    #[pyo3(signature = (rpc, metadata = None, timeout = None))]
    fn bidi(
        &self,
        rpc: String,
        metadata: Option<&Bound<'_, PyAny>>,
        timeout: Option<f64>,
    ) -> PyResult<PyCall> {
        let options = convert::call_options(metadata, timeout)?;
        let client = self.client_for_stream();
        Ok(PyCall::open(async move {
            let client = client?;
            let parts = client.bidi_with::<Value, Value>(&rpc, options);
            Ok(Parts::bidi(parts.await?))
        }))
    }

    /// The server's rpcs (`swill.introspect`), as dicts.
    fn introspect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client()?;
        deliver::future_into_py(py, async move {
            let rpcs = client.introspect().await.map_err(error::to_py)?;
            Ok(ToPython(rpcs))
        })
    }

    /// Subscribes to a topic, from now on or after the position `since`
    /// (`(epoch, offset)`); resolves once the server confirmed it (its
    /// refusal, 404 or 403, is raised then).
    #[pyo3(signature = (topic, since = None))]
    fn subscribe<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        since: Option<PyPosition>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client()?;
        let closed = self.closed.subscribe();
        deliver::future_into_py(py, async move {
            let subscription = match since {
                Some(since) => {
                    let since = topic::position(since);
                    client.subscribe_since::<Value>(&topic, since).await
                }
                None => client.subscribe::<Value>(&topic).await,
            };
            Ok(PySubscription::new(
                subscription.map_err(error::to_py)?,
                closed,
            ))
        })
    }

    /// Publishes `data` to a topic; resolves to its position,
    /// `(epoch, offset)`.
    fn publish<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        // Inside the request map `{topic, data}`: one level less.
        let data = convert::to_value_within(data, 1)?;
        let client = self.client()?;
        deliver::future_into_py(py, async move {
            let position = client.publish(&topic, &data).await;
            let position = position.map_err(error::to_py)?;
            Ok((position.epoch, position.offset))
        })
    }

    /// Who is subscribed to a topic: `(node, connection)` pairs.
    fn presence<'py>(&self, py: Python<'py>, topic: String) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client()?;
        deliver::future_into_py(py, async move {
            let entries = client.presence(&topic).await.map_err(error::to_py)?;
            let entries: Vec<(String, u64)> = entries
                .into_iter()
                .map(|entry| (entry.node, entry.connection))
                .collect();
            Ok(entries)
        })
    }

    /// The server's topics (`swill.topics`), as dicts.
    fn topics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client()?;
        deliver::future_into_py(py, async move {
            let topics = client.topics().await.map_err(error::to_py)?;
            Ok(ToPython(topics))
        })
    }

    /// The id of the client's session on the server, if it has one; once
    /// closed, the id it had then.
    #[getter]
    fn session(&self) -> Option<String> {
        match self.client() {
            Ok(client) => client.session(),
            Err(_) => self
                .last_session
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    /// Closes the connection with a close handshake and resolves once it
    /// is closed: calls in flight fail with 503 (Disconnected), and so do
    /// later ones (this client lets go of it at once).
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.take();
        deliver::future_into_py(py, async move {
            if let Some(client) = client {
                client.close().await;
            }
            Ok(())
        })
    }

    /// Lets go of the connection without waiting (for `close()` outside
    /// an event loop): later calls fail with 503; the connection closes
    /// in the background once the calls in flight are over.
    fn release(&self) {
        self.take();
    }
}
