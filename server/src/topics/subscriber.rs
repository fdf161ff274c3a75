//! One subscriber as its relay sees it: where its items go, and how it is
//! dropped when it falls behind.
//!
//! Items normally go to the subscriber's own bounded queue, which its
//! `swill.subscribe` call reads and answers from. While that call is idle
//! (its queue empty) and no hook needs to see each message, the relay
//! writes publications straight to the connection's write queue instead:
//! one wake-up per delivery instead of two, and the frames of one
//! publication for every such subscriber encoded into one buffer. When the
//! connection's queue is full, items go back to the subscriber's queue, and
//! the call sends them as the client makes room; when that queue is full
//! too, the subscriber is dropped and told where it stood.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use swill_proto::{Payload, PresenceEntry, ResponseFrame, Seq, TopicEvent};
use tokio::sync::mpsc;

use crate::outbox::{Outbox, Pushed};

/// What a subscriber's queue carries.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    /// A publication, its stream item already encoded (once for everyone).
    Publication {
        epoch: Arc<str>,
        offset: u64,
        item: Payload,
    },
    /// Publications were lost and cannot be recovered; the stream goes on
    /// after this position.
    Lost { epoch: Arc<str>, offset: u64 },
}

impl Item {
    fn position(&self) -> (Arc<str>, u64) {
        match self {
            Item::Publication { epoch, offset, .. } | Item::Lost { epoch, offset } => {
                (epoch.clone(), *offset)
            }
        }
    }

    /// The stream item, encoded.
    fn payload(&self) -> Payload {
        match self {
            Item::Publication { item, .. } => item.clone(),
            Item::Lost { epoch, offset } => {
                TopicEvent::encode_subscribed(&swill_proto::Position::new(&**epoch, *offset), false)
            }
        }
    }
}

/// Where a dropped subscriber stood: the last item handed on before its
/// queue overflowed.
pub(crate) type Lag = Arc<OnceLock<(Arc<str>, u64)>>;

/// The connection's write queue and the call's seq, for writing frames
/// past the call.
pub(crate) struct Direct {
    pub(crate) outbox: Outbox,
    pub(crate) seq: Seq,
}

pub(crate) struct Subscriber {
    pub(crate) id: u64,
    queue: mpsc::Sender<Item>,
    lag: Lag,
    direct: Option<Direct>,
    /// Items go to `direct` now: the call is idle.
    bypass: bool,
    /// The last item handed on, queued or written.
    last: (Arc<str>, u64),
    pub(crate) presence_key: String,
    pub(crate) presence: PresenceEntry,
}

impl Subscriber {
    pub(crate) fn new(
        id: u64,
        queue: mpsc::Sender<Item>,
        direct: Option<Direct>,
        start: (Arc<str>, u64),
        presence: (String, PresenceEntry),
    ) -> (Subscriber, Lag) {
        let lag = Lag::default();
        let subscriber = Subscriber {
            id,
            queue,
            lag: lag.clone(),
            direct,
            bypass: false,
            last: start,
            presence_key: presence.0,
            presence: presence.1,
        };
        (subscriber, lag)
    }

    /// Lets items bypass the call, if it may be: the call found its queue
    /// empty, and nothing it would drop as already sent can come.
    /// Returns whether they now do.
    pub(crate) fn bypass_if(
        &mut self,
        queue_empty: bool,
        relay_at: Option<&(Arc<str>, u64)>,
        sent: &(Arc<str>, u64),
    ) -> bool {
        let no_duplicates =
            relay_at.is_some_and(|(epoch, offset)| *epoch == sent.0 && *offset >= sent.1);
        self.bypass = self.direct.is_some() && queue_empty && no_duplicates;
        self.bypass
    }

    /// Hands an item on (`frame`: its frame for this subscriber, when it
    /// bypasses the call). False when the subscriber must be dropped.
    fn offer(&mut self, item: &Item, frame: Option<Bytes>) -> bool {
        if let (true, Some(direct), Some(frame)) = (self.bypass, &self.direct, frame) {
            match direct.outbox.try_push(frame) {
                Pushed::Queued => {
                    self.last = item.position();
                    return true;
                }
                Pushed::Closed => return false,
                // The client is slow: the call takes over, with backpressure.
                Pushed::Full => self.bypass = false,
            }
        }
        match self.queue.try_send(item.clone()) {
            Ok(()) => {
                self.last = item.position();
                true
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                let _ = self.lag.set(self.last.clone());
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// Offers an item to every subscriber, dropping those that must go. The
/// frames of those that bypass their call are encoded into one buffer.
pub(crate) fn fan_out(subscribers: &mut Vec<Subscriber>, item: &Item) {
    let bypassing = subscribers.iter().filter(|s| s.bypass).count();
    let mut frames = Vec::new();
    let shared = if bypassing > 0 {
        let payload = item.payload();
        let mut buffer = Vec::with_capacity(bypassing * (payload.len() + 16));
        for s in subscribers.iter() {
            if let (true, Some(direct)) = (s.bypass, &s.direct) {
                let start = buffer.len();
                ResponseFrame::message(direct.seq, payload.clone()).encode_into(&mut buffer);
                frames.push(start..buffer.len());
            }
        }
        Bytes::from(buffer)
    } else {
        Bytes::new()
    };
    let mut frames = frames.into_iter();
    subscribers.retain_mut(|s| {
        let frame = if s.bypass {
            frames.next().map(|range| shared.slice(range))
        } else {
            None
        };
        s.offer(item, frame)
    });
}
