//! The HTTP side: checking an upgrade request, running `before_connection`,
//! choosing the subprotocol, answering 101 and handing the upgraded socket
//! to a connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http::{Extensions, HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::config::SUBPROTOCOLS;
use crate::connection;
use crate::hooks::{self, Handshake};
use crate::info::ConnectionInfo;
use crate::response::{Body, plain};
use crate::router::Router;
use crate::shutdown::Shutdown;

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

/// Answers an HTTP request: 101 and a new connection for a valid WebSocket
/// upgrade on the app's path, a plain error status for anything else.
pub(crate) async fn respond<B>(
    router: Arc<Router>,
    mut req: Request<B>,
    remote_addr: Option<SocketAddr>,
    shutdown: Shutdown,
) -> Response<Body> {
    if req.uri().path() != router.config.path {
        // A WebSocket client pointed at the wrong path must not get a page
        // (with 200) it would report as a refused upgrade full of HTML.
        if has_token(req.headers(), header::UPGRADE, "websocket") {
            let message = format!(
                "no WebSocket endpoint at {}: it is at {}",
                req.uri().path(),
                router.config.path
            );
            return plain(StatusCode::NOT_FOUND, message);
        }
        return router.pages.respond(&req);
    }
    let protocol = match check(&req, &router) {
        Ok(protocol) => protocol,
        Err(refusal) => return refusal.into_response(),
    };
    // Held by the connection until it ends.
    let Ok(permit) = router.connections.clone().try_acquire_owned() else {
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections".into(),
        );
    };
    let mut headers = detach_headers(req.headers());
    crate::sessions::redacted(&mut headers);
    let handshake = Handshake {
        uri: detach_uri(req.uri()),
        headers,
        remote_addr,
        extensions: Extensions::new(),
    };
    let handshake = match hooks::chain(&router.hooks.before_connection, handshake).await {
        Ok(handshake) => handshake,
        Err(rejection) => return plain(rejection.status, rejection.reason),
    };
    // After the hooks: a refused handshake costs no store lookup.
    let session = match &router.sessions {
        Some(sessions) => {
            let presented = crate::sessions::presented(req.headers());
            Some(sessions.bind(presented.as_deref()).await)
        }
        None => None,
    };
    let key = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(HeaderValue::as_bytes);
    let accept = derive_accept_key(key.unwrap_or_default());
    let id = NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed);
    let info = Arc::new(ConnectionInfo::new(
        id,
        handshake,
        protocol.map(str::to_owned),
        router.topics.clone(),
        session.clone(),
        shutdown.token(),
    ));
    let secure = crate::site::is_https(&req);

    let on_upgrade = hyper::upgrade::on(&mut req);
    let tracker = shutdown.clone();
    tracker.spawn(async move {
        let _permit = permit;
        match on_upgrade.await {
            Ok(upgraded) => {
                let config = router
                    .config
                    .limits
                    .websocket(router.config.read_buffer_size);
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                connection::run(ws, router, info, shutdown).await;
            }
            Err(e) => tracing::debug!(error = %e, "the upgrade did not complete"),
        }
    });

    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let Some(protocol) = protocol {
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(protocol),
        );
    }
    if let Some(session) = session {
        let id = session.id();
        let cookie = crate::sessions::cookie(&id, secure);
        if let (Ok(id), Ok(cookie)) = (HeaderValue::from_str(&id), HeaderValue::from_str(&cookie)) {
            headers.insert(crate::sessions::SESSION_HEADER, id);
            headers.insert(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// Why an HTTP request was not upgraded: sent as a plain-text response.
struct Refusal {
    status: StatusCode,
    reason: &'static str,
    /// A header that tells the client what would have worked.
    hint: Option<(header::HeaderName, &'static str)>,
}

impl Refusal {
    fn new(status: StatusCode, reason: &'static str) -> Self {
        Refusal {
            status,
            reason,
            hint: None,
        }
    }

    fn hint(mut self, name: header::HeaderName, value: &'static str) -> Self {
        self.hint = Some((name, value));
        self
    }

    fn into_response(self) -> Response<Body> {
        let mut response = plain(self.status, self.reason.into());
        if let Some((name, value)) = self.hint {
            response
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        response
    }
}

/// Checks that `req` is a WebSocket upgrade we can accept, and picks the
/// subprotocol (`None` when the client offered none).
fn check<B>(req: &Request<B>, router: &Router) -> Result<Option<&'static str>, Refusal> {
    let headers = req.headers();
    if req.method() != Method::GET {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "a WebSocket upgrade is a GET",
        ));
    }
    let upgrading = has_token(headers, header::CONNECTION, "upgrade")
        && has_token(headers, header::UPGRADE, "websocket");
    if !upgrading {
        return Err(Refusal::new(
            StatusCode::UPGRADE_REQUIRED,
            "this endpoint speaks WebSocket only",
        )
        .hint(header::UPGRADE, "websocket"));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(Refusal::new(
            StatusCode::UPGRADE_REQUIRED,
            "unsupported WebSocket version; 13 is supported",
        )
        .hint(header::SEC_WEBSOCKET_VERSION, "13"));
    }
    if !headers.contains_key(header::SEC_WEBSOCKET_KEY) {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "missing Sec-WebSocket-Key",
        ));
    }
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    if !router.config.origin_allowed(origin) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "this origin may not connect",
        ));
    }
    negotiate(headers).ok_or(Refusal::new(
        StatusCode::BAD_REQUEST,
        "unsupported subprotocol: offer swill.v1 (or swill.v1.json for JSON frames, or the legacy swill/1), or none",
    ))
}

/// The subprotocol policy of docs/protocol.md: the first offered token we
/// speak wins; no offer at all is v1 without a header; offers of only other
/// protocols are refused (`None`).
fn negotiate(headers: &HeaderMap) -> Option<Option<&'static str>> {
    let mut offered = crate::headers::items(headers, &header::SEC_WEBSOCKET_PROTOCOL, ',')
        // A session id in disguise is no protocol offer.
        .filter(|t| !t.starts_with(crate::sessions::SESSION_PROTOCOL_PREFIX))
        .peekable();
    if offered.peek().is_none() {
        return Some(None);
    }
    offered
        .find_map(|t| SUBPROTOCOLS.iter().find(|ours| **ours == t))
        .map(|t| Some(*t))
}

/// A copy of the headers that owns its bytes. hyper parses headers without
/// copying, as slices of its 8 KiB read buffer: a plain clone kept in the
/// connection's info would keep that whole buffer alive as long as the
/// connection, which was most of an idle connection's memory.
fn detach_headers(headers: &HeaderMap) -> HeaderMap {
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let mut copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        copy.set_sensitive(value.is_sensitive());
        owned.append(name.clone(), copy);
    }
    owned
}

/// A copy of the URI that owns its bytes, for the same reason.
fn detach_uri(uri: &http::Uri) -> http::Uri {
    uri.to_string().parse().unwrap_or_else(|_| uri.clone())
}

fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    crate::headers::items(headers, &name, ',').any(|t| t.eq_ignore_ascii_case(token))
}
