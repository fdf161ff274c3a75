//! Reading an AsyncAPI 3.0 document in the mapping swill writes: one
//! channel (the WebSocket), a `receive` operation with a `reply` per rpc,
//! `x-swill-rpc` and `x-swill-shape`; topics' `send` operations are not
//! rpcs and are left alone.

use serde_json::Value;

use super::SpecError;

/// One rpc as the document describes it.
#[derive(Debug)]
pub(crate) struct Operation {
    pub(crate) rpc: String,
    /// `unary`, `serverStreaming`, `clientStreaming` or `bidirectional`.
    pub(crate) shape: Option<String>,
    pub(crate) request: Option<Value>,
    pub(crate) response: Option<Value>,
}

/// Parses JSON, or else YAML.
pub(crate) fn parse(text: &str) -> Result<Value, SpecError> {
    match serde_json::from_str(text) {
        Ok(doc) => Ok(doc),
        Err(json) => serde_norway::from_str(text).map_err(|yaml| {
            SpecError::one(format!(
                "the document is neither JSON ({json}) nor YAML ({yaml})"
            ))
        }),
    }
}

/// The document's rpcs, with the pointers of their payload schemas
/// resolved.
pub(crate) fn operations(doc: &Value) -> Result<Vec<Operation>, SpecError> {
    // YAML reads an unquoted `3.0` as a number.
    let version = doc.get("asyncapi").and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    match version.as_deref() {
        Some(v) if v.starts_with("3.") || v == "3" => {}
        Some(v) => return Err(SpecError::one(format!("AsyncAPI {v}: only 3.x is read"))),
        None => {
            return Err(SpecError::one(
                "not an AsyncAPI document: no `asyncapi` version",
            ));
        }
    }
    let Some(ops) = doc.get("operations").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut problems = Vec::new();
    let mut found: Vec<Operation> = Vec::new();
    // Which operation each rpc came from: two for one rpc would leave one
    // of them unchecked, whichever came last winning.
    let mut keys: Vec<(String, &str)> = Vec::new();
    for (key, op) in ops {
        if op.get("action").and_then(Value::as_str) != Some("receive") {
            continue;
        }
        let rpc = op
            .get("x-swill-rpc")
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_owned();
        if let Some((_, first)) = keys.iter().find(|(seen, _)| *seen == rpc) {
            problems.push(format!(
                "the operations `{first}` and `{key}` are both the rpc `{rpc}`"
            ));
            continue;
        }
        keys.push((rpc.clone(), key));
        let request = first_payload(doc, op.get("messages"), &mut problems, &rpc);
        let reply = op.get("reply").and_then(|r| r.get("messages"));
        let response = first_payload(doc, reply, &mut problems, &rpc);
        found.push(Operation {
            shape: op
                .get("x-swill-shape")
                .and_then(Value::as_str)
                .map(str::to_owned),
            rpc,
            request,
            response,
        });
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(SpecError(problems))
    }
}

/// The payload schema of the first message of a list of message
/// references (the request, or the reply), as a pointer into the document.
fn first_payload(
    doc: &Value,
    messages: Option<&Value>,
    problems: &mut Vec<String>,
    rpc: &str,
) -> Option<Value> {
    let first = messages?.as_array()?.first()?;
    let message = match resolve(doc, first) {
        Some((message, _)) => message,
        None => {
            problems.push(format!(
                "`{rpc}`: a message reference does not resolve: {first}"
            ));
            return None;
        }
    };
    // The message's payload, itself perhaps a reference. Keywords beside
    // a `$ref` (which draft 7 would ignore) are kept, with `allOf`.
    let payload = message.get("payload")?;
    let Some(target) = payload.get("$ref").and_then(Value::as_str) else {
        return Some(payload.clone());
    };
    let mut beside = payload.clone();
    if let Some(object) = beside.as_object_mut() {
        object.remove("$ref");
    }
    let reference = serde_json::json!({ "$ref": target });
    match beside.as_object().is_some_and(|o| !o.is_empty()) {
        true => Some(serde_json::json!({ "allOf": [reference, beside] })),
        false => Some(reference),
    }
}

/// Follows `$ref` pointers (within the document) until a value that is
/// not a reference.
pub(crate) fn resolve<'a>(doc: &'a Value, value: &'a Value) -> Option<(&'a Value, String)> {
    let mut current = value;
    let mut at = String::new();
    for _ in 0..16 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(target) => {
                let pointer = target.strip_prefix('#')?;
                current = doc.pointer(pointer)?;
                at = pointer.to_owned();
            }
            None => return Some((current, at)),
        }
    }
    None
}

/// The channel's handshake schemas: `bindings.ws.query` and `headers`.
pub(crate) fn handshake(doc: &Value) -> (Option<Value>, Option<Value>) {
    let channel = doc
        .get("channels")
        .and_then(Value::as_object)
        .and_then(|channels| channels.values().next());
    let ws = channel
        .and_then(|c| c.get("bindings"))
        .and_then(|b| b.get("ws"));
    let schema = |name: &str| {
        let value = ws?.get(name)?;
        resolve(doc, value).map(|(v, _)| v.clone())
    };
    // Header names are matched without regard to case: the handshake's
    // arrive in lower case, so the schema's are lowered too.
    (schema("query"), schema("headers").map(lowercase_properties))
}

fn lowercase_properties(mut schema: Value) -> Value {
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        let lowered = std::mem::take(props)
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        *props = lowered;
    }
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        for name in required.iter_mut() {
            if let Some(lowered) = name.as_str().map(str::to_ascii_lowercase) {
                *name = Value::String(lowered);
            }
        }
    }
    schema
}
