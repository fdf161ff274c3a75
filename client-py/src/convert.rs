//! Python values to MessagePack values and back, through serde
//! ([`pythonize`]), and the small conversions of options (seconds,
//! metadata).
//!
//! Requests are converted while the caller holds the GIL, before anything is
//! sent, so a value that cannot travel fails the call at once. Answers stay
//! Rust values ([`PyValue`]) until pyo3-async-runtimes hands them to the
//! event loop, which converts them under the GIL it takes anyway: the tokio
//! workers never wait for the GIL.

use std::time::Duration;

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pythonize::{PythonizeError, depythonize, pythonize};
use serde::Serialize;
use swill_client::{CallOptions, Metadata, Response, Value};

/// A Rust value on its way to Python, converted through its `Serialize`
/// impl when the event loop takes it: maps become `dict`, arrays `list`,
/// bin `bytes`, integers `int`, floats `float`, nil `None`.
pub(crate) struct ToPython<T>(pub(crate) T);

impl<'py, T: Serialize> IntoPyObject<'py> for ToPython<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        Ok(pythonize(py, &self.0)?)
    }
}

/// A MessagePack value on its way to Python.
pub(crate) type PyValue = ToPython<Value>;

/// Metadata on its way to Python: a `dict` keyed by `str`.
pub(crate) type PyMetadata = ToPython<Metadata>;

/// An answer with its leading and trailing metadata, as a 3-tuple.
pub(crate) type Answer = (PyValue, PyMetadata, PyMetadata);

/// The parts of a Rust answer, ready for Python.
pub(crate) fn answer(response: Response<Value>) -> Answer {
    let (data, leading, trailing) = response.into_parts();
    (ToPython(data), ToPython(leading), ToPython(trailing))
}

/// Converts a Python value to a MessagePack value: `bytes` becomes bin
/// (pythonize 0.30 refuses `bytearray`), `int` a 64-bit integer (signed
/// or unsigned), dataclasses and mappings a map, other sequences and sets
/// an array.
pub(crate) fn to_value(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    depythonize(value).map_err(|e| unsendable(value, e))
}

/// Says which value cannot be sent, and why: a `TypeError`, or the
/// Python error that conversion raised (an `OverflowError` for an `int`
/// beyond 64 bits).
fn unsendable(value: &Bound<'_, PyAny>, error: PythonizeError) -> PyErr {
    let type_name = value
        .get_type()
        .qualname()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    let message = error.to_string();
    if message.contains("u128") || message.contains("i128") {
        return PyOverflowError::new_err(format!(
            "ints beyond 64 bits cannot be sent (in a {type_name}): {message}"
        ));
    }
    PyTypeError::new_err(format!("cannot send a {type_name}: {message}"))
}

/// A duration given in seconds, checked: negative, NaN or infinite values
/// are refused with a `ValueError` naming the option.
pub(crate) fn seconds(option: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        PyValueError::new_err(format!(
            "{option} must be a finite, non-negative number of seconds, not {value}"
        ))
    })
}

/// The options of one call: request metadata (a `dict` keyed by `str`)
/// and a deadline in seconds.
pub(crate) fn call_options(
    metadata: Option<&Bound<'_, PyAny>>,
    timeout: Option<f64>,
) -> PyResult<CallOptions> {
    let mut options = CallOptions::new();
    if let Some(metadata) = metadata.filter(|m| !m.is_none()) {
        let metadata: Metadata = depythonize(metadata).map_err(|e| {
            PyTypeError::new_err(format!("metadata must be a dict keyed by str: {e}"))
        })?;
        if metadata.contains_key(Metadata::TIMEOUT) {
            return Err(PyValueError::new_err(format!(
                "the metadata key {:?} is reserved: pass timeout= instead",
                Metadata::TIMEOUT
            )));
        }
        options = options.metadata(metadata);
    }
    if let Some(timeout) = timeout {
        options = options.timeout(seconds("timeout", timeout)?);
    }
    Ok(options)
}
