//! JSON Schema draft 2020-12 -> draft-07, AsyncAPI's default schema format.

use serde_json::{Map, Value};

/// A draft 2020-12 schema (without `$defs`) in draft-07 terms: `prefixItems`
/// become an `items` array, and the `items` beside them `additionalItems`.
pub(super) fn draft07(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let tuple = map.contains_key("prefixItems");
    let mut out = Map::new();
    for (key, value) in map {
        let (key, value) = match key.as_str() {
            "$schema" | "$defs" | "definitions" => continue,
            "prefixItems" => ("items", each(value)),
            "items" if tuple => ("additionalItems", draft07(value)),
            "properties" | "patternProperties" | "dependentSchemas" => {
                (key.as_str(), values(value))
            }
            "allOf" | "anyOf" | "oneOf" => (key.as_str(), each(value)),
            "items"
            | "additionalProperties"
            | "not"
            | "if"
            | "then"
            | "else"
            | "contains"
            | "propertyNames"
            | "additionalItems" => (key.as_str(), draft07(value)),
            _ => (key.as_str(), value.clone()),
        };
        out.insert(key.to_owned(), value);
    }
    Value::Object(out)
}

fn each(value: &Value) -> Value {
    match value {
        Value::Array(items) => items.iter().map(draft07).collect(),
        other => other.clone(),
    }
}

fn values(value: &Value) -> Value {
    match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), draft07(v))).collect(),
        other => other.clone(),
    }
}
