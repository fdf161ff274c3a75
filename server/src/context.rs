//! The per-call context: who called, with what metadata, and the response
//! metadata the handler sets.

use std::sync::Arc;

use http::Extensions;
use std::future::Future;
use swill_proto::{Metadata, Seq};

use crate::call::Responder;
use crate::error::Error;
use crate::info::ConnectionInfo;
use crate::sessions::Session;

/// A request before its handler runs, as the request hooks see it.
#[derive(Debug)]
pub struct RequestHead {
    /// The rpc called.
    pub rpc: Arc<str>,
    /// The request's seq.
    pub seq: Seq,
    /// The request metadata; hooks may change it.
    pub metadata: Metadata,
    /// Values for the handler (e.g. the user a token names).
    pub extensions: Extensions,
    /// The connection the request came on.
    pub connection: Arc<ConnectionInfo>,
    /// The client's session, when the app has sessions
    /// ([`App::sessions`](crate::App::sessions)): a hook can check who
    /// signed in, and refuse with 401.
    pub session: Option<Session>,
}

/// Everything about one call except its data: the request metadata, the
/// connection, values attached by hooks, and the response metadata.
///
/// It is cheap to clone: clone it into a response stream to set trailing
/// metadata once the stream is done.
///
/// ```
/// use futures::Stream;
/// use swill::{Error, Metadata, Request};
///
/// async fn count(req: Request<u32>) -> impl Stream<Item = Result<u32, Error>> {
///     let ctx = req.ctx.clone();
///     ctx.set_leading_metadata(Metadata::from([("unit", "items")]));
///     async_stream::stream! {
///         for i in 0..req.data {
///             yield Ok(i);
///         }
///         ctx.set_trailing_metadata(Metadata::from([("total", req.data)]));
///     }
/// }
/// ```
#[derive(Clone)]
pub struct Context(Arc<Inner>);

struct Inner {
    rpc: Arc<str>,
    seq: Seq,
    metadata: Metadata,
    connection: Arc<ConnectionInfo>,
    extensions: Extensions,
    session: Option<Session>,
    /// Where the metadata the handler sets goes out.
    responder: Arc<Responder>,
}

impl Context {
    pub(crate) fn new(head: RequestHead, responder: Arc<Responder>) -> Self {
        Context(Arc::new(Inner {
            rpc: head.rpc,
            seq: head.seq,
            metadata: head.metadata,
            connection: head.connection,
            extensions: head.extensions,
            session: head.session,
            responder,
        }))
    }

    /// The rpc name the client called.
    pub fn rpc(&self) -> &str {
        &self.0.rpc
    }

    /// The request's seq.
    pub fn seq(&self) -> Seq {
        self.0.seq
    }

    /// The request metadata (empty when the client sent none).
    pub fn metadata(&self) -> &Metadata {
        &self.0.metadata
    }

    /// The connection the request arrived on.
    pub fn connection(&self) -> &ConnectionInfo {
        &self.0.connection
    }

    /// Typed values attached by hooks, such as the authenticated user: the
    /// connection's (from `before_connection`), plus the request's own
    /// (from `before_request`).
    pub fn extensions(&self) -> &Extensions {
        &self.0.extensions
    }

    /// The client's session, when the app has sessions
    /// ([`App::sessions`](crate::App::sessions)); see [`Session`].
    pub fn session(&self) -> Option<&Session> {
        self.0.session.as_ref()
    }

    /// Publishes to one of the app's topics (see [`App::topics`](crate::App::topics)),
    /// returning the publication's position.
    ///
    /// ```
    /// use swill::{Error, Request};
    /// use swill::topics::Position;
    ///
    /// /// Posts to the chat, and says where the message landed.
    /// async fn post(req: Request<String>) -> Result<Position, Error> {
    ///     req.ctx.publish("chat", &req.data).await
    /// }
    /// ```
    ///
    /// Fails with 404 when the app has no such topic, and 503 when the
    /// topic engine is unreachable.
    pub async fn publish<T: serde::Serialize + ?Sized>(
        &self,
        topic: &str,
        value: &T,
    ) -> Result<swill_proto::Position, Error> {
        match &self.0.connection.topics {
            Some(topics) => topics.publish(topic, value).await,
            None => Err(Error::not_found(format!(
                "no topic `{topic}`: this app serves no topics"
            ))),
        }
    }

    /// Whether the server has started shutting down: new requests are
    /// refused, and open ones have the grace period to finish.
    pub fn is_shutting_down(&self) -> bool {
        self.0.connection.shutdown.is_cancelled()
    }

    /// Resolves when the server starts shutting down: an endless stream
    /// awaits it to end cleanly (END_OF_STREAM) instead of being cut at
    /// the end of the grace period.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::Stream;
    /// use swill::{Error, Request};
    ///
    /// /// Ticks every second until the server stops.
    /// async fn ticks(req: Request<()>) -> impl Stream<Item = Result<u64, Error>> {
    ///     let stopping = req.ctx.shutting_down();
    ///     async_stream::stream! {
    ///         tokio::pin!(stopping);
    ///         let mut every = tokio::time::interval(Duration::from_secs(1));
    ///         for n in 0.. {
    ///             tokio::select! {
    ///                 () = &mut stopping => break,
    ///                 _ = every.tick() => yield Ok(n),
    ///             }
    ///         }
    ///     }
    /// }
    /// ```
    pub fn shutting_down(&self) -> impl Future<Output = ()> + Send + use<> {
        self.0.connection.shutdown.clone().cancelled_owned()
    }

    /// Sets the leading metadata, carried on the first response frame.
    ///
    /// Returns false, and changes nothing, once leading metadata has gone
    /// out: the protocol allows it once per request.
    pub fn set_leading_metadata(&self, metadata: Metadata) -> bool {
        self.0.responder.set_leading(metadata)
    }

    /// Sends leading metadata at once, as a METADATA frame, before any
    /// message: for a client that wants it before the first item is ready.
    ///
    /// Returns false if leading metadata already went out, a
    /// `before_leading_metadata` hook rejected it, or the connection is gone.
    pub async fn send_leading_metadata(&self, metadata: Metadata) -> bool {
        self.0.responder.send_leading(self, metadata).await
    }

    /// Sets the trailing metadata, carried on the final frame (the unary
    /// answer or END_OF_STREAM; an ERROR carries none).
    pub fn set_trailing_metadata(&self, metadata: Metadata) {
        self.0.responder.set_trailing(metadata);
    }

    /// The call's responder, for the call and for topics' fan-out.
    pub(crate) fn responder(&self) -> &Responder {
        &self.0.responder
    }
}

/// A context outside any server, for calling a handler directly in a
/// unit test: rpc `""`, seq 0, no metadata, a connection with no address;
/// what the handler sends with it goes nowhere.
///
/// ```
/// use swill::{Context, Error, Request};
///
/// async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
///     Ok(req.data.0 + req.data.1)
/// }
///
/// # tokio_test(async {
/// let sum = add(Request { data: (1, 2), ctx: Context::default() }).await;
/// assert_eq!(sum.ok(), Some(3));
/// assert_eq!(add(Request::new((2, 2))).await.ok(), Some(4));
/// # });
/// # fn tokio_test(f: impl std::future::Future) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f);
/// # }
/// ```
impl Default for Context {
    fn default() -> Self {
        Context::detached(Metadata::new(), Extensions::new())
    }
}

impl Context {
    /// A context outside any server, as [`Context::default`], with request
    /// metadata and extensions (what hooks would have attached): for unit
    /// tests of handlers that read them.
    pub fn detached(metadata: Metadata, extensions: Extensions) -> Self {
        let head = RequestHead {
            rpc: "".into(),
            seq: Seq::default(),
            metadata,
            extensions,
            connection: Arc::new(ConnectionInfo::detached()),
            session: None,
        };
        // A write queue nobody reads: what the handler sends goes nowhere.
        let (outbox, _) = crate::outbox::Outbox::channel(1);
        let responder = Responder::new(head.seq, outbox, Arc::default());
        Context::new(head, Arc::new(responder))
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("rpc", &self.0.rpc)
            .field("seq", &self.0.seq)
            .field("metadata", &self.0.metadata)
            .field("connection", &self.0.connection.id())
            .finish()
    }
}
