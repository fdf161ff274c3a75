//! The client: one connection, many calls in flight over it.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use swill_proto::{
    CallShape, INTROSPECT_RPC, PRESENCE_RPC, PUBLISH_RPC, Payload, Position, PresenceEntry,
    PresenceRequest, PublishRequest, RpcDescription, TOPICS_RPC, TopicDescription,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::builder::{Builder, Config};
use crate::call::{Inbound, ResponseFuture};
use crate::connector::Connector;
use crate::error::Error;
use crate::options::{CallOptions, Response};
use crate::reconnect::ReconnectPolicy;
use crate::stream::{RequestSender, ResponseStream};
use crate::subscription::Subscription;
use crate::transport::Connection;

/// A connection to a swill server, and the calls made over it.
///
/// ```no_run
/// # async fn run() -> Result<(), swill_client::Error> {
/// let client = swill_client::Client::connect("ws://127.0.0.1:8000/ws").await?;
/// let sum = client.call::<i64>("add", (1, 2)).await?;
/// assert_eq!(sum, 3);
/// # Ok(()) }
/// ```
///
/// A `Client` is cheap to clone (an `Arc` inside); clones share the
/// connection, and calls from any number of tasks run concurrently over it,
/// up to [`Builder::max_in_flight`] at once. The connection closes when the
/// last clone and the last call handle are dropped.
///
/// There is one method per call shape; the `_with` variants take
/// [`CallOptions`] (request metadata, a deadline). Dropping a call's future,
/// stream or [`ResponseFuture`] before its end sends CANCEL.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    connector: Connector,
    in_flight: Arc<Semaphore>,
}

impl Client {
    /// Connects to `url` with the default settings.
    ///
    /// `ws://` is assumed when the URL has no scheme, and `/ws` when it has
    /// no path: `127.0.0.1:8000` means `ws://127.0.0.1:8000/ws`.
    pub async fn connect(url: impl Into<String>) -> Result<Client, Error> {
        Builder::new(url).connect().await
    }

    /// Starts configuring a client for `url`: headers, cookies,
    /// subprotocol, timeouts, keepalive, reconnect policy.
    pub fn builder(url: impl Into<String>) -> Builder {
        Builder::new(url)
    }

    pub(crate) async fn from_config(config: Config) -> Result<Client, Error> {
        // Only `wss://` reads the PEM: a `ws://` client given one (a CLI
        // with `--ca` on every call, say) connects as before.
        #[cfg(feature = "tls")]
        if !config.roots_pem.is_empty() && crate::transport::is_secure(&config.url) {
            crate::transport::check_tls(&config)?;
        }
        let in_flight = Arc::new(Semaphore::new(config.max_in_flight));
        let connector = Connector::connect(config).await?;
        let inner = Inner {
            connector,
            in_flight,
        };
        Ok(Client {
            inner: Arc::new(inner),
        })
    }

    /// A unary call: sends `request` to `rpc` and decodes the answer.
    ///
    /// Dropping the future before it resolves cancels the call.
    ///
    /// The response type comes first and the request is taken by value
    /// (a reference serializes as what it points to), so
    /// `client.call::<i64>("add", (1, 2))` reads like the rpc's signature.
    pub async fn call<Resp>(&self, rpc: &str, request: impl Serialize) -> Result<Resp, Error>
    where
        Resp: DeserializeOwned,
    {
        let response = self.call_with(rpc, request, CallOptions::new()).await?;
        Ok(response.data)
    }

    /// A unary call with options; the answer comes with its leading and
    /// trailing metadata.
    pub async fn call_with<Resp>(
        &self,
        rpc: &str,
        request: impl Serialize,
        options: CallOptions,
    ) -> Result<Response<Resp>, Error>
    where
        Resp: DeserializeOwned,
    {
        let data = encode(&request)?;
        let inbound = self
            .open(rpc, CallShape::Unary, Some(data), &options)
            .await?;
        ResponseFuture::new(inbound).await
    }

    /// A server-streaming call: one request, a stream of answers.
    pub async fn server_stream<Resp>(
        &self,
        rpc: &str,
        request: impl Serialize,
    ) -> Result<ResponseStream<Resp>, Error>
    where
        Resp: DeserializeOwned,
    {
        self.server_stream_with(rpc, request, CallOptions::new())
            .await
    }

    /// A server-streaming call with options.
    pub async fn server_stream_with<Resp>(
        &self,
        rpc: &str,
        request: impl Serialize,
        options: CallOptions,
    ) -> Result<ResponseStream<Resp>, Error>
    where
        Resp: DeserializeOwned,
    {
        self.stream_of(rpc, &request, &options).await
    }

    /// A server-streaming call whose items stay encoded.
    pub(crate) async fn server_stream_raw<Req: Serialize + ?Sized>(
        &self,
        rpc: &str,
        request: &Req,
    ) -> Result<ResponseStream<Payload>, Error> {
        self.stream_of(rpc, request, &CallOptions::new()).await
    }

    async fn stream_of<Req: Serialize + ?Sized, Resp>(
        &self,
        rpc: &str,
        request: &Req,
        options: &CallOptions,
    ) -> Result<ResponseStream<Resp>, Error> {
        let data = encode(request)?;
        let shape = CallShape::ServerStreaming;
        let inbound = self.open(rpc, shape, Some(data), options).await?;
        Ok(ResponseStream::new(inbound))
    }

    /// A client-streaming call: a sender for the request stream, and the
    /// future of the one answer.
    ///
    /// Type parameters: the response first, then the request items.
    pub async fn client_stream<Resp, Req>(
        &self,
        rpc: &str,
    ) -> Result<(RequestSender<Req>, ResponseFuture<Resp>), Error>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
    {
        self.client_stream_with(rpc, CallOptions::new()).await
    }

    /// A client-streaming call with options.
    pub async fn client_stream_with<Resp, Req>(
        &self,
        rpc: &str,
        options: CallOptions,
    ) -> Result<(RequestSender<Req>, ResponseFuture<Resp>), Error>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
    {
        let inbound = self
            .open(rpc, CallShape::ClientStreaming, None, &options)
            .await?;
        Ok((RequestSender::new(&inbound), ResponseFuture::new(inbound)))
    }

    /// A bidirectional call: a sender and a stream, used independently
    /// (e.g. from two tasks).
    ///
    /// Type parameters: the response items first, then the request items.
    pub async fn bidi<Resp, Req>(
        &self,
        rpc: &str,
    ) -> Result<(RequestSender<Req>, ResponseStream<Resp>), Error>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
    {
        self.bidi_with(rpc, CallOptions::new()).await
    }

    /// A bidirectional call with options.
    pub async fn bidi_with<Resp, Req>(
        &self,
        rpc: &str,
        options: CallOptions,
    ) -> Result<(RequestSender<Req>, ResponseStream<Resp>), Error>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
    {
        let inbound = self
            .open(rpc, CallShape::Bidirectional, None, &options)
            .await?;
        Ok((RequestSender::new(&inbound), ResponseStream::new(inbound)))
    }

    /// Asks the server to describe its rpcs (`swill.introspect`), in
    /// registration order.
    pub async fn introspect(&self) -> Result<Vec<RpcDescription>, Error> {
        self.introspect_with(CallOptions::new()).await
    }

    /// [`introspect`](Self::introspect) with options: the metadata a server
    /// that authenticates by metadata wants, a deadline.
    pub async fn introspect_with(
        &self,
        options: CallOptions,
    ) -> Result<Vec<RpcDescription>, Error> {
        use futures::TryStreamExt;
        let items = self.server_stream_with(INTROSPECT_RPC, (), options).await?;
        items.try_collect().await
    }

    /// Subscribes to a topic: its publications from now on, as a stream
    /// that resubscribes by itself after a lost connection and recovers
    /// what it missed from the topic's history (see [`Subscription`]).
    ///
    /// Fails with 404 for a topic the server does not have, 403 when its
    /// access check refuses, 503 when its topic engine is unreachable.
    pub async fn subscribe<T>(&self, topic: &str) -> Result<Subscription<T>, Error>
    where
        T: DeserializeOwned + Send + 'static,
    {
        Subscription::open(self.clone(), topic, None).await
    }

    /// Subscribes from a position saved earlier: the publications after
    /// it come first, from the topic's history, or [`Error::Missed`] says
    /// they cannot.
    pub async fn subscribe_since<T>(
        &self,
        topic: &str,
        since: Position,
    ) -> Result<Subscription<T>, Error>
    where
        T: DeserializeOwned + Send + 'static,
    {
        Subscription::open(self.clone(), topic, Some(since)).await
    }

    /// Publishes `data` to a topic through the server, returning its
    /// position.
    pub async fn publish<T: Serialize + ?Sized>(
        &self,
        topic: &str,
        data: &T,
    ) -> Result<Position, Error> {
        let request = PublishRequest {
            topic: topic.to_owned(),
            data: encode(data)?,
        };
        let response = ResponseFuture::new(
            self.open(
                PUBLISH_RPC,
                CallShape::Unary,
                Some(request.encode()),
                &CallOptions::new(),
            )
            .await?,
        );
        Ok(response.await?.data)
    }

    /// The topics the server declares (`swill.topics`), in declaration
    /// order; empty for a server without topics.
    pub async fn topics(&self) -> Result<Vec<TopicDescription>, Error> {
        use futures::TryStreamExt;
        // The 404 of a server without topics comes as the stream's error.
        let topics = match self.server_stream(TOPICS_RPC, ()).await {
            Ok(items) => items.try_collect().await,
            Err(e) => Err(e),
        };
        match topics {
            Err(e) if e.code() == swill_proto::Code::NOT_FOUND => Ok(Vec::new()),
            topics => topics,
        }
    }

    /// Who is subscribed to a topic, on every node of the server.
    pub async fn presence(&self, topic: &str) -> Result<Vec<PresenceEntry>, Error> {
        let request = PresenceRequest {
            topic: topic.to_owned(),
        };
        self.call(PRESENCE_RPC, &request).await
    }

    /// The id of the client's session on the server, when the app has
    /// sessions: the one the server gave at connection (or announced when
    /// it regenerated the session). Keep it to resume the session later
    /// with [`Builder::session`](crate::Builder::session); the client
    /// presents it by itself when it reconnects. It is a credential: do not
    /// log it.
    pub fn session(&self) -> Option<String> {
        self.inner.connector.session()
    }

    /// Closes the connection with a WebSocket close handshake (code 1000)
    /// and waits until the socket is closed (at most a couple of seconds
    /// for the server's reply). Calls still in flight fail with
    /// [`Error::Disconnected`], and so do calls made afterwards, from any
    /// clone: the client does not reconnect.
    ///
    /// Dropping every clone closes the connection too, but in the
    /// background; a program about to exit calls `close` so that the
    /// server sees a clean close rather than a reset.
    pub async fn close(&self) {
        self.inner.connector.close().await;
    }

    /// Whether [`close`](Self::close) was called, on this client or a clone.
    pub fn is_closed(&self) -> bool {
        self.inner.connector.is_closed()
    }

    pub(crate) fn reconnect_policy(&self) -> &ReconnectPolicy {
        self.inner.connector.policy()
    }

    /// Opens a call: waits for an in-flight slot and a connection (within
    /// the deadline, if any), then sends the opening frame.
    async fn open(
        &self,
        rpc: &str,
        shape: CallShape,
        data: Option<Payload>,
        options: &CallOptions,
    ) -> Result<Inbound, Error> {
        let deadline = options
            .get_timeout()
            .map(|after| (Instant::now() + after, after));
        let ready = self.ready();
        let (slot, connection) = match deadline {
            Some((at, after)) => tokio::time::timeout_at(at, ready)
                .await
                .map_err(|_| Error::Timeout(after))??,
            None => ready.await?,
        };
        #[cfg(feature = "otel")]
        let traced = crate::otel::with_current_trace(options);
        #[cfg(feature = "otel")]
        let options = traced.as_ref().unwrap_or(options);
        let (seq, events) = connection.start(rpc, shape, data, options)?;
        Ok(Inbound::new(connection, seq, events, deadline, slot))
    }

    /// An in-flight slot, then a working connection.
    async fn ready(&self) -> Result<(OwnedSemaphorePermit, Arc<Connection>), Error> {
        let slot = self.inner.in_flight.clone().acquire_owned().await;
        let slot = slot.map_err(|_| Error::Cancelled)?;
        Ok((slot, self.inner.connector.connection().await?))
    }
}

fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Payload, Error> {
    Payload::encode(value).map_err(|e| Error::Encode(e.to_string()))
}
