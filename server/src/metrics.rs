//! What the server reports through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`): the app records, and the exporter the
//! application installs (Prometheus, StatsD...) publishes. Without the
//! feature, or without an installed recorder, every function here is a
//! no-op. Handles are registered once (per rpc, per connection) and kept:
//! the recorder must be installed before serving, and an exporter's idle
//! timeout left off (see the guide's "Metrics").
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

/// One rpc's request metrics, registered with the recorder on the rpc's
/// first request and reused by every later one: a key built from labels
/// and looked up in the recorder for every request cost more than the
/// handler did in profiles. (The recorder is the one installed then: as
/// with any user of the facade, install it before serving.)
#[derive(Default)]
pub(crate) struct RouteMetrics {
    #[cfg(feature = "metrics")]
    handles: std::sync::OnceLock<Handles>,
}

#[cfg(feature = "metrics")]
struct Handles {
    in_flight: metrics::Gauge,
    /// `swill_requests_total` for `outcome="ok"`, the common case; the
    /// others are counted through the recorder each time.
    ok: metrics::Counter,
    duration: metrics::Histogram,
}

#[cfg(feature = "metrics")]
impl RouteMetrics {
    fn handles(&self, rpc: &std::sync::Arc<str>) -> &Handles {
        // Labels share the route's name (an `Arc`): no copy.
        self.handles.get_or_init(|| Handles {
            in_flight: metrics::gauge!("swill_requests_in_flight", "rpc" => rpc.clone()),
            ok: metrics::counter!(
                "swill_requests_total",
                "rpc" => rpc.clone(),
                "outcome" => "ok",
                "code" => "0"
            ),
            duration: metrics::histogram!("swill_request_duration_seconds", "rpc" => rpc.clone()),
        })
    }
}

/// Counts a request in flight until it is finished (or dropped).
pub(crate) struct InFlight {
    #[cfg(feature = "metrics")]
    rpc: std::sync::Arc<str>,
    #[cfg(feature = "metrics")]
    route: std::sync::Arc<RouteMetrics>,
}

impl InFlight {
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn new(route: &std::sync::Arc<RouteMetrics>, rpc: &std::sync::Arc<str>) -> Self {
        #[cfg(feature = "metrics")]
        route.handles(rpc).in_flight.increment(1.0);
        InFlight {
            #[cfg(feature = "metrics")]
            rpc: rpc.clone(),
            #[cfg(feature = "metrics")]
            route: route.clone(),
        }
    }

    /// The request is over: counted by outcome and code, timed.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn finish(self, outcome: &Outcome, elapsed: Duration) {
        #[cfg(feature = "metrics")]
        {
            let handles = self.route.handles(&self.rpc);
            handles.duration.record(elapsed.as_secs_f64());
            // Handlers choose their codes, and a code may come from a
            // client (the demo's `fail`): only the protocol's named codes
            // become label values, so the series stay bounded.
            let (name, code): (&'static str, std::borrow::Cow<'static, str>) = match outcome {
                Outcome::Ok => return handles.ok.increment(1),
                Outcome::Error(e) if e.code().name().is_none() => ("error", "other".into()),
                Outcome::Error(e) => ("error", e.code().as_i64().to_string().into()),
                Outcome::Cancelled => ("cancelled", "0".into()),
                Outcome::Disconnected => ("disconnected", "0".into()),
            };
            metrics::counter!(
                "swill_requests_total",
                "rpc" => self.rpc.clone(),
                "outcome" => name,
                "code" => code
            )
            .increment(1);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        #[cfg(feature = "metrics")]
        self.route.handles(&self.rpc).in_flight.decrement(1.0);
    }
}

/// A connection's frame and byte counters, one way: registered once per
/// connection, so that counting a frame is two atomic additions rather
/// than two lookups in the recorder.
#[derive(Clone)]
pub(crate) struct Frames {
    #[cfg(feature = "metrics")]
    frames: metrics::Counter,
    #[cfg(feature = "metrics")]
    bytes: metrics::Counter,
}

impl Frames {
    /// WebSocket messages read from the client.
    pub(crate) fn received() -> Self {
        Frames {
            #[cfg(feature = "metrics")]
            frames: metrics::counter!("swill_frames_received_total"),
            #[cfg(feature = "metrics")]
            bytes: metrics::counter!("swill_bytes_received_total"),
        }
    }

    /// WebSocket messages written to the client.
    pub(crate) fn sent() -> Self {
        Frames {
            #[cfg(feature = "metrics")]
            frames: metrics::counter!("swill_frames_sent_total"),
            #[cfg(feature = "metrics")]
            bytes: metrics::counter!("swill_bytes_sent_total"),
        }
    }

    /// One message of `bytes` bytes.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn count(&self, bytes: usize) {
        #[cfg(feature = "metrics")]
        {
            self.frames.increment(1);
            self.bytes.increment(bytes as u64);
        }
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
