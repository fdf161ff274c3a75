//! The Redis engine: many nodes share topics through one Redis.
//!
//! Each topic has, under a prefix (`swill` by default) and with the topic's
//! name as the Redis Cluster hash tag:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `swill:{chat}:meta` | hash | `epoch`, `top` (the latest offset) |
//! | `swill:{chat}:history` | stream | entry id `offset-0`, fields `t` (ms), `d` (data) |
//! | `swill:{chat}:presence` | sorted set | members `connection/subscription/node`, scored by expiry (ms) |
//! | `swill:{chat}:messages` | pub/sub channel | MessagePack `[epoch, offset, data]` |
//!
//! A Lua script numbers, keeps and publishes each publication in one step.
//! A missing meta hash (a Redis that lost its data, or a topic never used)
//! gets a new random epoch, so clients learn that history was lost.

mod commands;
mod reader;
mod scripts;

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, Weak};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use redis::aio::ConnectionManager;
use swill_proto::{Payload, PresenceEntry};
use tokio::sync::mpsc;

use super::engine::{Engine, EngineError, EngineResult, Retention, Snapshot, new_epoch};
use super::hub::Hub;
use super::lock;
pub(crate) use commands::CommandsHold;
use commands::SharedCommands;
use reader::Command;

/// Where and how the Redis engine connects.
///
/// ```
/// use std::time::Duration;
/// use swill::topics::{RedisConfig, Topic, Topics};
///
/// let redis = RedisConfig::new("redis://127.0.0.1:6379/")
///     .expect("a valid URL")
///     .prefix("myapp");
/// let topics = Topics::builder()
///     .topic(Topic::new("chat").history(100, Some(Duration::from_secs(600))))
///     .redis(redis)
///     .build();
/// ```
#[derive(Clone, Debug)]
pub struct RedisConfig {
    client: redis::Client,
    prefix: String,
    meta_ttl: Option<Duration>,
    presence_ttl: Duration,
    /// Shared by this config's clones: the topics and the sessions built
    /// from one config use one connection for their commands.
    commands: SharedCommands,
}

impl RedisConfig {
    /// Parses a Redis URL (`redis://[user:password@]host:port[/db]`).
    /// Nothing connects yet: the nodes connect when first used, and keep
    /// reconnecting. (`rediss://`, TLS to Redis, is not built in yet.)
    pub fn new(url: &str) -> Result<RedisConfig, redis::RedisError> {
        Ok(RedisConfig {
            client: redis::Client::open(url)?,
            prefix: "swill".to_owned(),
            meta_ttl: Some(Duration::from_secs(7 * 24 * 3600)),
            presence_ttl: Duration::from_secs(60),
            commands: SharedCommands::default(),
        })
    }

    /// The prefix of every key and channel (default `swill`), so that
    /// several apps can share one Redis.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a topic's numbering is kept after its last publication
    /// (default 7 days; `None`: forever), and its history too when the
    /// topic's history has no ttl of its own. When it expires, the next
    /// publication starts a new epoch.
    pub fn meta_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.meta_ttl = ttl;
        self
    }

    /// How long a presence entry lives unless its node refreshes it
    /// (default 60 s; nodes refresh at 40% of it). Entries of a node that
    /// died go away after this long.
    pub fn presence_ttl(mut self, ttl: Duration) -> Self {
        self.presence_ttl = ttl.max(Duration::from_millis(100));
        self
    }

    /// The prefix of every key.
    pub(crate) fn prefix_str(&self) -> &str {
        &self.prefix
    }

    pub(crate) fn key(&self, topic: &str, kind: &str) -> String {
        format!("{}:{{{topic}}}:{kind}", self.prefix)
    }
}

/// The scripts, each hashed once: an invocation names its script by SHA1
/// (EVALSHA), and hashing it for every publication is wasted work.
static PUBLISH_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(scripts::PUBLISH));
static SNAPSHOT_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(scripts::SNAPSHOT));
static PRESENCE_ADD_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(scripts::PRESENCE_ADD));
static PRESENCE_LIST_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(scripts::PRESENCE_LIST));

/// Topics in Redis, shared by every node that uses the same Redis and
/// prefix.
pub(crate) struct RedisEngine {
    config: RedisConfig,
    commands: CommandsHold,
    hub: OnceLock<Weak<Hub>>,
    /// The channels this node wants; the reader subscribes them again
    /// after each reconnection.
    wanted: Arc<Mutex<HashSet<String>>>,
    /// Started on first use.
    reader: Mutex<Option<mpsc::UnboundedSender<Command>>>,
}

impl RedisEngine {
    pub(crate) fn new(config: RedisConfig) -> RedisEngine {
        RedisEngine {
            config,
            commands: CommandsHold::default(),
            hub: OnceLock::new(),
            wanted: Arc::default(),
            reader: Mutex::default(),
        }
    }

    fn connection(&self) -> EngineResult<ConnectionManager> {
        self.commands.connection(&self.config).map_err(EngineError)
    }

    /// Sends a command to the reader, starting it on first use.
    fn tell_reader(&self, command: Command) {
        // One lock for both, so that the set and the queue agree on order.
        let mut reader = lock(&self.reader);
        {
            let mut wanted = lock(&self.wanted);
            match &command {
                Command::Subscribe(channel, _) => wanted.insert(channel.clone()),
                Command::Unsubscribe(channel) => wanted.remove(channel),
            };
        }
        let reader = reader.get_or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let hub = self.hub.get().cloned().unwrap_or_default();
            tokio::spawn(reader::run(
                self.config.clone(),
                hub,
                self.wanted.clone(),
                rx,
            ));
            tx
        });
        let _ = reader.send(command);
    }

    fn meta_ttl_secs(&self) -> u64 {
        self.config.meta_ttl.map_or(0, |t| t.as_secs().max(1))
    }
}

impl Engine for RedisEngine {
    fn attach(&self, hub: Weak<Hub>) {
        let _ = self.hub.set(hub);
    }

    fn publish<'a>(
        &'a self,
        topic: &'a str,
        data: Payload,
        retention: Retention,
    ) -> BoxFuture<'a, EngineResult<(Arc<str>, u64)>> {
        async move {
            let mut conn = self.connection()?;
            let ttl = retention.ttl.map_or(0, |t| t.as_millis().max(1) as u64);
            let answer = PUBLISH_SCRIPT
                .key(self.config.key(topic, "meta"))
                .key(self.config.key(topic, "history"))
                .key(self.config.key(topic, "messages"))
                .arg(data.as_bytes())
                .arg(retention.size)
                .arg(ttl)
                .arg(self.meta_ttl_secs())
                .arg(new_epoch())
                .invoke_async(&mut conn)
                .await
                .map_err(redis_error)?;
            scripts::published(answer)
        }
        .boxed()
    }

    fn join<'a>(&'a self, topic: &'a str) -> BoxFuture<'a, EngineResult<()>> {
        let (done, subscribed) = tokio::sync::oneshot::channel();
        self.tell_reader(Command::Subscribe(self.config.key(topic, "messages"), done));
        async move {
            match subscribed.await {
                Ok(result) => result,
                Err(_) => Err(EngineError("the Redis reader stopped".into())),
            }
        }
        .boxed()
    }

    fn leave(&self, topic: &str) {
        self.tell_reader(Command::Unsubscribe(self.config.key(topic, "messages")));
    }

    fn snapshot<'a>(
        &'a self,
        topic: &'a str,
        after: Option<u64>,
        retention: Retention,
    ) -> BoxFuture<'a, EngineResult<Snapshot>> {
        async move {
            let mut conn = self.connection()?;
            let after = after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
            let answer = SNAPSHOT_SCRIPT
                .key(self.config.key(topic, "meta"))
                .key(self.config.key(topic, "history"))
                .arg(after)
                .arg(self.meta_ttl_secs())
                .arg(new_epoch())
                .invoke_async(&mut conn)
                .await
                .map_err(redis_error)?;
            scripts::snapshot(answer, retention.ttl)
        }
        .boxed()
    }

    fn presence_add<'a>(
        &'a self,
        topic: &'a str,
        entries: Vec<(String, PresenceEntry)>,
    ) -> BoxFuture<'a, EngineResult<()>> {
        async move {
            let mut conn = self.connection()?;
            let mut invocation = PRESENCE_ADD_SCRIPT.key(self.config.key(topic, "presence"));
            invocation.arg(self.config.presence_ttl.as_millis() as u64);
            for (key, _) in &entries {
                invocation.arg(key);
            }
            let _: redis::Value = invocation
                .invoke_async(&mut conn)
                .await
                .map_err(redis_error)?;
            Ok(())
        }
        .boxed()
    }

    fn presence_remove(&self, topic: &str, key: String) {
        let Ok(mut conn) = self.connection() else {
            return;
        };
        let set = self.config.key(topic, "presence");
        tokio::spawn(async move {
            let removed: redis::RedisResult<redis::Value> = redis::cmd("ZREM")
                .arg(set)
                .arg(key)
                .query_async(&mut conn)
                .await;
            if let Err(e) = removed {
                // It expires by itself; only the listing is wrong meanwhile.
                tracing::debug!(error = %e, "could not remove a presence entry");
            }
        });
    }

    fn presence<'a>(&'a self, topic: &'a str) -> BoxFuture<'a, EngineResult<Vec<PresenceEntry>>> {
        async move {
            let mut conn = self.connection()?;
            let members: Vec<String> = PRESENCE_LIST_SCRIPT
                .key(self.config.key(topic, "presence"))
                .invoke_async(&mut conn)
                .await
                .map_err(redis_error)?;
            Ok(members
                .iter()
                .filter_map(|m| scripts::presence_entry(m))
                .collect())
        }
        .boxed()
    }

    fn presence_refresh(&self) -> Option<Duration> {
        Some(self.config.presence_ttl * 2 / 5)
    }
}

fn redis_error(e: redis::RedisError) -> EngineError {
    EngineError(format!("Redis: {e}"))
}
