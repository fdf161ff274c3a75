//! The built-in `swill.introspect` rpc.

use std::sync::Arc;

use futures::{FutureExt, StreamExt};
use swill_proto::{INTROSPECT_RPC, Payload, RpcDescription};

use crate::reply::{Reply, encode};
use crate::router::Route;
use crate::schema::Side;

/// A server-streaming route that answers one item per handler.
///
/// The items are encoded once, here, at startup: answering costs no work,
/// and an item that could not be encoded would show up before any client
/// connects rather than mid-stream (the original's bug).
pub(crate) fn route(items: Vec<RpcDescription>) -> Route {
    let encoded: Arc<[Payload]> = items
        .iter()
        .map(|item| encode(item).expect("introspection items always encode"))
        .collect();
    Route::new(
        INTROSPECT_RPC,
        Some("Describes every rpc of this server.".to_owned()),
        Arc::new(move |_input| {
            let items = encoded.clone();
            async move {
                let stream =
                    futures::stream::iter((0..items.len()).map(move |i| Ok(items[i].clone())));
                Reply::Stream(stream.boxed())
            }
            .boxed()
        }),
        // Never listed (built-ins are skipped), so any response schema will do.
        (
            Side::of::<()>(false),
            Side {
                streams: true,
                schema: serde_json::Value::Bool(true),
            },
        ),
    )
}
