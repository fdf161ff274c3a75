//! The Rust client's errors as Python's `swill_client.SwillError`.
//!
//! The exception class is written in Python (`swill_client/_errors.py`):
//! with the stable ABI (abi3), a Rust class cannot subclass `Exception`
//! before Python 3.12. The error is raised lazily, so building it takes no
//! GIL on the tokio threads; the class is imported when Python first sees
//! one.

use pyo3::PyErr;
use swill_client::Error;

use crate::convert::{PyValue, ToPython};

mod python {
    pyo3::import_exception!(swill_client._errors, SwillError);
}

/// A Rust client error as a `SwillError(code, message, data)`: the
/// server's code, message and data for a remote error, the Rust client's
/// code and message for a local one (408 deadline, 499 cancelled, 503
/// connection, 400 encoding).
pub(crate) fn to_py(error: Error) -> PyErr {
    let code = error.code().as_i64();
    let message = error.message().into_owned();
    let data = error.data().cloned().map(PyValue);
    PyErr::new::<python::SwillError, _>((code, message, data))
}

/// A `SwillError` made here, for failures the Rust client cannot report
/// (a closed client).
pub(crate) fn swill_error(code: i64, message: impl Into<String>) -> PyErr {
    PyErr::new::<python::SwillError, _>((code, message.into(), None::<PyValue>))
}

/// A `SwillError` with data made here (a subscription's lost
/// publications: where they start and where it goes on).
pub(crate) fn swill_error_with<T>(code: i64, message: String, data: ToPython<T>) -> PyErr
where
    T: serde::Serialize + Send + Sync + 'static,
{
    PyErr::new::<python::SwillError, _>((code, message, Some(data)))
}
