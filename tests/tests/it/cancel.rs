//! CANCEL drops the handler in every call shape and sends nothing back.
//!
//! Handlers hold drop guards: the test awaits the guard's signal, so it sees
//! the handler stop instead of guessing with sleeps.

use futures::StreamExt;
use swill::{App, Error, Request, StreamingRequest};
use swill_proto::{RequestType, ResponseType};
use swill_tests::{Events, Probe, Raw, probe, start};

fn app(probe: Probe) -> App {
    let (p1, p2, p3, p4) = (probe.clone(), probe.clone(), probe.clone(), probe);
    App::new()
        .handle(swill_examples::demo::add)
        // Unary, never answers.
        .handle_as("forever", move |req: Request<u32>| {
            let probe = p1.clone();
            async move {
                let name = format!("forever {}", req.data);
                let _guard = probe.guard(&name);
                probe.fire(format!("{name} started"));
                std::future::pending::<()>().await;
                Ok::<_, Error>(())
            }
        })
        // Server streaming: one item, then nothing, never ending.
        .handle_as("first_then_forever", move |req: Request<u32>| {
            let probe = p2.clone();
            async move {
                let name = format!("first_then_forever {}", req.data);
                let guard = probe.guard(&name);
                async_stream::stream! {
                    let _guard = guard;
                    yield Ok::<_, Error>(req.data);
                    std::future::pending::<()>().await;
                }
            }
        })
        // Server streaming: items as fast as the connection takes them.
        .handle_as("endless", move |_req: Request<()>| {
            let guard = p3.guard("endless");
            async move {
                let item = "x".repeat(1000);
                futures::stream::iter(0u64..).map(move |i| {
                    let _ = &guard;
                    Ok::<_, Error>((i, item.clone()))
                })
            }
        })
        // Client streaming and bidi.
        .handle_as("sum_forever", {
            let probe = p4.clone();
            move |mut req: StreamingRequest<i64>| {
                let probe = probe.clone();
                async move {
                    let _guard = probe.guard("sum_forever");
                    let mut sum = 0;
                    while let Some(n) = req.next().await {
                        probe.fire(format!("sum_forever got {n}"));
                        sum += n;
                    }
                    Ok::<_, Error>(sum)
                }
            }
        })
        .handle_as("shout", move |req: StreamingRequest<String>| {
            let guard = p4.guard("shout");
            async move {
                req.map(move |s| {
                    let _ = &guard;
                    Ok::<_, Error>(s.to_uppercase())
                })
            }
        })
}

async fn connect() -> (Raw, Events) {
    let (probe, events) = probe();
    let client = Raw::connect(start(app(probe)).await).await;
    (client, events)
}

#[tokio::test]
async fn cancel_drops_a_unary_handler_and_sends_nothing() {
    let (mut client, mut events) = connect().await;
    client.call(1, "forever", 1).await;
    events.expect("forever 1 started").await;
    client.control(1, "forever", RequestType::Cancel).await;
    events.expect("forever 1 dropped").await;
    // Nothing for seq 1 (no ERROR, no END_OF_STREAM): the very next frame
    // answers the next request.
    client.assert_next_is_answer_to_add(2).await;

    // The cancelled (rpc, seq) is free again: it opens a new request, which
    // can be cancelled in turn.
    client.call(1, "forever", 2).await;
    events.expect("forever 2 started").await;
    client.control(1, "forever", RequestType::Cancel).await;
    events.expect("forever 2 dropped").await;
    client.assert_next_is_answer_to_add(3).await;
}

#[tokio::test]
async fn cancel_targets_the_rpc_and_the_seq_together() {
    let (mut client, mut events) = connect().await;
    client.call(1, "forever", 1).await;
    events.expect("forever 1 started").await;
    // Same seq, other rpc: not this request.
    client.control(1, "add", RequestType::Cancel).await;
    // Same rpc, other seq: not this request either.
    client.control(2, "forever", RequestType::Cancel).await;
    client.assert_next_is_answer_to_add(3).await;
    assert!(!events.has_happened("forever 1 dropped"));
    client.control(1, "forever", RequestType::Cancel).await;
    events.expect("forever 1 dropped").await;
}

#[tokio::test]
async fn cancel_drops_a_response_stream_and_sends_nothing_more() {
    let (mut client, mut events) = connect().await;
    client.call(1, "first_then_forever", 1).await;
    assert_eq!(client.recv_message::<u32>(1).await, 1);
    client
        .control(1, "first_then_forever", RequestType::Cancel)
        .await;
    events.expect("first_then_forever 1 dropped").await;
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn cancel_stops_an_endless_stream_that_fills_the_connection() {
    let (mut client, mut events) = connect().await;
    client.call(1, "endless", ()).await;
    for i in 0..3u64 {
        let (n, _): (u64, String) = client.recv_message(1).await;
        assert_eq!(n, i);
    }
    client.control(1, "endless", RequestType::Cancel).await;
    // Keep reading, as a client does, until the handler is gone: items
    // already on their way may still arrive, and only items.
    {
        let drain = async {
            loop {
                let frame = client.recv().await;
                assert_eq!((frame.seq, frame.kind), (1.into(), ResponseType::Message));
            }
        };
        tokio::select! {
            () = events.expect("endless dropped") => {}
            () = drain => {}
        }
    }
    // Every item the stream produced is queued by now; the answer to a new
    // request comes after them, and then nothing more for seq 1.
    client.call(2, "add", (2, 2)).await;
    loop {
        let frame = client.recv().await;
        if frame.seq == 2.into() {
            assert_eq!(swill_tests::expect_message::<i64>(&frame, 2), 4);
            break;
        }
        assert_eq!((frame.seq, frame.kind), (1.into(), ResponseType::Message));
    }
    client.assert_next_is_answer_to_add(3).await;
}

#[tokio::test]
async fn cancel_drops_a_client_streaming_handler() {
    let (mut client, mut events) = connect().await;
    client.call(1, "sum_forever", 5).await;
    events.expect("sum_forever got 5").await;
    client.control(1, "sum_forever", RequestType::Cancel).await;
    events.expect("sum_forever dropped").await;
    client.assert_next_is_answer_to_add(2).await;
    // Items and END_OF_STREAM sent after the cancel open nothing that
    // answers: END_OF_STREAM for a request that is not open is ignored.
    client
        .control(1, "sum_forever", RequestType::EndOfStream)
        .await;
    client.assert_next_is_answer_to_add(3).await;
}

#[tokio::test]
async fn cancel_drops_a_bidi_handler() {
    let (mut client, mut events) = connect().await;
    client.call(1, "shout", "a").await;
    assert_eq!(client.recv_message::<String>(1).await, "A");
    client.control(1, "shout", RequestType::Cancel).await;
    events.expect("shout dropped").await;
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn cancel_and_end_of_stream_for_unknown_requests_are_ignored() {
    let (mut client, _events) = connect().await;
    // A known rpc with no such open request, and an unknown rpc.
    client.control(9, "add", RequestType::Cancel).await;
    client.control(9, "add", RequestType::EndOfStream).await;
    client.control(9, "nope", RequestType::Cancel).await;
    client.control(9, "nope", RequestType::EndOfStream).await;
    client.assert_next_is_answer_to_add(10).await;
    // A request that already finished is not open either.
    client.control(10, "add", RequestType::Cancel).await;
    client.control(10, "add", RequestType::EndOfStream).await;
    client.assert_next_is_answer_to_add(11).await;
}
