//! Every call's `request{rpc, seq}` span sits under its connection's
//! `connection{id}` span, whatever its shape: a handler's log lines then
//! carry the connection's id.

use std::sync::{Arc, Mutex};

use swill_proto::{RequestType, SUBSCRIBE_RPC};
use swill_tests::{Raw, start};
use tracing::span::{Attributes, Id};
use tracing::{Subscriber, field};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// A `request` span's rpc, and the name of its parent span.
type Seen = (String, Option<String>);

/// Records each `request` span's rpc and parent.
#[derive(Clone, Default)]
struct Parents(Arc<Mutex<Vec<Seen>>>);

struct RpcField(String);

impl field::Visit for RpcField {
    fn record_debug(&mut self, field: &field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "rpc" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Parents {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "request" {
            return;
        }
        let mut rpc = RpcField(String::new());
        attrs.record(&mut rpc);
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent().map(|p| p.name().to_owned()));
        self.0.lock().expect("lock").push((rpc.0, parent));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_call_span_is_under_its_connection() {
    let parents = Parents::default();
    let subscriber = Registry::default().with(parents.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let addr = start(swill_examples::demo::app()).await;
    let mut client = Raw::connect(addr).await;
    client.call(1, "add", (1, 2)).await; // unary, answered inline
    client.recv().await;
    client.call(2, "count", 2).await; // server streaming: a task
    for _ in 0..3 {
        client.recv().await;
    }
    client.call(3, "total", 1).await; // client streaming
    client.control(3, "total", RequestType::EndOfStream).await;
    client.recv().await;
    client.call(4, "swill.introspect", ()).await;
    while client.recv().await.kind != swill_proto::ResponseType::EndOfStream {}
    let subscribe = swill_proto::SubscribeRequest {
        topic: "chat".into(),
        since: None,
    };
    client.call(5, SUBSCRIBE_RPC, subscribe).await;
    client.recv().await;

    let seen = parents.0.lock().expect("lock").clone();
    let rpcs: Vec<&str> = seen.iter().map(|(rpc, _)| rpc.as_str()).collect();
    assert_eq!(
        rpcs,
        ["add", "count", "total", "swill.introspect", SUBSCRIBE_RPC]
    );
    for (rpc, parent) in &seen {
        assert_eq!(parent.as_deref(), Some("connection"), "{rpc}");
    }
}
