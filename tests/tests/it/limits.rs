//! Limits and backpressure: what a peer can no longer do to the server's
//! memory, and what it is told instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::{handshake, status};
use futures::Stream;
use swill::{App, Code, Error, Metadata, Request};
use swill_proto::{
    ErrorBody, Payload, RequestFrame, RequestType, ResponseFrame, ResponseType, Seq,
};
use swill_tests::{Raw, start};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

fn msg(seq: u64, rpc: &str, v: impl serde::Serialize) -> RequestFrame {
    RequestFrame::message(seq, rpc, Payload::encode(&v).expect("encodes"))
}

fn error_of(frame: &ResponseFrame) -> ErrorBody {
    assert_eq!(frame.kind, ResponseType::Error, "{frame:?}");
    ErrorBody::from_payload(&frame.data).expect("an error body")
}

/// Signals when dropped: proof that a handler's future was dropped.
struct DropSignal(mpsc::UnboundedSender<&'static str>, &'static str);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

#[tokio::test]
async fn a_deadline_cancels_the_handler_and_answers_408() {
    let (dropped, mut drops) = mpsc::unbounded_channel();
    let app = App::new().handle_as("wait", move |_req: Request<()>| {
        let guard = DropSignal(dropped.clone(), "wait");
        async move {
            let _guard = guard;
            std::future::pending::<Result<(), Error>>().await
        }
    });
    let addr = start(app).await;
    let mut client = Raw::connect(addr).await;
    let frame = msg(1, "wait", ()).with_metadata(Metadata::from([(Metadata::TIMEOUT, 30)]));
    client.send_frame(&frame).await;
    let error = error_of(&client.recv().await);
    assert_eq!(error.code, Code::DEADLINE_EXCEEDED);
    assert!(error.message.contains("30 ms"), "{}", error.message);
    assert_eq!(drops.recv().await, Some("wait"));
}

/// `swill-timeout: 0` is a deadline already past (protocol 6.1): 408
/// without running the handler, even one that would answer at once (a
/// timer could not stop it), for every call shape.
#[tokio::test]
async fn a_zero_deadline_is_408_and_the_handler_never_runs() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = |runs: &Arc<AtomicUsize>| {
        let runs = runs.clone();
        move || runs.fetch_add(1, Ordering::SeqCst)
    };
    let (add_run, count_run) = (counted(&runs), counted(&runs));
    let app = App::new()
        .handle_as("add", move |req: Request<(i64, i64)>| {
            add_run();
            async move { Ok::<_, Error>(req.data.0 + req.data.1) }
        })
        .handle_as("count", move |req: Request<u32>| {
            count_run();
            async move { futures::stream::iter((0..req.data).map(Ok::<_, Error>)) }
        });
    let addr = start(app).await;
    let mut client = Raw::connect(addr).await;
    let expired = Metadata::from([(Metadata::TIMEOUT, 0)]);
    for (seq, frame) in [(1u64, msg(1, "add", (1, 2))), (2, msg(2, "count", 3))] {
        client
            .send_frame(&frame.with_metadata(expired.clone()))
            .await;
        let answer = client.recv().await;
        assert_eq!(answer.seq, seq.into());
        assert_eq!(error_of(&answer).code, Code::DEADLINE_EXCEEDED);
    }
    // The same call with time to spare runs (so the count above can fail).
    let frame = msg(3, "add", (1, 2)).with_metadata(Metadata::from([(Metadata::TIMEOUT, 60_000)]));
    client.send_frame(&frame).await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 3);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "only the call with time ran"
    );
}

#[tokio::test]
async fn a_malformed_deadline_is_400() {
    let addr = start(swill_examples::demo::app()).await;
    let mut client = Raw::connect(addr).await;
    let frame = msg(1, "add", (1, 2)).with_metadata(Metadata::from([(Metadata::TIMEOUT, "soon")]));
    client.send_frame(&frame).await;
    let error = error_of(&client.recv().await);
    assert_eq!(error.code, Code::BAD_REQUEST);
    assert!(error.message.contains("swill-timeout"), "{}", error.message);
    // A float is shown as one: `100` would read as the integer it asks for.
    let frame = msg(3, "add", (1, 2)).with_metadata(Metadata::from([(Metadata::TIMEOUT, 100.0)]));
    client.send_frame(&frame).await;
    let error = error_of(&client.recv().await);
    assert!(error.message.ends_with("found 100.0"), "{}", error.message);
    // A deadline that is met changes nothing.
    let frame = msg(2, "add", (1, 2)).with_metadata(Metadata::from([(Metadata::TIMEOUT, 60_000)]));
    client.send_frame(&frame).await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 3);
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_413_and_the_connection_lives_on() {
    let addr = start(swill_examples::demo::app().max_message_size(100)).await;
    let mut client = Raw::connect(addr).await;
    client
        .send_frame(&msg(1, "echo_meta", "x".repeat(200)))
        .await;
    let error = error_of(&client.recv().await);
    assert_eq!(error.code, Code::MESSAGE_TOO_LARGE);
    // An oversized message in the middle of a stream ends that stream.
    client.send_frame(&msg(2, "total", 1)).await;
    client.send_frame(&msg(2, "total", vec![0; 200])).await;
    let error = error_of(&client.recv().await);
    assert_eq!(error.code, Code::MESSAGE_TOO_LARGE);
    // The client, not yet aware, streams on and ends its stream: those
    // frames belong to the ended request, and earn no second answer.
    client.send_frame(&msg(2, "total", 5)).await;
    client.control(2, "total", RequestType::EndOfStream).await;
    client.send_frame(&msg(3, "add", (1, 2))).await;
    let next = client.recv().await;
    assert_eq!(next.seq, Seq::from(3), "nothing more for seq 2: {next:?}");
    assert_eq!(next.data.decode::<i64>().unwrap(), 3);
    // Once its stream ended, the pair may start a new request.
    client.send_frame(&msg(2, "total", 7)).await;
    client.control(2, "total", RequestType::EndOfStream).await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 7);
}

#[tokio::test]
async fn a_frame_over_the_frame_limit_closes_with_1009() {
    let addr = start(swill_examples::demo::app().max_frame_size(1000)).await;
    let mut client = Raw::connect(addr).await;
    client
        .send_frame(&msg(1, "echo_meta", "x".repeat(2000)))
        .await;
    let close = client.recv_close().await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1009);
}

#[tokio::test]
async fn too_many_open_requests_is_429() {
    let addr = start(swill_examples::demo::app().max_requests_per_connection(2)).await;
    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "sleep", 60_000)).await;
    client.send_frame(&msg(2, "sleep", 60_000)).await;
    client.send_frame(&msg(3, "add", (1, 2))).await;
    let error = error_of(&client.recv().await);
    assert_eq!(error.code, Code::TOO_MANY_REQUESTS);
    // Cancelling one makes room again.
    client
        .send_frame(&RequestFrame::control(1, "sleep", RequestType::Cancel))
        .await;
    client.send_frame(&msg(4, "add", (1, 2))).await;
    let answer = client.recv().await;
    assert_eq!(answer.seq, 4u8.into());
    assert_eq!(answer.data.decode::<i64>().unwrap(), 3);
}

#[tokio::test]
async fn a_burst_of_pipelined_calls_is_answered_whole_within_a_small_open_limit() {
    // Calls that finish at once never count as open requests, however many
    // arrive together: their answers must go out while reading goes on, or
    // they would wait for room in the write queue, stay open, and the
    // burst would earn 429s.
    let app = swill_examples::demo::app().max_requests_per_connection(8);
    let addr = start(app).await;
    let mut client = Raw::connect(addr).await;
    let calls = 2000u64;
    client
        .send_burst((1..=calls).map(|seq| msg(seq, "add", (seq, 1))))
        .await;
    for seq in 1..=calls {
        let sum: u64 = client.recv_message(seq).await;
        assert_eq!(sum, seq + 1);
    }
}

#[tokio::test]
async fn connections_over_the_limit_are_refused_before_the_upgrade() {
    let addr = start(swill_examples::demo::app().max_connections(1)).await;
    let first = Raw::connect(addr).await;
    let (_, head) = handshake(addr, "/ws", &[]).await;
    assert_eq!(status(&head), 503, "{head}");
    drop(first);
}

#[tokio::test]
async fn keepalive_pings_and_idle_peers_are_closed_with_1001() {
    let app = swill_examples::demo::app()
        .keepalive(Some(Duration::from_millis(20)))
        .idle_timeout(Some(Duration::from_millis(60)));
    let addr = start(app).await;
    // A peer that never answers: read the raw bytes until the server hangs up.
    let (mut tcp, head) = handshake(addr, "/ws", &[]).await;
    assert_eq!(status(&head), 101);
    let mut bytes = Vec::new();
    tokio::time::timeout(swill_tests::PATIENCE, tcp.read_to_end(&mut bytes))
        .await
        .expect("the server closed the idle connection")
        .expect("read");
    assert_eq!(
        bytes.first(),
        Some(&0x89),
        "a ping came first: {bytes:02x?}"
    );
    // The last frame is a close frame (0x88) with code 1001.
    let close = bytes
        .windows(4)
        .rposition(|w| w[0] == 0x88)
        .map(|i| &bytes[i..])
        .expect("a close frame");
    assert_eq!(u16::from_be_bytes([close[2], close[3]]), 1001);
}

#[tokio::test]
async fn a_peer_that_answers_pings_stays_connected() {
    let app = swill_examples::demo::app()
        .keepalive(Some(Duration::from_millis(10)))
        .idle_timeout(Some(Duration::from_millis(30)));
    let addr = start(app).await;
    let mut client = Raw::connect(addr).await;
    // Several pings come and are answered (tungstenite pongs as it reads):
    // the connection outlives many idle timeouts and still works.
    for _ in 0..10 {
        match client.next_message().await {
            Some(Ok(Message::Ping(_))) => {}
            other => panic!("expected a ping, got {other:?}"),
        }
    }
    client.send_frame(&msg(1, "add", (1, 2))).await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 3);
}

/// A stream of 64 KiB items that counts what it produced.
fn flood(produced: Arc<AtomicUsize>) -> impl Stream<Item = Result<swill::AnyValue, Error>> {
    let item = swill::AnyValue(swill::Value::Binary(vec![7; 64 * 1024]));
    futures::stream::repeat_with(move || {
        produced.fetch_add(1, Ordering::SeqCst);
        Ok(item.clone())
    })
}

#[tokio::test]
async fn a_client_that_stops_reading_holds_the_handler_not_the_memory() {
    const ITEM: usize = 64 * 1024;
    let produced = Arc::new(AtomicUsize::new(0));
    let counter = produced.clone();
    let app = swill_examples::demo::app().max_queued_frames(8).handle_as(
        "flood",
        move |_req: Request<()>| {
            let counter = counter.clone();
            async move { flood(counter) }
        },
    );
    let addr = start(app).await;

    let mut slow = Raw::connect(addr).await;
    slow.send_frame(&msg(1, "flood", ())).await;
    // The slow client never reads again. Meanwhile another connection keeps
    // being served; in rounds of 100 calls, wait until production stalls.
    let mut other = Raw::connect(addr).await;
    let mut seq = 0u64;
    let mut stalled = false;
    for _round in 0..200 {
        let before = produced.load(Ordering::SeqCst);
        for _ in 0..100 {
            seq += 1;
            other.send_frame(&msg(seq, "add", (1, 2))).await;
            assert_eq!(other.recv().await.data.decode::<i64>().unwrap(), 3);
        }
        if before > 0 && produced.load(Ordering::SeqCst) == before {
            stalled = true;
            break;
        }
    }
    let bytes = produced.load(Ordering::SeqCst) * ITEM;
    assert!(stalled, "the producer never waited: {bytes} bytes produced");
    // The queue (8 frames), the writer's batch and the kernel's socket
    // buffers on both ends: far below what an unbounded queue would hold.
    assert!(
        bytes <= 64 * 1024 * 1024,
        "{bytes} bytes produced for a client that reads nothing"
    );
    slow.send_message(Message::Close(None)).await;
    other.close().await;
}

#[tokio::test]
async fn a_peer_that_stops_reading_is_closed_after_the_idle_timeout() {
    // Its stream fills every buffer on the way, so the server's write
    // waits; past the idle timeout the peer counts as gone: its handler is
    // dropped and the connection's hooks run, instead of a task held in a
    // write for ever.
    let (dropped, mut drops) = mpsc::unbounded_channel();
    let (left, mut gone) = mpsc::unbounded_channel();
    let app = App::new()
        .max_queued_frames(8)
        .keepalive(Some(Duration::from_millis(100)))
        .idle_timeout(Some(Duration::from_millis(300)))
        .handle_as("flood", move |_req: Request<()>| {
            let guard = DropSignal(dropped.clone(), "flood");
            async move {
                let item = swill::AnyValue(swill::Value::Binary(vec![7; 64 * 1024]));
                futures::stream::repeat_with(move || {
                    let _ = &guard;
                    Ok::<_, Error>(item.clone())
                })
            }
        })
        .after_connection(move |_info| {
            let _ = left.send(());
            async {}
        });
    let addr = start(app).await;
    let mut slow = Raw::connect(addr).await;
    slow.send_frame(&msg(1, "flood", ())).await;
    // It never reads again. A hang guard, not a timing claim.
    let patience = Duration::from_secs(30);
    let handler = tokio::time::timeout(patience, drops.recv()).await;
    assert_eq!(handler.expect("the handler was dropped"), Some("flood"));
    let hooks = tokio::time::timeout(patience, gone.recv()).await;
    assert_eq!(hooks.expect("after_connection ran"), Some(()));
    drop(slow);
}

#[tokio::test]
async fn a_large_message_arrives_whole_through_the_small_read_buffer() {
    // The server reads 1 KiB at a time by default; a 1 MiB message is
    // reassembled from a thousand reads and echoed intact.
    let addr = start(swill_examples::demo::app()).await;
    let mut client = Raw::connect(addr).await;
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let data = swill::Value::Binary(big.clone());
    client.send_frame(&msg(1, "echo_meta", &data)).await;
    let answer = client.recv().await;
    assert_eq!(answer.data.to_value().unwrap(), swill::Value::Binary(big));
}

/// Answers the size of the bytes it was sent.
async fn size(req: Request<swill::AnyValue>) -> Result<usize, Error> {
    match req.data.0 {
        swill::Value::Binary(bytes) => Ok(bytes.len()),
        _ => Err(Error::bad_request("send bytes")),
    }
}

#[tokio::test]
async fn raised_limits_reach_the_decoder_and_oversize_data_is_413_by_seq() {
    const MIB: usize = 1024 * 1024;
    let limits = swill::Limits {
        max_frame_size: 24 * MIB,
        max_message_size: 20 * MIB,
        ..swill::Limits::default()
    };
    let addr = start(App::new().limits(limits).handle_as("size", size)).await;
    let mut client = Raw::connect(addr).await;
    // Over the default frame limit (16 MiB), within the raised one.
    let big = serde_bytes::ByteBuf::from(vec![7u8; 18 * MIB]);
    client.send_frame(&msg(1, "size", &big)).await;
    assert_eq!(
        client.recv().await.data.decode::<usize>().unwrap(),
        18 * MIB
    );
    // Within the frame limit, over the message limit: told by seq.
    let bigger = serde_bytes::ByteBuf::from(vec![7u8; 21 * MIB]);
    client.send_frame(&msg(2, "size", &bigger)).await;
    let frame = client.recv().await;
    assert_eq!(frame.seq, 2.into());
    assert_eq!(error_of(&frame).code, Code::MESSAGE_TOO_LARGE);
    client
        .send_frame(&msg(3, "size", serde_bytes::ByteBuf::from(vec![1, 2])))
        .await;
    assert_eq!(client.recv().await.data.decode::<usize>().unwrap(), 2);
}

#[tokio::test]
async fn a_lowered_depth_limit_is_400_by_seq() {
    let limits = swill::Limits {
        max_depth: 4,
        ..swill::Limits::default()
    };
    let addr = start(swill_examples::demo::app().limits(limits)).await;
    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "echo_meta", [[[[1]]]])).await;
    let frame = client.recv().await;
    assert_eq!(frame.seq, 1.into());
    assert_eq!(error_of(&frame).code, Code::BAD_REQUEST);
    client.send_frame(&msg(2, "add", (1, 2))).await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 3);
}
