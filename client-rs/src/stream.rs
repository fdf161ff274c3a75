//! Streams: the response stream of server-streaming and bidirectional
//! calls, and the sender of client-streaming and bidirectional ones.

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use swill_proto::{Metadata, Payload, Seq};

use crate::call::Inbound;
use crate::driver::Next;
use crate::error::Error;
use crate::transport::Connection;

/// The messages a server streams back, as a [`Stream`] of `Result<T, Error>`.
///
/// ```no_run
/// use futures::StreamExt;
/// # async fn run(client: swill_client::Client) -> Result<(), swill_client::Error> {
/// let mut numbers = client.server_stream::<u64>("count", &3).await?;
/// while let Some(n) = numbers.next().await {
///     println!("{}", n?);
/// }
/// println!("trailing metadata: {:?}", numbers.trailing());
/// # Ok(()) }
/// ```
///
/// The stream ends (`None`) after END_OF_STREAM, or after yielding one
/// `Err`: the server's ERROR, a lost connection, the deadline, or an item
/// that did not decode (the call is then cancelled).
///
/// **Consume it or drop it.** Items wait in a buffer of
/// [`Builder::stream_buffer`](crate::Builder::stream_buffer) items (64 by
/// default). When that is full, the connection stops reading until there
/// is room, which holds up every other call on the connection too (and,
/// through TCP, the server). Dropping the stream cancels the call (CANCEL
/// goes to the server) and frees its buffer.
#[must_use = "streams do nothing unless polled; dropping one cancels its call"]
pub struct ResponseStream<T> {
    inbound: Inbound,
    _type: PhantomData<fn() -> T>,
}

impl<T> ResponseStream<T> {
    pub(crate) fn new(inbound: Inbound) -> Self {
        ResponseStream {
            inbound,
            _type: PhantomData,
        }
    }

    /// The server's leading metadata, once it has arrived: it comes before
    /// (or with) the first item, so it is here after the first `next()`
    /// (empty if the server sent none).
    pub fn leading(&self) -> Option<&Metadata> {
        self.inbound.leading()
    }

    /// The server's trailing metadata, once the stream has ended.
    pub fn trailing(&self) -> Option<&Metadata> {
        self.inbound.trailing()
    }

    /// Cancels the call: CANCEL goes to the server, the stream ends.
    /// Dropping the stream does the same.
    pub fn cancel(mut self) {
        self.inbound.cancel();
    }
}

impl<T> ResponseStream<T> {
    /// The next item, still encoded.
    pub(crate) fn poll_payload(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Payload, Error>>> {
        Poll::Ready(match std::task::ready!(self.inbound.poll_next(cx)) {
            Ok(Next::Item(data) | Next::Answer(data)) => Some(Ok(data)),
            Ok(Next::End) => None,
            Err(error) => Some(Err(error)),
        })
    }
}

impl<T: DeserializeOwned> Stream for ResponseStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let item = std::task::ready!(this.poll_payload(cx)).map(|data| {
            data?
                .decode()
                .map_err(|e| this.inbound.fail(Error::Decode(e)))
        });
        Poll::Ready(item)
    }
}

impl<T> std::fmt::Debug for ResponseStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStream")
            .field("seq", &self.inbound.seq())
            .finish_non_exhaustive()
    }
}

/// Sends the messages of a client-streaming or bidirectional call.
///
/// ```no_run
/// # async fn run(client: swill_client::Client) -> Result<(), swill_client::Error> {
/// let (numbers, total) = client.client_stream::<i64, i64>("total").await?;
/// for n in [1, 2, 3] {
///     numbers.send(&n).await?;
/// }
/// numbers.finish(); // END_OF_STREAM: the server can answer now
/// assert_eq!(total.await?.data, 6);
/// # Ok(()) }
/// ```
///
/// [`finish`](Self::finish) (or dropping the sender) ends the request
/// stream with END_OF_STREAM, like closing a file; it does not cancel the
/// call. To abandon the call, drop or cancel its response side.
pub struct RequestSender<T> {
    conn: Arc<Connection>,
    seq: Seq,
    _type: PhantomData<fn(&T)>,
}

impl<T: Serialize> RequestSender<T> {
    pub(crate) fn new(inbound: &Inbound) -> Self {
        RequestSender {
            conn: inbound.connection().clone(),
            seq: inbound.seq(),
            _type: PhantomData,
        }
    }

    /// Sends one message. It waits while the connection's outgoing queue
    /// is full (256 messages).
    ///
    /// Fails with [`Error::Closed`] once the call is over (the server has
    /// answered, failed it, or it was cancelled: its response side tells
    /// which), [`Error::Disconnected`] when the connection is lost, and
    /// [`Error::Encode`] when `item` cannot be encoded.
    pub async fn send(&self, item: &T) -> Result<(), Error> {
        let data = Payload::encode(item).map_err(|e| Error::Encode(e.to_string()))?;
        self.conn.send(self.seq, data).await
    }
}

impl<T> RequestSender<T> {
    /// Ends the request stream (END_OF_STREAM). Dropping the sender does
    /// the same.
    pub fn finish(self) {}
}

impl<T> Drop for RequestSender<T> {
    fn drop(&mut self) {
        self.conn.finish(self.seq);
    }
}

impl<T> std::fmt::Debug for RequestSender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSender")
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}
