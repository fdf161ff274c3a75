//! Errors as JavaScript sees them: `SwillError`, a real `Error` with the
//! Swill `code`, the `message` and the server's `data`.
//!
//! Every failure of [`swill_client::Error`] becomes one, with the same code
//! table as the Rust client: the server's code for its ERROR answers, 408
//! for a deadline, 499 for a cancel, 503 for connection trouble, 400 for
//! data that would not encode or decode.
//!
//! wasm-bindgen cannot export a class that extends `Error`, so the class is
//! an exported (empty) struct whose prototype is chained to
//! `Error.prototype`, and each error is a genuine `Error` (with its stack)
//! moved onto that prototype: `instanceof SwillError` and
//! `instanceof Error` both hold.

use js_sys::{Object, Reflect};
use swill_client::Error;
use wasm_bindgen::prelude::*;

use crate::convert;

/// The class of every error this client throws. Its TypeScript declaration
/// is in `lib.rs` (`class SwillError extends Error`).
#[wasm_bindgen(skip_typescript)]
pub struct SwillError {
    _private: u8,
}

thread_local! {
    static PROTOTYPE: Object = prototype();
}

/// `SwillError.prototype`, chained to `Error.prototype` and named.
fn prototype() -> Object {
    let instance = JsValue::from(SwillError { _private: 0 });
    let proto = Object::get_prototype_of(&instance);
    let error_proto = Object::get_prototype_of(&js_sys::Error::new(""));
    Object::set_prototype_of(&proto, &error_proto);
    let _ = Reflect::set(&proto, &"name".into(), &"SwillError".into());
    proto
}

/// The `SwillError` for a failure.
pub(crate) fn to_js(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.message());
    PROTOTYPE.with(|proto| Object::set_prototype_of(&js, proto));
    let code = JsValue::from_f64(error.code().as_i64() as f64);
    let _ = Reflect::set(&js, &"code".into(), &code);
    if let Some(data) = error.data() {
        let _ = Reflect::set(&js, &"data".into(), &convert::from_value(data));
    }
    js.into()
}

/// A cancel by an `AbortSignal`: 499, with the signal's reason as `cause`.
pub(crate) fn aborted(reason: &JsValue) -> JsValue {
    let js = to_js(&Error::Cancelled);
    let _ = Reflect::set(&js, &"cause".into(), reason);
    js
}

/// What JavaScript threw, for a message: an `Error`'s message, else the
/// value as text.
pub(crate) fn thrown(e: &JsValue) -> String {
    match e.dyn_ref::<js_sys::Error>() {
        Some(error) => error.message().into(),
        None => e
            .as_string()
            .unwrap_or_else(|| "a value that is not an Error".to_owned()),
    }
}
