//! What a handler can know about the connection its request came on.

use std::net::SocketAddr;

use http::{Extensions, HeaderMap};
use tokio_util::sync::CancellationToken;

/// The WebSocket connection a request arrived on, as it was upgraded.
///
/// Shared by every request of the connection; hooks (see the guide) can
/// read it too. Headers, query and cookies are those of the HTTP upgrade
/// request: where browsers put credentials, since they cannot set headers on
/// a WebSocket.
#[derive(Debug)]
pub struct ConnectionInfo {
    id: u64,
    remote_addr: Option<SocketAddr>,
    uri: http::Uri,
    headers: HeaderMap,
    subprotocol: Option<String>,
    extensions: Extensions,
    /// The app's topics, for [`Context::publish`](crate::Context::publish).
    pub(crate) topics: Option<crate::topics::Topics>,
    /// The connection's session, when the app has sessions.
    pub(crate) session: Option<std::sync::Arc<crate::sessions::Binding>>,
    /// Cancelled when the server starts shutting down.
    pub(crate) shutdown: CancellationToken,
}

impl ConnectionInfo {
    pub(crate) fn new(
        id: u64,
        handshake: crate::hooks::Handshake,
        subprotocol: Option<String>,
        topics: Option<crate::topics::Topics>,
        session: Option<std::sync::Arc<crate::sessions::Binding>>,
        shutdown: CancellationToken,
    ) -> Self {
        ConnectionInfo {
            id,
            remote_addr: handshake.remote_addr,
            uri: handshake.uri,
            headers: handshake.headers,
            subprotocol,
            extensions: handshake.extensions,
            topics,
            session,
            shutdown,
        }
    }

    /// A connection that is not one: what a [`Context`](crate::Context)
    /// built outside a server (in a unit test) reports.
    pub(crate) fn detached() -> Self {
        let handshake = crate::hooks::Handshake {
            uri: http::Uri::from_static("/"),
            headers: HeaderMap::new(),
            remote_addr: None,
            extensions: Extensions::new(),
        };
        ConnectionInfo::new(0, handshake, None, None, None, CancellationToken::new())
    }

    /// A number unique to this connection within the process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The peer's address, when the transport has one.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// The path and query the client upgraded on.
    pub fn uri(&self) -> &http::Uri {
        &self.uri
    }

    /// The headers of the upgrade request.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Values that `before_connection` hooks attached to the connection.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// The negotiated subprotocol: `swill.v1`, the legacy `swill/1`, or none.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// The value of a query parameter of the upgrade URL, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.uri.query()?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The value of a cookie sent with the upgrade request.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        crate::headers::cookies(&self.headers)
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}
