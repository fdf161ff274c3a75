//! Futures handed to JavaScript: as promises, or run in the background.
//!
//! wasm-bindgen's glue for both is generic over the future's type, so each
//! call site with its own `async` block got its own copy of the glue; those
//! copies were about a fifth of the wasm. Boxing every future first leaves
//! one copy of each.

use std::future::Future;
use std::pin::Pin;

use js_sys::Promise;
use wasm_bindgen::JsValue;

type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;

/// A promise settled by `future`.
pub(crate) fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: Boxed<Result<JsValue, JsValue>> = Box::pin(future);
    wasm_bindgen_futures::future_to_promise(boxed)
}

/// Runs `future` on JavaScript's event loop, with nobody awaiting it.
pub(crate) fn spawn(future: impl Future<Output = ()> + 'static) {
    let boxed: Boxed<()> = Box::pin(future);
    wasm_bindgen_futures::spawn_local(boxed);
}
