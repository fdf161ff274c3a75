//! [`Subscription`]: a topic's publications as a stream that survives
//! reconnections, resuming from the last position it delivered.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use swill_proto::{Payload, Position, SUBSCRIBE_RPC};

use crate::client::Client;
use crate::error::Error;
use crate::stream::ResponseStream;
use crate::topic::{Cursor, Step};

/// One publication of a topic.
#[derive(Clone, Debug, PartialEq)]
pub struct Publication<T> {
    /// Where it stands in the topic: resume after it to get what follows.
    pub position: Position,
    /// The published value.
    pub data: T,
}

/// A topic's publications, as a [`Stream`] of `Result<Publication<T>, Error>`.
///
/// ```no_run
/// use futures::StreamExt;
/// # async fn run(client: swill_client::Client) -> Result<(), swill_client::Error> {
/// let mut chat = client.subscribe::<String>("chat").await?;
/// while let Some(message) = chat.next().await {
///     match message {
///         Ok(message) => println!("{}: {}", message.position, message.data),
///         // Publications were lost for good (the history was too short,
///         // or the server lost it): reload, then read on.
///         Err(swill_client::Error::Missed { .. }) => println!("reload the chat"),
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok(()) }
/// ```
///
/// When the connection is lost, the server cannot serve the topic for a
/// while (503), or the subscriber fell behind (409), the subscription
/// subscribes again by itself, from the last position it delivered: the
/// server sends what was missed from the topic's history and duplicates
/// are dropped, so every publication arrives once, in order. If what was
/// missed cannot be recovered, the stream yields [`Error::Missed`] and goes
/// on. It also goes on after an [`Error::Decode`] for one item (a
/// publication that did not fit `T`, or an item that was not a topic
/// event). Any other error ends it: access refused, no such topic, a
/// client that could not reconnect within its
/// [`ReconnectPolicy`](crate::ReconnectPolicy), or a frame of the
/// subscription that could not be read at all (the call is then over: the
/// stream yields that [`Error::Decode`] and ends). After an error, the
/// stream's end (`None`) means that error ended it.
///
/// Dropping the subscription unsubscribes.
#[must_use = "a subscription does nothing unless polled; dropping it unsubscribes"]
pub struct Subscription<T> {
    next: Option<BoxFuture<'static, Advanced<T>>>,
    follower: Option<Follower>,
    _type: PhantomData<fn() -> T>,
}

/// What one step of a subscription yields, and its state after it.
type Advanced<T> = (Option<Result<Publication<T>, Error>>, Follower);

/// The state that moves from one poll to the next.
struct Follower {
    client: Client,
    cursor: Cursor,
    stream: Option<ResponseStream<Payload>>,
    /// Resubscriptions refused in a row, for the backoff.
    refusals: u32,
    ended: bool,
}

impl<T: DeserializeOwned + Send + 'static> Subscription<T> {
    /// Subscribes, waiting for the server's confirmation so that a refusal
    /// (404, 403, 503) is returned here.
    pub(crate) async fn open(
        client: Client,
        topic: &str,
        since: Option<Position>,
    ) -> Result<Subscription<T>, Error> {
        let mut follower = Follower {
            client,
            cursor: Cursor::new(topic, since),
            stream: None,
            refusals: 0,
            ended: false,
        };
        let mut stream = follower.subscribe().await?;
        let first = match next_payload(&mut stream).await {
            Some(Ok(item)) => item,
            Some(Err(e)) => return Err(e),
            None => {
                return Err(Error::Disconnected {
                    reason: "the subscription ended at once".into(),
                });
            }
        };
        follower.stream = Some(stream);
        let pending = match follower.cursor.on_item(&first)? {
            Step::Missed { last, now } => Some(Err(Error::Missed { last, now })),
            _ => None,
        };
        let mut subscription = Subscription {
            next: None,
            follower: Some(follower),
            _type: PhantomData,
        };
        if let Some(missed) = pending {
            let follower = subscription.follower.take();
            subscription.next = follower
                .map(|f| Box::pin(async move { (Some(missed), f) }) as BoxFuture<'static, _>);
        }
        Ok(subscription)
    }
}

impl<T: DeserializeOwned + Send + 'static> Stream for Subscription<T> {
    type Item = Result<Publication<T>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.next.is_none() {
            let Some(follower) = this.follower.take() else {
                return Poll::Ready(None);
            };
            this.next = Some(Box::pin(follower.next::<T>()));
        }
        let Some(next) = this.next.as_mut() else {
            return Poll::Ready(None);
        };
        let (item, follower) = std::task::ready!(next.as_mut().poll(cx));
        this.next = None;
        if !follower.ended {
            this.follower = Some(follower);
        }
        Poll::Ready(item)
    }
}

impl Follower {
    /// The next thing for the application, resubscribing as needed.
    async fn next<T: DeserializeOwned>(
        mut self,
    ) -> (Option<Result<Publication<T>, Error>>, Follower) {
        loop {
            let Some(stream) = self.stream.as_mut() else {
                match self.subscribe().await {
                    Ok(stream) => self.stream = Some(stream),
                    // A closed client never connects again: nothing to wait for.
                    Err(e) if self.cursor.resumes_after(&e) && !self.client.is_closed() => {
                        self.back_off().await
                    }
                    Err(e) => return self.end(e),
                }
                continue;
            };
            let error = match next_payload(stream).await {
                Some(Ok(item)) => match self.cursor.on_item(&item) {
                    Ok(Step::Deliver(position, data)) => {
                        let item = data
                            .decode()
                            .map(|data| Publication { position, data })
                            .map_err(Error::Decode);
                        return (Some(item), self);
                    }
                    Ok(Step::Missed { last, now }) => {
                        return (Some(Err(Error::Missed { last, now })), self);
                    }
                    Ok(Step::Skip) => {
                        self.refusals = 0;
                        continue;
                    }
                    // An item that is not a topic event: reported, and
                    // the subscription reads on.
                    Err(e) => return (Some(Err(Error::Decode(e))), self),
                },
                Some(Err(e)) => e,
                // Subscriptions end with an error; END_OF_STREAM means the
                // server stopped serving it: subscribe again.
                None => Error::Disconnected {
                    reason: "the subscription stream ended".into(),
                },
            };
            if !self.cursor.resumes_after(&error) || self.client.is_closed() {
                return self.end(error);
            }
            tracing::debug!(topic = self.cursor.topic(), %error, "resubscribing");
            self.stream = None;
            // Refused before its position came (the server's engine is
            // down, say): pace the next attempt. A subscription that was
            // running subscribes again at once.
            if !self.cursor.is_subscribed() {
                self.back_off().await;
            }
            self.cursor.restart();
        }
    }

    async fn subscribe(&mut self) -> Result<ResponseStream<Payload>, Error> {
        self.client
            .server_stream_raw(SUBSCRIBE_RPC, &self.cursor.request())
            .await
    }

    /// Waits before subscribing again after a refusal (the server up, its
    /// topic engine down), per the client's reconnect policy's pacing.
    async fn back_off(&mut self) {
        self.refusals = self.refusals.saturating_add(1);
        let pause = self
            .client
            .reconnect_policy()
            .backoff(self.refusals, fastrand::f64());
        tokio::time::sleep(pause).await;
    }

    fn end<T>(mut self, error: Error) -> Advanced<T> {
        self.ended = true;
        (Some(Err(error)), self)
    }
}

async fn next_payload(stream: &mut ResponseStream<Payload>) -> Option<Result<Payload, Error>> {
    std::future::poll_fn(|cx| stream.poll_payload(cx)).await
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}
