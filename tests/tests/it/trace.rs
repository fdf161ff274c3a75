//! Trace context across calls: the W3C `traceparent` a client sends is
//! continued by the server's `request` span, as a field for any subscriber
//! and, with `otel`, as the span's OpenTelemetry parent.

use std::sync::{Arc, Mutex};

use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use swill_client::proto::TraceParent;
use swill_client::{CallOptions, Client};
use swill_tests::{PATIENCE, start};
use tracing::span::{Id, Record};
use tracing::{Instrument, Subscriber, field};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// The `trace_id` and `parent_id` fields recorded on `request` spans, in
/// the order they were recorded.
#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<(&'static str, String)>>>);

impl field::Visit for Recorded {
    fn record_debug(&mut self, field: &field::Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }

    fn record_str(&mut self, field: &field::Field, value: &str) {
        if matches!(field.name(), "trace_id" | "parent_id") {
            let mut seen = self.0.lock().expect("lock");
            seen.push((field.name(), value.to_owned()));
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorded {
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if ctx.span(id).is_some_and(|s| s.name() == "request") {
            values.record(&mut self.clone());
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_request_span_records_the_callers_trace() {
    let recorded = Recorded::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(recorded.clone()));
    let addr = start(swill_examples::demo::app()).await;
    let client = Client::connect(format!("ws://{addr}/ws")).await.unwrap();

    let parent: TraceParent = PARENT.parse().unwrap();
    let options = CallOptions::new().trace(parent, None);
    let sum = client.call_with::<i64>("add", &(1, 2), options).await;
    assert_eq!(sum.unwrap().data, 3);
    // A malformed traceparent is ignored: the call still works.
    let options = CallOptions::new().metadata_entry("traceparent", "not-a-trace");
    let sum = client.call_with::<i64>("add", &(2, 2), options).await;
    assert_eq!(sum.unwrap().data, 4);

    let seen = recorded.0.lock().expect("lock").clone();
    assert_eq!(
        seen,
        [
            ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736".to_owned()),
            ("parent_id", "00f067aa0ba902b7".to_owned()),
        ]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn with_otel_the_servers_span_joins_the_clients_trace() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("trace-test"));
    let _guard = tracing::subscriber::set_default(Registry::default().with(layer));
    let addr = start(swill_examples::demo::app()).await;
    let client = Client::connect(format!("ws://{addr}/ws")).await.unwrap();

    let caller = tracing::info_span!("caller");
    let expected = caller.context().span().span_context().clone();
    assert!(expected.is_valid());
    let sum: i64 = client
        .call("add", &(1, 2))
        .instrument(caller.clone())
        .await
        .unwrap();
    assert_eq!(sum, 3);
    drop(caller);

    // The server's span is exported when it closes, just after the answer.
    let request = tokio::time::timeout(PATIENCE, async {
        loop {
            let spans = exporter.get_finished_spans().unwrap_or_default();
            if let Some(span) = spans.into_iter().find(|s| s.name == "request") {
                return span;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the server's request span");
    assert_eq!(request.span_context.trace_id(), expected.trace_id());
    assert_eq!(request.parent_span_id, expected.span_id());
}
