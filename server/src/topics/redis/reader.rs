//! The node's one Redis pub/sub connection: it subscribes to the channels of
//! the topics this node has subscribers for, and hands every message to the
//! hub. When the connection drops it reconnects, subscribes again, and has
//! every relay sync, so whatever was published meanwhile is recovered from
//! history (or subscribers are told it is lost).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::StreamExt;
use redis::aio::PubSubStream;
use swill_proto::Payload;
use tokio::sync::{mpsc, oneshot};

use super::super::engine::{Delivery, EngineError, EngineResult};
use super::super::hub::Hub;
use super::super::lock;
use super::{RedisConfig, scripts};

/// What the engine asks of its reader, in order.
pub(super) enum Command {
    /// Subscribe, and say when Redis confirmed it.
    Subscribe(String, oneshot::Sender<EngineResult<()>>),
    Unsubscribe(String),
}

/// Runs until the engine is dropped (its command sender with it).
pub(super) async fn run(
    config: RedisConfig,
    hub: Weak<Hub>,
    wanted: Arc<Mutex<HashSet<String>>>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let channel_prefix = format!("{}:{{", config.prefix);
    let mut delay = Duration::from_millis(50);
    let mut connected_before = false;
    loop {
        let pubsub =
            match tokio::time::timeout(Duration::from_secs(2), config.client.get_async_pubsub())
                .await
            {
                Ok(Ok(pubsub)) => pubsub,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "Redis pub/sub: cannot connect; retrying");
                    if !refuse_while_down(&mut commands, delay).await {
                        return;
                    }
                    delay = (delay * 2).min(Duration::from_secs(2));
                    continue;
                }
                Err(_) => {
                    tracing::warn!("Redis pub/sub: connecting timed out; retrying");
                    if !refuse_while_down(&mut commands, delay).await {
                        return;
                    }
                    delay = (delay * 2).min(Duration::from_secs(2));
                    continue;
                }
            };
        delay = Duration::from_millis(50);
        let (mut sink, stream) = pubsub.split();
        // The set of wanted channels is the truth; commands queued
        // meanwhile replay on top of it, in order, harmlessly.
        let channels: Vec<String> = lock(&wanted).iter().cloned().collect();
        if !channels.is_empty()
            && let Err(e) = sink.subscribe(&channels).await
        {
            tracing::warn!(error = %e, "Redis pub/sub: resubscribing failed; reconnecting");
            continue;
        }
        if connected_before {
            tracing::info!("Redis pub/sub: reconnected; topics sync from history");
            if let Some(hub) = hub.upgrade() {
                hub.resync_all();
            }
        }
        connected_before = true;
        if !serve(&mut sink, stream, &mut commands, &hub, &channel_prefix).await {
            return;
        }
        tracing::warn!("Redis pub/sub: connection lost; reconnecting");
    }
}

/// Reads messages and runs commands until the connection drops (false:
/// the engine is gone, stop for good).
async fn serve(
    sink: &mut redis::aio::PubSubSink,
    mut stream: PubSubStream,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    hub: &Weak<Hub>,
    channel_prefix: &str,
) -> bool {
    loop {
        tokio::select! {
            message = stream.next() => {
                let Some(message) = message else { return true };
                let Some(hub) = hub.upgrade() else { return false };
                deliver(&hub, &message, channel_prefix);
            }
            command = commands.recv() => match command {
                None => return false,
                Some(Command::Subscribe(channel, done)) => {
                    let result = sink.subscribe(&channel).await;
                    let failed = result.is_err();
                    let _ = done.send(result.map_err(|e| EngineError(format!("Redis: {e}"))));
                    if failed {
                        return true;
                    }
                }
                Some(Command::Unsubscribe(channel)) => {
                    if sink.unsubscribe(&channel).await.is_err() {
                        return true;
                    }
                }
            }
        }
    }
}

/// While Redis is unreachable, fails subscriptions at once (their callers
/// answer 503) rather than keeping them waiting. False once the engine is
/// gone.
async fn refuse_while_down(
    commands: &mut mpsc::UnboundedReceiver<Command>,
    wait: Duration,
) -> bool {
    let pause = tokio::time::sleep(wait);
    tokio::pin!(pause);
    loop {
        tokio::select! {
            () = &mut pause => return true,
            command = commands.recv() => match command {
                None => return false,
                Some(Command::Subscribe(_, done)) => {
                    let _ = done.send(Err(EngineError("Redis is unreachable".into())));
                }
                Some(Command::Unsubscribe(_)) => {}
            }
        }
    }
}

fn deliver(hub: &Arc<Hub>, message: &redis::Msg, channel_prefix: &str) {
    let topic = message
        .get_channel_name()
        .strip_prefix(channel_prefix)
        .and_then(|rest| rest.strip_suffix("}:messages"));
    let parsed = scripts::channel_message(message.get_payload_bytes());
    // Data that is not one well-formed value (a foreign publisher's bug)
    // would break every subscriber's frame: it is left out, and the gap it
    // leaves is reported to subscribers like any other.
    let data = parsed.and_then(|(epoch, offset, data)| {
        let data = Payload::from_untrusted(bytes::Bytes::copy_from_slice(data)).ok()?;
        Some((epoch, offset, data))
    });
    match (topic, data) {
        (Some(topic), Some((epoch, offset, data))) => hub.deliver(
            topic,
            Delivery {
                epoch: epoch.into(),
                offset,
                data,
            },
        ),
        _ => tracing::warn!(
            channel = message.get_channel_name(),
            "Redis pub/sub: a message not in swill's format was ignored"
        ),
    }
}
