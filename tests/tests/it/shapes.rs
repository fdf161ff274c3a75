//! The four call shapes against the demo, over a real socket, with raw
//! frames: what goes out, in which order, and which frame ends a request.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use swill::{App, Error, Request};
use swill_proto::{RequestType, ResponseFrame};
use swill_tests::{Gate, Raw, probe, start, start_demo};

#[tokio::test]
async fn unary_add_answers_exactly_one_message() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "add", (40, 2)).await;
    let answer: i64 = client.recv_message(1).await;
    assert_eq!(answer, 42);
    // A unary answer is terminal: nothing else for seq 1 comes before the
    // answer to the next request.
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn unary_answer_carries_no_metadata_when_none_was_set() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "add", (-5, 3)).await;
    let frame = client.recv().await;
    assert_eq!(frame.leading, None);
    assert_eq!(frame.trailing, None);
    assert_eq!(swill_tests::expect_message::<i64>(&frame, 1), -2);
}

#[tokio::test]
async fn server_streaming_count_sends_each_item_then_end_of_stream() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(7, "count", 5).await;
    for i in 0..5u64 {
        let item: u64 = client.recv_message(7).await;
        assert_eq!(item, i);
    }
    client.recv_end(7).await;
    client.assert_next_is_answer_to_add(8).await;
}

#[tokio::test]
async fn server_streaming_count_zero_is_just_end_of_stream() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(3, "count", 0).await;
    client.recv_end(3).await;
    client.assert_next_is_answer_to_add(4).await;
}

#[tokio::test]
async fn client_streaming_total_answers_one_terminal_message() {
    let mut client = Raw::connect(start_demo().await).await;
    for n in [1, 2, 3, 4] {
        client.call(1, "total", n).await;
    }
    client.control(1, "total", RequestType::EndOfStream).await;
    let sum: i64 = client.recv_message(1).await;
    assert_eq!(sum, 10);
    // The MESSAGE is terminal: no END_OF_STREAM follows it. Had the server
    // queued one, it would come before the answer to this later request.
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn client_streaming_total_of_an_empty_stream() {
    let mut client = Raw::connect(start_demo().await).await;
    // Opened by METADATA, no message at all, then END_OF_STREAM.
    client.control(1, "total", RequestType::Metadata).await;
    client.control(1, "total", RequestType::EndOfStream).await;
    let sum: i64 = client.recv_message(1).await;
    assert_eq!(sum, 0);
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn bidi_upper_answers_each_item_as_it_arrives() {
    let mut client = Raw::connect(start_demo().await).await;
    // Each answer is awaited before the next item is sent: a server that
    // waited for the whole request stream would leave the test hanging here.
    client.call(1, "upper", "a").await;
    assert_eq!(client.recv_message::<String>(1).await, "A");
    client.call(1, "upper", "b").await;
    assert_eq!(client.recv_message::<String>(1).await, "B");
    client.call(1, "upper", "héllo").await;
    assert_eq!(client.recv_message::<String>(1).await, "HÉLLO");
    client.control(1, "upper", RequestType::EndOfStream).await;
    client.recv_end(1).await;
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn requests_in_flight_on_one_connection_are_answered_independently() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "sleep", 300).await;
    client.call(2, "add", (1, 2)).await;
    // add was sent second but does not wait for sleep.
    assert_eq!(client.recv_message::<i64>(2).await, 3);
    assert_eq!(client.recv_message::<String>(1).await, "done");
}

#[tokio::test]
async fn streams_in_flight_interleave_on_one_connection() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "upper", "x").await;
    assert_eq!(client.recv_message::<String>(1).await, "X");
    client.call(2, "total", 20).await;
    client.call(3, "count", 2).await;
    // count runs to its end while upper and total stay open.
    assert_eq!(client.recv_message::<u64>(3).await, 0);
    assert_eq!(client.recv_message::<u64>(3).await, 1);
    client.recv_end(3).await;
    client.call(1, "upper", "y").await;
    assert_eq!(client.recv_message::<String>(1).await, "Y");
    client.call(2, "total", 22).await;
    client.control(2, "total", RequestType::EndOfStream).await;
    assert_eq!(client.recv_message::<i64>(2).await, 42);
    client.control(1, "upper", RequestType::EndOfStream).await;
    client.recv_end(1).await;
}

#[tokio::test]
async fn the_same_seq_on_two_rpcs_is_two_requests() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "total", 10).await;
    client.call(1, "upper", "a").await;
    // Had "a" been fed to total (keyed by seq alone), total would fail on a
    // string and upper would never answer.
    assert_eq!(client.recv_message::<String>(1).await, "A");
    client.call(1, "total", 5).await;
    client.control(1, "total", RequestType::EndOfStream).await;
    assert_eq!(client.recv_message::<i64>(1).await, 15);
    client.call(1, "upper", "b").await;
    assert_eq!(client.recv_message::<String>(1).await, "B");
    client.control(1, "upper", RequestType::EndOfStream).await;
    client.recv_end(1).await;
}

#[tokio::test]
async fn a_seq_can_be_reused_once_its_request_finished() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "add", (1, 1)).await;
    assert_eq!(client.recv_message::<i64>(1).await, 2);
    client.call(1, "add", (2, 2)).await;
    assert_eq!(client.recv_message::<i64>(1).await, 4);

    client.call(1, "count", 1).await;
    assert_eq!(client.recv_message::<u64>(1).await, 0);
    client.recv_end(1).await;
    client.call(1, "count", 2).await;
    assert_eq!(client.recv_message::<u64>(1).await, 0);
    assert_eq!(client.recv_message::<u64>(1).await, 1);
    client.recv_end(1).await;

    // A reused client-streaming seq starts from scratch: the new sum does
    // not include the first request's items.
    client.call(1, "total", 100).await;
    client.control(1, "total", RequestType::EndOfStream).await;
    assert_eq!(client.recv_message::<i64>(1).await, 100);
    client.call(1, "total", 5).await;
    client.control(1, "total", RequestType::EndOfStream).await;
    assert_eq!(client.recv_message::<i64>(1).await, 5);
}

#[tokio::test]
async fn a_seq_can_be_reused_as_soon_as_its_terminal_frame_arrives() {
    // The first call's task outlives its answer (an after_request hook holds
    // it), so the reuse below reaches the server while the finished call is
    // still registered: it must open a new request, not feed the old one.
    let gate = Gate::new();
    let (probe, mut events) = probe();
    let first = Arc::new(AtomicBool::new(true));
    let app = {
        let gate = gate.clone();
        App::new()
            .handle(swill_examples::demo::add)
            .after_request(move |_ctx, _outcome| {
                let (gate, probe) = (gate.clone(), probe.clone());
                let hold = first.swap(false, Ordering::SeqCst);
                async move {
                    if hold {
                        probe.fire("first call winding down");
                        gate.pass().await;
                    }
                }
            })
    };
    let mut client = Raw::connect(start(app).await).await;
    client.call(1, "add", (1, 1)).await;
    assert_eq!(client.recv_message::<i64>(1).await, 2);
    events.expect("first call winding down").await;
    client.call(1, "add", (2, 2)).await;
    assert_eq!(client.recv_message::<i64>(1).await, 4);
    gate.open();
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn any_integer_seq_is_echoed_unchanged() {
    let mut client = Raw::connect(start_demo().await).await;
    let seqs: [swill_proto::Seq; 6] = [
        0i64.into(),
        (-1i64).into(),
        i64::MIN.into(),
        i64::MAX.into(),
        u64::MAX.into(),
        300u64.into(),
    ];
    for seq in seqs {
        client.call(seq, "add", (1, 1)).await;
        let frame = client.recv().await;
        assert_eq!(
            frame,
            ResponseFrame::message(seq, swill_proto::Payload::encode(&2).unwrap()),
            "seq {seq}"
        );
    }
}

#[tokio::test]
async fn a_unary_request_takes_one_message_and_ignores_later_ones() {
    let gate = Gate::new();
    let (probe, mut events) = probe();
    let app = {
        let gate = gate.clone();
        App::new()
            .handle(swill_examples::demo::add)
            .handle_as("held", move |req: Request<u32>| {
                let (gate, probe) = (gate.clone(), probe.clone());
                async move {
                    probe.fire(format!("held {} started", req.data));
                    gate.pass().await;
                    Ok::<_, Error>(req.data)
                }
            })
    };
    let mut client = Raw::connect(start(app).await).await;
    client.call(1, "held", 1).await;
    events.expect("held 1 started").await;
    // More messages for the open unary request, then a request whose answer
    // proves that the server has read them (frames are handled in order).
    client.call(1, "held", 2).await;
    client.call(1, "held", 3).await;
    client.assert_next_is_answer_to_add(2).await;
    gate.open();
    assert_eq!(client.recv_message::<u32>(1).await, 1);
    client.assert_next_is_answer_to_add(3).await;
    assert!(!events.has_happened("held 2 started"));
    assert!(!events.has_happened("held 3 started"));
}
