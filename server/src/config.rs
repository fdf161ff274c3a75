//! The settings of an app's connections: limits, keepalive, Origin policy.

use std::time::Duration;

use crate::limits::Limits;

/// How much is read from the socket at a time, by default.
///
/// tungstenite's own default, 128 KiB, is zero-filled before every read,
/// even one that finds nothing: with small frames that memset was most of
/// the server's time, and the buffer is resident memory of every
/// connection. 1 KiB keeps an idle connection under 8 KiB; larger frames
/// still arrive whole, in more reads.
pub(crate) const READ_BUFFER_SIZE: usize = 1024;

/// The subprotocol tokens we speak, in no order of preference: the client's
/// order decides. `swill.v1` is a valid RFC 6455 token, usable from browsers;
/// `swill/1` is the original's, accepted for its clients; `swill.v1.json`
/// is the same protocol in JSON text frames.
pub(crate) const SUBPROTOCOLS: [&str; 3] = ["swill.v1", "swill/1", swill_proto::json::SUBPROTOCOL];

/// Settings of the server side of every connection.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) path: String,
    pub(crate) limits: Limits,
    pub(crate) keepalive: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) allowed_origins: Option<Vec<String>>,
    pub(crate) read_buffer_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: "/ws".to_owned(),
            limits: Limits::default(),
            keepalive: Some(Duration::from_secs(20)),
            idle_timeout: Some(Duration::from_secs(60)),
            allowed_origins: None,
            read_buffer_size: READ_BUFFER_SIZE,
        }
    }
}

impl Config {
    /// Whether a browser page from `origin` may connect.
    pub(crate) fn origin_allowed(&self, origin: Option<&str>) -> bool {
        match (&self.allowed_origins, origin) {
            (None, _) => true,
            // Non-browser clients send no Origin; the allow-list guards
            // against pages on other sites, which always send one.
            (Some(_), None) => true,
            (Some(list), Some(origin)) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        }
    }
}
