//! The node's side of topics: one relay per topic with local subscribers,
//! passing the engine's publications on to them in order, exactly once.
//!
//! A relay knows the position (epoch, offset) of the last publication it
//! passed on. A publication that follows it is fanned out at once; one
//! already passed on is dropped; one that leaves a gap (or comes in a new
//! epoch) starts a *sync*: the relay asks the engine for what it missed,
//! passes that on, and only then carries on, holding what arrives meanwhile.
//! When the engine cannot fill the gap (no history, history too short, or a
//! new epoch because the engine lost its data), subscribers are told with a
//! [`Item::Lost`] and continue from the engine's latest position.
//!
//! Fan-out never waits: each subscriber has a bounded queue, and one whose
//! queue is full is dropped from the relay and told it lagged. So a slow
//! subscriber never slows publishers, the engine's reader or other
//! subscribers, and memory stays bounded.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use swill_proto::{Payload, PresenceEntry, TopicEvent};
use tokio::sync::mpsc;

use super::engine::{Delivery, Engine, EngineError, Retention, Snapshot};
use super::lock;
use super::subscriber::{self, Direct, Item, Lag, Subscriber};

/// Deliveries held while a relay syncs; past this the sync reads the engine
/// again instead of holding more.
const PENDING_LIMIT: usize = 4096;

/// The node's relays, by topic.
pub(crate) struct Hub {
    engine: Arc<dyn Engine>,
    relays: Mutex<HashMap<Arc<str>, Arc<Relay>>>,
    node: Arc<str>,
    next_subscriber: AtomicU64,
    presence_refresh_started: AtomicBool,
}

struct Relay {
    topic: Arc<str>,
    retention: Retention,
    /// Holders (joiners and subscribers); changed only under the hub's
    /// map lock, so a relay is removed exactly when the last one leaves.
    refs: AtomicUsize,
    /// Serialises syncs; true once the engine carries the topic here.
    sync: tokio::sync::Mutex<bool>,
    state: Mutex<State>,
}

struct State {
    /// The last publication passed on; `None` before the first sync.
    position: Option<(Arc<str>, u64)>,
    /// A sync is due or under way: deliveries wait in `pending`.
    syncing: bool,
    pending: VecDeque<Delivery>,
    /// Something may have been missed since the sync read the engine
    /// (`pending` overflowed, or the engine reconnected): read it again.
    stale: bool,
    /// The engine reconnected, and its store may have lost this node's
    /// presence entries (a Redis restarted empty): the sync that follows
    /// writes them again, rather than the refresh up to 2/5 of their
    /// lifetime later. A write that fails leaves it set; the next sync or
    /// refresh that writes them clears it.
    presence_lost: bool,
    subscribers: Vec<Subscriber>,
}

/// A new subscriber's queue and where it starts.
pub(crate) struct Joined {
    pub(crate) rx: mpsc::Receiver<Item>,
    /// Set when the subscriber was dropped for falling behind.
    pub(crate) lag: Lag,
    /// The last publication the relay passed on before this subscriber
    /// joined: everything after it arrives through `rx`.
    pub(crate) start: (Arc<str>, u64),
    /// Leaves the topic when dropped.
    pub(crate) membership: Membership,
}

/// A hold on a relay; dropping it leaves (and, for the last one, stops
/// the engine carrying the topic here).
pub(crate) struct Membership {
    hub: Arc<Hub>,
    relay: Arc<Relay>,
    subscriber: Option<(u64, String)>,
    /// The declared topic (a name or a `prefix.*` pattern) the subscriber
    /// counts under in metrics: clients choose topic names, not labels.
    label: Option<Arc<str>>,
}

impl Hub {
    pub(crate) fn new(engine: Arc<dyn Engine>, node: Arc<str>) -> Hub {
        Hub {
            engine,
            relays: Mutex::default(),
            node,
            next_subscriber: AtomicU64::new(1),
            presence_refresh_started: AtomicBool::new(false),
        }
    }

    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// Subscribes a connection: the relay syncs first if it is new, then
    /// the subscriber is added with a queue of `queue` items (and `direct`,
    /// the call's way past itself, when it has one).
    pub(crate) async fn join(
        self: &Arc<Self>,
        topic: &str,
        label: &str,
        retention: Retention,
        queue: usize,
        connection: u64,
        direct: Option<Direct>,
    ) -> Result<Joined, EngineError> {
        let mut membership = self.acquire(topic, retention);
        let relay = membership.relay.clone();
        {
            let mut joined = relay.sync.lock().await;
            if !*joined {
                self.engine.join(topic).await?;
                relay.sync_with(&*self.engine).await?;
                // Nothing of this node's is in the store for a new relay:
                // each joiner writes its own entry next.
                relay.state().presence_lost = false;
                *joined = true;
            }
        }
        let id = self.next_subscriber.fetch_add(1, Ordering::Relaxed);
        let presence = PresenceEntry {
            node: self.node.to_string(),
            connection,
        };
        let presence_key = format!("{connection}/{id}/{}", self.node);
        self.engine
            .presence_add(topic, vec![(presence_key.clone(), presence.clone())])
            .await?;
        self.start_presence_refresh();
        let (tx, rx) = mpsc::channel(queue.max(1));
        let joined = {
            let mut state = relay.state();
            state.position.clone().map(|start| {
                let entry = (presence_key.clone(), presence);
                let (subscriber, lag) = Subscriber::new(id, tx, direct, start.clone(), entry);
                state.subscribers.push(subscriber);
                (start, lag)
            })
        };
        let (start, lag) = joined.ok_or_else(|| EngineError("the topic is not in sync".into()))?;
        membership.subscriber = Some((id, presence_key));
        crate::metrics::subscribers(label, 1.0);
        membership.label = Some(label.into());
        Ok(Joined {
            rx,
            lag,
            start,
            membership,
        })
    }

    /// Hands a publication from the engine to the topic's relay, if this
    /// node has one. Never waits.
    pub(crate) fn deliver(self: &Arc<Self>, topic: &str, delivery: Delivery) {
        let relay = self.relays().get(topic).cloned();
        if let Some(relay) = relay
            && relay.deliver(delivery)
        {
            self.spawn_sync(relay);
        }
    }

    /// The engine lost its connection and is back: anything may have been
    /// missed meanwhile, so every relay syncs.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn resync_all(self: &Arc<Self>) {
        let relays: Vec<_> = self.relays().values().cloned().collect();
        for relay in relays {
            relay.state().presence_lost = true;
            if relay.mark_stale() {
                self.spawn_sync(relay);
            }
        }
    }

    /// The retained publications after `after`, for a subscriber catching
    /// up from its own position.
    pub(crate) async fn snapshot(
        &self,
        topic: &str,
        after: u64,
        retention: Retention,
    ) -> Result<Snapshot, EngineError> {
        self.engine.snapshot(topic, Some(after), retention).await
    }

    fn acquire(self: &Arc<Self>, topic: &str, retention: Retention) -> Membership {
        let mut relays = self.relays();
        let relay = relays
            .entry(topic.into())
            .or_insert_with(|| Arc::new(Relay::new(topic.into(), retention)))
            .clone();
        relay.refs.fetch_add(1, Ordering::Relaxed);
        Membership {
            hub: self.clone(),
            relay,
            subscriber: None,
            label: None,
        }
    }

    fn release(&self, relay: &Arc<Relay>) {
        let mut relays = self.relays();
        if relay.refs.fetch_sub(1, Ordering::Relaxed) == 1 {
            if relays
                .get(&relay.topic)
                .is_some_and(|r| Arc::ptr_eq(r, relay))
            {
                relays.remove(&relay.topic);
            }
            // Under the lock: a relay created for this topic right after
            // must have its join ordered after this leave.
            self.engine.leave(&relay.topic);
        }
    }

    /// Syncs a relay in the background until it succeeds or is abandoned,
    /// backing off while the engine is down.
    fn spawn_sync(self: &Arc<Self>, relay: Arc<Relay>) {
        let engine = self.engine.clone();
        tokio::spawn(async move {
            {
                let _sync = relay.sync.lock().await;
                let mut delay = Duration::from_millis(50);
                while relay.refs.load(Ordering::Relaxed) > 0 && relay.state().syncing {
                    match relay.sync_with(&*engine).await {
                        Ok(()) => break,
                        Err(e) => {
                            tracing::warn!(topic = %relay.topic, error = %e, "a topic could not sync; retrying");
                            tokio::time::sleep(delay).await;
                            delay = (delay * 2).min(Duration::from_secs(2));
                        }
                    }
                }
            }
            // Outside the sync lock: a subscriber joining waits for no
            // presence write.
            relay.rewrite_presence(&*engine).await;
        });
    }

    /// Keeps this node's presence entries alive, for engines whose entries
    /// expire (so that a dead node's entries go away by themselves).
    fn start_presence_refresh(self: &Arc<Self>) {
        let Some(every) = self.engine.presence_refresh() else {
            return;
        };
        if self.presence_refresh_started.swap(true, Ordering::Relaxed) {
            return;
        }
        let hub = Arc::downgrade(self);
        tokio::spawn(refresh_presence(hub, every));
    }

    async fn write_presence(&self) {
        let relays: Vec<_> = self.relays().values().cloned().collect();
        for relay in relays {
            if relay.write_presence(&*self.engine).await {
                relay.state().presence_lost = false;
            }
        }
    }

    fn relays(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Relay>>> {
        lock(&self.relays)
    }
}

async fn refresh_presence(hub: Weak<Hub>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        hub.write_presence().await;
    }
}

impl Relay {
    fn new(topic: Arc<str>, retention: Retention) -> Relay {
        Relay {
            topic,
            retention,
            refs: AtomicUsize::new(0),
            sync: tokio::sync::Mutex::new(false),
            state: Mutex::new(State {
                position: None,
                syncing: true,
                pending: VecDeque::new(),
                stale: false,
                presence_lost: false,
                subscribers: Vec::new(),
            }),
        }
    }

    /// Passes a publication on, or holds it for the sync. Returns true when
    /// it revealed a gap and a sync must be started.
    fn deliver(&self, delivery: Delivery) -> bool {
        let mut state = self.state();
        if state.syncing {
            state.hold(delivery);
            return false;
        }
        match state.classify(&delivery) {
            Next::Duplicate => false,
            Next::InOrder => {
                state.pass_on(delivery);
                false
            }
            Next::Gap => {
                state.syncing = true;
                state.hold(delivery);
                true
            }
        }
    }

    /// Returns true when a sync must be started (none was due).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    fn mark_stale(&self) -> bool {
        let mut state = self.state();
        state.stale = true;
        !std::mem::replace(&mut state.syncing, true)
    }

    /// Reads the engine and passes on what was missed, until nothing is.
    /// The caller holds `sync`.
    async fn sync_with(&self, engine: &dyn Engine) -> Result<(), EngineError> {
        loop {
            let after = {
                let mut state = self.state();
                state.stale = false;
                state.position.as_ref().map(|(_, offset)| *offset)
            };
            let mut snapshot = engine.snapshot(&self.topic, after, self.retention).await?;
            let new_epoch = {
                let state = self.state();
                let known = state.position.as_ref().map(|(epoch, _)| epoch);
                known.is_some_and(|epoch| *epoch != snapshot.epoch)
            };
            if new_epoch && self.retention.size > 0 {
                // The engine lost the old epoch; what the new one already
                // holds can still be passed on, from its start.
                snapshot = engine
                    .snapshot(&self.topic, Some(0), self.retention)
                    .await?;
            }
            if self.state().catch_up(snapshot) {
                return Ok(());
            }
        }
    }

    /// Writes this node's presence entries for the topic again if the
    /// engine's reconnection may have lost them.
    async fn rewrite_presence(&self, engine: &dyn Engine) {
        if std::mem::take(&mut self.state().presence_lost) && !self.write_presence(engine).await {
            // For the next sync; the periodic refresh may come first.
            self.state().presence_lost = true;
        }
    }

    /// Writes the entries; false when the engine failed.
    async fn write_presence(&self, engine: &dyn Engine) -> bool {
        let entries = self.presence();
        if entries.is_empty() {
            return true;
        }
        match engine.presence_add(&self.topic, entries).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(topic = %self.topic, error = %e, "could not refresh presence");
                false
            }
        }
    }

    fn presence(&self) -> Vec<(String, PresenceEntry)> {
        let state = self.state();
        state
            .subscribers
            .iter()
            .map(|s| (s.presence_key.clone(), s.presence.clone()))
            .collect()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

/// Where a delivery stands against the last one passed on.
enum Next {
    Duplicate,
    InOrder,
    Gap,
}

impl State {
    fn classify(&self, delivery: &Delivery) -> Next {
        match &self.position {
            Some((epoch, last)) if *epoch == delivery.epoch => match delivery.offset {
                o if o <= *last => Next::Duplicate,
                o if o == last + 1 => Next::InOrder,
                _ => Next::Gap,
            },
            _ => Next::Gap,
        }
    }

    fn hold(&mut self, delivery: Delivery) {
        if self.pending.len() < PENDING_LIMIT {
            self.pending.push_back(delivery);
        } else {
            self.stale = true;
        }
    }

    /// Applies a snapshot read by a sync, then what arrived meanwhile.
    /// Returns false when another read is needed.
    fn catch_up(&mut self, snapshot: Snapshot) -> bool {
        let Snapshot {
            epoch,
            top,
            entries,
        } = snapshot;
        match self.position.clone() {
            None => self.position = Some((epoch, top)),
            Some((last_epoch, last)) if last_epoch == epoch && last == top => {}
            Some((last_epoch, last))
                if last_epoch == epoch && top > last && covers(&entries, last, top) =>
            {
                for (offset, data) in entries.into_iter().filter(|(o, _)| *o > last) {
                    self.pass_on(Delivery {
                        epoch: epoch.clone(),
                        offset,
                        data,
                    });
                }
            }
            // Something is lost for good: say so at the last point that
            // cannot be recovered, then pass on what history still holds
            // after it (a new epoch's publications, from its start).
            Some(_) => {
                let from = resumable_from(&entries, top);
                self.fan_out(&Item::Lost {
                    epoch: epoch.clone(),
                    offset: from - 1,
                });
                self.position = Some((epoch.clone(), from - 1));
                for (offset, data) in entries.into_iter().filter(|(o, _)| *o >= from && *o <= top) {
                    self.pass_on(Delivery {
                        epoch: epoch.clone(),
                        offset,
                        data,
                    });
                }
            }
        }
        while let Some(delivery) = self.pending.pop_front() {
            match self.classify(&delivery) {
                Next::Duplicate => {}
                Next::InOrder => self.pass_on(delivery),
                Next::Gap => {
                    self.pending.push_front(delivery);
                    return false;
                }
            }
        }
        if self.stale {
            return false;
        }
        self.syncing = false;
        true
    }

    fn pass_on(&mut self, delivery: Delivery) {
        let item = Item::Publication {
            item: TopicEvent::encode_publication(delivery.offset, &delivery.data),
            epoch: delivery.epoch.clone(),
            offset: delivery.offset,
        };
        self.fan_out(&item);
        self.position = Some((delivery.epoch, delivery.offset));
    }

    fn fan_out(&mut self, item: &Item) {
        subscriber::fan_out(&mut self.subscribers, item);
    }
}

/// Whether `entries` hold every offset in `last + 1 ..= top`.
pub(crate) fn covers(entries: &[(u64, Payload)], last: u64, top: u64) -> bool {
    let mut want = last + 1;
    for (offset, _) in entries.iter().filter(|(o, _)| *o > last && *o <= top) {
        if *offset != want {
            return false;
        }
        want += 1;
    }
    want == top + 1
}

/// The first offset of the unbroken run of `entries` that ends at `top`;
/// `top + 1` when `top` itself is not there.
fn resumable_from(entries: &[(u64, Payload)], top: u64) -> u64 {
    let mut from = top + 1;
    for (offset, _) in entries.iter().rev().filter(|(o, _)| *o <= top) {
        if *offset + 1 != from {
            break;
        }
        from = *offset;
    }
    from
}

impl Membership {
    /// The subscriber's call is idle, having sent up to `sent`: let
    /// publications bypass it (see [`subscriber`](super::subscriber)).
    /// Returns whether they now do.
    pub(crate) fn bypass_if_idle(&self, rx: &mpsc::Receiver<Item>, sent: &(Arc<str>, u64)) -> bool {
        let Some((id, _)) = &self.subscriber else {
            return false;
        };
        // Under the relay's lock, so that no item slips into the queue
        // between looking at it and switching.
        let mut state = self.relay.state();
        let State {
            position,
            subscribers,
            ..
        } = &mut *state;
        subscribers
            .iter_mut()
            .find(|s| s.id == *id)
            .is_some_and(|s| s.bypass_if(rx.is_empty(), position.as_ref(), sent))
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        if let Some((id, key)) = self.subscriber.take() {
            self.relay.state().subscribers.retain(|s| s.id != id);
            if let Some(label) = &self.label {
                crate::metrics::subscribers(label, -1.0);
            }
            self.hub.engine.presence_remove(&self.relay.topic, key);
        }
        self.hub.release(&self.relay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(offsets: &[u64]) -> Vec<(u64, Payload)> {
        offsets.iter().map(|o| (*o, Payload::nil())).collect()
    }

    #[test]
    fn covers_needs_every_offset_after_the_last() {
        assert!(covers(&entries(&[3, 4, 5]), 2, 5));
        assert!(covers(&entries(&[1, 2, 3, 4, 5]), 2, 5));
        assert!(!covers(&entries(&[4, 5]), 2, 5));
        assert!(!covers(&entries(&[3, 5]), 2, 5));
        assert!(!covers(&entries(&[3, 4]), 2, 5));
        assert!(covers(&entries(&[]), 5, 5));
        assert!(covers(&entries(&[3, 4, 5, 6]), 2, 5));
    }

    #[test]
    fn what_can_be_resumed_is_the_run_that_ends_at_the_top() {
        assert_eq!(resumable_from(&entries(&[1, 2, 3]), 3), 1);
        assert_eq!(resumable_from(&entries(&[1, 3, 4]), 4), 3);
        assert_eq!(resumable_from(&entries(&[1, 2]), 3), 4);
        assert_eq!(resumable_from(&entries(&[]), 0), 1);
        assert_eq!(resumable_from(&entries(&[2, 3, 9]), 3), 2);
    }
}
