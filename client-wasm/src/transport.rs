//! The wasm transport: one WebSocket (the browser's, Node 22's, or one
//! passed in such as the `ws` package's) driving the shared [`Session`].
//!
//! The session holds the protocol state; this module only moves bytes.
//! JavaScript is single-threaded, so a frame is sent the moment the
//! session makes it and frames leave in the session's order. Incoming
//! frames are routed to each call's [`Inbox`] from the `message` handler.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use bytes::Bytes;
use js_sys::{Array, ArrayBuffer, Function, Promise, Reflect, Uint8Array};
use swill_client::session::{Received, SESSION_KEY, Session};
use swill_client::{CallOptions, ConnectionState, Error};
use swill_proto::{CallShape, Payload, RequestFrame, Seq};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use crate::call::Inbox;
use crate::connector::SessionSlot;
use crate::cork::Cork;
use crate::latch::Latch;

/// The subprotocol token offered: `swill.v1` (browsers and Node's
/// `WebSocket` refuse the legacy `swill/1`).
pub(crate) const SUBPROTOCOL: &str = "swill.v1";

thread_local! {
    /// An error listener that does nothing, made once: a wasm closure
    /// rather than `new Function("")`, which a page's Content Security
    /// Policy may forbid.
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

/// How a connection speaks, the same for every connection of a client.
#[derive(Clone, Copy)]
pub(crate) struct Wire {
    /// Whether frames travel as JSON text (`swill.v1.json`).
    pub(crate) json: bool,
    /// Whether the connection asks the server for its rpcs' shapes.
    pub(crate) check_shapes: bool,
}

/// Called with each state change of a connection.
pub(crate) type Report = Rc<dyn Fn(ConnectionState)>;

/// One open WebSocket and the calls in flight over it.
pub(crate) struct Connection {
    socket: WebSocket,
    session: RefCell<Session<Rc<Inbox>>>,
    /// Where the client keeps its session id (see `ConnectOptions.session`).
    session_id: SessionSlot,
    report: Report,
    handlers: RefCell<Option<Handlers>>,
    /// Whether frames travel as JSON text (`swill.v1.json`).
    json: bool,
    /// With Node's `ws`: its TCP socket, corked for each turn's frames.
    cork: Option<Cork>,
}

/// The socket's event handlers, kept alive as long as the connection.
struct Handlers {
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

impl Connection {
    /// Opens a WebSocket to `url` with the constructor `class` (the global
    /// `WebSocket` or one passed in), within `timeout_ms`.
    ///
    /// `stop` (the client closed) ends the attempt at once, its socket
    /// closed: no socket is left connecting, to keep Node running.
    pub(crate) async fn open(
        url: &str,
        class: &Function,
        timeout_ms: f64,
        report: Report,
        session_id: SessionSlot,
        wire: Wire,
        stop: &Latch<()>,
    ) -> Result<Rc<Connection>, Error> {
        // The session id travels as a second subprotocol token: browsers
        // let no header be set, and the server never selects it.
        let token = match wire.json {
            true => swill_proto::json::SUBPROTOCOL,
            false => SUBPROTOCOL,
        };
        let protocols = Array::of1(&token.into());
        if let Some(id) = session_id.borrow().as_deref() {
            protocols
                .push(&format!("{}{id}", swill_proto::Metadata::SESSION_PROTOCOL_PREFIX).into());
        }
        let args = Array::of2(&url.into(), &protocols);
        let socket: WebSocket = Reflect::construct(class, &args)
            .map_err(|e| {
                Error::Invalid(format!(
                    "cannot open a WebSocket to `{url}`: {}",
                    describe(&e)
                ))
            })?
            .unchecked_into();
        // A class that is not a WebSocket would wait out the connect
        // timeout and then fail as a lost connection.
        let send = Reflect::get(&socket, &"send".into()).unwrap_or_default();
        if !send.is_function() {
            return Err(Error::Invalid(
                "the `WebSocket` option made an object with no `send`: it must be a WebSocket class"
                    .to_owned(),
            ));
        }
        socket.set_binary_type(BinaryType::Arraybuffer);
        // Node's `ws` (an EventEmitter: it has `once`) can hand over its own
        // buffer, a `Uint8Array`, instead of copying each message into a new
        // `ArrayBuffer` first. Only `ws` knows "nodebuffer": Node's own
        // WebSocket would fall back to blobs.
        if is_event_emitter(&socket) {
            let key = JsValue::from("binaryType");
            let _ = Reflect::set(&socket, &key, &"nodebuffer".into());
            // Another EventEmitter-based WebSocket may take the value and
            // hand out blobs: read it back, and keep "arraybuffer" if so.
            let taken = Reflect::get(&socket, &key).ok().and_then(|v| v.as_string());
            if taken.as_deref() != Some("nodebuffer") {
                socket.set_binary_type(BinaryType::Arraybuffer);
            }
        }
        let _upgrade = learn_session_on_upgrade(&socket, &session_id);
        let opened = Promise::new(&mut |resolve, reject| {
            socket.set_onopen(Some(&resolve));
            socket.set_onerror(Some(&reject));
            socket.set_onclose(Some(&reject));
        });
        let waiting = stop.unless(JsFuture::from(opened));
        let outcome = crate::timer::within(Some(timeout_ms), waiting).await;
        socket.set_onopen(None);
        // Never without an error listener: Node's `ws` emits `error` on an
        // EventEmitter, and one with no listener kills the process (a
        // connect timeout, then `close()` before the upgrade, does that).
        // The close event that follows says what happened.
        IGNORE.with(|ignore| socket.set_onerror(Some(ignore.as_ref().unchecked_ref())));
        socket.set_onclose(None);
        let failure = match outcome {
            Ok(Some(Ok(_))) => None,
            Ok(Some(Err(event))) => Some(format!("{url}: {}", describe(&event))),
            Ok(None) => {
                let _ = socket.close();
                return Err(Error::Disconnected {
                    reason: "the client was closed".to_owned(),
                });
            }
            Err(()) => Some(format!(
                "no connection to {url} within {} ms",
                crate::options::show(timeout_ms)
            )),
        };
        if let Some(reason) = failure {
            let _ = socket.close();
            return Err(Error::Connect {
                status: None,
                reason,
            });
        }
        Ok(Connection::start(socket, report, session_id, wire))
    }

    fn start(
        socket: WebSocket,
        report: Report,
        session_id: SessionSlot,
        wire: Wire,
    ) -> Rc<Connection> {
        // `ws` only: a browser's WebSocket has no `_socket`.
        let cork = Cork::of(&socket);
        let connection = Rc::new(Connection {
            cork,
            socket,
            session: RefCell::new(Session::new()),
            session_id,
            report,
            handlers: RefCell::new(None),
            json: wire.json,
        });
        let weak = Rc::downgrade(&connection);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |event: MessageEvent| with(&weak, |c| c.receive(event.data()))
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let reason = match event.reason() {
                reason if reason.is_empty() => {
                    format!("the server closed the connection ({})", event.code())
                }
                reason => format!(
                    "the server closed the connection ({} {reason})",
                    event.code()
                ),
            };
            with(&weak, |c| c.lost(&reason));
        });
        connection
            .socket
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        connection
            .socket
            .set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *connection.handlers.borrow_mut() = Some(Handlers {
            _message: on_message,
            _close: on_close,
        });
        // First on the wire: the rpcs' shapes, so that a call made with the
        // wrong method fails instead of waiting (nothing waits for it).
        if wire.check_shapes {
            let probe = connection.session.borrow_mut().probe_shapes();
            if let Ok(frame) = probe {
                let _ = connection.write(&frame);
            }
        }
        connection
    }

    /// Whether calls can still be made on this connection.
    pub(crate) fn is_open(&self) -> bool {
        !self.session.borrow().is_closed() && self.socket.ready_state() == WebSocket::OPEN
    }

    /// Opens a call; its events go to `inbox`.
    pub(crate) fn start_call(
        &self,
        rpc: &str,
        shape: CallShape,
        data: Option<Payload>,
        options: &CallOptions,
        inbox: Rc<Inbox>,
    ) -> Result<Seq, Error> {
        let (seq, frame) = self
            .session
            .borrow_mut()
            .start(rpc, shape, data, options, inbox)?;
        self.send(seq, frame)?;
        Ok(seq)
    }

    /// Sends one message of a call's request stream.
    pub(crate) fn message(&self, seq: Seq, data: Payload) -> Result<(), Error> {
        let frame = self.session.borrow_mut().message(seq, data)?;
        self.send(seq, frame)
    }

    /// Ends a call's request stream (END_OF_STREAM).
    pub(crate) fn end(&self, seq: Seq) -> Result<(), Error> {
        let frame = self.session.borrow_mut().end(seq)?;
        self.send(seq, frame)
    }

    /// Cancels a call (CANCEL), if it is still on.
    pub(crate) fn cancel(&self, seq: Seq) {
        let frame = self.session.borrow_mut().cancel(seq);
        if let Some(frame) = frame {
            let _ = self.write(&frame);
        }
    }

    /// Closes the socket (1000) and fails the calls in flight.
    pub(crate) fn close(&self, reason: &str) {
        let _ = self.socket.close_with_code_and_reason(1000, "");
        self.lost(reason);
    }

    fn send(&self, seq: Seq, frame: RequestFrame) -> Result<(), Error> {
        self.write(&frame).inspect_err(|_| {
            self.session.borrow_mut().cancel(seq);
        })
    }

    fn write(&self, frame: &RequestFrame) -> Result<(), Error> {
        let encoded = frame.encode();
        if let Some(cork) = &self.cork {
            cork.hold();
        }
        let sent = if self.json {
            // Our own frames are always one MessagePack value.
            let text = swill_proto::json::frame_to_text(&encoded).unwrap_or_default();
            self.socket.send_with_str(&text)
        } else {
            // A copy owned by JavaScript: the `ws` package may keep a view
            // of the buffer it is given after `send` returns.
            self.socket
                .send_with_js_u8_array(&Uint8Array::from(&encoded[..]))
        };
        sent.map_err(|e| Error::Disconnected {
            reason: describe(&e),
        })
    }

    fn receive(&self, data: JsValue) {
        let bytes = match data.dyn_ref::<ArrayBuffer>() {
            Some(buffer) => Some(Uint8Array::new(buffer)),
            None => data.dyn_ref::<Uint8Array>().cloned(),
        };
        let text = bytes.is_none().then(|| data.as_string()).flatten();
        let message = match (bytes, &text) {
            (Some(bytes), _) => Received::Binary(Bytes::from(bytes.to_vec())),
            (None, Some(text)) => Received::Text(text),
            (None, None) => return warn("ignored a message that is neither binary nor text"),
        };
        let read = self.session.borrow_mut().read(message, self.json);
        if let Some(why) = &read.fatal {
            // See `Read::fatal`; browsers let a page close with 1000 or
            // 4000-4999 only, so the reason says what 1002 would have.
            warn(why);
            return self.close(why);
        }
        if let Some(id) = read.session_id {
            *self.session_id.borrow_mut() = Some(id);
        }
        if let Some(why) = &read.dropped {
            warn(why);
        }
        for cancel in &read.cancels {
            let _ = self.write(cancel);
        }
        for (inbox, event, cancel) in read.mismatched {
            let _ = self.write(&cancel);
            inbox.push(event);
        }
        let Some(incoming) = read.incoming else {
            return;
        };
        if let Some(reply) = &incoming.reply {
            let _ = self.write(reply);
        }
        for event in incoming.events {
            incoming.sink.push(event);
        }
    }

    /// The connection is gone: every call in flight fails (503).
    fn lost(&self, reason: &str) {
        if self.session.borrow().is_closed() {
            return;
        }
        let failed = self.session.borrow_mut().close(reason);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        for (inbox, event) in failed {
            inbox.push(event);
        }
        (self.report)(ConnectionState::Disconnected {
            reason: reason.to_owned(),
        });
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Handlers first, so that no event reaches a dropped closure.
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        if self.socket.ready_state() <= WebSocket::OPEN {
            let _ = self.socket.close();
        }
        // Dropped before its close event (a new round replaced it, or the
        // client was collected): the calls still on fail here, since no
        // handler is left to tell them, and nothing else holds a unary
        // call's promise.
        for (inbox, event) in self.session.get_mut().close("the connection closed") {
            inbox.push(event);
        }
    }
}

fn with(weak: &Weak<Connection>, f: impl FnOnce(&Connection)) {
    if let Some(connection) = weak.upgrade() {
        f(&connection);
    }
}

/// A readable line for a JS error or event: its `message`, a close event's
/// code and reason, or its type.
pub(crate) fn describe(value: &JsValue) -> String {
    // Reflection only: `instanceof CloseEvent` would throw on Node 20,
    // which has no such global.
    let get = |key: &str| Reflect::get(value, &key.into()).unwrap_or_default();
    let text = |key: &str| get(key).as_string().filter(|s| !s.is_empty());
    if text("type").as_deref() == Some("close") {
        let code = get("code").as_f64().unwrap_or_default() as u16;
        return match text("reason") {
            Some(reason) => format!("the connection closed ({code} {reason})"),
            None => format!("the connection closed ({code})"),
        };
    }
    match (text("message"), text("type")) {
        (Some(message), _) => message,
        (None, Some(kind)) => format!("a WebSocket {kind} event"),
        (None, None) => value.as_string().unwrap_or_else(|| format!("{value:?}")),
    }
}

/// Whether `socket` is Node's `ws` (an EventEmitter) rather than a
/// standard WebSocket.
fn is_event_emitter(socket: &WebSocket) -> bool {
    Reflect::get(socket, &"once".into()).is_ok_and(|once| once.is_function())
}

fn warn(message: &str) {
    web_sys::console::warn_1(&format!("swill-client: {message}").into());
}

/// With Node's `ws` (an EventEmitter), reads the session id the server
/// issued from the upgrade response; browsers keep it in their cookie
/// instead, and have no such event. Returns the listener, kept alive until
/// the socket opened.
fn learn_session_on_upgrade(
    socket: &WebSocket,
    slot: &SessionSlot,
) -> Option<Closure<dyn FnMut(JsValue)>> {
    let on = Reflect::get(socket, &"once".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let slot = slot.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |response: JsValue| {
        let headers = Reflect::get(&response, &"headers".into()).unwrap_or_default();
        let id = Reflect::get(&headers, &SESSION_KEY.into())
            .ok()
            .and_then(|v| v.as_string());
        if let Some(id) = id {
            *slot.borrow_mut() = Some(id);
        }
    });
    on.call2(socket, &"upgrade".into(), listener.as_ref().unchecked_ref())
        .ok()?;
    Some(listener)
}
