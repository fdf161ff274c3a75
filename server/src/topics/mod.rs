//! Topics: publish once, and every subscriber receives it, on whichever node
//! it is connected, in one order, with history to recover what a
//! reconnecting client missed.
//!
//! ```
//! use std::time::Duration;
//! use swill::App;
//! use swill::topics::{Topic, Topics};
//!
//! let topics = Topics::builder()
//!     // The last 100 messages of the last hour, for clients that reconnect.
//!     .topic(Topic::new("chat").history(100, Some(Duration::from_secs(3600))))
//!     .build();
//! let app = App::new().topics(topics.clone());
//! // `topics.publish("chat", &msg)` from anywhere; `ctx.publish(...)` from
//! // a handler; clients call `swill.subscribe` and `swill.publish`.
//! ```
//!
//! - [`Topic`] declares a topic or a family (`chat.*`): history, the bound
//!   of each subscriber's queue, an access check, a message type.
//! - [`Topics`] holds the declarations and the engine: in this process
//!   (the default) or, with the `redis` feature, in Redis
//!   (`TopicsBuilder::redis`), shared by every node.
//! - Each publication gets a [`Position`]: the topic's
//!   epoch and an offset counting from 1. A client resubscribing with its
//!   last position gets exactly what it missed, or is told plainly that it
//!   could not be recovered (`recovered: false`).
//!
//! The wire format of the built-in rpcs is in `swill_proto`'s topic
//! module and in docs/protocol.md; the guide has a chapter "Topics and
//! running several nodes".

mod engine;
mod handle;
mod hub;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod rpc;
mod subscriber;
mod subscription;
mod topic;

use std::sync::{Mutex, MutexGuard};

pub use handle::{Topics, TopicsBuilder};
#[cfg(feature = "redis")]
pub(crate) use redis::CommandsHold;
#[cfg(feature = "redis")]
pub use redis::RedisConfig;
pub use swill_proto::{Position, PresenceEntry};
pub use topic::{Access, Action, Topic};

pub(crate) use rpc::routes;

/// Locks a mutex whose data stays valid even if a holder panicked: no user
/// code runs under the topics' locks.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
