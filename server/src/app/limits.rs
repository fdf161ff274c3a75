//! Setting the app's limits and connection settings.

use std::time::Duration;

use super::App;
use crate::limits::Limits;

/// Limits and connection settings. The defaults suit a public server; each
/// setter says its default. All the limits are one [`Limits`] value.
impl<S> App<S> {
    /// Sets every limit at once (see [`Limits`] for each one's default and
    /// what happens past it).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = Limits {
            max_queued_frames: limits.max_queued_frames.max(1),
            request_stream_buffer: limits.request_stream_buffer.max(1),
            ..limits
        };
        self
    }

    /// Serves the WebSocket upgrade on `path` instead of `/ws`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.config.path = path.into();
        self
    }

    /// Caps the requests open at once on one connection (default 1024); a
    /// request past the cap is answered with ERROR 429.
    pub fn max_requests_per_connection(mut self, max: usize) -> Self {
        self.config.limits.max_requests_per_connection = max;
        self
    }

    /// Caps the size of one message's data (default 4 MiB); a larger one is
    /// answered with ERROR 413 by seq and ends its request.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.limits.max_message_size = bytes;
        self
    }

    /// Caps the size of one WebSocket frame (default 16 MiB); a larger one
    /// closes the connection with 1009 before it is read into memory.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config.limits.max_frame_size = bytes;
        self
    }

    /// Caps the open connections (default 16384); past it, upgrades are
    /// refused with HTTP 503.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.config.limits.max_connections = max;
        self
    }

    /// Caps the frames waiting for a slow client, per connection (default
    /// 256). When the queue is full, handlers producing more wait: the
    /// backpressure that bounds a connection's memory.
    pub fn max_queued_frames(mut self, frames: usize) -> Self {
        self.config.limits.max_queued_frames = frames.max(1);
        self
    }

    /// How often to ping a connection (default 20 s); `None` never pings.
    pub fn keepalive(mut self, every: Option<Duration>) -> Self {
        self.config.keepalive = every;
        self
    }

    /// Closes a connection (1001) that sent nothing, not even a pong, for
    /// this long (default 60 s); `None` keeps it open forever. Checked at
    /// each keepalive tick. A peer that takes none of the frames written to
    /// it for this long (it stopped reading) is taken for gone too: its
    /// connection closes and its calls stop.
    pub fn idle_timeout(mut self, after: Option<Duration>) -> Self {
        self.config.idle_timeout = after;
        self
    }

    /// How much to read from the socket at a time (default 1 KiB). Each
    /// connection holds a buffer this large; a server that mostly receives
    /// large messages reads them in fewer system calls with a larger one.
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.config.read_buffer_size = bytes.max(64);
        self
    }

    /// Accepts upgrades only from pages of these origins (e.g.
    /// `https://app.example.com`), refusing others with HTTP 403: the guard
    /// against cross-site WebSocket hijacking, since browsers send cookies
    /// with any page's WebSocket. Clients that send no `Origin` header
    /// (non-browser programs) are not affected.
    pub fn allowed_origins<I, O>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        self.config.allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }
}
