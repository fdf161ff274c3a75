//! The native half of the Python package `swill-client` (module
//! `swill_client._native`): the Rust client ([`swill_client`]) behind a
//! small PyO3 surface, run on pyo3-async-runtimes' tokio runtime.
//!
//! The public Python API is the package's Python half
//! (`python/swill_client/`): it documents and types everything, turns these
//! awaitables into coroutines and async iterators, and defines
//! `SwillError`. Nothing of the protocol is here: calls, streams, cancel,
//! deadlines and reconnecting are the Rust client's.
//!
//! # A map of the crate
//!
//! - `connect.rs`: `connect(url, options)`, the options checked and given
//!   to the Rust [`swill_client::Builder`].
//! - `client.rs`: the `Client` class, a method per call shape.
//! - `call.rs`: the `Call` class, a streaming call that opens in the
//!   background, with separate locks for sending and receiving.
//! - `convert.rs`: Python values to MessagePack values and back (serde,
//!   through `pythonize`), metadata and durations.
//! - `error.rs`: Rust client errors as `swill_client.SwillError`.
//! - `topic.rs`: the `Subscription` class, a Rust subscription to a
//!   topic behind `next()` and `cancel()` (publish, presence and topics
//!   are methods of `Client`).
//! - `deliver.rs`: results handed to the event loop without the GIL (the
//!   tokio threads never call into Python; see there for why).
//!
//! # Cancel
//!
//! Every awaitable is an asyncio future made by `deliver::future_into_py`:
//! when Python cancels it (the awaiting task was cancelled), the Rust
//! future is dropped, and dropping a Rust call future sends CANCEL.

mod call;
mod client;
mod connect;
mod convert;
mod deliver;
mod error;
mod topic;

use pyo3::prelude::*;

/// The module `swill_client._native`.
#[pymodule(name = "_native")]
fn native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(connect::connect, module)?)?;
    module.add_class::<client::PyClient>()?;
    module.add_class::<call::PyCall>()?;
    module.add_class::<topic::PySubscription>()?;
    module.add_class::<deliver::PyInbox>()?;
    Ok(())
}
