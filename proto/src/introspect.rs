//! The items `swill.introspect` streams: one description per handler.

use std::fmt;

use rmpv::Value;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The rpc name of the built-in introspection handler.
pub const INTROSPECT_RPC: &str = "swill.introspect";

/// A type in Swill's Python-flavoured notation: `{"type": name, "arguments": {...}}`.
///
/// Names are Python's (`int`, `str`, `float`, `bool`, `bytes`, `NoneType`,
/// `list`, `tuple`, `dict`, `Union`, `Any`) or a struct's name. Generic
/// arguments are keyed by position (0, 1, ...), struct fields by name, and
/// `arguments` is left out when there are none.
///
/// ```
/// use swill_proto::TypeDesc;
/// let list_of_int = TypeDesc::generic("list", vec![TypeDesc::named("int")]);
/// let json = serde_json::to_value(&list_of_int).unwrap();
/// assert_eq!(json, serde_json::json!({"type": "list", "arguments": {"0": {"type": "int"}}}));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDesc {
    /// The type's name.
    pub name: String,
    /// Its generic arguments or fields.
    pub arguments: Arguments,
}

/// The `arguments` of a [`TypeDesc`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Arguments {
    /// No arguments: the key is left out.
    #[default]
    None,
    /// Generic parameters, keyed 0..n-1 on the wire.
    Positional(Vec<TypeDesc>),
    /// Struct fields, keyed by field name, in declaration order.
    Named(Vec<(String, TypeDesc)>),
}

impl TypeDesc {
    /// A type without arguments, e.g. `int`.
    pub fn named(name: impl Into<String>) -> Self {
        TypeDesc {
            name: name.into(),
            arguments: Arguments::None,
        }
    }

    /// A generic type, e.g. `list` of `int`.
    pub fn generic(name: impl Into<String>, args: Vec<TypeDesc>) -> Self {
        TypeDesc {
            name: name.into(),
            arguments: if args.is_empty() {
                Arguments::None
            } else {
                Arguments::Positional(args)
            },
        }
    }

    /// A struct with its fields.
    pub fn structure(name: impl Into<String>, fields: Vec<(String, TypeDesc)>) -> Self {
        TypeDesc {
            name: name.into(),
            arguments: if fields.is_empty() {
                Arguments::None
            } else {
                Arguments::Named(fields)
            },
        }
    }
}

impl fmt::Display for TypeDesc {
    /// Writes the type as Python would: `list[int]`, `Union[str, NoneType]`,
    /// and a struct by its name alone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Arguments::Positional(args) = &self.arguments {
            f.write_str("[")?;
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{a}")?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

impl Serialize for TypeDesc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let has_args = !matches!(self.arguments, Arguments::None);
        let mut map = s.serialize_map(Some(1 + usize::from(has_args)))?;
        map.serialize_entry("type", &self.name)?;
        if has_args {
            map.serialize_entry("arguments", &self.arguments)?;
        }
        map.end()
    }
}

impl Serialize for Arguments {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Arguments::None => s.serialize_map(Some(0))?.end(),
            Arguments::Positional(args) => {
                let mut map = s.serialize_map(Some(args.len()))?;
                for (i, a) in args.iter().enumerate() {
                    map.serialize_entry(&(i as u64), a)?;
                }
                map.end()
            }
            Arguments::Named(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (name, t) in fields {
                    map.serialize_entry(name, t)?;
                }
                map.end()
            }
        }
    }
}

/// One side of an rpc: whether it streams, and the type of each message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageDesc {
    /// True for a stream of messages, false for exactly one.
    pub streams: bool,
    /// The type of one message.
    #[serde(rename = "type")]
    pub ty: TypeDesc,
}

/// The four call shapes, derived from which sides stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallShape {
    /// One request message, one response message.
    Unary,
    /// One request message, a stream of responses.
    ServerStreaming,
    /// A stream of request messages, one response.
    ClientStreaming,
    /// Streams both ways.
    Bidirectional,
}

impl CallShape {
    /// The shape whose request and response sides stream as given.
    pub fn from_streams(request: bool, response: bool) -> Self {
        match (request, response) {
            (false, false) => CallShape::Unary,
            (false, true) => CallShape::ServerStreaming,
            (true, false) => CallShape::ClientStreaming,
            (true, true) => CallShape::Bidirectional,
        }
    }
}

impl fmt::Display for CallShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallShape::Unary => "unary",
            CallShape::ServerStreaming => "server streaming",
            CallShape::ClientStreaming => "client streaming",
            CallShape::Bidirectional => "bidirectional",
        })
    }
}

/// One item of `swill.introspect`: a registered handler.
///
/// `name`, `request` and `response` are the original's; `description`,
/// `request_schema` and `response_schema` are ours, added as item-level keys
/// so that old clients, which ignore unknown item keys, keep working.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RpcDescription {
    /// The rpc name, e.g. `users.get`.
    pub name: String,
    /// What the client sends.
    pub request: MessageDesc,
    /// What the server answers.
    pub response: MessageDesc,
    /// The handler's doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema (draft 2020-12) of one request message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_schema: Option<serde_json::Value>,
    /// The JSON Schema (draft 2020-12) of one response message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<serde_json::Value>,
}

impl RpcDescription {
    /// The call shape of this rpc.
    pub fn shape(&self) -> CallShape {
        CallShape::from_streams(self.request.streams, self.response.streams)
    }
}

/// Reading descriptions: one decoder over a plain MessagePack value, which
/// serde's `Deserialize` goes through too (from any format: a JSON peer
/// reads the same way). Written by hand rather than derived: the
/// TypeScript client's wasm reads introspection with it, and serde's
/// derived visitors were 5 KB of that wasm, gzipped.
impl RpcDescription {
    /// Reads one item of `swill.introspect`. Unknown keys are ignored
    /// (newer servers add some); a key it reads must be given once; `nil`
    /// counts as absent. A fault says where it is: `response: type:
    /// arguments.0: missing `type``.
    ///
    /// ```
    /// use swill_proto::{CallShape, RpcDescription, TypeDesc};
    ///
    /// let item = rmpv::Value::Map(vec![
    ///     ("name".into(), "count".into()),
    ///     ("request".into(), rmpv::Value::Map(vec![
    ///         ("streams".into(), false.into()),
    ///         ("type".into(), rmpv::Value::Map(vec![("type".into(), "int".into())])),
    ///     ])),
    ///     ("response".into(), rmpv::Value::Map(vec![
    ///         ("streams".into(), true.into()),
    ///         ("type".into(), rmpv::Value::Map(vec![("type".into(), "int".into())])),
    ///     ])),
    /// ]);
    /// let rpc = RpcDescription::from_value(&item).unwrap();
    /// assert_eq!(rpc.shape(), CallShape::ServerStreaming);
    /// assert_eq!(rpc.response.ty, TypeDesc::named("int"));
    /// ```
    pub fn from_value(item: &Value) -> Result<Self, String> {
        Self::read::<true>(item)
    }

    /// [`from_value`](Self::from_value), leaving the JSON Schemas out
    /// (`None`), for a reader that takes them from the value as they are:
    /// the TypeScript client hands them to JavaScript that way, and making
    /// `serde_json` values of them would add that code to its wasm.
    pub fn from_value_without_schemas(item: &Value) -> Result<Self, String> {
        Self::read::<false>(item)
    }

    /// A const parameter, so that the reader without schemas has no call
    /// to `to_json` at all.
    fn read<const SCHEMAS: bool>(item: &Value) -> Result<Self, String> {
        let item = Fields::of(item, "an rpc description")?;
        let side = |key| {
            item.required(key)
                .and_then(|v| within(key, MessageDesc::from_value(v)))
        };
        let schema = |key| {
            let value = item.optional(key)?;
            Ok::<_, String>(value.filter(|_| SCHEMAS).map(crate::json::to_json))
        };
        Ok(RpcDescription {
            name: item.string("name")?,
            request: side("request")?,
            response: side("response")?,
            description: match item.optional("description")? {
                Some(text) => Some(text_of(text, "description")?),
                None => None,
            },
            request_schema: schema("request_schema")?,
            response_schema: schema("response_schema")?,
        })
    }
}

impl MessageDesc {
    /// Reads `{"streams": bool, "type": T}`.
    pub fn from_value(side: &Value) -> Result<Self, String> {
        let side = Fields::of(side, "a message description")?;
        let streams = side.required("streams")?;
        Ok(MessageDesc {
            streams: streams.as_bool().ok_or("`streams` must be a boolean")?,
            ty: within("type", TypeDesc::from_value(side.required("type")?))?,
        })
    }
}

impl TypeDesc {
    /// Reads `{"type": name, "arguments": {...}}`. Arguments keyed by
    /// integers (or by strings of digits, as JSON writes them) are generic
    /// parameters, in key order; any other key makes them a struct's
    /// fields, every key kept as a name.
    pub fn from_value(ty: &Value) -> Result<Self, String> {
        let ty = Fields::of(ty, "a type")?;
        let name = ty.string("type")?;
        let Some(arguments) = ty.optional("arguments")? else {
            return Ok(TypeDesc::named(name));
        };
        let arguments = arguments.as_map().ok_or("`arguments` must be a map")?;
        // Each key as a name, and as a position when it is one.
        let mut keys = Vec::with_capacity(arguments.len());
        for (key, value) in arguments {
            let (name, position) = match key {
                Value::Integer(n) => {
                    let n = n.as_u64().ok_or("a negative argument position")?;
                    (n.to_string(), Some(n))
                }
                Value::String(_) => {
                    let name = key.as_str().ok_or("an argument name must be a string")?;
                    (name.to_owned(), name.parse::<u64>().ok())
                }
                _ => return Err("an argument key must be a position or a field name".into()),
            };
            let value = within(&format!("arguments.{name}"), TypeDesc::from_value(value))?;
            keys.push((name, position, value));
        }
        let arguments = if keys.is_empty() {
            Arguments::None
        } else if keys.iter().all(|(_, position, _)| position.is_some()) {
            keys.sort_by_key(|(_, position, _)| *position);
            Arguments::Positional(keys.into_iter().map(|(_, _, t)| t).collect())
        } else {
            // A struct with a field named like a number keeps every field,
            // in the order given.
            Arguments::Named(keys.into_iter().map(|(name, _, t)| (name, t)).collect())
        };
        Ok(TypeDesc { name, arguments })
    }
}

/// A failure inside the field `field`, with the field's name in front,
/// so that the message says where: `response: type: missing `type``.
fn within<T>(field: &str, read: Result<T, String>) -> Result<T, String> {
    read.map_err(|e| format!("{field}: {e}"))
}

/// The string keys of a map value.
struct Fields<'a> {
    entries: &'a [(Value, Value)],
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value, what: &str) -> Result<Self, String> {
        let entries = value
            .as_map()
            .ok_or_else(|| format!("{what} must be a map"))?;
        Ok(Fields { entries })
    }

    /// The value under `key`, `None` when it is missing or nil; a key that
    /// is read must be given once (others, which newer servers may add,
    /// are not looked at).
    fn optional(&self, key: &str) -> Result<Option<&'a Value>, String> {
        let mut found = self.entries.iter().filter(|(k, _)| k.as_str() == Some(key));
        let value = found.next().map(|(_, v)| v);
        if found.next().is_some() {
            return Err(format!("the key `{key}` is given twice"));
        }
        Ok(value.filter(|v| !v.is_nil()))
    }

    fn required(&self, key: &str) -> Result<&'a Value, String> {
        self.optional(key)?
            .ok_or_else(|| format!("missing `{key}`"))
    }

    fn string(&self, key: &str) -> Result<String, String> {
        text_of(self.required(key)?, key)
    }
}

/// A string value, which must be valid UTF-8.
fn text_of(value: &Value, what: &str) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("`{what}` must be a string"))
}

/// Each type decodes through [`Value`] and its `from_value`.
macro_rules! deserialize_through_value {
    ($($ty:ty),*) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = Value::deserialize(d)?;
                Self::from_value(&value).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

deserialize_through_value!(RpcDescription, MessageDesc, TypeDesc);

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc() -> RpcDescription {
        RpcDescription {
            name: "users.get".into(),
            request: MessageDesc {
                streams: false,
                ty: TypeDesc::generic(
                    "tuple",
                    vec![
                        TypeDesc::named("int"),
                        TypeDesc::generic("list", vec![TypeDesc::named("str")]),
                    ],
                ),
            },
            response: MessageDesc {
                streams: true,
                ty: TypeDesc::structure(
                    "User",
                    vec![
                        ("id".into(), TypeDesc::named("int")),
                        ("2".into(), TypeDesc::named("str")),
                    ],
                ),
            },
            description: Some("Gets a user.".into()),
            request_schema: Some(serde_json::json!({"type": "array", "minItems": 2})),
            response_schema: None,
        }
    }

    #[test]
    fn a_description_reads_back_from_msgpack_and_from_json() {
        let rpc = rpc();
        let bytes = rmp_serde::to_vec_named(&rpc).unwrap();
        assert_eq!(
            rmp_serde::from_slice::<RpcDescription>(&bytes).unwrap(),
            rpc
        );
        // JSON writes positions as strings of digits.
        let json = serde_json::to_string(&rpc).unwrap();
        assert!(json.contains(r#""arguments":{"0":"#), "{json}");
        assert_eq!(serde_json::from_str::<RpcDescription>(&json).unwrap(), rpc);
        // The same, schemas left out.
        let value = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
        let without = RpcDescription::from_value_without_schemas(&value).unwrap();
        assert_eq!(
            without,
            RpcDescription {
                request_schema: None,
                ..rpc
            }
        );
    }

    #[test]
    fn positions_are_put_in_order_and_a_named_key_makes_fields() {
        let ty = |args: &str| {
            serde_json::from_str::<TypeDesc>(&format!(r#"{{"type": "t", "arguments": {args}}}"#))
        };
        let int = || TypeDesc::named("int");
        let str_ = || TypeDesc::named("str");
        assert_eq!(
            ty(r#"{"1": {"type": "str"}, "0": {"type": "int"}}"#).unwrap(),
            TypeDesc::generic("t", vec![int(), str_()])
        );
        assert_eq!(
            ty(r#"{"0": {"type": "int"}, "x": {"type": "str"}}"#).unwrap(),
            TypeDesc::structure("t", vec![("0".into(), int()), ("x".into(), str_())])
        );
        assert_eq!(ty("null").unwrap(), TypeDesc::named("t"));
        assert_eq!(ty("{}").unwrap(), TypeDesc::named("t"));
    }

    #[test]
    fn unknown_keys_are_ignored_and_broken_items_say_what_is_wrong() {
        let item = |extra: &str| {
            let json = format!(
                r#"{{"name": "add", {extra} "request": {{"streams": false, "type": {{"type": "int"}}}},
                   "response": {{"streams": false, "type": {{"type": "int"}}}}}}"#
            );
            serde_json::from_str::<RpcDescription>(&json).map_err(|e| e.to_string())
        };
        assert_eq!(
            item(r#""new_key": [1],"#).unwrap().shape(),
            CallShape::Unary
        );
        assert_eq!(item(r#""description": null,"#).unwrap().description, None);
        assert!(
            item(r#""description": 5,"#)
                .unwrap_err()
                .contains("description")
        );
        assert!(item(r#""name": "again","#).unwrap_err().contains("twice"));
        // Keys it does not read may come twice (it does not look at them).
        assert_eq!(item(r#""x": 1, "x": 2,"#).unwrap().name, "add");
        let missing = serde_json::from_str::<RpcDescription>(r#"{"name": "add"}"#).unwrap_err();
        assert!(
            missing.to_string().contains("missing `request`"),
            "{missing}"
        );
        let negative = rmpv::Value::Map(vec![
            ("type".into(), "t".into()),
            (
                "arguments".into(),
                rmpv::Value::Map(vec![(
                    rmpv::Value::from(-1),
                    rmpv::Value::Map(vec![("type".into(), "int".into())]),
                )]),
            ),
        ]);
        assert!(
            TypeDesc::from_value(&negative)
                .unwrap_err()
                .contains("negative")
        );
    }
}
