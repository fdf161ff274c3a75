//! Dialing: the upgrade request (URL, headers, cookies, subprotocol) and
//! the WebSocket handshake.

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{ProtocolError, UrlError};
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, header};
use tokio_tungstenite::tungstenite::{self};

use super::Socket;
use crate::builder::{Config, Io, lock_slot};
use crate::error::Error;
use crate::session::SESSION_KEY;

/// A failed attempt, and whether the server answered but refused the
/// upgrade (worth another try with the legacy subprotocol).
#[derive(Debug)]
pub(crate) struct DialFailure {
    pub(crate) error: Error,
    pub(crate) refused: bool,
}

impl From<Error> for DialFailure {
    fn from(error: Error) -> Self {
        DialFailure {
            error,
            refused: false,
        }
    }
}

/// Connects to the configured URL offering the subprotocol `token`.
///
/// tungstenite checks that the server echoes one of the offered tokens,
/// comparing strings only, so the legacy `swill/1` (not an RFC 6455 token)
/// is offered and accepted like any other.
pub(crate) async fn dial(config: &Config, token: &str) -> Result<Socket, DialFailure> {
    let request = request(config, token)?;
    let handshake = async {
        let stream = open(config, &request).await?;
        tokio_tungstenite::client_async_with_config(request, stream, None).await
    };
    match tokio::time::timeout(config.connect_timeout, handshake).await {
        Ok(Ok((socket, response))) => {
            // The server's id for this connection's session, kept for the
            // next connection.
            let issued = response.headers().get(SESSION_KEY);
            if let Some(id) = issued.and_then(|v| v.to_str().ok()) {
                *lock_slot(&config.session) = Some(id.to_owned());
            }
            Ok(socket)
        }
        Ok(Err(e)) => Err(failure(e)),
        Err(_) => Err(DialFailure::from(Error::Connect {
            status: None,
            reason: format!(
                "no connection within the connect timeout of {} ms",
                config.connect_timeout.as_millis()
            ),
        })),
    }
}

/// The byte stream under the WebSocket: the configured transport's, or
/// TCP to the URL's host (without Nagle's delay: calls are small frames).
async fn open(config: &Config, request: &Request) -> Result<Box<dyn Io>, tungstenite::Error> {
    let uri = request.uri();
    // `ws` or `wss`; any other scheme is refused before connecting.
    let secure = matches!(
        tungstenite::client::uri_mode(uri)?,
        tungstenite::stream::Mode::Tls
    );
    let host = uri
        .host()
        .ok_or(tungstenite::Error::Url(UrlError::NoHostName))?;
    // An IPv6 literal comes bracketed.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    // The user's transport, or TCP to the URL's host.
    let stream: Box<dyn Io> = match &config.transport {
        Some(open) => open().await?,
        None => {
            let tcp = tokio::net::TcpStream::connect((host, port)).await?;
            tcp.set_nodelay(true)?;
            Box::new(tcp)
        }
    };
    if !secure {
        return Ok(stream);
    }
    // `wss://` is TLS over whatever carries the bytes, a tunnel included.
    #[cfg(feature = "tls")]
    return super::tls::wrap(config, host, stream).await;
    #[cfg(not(feature = "tls"))]
    return Err(tungstenite::Error::Url(UrlError::TlsFeatureNotEnabled));
}

/// Whether `url` (as the builder took it) is `wss://`.
#[cfg(feature = "tls")]
pub(crate) fn is_secure(url: &str) -> bool {
    endpoint(url).starts_with("wss://")
}

/// The URL to connect to: `ws://` is assumed without a scheme, and `/ws`
/// (the protocol's default path) without a path.
///
/// ```text
/// 127.0.0.1:8000             -> ws://127.0.0.1:8000/ws
/// ws://example.com           -> ws://example.com/ws
/// ws://example.com/api/swill -> unchanged
/// ```
pub(crate) fn endpoint(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("ws", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let path = if tail.starts_with('/') { "" } else { "/ws" };
    format!("{scheme}://{authority}{path}{tail}")
}

fn request(config: &Config, token: &str) -> Result<Request, Error> {
    let invalid = |what: String| Error::Invalid(what);
    let url = endpoint(&config.url);
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| invalid(format!("`{url}` is not a WebSocket URL: {e}")))?;
    let headers = request.headers_mut();
    if let Some(id) = lock_slot(&config.session).as_deref() {
        // Said, not dropped: the server would start a new session instead.
        let value = HeaderValue::from_str(id)
            .map_err(|_| invalid(format!("the session id {id:?} is not a valid header value")))?;
        headers.insert(SESSION_KEY, value);
    }
    for (name, value) in &config.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("`{name}` is not a valid header name")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| invalid(format!("the value of `{name}` is not a valid header value")))?;
        headers.append(name, value);
    }
    if !config.cookies.is_empty() {
        // Checked one by one: a `;` in a name or value would split one
        // cookie into two without an error (RFC 6265, section 4.1.1).
        for (name, value) in &config.cookies {
            if !swill_proto::is_token(name) {
                return Err(invalid(format!("`{name}` is not a valid cookie name")));
            }
            if !is_cookie_value(value) {
                return Err(invalid(format!(
                    "the value of cookie `{name}` is not a valid cookie value"
                )));
            }
        }
        let cookies: Vec<String> = config
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let value = HeaderValue::from_str(&cookies.join("; "))
            .map_err(|_| invalid("a cookie is not a valid header value".to_owned()))?;
        headers.insert(header::COOKIE, value);
    }
    let protocol = HeaderValue::from_str(token)
        .map_err(|_| invalid(format!("`{token}` is not a valid header value")))?;
    headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
    Ok(request)
}

/// A cookie value (RFC 6265, section 4.1.1): cookie-octets (visible ASCII
/// but `"`, `,`, `;` and `\`), optionally in one pair of double quotes.
fn is_cookie_value(value: &str) -> bool {
    let bare = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    bare.bytes()
        .all(|b| b.is_ascii_graphic() && !b"\",;\\".contains(&b))
}

fn failure(e: tungstenite::Error) -> DialFailure {
    let connect = |status: Option<u16>, reason: String| Error::Connect { status, reason };
    match e {
        tungstenite::Error::Http(response) => {
            let status = response.status();
            let body = response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let reason = match body.trim() {
                "" => format!("the server refused the upgrade: {status}"),
                body => format!("the server refused the upgrade: {status}: {body}"),
            };
            DialFailure {
                error: connect(Some(status.as_u16()), reason),
                refused: true,
            }
        }
        tungstenite::Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(e)) => {
            DialFailure {
                error: connect(None, format!("subprotocol refused: {e}")),
                refused: true,
            }
        }
        tungstenite::Error::Url(e) => DialFailure::from(Error::Invalid(e.to_string())),
        // What a TLS server answers a plain upgrade with is no HTTP at all.
        tungstenite::Error::Protocol(ProtocolError::HttparseError(e)) => {
            DialFailure::from(connect(
                None,
                format!(
                    "the answer to the upgrade is not HTTP ({e}); if the server speaks TLS, use wss://"
                ),
            ))
        }
        other => DialFailure::from(connect(None, other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn a_quoted_cookie_value_is_one() {
        assert!(super::is_cookie_value("\"abc\""));
        assert!(super::is_cookie_value("abc"));
        assert!(!super::is_cookie_value("\"a\"b\""));
    }

    /// Refused before dialing (port 1 would answer a connection failure).
    #[tokio::test]
    async fn a_cookie_that_would_split_in_two_is_refused() {
        for (name, value) in [
            ("a;b", "c"),
            ("a b", "c"),
            ("", "c"),
            ("a", "b; c=d"),
            ("a", "\"b"),
        ] {
            let connected = crate::Client::builder("ws://127.0.0.1:1/ws")
                .cookie(name, value)
                .connect()
                .await;
            assert!(
                matches!(connected, Err(crate::Error::Invalid(_))),
                "{name:?}={value:?}: {connected:?}"
            );
        }
    }

    #[test]
    fn endpoints_get_a_scheme_and_a_path_when_they_lack_them() {
        assert_eq!(endpoint("127.0.0.1:8000"), "ws://127.0.0.1:8000/ws");
        assert_eq!(endpoint("ws://example.com"), "ws://example.com/ws");
        assert_eq!(endpoint("ws://example.com?x=1"), "ws://example.com/ws?x=1");
        assert_eq!(endpoint("wss://example.com/api"), "wss://example.com/api");
        assert_eq!(endpoint("ws://h:1/"), "ws://h:1/");
    }
}
