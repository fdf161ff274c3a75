//! Describing message types for introspection: a JSON Schema from schemars,
//! and the Python-flavoured Swill type derived from it.

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value};
use swill_proto::TypeDesc;

/// One side of an rpc as introspection shows it. Internal.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct Side {
    pub(crate) streams: bool,
    pub(crate) schema: Value,
}

impl Side {
    pub(crate) fn of<T: JsonSchema>(streams: bool) -> Side {
        let schema = SchemaGenerator::default().into_root_schema_for::<T>();
        Side {
            streams,
            schema: schema.to_value(),
        }
    }

    /// The Swill type of one message.
    pub(crate) fn type_desc(&self) -> TypeDesc {
        type_desc(&self.schema)
    }
}

/// A readable name for `T` in Swill's notation, e.g. `tuple[int, int]`.
pub(crate) fn type_label<T: JsonSchema>() -> String {
    Side::of::<T>(false).type_desc().to_string()
}

/// Converts a root JSON Schema into a Swill type description.
///
/// Total by construction: every shape it does not recognise becomes `Any`,
/// so introspection can never fail on a registered type.
pub(crate) fn type_desc(root: &Value) -> TypeDesc {
    let empty = Map::new();
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let title = root.get("title").and_then(Value::as_str);
    Describer {
        defs,
        visiting: Vec::new(),
    }
    .describe(root, title)
}

struct Describer<'a> {
    defs: &'a Map<String, Value>,
    /// Definitions being described, to stop on recursive types.
    visiting: Vec<&'a str>,
}

impl<'a> Describer<'a> {
    fn describe(&mut self, schema: &'a Value, name: Option<&str>) -> TypeDesc {
        let Some(obj) = schema.as_object() else {
            return TypeDesc::named("Any");
        };
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            return self.reference(reference);
        }
        if let Some(variants) = obj
            .get("anyOf")
            .or_else(|| obj.get("oneOf"))
            .and_then(Value::as_array)
        {
            return self.union(variants, name);
        }
        if obj.contains_key("enum") || obj.contains_key("const") {
            // A Rust enum of unit variants is a Python Enum: named, no arguments.
            if let Some(name) = name {
                return TypeDesc::named(name);
            }
        }
        match obj.get("type") {
            Some(Value::String(t)) => self.of_type(t, obj, name),
            Some(Value::Array(types)) => {
                let args = types
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|t| self.of_type(t, obj, name))
                    .collect();
                TypeDesc::generic("Union", args)
            }
            _ if obj.contains_key("properties") => self.of_type("object", obj, name),
            _ => TypeDesc::named("Any"),
        }
    }

    fn reference(&mut self, reference: &str) -> TypeDesc {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        match self.defs.get_key_value(name) {
            Some((key, def)) if !self.visiting.contains(&key.as_str()) => {
                self.visiting.push(key);
                let desc = self.describe(def, Some(key));
                self.visiting.pop();
                desc
            }
            _ => TypeDesc::named(name),
        }
    }

    fn union(&mut self, variants: &'a [Value], name: Option<&str>) -> TypeDesc {
        let all_constants = variants
            .iter()
            .all(|v| v.get("const").is_some() || v.get("enum").is_some());
        match (all_constants, name) {
            (true, Some(name)) => TypeDesc::named(name),
            _ => {
                let args = variants.iter().map(|v| self.describe(v, None)).collect();
                TypeDesc::generic("Union", args)
            }
        }
    }

    fn of_type(&mut self, t: &str, obj: &'a Map<String, Value>, name: Option<&str>) -> TypeDesc {
        match t {
            "integer" => TypeDesc::named("int"),
            "number" => TypeDesc::named("float"),
            "string" => TypeDesc::named("str"),
            "boolean" => TypeDesc::named("bool"),
            "null" => TypeDesc::named("NoneType"),
            "array" => self.array(obj),
            "object" => self.object(obj, name),
            _ => TypeDesc::named("Any"),
        }
    }

    fn array(&mut self, obj: &'a Map<String, Value>) -> TypeDesc {
        if let Some(items) = obj.get("prefixItems").and_then(Value::as_array) {
            let args = items.iter().map(|i| self.describe(i, None)).collect();
            return TypeDesc::generic("tuple", args);
        }
        let item = match obj.get("items") {
            Some(items) => self.describe(items, None),
            None => TypeDesc::named("Any"),
        };
        TypeDesc::generic("list", vec![item])
    }

    fn object(&mut self, obj: &'a Map<String, Value>, name: Option<&str>) -> TypeDesc {
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            let fields = props
                .iter()
                .map(|(field, schema)| (field.clone(), self.describe(schema, None)))
                .collect();
            return TypeDesc::structure(name.unwrap_or("dict"), fields);
        }
        match obj.get("additionalProperties") {
            Some(values @ Value::Object(_)) => {
                let value = self.describe(values, None);
                TypeDesc::generic("dict", vec![TypeDesc::named("str"), value])
            }
            _ => TypeDesc::named("dict"),
        }
    }
}
