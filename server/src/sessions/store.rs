//! Where sessions live: this process's memory, or Redis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;
use swill_proto::Payload;

/// A session's values, by key, still encoded.
pub(crate) type Values = HashMap<String, Payload>;

/// One request's changes to a session, in the order they were made:
/// `None` removes the key.
pub(crate) type Changes = Vec<(String, Option<Payload>)>;

/// The store failed (Redis unreachable): the request fails with 503.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct StoreError(pub(crate) String);

pub(crate) type StoreResult<T> = Result<T, StoreError>;

/// What sessions need from a store. Every operation renews the session's
/// idle expiry.
pub(crate) trait Store: Send + Sync + 'static {
    /// The session's values, `None` when it does not exist (never did,
    /// expired, destroyed).
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<Option<Values>>>;

    /// Applies changes key by key, creating the session if needed: keys
    /// another writer changed meanwhile keep their value unless changed
    /// here too.
    fn apply<'a>(&'a self, id: &'a str, changes: Changes) -> BoxFuture<'a, StoreResult<()>>;

    /// Deletes the session.
    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>>;
}

/// Sessions in this process's memory.
pub(crate) struct MemoryStore {
    idle: Duration,
    sessions: Mutex<HashMap<String, (Instant, Values)>>,
}

impl MemoryStore {
    pub(crate) fn new(idle: Duration) -> MemoryStore {
        MemoryStore {
            idle,
            sessions: Mutex::default(),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Values)>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for MemoryStore {
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<Option<Values>>> {
        let now = Instant::now();
        let mut sessions = self.sessions();
        // Expired sessions go when next looked at, and now and then all at
        // once, so that abandoned ones do not pile up.
        if fastrand::u8(..) == 0 {
            sessions.retain(|_, (used, _)| now.duration_since(*used) <= self.idle);
        }
        let values = match sessions.get_mut(id) {
            // An empty session is no session, as in Redis.
            Some((used, values))
                if now.duration_since(*used) <= self.idle && !values.is_empty() =>
            {
                *used = now;
                Some(values.clone())
            }
            Some(_) => {
                sessions.remove(id);
                None
            }
            None => None,
        };
        futures::future::ready(Ok(values)).boxed()
    }

    fn apply<'a>(&'a self, id: &'a str, changes: Changes) -> BoxFuture<'a, StoreResult<()>> {
        let now = Instant::now();
        let mut sessions = self.sessions();
        let (used, values) = sessions
            .entry(id.to_owned())
            .or_insert_with(|| (now, Values::new()));
        if now.duration_since(*used) > self.idle {
            values.clear();
        }
        *used = now;
        for (key, value) in changes {
            match value {
                Some(value) => values.insert(key, value),
                None => values.remove(&key),
            };
        }
        futures::future::ready(Ok(())).boxed()
    }

    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        self.sessions().remove(id);
        futures::future::ready(Ok(())).boxed()
    }
}
