//! The pieces of the document: operations, messages, the shared messages
//! and schemas, the envelope.

use serde_json::{Map, Value, json};

use super::reference;
use crate::introspect::RpcDescription;
use crate::topic::TopicDescription;

/// The Swill envelope, for `x-swill-envelope`.
pub(super) fn envelope() -> Value {
    json!({
        "encoding": "one MessagePack array per binary WebSocket frame; with the subprotocol swill.v1.json, the same array as JSON text per text frame",
        "request": ["seq", "data", "rpc", "type", "metadata"],
        "response": ["seq", "data", "type", "leading_metadata", "trailing_metadata"],
        "requestTypes": { "MESSAGE": 0, "END_OF_STREAM": 1, "METADATA": 2, "CANCEL": 3 },
        "responseTypes": { "MESSAGE": 0, "END_OF_STREAM": 1, "METADATA": 2, "ERROR": 3 },
        "payload": "data",
        "reservedMetadataPrefix": "swill-",
    })
}

pub(super) fn operation(rpc: &RpcDescription, key: &str) -> Value {
    let channel_message = |name: &str| reference(&format!("#/channels/swill/messages/{name}"));
    let mut received = vec![channel_message(&format!("{key}.request"))];
    if rpc.request.streams {
        received.push(channel_message("swill.requestEnd"));
    }
    received.push(channel_message("swill.cancel"));
    let mut replies = vec![channel_message(&format!("{key}.response"))];
    if rpc.response.streams {
        replies.push(channel_message("swill.endOfStream"));
    }
    replies.push(channel_message("swill.error"));
    let mut op = json!({
        "action": "receive",
        "channel": reference("#/channels/swill"),
        "title": rpc.name,
    });
    if let Some(description) = rpc.description.as_deref().filter(|d| !d.is_empty()) {
        op["summary"] = first_paragraph(description).into();
        op["description"] = description.into();
    }
    // Rpcs of one module (`users.get`, `users.list`) share a tag: the
    // name up to its last dot.
    if let Some((module, _)) = rpc.name.rsplit_once('.') {
        op["tags"] = json!([{ "name": module }]);
    }
    op["messages"] = received.into();
    op["reply"] = json!({ "channel": reference("#/channels/swill"), "messages": replies });
    op["x-swill-rpc"] = rpc.name.clone().into();
    op["x-swill-shape"] = shape_name(rpc).into();
    op
}

/// The operation of a topic: the server sends its publications.
pub(super) fn topic_operation(topic: &TopicDescription, key: &str) -> Value {
    let mut op = json!({
        "action": "send",
        "channel": reference("#/channels/swill"),
        "title": topic.name,
        "summary": format!(
            "Publications of `{}`, to its subscribers (`swill.subscribe`).",
            topic.name
        ),
        "messages": [reference(&format!("#/channels/swill/messages/{key}"))],
        "x-swill-topic": topic.name,
        "x-swill-history": { "size": topic.history, "ttlMs": topic.history_ttl_ms },
    });
    if let Some(description) = topic.description.as_deref().filter(|d| !d.is_empty()) {
        op["description"] = description.into();
    }
    op
}

/// One publication of a topic, as an item of `swill.subscribe`.
pub(super) fn topic_message(topic: &TopicDescription, data: Value) -> Value {
    json!({
        "name": format!("topic.{}", topic.name),
        "title": format!("{} publication", topic.name),
        "summary": format!("One publication of `{}`: its offset and data.", topic.name),
        "headers": response_headers(0, "MESSAGE"),
        "payload": {
            "type": "object",
            "required": ["offset", "data"],
            "properties": {
                "offset": { "type": "integer", "minimum": 1 },
                "data": data,
            },
        },
        "correlationId": reference("#/components/correlationIds/seq"),
        "x-swill-topic": topic.name,
    })
}

fn shape_name(rpc: &RpcDescription) -> &'static str {
    match (rpc.request.streams, rpc.response.streams) {
        (false, false) => "unary",
        (false, true) => "serverStreaming",
        (true, false) => "clientStreaming",
        (true, true) => "bidirectional",
    }
}

pub(super) fn rpc_message(
    rpc: &RpcDescription,
    side: &str,
    streams: bool,
    payload: Value,
) -> Value {
    let name = &rpc.name;
    let summary = match (side, streams) {
        ("request", false) => format!("The request of `{name}`."),
        ("request", true) => format!("One message of the request stream of `{name}`."),
        (_, false) => format!("The answer of `{name}`."),
        (_, true) => format!("One message of the answer stream of `{name}`."),
    };
    let headers = if side == "request" {
        json!({ "type": "object", "required": ["seq", "rpc"], "properties": {
            "seq": reference("#/components/schemas/swill.Seq"),
            "rpc": { "const": name },
            "type": { "const": 0, "description": "MESSAGE" },
            "metadata": reference("#/components/schemas/swill.Metadata"),
        }})
    } else {
        response_headers(0, "MESSAGE")
    };
    json!({
        "name": format!("{name}.{side}"),
        "title": format!("{name} {side}"),
        "summary": summary,
        "headers": headers,
        "payload": payload,
        "correlationId": reference("#/components/correlationIds/seq"),
        "x-swill-rpc": name,
        "x-swill-streams": streams,
    })
}

fn response_headers(kind: u8, name: &str) -> Value {
    json!({ "type": "object", "required": ["seq"], "properties": {
        "seq": reference("#/components/schemas/swill.Seq"),
        "type": { "const": kind, "description": name },
        "leading_metadata": reference("#/components/schemas/swill.Metadata"),
        "trailing_metadata": reference("#/components/schemas/swill.Metadata"),
    }})
}

/// The messages every rpc shares: the end of a stream, an error, a cancel.
pub(super) fn shared_messages() -> Map<String, Value> {
    let control = |kind: u8, name: &str| {
        json!({ "type": "object", "required": ["seq", "rpc"], "properties": {
            "seq": reference("#/components/schemas/swill.Seq"),
            "rpc": { "type": "string" },
            "type": { "const": kind, "description": name },
        }})
    };
    let message = |title: &str, summary: &str, headers: Value, payload: Value| {
        json!({
            "name": title,
            "title": title,
            "summary": summary,
            "headers": headers,
            "payload": payload,
            "correlationId": reference("#/components/correlationIds/seq"),
        })
    };
    let null = json!({ "type": "null" });
    let mut shared = Map::new();
    shared.insert(
        "swill.requestEnd".into(),
        message(
            "swill.requestEnd",
            "The client's END_OF_STREAM: its request stream is over.",
            control(1, "END_OF_STREAM"),
            null.clone(),
        ),
    );
    shared.insert(
        "swill.cancel".into(),
        message(
            "swill.cancel",
            "CANCEL: the client abandons the request; the server stops it and sends nothing back.",
            control(3, "CANCEL"),
            null.clone(),
        ),
    );
    shared.insert(
        "swill.endOfStream".into(),
        message(
            "swill.endOfStream",
            "The server's END_OF_STREAM: the answer stream is over.",
            response_headers(1, "END_OF_STREAM"),
            null,
        ),
    );
    shared.insert(
        "swill.error".into(),
        message(
            "swill.error",
            "ERROR: the request failed; no more frames follow for it.",
            response_headers(3, "ERROR"),
            reference("#/components/schemas/swill.ErrorBody"),
        ),
    );
    shared
}

pub(super) fn shared_schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    schemas.insert(
        "swill.Seq".into(),
        json!({
            "type": "integer",
            "description": "Chosen by the client, echoed on every frame of the answer.",
        }),
    );
    schemas.insert(
        "swill.Metadata".into(),
        json!({
            "type": ["object", "null"],
            "description": "String keys, any values; keys starting with `swill-` are reserved \
                (`swill-timeout`: the deadline in milliseconds).",
        }),
    );
    schemas.insert("swill.ErrorBody".into(), json!({
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": { "type": "integer", "description": "400, 401, 403, 404, 408, 413, 422, 429, 500, 503, or the application's own." },
            "message": { "type": "string" },
            "data": { "description": "Details, e.g. a 422's field paths -> problems." },
        },
    }));
    schemas
}

pub(super) fn correlation_ids() -> Value {
    json!({ "seq": {
        "description": "The envelope's seq: every frame of an answer carries its request's seq.",
        "location": "$message.header#/seq",
    }})
}

/// The description up to its first blank line, on one line.
fn first_paragraph(text: &str) -> String {
    let lines = text.lines().map(str::trim).take_while(|l| !l.is_empty());
    lines.collect::<Vec<_>>().join(" ")
}
