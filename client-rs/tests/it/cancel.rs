//! Cancel and deadlines, checked where it matters: the server drops the
//! handler. The probe app's handlers report when they start and when they
//! are dropped.

use std::time::Duration;

use crate::common::{Probe, Server, patiently, probe_app};
use futures::StreamExt;
use swill_client::{CallOptions, Client, Code, Error};

async fn probe() -> (Server, Probe, Client) {
    let (make, probe) = probe_app();
    let server = Server::start("127.0.0.1:0", make);
    let client = patiently(Client::connect(server.url())).await.unwrap();
    (server, probe, client)
}

#[tokio::test]
async fn dropping_a_unary_call_cancels_it_on_the_server() {
    let (_server, mut probe, client) = probe().await;
    let call = tokio::spawn(async move { client.call::<()>("hold", &()).await });
    assert_eq!(probe.started().await, "hold");
    call.abort(); // drops the call's future
    assert_eq!(probe.dropped().await, "hold");
}

#[tokio::test]
async fn dropping_a_response_stream_cancels_it() {
    let (_server, mut probe, client) = probe().await;
    let mut stream = client
        .server_stream::<u64>("hold_stream", &())
        .await
        .unwrap();
    assert_eq!(patiently(stream.next()).await.unwrap().unwrap(), 0);
    drop(stream);
    assert_eq!(probe.dropped().await, "hold_stream");
}

#[tokio::test]
async fn an_explicit_cancel_cancels() {
    let (_server, mut probe, client) = probe().await;
    let mut stream = client
        .server_stream::<u64>("hold_stream", &())
        .await
        .unwrap();
    assert_eq!(patiently(stream.next()).await.unwrap().unwrap(), 0);
    stream.cancel();
    assert_eq!(probe.dropped().await, "hold_stream");
}

#[tokio::test]
async fn dropping_a_client_stream_answer_cancels_it() {
    let (_server, mut probe, client) = probe().await;
    let (sender, answer) = client.client_stream::<i64, i64>("hold_in").await.unwrap();
    sender.send(&1).await.unwrap();
    assert_eq!(probe.started().await, "hold_in");
    drop(answer);
    assert_eq!(probe.dropped().await, "hold_in");
    // The call is over: its sender takes no more messages.
    assert_eq!(sender.send(&2).await, Err(Error::Closed));
}

#[tokio::test]
async fn dropping_a_bidi_stream_cancels_it() {
    let (_server, mut probe, client) = probe().await;
    let (sender, mut echoes) = client.bidi::<String, String>("hold_bidi").await.unwrap();
    sender.send(&"hi".to_owned()).await.unwrap();
    assert_eq!(patiently(echoes.next()).await.unwrap().unwrap(), "hi");
    drop(echoes);
    assert_eq!(probe.dropped().await, "hold_bidi");
}

#[tokio::test]
async fn a_timeout_is_408_and_stops_the_handler() {
    let (_server, mut probe, client) = probe().await;
    let options = CallOptions::new().timeout(Duration::from_millis(100));
    let call = client.call_with::<()>("hold", &(), options);
    let error = patiently(call).await.unwrap_err();
    assert_eq!(error.code(), Code::DEADLINE_EXCEEDED);
    assert_eq!(probe.dropped().await, "hold");
}

#[tokio::test]
async fn a_timeout_against_the_demo_sleep() {
    let server = Server::demo();
    let client = Client::connect(server.url()).await.unwrap();
    let options = CallOptions::new().timeout(Duration::from_millis(100));
    let error = patiently(client.call_with::<String>("sleep", &5000, options))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::DEADLINE_EXCEEDED);
    // The connection carries on.
    assert_eq!(client.call::<i64>("add", &(1, 1)).await.unwrap(), 2);
}

/// The server enforces the deadline too (`swill-timeout`), and its 408
/// may come before the timer here fires (always, nearly, for a deadline
/// of 0): either way the caller gets its own `Error::Timeout`.
#[tokio::test]
async fn an_expired_deadline_is_error_timeout_whichever_side_noticed_first() {
    let server = Server::demo();
    let client = Client::connect(server.url()).await.unwrap();
    for ms in [0, 0, 0, 0, 0, 1, 1, 1, 20, 20] {
        let after = Duration::from_millis(ms);
        let options = CallOptions::new().timeout(after);
        let error = patiently(client.call_with::<String>("sleep", &5000, options))
            .await
            .unwrap_err();
        assert_eq!(error, swill_client::Error::Timeout(after), "{ms} ms");
    }
}

#[tokio::test]
async fn a_timeout_covers_a_whole_stream() {
    let (_server, mut probe, client) = probe().await;
    let options = CallOptions::new().timeout(Duration::from_millis(100));
    let mut stream = client
        .server_stream_with::<u64>("hold_stream", &(), options)
        .await
        .unwrap();
    assert_eq!(patiently(stream.next()).await.unwrap().unwrap(), 0);
    let error = patiently(stream.next()).await.unwrap().unwrap_err();
    assert_eq!(error.code(), Code::DEADLINE_EXCEEDED);
    assert!(stream.next().await.is_none());
    assert_eq!(probe.dropped().await, "hold_stream");
}

#[tokio::test]
async fn a_call_that_ends_in_time_is_not_affected_by_its_deadline() {
    let server = Server::demo();
    let client = Client::connect(server.url()).await.unwrap();
    let options = CallOptions::new().timeout(Duration::from_secs(30));
    let response = client.call_with::<i64>("add", &(2, 3), options).await;
    assert_eq!(response.unwrap().data, 5);
}

#[tokio::test]
async fn dropping_a_stream_nobody_reads_frees_the_connection() {
    let server = Server::demo();
    let client = Client::connect(server.url()).await.unwrap();
    // Far more items than the stream's buffer: unread, they stop the
    // connection's reader until the stream is consumed or dropped.
    let mut flood = client
        .server_stream::<u64>("count", &1_000_000)
        .await
        .unwrap();
    assert_eq!(patiently(flood.next()).await.unwrap().unwrap(), 0);
    drop(flood);
    let sum = patiently(client.call::<i64>("add", &(1, 2))).await.unwrap();
    assert_eq!(sum, 3);
}

#[tokio::test]
async fn closing_the_client_fails_calls_in_flight_and_later_ones() {
    let (_server, mut probe, client) = probe().await;
    let held = client.clone();
    let call = tokio::spawn(async move { held.call::<()>("hold", ()).await });
    assert_eq!(probe.started().await, "hold");
    client.close().await;
    // The call in flight fails at once, and the server drops its handler
    // (the connection closed under it).
    let error = call.await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Disconnected { .. }), "{error:?}");
    assert_eq!(error.code(), Code::UNAVAILABLE);
    assert_eq!(probe.dropped().await, "hold");
    // Every clone is closed: no reconnecting.
    let later = client.call::<()>("hold", ()).await.unwrap_err();
    assert!(later.message().contains("the client was closed"), "{later}");
    client.close().await; // twice is fine
}
