//! What the server reports through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`): the app records, and the exporter the
//! application installs (Prometheus, StatsD...) publishes. Without the
//! feature, or without an installed recorder, every function here is a
//! no-op.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `swill_requests_total` | counter | `rpc`, `outcome` (ok, error, cancelled, disconnected), `code` (the ERROR code when the protocol names it, `other` for any other, 0 without an error) |
//! | `swill_request_duration_seconds` | histogram | `rpc` |
//! | `swill_requests_in_flight` | gauge | `rpc` |
//! | `swill_connections` | gauge | |
//! | `swill_frames_received_total`, `swill_frames_sent_total` | counter | |
//! | `swill_bytes_received_total`, `swill_bytes_sent_total` | counter | |
//! | `swill_queue_full_total` | counter | |
//! | `swill_topic_subscribers` | gauge | `topic` (the declared name or pattern) |
//! | `swill_topic_publishes_total` | counter | `topic` (the declared name or pattern) |

use std::time::Duration;

use crate::hooks::Outcome;

/// Counts an open connection for as long as it lives.
pub(crate) struct ConnectionOpen(());

impl ConnectionOpen {
    pub(crate) fn new() -> Self {
        #[cfg(feature = "metrics")]
        metrics::gauge!("swill_connections").increment(1.0);
        ConnectionOpen(())
    }
}

impl Drop for ConnectionOpen {
    fn drop(&mut self) {
        #[cfg(feature = "metrics")]
        metrics::gauge!("swill_connections").decrement(1.0);
    }
}

/// Counts a request in flight until it is finished (or dropped).
pub(crate) struct InFlight {
    #[cfg(feature = "metrics")]
    rpc: std::sync::Arc<str>,
}

impl InFlight {
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn new(rpc: &std::sync::Arc<str>) -> Self {
        #[cfg(feature = "metrics")]
        metrics::gauge!("swill_requests_in_flight", "rpc" => rpc.to_string()).increment(1.0);
        InFlight {
            #[cfg(feature = "metrics")]
            rpc: rpc.clone(),
        }
    }

    /// The request is over: counted by outcome and code, timed.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn finish(self, outcome: &Outcome, elapsed: Duration) {
        #[cfg(feature = "metrics")]
        {
            let (name, code) = match outcome {
                Outcome::Ok => ("ok", 0),
                Outcome::Error(e) => ("error", e.code().as_i64()),
                Outcome::Cancelled => ("cancelled", 0),
                Outcome::Disconnected => ("disconnected", 0),
            };
            let rpc = self.rpc.to_string();
            // Handlers choose their codes, and a code may come from a
            // client (the demo's `fail`): only the protocol's named codes
            // become label values, so the series stay bounded.
            let code = match outcome {
                Outcome::Error(e) if e.code().name().is_none() => "other".to_owned(),
                _ => code.to_string(),
            };
            metrics::counter!(
                "swill_requests_total",
                "rpc" => rpc.clone(),
                "outcome" => name,
                "code" => code
            )
            .increment(1);
            metrics::histogram!("swill_request_duration_seconds", "rpc" => rpc)
                .record(elapsed.as_secs_f64());
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        #[cfg(feature = "metrics")]
        metrics::gauge!("swill_requests_in_flight", "rpc" => self.rpc.to_string()).decrement(1.0);
    }
}

/// A WebSocket message read from a client.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn frame_received(bytes: usize) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!("swill_frames_received_total").increment(1);
        metrics::counter!("swill_bytes_received_total").increment(bytes as u64);
    }
}

/// A WebSocket message written to a client.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn frame_sent(bytes: usize) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!("swill_frames_sent_total").increment(1);
        metrics::counter!("swill_bytes_sent_total").increment(bytes as u64);
    }
}

/// A connection's write queue was full: a producer waits, or a subscriber
/// is dropped as lagging.
pub(crate) fn queue_full() {
    #[cfg(feature = "metrics")]
    metrics::counter!("swill_queue_full_total").increment(1);
}

/// A publication to `topic` was accepted by the engine.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn published(topic: &str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("swill_topic_publishes_total", "topic" => topic.to_owned()).increment(1);
}

/// A subscriber of `topic` joined (`+1`) or left (`-1`) on this node.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn subscribers(topic: &str, delta: f64) {
    #[cfg(feature = "metrics")]
    metrics::gauge!("swill_topic_subscribers", "topic" => topic.to_owned()).increment(delta);
}
