//! The session driven with frames only: bytes in, bytes and events out.
//! Byte strings use the wire file's notation: hex, and "quoted" ASCII.

use std::time::Duration;

use swill_proto::{CallShape, Code, Metadata, Payload, Seq, Value};

use super::{Event, Session};
use crate::{CallOptions, Error};

use swill_proto::testing::wire;

fn payload<T: serde::Serialize>(value: &T) -> Payload {
    Payload::encode(value).expect("encodes")
}

/// Feeds the session one frame, expecting events for a pending call.
fn events(session: &mut Session<u32>, frame: &str) -> Vec<Event> {
    session
        .receive(wire(frame).into())
        .expect("a well-formed frame")
        .expect("events for a pending call")
        .events
}

fn unary(session: &mut Session<u32>, rpc: &str, data: Payload, sink: u32) -> Seq {
    let options = CallOptions::new();
    let (seq, _) = session
        .start(rpc, CallShape::Unary, Some(data), &options, sink)
        .expect("open");
    seq
}

#[test]
fn seqs_start_at_one_and_count_up() {
    let mut session = Session::new();
    let first = unary(&mut session, "add", payload(&(1, 2)), 0);
    let second = unary(&mut session, "add", payload(&(3, 4)), 1);
    assert_eq!((first.get(), second.get()), (1, 2));
    assert_eq!(session.pending(), 2);
}

#[test]
fn a_unary_call_opens_with_the_short_form_and_ends_on_its_answer() {
    let mut session = Session::new();
    let options = CallOptions::new();
    let (seq, frame) = session
        .start("add", CallShape::Unary, Some(payload(&(1, 2))), &options, 7)
        .unwrap();
    assert_eq!(frame.encode(), wire("93 01 92 01 02 a3 61 64 64"));
    let incoming = session.receive(wire("95 01 03 00 c0 c0").into()).unwrap();
    let incoming = incoming.expect("the answer");
    assert_eq!((incoming.seq, incoming.sink), (seq, 7));
    let expected = Event::Answer {
        data: payload(&3),
        trailing: None,
    };
    assert_eq!(incoming.events, [expected]);
    assert!(!session.is_pending(seq));
}

#[test]
fn metadata_and_timeout_go_on_the_opening_message() {
    let mut session: Session<u32> = Session::new();
    let options = CallOptions::new()
        .metadata(Metadata::from([("x", "hello")]))
        .timeout(Duration::from_millis(1500));
    let (_, frame) = session
        .start("meta", CallShape::Unary, Some(payload(&"hi")), &options, 0)
        .unwrap();
    let expected = r#"95 01 a2 "hi" a4 "meta" 00 82 a1 "x" a5 "hello" ad "swill-timeout" cd 05 dc"#;
    assert_eq!(frame.encode(), wire(expected));
}

#[test]
fn leading_and_trailing_metadata_of_a_unary_answer() {
    let mut session = Session::new();
    unary(&mut session, "meta", payload(&"hi"), 0);
    let got = events(
        &mut session,
        r#"95 01 a2 68 69 00 81 a4 "lead" a5 "hello" 81 a5 "trail" 01"#,
    );
    let expected = [
        Event::Leading(Metadata::from([("lead", "hello")])),
        Event::Answer {
            data: payload(&"hi"),
            trailing: Some(Metadata::from([("trail", 1)])),
        },
    ];
    assert_eq!(got, expected);
}

#[test]
fn a_server_stream_yields_items_then_ends() {
    let mut session = Session::new();
    let options = CallOptions::new();
    let (seq, frame) = session
        .start(
            "count",
            CallShape::ServerStreaming,
            Some(payload(&3)),
            &options,
            0,
        )
        .unwrap();
    assert_eq!(frame.encode(), wire("93 01 03 a5 63 6f 75 6e 74"));
    for (frame, n) in [("95 01 00 00 c0 c0", 0), ("95 01 01 00 c0 c0", 1)] {
        assert_eq!(events(&mut session, frame), [Event::Item(payload(&n))]);
    }
    assert!(session.is_pending(seq));
    let end = events(&mut session, r#"95 01 c0 01 c0 81 a5 "trail" 02"#);
    let trailing = Some(Metadata::from([("trail", 2)]));
    assert_eq!(end, [Event::End { trailing }]);
    assert!(!session.is_pending(seq));
}

#[test]
fn a_metadata_frame_is_leading_metadata_once() {
    let mut session = Session::new();
    let options = CallOptions::new();
    session
        .start(
            "count",
            CallShape::ServerStreaming,
            Some(payload(&1)),
            &options,
            0,
        )
        .unwrap();
    let lead = events(&mut session, r#"95 01 c0 02 81 a4 "lead" 01 c0"#);
    assert_eq!(lead, [Event::Leading(Metadata::from([("lead", 1)]))]);
    let again = session.receive(wire(r#"95 01 c0 02 81 a4 "lead" 02 c0"#).into());
    assert!(
        again.unwrap().is_none(),
        "leading metadata is never repeated"
    );
    // Nor when a later message carries it.
    let item = events(&mut session, r#"95 01 00 00 81 a4 "lead" 03 c0"#);
    assert_eq!(item, [Event::Item(payload(&0))]);
}

#[test]
fn an_empty_stream_can_carry_leading_metadata_on_its_end() {
    let mut session = Session::new();
    let options = CallOptions::new();
    session
        .start(
            "count",
            CallShape::ServerStreaming,
            Some(payload(&0)),
            &options,
            0,
        )
        .unwrap();
    let got = events(&mut session, r#"95 01 c0 01 81 a1 "k" a1 "v" c0"#);
    let leading = Event::Leading(Metadata::from([("k", "v")]));
    assert_eq!(got, [leading, Event::End { trailing: None }]);
}

#[test]
fn a_client_stream_opens_with_metadata_sends_messages_and_ends() {
    let mut session: Session<u32> = Session::new();
    let options = CallOptions::new().metadata(Metadata::from([("k", "v")]));
    let (seq, open) = session
        .start("upper", CallShape::Bidirectional, None, &options, 0)
        .unwrap();
    assert_eq!(
        open.encode(),
        wire("95 01 c0 a5 75 70 70 65 72 02 81 a1 6b a1 76")
    );
    let message = session.message(seq, payload(&"a")).unwrap();
    assert_eq!(message.encode(), wire(r#"93 01 a1 "a" a5 "upper""#));
    let end = session.end(seq).unwrap();
    assert_eq!(end.encode(), wire("94 01 c0 a5 75 70 70 65 72 01"));
}

#[test]
fn a_streaming_request_without_metadata_opens_with_an_empty_map() {
    let mut session: Session<u32> = Session::new();
    let options = CallOptions::new();
    let (_, open) = session
        .start("total", CallShape::ClientStreaming, None, &options, 0)
        .unwrap();
    assert_eq!(open.encode(), wire(r#"95 01 c0 a5 "total" 02 80"#));
}

#[test]
fn the_answer_of_a_client_stream_is_terminal() {
    let mut session = Session::new();
    let options = CallOptions::new();
    let (seq, _) = session
        .start("total", CallShape::ClientStreaming, None, &options, 0)
        .unwrap();
    let got = events(&mut session, "95 01 06 00 c0 c0");
    let answer = Event::Answer {
        data: payload(&6),
        trailing: None,
    };
    assert_eq!(got, [answer]);
    assert_eq!(session.message(seq, payload(&1)), Err(Error::Closed));
    assert_eq!(session.end(seq), Err(Error::Closed));
}

#[test]
fn an_error_ends_the_call_with_its_code_and_message() {
    let mut session = Session::new();
    unary(&mut session, "nope", Payload::nil(), 0);
    let got = events(
        &mut session,
        r#"95 01 82 a4 "code" cd 01 94 a7 "message" d9 29 "No func was found to process this request" 03 c0 c0"#,
    );
    let [Event::Error(body)] = &got[..] else {
        panic!("expected an error, got {got:?}");
    };
    assert_eq!(body.code, Code::NOT_FOUND);
    assert_eq!(body.message, "No func was found to process this request");
    assert_eq!(session.pending(), 0);
}

#[test]
fn an_error_body_that_is_not_a_map_fails_the_call() {
    let mut session = Session::new();
    unary(&mut session, "x", Payload::nil(), 0);
    let got = events(&mut session, r#"95 01 a3 "bad" 03 c0 c0"#);
    assert!(
        matches!(&got[..], [Event::Failed(Error::Decode(_))]),
        "{got:?}"
    );
    assert_eq!(session.pending(), 0);
}

#[test]
fn a_unary_call_ended_without_an_answer_fails() {
    let mut session = Session::new();
    unary(&mut session, "add", payload(&(1, 2)), 0);
    let got = events(&mut session, "95 01 c0 01 c0 c0");
    assert!(
        matches!(&got[..], [Event::Failed(Error::Decode(_))]),
        "{got:?}"
    );
}

#[test]
fn cancel_sends_cancel_and_forgets_the_call() {
    let mut session = Session::new();
    let seq = unary(&mut session, "slow", Payload::nil(), 0);
    let cancel = session.cancel(seq).expect("a pending call");
    assert_eq!(cancel.encode(), wire("94 01 c0 a4 73 6c 6f 77 03"));
    assert!(session.cancel(seq).is_none(), "nothing left to cancel");
    // A frame already in flight for it is ignored.
    assert!(
        session
            .receive(wire("95 01 03 00 c0 c0").into())
            .unwrap()
            .is_none()
    );
    assert_eq!(session.message(seq, Payload::nil()), Err(Error::Closed));
}

#[test]
fn frames_for_unknown_seqs_are_ignored() {
    let mut session: Session<u32> = Session::new();
    let got = session.receive(wire("95 2a 03 00 c0 c0").into()).unwrap();
    assert!(got.is_none());
}

#[test]
fn a_malformed_frame_fails_its_call_and_cancels_it() {
    let mut session = Session::new();
    unary(&mut session, "add", payload(&(1, 2)), 9);
    // The type element is 7: the seq is readable, the rest is not valid.
    let incoming = session
        .receive(wire("95 01 03 07 c0 c0").into())
        .unwrap()
        .expect("the call's failure");
    assert_eq!(incoming.sink, 9);
    assert!(matches!(
        &incoming.events[..],
        [Event::Failed(Error::Decode(_))]
    ));
    let cancel = incoming.reply.expect("a CANCEL for the server");
    assert_eq!(cancel.encode(), wire(r#"94 01 c0 a3 "add" 03"#));
    assert_eq!(session.pending(), 0);
}

#[test]
fn a_malformed_frame_without_a_pending_call_is_an_error_to_log() {
    let mut session: Session<u32> = Session::new();
    assert!(session.receive(wire(r#"a3 "odd""#).into()).is_err());
    assert!(session.receive(wire("95 05 03 07 c0 c0").into()).is_err());
}

#[test]
fn closing_fails_every_pending_call_and_every_later_one() {
    let mut session = Session::new();
    let a = unary(&mut session, "a", Payload::nil(), 1);
    unary(&mut session, "b", Payload::nil(), 2);
    let mut failed = session.close("connection reset");
    failed.sort_by_key(|(sink, _)| *sink);
    let lost = Event::Failed(Error::Disconnected {
        reason: "connection reset".into(),
    });
    assert_eq!(failed, [(1, lost.clone()), (2, lost)]);
    assert!(session.is_closed());
    let options = CallOptions::new();
    let later = session.start("c", CallShape::Unary, None, &options, 3);
    assert_eq!(later.unwrap_err().code(), Code::UNAVAILABLE);
    assert!(matches!(
        session.message(a, Payload::nil()),
        Err(Error::Disconnected { .. })
    ));
}

#[test]
fn error_data_survives() {
    let mut session = Session::new();
    unary(&mut session, "v", Payload::nil(), 0);
    let got = events(
        &mut session,
        r#"95 01 83 a4 "code" cd 01 a6 a7 "message" a3 "bad" a4 "data" 81 a1 "f" 01 03 c0 c0"#,
    );
    let [Event::Error(body)] = &got[..] else {
        panic!("{got:?}")
    };
    let error = Error::Remote(body.clone());
    assert_eq!(error.code(), Code::VALIDATION_ERROR);
    let data = Value::Map(vec![(Value::from("f"), Value::from(1))]);
    assert_eq!(error.data(), Some(&data));
}

/// One `swill.introspect` item, as the server sends it.
fn described(seq: Seq, rpc: &str, streams_in: bool, streams_out: bool) -> bytes::Bytes {
    let item = serde_json::json!({
        "name": rpc,
        "request": {"streams": streams_in, "type": {"type": "int"}},
        "response": {"streams": streams_out, "type": {"type": "int"}},
    });
    swill_proto::ResponseFrame::message(seq, payload(&item))
        .encode()
        .into()
}

fn end_of(seq: Seq) -> bytes::Bytes {
    swill_proto::ResponseFrame::end_of_stream(seq)
        .encode()
        .into()
}

fn read(session: &mut Session<u32>, bytes: bytes::Bytes) -> super::Read<u32> {
    session.read(super::Received::Binary(bytes), false)
}

#[test]
fn the_shape_probe_fails_calls_already_on_with_another_shape() {
    let mut session = Session::new();
    let probe = session.probe_shapes().unwrap();
    assert_eq!(probe.rpc, "swill.introspect");
    let options = CallOptions::new();
    let wrong = session
        .start(
            "add",
            CallShape::ServerStreaming,
            Some(payload(&(1, 2))),
            &options,
            1,
        )
        .unwrap()
        .0;
    let right = unary(&mut session, "add", payload(&(1, 2)), 2);
    // The probe's frames reach no caller; the wrong call fails as soon as
    // its rpc is described.
    let item = read(&mut session, described(probe.seq, "add", false, false));
    assert!(item.incoming.is_none() && item.dropped.is_none());
    let [(sink, Event::Failed(error), cancel)] = &item.mismatched[..] else {
        panic!("one call fails: {:?}", item.mismatched);
    };
    assert_eq!(*sink, 1);
    assert_eq!(error.code(), Code::BAD_REQUEST);
    assert!(error.message().contains("`add` is a unary rpc"), "{error}");
    assert_eq!(
        (cancel.seq, cancel.kind),
        (wrong, swill_proto::RequestType::Cancel)
    );
    assert!(!session.is_pending(wrong) && session.is_pending(right));
    assert_eq!(session.shape_of("add"), Some(CallShape::Unary));
    let done = read(&mut session, end_of(probe.seq));
    assert!(done.incoming.is_none() && done.mismatched.is_empty());
}

#[test]
fn once_shapes_are_known_a_wrong_one_is_refused_before_sending() {
    let mut session: Session<u32> = Session::new();
    let probe = session.probe_shapes().unwrap();
    read(&mut session, described(probe.seq, "total", true, false));
    read(&mut session, end_of(probe.seq));
    let options = CallOptions::new();
    let refused = session.start("total", CallShape::Unary, Some(payload(&5)), &options, 1);
    assert!(matches!(refused, Err(Error::Invalid(_))), "{refused:?}");
    assert_eq!(session.pending(), 0);
    // The right shape, and rpcs the server did not describe, go out.
    let shape = CallShape::ClientStreaming;
    assert!(session.start("total", shape, None, &options, 2).is_ok());
    assert!(
        session
            .start("other", CallShape::Unary, None, &options, 3)
            .is_ok()
    );
}

#[test]
fn the_built_in_rpcs_are_checked_without_a_description() {
    // Introspection does not list itself nor the topic rpcs; a unary call
    // of `swill.introspect` would take its first item as the answer.
    let mut session: Session<u32> = Session::new();
    let options = CallOptions::new();
    for (rpc, wrong) in [
        (swill_proto::INTROSPECT_RPC, CallShape::Unary),
        (swill_proto::SUBSCRIBE_RPC, CallShape::Unary),
        (swill_proto::PUBLISH_RPC, CallShape::ServerStreaming),
        (swill_proto::PRESENCE_RPC, CallShape::ServerStreaming),
    ] {
        let refused = session.start(rpc, wrong, Some(payload(&())), &options, 1);
        assert!(
            matches!(refused, Err(Error::Invalid(_))),
            "{rpc}: {refused:?}"
        );
    }
    let shape = CallShape::ServerStreaming;
    let introspect = session.start(
        swill_proto::INTROSPECT_RPC,
        shape,
        Some(payload(&())),
        &options,
        2,
    );
    assert!(introspect.is_ok());
}

#[test]
fn a_probe_the_server_refuses_checks_nothing() {
    let mut session: Session<u32> = Session::new();
    let probe = session.probe_shapes().unwrap();
    let refused = swill_proto::ErrorBody::new(Code::UNAUTHORIZED, "who are you");
    let frame = swill_proto::ResponseFrame::error(probe.seq, &refused).encode();
    assert!(read(&mut session, frame.into()).incoming.is_none());
    let options = CallOptions::new();
    let shape = CallShape::ServerStreaming;
    assert!(
        session
            .start("add", shape, Some(payload(&1)), &options, 1)
            .is_ok()
    );
    assert_eq!(session.shape_of("add"), None);
}

#[test]
fn what_no_call_can_be_told_of_ends_the_connection() {
    let mut session: Session<u32> = Session::new();
    let text = session.read(super::Received::Text("[1]"), false);
    assert_eq!(
        text.fatal.as_deref(),
        Some("the server sent a text frame; Swill frames are binary")
    );
    let binary = session.read(super::Received::Binary(wire("c0").into()), true);
    let why = binary.fatal.expect("fatal");
    assert!(why.contains("speaks JSON"), "{why}");
    let not_json = session.read(super::Received::Text("{"), true);
    assert!(not_json.fatal.is_some());
    // No seq can be read: no call can be told.
    let garbage = session.read(super::Received::Binary(wire("c1").into()), false);
    let why = garbage.fatal.expect("fatal");
    assert!(
        why.starts_with("the server sent a malformed frame"),
        "{why}"
    );
}

#[test]
fn a_malformed_frame_for_a_call_that_is_over_is_dropped() {
    let mut session: Session<u32> = Session::new();
    // [7, 0xc1, ...]: seq 7 is readable, and no call has it.
    let late = session.read(
        super::Received::Binary(wire("95 07 c1 00 c0 c0").into()),
        false,
    );
    assert!(late.fatal.is_none());
    let why = late.dropped.expect("dropped");
    assert!(why.starts_with("dropped a malformed frame"), "{why}");
}

#[test]
fn a_unary_call_answered_by_a_streams_first_item_gets_its_cancel_once_described() {
    let mut session: Session<u32> = Session::new();
    let probe = session.probe_shapes().unwrap();
    // `ticks` streams, but the call opened it as unary before the server
    // described it: the first item ends the call as its answer.
    let seq = unary(&mut session, "ticks", Payload::nil(), 1);
    let item = swill_proto::ResponseFrame::message(seq, payload(&0)).encode();
    let answered = read(&mut session, item.into());
    let events = answered.incoming.map(|i| i.events).unwrap_or_default();
    assert!(matches!(events[..], [Event::Answer { .. }]), "{events:?}");
    // Once described, the server's stream is stopped.
    let learned = read(&mut session, described(probe.seq, "ticks", false, true));
    let [cancel] = &learned.cancels[..] else {
        panic!("one CANCEL: {:?}", learned.cancels);
    };
    assert_eq!(
        (cancel.seq, cancel.kind),
        (seq, swill_proto::RequestType::Cancel)
    );
    assert!(learned.mismatched.is_empty());
    // A call answered by a unary rpc gets none.
    let sum = unary(&mut session, "add", payload(&(1, 2)), 2);
    let answer = swill_proto::ResponseFrame::message(sum, payload(&3)).encode();
    read(&mut session, answer.into());
    let learned = read(&mut session, described(probe.seq, "add", false, false));
    assert!(learned.cancels.is_empty());
}
