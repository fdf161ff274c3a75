//! Metadata: the string-keyed maps that travel beside a request or response.

use indexmap::IndexMap;
use rmpv::Value;
use serde::{Deserialize, Serialize};

use crate::error::DecodeErrorKind;
use crate::read::{Cursor, describe};
use crate::write;

/// A metadata map: string keys to any MessagePack value, in insertion order.
///
/// Requests carry metadata on their opening frame; responses carry *leading*
/// metadata (once, before or with the first message) and *trailing* metadata
/// (on the final frame). Keys starting with `swill-` are reserved for the
/// protocol, such as [`Metadata::TIMEOUT`].
///
/// ```
/// use swill_proto::Metadata;
/// let mut md = Metadata::new();
/// md.insert("tenant", "acme");
/// md.insert("attempt", 2);
/// assert_eq!(md.get_str("tenant"), Some("acme"));
/// assert_eq!(md.get("attempt").and_then(|v| v.as_i64()), Some(2));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Metadata(IndexMap<String, Value>);

impl Metadata {
    /// The reserved key carrying a request's deadline, in milliseconds from
    /// when the server receives the request (a non-negative integer).
    pub const TIMEOUT: &'static str = "swill-timeout";

    /// The client's session id: the trailing metadata of an answer after
    /// the server regenerated or destroyed the session (and, as a header,
    /// on the WebSocket upgrade request and response).
    pub const SESSION: &'static str = "swill-session";

    /// The prefix of a subprotocol token that carries the session id where
    /// no header can be set (browsers): `swill.session.ID`, never selected.
    pub const SESSION_PROTOCOL_PREFIX: &'static str = "swill.session.";

    /// W3C trace context: the caller's trace and span
    /// (`00-<trace id>-<span id>-<flags>`, see [`TraceParent`](crate::TraceParent)).
    /// A server continues that trace in its request span.
    pub const TRACEPARENT: &'static str = "traceparent";

    /// W3C trace context: vendor-specific trace state, passed on as is.
    pub const TRACESTATE: &'static str = "tracestate";

    /// An empty map.
    pub fn new() -> Self {
        Metadata::default()
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.0.insert(key.into(), value.into())
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The value under `key` if it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.shift_remove(key)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Adds every entry of `other`, replacing values of keys already present.
    pub fn extend(&mut self, other: Metadata) {
        self.0.extend(other.0);
    }

    /// The request deadline in milliseconds, when `swill-timeout` holds a
    /// non-negative integer.
    pub fn timeout_ms(&self) -> Option<u64> {
        self.get(Self::TIMEOUT).and_then(Value::as_u64)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        write::map_len(out, self.0.len());
        for (k, v) in &self.0 {
            write::str(out, k);
            crate::payload::write_value(out, v);
        }
    }

    /// Reads `nil` (as `None`) or a map with string keys.
    /// `enclosing` is how many containers hold the map (the envelope: 1).
    pub(crate) fn decode(
        cur: &mut Cursor<'_>,
        enclosing: usize,
    ) -> Result<Option<Metadata>, DecodeErrorKind> {
        if cur.eat_nil() {
            return Ok(None);
        }
        let bad = |what: String| DecodeErrorKind::BadMetadata(what);
        let Some(len) = cur.map_len()? else {
            let found = cur.value(enclosing)?;
            return Err(bad(format!("found {}", describe(found[0]))));
        };
        let mut map = IndexMap::with_capacity(len);
        for _ in 0..len {
            let key = match cur.str()? {
                Some(k) => k.to_owned(),
                None => {
                    let found = cur.value(enclosing)?;
                    return Err(bad(format!("a key is {}", describe(found[0]))));
                }
            };
            let mut raw = cur.value(enclosing + 1)?;
            let value = rmpv::decode::read_value(&mut raw)
                .map_err(|e| bad(crate::payload::value_error(&e).to_owned()))?;
            map.insert(key, value);
        }
        Ok(Some(Metadata(map)))
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Metadata {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Metadata(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<Value>, const N: usize> From<[(K, V); N]> for Metadata {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl IntoIterator for Metadata {
    type Item = (String, Value);
    type IntoIter = indexmap::map::IntoIter<String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
