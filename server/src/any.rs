//! A message type for "any MessagePack value".

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use swill_proto::Value;

/// Any MessagePack value, as a handler's request or response type.
///
/// Introspection describes it as `Any` (JSON Schema `true`).
///
/// ```
/// use swill::{AnyValue, Error, Request};
/// /// Answers with whatever it was sent.
/// #[swill::rpc]
/// async fn echo(req: Request<AnyValue>) -> Result<AnyValue, Error> {
///     Ok(req.data)
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AnyValue(pub Value);

impl JsonSchema for AnyValue {
    fn schema_name() -> Cow<'static, str> {
        "Any".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!(true)
    }
}

impl From<Value> for AnyValue {
    fn from(v: Value) -> Self {
        AnyValue(v)
    }
}
