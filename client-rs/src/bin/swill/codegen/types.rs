//! JSON Schema -> TypeScript types, for `swill codegen ts`.
//!
//! | JSON Schema | TypeScript |
//! |---|---|
//! | `integer`, `number` | `number` |
//! | `string`, `boolean`, `null` | `string`, `boolean`, `null` |
//! | `type: [a, b]`, `anyOf`, `oneOf`, `enum` | a union |
//! | `const` | a literal type |
//! | `allOf` | an intersection |
//! | `prefixItems` | a tuple, `[number, number]` |
//! | `items` | an array, `string[]` |
//! | `properties`, `required` | `{ id: number; name?: string }` |
//! | `additionalProperties` | `{ [key: string]: T }` |
//! | `$ref` to a named schema | its name (an `interface` or a `type`) |
//! | `true`, `{}`, anything else | `Value` (any MessagePack value) |
//!
//! Total by construction: what it does not recognise is `Value`.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

/// How to name the targets of references, and what was used.
pub(crate) struct Namer<'a> {
    /// The TypeScript name of each schema name.
    pub(crate) names: &'a HashMap<String, String>,
    /// The prefix references start with.
    pub(crate) prefix: &'a str,
    /// Set when `Value` appears in a type.
    pub(crate) uses_value: bool,
}

impl Namer<'_> {
    /// The TypeScript type of `schema`.
    pub(crate) fn ts(&mut self, schema: &Json) -> String {
        match schema {
            Json::Bool(false) => "never".to_owned(),
            Json::Object(obj) => self.object_schema(obj),
            _ => self.value(),
        }
    }

    fn value(&mut self) -> String {
        self.uses_value = true;
        "Value".to_owned()
    }

    fn object_schema(&mut self, obj: &Map<String, Json>) -> String {
        if let Some(reference) = obj.get("$ref").and_then(Json::as_str) {
            let name = reference.strip_prefix(self.prefix);
            return match name.and_then(|n| self.names.get(n)) {
                Some(ts) => ts.clone(),
                None => self.value(),
            };
        }
        if let Some(constant) = obj.get("const") {
            return literal(constant);
        }
        if let Some(Json::Array(values)) = obj.get("enum") {
            return union(values.iter().map(literal).collect());
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Json::Array(variants)) = obj.get(key) {
                return union(variants.iter().map(|v| self.ts(v)).collect());
            }
        }
        if let Some(Json::Array(parts)) = obj.get("allOf") {
            let parts: Vec<String> = parts.iter().map(|p| wrap(&self.ts(p))).collect();
            return parts.join(" & ");
        }
        match obj.get("type") {
            Some(Json::String(t)) => self.of_type(t, obj),
            Some(Json::Array(types)) => union(
                types
                    .iter()
                    .filter_map(Json::as_str)
                    .map(|t| self.of_type(t, obj))
                    .collect(),
            ),
            _ if obj.contains_key("properties") => self.of_type("object", obj),
            _ => self.value(),
        }
    }

    fn of_type(&mut self, t: &str, obj: &Map<String, Json>) -> String {
        match t {
            "integer" | "number" => "number".to_owned(),
            "string" => "string".to_owned(),
            "boolean" => "boolean".to_owned(),
            "null" => "null".to_owned(),
            "array" => self.array(obj),
            "object" => self.inline_object(obj),
            _ => self.value(),
        }
    }

    fn array(&mut self, obj: &Map<String, Json>) -> String {
        if let Some(Json::Array(items)) = obj.get("prefixItems") {
            let mut parts: Vec<String> = items.iter().map(|i| self.ts(i)).collect();
            match obj.get("items") {
                Some(Json::Bool(false)) => {}
                Some(rest) => parts.push(format!("...{}[]", wrap(&self.ts(rest)))),
                None if obj.get("maxItems").and_then(Json::as_u64) == Some(items.len() as u64) => {}
                None => parts.push(format!("...{}[]", self.value())),
            }
            return format!("[{}]", parts.join(", "));
        }
        let item = match obj.get("items") {
            Some(items) => self.ts(items),
            None => self.value(),
        };
        format!("{}[]", wrap(&item))
    }

    fn inline_object(&mut self, obj: &Map<String, Json>) -> String {
        let members = self.members(obj);
        if members.is_empty() {
            return "{}".to_owned();
        }
        let fields: Vec<String> = members.into_iter().map(|m| m.text).collect();
        format!("{{ {} }}", fields.join("; "))
    }

    /// The members of an object type, each with its documentation.
    pub(crate) fn members(&mut self, obj: &Map<String, Json>) -> Vec<Member> {
        let required: Vec<&str> = match obj.get("required") {
            Some(Json::Array(names)) => names.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        let mut members = Vec::new();
        if let Some(Json::Object(props)) = obj.get("properties") {
            for (name, schema) in props {
                let optional = if required.contains(&name.as_str()) {
                    ""
                } else {
                    "?"
                };
                members.push(Member {
                    text: format!("{}{optional}: {}", property_name(name), self.ts(schema)),
                    doc: schema
                        .get("description")
                        .and_then(Json::as_str)
                        .map(str::to_owned),
                });
            }
        }
        let rest = match obj.get("additionalProperties") {
            Some(Json::Bool(false)) => None,
            Some(Json::Bool(true)) => Some(self.value()),
            None if members.is_empty() => Some(self.value()),
            None => None,
            Some(schema) if members.is_empty() => Some(self.ts(schema)),
            // The index signature must admit every declared property.
            Some(_) => Some(self.value()),
        };
        if let Some(rest) = rest {
            members.push(Member {
                text: format!("[key: string]: {rest}"),
                doc: None,
            });
        }
        members
    }
}

/// One member of an object type.
pub(crate) struct Member {
    /// `name?: Type`
    pub(crate) text: String,
    /// Its documentation.
    pub(crate) doc: Option<String>,
}

/// A JSON value as a TypeScript literal type.
fn literal(value: &Json) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "never".to_owned())
}

/// The union of `parts`, each once; `never` when there are none.
fn union(parts: Vec<String>) -> String {
    let mut unique: Vec<String> = Vec::new();
    for part in parts {
        if !unique.contains(&part) {
            unique.push(part);
        }
    }
    if unique.is_empty() {
        return "never".to_owned();
    }
    unique.join(" | ")
}

/// Parenthesised when it would otherwise bind wrongly before `[]` or `&`.
fn wrap(ts: &str) -> String {
    if needs_parens(ts) {
        format!("({ts})")
    } else {
        ts.to_owned()
    }
}

/// Whether a union or intersection appears at the top level of `ts`.
fn needs_parens(ts: &str) -> bool {
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    for c in ts.chars() {
        match (in_string, c) {
            (true, '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (true, '"') if !escaped => in_string = false,
            (false, '"') => in_string = true,
            (false, '(' | '[' | '{' | '<') => depth += 1,
            (false, ')' | ']' | '}' | '>') => depth -= 1,
            (false, '|' | '&') if depth == 0 => return true,
            _ => {}
        }
        escaped = false;
    }
    false
}

/// A property name, quoted unless it is a plain identifier.
pub(crate) fn property_name(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        literal(&Json::String(name.to_owned()))
    }
}

/// Whether `name` can be written bare as a TypeScript property name.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ts(schema: Json) -> String {
        let names = HashMap::from([("User".to_owned(), "User".to_owned())]);
        let mut namer = Namer {
            names: &names,
            prefix: "#/$defs/",
            uses_value: false,
        };
        namer.ts(&schema)
    }

    #[test]
    fn scalars_tuples_and_arrays() {
        assert_eq!(ts(json!({"type": "integer", "format": "int64"})), "number");
        let pair = json!({"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}],
            "minItems": 2, "maxItems": 2});
        assert_eq!(ts(pair), "[number, string]");
        let list = json!({"type": "array", "items": {"type": ["string", "null"]}});
        assert_eq!(ts(list), "(string | null)[]");
        assert_eq!(ts(json!(true)), "Value");
        assert_eq!(ts(json!({"title": "Any"})), "Value");
    }

    #[test]
    fn objects_unions_enums_and_references() {
        let obj = json!({"type": "object", "properties": {"id": {"type": "integer"},
            "nick name": {"type": "string"}}, "required": ["id"]});
        assert_eq!(ts(obj), "{ id: number; \"nick name\"?: string }");
        let map = json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/User"}});
        assert_eq!(ts(map), "{ [key: string]: User }");
        let option = json!({"anyOf": [{"$ref": "#/$defs/User"}, {"type": "null"}]});
        assert_eq!(ts(option), "User | null");
        assert_eq!(ts(json!({"enum": ["red", "green"]})), "\"red\" | \"green\"");
        assert_eq!(ts(json!({"$ref": "#/$defs/Unknown"})), "Value");
    }
}
