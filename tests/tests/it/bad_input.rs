//! Hostile and broken input (docs/protocol.md section 8): text frames close
//! the connection with 1003; malformed binary frames get ERROR 400 when their
//! seq can be read and are dropped otherwise; the connection, and the server,
//! live on.

use swill::{Code, Error, Request};
use swill_tests::{Gate, Raw, probe, start, start_demo, wire};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Sends `frame` and expects ERROR 400 for `seq`; then the connection must
/// still answer.
async fn expect_400(client: &mut Raw, frame: &[u8], seq: i64) -> String {
    client.send(frame).await;
    let error = client.recv_error(seq).await;
    assert_eq!(error.code, Code::BAD_REQUEST, "answer to {frame:02x?}");
    assert!(!error.message.is_empty());
    error.message
}

#[tokio::test]
async fn a_text_frame_closes_the_connection_with_1003_and_a_reason() {
    let mut client = Raw::connect(start_demo().await).await;
    client
        .send_message(Message::Text(r#"[1, [1, 2], "add"]"#.into()))
        .await;
    let close = client
        .recv_close()
        .await
        .expect("the close frame carries a code");
    assert_eq!(close.code, CloseCode::Unsupported);
    assert_eq!(u16::from(close.code), 1003);
    assert!(!close.reason.is_empty(), "the close frame says why");
}

#[tokio::test]
async fn a_text_frame_ends_its_own_connection_only() {
    let gate = Gate::new();
    let (probe, mut events) = probe();
    let app = {
        let gate = gate.clone();
        swill_examples::demo::app().handle_as("held", move |req: Request<u32>| {
            let (gate, probe) = (gate.clone(), probe.clone());
            async move {
                probe.fire("held started");
                gate.pass().await;
                Ok::<_, Error>(req.data)
            }
        })
    };
    let addr = start(app).await;
    let mut other = Raw::connect(addr).await;
    other.call(1, "held", 5).await;
    events.expect("held started").await;
    let mut client = Raw::connect(addr).await;
    client.send_message(Message::Text("hi".into())).await;
    client.recv_close().await;
    // The other connection's call is still running, and completes.
    gate.open();
    assert_eq!(other.recv_message::<u32>(1).await, 5);
    other.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn a_malformed_frame_with_a_readable_seq_gets_400_with_that_seq() {
    let mut client = Raw::connect(start_demo().await).await;
    // [7, nil, 42]: the rpc is not a string.
    let message = expect_400(&mut client, &wire("93 07 c0 2a"), 7).await;
    assert!(
        message.contains("rpc"),
        "the message says what is wrong: {message}"
    );
    client.assert_next_is_answer_to_add(100).await;

    // [8, nil, "add", 9]: no such frame type.
    let message = expect_400(&mut client, &wire(r#"94 08 c0 a3 "add" 09"#), 8).await;
    assert!(message.contains("type"), "{message}");
    // [9, nil, "add", 0, 5]: metadata that is not a map.
    let message = expect_400(&mut client, &wire(r#"95 09 c0 a3 "add" 00 05"#), 9).await;
    assert!(message.contains("metadata"), "{message}");
    // [10, nil, "add", 0, {1: 2}]: a metadata key that is not a string.
    expect_400(&mut client, &wire(r#"95 0a c0 a3 "add" 00 81 01 02"#), 10).await;
    // [11, nil]: too short.
    expect_400(&mut client, &wire("92 0b c0"), 11).await;
    // [12]: too short.
    expect_400(&mut client, &wire("91 0c"), 12).await;
    // [-3, nil, "add"] with an invalid UTF-8 rpc name.
    expect_400(&mut client, &wire("93 fd c0 a3 61 ff 64"), -3).await;
    // [13, 0xc1, "add"]: the never-used marker inside the frame.
    expect_400(&mut client, &wire(r#"93 0d c1 a3 "add""#), 13).await;
    // [14, "ab (truncated)]
    expect_400(&mut client, &wire("93 0e a5 61 62"), 14).await;
    // A seq in a wide integer form: [u64::MAX, nil, 1].
    client
        .send(&wire("93 cf ff ff ff ff ff ff ff ff c0 01"))
        .await;
    let error = client.recv_error(u64::MAX).await;
    assert_eq!(error.code, Code::BAD_REQUEST);

    // A malformed frame never opens a request, and the connection lives on.
    client.assert_next_is_answer_to_add(101).await;
}

#[tokio::test]
async fn a_malformed_frame_naming_an_open_request_ends_that_request() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(7, "upper", "a").await;
    assert_eq!(client.recv_message::<String>(7).await, "A");
    // [7, 0xc1, "upper"]: the ERROR for seq 7 is, for the client, the end of
    // its request; the request must end with it, not answer on.
    let error = expect_400(&mut client, &wire(r#"93 07 c1 a5 "upper""#), 7).await;
    assert!(error.contains("0xc1"), "{error}");
    // The client streams on before it reads the ERROR, then ends.
    client.call(7, "upper", "b").await;
    client
        .control(7, "upper", swill_proto::RequestType::EndOfStream)
        .await;
    // Nothing more for seq 7 (no "B", no END_OF_STREAM): the next frame is
    // the answer to this add.
    client.assert_next_is_answer_to_add(8).await;
}

/// A request that answered but is not yet reaped (its `after_request`
/// hook still runs) has ended for the client, which may reuse its seq: a
/// malformed frame with that seq gets its own ERROR.
#[tokio::test]
async fn a_malformed_frame_reusing_the_seq_of_an_answered_request_gets_its_400() {
    let gate = Gate::new();
    let (probe, mut events) = probe();
    let app = {
        let gate = gate.clone();
        swill_examples::demo::app().after_request(move |ctx, _| {
            let (gate, probe) = (gate.clone(), probe.clone());
            let held = ctx.rpc() == "echo_meta";
            async move {
                if held {
                    probe.fire("hook running");
                    gate.pass().await;
                }
            }
        })
    };
    let mut client = Raw::connect(start(app).await).await;
    client.call(9, "echo_meta", "a").await;
    assert_eq!(client.recv_message::<String>(9).await, "a");
    events.expect("hook running").await;
    expect_400(&mut client, &wire(r#"93 09 c1 a3 "add""#), 9).await;
    gate.open();
    client.assert_next_is_answer_to_add(10).await;
}

#[tokio::test]
async fn a_frame_with_trailing_bytes_gets_400() {
    let mut client = Raw::connect(start_demo().await).await;
    // A valid add request followed by one more byte.
    let mut frame = wire("93 05 92 01 02 a3 61 64 64");
    frame.push(0xc0);
    let message = expect_400(&mut client, &frame, 5).await;
    assert!(!message.is_empty());
    // The request was not run on top of the ERROR.
    client.assert_next_is_answer_to_add(6).await;
}

#[tokio::test]
async fn frames_without_a_readable_seq_get_no_answer_and_the_connection_lives_on() {
    let mut client = Raw::connect(start_demo().await).await;
    let frames: [&[u8]; 9] = [
        &wire("2a"),                       // a bare integer
        &[],                               // nothing at all
        &wire("c1"),                       // the never-used marker
        &wire("90"),                       // an empty array
        &wire(r#"93 a1 "x" c0 a3 "add""#), // a string seq
        &wire("93 c0 c0 a3 61 64 64"),     // a nil seq
        &wire("81 a3 73 65 71 01"),        // a map
        &wire("93"),                       // an array header and nothing
        &wire("dc 00"),                    // a truncated array header
    ];
    for frame in frames {
        client.send(frame).await;
    }
    // Nothing came back for any of them: the next frame answers this.
    client.assert_next_is_answer_to_add(1).await;
}

#[tokio::test]
async fn a_tiny_frame_declaring_four_billion_elements_inside_gets_400() {
    let mut client = Raw::connect(start_demo().await).await;
    // [1, <array of 2^32 - 1 elements>, "ab"]: 10 bytes.
    let frame = wire(r#"93 01 dd ff ff ff ff a2 "ab""#);
    assert_eq!(frame.len(), 10);
    expect_400(&mut client, &frame, 1).await;
    // Same with a map, a string and binary data of absurd declared lengths.
    expect_400(&mut client, &wire(r#"93 02 df ff ff ff ff a3 "add""#), 2).await;
    expect_400(&mut client, &wire(r#"93 03 db ff ff ff ff a3 "add""#), 3).await;
    expect_400(&mut client, &wire(r#"93 04 c6 ff ff ff ff a3 "add""#), 4).await;
    client.assert_next_is_answer_to_add(5).await;
}

#[tokio::test]
async fn a_tiny_envelope_declaring_four_billion_elements_gets_400() {
    // The envelope itself declares 2^32 - 1 elements: the frame begins with
    // an array whose first element is an integer, which protocol.md section 8
    // defines as "a seq can be read", so ERROR 400 with seq 1 is due.
    let mut client = Raw::connect(start_demo().await).await;
    let frame = wire(r#"dd ff ff ff ff 01 c0 a2 "ab""#);
    assert_eq!(frame.len(), 10);
    expect_400(&mut client, &frame, 1).await;
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn a_truncated_envelope_with_a_readable_seq_gets_400() {
    // [7, nil, <missing>: the array declares 3 elements, 2 follow. The seq
    // is there to read, so protocol.md section 8 asks for ERROR 400 seq 7.
    let mut client = Raw::connect(start_demo().await).await;
    expect_400(&mut client, &wire("93 07 c0"), 7).await;
    // Same with a 16-bit array header declaring 256 elements.
    expect_400(&mut client, &wire(r#"dc 01 00 08 c0 a3 "add""#), 8).await;
    client.assert_next_is_answer_to_add(9).await;
}

fn nested_arrays(depth: usize) -> Vec<u8> {
    let mut data = vec![0x91; depth - 1];
    data.push(0x90);
    data
}

#[tokio::test]
async fn deeply_nested_data_gets_400_and_the_server_serves_on() {
    let addr = start_demo().await;
    let mut client = Raw::connect(addr).await;
    let mut frame = wire("93 01");
    frame.extend(nested_arrays(100_000));
    frame.extend(wire(r#"a9 "echo_meta""#));
    expect_400(&mut client, &frame, 1).await;

    // Deep metadata too.
    let mut frame = wire(r#"95 02 c0 a9 "echo_meta" 00 81 a1 "k""#);
    frame.extend(nested_arrays(100_000));
    expect_400(&mut client, &frame, 2).await;

    client.assert_next_is_answer_to_add(3).await;
    Raw::connect(addr)
        .await
        .assert_next_is_answer_to_add(1)
        .await;
}

#[tokio::test]
async fn moderately_nested_data_is_fine() {
    let mut client = Raw::connect(start_demo().await).await;
    let mut frame = wire("93 01");
    frame.extend(nested_arrays(32));
    frame.extend(wire(r#"a9 "echo_meta""#));
    client.send(&frame).await;
    let answer = client.recv().await;
    assert_eq!(answer.kind, swill_proto::ResponseType::Message);
    assert_eq!(answer.data.as_bytes(), &nested_arrays(32)[..]);
}

#[tokio::test]
async fn elements_past_the_fifth_are_ignored() {
    let mut client = Raw::connect(start_demo().await).await;
    // [1, [1, 2], "add", 0, nil, "extra", {"x": [1]}]
    client
        .send(&wire(
            r#"97 01 92 01 02 a3 "add" 00 c0 a5 "extra" 81 a1 "x" 91 01"#,
        ))
        .await;
    assert_eq!(client.recv_message::<i64>(1).await, 3);
}

/// A str that is not UTF-8 is invalid MessagePack wherever it sits: strict
/// decoders refuse the whole frame, so the server must not pass one on (to
/// a topic's subscribers, say). The data of `echo_meta`, a string in a
/// metadata value, and a publication's data each get 400; nothing is
/// published, and the connection lives on.
#[tokio::test]
async fn a_string_that_is_not_utf8_is_400_wherever_it_is() {
    let mut client = Raw::connect(start_demo().await).await;
    let message = expect_400(&mut client, &wire(r#"93 01 a2 ff fe a9 "echo_meta""#), 1).await;
    assert!(message.contains("UTF-8"), "{message}");
    expect_400(
        &mut client,
        &wire(r#"95 02 c0 a3 "add" 00 81 a1 "k" a1 ff"#),
        2,
    )
    .await;
    client
        .send_frame(&swill_tests::message(
            3,
            "swill.subscribe",
            Sub { topic: "chat" },
        ))
        .await;
    client.recv().await; // the subscription's confirmation
    expect_400(
        &mut client,
        &wire(r#"93 04 82 a5 "topic" a4 "chat" a4 "data" a2 ff fe ad "swill.publish""#),
        4,
    )
    .await;
    // The next publication is the first the subscriber sees.
    client
        .send_frame(&swill_tests::message(
            5,
            "swill.publish",
            Pub {
                topic: "chat",
                data: "ok",
            },
        ))
        .await;
    let mut got = Vec::new();
    while got.len() < 2 {
        got.push(client.recv().await);
    }
    let item = got
        .iter()
        .find(|f| f.seq == 3u64.into())
        .expect("the publication");
    let publication: rmpv::Value = item.data.decode().expect("valid MessagePack");
    assert_eq!(publication["data"].as_str(), Some("ok"), "{publication}");
}

#[derive(serde::Serialize)]
struct Sub {
    topic: &'static str,
}

#[derive(serde::Serialize)]
struct Pub {
    topic: &'static str,
    data: &'static str,
}
