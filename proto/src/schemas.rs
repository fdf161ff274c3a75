//! The JSON Schemas of many rpcs in one namespace: what documents and code
//! generators need to describe a whole API at once.

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// The named types of several message schemas, gathered into one namespace.
///
/// Introspection gives each message a root JSON Schema (draft 2020-12) with
/// its own `$defs`. A document of the whole API (AsyncAPI's
/// `components.schemas`) or a code generator (TypeScript interfaces) wants
/// each named type once. [`SchemaSet::add`] moves a root's `$defs` into the
/// set and rewrites its references to `{prefix}{name}`:
///
/// - a definition equal to one already in the set is shared;
/// - a different definition with a taken name is renamed (`User2`, ...);
/// - a root that is itself a named struct or enum (an object, `enum` or
///   `oneOf` schema with a `title`) is added too, and replaced by a reference.
///
/// ```
/// use serde_json::json;
/// use swill_proto::SchemaSet;
///
/// let mut set = SchemaSet::new("#/components/schemas/");
/// let user = json!({"title": "User", "type": "object", "properties": {"id": {"type": "integer"}}});
/// assert_eq!(set.add(&user), json!({"$ref": "#/components/schemas/User"}));
/// assert_eq!(set.add(&user), json!({"$ref": "#/components/schemas/User"})); // shared
/// let other = json!({"title": "User", "type": "object", "properties": {"name": {"type": "string"}}});
/// assert_eq!(set.add(&other), json!({"$ref": "#/components/schemas/User2"})); // renamed
/// assert_eq!(set.names().collect::<Vec<_>>(), ["User", "User2"]);
/// ```
#[derive(Clone, Debug)]
pub struct SchemaSet {
    prefix: String,
    named: IndexMap<String, Value>,
}

impl SchemaSet {
    /// An empty set whose references will read `{prefix}{name}`, e.g.
    /// `#/components/schemas/`.
    pub fn new(prefix: impl Into<String>) -> Self {
        SchemaSet {
            prefix: prefix.into(),
            named: IndexMap::new(),
        }
    }

    /// Adds a root schema; returns it without `$schema` and `$defs`, its
    /// references rewritten, or a reference when the root is a named type.
    pub fn add(&mut self, root: &Value) -> Value {
        let Value::Object(root) = root else {
            return root.clone();
        };
        let mut root = root.clone();
        root.remove("$schema");
        let defs = match root.remove("$defs").or_else(|| root.remove("definitions")) {
            Some(Value::Object(defs)) => defs,
            _ => Map::new(),
        };
        let self_referencing = mentions_root(&Value::Object(root.clone()), &defs);
        let mut all = defs;
        let root_key = root_name(&root, self_referencing).map(|title| {
            let key = fresh_key(&all, &title);
            all.insert(key.clone(), Value::Object(root.clone()));
            (key, title)
        });
        let names = self.place(&all, root_key.as_ref());
        for (key, def) in &all {
            let name = &names[key];
            if !self.named.contains_key(name) {
                let def = rewrite(def, &names, root_key.as_ref().map(|(k, _)| k), &self.prefix);
                self.named.insert(name.clone(), def);
            }
        }
        match &root_key {
            Some((key, _)) => self.reference(&names[key]),
            None => rewrite(&Value::Object(root), &names, None, &self.prefix),
        }
    }

    /// The names of the set's schemas, in the order they were added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.named.keys().map(String::as_str)
    }

    /// The named schemas, in the order they were added.
    pub fn schemas(&self) -> &IndexMap<String, Value> {
        &self.named
    }

    /// The name a reference made by this set points at; `None` for any
    /// other reference.
    pub fn name_of<'a>(&self, reference: &'a str) -> Option<&'a str> {
        reference
            .strip_prefix(&self.prefix)
            .filter(|name| self.named.contains_key(*name))
    }

    fn reference(&self, name: &str) -> Value {
        let mut map = Map::new();
        map.insert(
            "$ref".into(),
            Value::String(format!("{}{name}", self.prefix)),
        );
        Value::Object(map)
    }

    /// The name each definition gets in the set: its own, unless that is
    /// taken by a different schema. Renaming one definition changes the
    /// definitions that refer to it, so this runs until nothing changes.
    fn place(
        &self,
        defs: &Map<String, Value>,
        root: Option<&(String, String)>,
    ) -> IndexMap<String, String> {
        let mut names: IndexMap<String, String> = defs
            .keys()
            .map(|k| {
                let wanted = match root {
                    Some((key, title)) if key == k => title.clone(),
                    _ => k.clone(),
                };
                (k.clone(), wanted)
            })
            .collect();
        loop {
            let mut changed = false;
            for (key, def) in defs {
                let content = rewrite(def, &names, root.map(|(k, _)| k), &self.prefix);
                let name = &names[key];
                let clash = self.named.get(name).is_some_and(|have| *have != content)
                    || names.iter().any(|(k, n)| k != key && n == name);
                if clash {
                    let fresh = self.fresh_name(name, &names);
                    names.insert(key.clone(), fresh);
                    changed = true;
                }
            }
            if !changed {
                return names;
            }
        }
    }

    fn fresh_name(&self, base: &str, taken: &IndexMap<String, String>) -> String {
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|n| !self.named.contains_key(n) && !taken.values().any(|t| t == n))
            .unwrap_or_else(|| base.to_owned())
    }
}

/// The title under which a root schema becomes a named type, if it is one.
fn root_name(root: &Map<String, Value>, self_referencing: bool) -> Option<String> {
    let title = root.get("title").and_then(Value::as_str);
    let named =
        root.contains_key("properties") || root.contains_key("enum") || root.contains_key("oneOf");
    match title {
        Some(title) if named || self_referencing => Some(title.to_owned()),
        None if self_referencing => Some("Message".to_owned()),
        _ => None,
    }
}

/// A key for the root among the definitions, distinct from theirs.
fn fresh_key(defs: &Map<String, Value>, title: &str) -> String {
    let mut key = format!("#{title}");
    while defs.contains_key(&key) {
        key.push('#');
    }
    key
}

/// Whether the root or one of its definitions refers to the root (`#`).
fn mentions_root(root: &Value, defs: &Map<String, Value>) -> bool {
    refers_to_root(root) || defs.values().any(refers_to_root)
}

fn refers_to_root(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| (k == "$ref" && v.as_str() == Some("#")) || refers_to_root(v)),
        Value::Array(items) => items.iter().any(refers_to_root),
        _ => false,
    }
}

/// `schema` with each `$ref` to a local definition (or to the root, `#`)
/// pointing at that definition's name in the set.
fn rewrite(
    schema: &Value,
    names: &IndexMap<String, String>,
    root_key: Option<&String>,
    prefix: &str,
) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v.as_str()) {
                        ("$ref", Some(reference)) => {
                            match target(reference, root_key).and_then(|key| names.get(key)) {
                                Some(name) => Value::String(format!("{prefix}{name}")),
                                None => v.clone(),
                            }
                        }
                        _ => rewrite(v, names, root_key, prefix),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| rewrite(v, names, root_key, prefix))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The definition key a local reference points at.
fn target<'a>(reference: &'a str, root_key: Option<&'a String>) -> Option<&'a str> {
    if reference == "#" {
        return root_key.map(String::as_str);
    }
    reference
        .strip_prefix("#/$defs/")
        .or_else(|| reference.strip_prefix("#/definitions/"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn defs_are_hoisted_and_references_rewritten() {
        let mut set = SchemaSet::new("#/c/");
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Array_of_User",
            "type": "array",
            "items": {"$ref": "#/$defs/User"},
            "$defs": {"User": {"type": "object", "properties": {"id": {"type": "integer"}}}}
        });
        assert_eq!(
            set.add(&root),
            json!({"title": "Array_of_User", "type": "array", "items": {"$ref": "#/c/User"}})
        );
        assert_eq!(set.names().collect::<Vec<_>>(), ["User"]);
        assert_eq!(set.name_of("#/c/User"), Some("User"));
        assert_eq!(set.name_of("#/c/Nope"), None);
    }

    #[test]
    fn a_renamed_definition_renames_those_that_refer_to_it() {
        let mut set = SchemaSet::new("#/c/");
        let first = json!({"type": "array", "items": {"$ref": "#/$defs/Team"}, "$defs": {
            "Team": {"type": "object", "properties": {"lead": {"$ref": "#/$defs/User"}}},
            "User": {"type": "object", "properties": {"id": {"type": "integer"}}}
        }});
        let second = json!({"type": "array", "items": {"$ref": "#/$defs/Team"}, "$defs": {
            "Team": {"type": "object", "properties": {"lead": {"$ref": "#/$defs/User"}}},
            "User": {"type": "object", "properties": {"name": {"type": "string"}}}
        }});
        set.add(&first);
        assert_eq!(
            set.add(&second),
            json!({"type": "array", "items": {"$ref": "#/c/Team2"}})
        );
        assert_eq!(
            set.schemas()["Team2"],
            json!({"type": "object", "properties": {"lead": {"$ref": "#/c/User2"}}})
        );
    }

    #[test]
    fn a_self_referencing_root_becomes_a_named_type() {
        let mut set = SchemaSet::new("#/c/");
        let tree = json!({"title": "Tree", "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}});
        assert_eq!(set.add(&tree), json!({"$ref": "#/c/Tree"}));
        assert_eq!(
            set.schemas()["Tree"]["properties"]["children"]["items"],
            json!({"$ref": "#/c/Tree"})
        );
    }

    #[test]
    fn unnamed_and_boolean_roots_stay_inline() {
        let mut set = SchemaSet::new("#/c/");
        assert_eq!(set.add(&json!(true)), json!(true));
        let int = json!({"title": "int64", "type": "integer"});
        assert_eq!(set.add(&int), int);
        assert_eq!(set.names().count(), 0);
    }
}
