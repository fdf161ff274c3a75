//! What a handler can know about the connection its request came on.

use std::net::SocketAddr;
use std::sync::OnceLock;

use http::{Extensions, HeaderMap, HeaderName, HeaderValue};
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
    headers: Headers,
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
            headers: Headers::pack(&handshake.headers),
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
        self.headers.map()
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
        crate::headers::cookies(self.headers())
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// The upgrade request's headers: one block of bytes, and a [`HeaderMap`]
/// made from it the first time somebody asks.
///
/// A `HeaderMap` is a table of entries and a small allocation per value,
/// about a kilobyte for a handful of headers, and every connection holds its
/// own for as long as it lives; most apps read headers in the
/// `before_connection` hooks (from the `Handshake`) and never again.
struct Headers {
    /// Each header as: the name's length (u32, little-endian), the name,
    /// the value's length, the value, and 1 if the value is sensitive.
    packed: Box<[u8]>,
    map: OnceLock<HeaderMap>,
}

impl Headers {
    fn pack(headers: &HeaderMap) -> Self {
        let mut packed = Vec::new();
        for (name, value) in headers {
            for part in [name.as_str().as_bytes(), value.as_bytes()] {
                let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
                packed.extend_from_slice(&len.to_le_bytes());
                packed.extend_from_slice(part);
            }
            packed.push(u8::from(value.is_sensitive()));
        }
        Headers {
            packed: packed.into_boxed_slice(),
            map: OnceLock::new(),
        }
    }

    fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| {
            let mut map = HeaderMap::new();
            for (name, value) in self.unpacked() {
                map.append(name, value);
            }
            map
        })
    }

    /// The headers, read back from the packed block.
    fn unpacked(&self) -> impl Iterator<Item = (HeaderName, HeaderValue)> + '_ {
        let mut rest = &self.packed[..];
        std::iter::from_fn(move || {
            // What `pack` wrote from a valid `HeaderMap` reads back whole;
            // the checks only keep a mistake here from panicking.
            loop {
                let (name, after) = take(rest)?;
                let (value, after) = take(after)?;
                let (&sensitive, after) = after.split_first()?;
                rest = after;
                if let (Ok(name), Ok(mut value)) =
                    (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
                {
                    value.set_sensitive(sensitive == 1);
                    return Some((name, value));
                }
            }
        })
    }
}

/// Splits a length-prefixed part off the front of `bytes`.
fn take(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
    (len <= rest.len()).then(|| rest.split_at(len))
}

impl std::fmt::Debug for Headers {
    /// As a `HeaderMap` prints (sensitive values hidden), without making
    /// one: logging a connection must not undo the packing.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.unpacked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_read_back_as_they_were_given() {
        let mut given = HeaderMap::new();
        given.append("cookie", HeaderValue::from_static("a=1"));
        given.append("cookie", HeaderValue::from_static("b=2"));
        let mut secret = HeaderValue::from_static("Bearer t");
        secret.set_sensitive(true);
        given.insert("authorization", secret);
        given.insert("x-empty", HeaderValue::from_static(""));
        given.insert(
            "x-bytes",
            HeaderValue::from_bytes(b"caf\xe9").expect("obs-text is allowed"),
        );

        let read = Headers::pack(&given);
        assert_eq!(format!("{read:?}"), format!("{given:?}"));
        assert!(read.map.get().is_none(), "Debug made the map");
        let map = read.map();
        assert_eq!(map, &given);
        assert!(map["authorization"].is_sensitive());
        let cookies: Vec<_> = map.get_all("cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
    }
}
