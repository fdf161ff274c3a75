//! [`Topics`]: the declared topics over one engine, and the handle that
//! publishes to them from anywhere.

use std::sync::Arc;

use serde::Serialize;
use swill_proto::{Code, Payload, Position, PresenceEntry, TopicDescription};

use super::engine::{Engine, EngineError};
use super::hub::Hub;
use super::memory::MemoryEngine;
#[cfg(feature = "redis")]
use super::redis::{RedisConfig, RedisEngine};
use super::topic::Topic;
use crate::error::Error;

/// The longest topic name accepted, in bytes.
const MAX_TOPIC_LEN: usize = 1024;

/// The declared topics and the engine that carries them: publish from
/// anywhere with a clone of it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), swill::Error> {
/// use swill::App;
/// use swill::topics::{Topic, Topics};
///
/// let topics = Topics::builder()
///     .topic(Topic::new("ticks").history(10, None))
///     .build();
/// let app = App::new().topics(topics.clone());
///
/// // From a background task, say:
/// let position = topics.publish("ticks", &42).await?;
/// assert_eq!(position.offset, 1);
/// # drop(app); Ok(()) }
/// ```
///
/// Cheap to clone; every clone shares the engine. The same type, built with
/// the Redis engine, publishes from a process that serves no clients (a
/// worker, a cron job) to the subscribers of every node.
#[derive(Clone)]
pub struct Topics {
    inner: Arc<Inner>,
}

struct Inner {
    topics: Vec<Topic>,
    engine: Arc<dyn Engine>,
    hub: Arc<Hub>,
}

/// Builds [`Topics`]: the declarations and the engine.
#[derive(Default)]
#[must_use]
pub struct TopicsBuilder {
    topics: Vec<Topic>,
    node: Option<String>,
    #[cfg(feature = "redis")]
    redis: Option<RedisConfig>,
}

impl TopicsBuilder {
    /// Declares a topic, or a family of them (see [`Topic`]).
    ///
    /// # Panics
    ///
    /// When a topic of the same name is already declared.
    pub fn topic(mut self, topic: Topic) -> Self {
        assert!(
            self.topics.iter().all(|t| t.name != topic.name),
            "the topic `{}` is declared twice",
            topic.name
        );
        self.topics.push(topic);
        self
    }

    /// Names this node in presence listings and logs (default: a random
    /// name, new at each start).
    pub fn node(mut self, name: impl Into<String>) -> Self {
        self.node = Some(name.into());
        self
    }

    /// Keeps topics in Redis instead of this process: every node (and every
    /// publisher) using the same Redis and prefix shares them.
    #[cfg(feature = "redis")]
    pub fn redis(mut self, config: RedisConfig) -> Self {
        self.redis = Some(config);
        self
    }

    /// Builds the topics. With Redis, nothing connects yet: the first use
    /// does, and a Redis that is down answers 503 until it is back.
    pub fn build(self) -> Topics {
        #[cfg(feature = "redis")]
        let engine: Arc<dyn Engine> = match self.redis {
            Some(config) => Arc::new(RedisEngine::new(config)),
            None => Arc::new(MemoryEngine::default()),
        };
        #[cfg(not(feature = "redis"))]
        let engine: Arc<dyn Engine> = Arc::new(MemoryEngine::default());
        let node = self
            .node
            .unwrap_or_else(|| format!("node-{}", super::engine::new_epoch()));
        let hub = Arc::new(Hub::new(engine.clone(), node.into()));
        engine.attach(Arc::downgrade(&hub));
        // Exact names win over patterns, whatever the declaration order.
        let mut topics = self.topics;
        topics.sort_by_key(Topic::is_pattern);
        Topics {
            inner: Arc::new(Inner {
                topics,
                engine,
                hub,
            }),
        }
    }
}

impl Topics {
    /// Starts declaring topics.
    pub fn builder() -> TopicsBuilder {
        TopicsBuilder::default()
    }

    /// Publishes a value to every subscriber of `topic`, on every node,
    /// and returns its position.
    ///
    /// Fails with 404 for a topic that is not declared, and 503 when the
    /// engine is unreachable: then nothing was published (or, if the
    /// connection broke just after Redis ran the publication, its answer
    /// was lost: subscribers may still receive it).
    pub async fn publish<T: Serialize + ?Sized>(
        &self,
        topic: &str,
        value: &T,
    ) -> Result<Position, Error> {
        let data = crate::reply::encode(value)?;
        self.publish_payload(topic, data).await
    }

    /// Publishes an already encoded value.
    pub async fn publish_payload(&self, topic: &str, data: Payload) -> Result<Position, Error> {
        let declared = self.find(topic)?;
        let (epoch, offset) = self
            .inner
            .engine
            .publish(topic, data, declared.retention)
            .await
            .map_err(unavailable)?;
        crate::metrics::published(declared.name());
        Ok(Position::new(&*epoch, offset))
    }

    /// Who is subscribed to `topic`, on every node: one entry per
    /// connection, sorted.
    pub async fn presence(&self, topic: &str) -> Result<Vec<PresenceEntry>, Error> {
        self.find(topic)?;
        let mut entries = self
            .inner
            .engine
            .presence(topic)
            .await
            .map_err(unavailable)?;
        entries.sort();
        entries.dedup();
        Ok(entries)
    }

    /// This node's name, as presence lists it.
    pub fn node(&self) -> &str {
        self.inner.hub.node()
    }

    /// The declared topics.
    pub fn declared(&self) -> &[Topic] {
        &self.inner.topics
    }

    /// The declared topics as `swill.topics` describes them.
    pub fn descriptions(&self) -> Vec<TopicDescription> {
        self.inner.topics.iter().map(Topic::describe).collect()
    }

    /// The declaration `topic` falls under: 404 when there is none, 400
    /// when the name is not one a topic can have.
    pub(crate) fn find(&self, topic: &str) -> Result<&Topic, Error> {
        if topic.is_empty() || topic.len() > MAX_TOPIC_LEN || topic.contains('*') {
            return Err(Error::bad_request(format!(
                "a topic name is 1 to {MAX_TOPIC_LEN} bytes, without `*`"
            )));
        }
        self.inner
            .topics
            .iter()
            .find(|t| t.matches(topic))
            .ok_or_else(|| Error::not_found(format!("no topic `{topic}` is declared")))
    }

    pub(crate) fn hub(&self) -> &Arc<Hub> {
        &self.inner.hub
    }
}

impl std::fmt::Debug for Topics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topics")
            .field("node", &self.node())
            .field("topics", &self.inner.topics)
            .finish_non_exhaustive()
    }
}

/// The engine failed: the caller is told, with 503; what failed is in the
/// log only (Redis's own words carry script hashes, line numbers and
/// addresses, as sessions' failures do not reach the caller either).
pub(crate) fn unavailable(e: EngineError) -> Error {
    tracing::warn!(error = %e, "the topic engine failed");
    Error::new(Code::UNAVAILABLE, "the topic engine is unavailable")
}
