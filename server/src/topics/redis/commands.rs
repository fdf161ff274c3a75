//! The connection for commands (scripts, presence, sessions), kept
//! connected by a watch.
//!
//! redis-rs's `ConnectionManager` reconnects when a command fails on a
//! dropped connection: on its own it notices a restarted Redis only then.
//! A node idle through a restart would fail the first request after it, an
//! hour later as well as a second later. The watch asks Redis for the
//! connection's id every second (`CLIENT ID`, as cheap as a PING), so the
//! failed command is its own and the manager is connected again before a
//! request needs it. Only a request made in that second (or while Redis is
//! down) still gets a 503, and that caller is told. A new id also says the
//! connection is a new one, which is when what this node keeps in Redis
//! (presence) is written again.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::task::JoinHandle;

use super::RedisConfig;

/// How often the watch asks.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// Called when Redis answers again after the watch saw it fail: whatever
/// this node keeps in Redis may be gone (a Redis restarted empty).
pub(crate) type OnRecovered = Arc<dyn Fn() + Send + Sync>;

/// A command connection and its watch, which stops when this is dropped.
pub(crate) struct Commands {
    manager: ConnectionManager,
    /// None outside a runtime (a connection first wanted while dropping
    /// something at exit): then it reconnects on failure only.
    watch: Option<JoinHandle<()>>,
}

impl Commands {
    /// Connects lazily: no Redis needs to be running yet.
    pub(crate) fn new(
        config: &RedisConfig,
        on_recovered: Option<OnRecovered>,
    ) -> Result<Commands, String> {
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2);
        let manager = ConnectionManager::new_lazy_with_config(config.client.clone(), settings)
            .map_err(|e| e.to_string())?;
        let watch = tokio::runtime::Handle::try_current()
            .ok()
            .map(|runtime| runtime.spawn(watch(manager.clone(), on_recovered)));
        Ok(Commands { manager, watch })
    }

    /// A handle for one request (a cheap clone).
    pub(crate) fn connection(&self) -> ConnectionManager {
        self.manager.clone()
    }
}

impl Drop for Commands {
    fn drop(&mut self) {
        if let Some(watch) = &self.watch {
            watch.abort();
        }
    }
}

async fn watch(mut manager: ConnectionManager, on_recovered: Option<OnRecovered>) {
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Redis numbers each connection it accepts: another number means the
    // manager connected again, whichever command saw the old one fail
    // (this one, or a request's).
    let mut last: Option<i64> = None;
    let mut failing = false;
    loop {
        tick.tick().await;
        match redis::cmd("CLIENT")
            .arg("ID")
            .query_async::<i64>(&mut manager)
            .await
        {
            Ok(id) => {
                if last.is_some_and(|last| last != id) {
                    tracing::info!("Redis commands: connected again");
                    if let Some(on_recovered) = &on_recovered {
                        on_recovered();
                    }
                }
                last = Some(id);
                failing = false;
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "Redis commands: no answer; reconnecting");
                }
                failing = true;
            }
        }
    }
}
