//! Compiled JSON Schemas, and checking a message against one.

use std::collections::HashMap;

use jsonschema::Validator;
use serde_json::{Value, json};
use swill_proto::Payload;

use super::SpecError;

/// What one rpc's messages must fit.
#[derive(Default)]
pub(crate) struct Checks {
    pub(crate) request: Option<Validator>,
    pub(crate) response: Option<Validator>,
}

/// The checks of every rpc, by name.
pub(crate) type ByRpc = HashMap<String, Checks>;

/// One rule a value broke: where (a JSON pointer into the message) and
/// what.
pub(crate) struct Violation {
    pub(crate) pointer: String,
    pub(crate) rule: String,
    pub(crate) message: String,
}

/// Compiles `schema` with `root` as the document its `$ref`s point into.
pub(crate) fn compile(root: &Value, schema: &Value) -> Result<Validator, String> {
    // A schema whose references point into the whole document: the
    // document itself as the root, with the schema's own `$ref` (or, for
    // an inline schema, the schema under a definitions key) on top.
    let mut wrapped = root.clone();
    let target = match schema.get("$ref") {
        Some(target) => target.clone(),
        None => {
            if let Some(object) = wrapped.as_object_mut() {
                object.insert("x-swill-check".to_owned(), schema.clone());
            }
            json!("#/x-swill-check")
        }
    };
    if let Some(object) = wrapped.as_object_mut() {
        object.insert("$ref".to_owned(), target);
    }
    jsonschema::draft7::new(&wrapped).map_err(|e| e.to_string())
}

/// Compiles a schema on its own (a handler's, from schemars).
pub(crate) fn compile_alone(schema: &Value) -> Result<Validator, SpecError> {
    jsonschema::validator_for(schema).map_err(|e| SpecError::one(e.to_string()))
}

/// The rules `payload` breaks, if any.
pub(crate) fn check(validator: &Validator, payload: &Payload) -> Vec<Violation> {
    let value = match payload.to_value() {
        Ok(value) => swill_proto::json::to_json(&value),
        Err(e) => {
            return vec![Violation {
                pointer: String::new(),
                rule: "msgpack".to_owned(),
                message: e.to_string(),
            }];
        }
    };
    check_json(validator, &value)
}

/// The rules a JSON value breaks, if any.
pub(crate) fn check_json(validator: &Validator, value: &Value) -> Vec<Violation> {
    validator
        .iter_errors(value)
        .map(|e| Violation {
            pointer: e.instance_path().to_string(),
            rule: e
                .schema_path()
                .to_string()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
            message: e.to_string(),
        })
        .collect()
}
