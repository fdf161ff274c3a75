//! RPC over WebSocket with MessagePack: plain async functions become a
//! [Swill v1](https://pypi.org/project/swill/) server that Python Swill
//! peers, our Rust client and our TypeScript client all speak to.
//!
//! ```no_run
//! use futures::Stream;
//! use swill::{App, Error, Module, Request, State};
//!
//! #[derive(Clone)]
//! struct Names(Vec<String>);
//!
//! /// Adds two numbers.
//! async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
//!     Ok(req.data.0 + req.data.1)
//! }
//!
//! /// Counts from 0 to n - 1.
//! async fn count(req: Request<u32>) -> impl Stream<Item = Result<u32, Error>> {
//!     futures::stream::iter((0..req.data).map(Ok))
//! }
//!
//! /// A user's name, from the shared state.
//! async fn get(State(names): State<Names>, req: Request<usize>) -> Result<String, Error> {
//!     names.0.get(req.data).cloned().ok_or_else(|| Error::not_found("no such user"))
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let names = Names(vec!["ada".into(), "grace".into()]);
//!     let app = App::with_state(names)
//!         .handle(add)                                  // rpc "add"
//!         .handle(count)                                // rpc "count"
//!         .nest(Module::new("users").handle(get));      // rpc "users.get"
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//!     swill::serve(listener, app).await
//! }
//! ```
//!
//! - Plain async fns are handlers, served under their own names;
//!   [`#[swill::rpc]`](rpc) adds a description (the doc comment) or
//!   another name. [`App::with_state`] shares a value that handlers take
//!   with [`State`]; a [`Module`] groups rpcs under a prefix with its own
//!   guards, hooks and layers; [`testing`] (feature `testing`) calls an app
//!   in memory, with the real client.
//! - A handler's argument decides whether the request streams:
//!   [`Request<T>`] holds one message, [`StreamingRequest<T>`] is a stream.
//! - Its return type decides whether the response streams: a value (or
//!   `Result<T, Error>`) is one message, a `Stream` of `Result<T, Error>` is
//!   many. See [`IntoReply`].
//! - Message types are `serde` types that also derive
//!   [`JsonSchema`], which `swill.introspect` uses to
//!   describe them.
//! - Errors are [`Error`]s with a [`Code`], or a handler's own error type
//!   with `Into<Error>`; a panic becomes a 500 for that call alone.
//! - [`Context`] carries the request metadata, the connection, and the
//!   leading and trailing metadata of the answer.
//! - For production: eleven lifecycle hooks ([`App::before_connection`],
//!   [`App::before_request`], [`App::after_request`]...), limits and
//!   backpressure ([`App::max_message_size`] and the other setters),
//!   `swill-timeout` deadlines, graceful shutdown
//!   ([`Serve::with_graceful_shutdown`]), and tower: [`App::into_service`]
//!   mounts the app in axum, [`App::handle_layered`] wraps one handler in any
//!   layer.
//! - Beside its WebSocket endpoint, an app serves [`StaticFiles`]
//!   ([`App::serve_static`]), its AsyncAPI document ([`App::asyncapi`]) and
//!   a playground page ([`App::playground`]).
//!
//! The guide (`docs/guide.md`) walks through each call shape.

mod any;
mod app;
mod call;
mod config;
mod connection;
mod context;
mod error;
mod extract;
mod handler;
mod headers;
mod hooks;
mod info;
mod introspect;
mod limits;
mod message;
mod metrics;
mod module;
mod outbox;
mod panic;
mod playground;
mod reply;
mod request;
mod response;
mod router;
mod schema;
mod serve;
mod service;
pub mod sessions;
mod shutdown;
mod site;
#[cfg(feature = "spec")]
pub mod spec;
mod static_files;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "tls")]
pub mod tls;
pub mod topics;
mod trace;
mod upgrade;
#[cfg(feature = "validate")]
mod validate;

pub use any::AnyValue;
pub use app::App;
pub use context::Context;
pub use context::RequestHead;
pub use error::Error;
pub use extract::{Extension, FromContext, FromRef, State};
pub use handler::Handler;
pub use hooks::{Continuation, Handshake, Outcome, Rejection};
/// Re-exported: rejections carry an HTTP status.
pub use http::StatusCode;
pub use info::ConnectionInfo;
pub use limits::Limits;
pub use message::Message;
pub use module::Module;
pub use reply::IntoReply;
pub use request::{FromCall, Request, StreamingRequest};
pub use serve::{Serve, serve};
pub use service::{HandlerLayer, HandlerService, SwillService};
pub use static_files::StaticFiles;
pub use swill_macros::rpc;
pub use swill_proto::{Code, Metadata, Payload, Position, Value};

#[cfg(feature = "validate")]
pub use validate::Valid;

/// Re-exported, as axum does: [`Handshake`]'s headers and the extensions
/// of a [`RequestHead`] or [`Context::detached`] are its types.
pub use http;
/// Re-exported: message types derive `schemars::JsonSchema`.
pub use schemars;
/// Re-exported: derive it on message types. The derive names the
/// `schemars` crate, so the crate deriving it needs `schemars = "1"` in its
/// `Cargo.toml` (or `#[schemars(crate = "swill::schemars")]` on the type).
pub use schemars::JsonSchema;
/// The wire crate, for frames and raw payloads.
pub use swill_proto as proto;

pub use reply::Reply;
/// What `#[swill::rpc]` expands to. Internal.
#[doc(hidden)]
pub mod __private {
    pub use crate::handler::RpcInfo;
    pub use inventory;

    /// `#[swill::rpc]` asserts this of a handler's return type, to name a
    /// missing bound at the type.
    pub fn answer_type<R: crate::IntoReply<M>, M>() {}

    /// `#[swill::rpc]` asserts this of a request's message type.
    pub fn request_type<T: crate::Message>() {}
}
pub use request::CallInput;
#[doc(hidden)]
pub use schema::Side;
#[doc(hidden)]
pub use service::ErasedLayer;
