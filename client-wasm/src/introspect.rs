//! What `client.introspect()` returns: the server's rpcs, typed for
//! TypeScript (tsify), made from the wire crate's [`swill_proto::RpcDescription`].

use serde::Serialize;
use swill_proto::{Arguments, CallShape as Shape, MessageDesc, RpcDescription as Wire, TypeDesc};
use tsify::Tsify;

/// One rpc the server offers.
#[derive(Serialize, Tsify)]
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
#[derive(Serialize, Tsify)]
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
#[derive(Serialize, Tsify)]
pub struct MessageDescription {
    /// True for a stream of messages, false for exactly one.
    pub streams: bool,
    /// The type of one message.
    #[serde(rename = "type")]
    pub ty: TypeDescription,
}

/// A type in Swill's Python-flavoured notation.
#[derive(Serialize, Tsify)]
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
#[derive(Serialize, Tsify)]
pub struct FieldDescription {
    /// The field's name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: TypeDescription,
}

impl From<Wire> for RpcDescription {
    fn from(rpc: Wire) -> Self {
        RpcDescription {
            shape: rpc.shape().into(),
            name: rpc.name,
            request: rpc.request.into(),
            response: rpc.response.into(),
            description: rpc.description,
            request_schema: rpc.request_schema,
            response_schema: rpc.response_schema,
        }
    }
}

impl From<Shape> for CallShape {
    fn from(shape: Shape) -> Self {
        match shape {
            Shape::Unary => CallShape::Unary,
            Shape::ServerStreaming => CallShape::ServerStreaming,
            Shape::ClientStreaming => CallShape::ClientStreaming,
            Shape::Bidirectional => CallShape::Bidirectional,
        }
    }
}

impl From<MessageDesc> for MessageDescription {
    fn from(side: MessageDesc) -> Self {
        MessageDescription {
            streams: side.streams,
            ty: side.ty.into(),
        }
    }
}

impl From<TypeDesc> for TypeDescription {
    fn from(ty: TypeDesc) -> Self {
        let text = ty.to_string();
        let (arguments, fields) = match ty.arguments {
            Arguments::None => (Vec::new(), Vec::new()),
            Arguments::Positional(args) => (args.into_iter().map(Into::into).collect(), Vec::new()),
            Arguments::Named(fields) => {
                let fields = fields.into_iter().map(|(name, ty)| FieldDescription {
                    name,
                    ty: ty.into(),
                });
                (Vec::new(), fields.collect())
            }
        };
        TypeDescription {
            name: ty.name,
            text,
            arguments,
            fields,
        }
    }
}
