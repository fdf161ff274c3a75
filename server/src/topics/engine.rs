//! What an engine does for topics: number and keep publications, carry them
//! to every node, and remember who is subscribed.
//!
//! Two engines implement it: [`memory`](super::memory) (one process) and
//! [`redis`](super::redis) (many nodes sharing one Redis). The hub above them
//! is the same for both, so both pass the same tests.

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use swill_proto::{Payload, PresenceEntry};

use super::hub::Hub;

/// A publication as an engine hands it to the node's hub.
#[derive(Clone, Debug)]
pub(crate) struct Delivery {
    pub(crate) epoch: Arc<str>,
    pub(crate) offset: u64,
    pub(crate) data: Payload,
}

/// A topic's state as the engine holds it: its epoch, its latest offset,
/// and the retained publications after the offset asked for.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) epoch: Arc<str>,
    pub(crate) top: u64,
    /// In offset order; only those the history still holds.
    pub(crate) entries: Vec<(u64, Payload)>,
}

/// How much of a topic's past the engine keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Retention {
    /// The last `size` publications (0 keeps none).
    pub(crate) size: usize,
    /// ...each for at most this long (`None`: until pushed out by newer ones).
    pub(crate) ttl: Option<Duration>,
}

/// The engine failed (Redis unreachable, a script error): the caller gets
/// 503 and nothing happened silently.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct EngineError(pub(crate) String);

pub(crate) type EngineResult<T> = Result<T, EngineError>;

/// The operations the hub and the publisher need from an engine.
pub(crate) trait Engine: Send + Sync + 'static {
    /// Tells the engine where to deliver publications (and reconnections).
    fn attach(&self, hub: Weak<Hub>);

    /// Numbers the publication, keeps it per `retention`, and carries it to
    /// every node that joined the topic, atomically.
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        data: Payload,
        retention: Retention,
    ) -> BoxFuture<'a, EngineResult<(Arc<str>, u64)>>;

    /// Starts carrying the topic's publications to this node's hub;
    /// resolves once every later publication will arrive.
    fn join<'a>(&'a self, topic: &'a str) -> BoxFuture<'a, EngineResult<()>>;

    /// Stops carrying the topic to this node (no subscriber is left).
    fn leave(&self, topic: &str);

    /// The topic's epoch and latest offset (starting an epoch if it has
    /// none), with the retained publications after `after`, if given.
    fn snapshot<'a>(
        &'a self,
        topic: &'a str,
        after: Option<u64>,
        retention: Retention,
    ) -> BoxFuture<'a, EngineResult<Snapshot>>;

    /// Records (or refreshes) subscribers, each under a key unique to its
    /// subscription.
    fn presence_add<'a>(
        &'a self,
        topic: &'a str,
        entries: Vec<(String, PresenceEntry)>,
    ) -> BoxFuture<'a, EngineResult<()>>;

    /// Forgets one subscription.
    fn presence_remove(&self, topic: &str, key: String);

    /// Everyone subscribed to the topic, on every node; entries of nodes
    /// that stopped refreshing them have expired.
    fn presence<'a>(&'a self, topic: &'a str) -> BoxFuture<'a, EngineResult<Vec<PresenceEntry>>>;

    /// How often this node must refresh its presence entries, if ever.
    fn presence_refresh(&self) -> Option<Duration>;
}

/// A new epoch: random, so that no two runs of an engine share one.
pub(crate) fn new_epoch() -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(12)
        .collect()
}
