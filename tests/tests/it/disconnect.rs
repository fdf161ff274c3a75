//! A connection that goes away takes its calls with it: every handler still
//! running is dropped, whether the client closed politely or the TCP
//! connection just vanished. And one connection's requests are its own:
//! another connection cannot cancel, end or feed them (the original's bug 1).

use futures::StreamExt;
use swill::{App, Error, Request};
use swill_proto::RequestType;
use swill_tests::{Events, Gate, Probe, Raw, probe, start, start_demo};

fn app(probe: Probe, gate: Gate) -> App {
    let (p1, p2, p3) = (probe.clone(), probe.clone(), probe);
    App::new()
        .handle(swill_examples::demo::add)
        .handle(swill_examples::demo::total)
        .handle_as("forever", move |_req: Request<()>| {
            let probe = p1.clone();
            async move {
                let _guard = probe.guard("unary");
                probe.fire("unary started");
                std::future::pending::<()>().await;
                Ok::<_, Error>(())
            }
        })
        .handle_as("ticks", move |_req: Request<()>| {
            let guard = p2.guard("stream");
            async move {
                futures::stream::iter(0u64..)
                    .then(|i| async move {
                        // An item now and then, forever.
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        i
                    })
                    .map(move |i| {
                        let _ = &guard;
                        Ok::<_, Error>(i)
                    })
            }
        })
        .handle_as("held", move |req: Request<u32>| {
            let (gate, probe) = (gate.clone(), p3.clone());
            async move {
                let _guard = probe.guard("held");
                probe.fire("held started");
                gate.pass().await;
                Ok::<_, Error>(req.data)
            }
        })
}

/// A client with a stream and a unary handler running.
async fn busy_client() -> (Raw, Events, std::net::SocketAddr) {
    let (probe, mut events) = probe();
    let addr = start(app(probe, Gate::new())).await;
    let mut client = Raw::connect(addr).await;
    client.call(1, "ticks", ()).await;
    client.call(2, "forever", ()).await;
    events.expect("unary started").await;
    assert_eq!(client.recv_message::<u64>(1).await, 0);
    (client, events, addr)
}

#[tokio::test]
async fn closing_the_websocket_drops_every_running_handler() {
    let (client, mut events, addr) = busy_client().await;
    client.close().await;
    events.expect("stream dropped").await;
    events.expect("unary dropped").await;
    // The server itself carries on.
    Raw::connect(addr)
        .await
        .assert_next_is_answer_to_add(1)
        .await;
}

#[tokio::test]
async fn dropping_the_tcp_connection_without_a_close_frame_drops_every_running_handler() {
    let (client, mut events, addr) = busy_client().await;
    drop(client);
    events.expect("stream dropped").await;
    events.expect("unary dropped").await;
    Raw::connect(addr)
        .await
        .assert_next_is_answer_to_add(1)
        .await;
}

#[tokio::test]
async fn another_connection_cannot_cancel_a_request() {
    let (probe, mut events) = probe();
    let gate = Gate::new();
    let addr = start(app(probe, gate.clone())).await;
    let mut a = Raw::connect(addr).await;
    let mut b = Raw::connect(addr).await;
    a.call(1, "held", 7).await;
    events.expect("held started").await;
    // B cancels "its" (held, 1); the add round trip proves B's frame was
    // handled before we look.
    b.control(1, "held", RequestType::Cancel).await;
    b.assert_next_is_answer_to_add(2).await;
    assert!(!events.has_happened("held dropped"));
    gate.open();
    assert_eq!(a.recv_message::<u32>(1).await, 7);
}

#[tokio::test]
async fn another_connection_cannot_feed_or_end_a_request_stream() {
    let addr = start_demo().await;
    let mut a = Raw::connect(addr).await;
    let mut b = Raw::connect(addr).await;
    a.call(1, "total", 10).await;
    // B's MESSAGE with the same (rpc, seq) opens B's own request...
    b.call(1, "total", 100).await;
    // ...and B's END_OF_STREAM ends B's request, not A's.
    b.control(1, "total", RequestType::EndOfStream).await;
    assert_eq!(b.recv_message::<i64>(1).await, 100);
    a.call(1, "total", 5).await;
    a.control(1, "total", RequestType::EndOfStream).await;
    assert_eq!(a.recv_message::<i64>(1).await, 15);
}

#[tokio::test]
async fn another_connection_cannot_end_a_request_stream_it_did_not_open() {
    let addr = start_demo().await;
    let mut a = Raw::connect(addr).await;
    let mut b = Raw::connect(addr).await;
    a.call(1, "total", 10).await;
    a.call(2, "add", (0, 0)).await;
    assert_eq!(a.recv_message::<i64>(2).await, 0, "A's total is open");
    b.control(1, "total", RequestType::EndOfStream).await;
    b.control(1, "total", RequestType::Cancel).await;
    b.assert_next_is_answer_to_add(3).await;
    // A's request is still open and still sums only A's items.
    a.call(1, "total", 5).await;
    a.control(1, "total", RequestType::EndOfStream).await;
    assert_eq!(a.recv_message::<i64>(1).await, 15);
}
