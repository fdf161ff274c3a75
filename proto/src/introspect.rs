//! The items `swill.introspect` streams: one description per handler.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
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

impl<'de> Deserialize<'de> for TypeDesc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(rename = "type")]
            name: String,
            #[serde(default)]
            arguments: Arguments,
        }
        let raw = Raw::deserialize(d)?;
        Ok(TypeDesc {
            name: raw.name,
            arguments: raw.arguments,
        })
    }
}

/// A key of `arguments`: an integer position, or a field name. JSON peers
/// write positions as strings of digits, so those count as positions too.
enum ArgKey {
    Position(u64),
    Field(String),
}

impl<'de> Deserialize<'de> for ArgKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = ArgKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer position or a field name")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ArgKey, E> {
                Ok(ArgKey::Position(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ArgKey, E> {
                u64::try_from(v)
                    .map(ArgKey::Position)
                    .map_err(|_| E::custom("a negative argument position"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ArgKey, E> {
                Ok(match v.parse() {
                    Ok(n) => ArgKey::Position(n),
                    Err(_) => ArgKey::Field(v.to_owned()),
                })
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Arguments {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ArgsVisitor;
        impl<'de> Visitor<'de> for ArgsVisitor {
            type Value = Arguments;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of type arguments")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Arguments, E> {
                Ok(Arguments::None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Arguments, A::Error> {
                let mut positional = Vec::new();
                let mut named = Vec::new();
                while let Some((key, value)) = map.next_entry::<ArgKey, TypeDesc>()? {
                    match key {
                        ArgKey::Position(i) => positional.push((i, value)),
                        ArgKey::Field(name) => named.push((name, value)),
                    }
                }
                Ok(match (positional.is_empty(), named.is_empty()) {
                    (true, true) => Arguments::None,
                    (false, true) => {
                        positional.sort_by_key(|(i, _)| *i);
                        Arguments::Positional(positional.into_iter().map(|(_, t)| t).collect())
                    }
                    // A struct with a field named like a number keeps every field.
                    _ => Arguments::Named(
                        positional
                            .into_iter()
                            .map(|(i, t)| (i.to_string(), t))
                            .chain(named)
                            .collect(),
                    ),
                })
            }
        }
        d.deserialize_any(ArgsVisitor)
    }
}

/// One side of an rpc: whether it streams, and the type of each message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RpcDescription {
    /// The rpc name, e.g. `users.get`.
    pub name: String,
    /// What the client sends.
    pub request: MessageDesc,
    /// What the server answers.
    pub response: MessageDesc,
    /// The handler's doc comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema (draft 2020-12) of one request message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_schema: Option<serde_json::Value>,
    /// The JSON Schema (draft 2020-12) of one response message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<serde_json::Value>,
}

impl RpcDescription {
    /// The call shape of this rpc.
    pub fn shape(&self) -> CallShape {
        CallShape::from_streams(self.request.streams, self.response.streams)
    }
}
