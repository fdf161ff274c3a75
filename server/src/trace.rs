//! Trace context across calls: a request whose metadata carries a W3C
//! `traceparent` continues that trace in its `request` span.
//!
//! The span records the caller's `trace_id` and `parent_id` as fields, so
//! that any subscriber (logs included) can correlate; with the `otel`
//! feature the span's OpenTelemetry parent is set too, so the server's
//! spans join the caller's trace in the exporter. A malformed
//! `traceparent` is ignored, as the W3C recommendation asks: the request
//! starts a trace of its own.

use swill_proto::{Metadata, TraceParent};

/// Continues the caller's trace, if the request names one.
pub(crate) fn continue_trace(span: &tracing::Span, metadata: &Metadata) {
    let Some(parent) = metadata
        .get_str(Metadata::TRACEPARENT)
        .and_then(|v| v.parse::<TraceParent>().ok())
    else {
        return;
    };
    span.record("trace_id", parent.trace_id_hex());
    span.record("parent_id", parent.parent_id_hex());
    #[cfg(feature = "otel")]
    otel::set_parent(span, &parent, metadata.get_str(Metadata::TRACESTATE));
}

#[cfg(feature = "otel")]
mod otel {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    use swill_proto::TraceParent;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    /// Makes the caller's span the OpenTelemetry parent of `span`.
    pub(super) fn set_parent(span: &tracing::Span, parent: &TraceParent, state: Option<&str>) {
        let state = state
            .and_then(|s| s.parse::<TraceState>().ok())
            .unwrap_or_default();
        let remote = SpanContext::new(
            TraceId::from_bytes(parent.trace_id),
            SpanId::from_bytes(parent.parent_id),
            TraceFlags::new(parent.flags),
            true,
            state,
        );
        let context = opentelemetry::Context::new().with_remote_span_context(remote);
        let _ = span.set_parent(context);
    }
}
