//! The in-process engine: topics live in this process's memory, for one
//! node with nothing to install.
//!
//! A publication is numbered, kept and handed to the hub under its topic's
//! lock, so every subscriber sees one order. Its epoch is made when the
//! topic is first used: a restarted process starts new epochs, and clients
//! resuming from an old one learn that history was lost.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;
use swill_proto::{Payload, PresenceEntry};

use super::engine::{Delivery, Engine, EngineResult, Retention, Snapshot, new_epoch};
use super::hub::Hub;
use super::lock;

/// Topics in this process's memory.
#[derive(Default)]
pub(crate) struct MemoryEngine {
    hub: OnceLock<Weak<Hub>>,
    logs: Mutex<HashMap<String, Arc<Mutex<Log>>>>,
    presence: Mutex<HashMap<String, HashMap<String, PresenceEntry>>>,
}

/// One topic: its epoch, latest offset and retained publications.
struct Log {
    epoch: Arc<str>,
    top: u64,
    kept: VecDeque<(u64, Instant, Payload)>,
}

impl Log {
    fn trim(&mut self, retention: Retention, now: Instant) {
        while self.kept.len() > retention.size {
            self.kept.pop_front();
        }
        if let Some(ttl) = retention.ttl {
            while self
                .kept
                .front()
                .is_some_and(|(_, at, _)| now.duration_since(*at) > ttl)
            {
                self.kept.pop_front();
            }
        }
    }
}

impl MemoryEngine {
    fn log(&self, topic: &str) -> Arc<Mutex<Log>> {
        lock(&self.logs)
            .entry(topic.to_owned())
            .or_insert_with(|| {
                Arc::new(Mutex::new(Log {
                    epoch: new_epoch().into(),
                    top: 0,
                    kept: VecDeque::new(),
                }))
            })
            .clone()
    }
}

impl Engine for MemoryEngine {
    fn attach(&self, hub: Weak<Hub>) {
        let _ = self.hub.set(hub);
    }

    fn publish<'a>(
        &'a self,
        topic: &'a str,
        data: Payload,
        retention: Retention,
    ) -> BoxFuture<'a, EngineResult<(Arc<str>, u64)>> {
        let log = self.log(topic);
        let mut log = lock(&log);
        log.top += 1;
        let (epoch, offset) = (log.epoch.clone(), log.top);
        if retention.size > 0 {
            let now = Instant::now();
            log.kept.push_back((offset, now, data.clone()));
            log.trim(retention, now);
        }
        // Still under the topic's lock: publications reach the hub in
        // offset order whatever the number of publishers.
        if let Some(hub) = self.hub.get().and_then(Weak::upgrade) {
            let delivery = Delivery {
                epoch: epoch.clone(),
                offset,
                data,
            };
            hub.deliver(topic, delivery);
        }
        drop(log);
        futures::future::ready(Ok((epoch, offset))).boxed()
    }

    fn join<'a>(&'a self, _topic: &'a str) -> BoxFuture<'a, EngineResult<()>> {
        futures::future::ready(Ok(())).boxed()
    }

    fn leave(&self, _topic: &str) {}

    fn snapshot<'a>(
        &'a self,
        topic: &'a str,
        after: Option<u64>,
        retention: Retention,
    ) -> BoxFuture<'a, EngineResult<Snapshot>> {
        let log = self.log(topic);
        let mut log = lock(&log);
        log.trim(retention, Instant::now());
        let entries = match after {
            Some(after) => log
                .kept
                .iter()
                .filter(|(offset, _, _)| *offset > after)
                .map(|(offset, _, data)| (*offset, data.clone()))
                .collect(),
            None => Vec::new(),
        };
        let snapshot = Snapshot {
            epoch: log.epoch.clone(),
            top: log.top,
            entries,
        };
        futures::future::ready(Ok(snapshot)).boxed()
    }

    fn presence_add<'a>(
        &'a self,
        topic: &'a str,
        entries: Vec<(String, PresenceEntry)>,
    ) -> BoxFuture<'a, EngineResult<()>> {
        lock(&self.presence)
            .entry(topic.to_owned())
            .or_default()
            .extend(entries);
        futures::future::ready(Ok(())).boxed()
    }

    fn presence_remove(&self, topic: &str, key: String) {
        let mut presence = lock(&self.presence);
        if let Some(entries) = presence.get_mut(topic) {
            entries.remove(&key);
            if entries.is_empty() {
                presence.remove(topic);
            }
        }
    }

    fn presence<'a>(&'a self, topic: &'a str) -> BoxFuture<'a, EngineResult<Vec<PresenceEntry>>> {
        let entries = lock(&self.presence)
            .get(topic)
            .map(|e| e.values().cloned().collect())
            .unwrap_or_default();
        futures::future::ready(Ok(entries)).boxed()
    }

    fn presence_refresh(&self) -> Option<Duration> {
        None
    }
}
