//! The Swill v1 wire protocol: envelopes, metadata, errors and introspection
//! items, with a codec that is byte-for-byte compatible with the original
//! Python Swill and never panics on what a peer sends.
//!
//! This crate does no I/O: the server, the Rust client and the wasm client
//! all share it, and it builds for `wasm32-unknown-unknown`.
//!
//! ```
//! use swill_proto::{Payload, RequestFrame, RequestType, ResponseFrame};
//!
//! // A client asks `add` for 1 + 2 ...
//! let request = RequestFrame::message(1, "add", Payload::encode(&(1, 2))?);
//! let bytes = request.encode();
//! assert_eq!(bytes, [0x93, 0x01, 0x92, 0x01, 0x02, 0xa3, b'a', b'd', b'd']);
//!
//! // ... the server decodes the envelope; `data` stays raw until a handler wants it ...
//! let received = RequestFrame::decode(bytes.into())?;
//! assert_eq!(received.kind, RequestType::Message);
//! let (a, b): (i64, i64) = received.data.decode()?;
//!
//! // ... and answers with a response envelope, always 5 elements.
//! let answer = ResponseFrame::message(received.seq, Payload::encode(&(a + b))?);
//! assert_eq!(answer.encode(), [0x95, 0x01, 0x03, 0x00, 0xc0, 0xc0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The protocol itself is described in `docs/protocol.md` at the root of the
//! repository.

mod asyncapi;
mod codec;
mod error;
mod frame;
mod introspect;
pub mod json;
mod metadata;
mod payload;
mod read;
mod schemas;
#[cfg(feature = "test-util")]
pub mod testing;
mod token;
mod topic;
mod trace;
mod write;

pub use asyncapi::{ASYNCAPI_VERSION, AsyncApi};
pub use codec::Limits;
pub use error::{Code, DataError, DecodeError, DecodeErrorKind, EncodeError, ErrorBody};
pub use frame::{RequestFrame, RequestType, ResponseFrame, ResponseType, Seq};
pub use introspect::{Arguments, CallShape, INTROSPECT_RPC, MessageDesc, RpcDescription, TypeDesc};
pub use metadata::Metadata;
pub use payload::Payload;
/// Re-exported: metadata values and error data are dynamic MessagePack values.
pub use rmpv::Value;
pub use schemas::SchemaSet;
/// Re-exported so that users can mark byte buffers as MessagePack `bin`.
pub use serde_bytes;
pub use token::is_token;
pub use topic::{
    PRESENCE_RPC, PUBLISH_RPC, ParsePositionError, Position, PresenceEntry, PresenceRequest,
    PublishRequest, SUBSCRIBE_RPC, SubscribeRequest, TOPICS_RPC, TopicDescription, TopicEvent,
};
pub use trace::{TraceParent, TraceParentError};
