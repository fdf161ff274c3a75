//! What `client.introspect()` returns: the server's rpcs, typed for
//! TypeScript (tsify), made from the wire crate's [`swill_proto::RpcDescription`].
//!
//! The types here only give the typings; [`to_js`] builds the objects
//! property by property (serde-wasm-bindgen's serializer was 1.5 KB of the
//! gzipped wasm).

use js_sys::{Array, Object};
use rmpv::Value;
use swill_proto::{Arguments, CallShape as Shape, MessageDesc, RpcDescription as Wire, TypeDesc};
use tsify::Tsify;
use wasm_bindgen::JsValue;

use crate::convert;

/// One rpc the server offers.
#[derive(Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(hashmap_as_object)]
pub struct RpcDescription {
    /// The rpc name, e.g. `"users.get"`.
    pub name: String,
    /// Its call shape, from which sides stream.
    pub shape: CallShape,
    /// What the client sends.
    pub request: MessageDescription,
    /// What the server answers.
    pub response: MessageDescription,
    /// The handler's doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub description: Option<String>,
    /// The JSON Schema (draft 2020-12) of one request message.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional, type = "JsonObject")]
    pub request_schema: Option<serde_json::Value>,
    /// The JSON Schema (draft 2020-12) of one response message.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional, type = "JsonObject")]
    pub response_schema: Option<serde_json::Value>,
}

/// The four call shapes, and the client method for each.
#[derive(Tsify)]
#[serde(rename_all = "camelCase")]
pub enum CallShape {
    /// `call`: one request, one answer.
    Unary,
    /// `stream`: one request, a stream of answers.
    ServerStreaming,
    /// `clientStream`: a stream of requests, one answer.
    ClientStreaming,
    /// `bidi`: streams both ways.
    Bidirectional,
}

/// One side of an rpc.
#[derive(Tsify)]
pub struct MessageDescription {
    /// True for a stream of messages, false for exactly one.
    pub streams: bool,
    /// The type of one message.
    #[serde(rename = "type")]
    pub ty: TypeDescription,
}

/// A type in Swill's Python-flavoured notation.
#[derive(Tsify)]
pub struct TypeDescription {
    /// The type's name: `int`, `float`, `str`, `bool`, `bytes`, `NoneType`,
    /// `list`, `tuple`, `dict`, `Union`, `Any`, or a struct's name.
    pub name: String,
    /// The whole type as Python writes it, e.g. `"tuple[int, int]"`.
    pub text: String,
    /// A generic type's parameters, e.g. `[int]` for `list[int]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[tsify(optional)]
    pub arguments: Vec<TypeDescription>,
    /// A struct's fields, in declaration order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[tsify(optional)]
    pub fields: Vec<FieldDescription>,
}

/// One field of a struct.
#[derive(Tsify)]
pub struct FieldDescription {
    /// The field's name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: TypeDescription,
}

/// The `RpcDescription` object for one item of `swill.introspect`, given
/// decoded and as its MessagePack value (the JSON Schemas come from the
/// latter, converted as any value is).
pub(crate) fn to_js(rpc: Wire, item: &Value) -> JsValue {
    let object = Object::new();
    let shape = shape(rpc.shape());
    set(&object, "name", rpc.name.into());
    set(&object, "shape", shape.into());
    set(&object, "request", side(rpc.request));
    set(&object, "response", side(rpc.response));
    if let Some(description) = rpc.description {
        set(&object, "description", description.into());
    }
    let entries = item.as_map().map(Vec::as_slice).unwrap_or_default();
    for (key, js_key) in [
        ("request_schema", "requestSchema"),
        ("response_schema", "responseSchema"),
    ] {
        let schema = entries.iter().find(|(k, _)| k.as_str() == Some(key));
        if let Some((_, schema)) = schema.filter(|(_, v)| !v.is_nil()) {
            set(&object, js_key, convert::from_value(schema));
        }
    }
    object.into()
}

fn shape(shape: Shape) -> &'static str {
    match shape {
        Shape::Unary => "unary",
        Shape::ServerStreaming => "serverStreaming",
        Shape::ClientStreaming => "clientStreaming",
        Shape::Bidirectional => "bidirectional",
    }
}

/// `{ streams, type }`.
fn side(side: MessageDesc) -> JsValue {
    let object = Object::new();
    set(&object, "streams", side.streams.into());
    set(&object, "type", ty(side.ty));
    object.into()
}

/// `{ name, text, arguments?, fields? }`.
fn ty(ty: TypeDesc) -> JsValue {
    let object = Object::new();
    let text = ty.to_string();
    set(&object, "name", ty.name.into());
    set(&object, "text", text.into());
    match ty.arguments {
        Arguments::None => {}
        Arguments::Positional(args) => {
            let args: Array = args.into_iter().map(self::ty).collect();
            set(&object, "arguments", args.into());
        }
        Arguments::Named(fields) => {
            let fields: Array = fields
                .into_iter()
                .map(|(name, t)| {
                    let field = Object::new();
                    set(&field, "name", name.into());
                    set(&field, "type", self::ty(t));
                    JsValue::from(field)
                })
                .collect();
            set(&object, "fields", fields.into());
        }
    }
    object.into()
}

fn set(object: &Object, key: &str, value: JsValue) {
    convert::set(object, key, &value);
}
