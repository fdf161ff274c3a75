//! JSON <-> MessagePack, for values typed on a command line, for anything
//! that must see a MessagePack value as JSON (JSON Schema validation).
//!
//! JSON to MessagePack: null, booleans, strings, arrays and objects map
//! one to one; integers take the smallest MessagePack form, other numbers
//! are float64. (JSON has no byte strings: a handler expecting `bin` gets
//! an array of integers, which serde_bytes fields accept too.)
//!
//! MessagePack to JSON:
//! - `bin` becomes an array of integers (0-255), the same form JSON input
//!   uses, so an answer can be fed back as a request;
//! - map keys that are not strings are written as JSON text (`1` -> `"1"`;
//!   a key inside keys more than four levels deep as `"…"`);
//! - NaN and infinite floats become `null` (JSON has no such numbers);
//! - an extension value becomes `{"ext": TYPE, "data": [bytes...]}`;
//! - strings that are not valid UTF-8 are decoded lossily.
//!
//! The same rules make the JSON encoding of whole frames (the subprotocol
//! [`SUBPROTOCOL`], `swill.v1.json`): a frame is the JSON text of the same
//! array, `[1,[1,2],"add"]` answered `[1,3,0,null,null]`. See
//! [`frame_to_text`] and [`frame_from_text`], which go between text and
//! MessagePack bytes without a JSON tree (`text.rs`, `parse.rs`);
//! [`to_json`] and [`to_msgpack`] are the same rules over serde_json values.

mod parse;
#[cfg(test)]
mod tests_codec;
mod text;

use rmpv::Value;
use serde_json::{Map, Number, Value as Json};

/// The subprotocol token of the JSON encoding: the same frames as JSON
/// text frames.
pub const SUBPROTOCOL: &str = "swill.v1.json";

/// A frame encoded in MessagePack, as JSON text; `None` if the bytes are
/// not one MessagePack value.
///
/// ```
/// use swill_proto::{Payload, ResponseFrame, Seq, json};
///
/// let frame = ResponseFrame::message(Seq::from(1i64), Payload::encode(&3).unwrap()).encode();
/// assert_eq!(json::frame_to_text(&frame).unwrap(), "[1,3,0,null,null]");
/// ```
pub fn frame_to_text(frame: &[u8]) -> Option<String> {
    let mut bytes = frame;
    let value = rmpv::decode::read_value(&mut bytes).ok()?;
    if !bytes.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(frame.len() * 2);
    text::write(&mut out, &value);
    Some(out)
}

/// A JSON text frame as the MessagePack bytes of the same frame, for the
/// MessagePack decoder and its checks; the parse error when the text is
/// not JSON.
///
/// ```
/// use swill_proto::{RequestFrame, json};
///
/// let bytes = json::frame_from_text(r#"[1,[1,2],"add"]"#).unwrap();
/// let frame = RequestFrame::decode(bytes.into()).unwrap();
/// assert_eq!(frame.rpc, "add");
/// ```
pub fn frame_from_text(text: &str) -> Result<Vec<u8>, String> {
    parse::to_msgpack(text)
}

/// The seq at the start of a frame's text (`[12, ...`), for answering a
/// frame that is not JSON by seq when that much of it is readable.
pub fn leading_seq(text: &str) -> Option<i64> {
    let rest = text.trim_start().strip_prefix('[')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(rest.len());
    let after = rest[end..].trim_start();
    if !(after.starts_with(',') || after.starts_with(']')) {
        return None;
    }
    rest[..end].parse().ok()
}

/// A JSON value as MessagePack.
pub fn to_msgpack(json: &Json) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Value::from(u),
            (None, Some(i), _) => Value::from(i),
            (None, None, Some(f)) => Value::from(f),
            (None, None, None) => Value::Nil,
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::Array(items.iter().map(to_msgpack).collect()),
        Json::Object(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), to_msgpack(v)))
                .collect(),
        ),
    }
}

/// A MessagePack value as JSON, by the rules above.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Nil => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Json::from(u),
            (None, Some(i)) => Json::from(i),
            (None, None) => Json::Null,
        },
        Value::F32(f) => float(f64::from(*f)),
        Value::F64(f) => float(*f),
        Value::String(s) => Json::String(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        Value::Binary(bytes) => bytes_json(bytes),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (text::key_text(k), to_json(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Ext(kind, bytes) => {
            let mut ext = Map::new();
            ext.insert("ext".to_owned(), Json::from(*kind));
            ext.insert("data".to_owned(), bytes_json(bytes));
            Json::Object(ext)
        }
    }
}

fn float(f: f64) -> Json {
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

fn bytes_json(bytes: &[u8]) -> Json {
    Json::Array(bytes.iter().map(|b| Json::from(*b)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_msgpack() {
        let json = json!({"id": 7, "neg": -3, "ratio": 0.5, "tags": ["a", null, true]});
        assert_eq!(to_json(&to_msgpack(&json)), json);
    }

    #[test]
    fn a_seq_is_read_from_the_start_of_broken_json() {
        assert_eq!(leading_seq("[12, {oops"), Some(12));
        assert_eq!(leading_seq("  [ -3 ,"), Some(-3));
        assert_eq!(leading_seq("[12x"), None);
        assert_eq!(leading_seq("{\"seq\": 1}"), None);
        assert_eq!(leading_seq("not json"), None);
    }

    #[test]
    fn frames_round_trip_through_text() {
        let text = r#"[7,{"k":[1,2]},"echo",0,{"swill-timeout":1500}]"#;
        let bytes = frame_from_text(text).unwrap();
        assert_eq!(frame_to_text(&bytes).unwrap(), text);
        assert!(frame_from_text("[1, nope").is_err());
        assert!(frame_from_text("[1] trailing").is_err());
        // Streaming gives the bytes the tree rules give.
        let json =
            r#"[18446744073709551615,-9223372036854775808,0.5,-3,{"a":[null,true,"s"]},1e400]"#;
        let mut expected = Vec::new();
        let tree = serde_json::from_str::<Json>(&json.replace("1e400", "0")).unwrap();
        rmpv::encode::write_value(&mut expected, &to_msgpack(&tree)).unwrap();
        assert!(frame_from_text(json).is_err(), "1e400 is out of range");
        assert_eq!(
            frame_from_text(&json.replace("1e400", "0")).unwrap(),
            expected
        );
        // A truncated value is not a frame.
        assert_eq!(frame_to_text(&[0x92, 0x01]), None);
    }

    #[test]
    fn msgpack_only_values_have_a_json_form() {
        let value = Value::Map(vec![
            (Value::from(1), Value::Binary(vec![0, 255])),
            (Value::from("nan"), Value::F64(f64::NAN)),
            (Value::from("x"), Value::Ext(5, vec![1])),
        ]);
        let expected = json!({"1": [0, 255], "nan": null, "x": {"ext": 5, "data": [1]}});
        assert_eq!(to_json(&value), expected);
    }
}
