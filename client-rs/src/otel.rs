//! Sending the current `tracing` span's OpenTelemetry context with each
//! call (feature `otel`), so that the server's spans join the caller's
//! trace.

use opentelemetry::trace::TraceContextExt;
use swill_proto::TraceParent;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::options::CallOptions;

/// `options` with the current span's trace context, when it has a valid
/// one and the caller set none; `None` when there is nothing to add (the
/// caller's options then go out as they are, uncopied).
pub(crate) fn with_current_trace(options: &CallOptions) -> Option<CallOptions> {
    if options.has_trace() {
        return None;
    }
    let context = tracing::Span::current().context();
    let span = context.span();
    let current = span.span_context();
    if !current.is_valid() {
        return None;
    }
    let parent = TraceParent {
        trace_id: current.trace_id().to_bytes(),
        parent_id: current.span_id().to_bytes(),
        flags: current.trace_flags().to_u8(),
    };
    let state = current.trace_state().header();
    let state = (!state.is_empty()).then_some(state);
    Some(options.clone().trace(parent, state))
}
