//! `connect()`: the Python options turned into a [`Builder`], and the first
//! connection.
//!
//! The Python layer (`swill_client/_client.py`) names and documents every
//! option; here each one is checked and handed to the Rust builder as is.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use swill_client::{
    Builder, Client, ConnectionState, Encoding, Error, ReconnectPolicy, Subprotocol,
};

use crate::client::PyClient;
use crate::convert::seconds;
use crate::{deliver, error};

/// The reconnect policy as Python passes it: initial and longest pause in
/// seconds, multiplier, jitter, and the most attempts (`None`: no limit).
type Reconnect = (f64, f64, f64, f64, Option<u32>);

/// Everything `connect()` takes besides the URL: a `dict` that the Python
/// layer fills, one key per field.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct Options {
    subprotocol: String,
    json: bool,
    headers: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
    session: Option<String>,
    connect_timeout: f64,
    keepalive: Option<f64>,
    reconnect: Reconnect,
    on_state_change: Option<Py<PyAny>>,
    max_in_flight: usize,
    stream_buffer: usize,
    ca_pem: Vec<Vec<u8>>,
    check_shapes: bool,
}

/// Connects to `url` (one attempt, bounded by the connect timeout) and
/// resolves to the client.
#[pyfunction]
pub(crate) fn connect<'py>(
    py: Python<'py>,
    url: String,
    options: Options,
) -> PyResult<Bound<'py, PyAny>> {
    let builder = builder(py, url, options)?;
    deliver::future_into_py(py, async move {
        let client = builder.connect().await.map_err(|e| match e {
            // The program's mistake (a URL, header or PEM that cannot be
            // used), found before dialing: Python's own exception, as for
            // every other bad option.
            Error::Invalid(message) => PyValueError::new_err(message),
            other => error::to_py(other),
        })?;
        Ok(PyClient::new(client))
    })
}

fn builder(py: Python<'_>, url: String, options: Options) -> PyResult<Builder> {
    let subprotocol = match options.subprotocol.as_str() {
        "swill.v1" => Subprotocol::V1,
        "swill/1" => Subprotocol::Legacy,
        "auto" => Subprotocol::Auto,
        other => {
            return Err(PyValueError::new_err(format!(
                "legacy must be True, False or \"auto\", not {other:?}"
            )));
        }
    };
    let encoding = if options.json {
        Encoding::Json
    } else {
        Encoding::MessagePack
    };
    let mut builder = Client::builder(url)
        .subprotocol(subprotocol)
        .encoding(encoding)
        .connect_timeout(positive("connect_timeout", options.connect_timeout)?)
        .reconnect(reconnect_policy(options.reconnect)?)
        .max_in_flight(options.max_in_flight)
        .stream_buffer(options.stream_buffer)
        .check_shapes(options.check_shapes);
    for (name, value) in options.headers {
        builder = builder.header(name, value);
    }
    for (name, value) in options.cookies {
        builder = builder.cookie(name, value);
    }
    for pem in options.ca_pem {
        builder = builder.root_certificates_pem(pem);
    }
    if let Some(session) = options.session {
        builder = builder.session(session);
    }
    if let Some(every) = options.keepalive {
        builder = builder.keepalive(positive("keepalive", every)?);
    }
    if let Some(callback) = options.on_state_change {
        // Called on the connection's task: the state goes to the event
        // loop that connected, which calls `callback` (deliver.rs).
        let mailbox = deliver::running_mailbox(py)?;
        let callback = Arc::new(callback);
        builder = builder.on_state_change(move |state| mailbox.report(&callback, report(state)));
    }
    Ok(builder)
}

/// A duration that must be more than zero.
fn positive(option: &str, value: f64) -> PyResult<Duration> {
    match seconds(option, value)? {
        d if d.is_zero() => Err(PyValueError::new_err(format!(
            "{option} must be more than 0 seconds"
        ))),
        d => Ok(d),
    }
}

fn reconnect_policy(
    (initial, max, multiplier, jitter, max_attempts): Reconnect,
) -> PyResult<ReconnectPolicy> {
    if !(multiplier >= 1.0 && multiplier.is_finite()) {
        return Err(PyValueError::new_err(format!(
            "ReconnectPolicy.multiplier must be at least 1, not {multiplier}"
        )));
    }
    if !(0.0..=1.0).contains(&jitter) {
        return Err(PyValueError::new_err(format!(
            "ReconnectPolicy.jitter must be between 0 and 1, not {jitter}"
        )));
    }
    Ok(ReconnectPolicy {
        initial_backoff: seconds("ReconnectPolicy.initial_backoff", initial)?,
        max_backoff: seconds("ReconnectPolicy.max_backoff", max)?,
        multiplier,
        jitter,
        max_attempts,
    })
}

/// A state change as the Python callback takes it: `(state, attempt,
/// reason)`. The callback is the Python layer's, which only schedules the
/// user's on the event loop.
fn report(state: &ConnectionState) -> (&'static str, Option<u32>, Option<String>) {
    match state {
        ConnectionState::Connecting { attempt } => ("connecting", Some(*attempt), None),
        ConnectionState::Connected => ("connected", None, None),
        ConnectionState::Disconnected { reason } => ("disconnected", None, Some(reason.clone())),
    }
}
