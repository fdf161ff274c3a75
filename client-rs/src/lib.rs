//! The Rust client of swill: RPC over WebSocket with MessagePack, speaking
//! Swill v1 to our servers and to the original Python Swill servers.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), swill_client::Error> {
//! # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! # let url = format!("ws://{}/ws", listener.local_addr().unwrap());
//! # let app = swill_examples::demo::app();
//! # tokio::spawn(async move { swill::serve(listener, app).await });
//! use futures::TryStreamExt;
//! use swill_client::Client;
//!
//! let client = Client::connect(url).await?;
//!
//! // Unary: one request, one answer.
//! let sum: i64 = client.call("add", &(1, 2)).await?;
//! assert_eq!(sum, 3);
//!
//! // Server streaming: one request, a stream of answers.
//! let numbers = client.server_stream::<u64>("count", &3).await?;
//! let numbers: Vec<u64> = numbers.try_collect().await?;
//! assert_eq!(numbers, [0, 1, 2]);
//!
//! // Client streaming: a stream of requests, one answer.
//! let (sender, total) = client.client_stream::<i64, i64>("total").await?;
//! for n in [1, 2, 3] {
//!     sender.send(&n).await?;
//! }
//! sender.finish();
//! assert_eq!(total.await?.data, 6);
//!
//! // Errors keep the server's code and message.
//! let missing = client.call::<()>("nope", &()).await.unwrap_err();
//! assert_eq!(missing.code(), swill_client::Code::NOT_FOUND);
//! # Ok(())
//! # }
//! ```
//!
//! # A map of the crate
//!
//! - [`Client`] (`client.rs`): one connection, a method per call shape:
//!   [`call`](Client::call), [`server_stream`](Client::server_stream),
//!   [`client_stream`](Client::client_stream), [`bidi`](Client::bidi),
//!   [`introspect`](Client::introspect). [`Builder`] (`builder.rs`) sets
//!   headers, cookies, subprotocol, timeouts, keepalive and the
//!   [`ReconnectPolicy`] (`reconnect.rs`), which `connector.rs` follows to
//!   keep the client connected.
//! - The call handles: [`ResponseFuture`] (`call.rs`), [`ResponseStream`]
//!   and [`RequestSender`] (`stream.rs`); [`CallOptions`] and [`Response`]
//!   (`options.rs`) carry metadata and deadlines in and out.
//! - [`Error`] (`error.rs`): the server's errors apart from local ones,
//!   each with a Swill [`Code`].
//! - [`session`]: the protocol state machine, without I/O (seqs, pending
//!   calls, demultiplexing, cancel, reading frames, checking call shapes),
//!   and [`driver`]: the per-call state machine around it (what to deliver,
//!   when to send CANCEL) and, in [`ReconnectPolicy::run`], the reconnect
//!   loop given a sleep and a random source. `transport.rs` runs them over
//!   a tokio-tungstenite socket; the wasm client runs the same code over a
//!   browser `WebSocket`, and the Python client over this crate.
//! - `src/bin/swill`: the `swill` command-line tool (see `docs/guide.md`).
//!
//! # Behaviour worth knowing
//!
//! - **Concurrency.** `Client` is `Clone`; all clones share one connection,
//!   and calls from many tasks are in flight over it at once, up to
//!   [`Builder::max_in_flight`] (256). Past that, a new call waits.
//! - **Cancel.** Dropping a call's future, a [`ResponseStream`] or a
//!   [`ResponseFuture`] before the end sends CANCEL, and the server drops
//!   the handler. So does [`ResponseStream::cancel`].
//! - **Deadlines.** [`CallOptions::timeout`] is sent as `swill-timeout` and
//!   enforced here too: [`Error::Timeout`], code 408.
//! - **Streams nobody reads.** Each call buffers up to
//!   [`Builder::stream_buffer`] (64) received messages. When a call's
//!   buffer is full, the connection stops reading until its caller makes
//!   room, so one ignored stream holds up every call on the connection,
//!   and TCP backpressure reaches the server. Nothing is dropped and
//!   memory stays bounded; consume streams, or drop them (which cancels).
//! - **Call shapes.** Each connection asks the server once for its rpcs'
//!   shapes (`swill.introspect`, never waited for), so that a call made
//!   with the wrong method fails with [`Error::Invalid`] (400) instead of
//!   waiting forever; [`Builder::check_shapes`] turns that off.
//! - **Closing.** [`Client::close`] ends the connection with a close
//!   handshake and fails every call, in flight or later, from any clone.
//! - **Lost connections.** Calls in flight fail at once with
//!   [`Error::Disconnected`] (503). The next call reconnects per the
//!   [`ReconnectPolicy`]; [`Builder::on_state_change`] reports each
//!   [`ConnectionState`].
//!
//! # Features
//!
//! - `native` (default): the tokio client above.
//! - `tls` (default): `wss://` with rustls, the platform's roots plus
//!   [`Builder::root_certificates_pem`].
//! - `otel`: calls carry the current tracing span's OpenTelemetry context.
//! - The `swill` binary comes with `native` and adds no dependency (its
//!   command line is read by hand), so `cargo install swill-client`
//!   installs it and the library's users compile nothing for it.
//! - With `--no-default-features` the crate holds only [`session`],
//!   [`driver`], [`CallOptions`], [`Response`], [`ReconnectPolicy`] and [`Error`], and
//!   builds for `wasm32-unknown-unknown`.

#![warn(missing_docs)]

pub mod driver;
mod error;
mod options;
mod reconnect;
pub mod session;
pub mod topic;

#[cfg(feature = "native")]
mod builder;
#[cfg(feature = "native")]
mod call;
#[cfg(feature = "native")]
mod client;
#[cfg(feature = "native")]
mod connector;
#[cfg(feature = "otel")]
mod otel;
#[cfg(feature = "native")]
mod stream;
#[cfg(feature = "native")]
mod subscription;
#[cfg(feature = "native")]
mod transport;

pub use error::Error;
pub use options::{CallOptions, Response};
pub use reconnect::{ConnectionState, ReconnectPolicy};

#[cfg(feature = "native")]
pub use builder::{Builder, Encoding, Io, Subprotocol};
#[cfg(feature = "native")]
pub use call::ResponseFuture;
#[cfg(feature = "native")]
pub use client::Client;
#[cfg(feature = "native")]
pub use stream::{RequestSender, ResponseStream};
#[cfg(feature = "native")]
pub use subscription::{Publication, Subscription};

/// The wire crate: frames, payloads, metadata, error bodies.
pub use swill_proto as proto;
pub use swill_proto::{
    CallShape, Code, ErrorBody, MessageDesc, Metadata, Position, PresenceEntry, RpcDescription,
    TopicDescription, TypeDesc, Value,
};
