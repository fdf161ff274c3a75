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
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString, PyTuple};
use pythonize::{Depythonizer, PythonizeError, pythonize};
use serde::Serialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
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

/// A MessagePack value on its way to Python: nil `None`, bool `bool`,
/// integers `int`, floats `float`, str `str`, bin `bytes`, arrays `list`,
/// maps `dict`, ext `(type, bytes)`. A map key must be hashable: one that
/// is an array becomes a `tuple`, one that is a map a `tuple` of its
/// `(key, value)` pairs. So the conversion never fails on what a server
/// sends (an error's data included, which pyo3 must convert without
/// failing).
pub(crate) struct PyValue(pub(crate) Value);

impl<'py> IntoPyObject<'py> for PyValue {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        value_to_py(py, &self.0, false)
    }
}

/// Metadata on its way to Python: a `dict` keyed by `str`.
pub(crate) struct PyMetadata(pub(crate) Metadata);

impl<'py> IntoPyObject<'py> for PyMetadata {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let dict = PyDict::new(py);
        for (key, value) in self.0.iter() {
            dict.set_item(key, value_to_py(py, value, false)?)?;
        }
        Ok(dict.into_any())
    }
}

/// One value (`as_key`: as a dict key). The wire decoder bounds how deep
/// answers nest, so the recursion is bounded too.
fn value_to_py<'py>(py: Python<'py>, value: &Value, as_key: bool) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Nil => py.None().into_bound(py),
        Value::Boolean(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Integer(n) => match (n.as_i64(), n.as_u64()) {
            (Some(n), _) => n.into_pyobject(py)?.into_any(),
            (None, Some(n)) => n.into_pyobject(py)?.into_any(),
            (None, None) => py.None().into_bound(py),
        },
        Value::F32(f) => PyFloat::new(py, f64::from(*f)).into_any(),
        Value::F64(f) => PyFloat::new(py, *f).into_any(),
        Value::String(s) => match s.as_str() {
            Some(text) => PyString::new(py, text).into_any(),
            None => PyBytes::new(py, s.as_bytes()).into_any(),
        },
        Value::Binary(bytes) => PyBytes::new(py, bytes).into_any(),
        Value::Ext(kind, data) => PyTuple::new(
            py,
            [
                kind.into_pyobject(py)?.into_any(),
                PyBytes::new(py, data).into_any(),
            ],
        )?
        .into_any(),
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| value_to_py(py, item, as_key))
                .collect::<PyResult<Vec<_>>>()?;
            match as_key {
                true => PyTuple::new(py, items)?.into_any(),
                false => PyList::new(py, items)?.into_any(),
            }
        }
        Value::Map(entries) if as_key => {
            let pairs = entries
                .iter()
                .map(|(key, value)| {
                    let pair = [value_to_py(py, key, true)?, value_to_py(py, value, true)?];
                    Ok(PyTuple::new(py, pair)?.into_any())
                })
                .collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, pairs)?.into_any()
        }
        Value::Map(entries) => {
            let dict = PyDict::new(py);
            for (key, value) in entries {
                dict.set_item(value_to_py(py, key, true)?, value_to_py(py, value, false)?)?;
            }
            dict.into_any()
        }
    })
}

/// An answer with its leading and trailing metadata, as a 3-tuple.
pub(crate) type Answer = (PyValue, PyMetadata, PyMetadata);

/// The parts of a Rust answer, ready for Python.
pub(crate) fn answer(response: Response<Value>) -> Answer {
    let (data, leading, trailing) = response.into_parts();
    (PyValue(data), PyMetadata(leading), PyMetadata(trailing))
}

/// Converts a Python value to a MessagePack value: `bytes` becomes bin
/// (pythonize 0.30 refuses `bytearray`), `int` a 64-bit integer (signed
/// or unsigned), dataclasses and mappings a map, other sequences and sets
/// an array. At most [`MAX_DEPTH`] containers deep: deeper is a
/// `ValueError`, and so is a value that contains itself.
pub(crate) fn to_value(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_value_within(value, 0)
}

/// [`to_value`] for a value that travels inside `enclosing` containers
/// of its message (`publish`'s data, inside the request map).
pub(crate) fn to_value_within(value: &Bound<'_, PyAny>, enclosing: usize) -> PyResult<Value> {
    Bounded { depth: enclosing }
        .deserialize(&mut Depythonizer::from_object(value))
        .map_err(|e| unsendable(value, e))
}

/// How deep a message's containers may nest: the wire's 64 levels, less
/// the frame's own envelope.
const MAX_DEPTH: usize = 63;

/// What [`Bounded`] says of a value nested deeper than [`MAX_DEPTH`].
const TOO_DEEP: &str = "the value nests more than 63 levels deep (or contains itself)";

/// Builds a [`Value`] from what serde reads of a Python object, one
/// container level at a time. pythonize recurses into whatever it is
/// given: without this bound, a list that contains itself, or one nested
/// a few thousand levels, overflows the stack and kills the interpreter.
#[derive(Clone, Copy)]
struct Bounded {
    /// How many containers enclose the value being read.
    depth: usize,
}

impl Bounded {
    fn inner<E: serde::de::Error>(self) -> Result<Bounded, E> {
        match self.depth < MAX_DEPTH {
            true => Ok(Bounded {
                depth: self.depth + 1,
            }),
            false => Err(E::custom(TOO_DEEP)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Bounded {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value MessagePack can carry")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::F64(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Binary(v.to_vec()))
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Binary(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(key) = map.next_key_seed(inner)? {
            entries.push((key, map.next_value_seed(inner)?));
        }
        Ok(Value::Map(entries))
    }
}

/// Says which value cannot be sent, and why: a `TypeError`, or the
/// Python error that conversion raised (an `OverflowError` for an `int`
/// beyond 64 bits, a `ValueError` for a value nested too deep).
fn unsendable(value: &Bound<'_, PyAny>, error: PythonizeError) -> PyErr {
    let type_name = value
        .get_type()
        .qualname()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    let message = error.to_string();
    if message.contains(TOO_DEEP) {
        return PyValueError::new_err(format!("cannot send a {type_name}: {TOO_DEEP}"));
    }
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
        let keyed_by_str = || PyTypeError::new_err("metadata must be a dict keyed by str");
        // The same exception (TypeError, OverflowError, ValueError), named.
        let named = |e: PyErr| {
            let py = metadata.py();
            let message = format!("metadata: {}", e.value(py));
            PyErr::from_type(e.get_type(py), message)
        };
        let Value::Map(entries) = to_value(metadata).map_err(named)? else {
            return Err(keyed_by_str());
        };
        let metadata = entries
            .into_iter()
            .map(|(key, value)| match key {
                Value::String(key) => key.into_str().map(|key| (key, value)),
                _ => None,
            })
            .collect::<Option<Metadata>>()
            .ok_or_else(keyed_by_str)?;
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
