//! Testing handlers without sockets (feature `testing`).
//!
//! A [`TestServer`] runs an app's real connection code, and a
//! [`TestClient`] is the real Rust client (`swill_client`), joined by an
//! in-memory pipe instead of TCP: hooks, limits, metadata, deadlines and
//! cancellation behave exactly as over the network, and nothing listens
//! on a port.
//!
//! ```
//! use swill::{App, Error, Module, Request, State};
//! use swill::testing::TestClient;
//!
//! #[derive(Clone)]
//! struct Db { users: Vec<String> }
//!
//! /// Adds two numbers.
//! async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
//!     Ok(req.data.0 + req.data.1)
//! }
//!
//! /// Fetches a user's name.
//! async fn get(State(db): State<Db>, req: Request<usize>) -> Result<String, Error> {
//!     db.users.get(req.data).cloned().ok_or_else(|| Error::not_found("no such user"))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), swill_client::Error> {
//! let db = Db { users: vec!["ada".into()] };
//! let users = Module::new("users").handle(get);            // rpc "users.get"
//! let app = App::with_state(db).handle(add).nest(users);
//!
//! let client = TestClient::new(app);
//! assert_eq!(client.call::<i64>("add", (1, 2)).await?, 3);
//! assert_eq!(client.call::<String>("users.get", 0).await?, "ada");
//! # Ok(()) }
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use swill_client::{
    Builder, CallOptions, Client, Error, RequestSender, Response, ResponseFuture, ResponseStream,
    RpcDescription,
};
use tokio::sync::OnceCell;

use crate::app::App;
use crate::router::Router;
use crate::serve::serve_http;
use crate::shutdown::Shutdown;

/// How much the in-memory pipe holds in each direction, as a socket's
/// buffers would.
const PIPE_BUFFER: usize = 256 * 1024;

/// An app served in memory: make clients of it with
/// [`client`](TestServer::client) or [`client_builder`](TestServer::client_builder).
///
/// Every connection runs the app's real connection code (upgrade, hooks,
/// limits) on a task of the current tokio runtime. Connections come from
/// `127.0.0.1:0` unless [`remote_addr`](TestServer::remote_addr) says
/// otherwise.
#[derive(Clone)]
pub struct TestServer {
    router: Arc<Router>,
    shutdown: Shutdown,
    remote: SocketAddr,
}

impl TestServer {
    /// Freezes `app` to serve it in memory.
    ///
    /// # Panics
    ///
    /// With the `spec` feature, when the app and its AsyncAPI document do
    /// not fit (see `App::check`), as `serve` would refuse to start.
    pub fn new<S>(app: App<S>) -> TestServer {
        #[cfg(feature = "spec")]
        if let Err(e) = app.check() {
            panic!("{e}");
        }
        TestServer {
            router: app.into_router(),
            shutdown: Shutdown::default(),
            remote: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }

    /// The peer address connections report (what guards and
    /// `ConnectionInfo::remote_addr` see).
    pub fn remote_addr(mut self, addr: SocketAddr) -> Self {
        self.remote = addr;
        self
    }

    /// A client of this server with the default settings; it connects on
    /// its first call.
    pub fn client(&self) -> TestClient {
        TestClient {
            builder: self.client_builder(),
            client: OnceCell::new(),
        }
    }

    /// A client builder whose connections reach this server in memory:
    /// set headers, cookies, a session or a reconnect policy, then
    /// `connect().await`.
    pub fn client_builder(&self) -> Builder {
        let server = self.clone();
        let url = format!("ws://swill.test{}", self.router.config.path);
        Client::builder(url).transport(move || {
            let (near, far) = tokio::io::duplex(PIPE_BUFFER);
            tokio::spawn(serve_http(
                far,
                server.router.clone(),
                Some(server.remote),
                server.shutdown.clone(),
                false,
            ));
            std::future::ready(Ok(near))
        })
    }

    /// Shuts the server down gracefully, as `Serve::with_graceful_shutdown`
    /// does, resolving once every connection is closed.
    pub async fn shutdown(&self) {
        self.shutdown.run().await
    }
}

/// The real client, connected to an app in memory: the calls of
/// [`swill_client::Client`], with the response type first.
///
/// [`TestClient::new`] serves the app for this one client; make several
/// clients of one app with a [`TestServer`]. Dropping a call's future or
/// stream before its end sends CANCEL, as over the network.
pub struct TestClient {
    builder: Builder,
    client: OnceCell<Client>,
}

impl TestClient {
    /// Serves `app` in memory and returns a client of it, which connects on
    /// its first call (inside a tokio runtime).
    pub fn new<S>(app: App<S>) -> TestClient {
        TestServer::new(app).client()
    }

    /// The connected client, for anything this wrapper does not repeat
    /// (topics, sessions).
    pub async fn client(&self) -> Result<&Client, Error> {
        self.client
            .get_or_try_init(|| self.builder.clone().connect())
            .await
    }

    /// A unary call.
    pub async fn call<Resp: DeserializeOwned>(
        &self,
        rpc: &str,
        request: impl Serialize,
    ) -> Result<Resp, Error> {
        self.client().await?.call(rpc, request).await
    }

    /// A unary call with metadata or a deadline; the answer comes with
    /// the response metadata.
    pub async fn call_with<Resp: DeserializeOwned>(
        &self,
        rpc: &str,
        request: impl Serialize,
        options: CallOptions,
    ) -> Result<Response<Resp>, Error> {
        self.client().await?.call_with(rpc, request, options).await
    }

    /// A call whose answer streams.
    pub async fn server_stream<Resp: DeserializeOwned>(
        &self,
        rpc: &str,
        request: impl Serialize,
    ) -> Result<ResponseStream<Resp>, Error> {
        self.client().await?.server_stream(rpc, request).await
    }

    /// A call whose answer streams, with metadata or a deadline.
    pub async fn server_stream_with<Resp: DeserializeOwned>(
        &self,
        rpc: &str,
        request: impl Serialize,
        options: CallOptions,
    ) -> Result<ResponseStream<Resp>, Error> {
        let client = self.client().await?;
        client.server_stream_with(rpc, request, options).await
    }

    /// A call whose request streams: send on the sender, then await the
    /// answer.
    pub async fn client_stream<Resp: DeserializeOwned, Req: Serialize>(
        &self,
        rpc: &str,
    ) -> Result<(RequestSender<Req>, ResponseFuture<Resp>), Error> {
        self.client().await?.client_stream(rpc).await
    }

    /// A call whose request and answer both stream.
    pub async fn bidi<Resp: DeserializeOwned, Req: Serialize>(
        &self,
        rpc: &str,
    ) -> Result<(RequestSender<Req>, ResponseStream<Resp>), Error> {
        self.client().await?.bidi(rpc).await
    }

    /// Every rpc the app describes (`swill.introspect`).
    pub async fn introspect(&self) -> Result<Vec<RpcDescription>, Error> {
        self.client().await?.introspect().await
    }
}
