//! A connection's hold on its session: the id it currently has, and how a
//! client presents one.

use std::sync::{Arc, Mutex, MutexGuard};

use http::HeaderMap;
use http::header::{COOKIE, SEC_WEBSOCKET_PROTOCOL};

use crate::headers::{cookies, items, retain};

use super::store::Store;

/// The cookie browsers present the id in.
pub(crate) const SESSION_COOKIE: &str = "swill_session";
/// The header (on the upgrade request and response) and the metadata key
/// (on answers) that carry the id for clients that manage it themselves.
pub(crate) const SESSION_HEADER: &str = swill_proto::Metadata::SESSION;
/// A subprotocol token carrying the id, for clients that can set no header
/// (browsers after a regeneration); never selected.
pub(crate) const SESSION_PROTOCOL_PREFIX: &str = swill_proto::Metadata::SESSION_PROTOCOL_PREFIX;

/// The session of one connection.
pub(crate) struct Binding {
    pub(crate) store: Arc<dyn Store>,
    state: Mutex<Bound>,
}

pub(crate) struct Bound {
    pub(crate) id: String,
    /// Whether the store holds this session (so that finding it gone means
    /// it was destroyed or expired).
    pub(crate) known: bool,
    /// Whether the id changed since the client was last told it (by the
    /// upgrade response, or an answer's trailing metadata). Kept per
    /// connection, not per request: a request that changes the id and then
    /// fails cannot tell (an ERROR carries no metadata), so the next answer
    /// on the connection does.
    untold: bool,
}

impl Bound {
    /// Moves the connection to a new id, for the client to be told;
    /// returns the old one.
    pub(crate) fn renew(&mut self) -> String {
        self.known = false;
        self.untold = true;
        std::mem::replace(&mut self.id, new_id())
    }
}

impl Binding {
    /// Binds the presented id if the store knows it, else a new one. A
    /// store that cannot be asked keeps a well-formed id: requests then
    /// fail with 503 until it is back, rather than losing the session.
    pub(crate) async fn resolve(store: Arc<dyn Store>, presented: Option<&str>) -> Arc<Binding> {
        let known = match presented.filter(|id| well_formed(id)) {
            Some(id) => match store.load(id).await {
                Ok(Some(_)) | Err(_) => Some(id.to_owned()),
                Ok(None) => None,
            },
            None => None,
        };
        let bound = match known {
            Some(id) => Bound {
                id,
                known: true,
                untold: false,
            },
            None => Bound {
                id: new_id(),
                known: false,
                untold: false,
            },
        };
        Arc::new(Binding {
            store,
            state: Mutex::new(bound),
        })
    }

    /// The current id, for the upgrade response only: never log it.
    pub(crate) fn id(&self) -> String {
        self.state().id.clone()
    }

    /// The current id if the client has not been told it yet, for an
    /// answer's trailing metadata; the client counts as told from then on.
    pub(crate) fn take_untold(&self) -> Option<String> {
        let mut bound = self.state();
        std::mem::take(&mut bound.untold).then(|| bound.id.clone())
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, Bound> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for Binding {
    // Never the id: it is a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binding").finish_non_exhaustive()
    }
}

/// 128 bits from the operating system's random source, in hex.
pub(crate) fn new_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness at all is a broken machine; an id that could be
        // guessed must never be issued.
        panic!("the operating system's random source failed");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `id` could be one of ours: 32 lowercase hex digits. Anything
/// else is not even looked up.
fn well_formed(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The id a client presents on the upgrade request: the header, else a
/// subprotocol token, else the cookie.
pub(crate) fn presented(headers: &HeaderMap) -> Option<String> {
    let header = headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let token = || {
        items(headers, &SEC_WEBSOCKET_PROTOCOL, ',')
            .find_map(|t| t.strip_prefix(SESSION_PROTOCOL_PREFIX))
    };
    let cookie = || {
        cookies(headers)
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value)
    };
    // The first carrier with a well-formed id: a malformed header must not
    // hide a good cookie.
    header
        .filter(|id| well_formed(id))
        .or_else(|| token().filter(|id| well_formed(id)))
        .or_else(|| cookie().filter(|id| well_formed(id)))
        .or(header)
        .map(str::to_owned)
}

/// The `Set-Cookie` value for `id`.
pub(crate) fn cookie(id: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// The headers without the session id: what the app (and its logs) see.
pub(crate) fn redacted(headers: &mut HeaderMap) {
    headers.remove(SESSION_HEADER);
    retain(headers, &SEC_WEBSOCKET_PROTOCOL, ',', |t| {
        !t.starts_with(SESSION_PROTOCOL_PREFIX)
    });
    retain(headers, &COOKIE, ';', |pair| {
        pair.split_once('=')
            .is_none_or(|(name, _)| name != SESSION_COOKIE)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_128_bits_of_hex_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert!(well_formed(&a) && well_formed(&b));
        assert_ne!(a, b);
        assert!(!well_formed("x"));
        assert!(!well_formed(&a.to_uppercase()));
    }

    #[test]
    fn the_header_wins_over_the_token_and_the_cookie() {
        let (c, t, h) = (new_id(), new_id(), new_id());
        let mut headers = HeaderMap::new();
        headers.insert("cookie", format!("a=1; swill_session={c}").parse().unwrap());
        assert_eq!(presented(&headers), Some(c.clone()));
        let protocols = format!("swill.v1, swill.session.{t}");
        headers.insert("sec-websocket-protocol", protocols.parse().unwrap());
        assert_eq!(presented(&headers), Some(t.clone()));
        headers.insert(SESSION_HEADER, h.parse().unwrap());
        assert_eq!(presented(&headers), Some(h));
        // A malformed header does not hide a good id elsewhere.
        headers.insert(SESSION_HEADER, "garbage".parse().unwrap());
        assert_eq!(presented(&headers), Some(t));
        redacted(&mut headers);
        assert_eq!(headers.get("cookie").unwrap(), "a=1");
        assert_eq!(headers.get("sec-websocket-protocol").unwrap(), "swill.v1");
        assert!(headers.get(SESSION_HEADER).is_none());
        let mut only_token = HeaderMap::new();
        let token = format!("swill.session.{c}");
        only_token.insert("sec-websocket-protocol", token.parse().unwrap());
        redacted(&mut only_token);
        assert!(only_token.get("sec-websocket-protocol").is_none());
    }
}
