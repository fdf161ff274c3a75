//! `swill subscribe`: one JSON line per publication, resuming by itself.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use serde_json::json;
use swill_client::{Client, Error, Position, Value};

use crate::{Failure, json, print_line};

/// Set once the server confirmed the subscription: from then on, Ctrl-C
/// is its normal end.
static SUBSCRIBED: AtomicBool = AtomicBool::new(false);

/// Whether the subscription was confirmed (see [`SUBSCRIBED`]).
pub(crate) fn subscribed() -> bool {
    SUBSCRIBED.load(Ordering::Relaxed)
}

pub(crate) async fn subscribe(
    client: &Client,
    topic: &str,
    since: Option<Position>,
) -> Result<(), Failure> {
    let mut publications = match since {
        Some(since) => client.subscribe_since::<Value>(topic, since).await?,
        None => client.subscribe::<Value>(topic).await?,
    };
    SUBSCRIBED.store(true, Ordering::Relaxed);
    // A decode error usually skips one item and the subscription goes on;
    // when the call itself failed on a frame it could not read, the
    // subscription ends right after it, and that error is the outcome.
    let mut skipped = None;
    // Ctrl-C, the normal way to stop, is main's (exit 0 for this command).
    loop {
        let Some(publication) = publications.next().await else {
            return skipped.map_or(Ok(()), |e: Error| Err(e.into()));
        };
        match publication {
            Ok(p) => {
                skipped = None;
                print_line(&serde_json::to_string(&json!({
                    "epoch": p.position.epoch,
                    "offset": p.position.offset,
                    "data": json::to_json(&p.data),
                })))?;
            }
            Err(missed @ Error::Missed { .. }) => crate::note!("missed: {}", missed.message()),
            Err(Error::Decode(e)) => {
                crate::note!("skipped a publication: {e}");
                skipped = Some(Error::Decode(e));
            }
            Err(e) => return Err(e.into()),
        }
    }
}
