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
//! - map keys that are not strings are written as JSON text (`1` -> `"1"`);
//! - NaN and infinite floats become `null` (JSON has no such numbers);
//! - an extension value becomes `{"ext": TYPE, "data": [bytes...]}`;
//! - strings that are not valid UTF-8 are decoded lossily.

use rmpv::Value;
use serde_json::{Map, Number, Value as Json};

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
                .map(|(k, v)| (key(k), to_json(v)))
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

fn key(value: &Value) -> String {
    match value {
        Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        other => to_json(other).to_string(),
    }
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
