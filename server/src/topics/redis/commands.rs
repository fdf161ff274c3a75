//! The connection for commands (scripts, presence, sessions), kept
//! connected by a watch.
//!
//! redis-rs's `ConnectionManager` reconnects when a command fails on a
//! dropped connection: on its own it notices a restarted Redis only then.
//! A node idle through a restart would fail the first request after it, an
//! hour later as well as a second later. The watch PINGs every second, so
//! that the failed command is its own and the manager is connected again
//! before a request needs it. Only a request made in that second (or while
//! Redis is down) still gets a 503, and that caller is told.
//!
//! What this node keeps in Redis (presence) is written again by the hub
//! once its topics have synced after the pub/sub connection came back (see
//! `Hub::resync_all`): that connection drops with every restart.

use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::task::JoinHandle;

use super::RedisConfig;
use crate::topics::lock;

/// How often the watch PINGs.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// Where the clones of a [`RedisConfig`] find the command connection
/// their topics and sessions share. Held weakly: it lives as long as the
/// engines that use it, not as long as a config kept around.
#[derive(Clone, Default)]
pub(crate) struct SharedCommands(Arc<Mutex<Weak<Commands>>>);

impl SharedCommands {
    fn get(&self, client: &redis::Client) -> Result<Arc<Commands>, String> {
        let mut shared = lock(&self.0);
        if let Some(commands) = shared.upgrade() {
            return Ok(commands);
        }
        let commands = Arc::new(Commands::new(client)?);
        *shared = Arc::downgrade(&commands);
        Ok(commands)
    }
}

impl std::fmt::Debug for SharedCommands {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedCommands")
    }
}

/// An engine's (or a session store's) hold on the shared command
/// connection, taken on first use: no Redis needs to be up before.
#[derive(Default)]
pub(crate) struct CommandsHold(OnceLock<Result<Arc<Commands>, String>>);

impl CommandsHold {
    /// A handle for one request, or why there is no connection to make.
    pub(crate) fn connection(&self, config: &RedisConfig) -> Result<ConnectionManager, String> {
        let held = self.0.get_or_init(|| config.commands.get(&config.client));
        match held {
            Ok(commands) => Ok(commands.manager.clone()),
            Err(e) => Err(e.clone()),
        }
    }
}

/// A command connection and its watch, which stops when this is dropped.
struct Commands {
    manager: ConnectionManager,
    /// None outside a runtime (a connection first wanted while dropping
    /// something at exit): then it reconnects on failure only.
    watch: Option<JoinHandle<()>>,
}

impl Commands {
    /// Connects lazily: no Redis needs to be running yet.
    fn new(client: &redis::Client) -> Result<Commands, String> {
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2);
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), settings)
            .map_err(|e| e.to_string())?;
        let watch = tokio::runtime::Handle::try_current()
            .ok()
            .map(|runtime| runtime.spawn(watch(manager.clone())));
        Ok(Commands { manager, watch })
    }
}

impl Drop for Commands {
    fn drop(&mut self) {
        if let Some(watch) = &self.watch {
            watch.abort();
        }
    }
}

async fn watch(mut manager: ConnectionManager) {
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tick.tick().await;
        let answered = redis::cmd("PING").query_async::<()>(&mut manager).await;
        match (&answered, failing) {
            (Ok(()), true) => tracing::info!("Redis commands: connected again"),
            (Err(e), false) => {
                tracing::warn!(error = %e, "Redis commands: no answer to PING; reconnecting")
            }
            _ => {}
        }
        failing = answered.is_err();
    }
}
