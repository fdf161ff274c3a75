//! The objects JavaScript gets for streaming calls: `ServerStream`,
//! `BidiStream` and `ClientStream`, and the async iterator of a response
//! stream (`for await`; `break` calls `return()`, which cancels).
//!
//! They are handed out at once; the call opens in the background and each
//! method waits for it. Their TypeScript declarations are generic, so they
//! are written out in `lib.rs`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use swill_client::Error;
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::open::{self, Opening};
use swill_client::driver::Next;

/// The response stream of a server-streaming call.
#[wasm_bindgen(skip_typescript)]
pub struct ServerStream {
    opening: Rc<Opening>,
}

/// A bidirectional call: `send` and `end` its request stream, iterate its
/// response stream.
#[wasm_bindgen(skip_typescript)]
pub struct BidiStream {
    opening: Rc<Opening>,
}

/// A client-streaming call: `send` its requests, then `finish` for the
/// answer.
#[wasm_bindgen(skip_typescript)]
pub struct ClientStream {
    opening: Rc<Opening>,
    /// The promise of the answer, the same for every `finish()`.
    answer: RefCell<Option<Promise>>,
}

/// The async iterator over a response stream.
#[wasm_bindgen(skip_typescript)]
pub struct StreamIterator {
    opening: Rc<Opening>,
}

impl ServerStream {
    pub(crate) fn new(opening: Opening) -> Self {
        ServerStream {
            opening: Rc::new(opening),
        }
    }
}

impl BidiStream {
    pub(crate) fn new(opening: Opening) -> Self {
        BidiStream {
            opening: Rc::new(opening),
        }
    }
}

impl ClientStream {
    pub(crate) fn new(opening: Opening) -> Self {
        ClientStream {
            opening: Rc::new(opening),
            answer: RefCell::new(None),
        }
    }
}

#[wasm_bindgen]
impl ServerStream {
    /// The iterator for `for await`.
    #[wasm_bindgen(js_name = "[Symbol.asyncIterator]")]
    pub fn iterator(&self) -> StreamIterator {
        StreamIterator {
            opening: self.opening.clone(),
        }
    }

    /// The server's leading metadata, once it has arrived.
    #[wasm_bindgen(getter, js_name = leadingMetadata)]
    pub fn leading_metadata(&self) -> JsValue {
        leading(&self.opening)
    }

    /// The server's trailing metadata, once the stream has ended.
    #[wasm_bindgen(getter, js_name = trailingMetadata)]
    pub fn trailing_metadata(&self) -> JsValue {
        trailing(&self.opening)
    }

    /// Cancels the call: CANCEL goes to the server, the stream ends.
    pub fn cancel(&self) -> Promise {
        cancel(&self.opening)
    }
}

#[wasm_bindgen]
impl BidiStream {
    /// Sends one message of the request stream.
    pub fn send(&self, message: JsValue) -> Promise {
        send(&self.opening, &message)
    }

    /// Ends the request stream (END_OF_STREAM); the responses go on.
    pub fn end(&self) -> Promise {
        let opening = self.opening.clone();
        crate::bridge::promise(async move {
            let handle = opening.call().await?;
            handle.0.end().map_err(|e| open::reject(&handle.0, e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The iterator for `for await`.
    #[wasm_bindgen(js_name = "[Symbol.asyncIterator]")]
    pub fn iterator(&self) -> StreamIterator {
        StreamIterator {
            opening: self.opening.clone(),
        }
    }

    /// The server's leading metadata, once it has arrived.
    #[wasm_bindgen(getter, js_name = leadingMetadata)]
    pub fn leading_metadata(&self) -> JsValue {
        leading(&self.opening)
    }

    /// The server's trailing metadata, once the stream has ended.
    #[wasm_bindgen(getter, js_name = trailingMetadata)]
    pub fn trailing_metadata(&self) -> JsValue {
        trailing(&self.opening)
    }

    /// Cancels the call: CANCEL goes to the server, both streams end.
    pub fn cancel(&self) -> Promise {
        cancel(&self.opening)
    }
}

#[wasm_bindgen]
impl ClientStream {
    /// Sends one message of the request stream.
    pub fn send(&self, message: JsValue) -> Promise {
        send(&self.opening, &message)
    }

    /// Ends the request stream and resolves to the answer (the same
    /// promise each time).
    pub fn finish(&self) -> Promise {
        let mut answer = self.answer.borrow_mut();
        let answer = answer.get_or_insert_with(|| answer_of(self.opening.clone()));
        answer.clone()
    }

    /// The server's leading metadata, once it has arrived.
    #[wasm_bindgen(getter, js_name = leadingMetadata)]
    pub fn leading_metadata(&self) -> JsValue {
        leading(&self.opening)
    }

    /// The server's trailing metadata, once the answer has arrived.
    #[wasm_bindgen(getter, js_name = trailingMetadata)]
    pub fn trailing_metadata(&self) -> JsValue {
        trailing(&self.opening)
    }

    /// Cancels the call: CANCEL goes to the server.
    pub fn cancel(&self) -> Promise {
        cancel(&self.opening)
    }
}

#[wasm_bindgen]
impl StreamIterator {
    /// The next message, `{ done: true }` after the end; rejects with the
    /// call's failure (once).
    pub fn next(&self) -> Promise {
        let opening = self.opening.clone();
        crate::bridge::promise(async move {
            let handle = match opening.call().await {
                Ok(handle) => handle,
                Err(error) if opening.report_failure() => return Err(error),
                Err(_) => return Ok(result(JsValue::UNDEFINED, true)),
            };
            let call = &handle.0;
            match call.next().await {
                Ok(Next::Item(data) | Next::Answer(data)) => match open::decode(&data) {
                    Ok(value) => Ok(result(value, false)),
                    Err(e) => Err(open::reject(call, call.fail(e))),
                },
                Ok(Next::End) => Ok(result(JsValue::UNDEFINED, true)),
                Err(e) => Err(open::reject(call, e)),
            }
        })
    }

    /// Called by `break` (and `return`) in a `for await`: cancels the call.
    #[wasm_bindgen(js_name = "return")]
    pub fn return_(&self) -> Promise {
        self.opening.cancel();
        Promise::resolve(&result(JsValue::UNDEFINED, true))
    }
}

/// Ends a client stream's requests and waits for its answer.
fn answer_of(opening: Rc<Opening>) -> Promise {
    crate::bridge::promise(async move {
        let handle = opening.call().await?;
        let call = &handle.0;
        // Closed: the server answered early; the answer tells how.
        match call.end() {
            Ok(()) | Err(Error::Closed) => {}
            Err(e) => return Err(open::reject(call, e)),
        }
        match call.answer().await {
            Ok(data) => open::decode(&data).map_err(|e| open::reject(call, call.fail(e))),
            Err(e) => Err(open::reject(call, e)),
        }
    })
}

fn send(opening: &Rc<Opening>, message: &JsValue) -> Promise {
    let data = open::encode(message);
    let opening = opening.clone();
    crate::bridge::promise(async move {
        let handle = opening.call().await?;
        let sent = data.and_then(|data| handle.0.send(data));
        sent.map_err(|e| open::reject(&handle.0, e))?;
        Ok(JsValue::UNDEFINED)
    })
}

fn cancel(opening: &Opening) -> Promise {
    opening.cancel();
    Promise::resolve(&JsValue::UNDEFINED)
}

fn leading(opening: &Opening) -> JsValue {
    let metadata = opening
        .ready()
        .and_then(|handle| handle.0.inbox().leading());
    metadata.map_or(JsValue::UNDEFINED, |m| convert::from_metadata(&m))
}

fn trailing(opening: &Opening) -> JsValue {
    let metadata = opening
        .ready()
        .and_then(|handle| handle.0.inbox().trailing());
    metadata.map_or(JsValue::UNDEFINED, |m| convert::from_metadata(&m))
}

/// An `IteratorResult`.
fn result(value: JsValue, done: bool) -> JsValue {
    let object = Object::new();
    let _ = Reflect::set(&object, &"value".into(), &value);
    let _ = Reflect::set(&object, &"done".into(), &JsValue::from_bool(done));
    object.into()
}
