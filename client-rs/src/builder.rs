//! Everything about a client that is decided before it connects.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::client::Client;
use crate::error::Error;
use crate::reconnect::{ConnectionState, ReconnectPolicy};

/// Which subprotocol token the client offers in its upgrade request.
///
/// Both tokens select the same protocol; they differ only in the handshake.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Subprotocol {
    /// `swill.v1`, a valid RFC 6455 token: what our servers expect.
    #[default]
    V1,
    /// `swill/1`, the token the original Python Swill servers require.
    Legacy,
    /// `swill.v1` first; if the server refuses the handshake, once more
    /// with `swill/1`, which is then kept for reconnects.
    Auto,
}

/// How frames travel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// Binary MessagePack frames: compact and fast, the default.
    #[default]
    MessagePack,
    /// The same frames as JSON text (subprotocol `swill.v1.json`), readable
    /// in a browser's devtools and in packet captures. Bytes travel as
    /// arrays of integers; swill servers only (the original Python Swill
    /// speaks MessagePack).
    Json,
}

impl Subprotocol {
    /// The token of [`Subprotocol::V1`].
    pub const V1_TOKEN: &'static str = "swill.v1";
    /// The token of [`Subprotocol::Legacy`].
    pub const LEGACY_TOKEN: &'static str = "swill/1";
}

/// Called with every [`ConnectionState`] change.
pub(crate) type StateCallback = Arc<dyn Fn(&ConnectionState) + Send + Sync>;

/// The settings of a client, shared by its connections.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) cookies: Vec<(String, String)>,
    pub(crate) subprotocol: Subprotocol,
    pub(crate) encoding: Encoding,
    pub(crate) connect_timeout: Duration,
    pub(crate) keepalive: Option<Duration>,
    pub(crate) reconnect: ReconnectPolicy,
    pub(crate) on_state: Option<StateCallback>,
    pub(crate) max_in_flight: usize,
    pub(crate) stream_buffer: usize,
    /// Whether each connection asks the server for its rpcs' shapes.
    pub(crate) check_shapes: bool,
    /// The session id to present when connecting, and the one the server
    /// gave last: shared by every connection the client makes.
    pub(crate) session: SessionSlot,
    /// Opens the byte stream under the WebSocket; TCP to the URL's host
    /// when `None`.
    pub(crate) transport: Option<Dialer>,
    /// PEM certificates trusted for `wss://` besides the platform's roots.
    pub(crate) roots_pem: Vec<Vec<u8>>,
    /// The TLS settings made from those, built on the first `wss://` dial
    /// and kept for reconnects: reading the platform's roots takes a while.
    #[cfg(feature = "tls")]
    pub(crate) tls: TlsSlot,
}

/// Where a client keeps its TLS settings once built.
#[cfg(feature = "tls")]
pub(crate) type TlsSlot =
    std::sync::Arc<std::sync::OnceLock<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>>;

/// Opens a byte stream for a connection (see [`Builder::transport`]).
pub(crate) type Dialer = std::sync::Arc<
    dyn Fn() -> futures::future::BoxFuture<'static, std::io::Result<Box<dyn Io>>> + Send + Sync,
>;

/// A byte stream a WebSocket can run over: a TCP stream, an in-memory
/// pipe, a Unix socket...
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// Where a client keeps its session id between connections.
pub(crate) type SessionSlot = std::sync::Arc<std::sync::Mutex<Option<String>>>;

impl Config {
    /// Reports a state change to the callback, if there is one.
    pub(crate) fn report(&self, state: ConnectionState) {
        if let Some(callback) = &self.on_state {
            callback(&state);
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.url)
            .field("subprotocol", &self.subprotocol)
            .field("connect_timeout", &self.connect_timeout)
            .field("keepalive", &self.keepalive)
            .field("reconnect", &self.reconnect)
            .field("max_in_flight", &self.max_in_flight)
            .field("stream_buffer", &self.stream_buffer)
            .field("transport", &self.transport.as_ref().map(|_| "custom"))
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`] before it connects.
///
/// ```no_run
/// use std::time::Duration;
/// use swill_client::{Client, ReconnectPolicy};
///
/// # async fn run() -> Result<(), swill_client::Error> {
/// let client = Client::builder("ws://127.0.0.1:8000/ws")
///     .header("authorization", "Bearer s3cret")
///     .cookie("session", "abc123")
///     .connect_timeout(Duration::from_secs(3))
///     .keepalive(Duration::from_secs(15))
///     .reconnect(ReconnectPolicy::default())
///     .on_state_change(|state| println!("connection: {state:?}"))
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Builder {
    config: Config,
}

/// A clone starts from the same settings, with a session slot of its own:
/// two clients built from one builder must not overwrite each other's
/// session id.
impl Clone for Builder {
    fn clone(&self) -> Self {
        let mut config = self.config.clone();
        config.session = SessionSlot::new(std::sync::Mutex::new(
            lock_slot(&self.config.session).clone(),
        ));
        Builder { config }
    }
}

impl Builder {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        Builder {
            config: Config {
                url: url.into(),
                headers: Vec::new(),
                cookies: Vec::new(),
                subprotocol: Subprotocol::V1,
                encoding: Encoding::MessagePack,
                connect_timeout: Duration::from_secs(10),
                keepalive: None,
                reconnect: ReconnectPolicy::default(),
                on_state: None,
                max_in_flight: 256,
                stream_buffer: 64,
                check_shapes: true,
                session: SessionSlot::default(),
                transport: None,
                roots_pem: Vec::new(),
                #[cfg(feature = "tls")]
                tls: TlsSlot::default(),
            },
        }
    }

    /// Adds a header to the upgrade request (e.g. `authorization`). A name
    /// or value that is not valid HTTP makes [`connect`](Self::connect)
    /// fail with [`Error::Invalid`].
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.headers.push((name.into(), value.into()));
        self
    }

    /// Resumes a session the server issued earlier (see
    /// [`Client::session`](crate::Client::session)). Without one, the
    /// server starts a new session, if the app has sessions. Either way the
    /// client keeps the id the server gives, and presents it again when it
    /// reconnects.
    pub fn session(self, id: impl Into<String>) -> Self {
        *lock_slot(&self.config.session) = Some(id.into());
        self
    }

    /// Adds a cookie to the upgrade request's `Cookie` header.
    pub fn cookie(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.cookies.push((name.into(), value.into()));
        self
    }

    /// Chooses the subprotocol token to offer (default [`Subprotocol::V1`]).
    pub fn subprotocol(mut self, subprotocol: Subprotocol) -> Self {
        self.config.subprotocol = subprotocol;
        self
    }

    /// Offers the original's `swill/1`, to talk to original Python Swill
    /// servers. Short for `.subprotocol(Subprotocol::Legacy)`.
    pub fn legacy_subprotocol(self) -> Self {
        self.subprotocol(Subprotocol::Legacy)
    }

    /// How long one connection attempt may take, TCP and WebSocket
    /// handshake together (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Pings the server this often, and drops a connection that has sent
    /// nothing for two intervals (default: off, the server pings). A
    /// dropped connection fails its calls with 503, like any other loss.
    pub fn keepalive(mut self, every: Duration) -> Self {
        self.config.keepalive = Some(every);
        self
    }

    /// How to reconnect after the connection is lost (default
    /// [`ReconnectPolicy::default`]).
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.config.reconnect = policy;
        self
    }

    /// Calls `callback` on every change of the connection's state. It runs
    /// on the client's tasks: keep it short and do not block in it.
    pub fn on_state_change<F>(mut self, callback: F) -> Self
    where
        F: Fn(&ConnectionState) + Send + Sync + 'static,
    {
        self.config.on_state = Some(Arc::new(callback));
        self
    }

    /// The most calls in flight at once (default 256). A call past it
    /// waits until another ends, then goes out.
    pub fn max_in_flight(mut self, calls: usize) -> Self {
        self.config.max_in_flight = calls.max(1);
        self
    }

    /// How many received messages (and metadata events) one call buffers
    /// until its caller takes them (default 64). When a call's buffer is
    /// full, the connection stops reading until there is room: see the
    /// crate docs on streams that are not consumed.
    pub fn stream_buffer(mut self, messages: usize) -> Self {
        self.config.stream_buffer = messages.max(1);
        self
    }

    /// Whether each connection asks the server, once at its start, for the
    /// shapes of its rpcs (`swill.introspect`), so that a call opened with
    /// the wrong method (a stream of a unary rpc, a unary call of one that
    /// takes a request stream) fails with [`Error::Invalid`](crate::Error::Invalid)
    /// instead of waiting forever (default `true`).
    ///
    /// No call waits for that answer. A call with the wrong shape made
    /// before it arrived fails when it does (a stream of a unary rpc may
    /// have yielded the answer as an item by then); calls made after are
    /// refused before anything is sent. A server that does not describe
    /// its rpcs leaves them unchecked. Turn it off to save the one request
    /// per connection (its handlers and hooks see it too).
    pub fn check_shapes(mut self, check: bool) -> Self {
        self.config.check_shapes = check;
        self
    }

    /// Chooses how frames travel: MessagePack (the default) or JSON text
    /// (see [`Encoding`]). With JSON the subprotocol offered is
    /// `swill.v1.json`, whatever [`subprotocol`](Self::subprotocol) says;
    /// JSON with [`Subprotocol::Legacy`] makes `connect` fail, since the
    /// original servers speak MessagePack only.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.config.encoding = encoding;
        self
    }

    /// Trusts the certificates in `pem` (a private CA, or a self-signed
    /// server certificate) for `wss://`, besides the platform's roots.
    /// Repeatable. For a `wss://` URL, PEM that holds no certificate makes
    /// [`connect`](Builder::connect) fail with
    /// [`Error::Invalid`](crate::Error::Invalid) before anything is dialed.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), swill_client::Error> {
    /// let ca = std::fs::read("ca.pem").expect("the CA file");
    /// let client = swill_client::Client::builder("wss://internal.example.com/ws")
    ///     .root_certificates_pem(ca)
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.config.roots_pem.push(pem.into());
        // Settings built before (by a client made from a clone) lack it.
        #[cfg(feature = "tls")]
        {
            self.config.tls = TlsSlot::default();
        }
        self
    }

    /// Runs the WebSocket over streams that `open` makes, one per
    /// connection (reconnections included), instead of TCP to the URL's
    /// host: an in-memory pipe in tests (`swill::testing` does this), a
    /// Unix socket, a tunnel or a proxy. The URL still names the upgrade's
    /// path and `Host` header, and `wss://` still means TLS, over this
    /// stream.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), swill_client::Error> {
    /// // Through a local tunnel to the real host.
    /// let client = swill_client::Client::builder("ws://api.example.com/ws")
    ///     .transport(|| tokio::net::TcpStream::connect("127.0.0.1:9000"))
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn transport<F, Fut, T>(mut self, open: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::io::Result<T>> + Send + 'static,
        T: Io,
    {
        self.config.transport = Some(std::sync::Arc::new(move || {
            let opening = open();
            Box::pin(async move { Ok(Box::new(opening.await?) as Box<dyn Io>) })
        }));
        self
    }

    /// Connects (one attempt, bounded by the connect timeout) and returns
    /// the client. The reconnect policy applies to connections lost later.
    pub async fn connect(self) -> Result<Client, Error> {
        Client::from_config(self.config).await
    }
}

/// Locks the session slot; its data stays valid even after a panic.
pub(crate) fn lock_slot(slot: &SessionSlot) -> std::sync::MutexGuard<'_, Option<String>> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cloned_builder_has_a_session_slot_of_its_own() {
        let first = Builder::new("ws://127.0.0.1:1/ws").session("shared");
        let second = first.clone().session("other");
        assert_eq!(lock_slot(&first.config.session).as_deref(), Some("shared"));
        assert_eq!(lock_slot(&second.config.session).as_deref(), Some("other"));
    }
}
