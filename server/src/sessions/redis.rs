//! Sessions in Redis: one hash per session, `PREFIX:session:{ID}`, a field
//! per key holding the MessagePack value, expiring after the idle timeout
//! (renewed on every use).

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use redis::aio::ConnectionManager;
use swill_proto::Payload;

use super::store::{Changes, Store, StoreError, StoreResult, Values};
use crate::topics::{CommandsHold, RedisConfig};

pub(crate) struct RedisStore {
    config: RedisConfig,
    commands: CommandsHold,
    idle: Duration,
}

impl RedisStore {
    pub(crate) fn new(config: RedisConfig, idle: Duration) -> RedisStore {
        RedisStore {
            config,
            commands: CommandsHold::default(),
            idle,
        }
    }

    fn key(&self, id: &str) -> String {
        format!("{}:session:{{{id}}}", self.config.prefix_str())
    }

    fn ttl_ms(&self) -> u64 {
        self.idle.as_millis().max(1) as u64
    }

    fn connection(&self) -> StoreResult<ConnectionManager> {
        self.commands.connection(&self.config).map_err(StoreError)
    }
}

fn failed(e: redis::RedisError) -> StoreError {
    StoreError(format!("Redis: {e}"))
}

impl Store for RedisStore {
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<Option<Values>>> {
        async move {
            let mut conn = self.connection()?;
            let key = self.key(id);
            let (fields, _): (Vec<(String, Vec<u8>)>, i64) = redis::pipe()
                .cmd("HGETALL")
                .arg(&key)
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(self.ttl_ms())
                .query_async(&mut conn)
                .await
                .map_err(failed)?;
            if fields.is_empty() {
                return Ok(None);
            }
            let values = fields
                .into_iter()
                .filter_map(|(k, v)| Some((k, Payload::from_untrusted(v).ok()?)))
                .collect();
            Ok(Some(values))
        }
        .boxed()
    }

    fn apply<'a>(&'a self, id: &'a str, changes: Changes) -> BoxFuture<'a, StoreResult<()>> {
        async move {
            let mut conn = self.connection()?;
            let key = self.key(id);
            let mut pipe = redis::pipe();
            pipe.atomic();
            for (field, value) in &changes {
                match value {
                    Some(value) => pipe.cmd("HSET").arg(&key).arg(field).arg(value.as_bytes()),
                    None => pipe.cmd("HDEL").arg(&key).arg(field),
                };
            }
            pipe.cmd("PEXPIRE").arg(&key).arg(self.ttl_ms());
            let _: redis::Value = pipe.query_async(&mut conn).await.map_err(failed)?;
            Ok(())
        }
        .boxed()
    }

    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        async move {
            let mut conn = self.connection()?;
            let _: redis::Value = redis::cmd("DEL")
                .arg(self.key(id))
                .query_async(&mut conn)
                .await
                .map_err(failed)?;
            Ok(())
        }
        .boxed()
    }
}
