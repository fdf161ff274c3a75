//! Every bound the server puts on what peers send and on what it holds for
//! them, in one value.

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The server's limits. The defaults suit a public server.
///
/// | limit | default | past it |
/// |---|---|---|
/// | `max_frame_size`: one WebSocket message | 16 MiB | close 1009, before it is read into memory |
/// | `max_message_size`: one request's `data` | 4 MiB | ERROR 413 by seq; the request ends |
/// | `max_depth`: nesting of arrays and maps | 64 | ERROR 400 by seq (the frame is malformed) |
/// | `max_requests_per_connection`: requests open at once | 1024 | ERROR 429 by seq |
/// | `max_queued_frames`: frames waiting for a slow client, per connection | 256 | handlers producing more wait (backpressure) |
/// | `request_stream_buffer`: messages of a streaming request waiting for its handler | 32 | the connection reads nothing more until there is room |
/// | `max_connections`: open connections | 16384 | HTTP 503 before the upgrade |
///
/// A frame over `max_frame_size` is refused by the WebSocket layer; one
/// within it is read, and every limit after that is answered by seq, so
/// the client knows which request failed and the connection lives on.
///
/// ```
/// use swill::{App, Limits};
///
/// let app = App::new().limits(Limits {
///     max_frame_size: 64 * 1024 * 1024,
///     max_message_size: 32 * 1024 * 1024,
///     ..Limits::default()
/// });
/// ```
///
/// `App::max_frame_size`, `max_message_size`, `max_requests_per_connection`,
/// `max_queued_frames` and `max_connections` change one limit each;
/// [`App::limits`](crate::App::limits) sets them all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest WebSocket message accepted, in bytes.
    pub max_frame_size: usize,
    /// The largest `data` of one request message, in bytes.
    pub max_message_size: usize,
    /// The deepest nesting of arrays and maps in a frame, the envelope
    /// included.
    pub max_depth: usize,
    /// How many requests one connection may have open at once.
    pub max_requests_per_connection: usize,
    /// How many frames may wait for a slow client, per connection.
    pub max_queued_frames: usize,
    /// How many messages of a streaming request may wait for its handler.
    pub request_stream_buffer: usize,
    /// How many connections may be open at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: 16 * 1024 * 1024,
            max_message_size: 4 * 1024 * 1024,
            max_depth: swill_proto::Limits::default().max_depth,
            max_requests_per_connection: 1024,
            max_queued_frames: 256,
            request_stream_buffer: 32,
            max_connections: 16 * 1024,
        }
    }
}

impl Limits {
    /// What the frame decoder enforces.
    pub(crate) fn codec(&self) -> swill_proto::Limits {
        swill_proto::Limits {
            max_depth: self.max_depth,
            max_frame_len: self.max_frame_size,
        }
    }

    /// What the WebSocket layer enforces, with the read buffer size.
    pub(crate) fn websocket(&self, read_buffer_size: usize) -> WebSocketConfig {
        WebSocketConfig::default()
            .read_buffer_size(read_buffer_size)
            .max_message_size(Some(self.max_frame_size))
            .max_frame_size(Some(self.max_frame_size))
    }
}
