//! One `swill.subscribe` call: join the topic, catch up from the client's
//! position, then stream publications until the client leaves or lags.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::Stream;
use swill_proto::{Code, Payload, Position, SubscribeRequest, TopicEvent};
use tokio::sync::mpsc;

use super::handle::{Topics, unavailable};
use super::hub::{Joined, Membership, covers};
use super::subscriber::{Direct, Item, Lag};
use super::topic::Action;
use crate::context::Context;
use crate::error::Error;

/// Subscribes `ctx`'s connection to a topic: the stream of its items (a
/// position first, then publications), or why it cannot (404, 403, 503).
pub(crate) async fn subscribe(
    topics: &Topics,
    ctx: &Context,
    request: SubscribeRequest,
) -> Result<impl Stream<Item = Result<Payload, Error>> + use<>, Error> {
    let topic = request.topic;
    let declared = topics.find(&topic)?;
    declared.check(&topic, Action::Subscribe, ctx).await?;
    let retention = declared.retention;
    // Publications may go straight to the connection while the call is
    // idle, unless a hook must see every message.
    let direct = ctx
        .responder()
        .direct()
        .map(|(outbox, seq)| Direct { outbox, seq });
    let Joined {
        rx,
        lag,
        start: (epoch, top),
        membership,
    } = topics
        .hub()
        .join(
            &topic,
            declared.name(),
            retention,
            declared.queue,
            ctx.connection().id(),
            direct,
        )
        .await
        .map_err(unavailable)?;

    // Everything after `top` arrives through `rx`; what the client missed
    // before it comes from history, if the history still has all of it.
    let hub = topics.hub();
    let (last, recovered, missed) = match request.since {
        None => (top, true, Vec::new()),
        Some(since) if *since.epoch != *epoch => (top, false, Vec::new()),
        Some(since) if since.offset == top => (top, true, Vec::new()),
        // Ahead of this node's relay: normal for a moment after moving from
        // another node, as long as the engine has reached that offset. A
        // topic whose offsets went back (Redis restored from an older copy)
        // would otherwise swallow publications: that is reported instead.
        Some(since) if since.offset > top => {
            let snapshot = hub
                .snapshot(&topic, since.offset, retention)
                .await
                .map_err(unavailable)?;
            if snapshot.epoch == epoch && snapshot.top >= since.offset {
                (since.offset, true, Vec::new())
            } else {
                (top, false, Vec::new())
            }
        }
        Some(since) => {
            let snapshot = hub
                .snapshot(&topic, since.offset, retention)
                .await
                .map_err(unavailable)?;
            if snapshot.epoch == epoch && covers(&snapshot.entries, since.offset, top) {
                let missed = snapshot
                    .entries
                    .into_iter()
                    .filter(|(o, _)| *o > since.offset && *o <= top)
                    .collect();
                (since.offset, true, missed)
            } else {
                (top, false, Vec::new())
            }
        }
    };
    let mut ready = VecDeque::with_capacity(1 + missed.len());
    ready.push_back(TopicEvent::encode_subscribed(
        &Position::new(&*epoch, last),
        recovered,
    ));
    let mut newest = last;
    for (offset, data) in missed {
        ready.push_back(TopicEvent::encode_publication(offset, &data));
        newest = offset;
    }
    let feed = Feed {
        epoch,
        last: newest,
        ready,
        rx,
        lag,
        bypassed: false,
        membership,
    };
    Ok(futures::stream::unfold(Some(feed), |feed| async move {
        let mut feed = feed?;
        match feed.next().await {
            Ok(item) => Some((Ok(item), Some(feed))),
            Err(error) => Some((Err(error), None)),
        }
    }))
}

/// A subscriber's side: items ready to go, then its queue.
struct Feed {
    /// The epoch and offset of the last item sent through the call.
    epoch: Arc<str>,
    last: u64,
    ready: VecDeque<Payload>,
    rx: mpsc::Receiver<Item>,
    lag: Lag,
    /// Publications have bypassed the call (written by the relay): the
    /// queue then holds only what follows them, in order.
    bypassed: bool,
    /// Leaves the topic when the stream is dropped.
    membership: Membership,
}

impl Feed {
    async fn next(&mut self) -> Result<Payload, Error> {
        if let Some(item) = self.ready.pop_front() {
            return Ok(item);
        }
        loop {
            match self.receive().await {
                Some(Item::Publication {
                    epoch,
                    offset,
                    item,
                }) => {
                    if epoch == self.epoch || self.bypassed {
                        if epoch == self.epoch && offset <= self.last && !self.bypassed {
                            continue; // already sent from history
                        }
                        self.epoch = epoch;
                        self.last = offset;
                        return Ok(item);
                    }
                    // Relays announce a new epoch before using it; should
                    // one not have, the client is still told.
                    let lost = self.lost(epoch, offset.saturating_sub(1));
                    self.last = offset;
                    self.ready.push_back(item);
                    return Ok(lost);
                }
                Some(Item::Lost { epoch, offset }) => return Ok(self.lost(epoch, offset)),
                None => {
                    return Err(match self.lag.get() {
                        Some((epoch, offset)) => {
                            let position = Position::new(&**epoch, *offset);
                            let message = format!(
                                "the subscriber fell too far behind; resume after {position}"
                            );
                            Error::new(Code::LAGGED, message).with_data(position)
                        }
                        None => Error::new(Code::UNAVAILABLE, "the topic is no longer served"),
                    });
                }
            }
        }
    }

    /// The next queued item; when there is none, the relay may write
    /// publications past this call until one is queued again.
    async fn receive(&mut self) -> Option<Item> {
        match self.rx.try_recv() {
            Ok(item) => Some(item),
            Err(mpsc::error::TryRecvError::Disconnected) => None,
            Err(mpsc::error::TryRecvError::Empty) => {
                let sent = (self.epoch.clone(), self.last);
                self.bypassed |= self.membership.bypass_if_idle(&self.rx, &sent);
                self.rx.recv().await
            }
        }
    }

    fn lost(&mut self, epoch: Arc<str>, offset: u64) -> Payload {
        let position = Position::new(&*epoch, offset);
        self.epoch = epoch;
        self.last = offset;
        TopicEvent::encode_subscribed(&position, false)
    }
}
