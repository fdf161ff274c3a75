//! The TypeScript client of swill (npm `swill-client`), built from Rust
//! with wasm-bindgen and tsify.
//!
//! ```ts
//! import { Client, SwillError } from "swill-client";
//!
//! const client = await Client.connect("ws://127.0.0.1:8000/ws");
//! const sum = await client.call<number>("add", [1, 2]);               // 3
//! for await (const n of client.stream<number>("count", 3)) console.log(n);
//! client.close();
//! ```
//!
//! This crate is a thin facade. The protocol (frames, sequence numbers,
//! demultiplexing, cancel, what ends a call) is the Rust client's sans-I/O
//! [`Session`](swill_client::session::Session), and the reconnect backoff
//! its [`ReconnectPolicy`](swill_client::ReconnectPolicy): one state
//! machine for both clients.
//!
//! # A map of the crate
//!
//! - `lib.rs`: the `Client` class, and the TypeScript declarations that
//!   are generic (which wasm-bindgen cannot derive).
//! - `transport.rs`: a `WebSocket` (the host's, or one passed in) driving
//!   the session; `connector.rs`: connecting and reconnecting.
//! - `open.rs`: opening a call (options, deadline, `AbortSignal`);
//!   `call.rs`: a call's events and cancel; `stream.rs`: the stream
//!   objects and their async iterators; `topic.rs`: topics (subscribe,
//!   publish, presence) over the Rust client's sans-I/O topic cursor.
//! - `convert.rs`: JavaScript values to MessagePack and back;
//!   `error.rs`: `SwillError`; `options.rs` and `introspect.rs`: the
//!   tsify types; `timer.rs`, `latch.rs`: small async helpers.
//!
//! The package is built by `client-wasm/build.sh` and documented in
//! `docs/guide-typescript.md`.

use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect};
use options::Fields;
use swill_client::Error;
use swill_proto::{CallShape, INTROSPECT_RPC, Payload, RpcDescription as WireRpc};
use tsify::Ts;
use wasm_bindgen::prelude::*;

mod bridge;
mod call;
mod connector;
mod convert;
mod cork;
mod error;
mod introspect;
mod latch;
mod open;
mod options;
mod stream;
mod timer;
mod topic;
mod transport;

pub use error::SwillError;
pub use introspect::{
    CallShape as RpcShape, FieldDescription, MessageDescription, RpcDescription, TypeDescription,
};
pub use options::{CallOptions, ConnectOptions, ConnectionState, ReconnectOptions};
pub use stream::{BidiStream, ClientStream, ServerStream, StreamIterator};
pub use topic::{Subscription, SubscriptionIterator};

use connector::{Connector, Settings};
use open::{Opening, Settings as CallSettings};
use swill_client::driver::Next;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/**
 * A MessagePack value as the client hands it out: nil is `null`, integers
 * beyond 2^53 are `bigint`, `bin` is a `Uint8Array`, a map is a plain
 * object when all its keys are strings and a `Map` otherwise.
 */
export type Value =
    | null | boolean | number | bigint | string | Uint8Array
    | Value[] | { [key: string]: Value } | Map<Value, Value>;

/** Metadata: string keys, any values. Keys starting with `swill-` are reserved. */
export type Metadata = { [key: string]: Value };

/**
 * A metadata value as sent: a `Value`, or what converts to one as a
 * request's values do (a `Date` by its `toJSON()`, any typed array or
 * `ArrayBuffer` as bin); an `undefined` is left out.
 */
export type MetadataValue =
    | Value | undefined | { toJSON(): unknown } | ArrayBuffer | ArrayBufferView
    | MetadataValue[] | { [key: string]: MetadataValue };

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object, such as a JSON Schema. */
export type JsonObject = { [key: string]: Json };

/** A WebSocket class: the global `WebSocket`, or the `ws` package's on Node 20. */
export type WebSocketClass = new (url: string, protocols?: string | string[]) => unknown;

/** An answer with the metadata that came with it (empty objects when none). */
export interface CallResult<T = Value> {
    data: T;
    leadingMetadata: Metadata;
    trailingMetadata: Metadata;
}

/**
 * Every failure: `code` is the server's for its errors; 408 a deadline,
 * 499 a cancel (`cause` is the `AbortSignal`'s reason), 503 a lost or
 * impossible connection (or a WebAssembly that would not load), 400 a
 * message that would not encode or decode. Compare codes with the named
 * constants: `e.code === SwillError.NOT_FOUND`.
 */
export class SwillError extends Error {
    private constructor();
    readonly name: "SwillError";
    /** The Swill error code. */
    readonly code: number;
    /** Structured details the server attached, such as a 422's field problems. */
    readonly data?: Value;
    /** Why, for a failure here: the `AbortSignal`'s reason (499), or what failed underneath (503). Declared here for targets before ES2022, whose `Error` has none. */
    readonly cause?: unknown;
    /** 400: a malformed frame or message, or bad options (also a message that would not encode or decode here). */
    static readonly BAD_REQUEST: 400;
    /** 401: the caller is not authenticated. */
    static readonly UNAUTHORIZED: 401;
    /** 403: the caller is authenticated but not allowed. */
    static readonly FORBIDDEN: 403;
    /** 404: no such rpc (or topic). */
    static readonly NOT_FOUND: 404;
    /** 408: the call's deadline (`timeoutMs`) expired. */
    static readonly DEADLINE_EXCEEDED: 408;
    /** 409: a topic subscriber fell too far behind (subscriptions resume by themselves). */
    static readonly LAGGED: 409;
    /** 413: a message exceeds the server's size limit. */
    static readonly MESSAGE_TOO_LARGE: 413;
    /** 422: the data decoded but broke a constraint; `data` maps field paths to problems. */
    static readonly VALIDATION_ERROR: 422;
    /** 429: too many calls are open on this connection. */
    static readonly TOO_MANY_REQUESTS: 429;
    /** 499: the call was cancelled here (`signal`, `cancel()`, `break`, `close()`). */
    static readonly CANCELLED: 499;
    /** 500: the handler failed unexpectedly. */
    static readonly INTERNAL_ERROR: 500;
    /** 501: an invalid rpc (defined by Swill v1, never sent by it). */
    static readonly INVALID_RPC: 501;
    /** 503: the connection was lost or could not be made, the server is unavailable, or the WebAssembly did not load. */
    static readonly UNAVAILABLE: 503;
}

export interface Client {
    /** A unary call: one request, one answer. */
    call<T = Value>(rpc: string, request?: unknown, options?: CallOptions): Promise<T>;
    /** A unary call; the answer comes with the leading and trailing metadata. */
    callWithMetadata<T = Value>(rpc: string, request?: unknown, options?: CallOptions): Promise<CallResult<T>>;
    /** A server-streaming call: one request, an async iterable of answers. */
    stream<T = Value>(rpc: string, request?: unknown, options?: CallOptions): ServerStream<T>;
    /** A bidirectional call: send requests, iterate answers, at the same time. */
    bidi<Req = unknown, Resp = Value>(rpc: string, options?: CallOptions): BidiStream<Req, Resp>;
    /** A client-streaming call: send requests, then `finish()` for the answer. */
    clientStream<Req = unknown, Resp = Value>(rpc: string, options?: CallOptions): ClientStream<Req, Resp>;
    /**
     * Subscribes to a topic (`swill.subscribe`): its publications from now
     * on (or after `options.since`), as an async iterable.
     *
     * It returns at once and the subscription starts at once: publications
     * made after this returns are received. The server's refusal (404 no
     * such topic, 403 access refused, 503 its topic engine is down) is
     * thrown by the first `next()` (so by the `for await`), and rejects
     * `ready`, which resolves once the server has confirmed.
     *
     * ```ts
     * for await (const p of client.subscribe<string>("chat")) {
     *   console.log(`${p.epoch}:${p.offset}`, p.data);
     * }
     * ```
     *
     * Malformed options throw a `SwillError` 400 at once.
     */
    subscribe<T = Value>(topic: string, options?: SubscribeOptions): Subscription<T>;
    /** Publishes `data` to a topic (`swill.publish`); resolves to its position. */
    publish(topic: string, data: unknown, options?: CallOptions): Promise<Position>;
    /** Who is subscribed to a topic, on every node of the server (`swill.presence`). */
    presence(topic: string, options?: CallOptions): Promise<PresenceEntry[]>;
}

/**
 * Where a publication stands in its topic: the topic's `epoch` (it changes
 * when the server loses the topic's history, e.g. on a restart without
 * Redis) and its `offset` in that epoch (1 for the first publication).
 */
export interface Position {
    epoch: string;
    offset: number;
}

/** One publication of a topic: its position and the published value. */
export interface Publication<T = Value> extends Position {
    data: T;
}

/** Publications were lost for good: what `onMissed` is told. */
export interface Missed {
    /** The last position delivered (or `since`), if any. */
    last: Position | null;
    /** Where the subscription goes on: publications after it follow. */
    now: Position;
}

/** One subscriber of a topic, as `presence()` lists it. */
export interface PresenceEntry {
    /** The server process (node) it is connected to. */
    node: string;
    /** Its connection's id on that node. */
    connection: number;
}

/** Options of `client.subscribe`. */
export interface SubscribeOptions {
    /**
     * A position saved earlier (`Publication`, `sub.position`): the
     * publications after it come first, from the topic's history; if they
     * cannot (too old, another epoch), `onMissed` is called. `null`: from now on.
     */
    since?: Position | null;
    /**
     * Aborting it unsubscribes (CANCEL is sent); the iteration then throws
     * a `SwillError` 499 whose `cause` is the signal's reason.
     */
    signal?: AbortSignal;
    /**
     * Called when publications were lost and cannot be recovered (the
     * history was too short, or the server lost it: a new epoch), before
     * the next publication is yielded. Reload what you derive from the
     * topic; the subscription goes on after `missed.now`.
     */
    onMissed?: (missed: Missed) => void;
}

/**
 * A topic's publications, from `client.subscribe()`: `for await` them.
 *
 * It follows the topic across lost connections: after a lost connection
 * (the client reconnects per its `reconnect` options), a 503 (the topic
 * cannot be served for a while) or a 409 (this subscriber fell behind), it
 * subscribes again by itself from the last position it delivered, so that
 * every publication arrives once and in order; what cannot be recovered is
 * reported to `onMissed`. A refused resubscription is retried with the
 * reconnect backoff. Any other failure (403, 404, a reconnect that gave up,
 * `client.close()`) is thrown by the iteration, once.
 *
 * `break` out of the `for await`, `unsubscribe()` or the options' `signal`
 * unsubscribe (CANCEL goes to the server). Publications are queued until
 * read: iterate, or unsubscribe.
 */
export class Subscription<T = Value> implements AsyncIterable<Publication<T>> {
    private constructor();
    [Symbol.asyncIterator](): AsyncIterator<Publication<T>, undefined>;
    /** Resolves once the server has confirmed the subscription (the position subscribed at); rejects with its refusal. */
    readonly ready: Promise<Position>;
    /**
     * The last position delivered (or subscribed at): save it, and resume from it later with
     * `since`. Until the server confirms, it is `since`, or `null` without one.
     */
    readonly position: Position | null;
    /** How many times publications were lost for good (each an `onMissed` call). */
    readonly missed: number;
    /** The topic followed. */
    readonly topic: string;
    /** Unsubscribes: CANCEL goes to the server, the iteration ends. */
    unsubscribe(): void;
}

/** The answers of a server-streaming call. `break` in a `for await` cancels the call. */
export class ServerStream<T = Value> implements AsyncIterable<T> {
    private constructor();
    [Symbol.asyncIterator](): AsyncIterator<T, undefined>;
    /** The server's leading metadata, once it has arrived. */
    readonly leadingMetadata: Metadata | undefined;
    /** The server's trailing metadata, once the stream has ended. */
    readonly trailingMetadata: Metadata | undefined;
    /** Cancels the call: CANCEL goes to the server, the stream ends. */
    cancel(): Promise<void>;
}

/** A bidirectional call. `break` in a `for await` cancels it. */
export class BidiStream<Req = unknown, Resp = Value> implements AsyncIterable<Resp> {
    private constructor();
    /** Sends one request message. */
    send(message: Req): Promise<void>;
    /** Ends the request stream (END_OF_STREAM); the answers go on. */
    end(): Promise<void>;
    [Symbol.asyncIterator](): AsyncIterator<Resp, undefined>;
    /** The server's leading metadata, once it has arrived. */
    readonly leadingMetadata: Metadata | undefined;
    /** The server's trailing metadata, once the stream has ended. */
    readonly trailingMetadata: Metadata | undefined;
    /** Cancels the call: CANCEL goes to the server, both streams end. */
    cancel(): Promise<void>;
}

/** A client-streaming call. */
export class ClientStream<Req = unknown, Resp = Value> {
    private constructor();
    /** Sends one request message. */
    send(message: Req): Promise<void>;
    /** Ends the request stream and resolves to the answer. */
    finish(): Promise<Resp>;
    /** The server's leading metadata, once it has arrived. */
    readonly leadingMetadata: Metadata | undefined;
    /** The server's trailing metadata, once the answer has arrived. */
    readonly trailingMetadata: Metadata | undefined;
    /** Cancels the call: CANCEL goes to the server. */
    cancel(): Promise<void>;
}
"#;

/// A connection to a swill server, and the calls made over it.
///
/// Any number of calls can be in flight at once. When the connection is
/// lost, calls in flight fail with 503; the next call connects again per
/// the reconnect options. `close()` closes it for good.
#[wasm_bindgen]
pub struct Client {
    connector: Rc<Connector>,
}

#[wasm_bindgen]
impl Client {
    /// Connects to `url` (e.g. `ws://127.0.0.1:8000/ws`), offering the
    /// subprotocol `swill.v1`. One attempt; it fails with a `SwillError`
    /// 503 when the server cannot be reached.
    pub async fn connect(
        #[wasm_bindgen(unchecked_param_type = "string | URL")] url: JsValue,
        options: Option<Ts<ConnectOptions>>,
    ) -> Result<Client, JsValue> {
        let options = options.map(JsValue::from).unwrap_or_default();
        let settings = url_of(&url)
            .and_then(|url| settings(url, &options))
            .map_err(|e| error::to_js(&e))?;
        let connector = Connector::connect(settings)
            .await
            .map_err(|e| error::to_js(&e))?;
        Ok(Client { connector })
    }

    /// A unary call (typed in the `Client` interface above).
    #[wasm_bindgen(skip_typescript)]
    pub fn call(&self, rpc: JsValue, request: JsValue, options: JsValue) -> Promise {
        match name(&rpc, "rpc") {
            Ok(rpc) => open::unary_promise(&self.connector, rpc, &request, options),
            Err(e) => Promise::reject(&error::to_js(&e)),
        }
    }

    /// A unary call answering `{ data, leadingMetadata, trailingMetadata }`.
    #[wasm_bindgen(skip_typescript, js_name = callWithMetadata)]
    pub fn call_with_metadata(&self, rpc: JsValue, request: JsValue, options: JsValue) -> Promise {
        let answer = self.unary(name(&rpc, "rpc"), &request, options);
        crate::bridge::promise(async move {
            let (data, call) = answer.await?;
            let result = js_sys::Object::new();
            let inbox = call.inbox();
            let metadata =
                |m: Option<swill_proto::Metadata>| convert::from_metadata(&m.unwrap_or_default());
            for (key, value) in [
                ("data", data),
                ("leadingMetadata", metadata(inbox.leading())),
                ("trailingMetadata", metadata(inbox.trailing())),
            ] {
                let _ = Reflect::set(&result, &key.into(), &value);
            }
            Ok(result.into())
        })
    }

    /// A server-streaming call.
    #[wasm_bindgen(skip_typescript)]
    pub fn stream(&self, rpc: JsValue, request: JsValue, options: JsValue) -> ServerStream {
        let data = open::encode(&request).map(Some);
        let shape = CallShape::ServerStreaming;
        ServerStream::new(Opening::start(
            &self.connector,
            name(&rpc, "rpc"),
            shape,
            data,
            CallSettings::from_js(options),
        ))
    }

    /// A bidirectional call.
    #[wasm_bindgen(skip_typescript)]
    pub fn bidi(&self, rpc: JsValue, options: JsValue) -> BidiStream {
        let shape = CallShape::Bidirectional;
        BidiStream::new(Opening::start(
            &self.connector,
            name(&rpc, "rpc"),
            shape,
            Ok(None),
            CallSettings::from_js(options),
        ))
    }

    /// A client-streaming call.
    #[wasm_bindgen(skip_typescript, js_name = clientStream)]
    pub fn client_stream(&self, rpc: JsValue, options: JsValue) -> ClientStream {
        let shape = CallShape::ClientStreaming;
        ClientStream::new(Opening::start(
            &self.connector,
            name(&rpc, "rpc"),
            shape,
            Ok(None),
            CallSettings::from_js(options),
        ))
    }

    /// Subscribes to a topic (typed in the `Client` interface above).
    #[wasm_bindgen(skip_typescript)]
    pub fn subscribe(&self, topic: JsValue, options: JsValue) -> Result<Subscription, JsValue> {
        let topic = name(&topic, "topic").map_err(|e| error::to_js(&e))?;
        let settings = topic::SubscribeSettings::from_js(&options).map_err(|e| error::to_js(&e))?;
        Ok(topic::subscribe(&self.connector, topic, settings))
    }

    /// Publishes to a topic, resolving to the publication's position.
    #[wasm_bindgen(skip_typescript)]
    pub fn publish(&self, topic: JsValue, data: JsValue, options: JsValue) -> Promise {
        let topic = match name(&topic, "topic") {
            Ok(topic) => topic,
            Err(e) => return Promise::reject(&error::to_js(&e)),
        };
        crate::bridge::promise(topic::publish(
            self.connector.clone(),
            topic,
            open::encode(&data),
            CallSettings::from_js(options),
        ))
    }

    /// Who is subscribed to a topic.
    #[wasm_bindgen(skip_typescript)]
    pub fn presence(&self, topic: JsValue, options: JsValue) -> Promise {
        let topic = match name(&topic, "topic") {
            Ok(topic) => topic,
            Err(e) => return Promise::reject(&error::to_js(&e)),
        };
        crate::bridge::promise(topic::presence(
            self.connector.clone(),
            topic,
            CallSettings::from_js(options),
        ))
    }

    /// Describes the server's rpcs (`swill.introspect`), in registration
    /// order.
    #[wasm_bindgen(unchecked_return_type = "Promise<RpcDescription[]>")]
    pub fn introspect(&self) -> Promise {
        let connector = self.connector.clone();
        crate::bridge::promise(async move {
            let shape = CallShape::ServerStreaming;
            let settings =
                CallSettings::from_js(JsValue::UNDEFINED).map_err(|e| error::to_js(&e))?;
            let call = open::open(
                &connector,
                INTROSPECT_RPC,
                shape,
                Some(Payload::nil()),
                settings,
            )
            .await?;
            let _cancel_if_dropped = call::Handle(call.clone());
            let items = Array::new();
            loop {
                let data = match call.next().await {
                    Ok(Next::Item(data) | Next::Answer(data)) => data,
                    Ok(Next::End) => return Ok(items.into()),
                    Err(e) => return Err(error::to_js(&e)),
                };
                let (rpc, item) = describe(&data).map_err(|e| error::to_js(&call.fail(e)))?;
                items.push(&introspect::to_js(rpc, &item));
            }
        })
    }

    /// The id of this client's session on the server, when the app has
    /// sessions and the id is known here: in Node with the `ws` package,
    /// from the moment it connects; in browsers, which keep it in an
    /// HttpOnly cookie, only once the server changed it (after a sign-in
    /// or sign-out). Pass it as `session` to `Client.connect` to resume the
    /// session later; the client presents it by itself when it reconnects.
    #[wasm_bindgen(getter)]
    pub fn session(&self) -> Option<String> {
        self.connector.session()
    }

    /// Closes the connection: calls in flight fail with 503, and so do
    /// calls made later.
    pub fn close(&self) {
        self.connector.close();
    }
}

impl Client {
    /// Opens a unary call and waits for its answer; the call comes back
    /// too, for its metadata.
    fn unary(
        &self,
        rpc: Result<String, Error>,
        request: &JsValue,
        options: JsValue,
    ) -> impl std::future::Future<Output = Result<(JsValue, call::Call), JsValue>> + 'static {
        let connector = self.connector.clone();
        let data = open::encode(request);
        let settings = CallSettings::from_js(options);
        async move {
            let (rpc, data, settings) = (
                rpc.map_err(|e| error::to_js(&e))?,
                data.map_err(|e| error::to_js(&e))?,
                settings.map_err(|e| error::to_js(&e))?,
            );
            open::answer_value(&connector, &rpc, data, settings).await
        }
    }
}

/// A name argument (an rpc's, a topic's): a string, else a 400 that says
/// which argument and what it was. The glue wasm-bindgen writes for a
/// `String` parameter would crash on anything else.
fn name(value: &JsValue, what: &str) -> Result<String, Error> {
    value.as_string().ok_or_else(|| {
        let found = value.js_typeof().as_string().unwrap_or_default();
        Error::Invalid(format!("the {what} name must be a string, not a {found}"))
    })
}

/// The URL to connect to: a string, or a `URL` object (its `href`), as
/// `WebSocket` takes.
fn url_of(url: &JsValue) -> Result<String, Error> {
    let href = || Reflect::get(url, &"href".into()).ok()?.as_string();
    url.as_string()
        .or_else(|| url.is_object().then(href).flatten())
        .ok_or_else(|| {
            let found = url.js_typeof().as_string().unwrap_or_default();
            Error::Invalid(format!(
                "the URL must be a string or a URL object, not a {found}"
            ))
        })
}

/// The connector's settings from the connect options.
fn settings(url: String, options: &JsValue) -> Result<Settings, Error> {
    let fields = Fields::of(options, "connect options")?;
    let class = match fields.value("WebSocket")? {
        Some(class) if class.is_function() => class.unchecked_into(),
        Some(class) => {
            return Err(Error::Invalid(format!(
                "the `WebSocket` option must be a WebSocket class (a constructor), not {}",
                class.js_typeof().as_string().unwrap_or_default()
            )));
        }
        None => Reflect::get(&js_sys::global(), &"WebSocket".into())
            .ok()
            .and_then(|class| class.dyn_into::<Function>().ok())
            .ok_or_else(|| {
                Error::Invalid(
                    "this runtime has no global WebSocket (Node 20): pass one, \
                     e.g. `Client.connect(url, { WebSocket })` with `import { WebSocket } from \"ws\"`"
                        .to_owned(),
                )
            })?,
    };
    // `false` turns reconnecting off; absent (or null) is the default.
    let policy = match fields.value("reconnect")? {
        None => swill_client::ReconnectPolicy::default(),
        Some(off) if off.as_bool() == Some(false) => swill_client::ReconnectPolicy::none(),
        Some(reconnect) if reconnect.is_object() && !Array::is_array(&reconnect) => {
            ReconnectOptions::policy(&Fields::of(&reconnect, "reconnect options")?)?
        }
        Some(other) => {
            let found = other.js_typeof().as_string().unwrap_or_default();
            return Err(fields.invalid(format!(
                "`reconnect` must be reconnect options or false (got {found})"
            )));
        }
    };
    let json = match fields.string("encoding")?.as_deref() {
        None | Some("msgpack") => false,
        Some("json") => true,
        Some(_) => {
            return Err(fields.invalid("`encoding` must be \"msgpack\" or \"json\""));
        }
    };
    let connect_timeout_ms = fields.number("connectTimeoutMs")?;
    if let Some(ms) = connect_timeout_ms.filter(|ms| !(*ms > 0.0 && options::valid_ms(*ms))) {
        return Err(fields.invalid(format!(
            "`connectTimeoutMs` must be a number of milliseconds above 0 and up to {}, not {}",
            options::show(options::MAX_MS),
            options::show(ms)
        )));
    }
    let on_state = fields.instance::<Function>("onStateChange", "a function")?;
    let report: transport::Report = Rc::new(move |state| {
        if let Some(callback) = &on_state
            && let Err(e) = callback.call1(&JsValue::NULL, &ConnectionState::to_js(state))
        {
            // Thrown into the wasm's event handler, it would be lost.
            web_sys::console::error_2(&"swill-client: onStateChange threw".into(), &e);
        }
    });
    // It travels as a subprotocol token: said here, not by the WebSocket.
    let session = fields.string("session")?;
    if let Some(id) = session.as_deref().filter(|id| !swill_proto::is_token(id)) {
        return Err(fields.invalid(format!(
            "`session` must be an id the server gave (`client.session`), not {id:?}"
        )));
    }
    Ok(Settings {
        url,
        class,
        connect_timeout_ms: connect_timeout_ms.unwrap_or(10_000.0),
        policy,
        report,
        session,
        wire: transport::Wire {
            json,
            check_shapes: fields.boolean("checkShapes")?.unwrap_or(true),
        },
    })
}

/// Decodes an introspection item through a dynamic value, by the wire
/// crate's hand-written reader (no serde: smaller); the JSON Schemas stay
/// in the value, from which `introspect::to_js` converts them.
fn describe(data: &Payload) -> Result<(WireRpc, rmpv::Value), Error> {
    let decode = |message: String| {
        Error::Decode(swill_proto::DataError {
            path: String::new(),
            message,
        })
    };
    let value = data.to_value().map_err(|e| decode(e.to_string()))?;
    let rpc = WireRpc::from_value_without_schemas(&value).map_err(decode)?;
    Ok((rpc, value))
}

#[cfg(test)]
mod tests {
    use swill_proto::Code;

    /// The named codes are written out in JavaScript (`npm/common.js`, so
    /// that they can be compared before the wasm has loaded) and in the
    /// typings; both must say what `swill_proto::Code` says.
    #[test]
    fn the_named_codes_in_javascript_and_typings_are_the_protocols() {
        let script = include_str!("../npm/common.js");
        // The typings are the `typescript_custom_section` of this file.
        let typings = include_str!("lib.rs")
            .split("export class SwillError")
            .nth(1)
            .and_then(|rest| rest.split("\n}").next())
            .expect("the typings declare SwillError");
        let named: Vec<(String, i64)> = (0..1000)
            .filter_map(|n| Code::from(n).name().map(|name| (name.to_owned(), n)))
            .collect();
        assert!(!named.is_empty());
        for (name, n) in &named {
            assert!(
                script.contains(&format!("  {name}: {n},\n")),
                "common.js lacks {name}: {n}"
            );
            let typing = format!("static readonly {name}: {n};");
            assert!(typings.contains(&typing), "typings lack {typing}");
        }
        let table = script
            .split("const CODES = {")
            .nth(1)
            .and_then(|rest| rest.split("};").next())
            .expect("common.js has its CODES table");
        assert_eq!(
            table.matches(':').count(),
            named.len(),
            "common.js names a code the protocol does not"
        );
        assert_eq!(
            typings.matches("static readonly").count(),
            named.len(),
            "typings name a code the protocol does not"
        );
    }
}
