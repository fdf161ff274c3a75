//! Opening a call: reading its options, waiting for a connection (within
//! the deadline), sending the opening frame, arming the deadline and the
//! `AbortSignal`.

use std::rc::Rc;
use std::time::Duration;

use swill_client::{CallOptions as Options, Error};
use swill_proto::{CallShape, DataError, Payload};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use js_sys::Promise;

use crate::call::{Call, Handle, Inbox, Settle};
use crate::connector::Connector;
use crate::latch::Latch;
use crate::options::{Fields, MAX_MS, show};
use crate::timer::Cut;
use crate::{convert, error};

/// A call's options, read from JavaScript.
pub(crate) struct Settings {
    options: Options,
    timeout_ms: Option<f64>,
    signal: Option<AbortSignal>,
}

impl Settings {
    /// Reads `{ metadata, timeoutMs, signal, traceparent, tracestate }`
    /// (all optional).
    pub(crate) fn from_js(options: JsValue) -> Result<Settings, Error> {
        if options.is_undefined() || options.is_null() {
            return Ok(Settings {
                options: Options::new(),
                timeout_ms: None,
                signal: None,
            });
        }
        let fields = Fields::of(&options, "call options")?;
        let metadata = match fields.value("metadata")? {
            Some(metadata) => convert::to_metadata(&metadata).map_err(|e| fields.invalid(e))?,
            None => swill_proto::Metadata::new(),
        };
        if metadata.get(swill_proto::Metadata::TIMEOUT).is_some() {
            return Err(fields.invalid(format!(
                "`{}` is reserved: set `timeoutMs` instead",
                swill_proto::Metadata::TIMEOUT
            )));
        }
        let mut options = Options::new().metadata(metadata);
        let tracestate = fields.string("tracestate")?;
        if let Some(traceparent) = fields.string("traceparent")? {
            let parent = traceparent
                .parse::<swill_proto::TraceParent>()
                .map_err(|e| fields.invalid(format!("traceparent: {e}")))?;
            options = options.trace(parent, tracestate);
        }
        let timeout_ms = fields.number("timeoutMs")?;
        if let Some(ms) = timeout_ms.filter(|ms| !crate::options::valid_ms(*ms)) {
            return Err(fields.invalid(format!(
                "`timeoutMs` must be a number of milliseconds from 0 to {}, not {}",
                show(MAX_MS),
                show(ms)
            )));
        }
        if let Some(ms) = timeout_ms {
            options = options.timeout(Duration::from_secs_f64(ms / 1000.0));
        }
        let signal = fields.signal()?;
        Ok(Settings {
            options,
            timeout_ms,
            signal,
        })
    }
}

/// Encodes a request message.
pub(crate) fn encode(value: &JsValue) -> Result<Payload, Error> {
    convert::to_payload(value).map_err(Error::Encode)
}

/// Decodes an answer.
pub(crate) fn decode(payload: &Payload) -> Result<JsValue, Error> {
    convert::from_payload(payload).map_err(|message| {
        Error::Decode(DataError {
            path: String::new(),
            message,
        })
    })
}

/// Opens a call; the error is the `SwillError` to throw.
pub(crate) async fn open(
    connector: &Rc<Connector>,
    rpc: &str,
    shape: CallShape,
    data: Option<Payload>,
    settings: Settings,
) -> Result<Call, JsValue> {
    let aborted = |signal: &Option<AbortSignal>| {
        signal
            .as_ref()
            .filter(|s| s.aborted())
            .map(|s| error::aborted(&s.reason()))
    };
    if let Some(error) = aborted(&settings.signal) {
        return Err(error);
    }
    let started = js_sys::Date::now();
    // Waiting for a (re)connection is part of the call: its deadline and
    // its signal end the wait too.
    let connection = crate::timer::until(
        settings.timeout_ms,
        settings.signal.as_ref(),
        connector.connection(),
    )
    .await;
    let timeout = |ms: f64| Error::Timeout(Duration::from_secs_f64(ms / 1000.0));
    let connection = match connection {
        Ok(connection) => connection.map_err(|e| error::to_js(&e))?,
        Err(Cut::Deadline) => {
            return Err(error::to_js(&timeout(
                settings.timeout_ms.unwrap_or_default(),
            )));
        }
        Err(Cut::Aborted(reason)) => return Err(error::aborted(&reason)),
    };
    if let Some(error) = aborted(&settings.signal) {
        return Err(error);
    }
    let inbox = Rc::new(Inbox::default());
    let seq = connection
        .start_call(rpc, shape, data, &settings.options, inbox.clone())
        .map_err(|e| error::to_js(&e))?;
    let call = Call::new(connection, seq, inbox);
    if let Some(ms) = settings.timeout_ms {
        call.expire_after((ms - (js_sys::Date::now() - started)).max(0.0), ms);
    }
    if let Some(signal) = settings.signal {
        call.abort_on(signal);
    }
    Ok(call)
}

/// Opens a unary call and waits for its answer, still encoded; the call
/// comes back too, for its metadata.
pub(crate) async fn answer(
    connector: &Rc<Connector>,
    rpc: &str,
    data: Payload,
    settings: Settings,
) -> Result<(Payload, Call), JsValue> {
    let call = open(connector, rpc, CallShape::Unary, Some(data), settings).await?;
    match call.answer().await {
        Ok(data) => Ok((data, call)),
        Err(e) => Err(reject(&call, e)),
    }
}

/// Opens a unary call and waits for its answer, decoded; the call comes
/// back too, for its metadata.
pub(crate) async fn answer_value(
    connector: &Rc<Connector>,
    rpc: &str,
    data: Payload,
    settings: Settings,
) -> Result<(JsValue, Call), JsValue> {
    let (data, call) = answer(connector, rpc, data, settings).await?;
    match decode(&data) {
        Ok(value) => Ok((value, call)),
        Err(e) => Err(reject(&call, call.fail(e))),
    }
}

/// Opens a call with no deadline and no signal, for a caller that keeps
/// its own (a subscription, across its calls); the error is the client's,
/// for the caller to judge.
pub(crate) async fn open_bare(
    connector: &Rc<Connector>,
    rpc: &str,
    shape: CallShape,
    data: Payload,
) -> Result<Call, Error> {
    let connection = connector.connection().await?;
    let inbox = Rc::new(Inbox::default());
    let seq = connection.start_call(rpc, shape, Some(data), &Options::new(), inbox.clone())?;
    Ok(Call::new(connection, seq, inbox))
}

/// The `SwillError` for a call's failure (a cancel by a signal carries the
/// signal's reason as its `cause`).
pub(crate) fn reject(call: &Call, error: Error) -> JsValue {
    rejection(&error, call.inbox().abort_reason().as_ref())
}

/// The `SwillError` for `error`, given the reason of the `AbortSignal`
/// that cancelled the call, if one did.
pub(crate) fn rejection(error: &Error, abort_reason: Option<&JsValue>) -> JsValue {
    match (error, abort_reason) {
        (Error::Cancelled, Some(reason)) => error::aborted(reason),
        _ => error::to_js(error),
    }
}

/// A unary call's promise, for `Client.call`. With a connection open, the
/// frame goes out before this returns and the socket's message handler
/// settles the promise with the decoded answer: no future, no microtask
/// per step (the hot path of pipelined calls). Without one, the call
/// waits for a connection as every other call does.
pub(crate) fn unary_promise(
    connector: &Rc<Connector>,
    rpc: String,
    request: &JsValue,
    options: JsValue,
) -> Promise {
    let (data, settings) = match (encode(request), Settings::from_js(options)) {
        (Ok(data), Ok(settings)) => (data, settings),
        (Err(e), _) | (_, Err(e)) => return Promise::reject(&error::to_js(&e)),
    };
    let Some(connection) = connector.ready() else {
        let connector = connector.clone();
        return crate::bridge::promise(async move {
            Ok(answer_value(&connector, &rpc, data, settings).await?.0)
        });
    };
    if let Some(signal) = settings.signal.as_ref().filter(|s| s.aborted()) {
        return Promise::reject(&error::aborted(&signal.reason()));
    }
    let mut settle = None;
    let promise = Promise::new(&mut |resolve, reject| settle = Some(Settle { resolve, reject }));
    // The executor runs before `Promise::new` returns, so this is always set.
    let Some(settle) = settle else {
        return promise;
    };
    let inbox = Rc::new(Inbox::settling(settle));
    let started = connection.start_call(
        &rpc,
        CallShape::Unary,
        Some(data),
        &settings.options,
        inbox.clone(),
    );
    match started {
        Ok(seq) => {
            // The session holds the inbox until the answer; the timer and
            // the abort listener hold the call weakly.
            let call = Call::new(connection, seq, inbox);
            if let Some(ms) = settings.timeout_ms {
                call.expire_after(ms, ms);
            }
            if let Some(signal) = settings.signal {
                call.abort_on(signal);
            }
        }
        Err(e) => {
            inbox.fail(e);
        }
    }
    promise
}

/// A call being opened in the background, for the objects that JavaScript
/// gets at once (streams): each of their methods waits for it.
pub(crate) struct Opening {
    latch: Rc<Latch<Result<Rc<Handle>, JsValue>>>,
    /// Whether a failure to open was already reported by the iterator.
    reported: std::cell::Cell<bool>,
}

impl Opening {
    /// Starts opening the call.
    pub(crate) fn start(
        connector: &Rc<Connector>,
        rpc: Result<String, Error>,
        shape: CallShape,
        data: Result<Option<Payload>, Error>,
        settings: Result<Settings, Error>,
    ) -> Opening {
        let latch = Rc::new(Latch::default());
        let (connector, opened) = (connector.clone(), latch.clone());
        crate::bridge::spawn(async move {
            let outcome = match (rpc, data, settings) {
                (Ok(rpc), Ok(data), Ok(settings)) => {
                    // A cancel while waiting for a connection sets the
                    // latch: the wait ends there, and nothing is sent.
                    let opening = open(&connector, &rpc, shape, data, settings);
                    match opened.unless(opening).await {
                        Some(outcome) => outcome,
                        None => return,
                    }
                }
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(error::to_js(&e)),
            };
            opened.set(outcome.map(|call| Rc::new(Handle(call))));
        });
        Opening {
            latch,
            reported: std::cell::Cell::new(false),
        }
    }

    /// The call, once open.
    pub(crate) async fn call(&self) -> Result<Rc<Handle>, JsValue> {
        self.latch.get().await
    }

    /// The call, if it is open already.
    pub(crate) fn ready(&self) -> Option<Rc<Handle>> {
        self.latch.peek().and_then(Result::ok)
    }

    /// Cancels the call: CANCEL if it is open; if it is still waiting for a
    /// connection, it stops waiting and is never sent. Either way the
    /// stream ends, and its iterator reports the end.
    pub(crate) fn cancel(&self) {
        match self.latch.peek() {
            Some(Ok(handle)) => handle.0.cancel(),
            Some(Err(_)) => {}
            None => {
                self.reported.set(true);
                self.latch.set(Err(error::to_js(&Error::Cancelled)));
            }
        }
    }

    /// True the first time it is asked after opening failed: the iterator
    /// throws that failure once, then reports the end.
    pub(crate) fn report_failure(&self) -> bool {
        !self.reported.replace(true)
    }
}
