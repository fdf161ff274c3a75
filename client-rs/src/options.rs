//! What a caller adds to a call (metadata, a deadline), and what comes back
//! beside the answer (leading and trailing metadata).

use std::time::Duration;

use swill_proto::{Metadata, TraceParent, Value};

/// Per-call settings: request metadata and a deadline.
///
/// ```
/// use std::time::Duration;
/// use swill_client::CallOptions;
///
/// let options = CallOptions::new()
///     .metadata_entry("tenant", "acme")
///     .timeout(Duration::from_millis(1500));
/// let sent = options.request_metadata().unwrap();
/// assert_eq!(sent.get_str("tenant"), Some("acme"));
/// assert_eq!(sent.timeout_ms(), Some(1500)); // the `swill-timeout` key
/// ```
///
/// A timeout travels as the `swill-timeout` metadata key (milliseconds), so
/// a swill server stops the handler and answers 408 when it expires; the
/// client enforces it too (it stops waiting, sends CANCEL and reports
/// [`Error::Timeout`](crate::Error::Timeout)), so servers that do not know
/// the key, such as the original Python Swill, cannot keep a caller waiting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallOptions {
    metadata: Option<Metadata>,
    timeout: Option<Duration>,
    trace: Option<(TraceParent, Option<String>)>,
}

impl CallOptions {
    /// No metadata, no deadline.
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// Sets the request metadata, replacing any set before.
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Adds one request metadata entry.
    pub fn metadata_entry(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata
            .get_or_insert_with(Metadata::new)
            .insert(key, value);
        self
    }

    /// Sets the call's deadline, measured from when the call starts.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Continues the caller's trace on the server: sent as the W3C
    /// `traceparent` (and `tracestate`) metadata, so that the server's
    /// request span joins this trace.
    ///
    /// ```
    /// use swill_client::{CallOptions, proto::TraceParent};
    ///
    /// let parent: TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap();
    /// let sent = CallOptions::new().trace(parent, None).request_metadata().unwrap();
    /// assert_eq!(sent.get_str("traceparent"), Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    /// ```
    ///
    /// With the `otel` feature, calls made inside a `tracing` span that
    /// has an OpenTelemetry context send it without this.
    pub fn trace(mut self, parent: TraceParent, state: Option<String>) -> Self {
        self.trace = Some((parent, state));
        self
    }

    /// Whether the call carries trace context already.
    pub fn has_trace(&self) -> bool {
        self.trace.is_some()
            || self
                .metadata
                .as_ref()
                .is_some_and(|m| m.get(Metadata::TRACEPARENT).is_some())
    }

    /// The deadline, if one is set.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The metadata that goes on the wire: the caller's entries, plus
    /// `swill-timeout` when there is a deadline and the trace context when
    /// there is one. `None` when there is none of these.
    pub fn request_metadata(&self) -> Option<Metadata> {
        let mut metadata = self.metadata.clone();
        if let Some((parent, state)) = &self.trace {
            let metadata = metadata.get_or_insert_with(Metadata::new);
            metadata.insert(Metadata::TRACEPARENT, parent.to_string());
            if let Some(state) = state {
                metadata.insert(Metadata::TRACESTATE, state.as_str());
            }
        }
        if let Some(timeout) = self.timeout {
            // Rounded up: the server's deadline must not pass before ours,
            // whose expiry is the caller's `Error::Timeout`.
            let micros = u64::try_from(timeout.as_micros()).unwrap_or(u64::MAX);
            let ms = micros.div_ceil(1000);
            metadata
                .get_or_insert_with(Metadata::new)
                .insert(Metadata::TIMEOUT, ms);
        }
        metadata
    }
}

/// An answer with the metadata that came with it.
///
/// ```
/// use swill_client::Response;
/// use swill_client::Metadata;
///
/// let response = Response { data: 3, leading: Metadata::new(), trailing: Metadata::new() };
/// let (data, _leading, _trailing) = response.into_parts();
/// assert_eq!(data, 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Response<T> {
    /// The answer.
    pub data: T,
    /// The server's leading metadata (empty when it sent none).
    pub leading: Metadata,
    /// The server's trailing metadata (empty when it sent none).
    pub trailing: Metadata,
}

impl<T> Response<T> {
    /// The answer, without the metadata.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The answer, the leading and the trailing metadata.
    pub fn into_parts(self) -> (T, Metadata, Metadata) {
        (self.data, self.leading, self.trailing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swill_timeout_rounds_up_so_the_servers_deadline_is_never_earlier() {
        let sent = |micros| {
            let options = CallOptions::new().timeout(Duration::from_micros(micros));
            let metadata = options.request_metadata().expect("swill-timeout");
            metadata.get(Metadata::TIMEOUT).and_then(Value::as_u64)
        };
        assert_eq!(sent(1_500), Some(2));
        assert_eq!(sent(500), Some(1));
        assert_eq!(sent(100_000), Some(100));
        assert_eq!(sent(0), Some(0));
    }
}
