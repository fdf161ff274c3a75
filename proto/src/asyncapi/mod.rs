//! The AsyncAPI 3.0 document of a Swill API, built from the descriptions
//! `swill.introspect` gives. The mapping is documented on [`AsyncApi`].

use serde_json::{Map, Value, json};

use crate::introspect::RpcDescription;
use crate::schemas::SchemaSet;
use crate::topic::TopicDescription;

mod draft07;
mod parts;
#[cfg(test)]
mod tests;

use draft07::draft07;
use parts::{
    correlation_ids, envelope, operation, rpc_message, shared_messages, shared_schemas,
    topic_message, topic_operation,
};

/// The AsyncAPI version of the documents made here.
pub const ASYNCAPI_VERSION: &str = "3.0.0";

/// Where named schemas live in the document.
const SCHEMAS: &str = "#/components/schemas/";

/// Builds the AsyncAPI 3.0 document of an API from its rpc descriptions.
///
/// How Swill maps onto AsyncAPI (the document describes the server):
///
/// - **One channel**, `swill`, whose address is the WebSocket path: a
///   WebSocket is one connection and every rpc travels over it (the `ws`
///   binding says so too). Its `ws` binding states the handshake; the
///   subprotocols and the envelope are the extensions `x-swill-subprotocols`
///   and `x-swill-envelope`.
/// - **One operation per rpc**, `action: receive` with a `reply`: the server
///   receives the request messages and replies on the same channel. The call
///   shape is `x-swill-shape` (`unary`, `serverStreaming`, `clientStreaming`,
///   `bidirectional`); on a streaming side a message is one item of the stream.
/// - **Messages**: `{rpc}.request` and `{rpc}.response`, whose `payload` is
///   the envelope's `data` (the handler's JSON Schema) and whose `headers` are
///   the envelope's other elements by name (`seq`, `rpc`, `type`, metadata);
///   `seq` is the `correlationId`. Shared messages: `swill.error` (every
///   reply), `swill.endOfStream` (streaming replies), `swill.requestEnd`
///   (streaming requests) and `swill.cancel` (every request).
/// - **Schemas**: AsyncAPI's default schema format is JSON Schema draft-07,
///   so the handlers' draft 2020-12 schemas are converted: `$defs` become
///   `components.schemas` (see [`SchemaSet`]), `prefixItems` an `items` array.
/// - **Topics** (see [`AsyncApi::topics`]): one operation per declared topic,
///   `action: send` (the server sends its publications to subscribers, who
///   subscribe with the `swill.subscribe` rpc), keyed `topic.{name}` and
///   marked `x-swill-topic`; its message `topic.{name}` is one publication
///   item, `{"offset", "data"}`, with the topic's message type as `data`.
///
/// ```
/// use swill_proto::{AsyncApi, RpcDescription};
///
/// let rpcs: Vec<RpcDescription> = Vec::new(); // from `swill.introspect`
/// let doc = AsyncApi::new(&rpcs)
///     .title("Shop")
///     .version("1.2.0")
///     .host("shop.example.com")
///     .secure(true)
///     .document();
/// assert_eq!(doc["asyncapi"], "3.0.0");
/// assert_eq!(doc["servers"]["swill"]["protocol"], "wss");
/// assert_eq!(doc["channels"]["swill"]["address"], "/ws");
/// ```
#[derive(Clone, Debug)]
pub struct AsyncApi<'a> {
    rpcs: &'a [RpcDescription],
    title: String,
    version: String,
    description: Option<String>,
    path: String,
    host: Option<String>,
    secure: bool,
    subprotocols: Vec<String>,
    topics: &'a [TopicDescription],
}

impl<'a> AsyncApi<'a> {
    /// A document of `rpcs`, titled "swill API", version 0.1.0, served on
    /// `/ws` at no known host, offering the protocol's three subprotocols
    /// (`swill.v1`, `swill/1`, and `swill.v1.json` for JSON text frames).
    pub fn new(rpcs: &'a [RpcDescription]) -> Self {
        AsyncApi {
            rpcs,
            title: "swill API".to_owned(),
            version: "0.1.0".to_owned(),
            description: None,
            path: "/ws".to_owned(),
            host: None,
            secure: false,
            subprotocols: vec![
                "swill.v1".to_owned(),
                "swill/1".to_owned(),
                crate::json::SUBPROTOCOL.to_owned(),
            ],
            topics: &[],
        }
    }

    /// The topics the server declares (from `swill.topics`).
    pub fn topics(mut self, topics: &'a [TopicDescription]) -> Self {
        self.topics = topics;
        self
    }

    /// The API's title (`info.title`).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// The API's version (`info.version`), not the protocol's.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// A description of the API (`info.description`, CommonMark).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The WebSocket path, the channel's address (default `/ws`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The server's `host[:port]`; without one the document has no `servers`.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Whether the server is reached over TLS (`wss`) rather than `ws`.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The subprotocol tokens the server accepts.
    pub fn subprotocols<I, S>(mut self, tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subprotocols = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// The document, as JSON.
    pub fn document(&self) -> Value {
        let mut schemas = SchemaSet::new(SCHEMAS);
        let mut messages = Map::new();
        let mut operations = Map::new();
        let names: Vec<String> = self.rpcs.iter().map(|r| r.name.clone()).collect();
        let keys = unique_keys(&names);
        for (rpc, key) in self.rpcs.iter().zip(&keys) {
            for (side, streams, schema) in [
                ("request", rpc.request.streams, &rpc.request_schema),
                ("response", rpc.response.streams, &rpc.response_schema),
            ] {
                let payload = payload(&mut schemas, schema.as_ref());
                let message = rpc_message(rpc, side, streams, payload);
                messages.insert(format!("{key}.{side}"), message);
            }
            operations.insert(key.clone(), operation(rpc, key));
        }
        let names: Vec<String> = self.topics.iter().map(|t| t.name.clone()).collect();
        for (topic, key) in self.topics.iter().zip(unique_keys(&names)) {
            let key = format!("topic.{key}");
            let data = payload(&mut schemas, topic.schema.as_ref());
            messages.insert(key.clone(), topic_message(topic, data));
            operations.insert(key.clone(), topic_operation(topic, &key));
        }
        messages.extend(shared_messages());
        let mut components = Map::new();
        let mut named: Map<String, Value> = schemas
            .schemas()
            .iter()
            .map(|(name, schema)| (name.clone(), draft07(schema)))
            .collect();
        named.extend(shared_schemas());
        components.insert("schemas".into(), Value::Object(named));
        components.insert("messages".into(), Value::Object(messages.clone()));
        components.insert("correlationIds".into(), correlation_ids());
        let mut doc = Map::new();
        doc.insert("asyncapi".into(), ASYNCAPI_VERSION.into());
        doc.insert("info".into(), self.info());
        doc.insert("defaultContentType".into(), "application/msgpack".into());
        if let Some(servers) = self.servers() {
            doc.insert("servers".into(), servers);
        }
        doc.insert(
            "channels".into(),
            json!({ "swill": self.channel(&messages) }),
        );
        doc.insert("operations".into(), Value::Object(operations));
        doc.insert("components".into(), Value::Object(components));
        Value::Object(doc)
    }

    fn info(&self) -> Value {
        let description = self.description.clone().unwrap_or_else(|| {
            "A Swill v1 API: RPC over WebSocket with MessagePack. Generated from the \
             server's introspection (`swill.introspect`)."
                .to_owned()
        });
        json!({ "title": self.title, "version": self.version, "description": description })
    }

    fn servers(&self) -> Option<Value> {
        let host = self.host.as_ref()?;
        let protocol = if self.secure { "wss" } else { "ws" };
        Some(json!({ "swill": {
            "host": host,
            "protocol": protocol,
            "title": "Swill v1 over WebSocket",
            "description": "Every frame is binary: one MessagePack envelope per WebSocket message.",
        }}))
    }

    fn channel(&self, messages: &Map<String, Value>) -> Value {
        let refs: Map<String, Value> = messages
            .keys()
            .map(|k| (k.clone(), reference(&format!("#/components/messages/{k}"))))
            .collect();
        let offer = format!(
            "Offer `{}` (browsers can); servers accept any of: {}.",
            self.subprotocols.first().map_or("swill.v1", String::as_str),
            self.subprotocols.join(", ")
        );
        json!({
            "address": self.path,
            "title": "Swill v1 endpoint",
            "description": "One WebSocket connection carries every rpc at once. Each frame \
                is one MessagePack array, the envelope (`x-swill-envelope`): a message's \
                `headers` are the envelope's elements other than `data`, its `payload` is \
                `data`. Requests are told apart by (rpc, seq), answers by seq.",
            "messages": refs,
            "bindings": { "ws": {
                "method": "GET",
                "headers": {
                    "type": "object",
                    "properties": { "Sec-WebSocket-Protocol": {
                        "type": "string",
                        "description": offer,
                    }},
                },
                "bindingVersion": "0.1.0",
            }},
            "x-swill-subprotocols": self.subprotocols,
            "x-swill-envelope": envelope(),
        })
    }
}

/// Operation and message keys: the rpc (or topic) name with characters
/// AsyncAPI does not allow in keys replaced by `_`, made unique.
fn unique_keys(names: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let base: String = name
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
                _ => '_',
            })
            .collect();
        let mut key = base.clone();
        let mut n = 1;
        while keys.contains(&key) {
            n += 1;
            key = format!("{base}_{n}");
        }
        keys.push(key);
    }
    keys
}

/// A message payload: the schema converted, `{}` when there is none.
fn payload(schemas: &mut SchemaSet, schema: Option<&Value>) -> Value {
    match schema.map(|s| schemas.add(s)) {
        None | Some(Value::Bool(true)) => json!({}),
        Some(Value::Bool(false)) => json!({ "not": {} }),
        Some(schema) => draft07(&schema),
    }
}

fn reference(target: &str) -> Value {
    json!({ "$ref": target })
}
