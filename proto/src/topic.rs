//! Topics on the wire: the built-in rpcs `swill.subscribe`, `swill.publish`,
//! `swill.presence` and `swill.topics`, and what they carry.
//!
//! They are plain Swill v1 rpcs, so a client that knows nothing of topics
//! can still use them:
//!
//! - `swill.subscribe` is server-streaming. Its request is
//!   `{"topic": str, "since": {"epoch": str, "offset": int} | nil}`. The
//!   first item is a *position* `{"epoch": str, "offset": int, "recovered":
//!   bool}`: the publications that follow have offsets after it. Each
//!   publication is `{"offset": int, "data": any}`. A position can come
//!   again mid-stream (with `recovered: false`) when the server lost track of
//!   the topic and could not fill the gap, e.g. after the engine lost its
//!   data (a new epoch).
//! - `swill.publish` is unary: `{"topic": str, "data": any}` is answered with
//!   the publication's position `{"epoch": str, "offset": int}`.
//!
//! ```
//! use swill_proto::{Payload, Position, TopicEvent};
//!
//! let data = Payload::encode(&"hello").unwrap();
//! let item = TopicEvent::encode_publication(42, &data);
//! match TopicEvent::decode(&item).unwrap() {
//!     TopicEvent::Publication { offset, data } => {
//!         assert_eq!(offset, 42);
//!         assert_eq!(data.decode::<String>().unwrap(), "hello");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! let position: Position = "AbC:7".parse().unwrap();
//! assert_eq!((position.epoch.as_str(), position.offset), ("AbC", 7));
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::introspect::TypeDesc;
use crate::payload::Payload;
use crate::read::Cursor;
use crate::write;

/// The server-streaming rpc that subscribes to a topic.
pub const SUBSCRIBE_RPC: &str = "swill.subscribe";
/// The unary rpc that publishes to a topic.
pub const PUBLISH_RPC: &str = "swill.publish";
/// The unary rpc that lists who is subscribed to a topic.
pub const PRESENCE_RPC: &str = "swill.presence";
/// The server-streaming rpc that describes the declared topics.
pub const TOPICS_RPC: &str = "swill.topics";

/// Where a publication stands in its topic: the topic's *epoch* (a string
/// that changes when the engine loses the topic's data) and its *offset*
/// (1 for the first publication of an epoch, then +1 each).
///
/// Written `epoch:offset` on command lines and in logs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Position {
    /// Changes whenever the topic's history starts over.
    pub epoch: String,
    /// The publication's number within the epoch; 0 before the first.
    pub offset: u64,
}

impl Position {
    /// A position from its parts.
    pub fn new(epoch: impl Into<String>, offset: u64) -> Self {
        Position {
            epoch: epoch.into(),
            offset,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.epoch, self.offset)
    }
}

/// The text form `epoch:offset` could not be read.
#[derive(Debug, thiserror::Error)]
#[error("a position is written EPOCH:OFFSET, e.g. `x8Kd2a:41`; found `{0}`")]
pub struct ParsePositionError(String);

impl FromStr for Position {
    type Err = ParsePositionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParsePositionError(s.to_owned());
        let (epoch, offset) = s.rsplit_once(':').ok_or_else(bad)?;
        let offset = offset.parse().map_err(|_| bad())?;
        if epoch.is_empty() {
            return Err(bad());
        }
        Ok(Position::new(epoch, offset))
    }
}

/// The request of `swill.subscribe`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubscribeRequest {
    /// The topic's name.
    pub topic: String,
    /// The last position the client saw: the server sends what came after
    /// it, from history, or says it cannot.
    #[serde(default)]
    pub since: Option<Position>,
}

/// One item of a `swill.subscribe` stream.
#[derive(Clone, Debug, PartialEq)]
pub enum TopicEvent {
    /// Where the publications that follow start: they have offsets after
    /// `position.offset`, in `position.epoch`.
    ///
    /// `recovered` is false when publications since the client's `since`
    /// (or, mid-stream, since the last one delivered) were lost and cannot
    /// be sent: the application should reload its state.
    Subscribed {
        /// The position the stream continues from.
        position: Position,
        /// Whether nothing was missed.
        recovered: bool,
    },
    /// A publication, in the epoch of the latest [`TopicEvent::Subscribed`].
    Publication {
        /// Its offset.
        offset: u64,
        /// The published value, still encoded.
        data: Payload,
    },
}

impl TopicEvent {
    /// Encodes a publication item, `{"offset": offset, "data": data}`,
    /// splicing `data` in without decoding it.
    pub fn encode_publication(offset: u64, data: &Payload) -> Payload {
        let mut out = Vec::with_capacity(16 + data.len());
        write::map_len(&mut out, 2);
        write::str(&mut out, "offset");
        write::int(&mut out, i128::from(offset));
        write::str(&mut out, "data");
        out.extend_from_slice(data.as_bytes());
        Payload::from_encoded(out)
    }

    /// Encodes a position item.
    pub fn encode_subscribed(position: &Position, recovered: bool) -> Payload {
        let mut out = Vec::with_capacity(48 + position.epoch.len());
        write::map_len(&mut out, 3);
        write::str(&mut out, "epoch");
        write::str(&mut out, &position.epoch);
        write::str(&mut out, "offset");
        write::int(&mut out, i128::from(position.offset));
        write::str(&mut out, "recovered");
        write::bool(&mut out, recovered);
        Payload::from_encoded(out)
    }

    /// Reads an item of a `swill.subscribe` stream: a map with `data` is a
    /// publication, one with `epoch` a position.
    pub fn decode(item: &Payload) -> Result<TopicEvent, DataError> {
        let fields = Fields::read(item)?;
        match (fields.epoch, fields.data) {
            (_, Some(data)) => Ok(TopicEvent::Publication {
                offset: fields.offset.ok_or_else(|| missing("offset"))?,
                data,
            }),
            (Some(epoch), None) => Ok(TopicEvent::Subscribed {
                position: Position::new(epoch, fields.offset.ok_or_else(|| missing("offset"))?),
                recovered: fields.recovered.unwrap_or(false),
            }),
            (None, None) => Err(missing("data")),
        }
    }
}

/// The request of `swill.publish`, its data kept encoded.
#[derive(Clone, Debug, PartialEq)]
pub struct PublishRequest {
    /// The topic's name.
    pub topic: String,
    /// The value to publish.
    pub data: Payload,
}

impl PublishRequest {
    /// Encodes `{"topic": topic, "data": data}`.
    pub fn encode(&self) -> Payload {
        let mut out = Vec::with_capacity(16 + self.topic.len() + self.data.len());
        write::map_len(&mut out, 2);
        write::str(&mut out, "topic");
        write::str(&mut out, &self.topic);
        write::str(&mut out, "data");
        out.extend_from_slice(self.data.as_bytes());
        Payload::from_encoded(out)
    }

    /// Reads a publish request; `data` may be absent (nil).
    pub fn decode(request: &Payload) -> Result<PublishRequest, DataError> {
        let fields = Fields::read(request)?;
        Ok(PublishRequest {
            topic: fields.topic.ok_or_else(|| missing("topic"))?,
            data: fields.data.unwrap_or_default(),
        })
    }
}

/// One subscriber of a topic, as `swill.presence` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PresenceEntry {
    /// The node (server process) the subscriber is connected to.
    pub node: String,
    /// The connection's id on that node.
    pub connection: u64,
}

/// A declared topic, as `swill.topics` describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicDescription {
    /// The name, or a prefix pattern ending in `.*`.
    pub name: String,
    /// How many publications its history keeps (0: none).
    pub history: u64,
    /// How long each is kept, in milliseconds (`None`: until pushed out).
    #[serde(default)]
    pub history_ttl_ms: Option<u64>,
    /// Its message type in Swill's notation (`Any` when undeclared).
    pub message: TypeDesc,
    /// The JSON Schema of one message, when declared.
    #[serde(default)]
    pub schema: Option<serde_json::Value>,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
}

/// The request of `swill.presence`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PresenceRequest {
    /// The topic's name.
    pub topic: String,
}

/// The fields of the maps above, with `data` left encoded.
#[derive(Default)]
struct Fields {
    topic: Option<String>,
    epoch: Option<String>,
    offset: Option<u64>,
    recovered: Option<bool>,
    data: Option<Payload>,
}

impl Fields {
    fn read(payload: &Payload) -> Result<Fields, DataError> {
        let bytes = payload.as_bytes();
        let mut cur = Cursor::new(bytes, crate::codec::Limits::default().max_depth);
        let bad = |message: &str| DataError {
            path: String::new(),
            message: message.to_owned(),
        };
        let len = cur
            .map_len()
            .ok()
            .flatten()
            .ok_or_else(|| bad("expected a map"))?;
        let mut fields = Fields::default();
        for _ in 0..len {
            let key = cur
                .str()
                .ok()
                .flatten()
                .ok_or_else(|| bad("expected string keys"))?;
            let value = cur.value(1).map_err(|e| bad(&e.to_string()))?;
            match key {
                "topic" => fill(&mut fields.topic, key, || decode_field(value, key))?,
                "epoch" => fill(&mut fields.epoch, key, || decode_field(value, key))?,
                "offset" => fill(&mut fields.offset, key, || decode_field(value, key))?,
                "recovered" => fill(&mut fields.recovered, key, || decode_field(value, key))?,
                "data" => fill(&mut fields.data, key, || {
                    Ok(Payload::from_encoded(bytes::Bytes::copy_from_slice(value)))
                })?,
                _ => {}
            }
        }
        Ok(fields)
    }
}

/// Sets a field read once. A key given twice is refused, as serde refuses
/// it in the requests read with it (`swill.subscribe`): which of the two
/// counts would otherwise depend on the reader.
fn fill<T>(
    slot: &mut Option<T>,
    key: &str,
    value: impl FnOnce() -> Result<T, DataError>,
) -> Result<(), DataError> {
    if slot.is_some() {
        return Err(DataError {
            path: String::new(),
            message: format!("duplicate field `{key}`"),
        });
    }
    *slot = Some(value()?);
    Ok(())
}

fn missing(field: &str) -> DataError {
    DataError {
        path: String::new(),
        message: format!("missing field `{field}`"),
    }
}

/// A field's value read by its type. With the cursor rather than serde:
/// a string, an integer and a boolean are all a topic item holds, and
/// serde's decoder for them was the largest part of the topics code in the
/// TypeScript client's wasm.
trait Field: Sized {
    /// What the value must be, for the error.
    const EXPECTED: &'static str;
    fn read(cur: &mut Cursor<'_>) -> Option<Self>;
}

impl Field for String {
    const EXPECTED: &'static str = "a string";
    fn read(cur: &mut Cursor<'_>) -> Option<Self> {
        cur.str().ok().flatten().map(str::to_owned)
    }
}

impl Field for u64 {
    const EXPECTED: &'static str = "an integer from 0 to 2^64 - 1";
    fn read(cur: &mut Cursor<'_>) -> Option<Self> {
        cur.int().ok().flatten().and_then(|n| u64::try_from(n).ok())
    }
}

impl Field for bool {
    const EXPECTED: &'static str = "a boolean";
    fn read(cur: &mut Cursor<'_>) -> Option<Self> {
        cur.bool()
    }
}

/// Reads the field `name` from its value's bytes (one whole value).
fn decode_field<T: Field>(value: &[u8], name: &str) -> Result<T, DataError> {
    let mut cur = Cursor::new(value, 1);
    T::read(&mut cur).ok_or_else(|| DataError {
        path: name.to_owned(),
        message: format!(
            "invalid type: {}, expected {}",
            value
                .first()
                .map_or("nothing", |m| crate::read::describe(*m)),
            T::EXPECTED
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip() {
        let position = Position::new("e1", 9);
        let item = TopicEvent::encode_subscribed(&position, true);
        assert_eq!(
            TopicEvent::decode(&item).unwrap(),
            TopicEvent::Subscribed {
                position,
                recovered: true
            }
        );
        let nil = TopicEvent::encode_publication(3, &Payload::nil());
        assert_eq!(
            TopicEvent::decode(&nil).unwrap(),
            TopicEvent::Publication {
                offset: 3,
                data: Payload::nil()
            }
        );
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        let twice = |key: &str| {
            let mut out = Vec::new();
            write::map_len(&mut out, 3);
            for (k, v) in [("topic", "chat"), (key, "x"), (key, "y")] {
                write::str(&mut out, k);
                write::str(&mut out, v);
            }
            PublishRequest::decode(&Payload::from_encoded(out))
        };
        for key in ["data", "topic"] {
            let error = twice(key).unwrap_err();
            assert_eq!(error.message, format!("duplicate field `{key}`"));
        }
        assert!(
            twice("other").is_ok(),
            "unknown keys are ignored, twice too"
        );
    }

    #[test]
    fn publish_requests_keep_their_data_encoded() {
        let request = PublishRequest {
            topic: "chat".into(),
            data: Payload::encode(&[1, 2]).unwrap(),
        };
        assert_eq!(PublishRequest::decode(&request.encode()).unwrap(), request);
        let bad = Payload::encode(&[1, 2]).unwrap();
        assert!(PublishRequest::decode(&bad).is_err());
    }

    #[test]
    fn a_field_of_the_wrong_type_is_refused_by_name() {
        let item = |entries: Vec<(&str, rmpv::Value)>| {
            let map = entries.into_iter().map(|(k, v)| (k.into(), v)).collect();
            TopicEvent::decode(&Payload::from(rmpv::Value::Map(map)))
        };
        let epoch = || ("epoch", rmpv::Value::from("e1"));
        let max = item(vec![epoch(), ("offset", u64::MAX.into())]).unwrap();
        let position = Position::new("e1", u64::MAX);
        assert_eq!(
            max,
            TopicEvent::Subscribed {
                position,
                recovered: false
            }
        );
        for (key, value) in [
            ("offset", rmpv::Value::from(-1)),
            ("offset", rmpv::Value::from(1.5)),
            ("recovered", rmpv::Value::from(1)),
            ("epoch", rmpv::Value::from(7)),
        ] {
            let mut entries = vec![epoch(), ("offset", 1.into())];
            entries.retain(|(k, _)| *k != key);
            entries.push((key, value));
            let error = item(entries).unwrap_err();
            assert_eq!(error.path, key);
            assert!(error.message.starts_with("invalid type: "), "{error:?}");
            assert!(error.message.contains(", expected "), "{error:?}");
        }
    }

    #[test]
    fn positions_parse_from_text() {
        assert_eq!(
            "a:b:3".parse::<Position>().unwrap(),
            Position::new("a:b", 3)
        );
        assert!("x".parse::<Position>().is_err());
        assert!(":3".parse::<Position>().is_err());
        assert!("e:-1".parse::<Position>().is_err());
    }
}
