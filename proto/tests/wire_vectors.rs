//! Every byte example of the wire file (shared/swill-v1-wire.md), both ways:
//! decoding the captured bytes gives the frame, encoding the frame gives the bytes.

use swill_proto::{
    Code, ErrorBody, Metadata, Payload, RequestFrame, RequestType, ResponseFrame, ResponseType,
};

use swill_proto::testing::wire;

fn req(text: &str) -> RequestFrame {
    RequestFrame::decode(wire(text).into()).expect("vector decodes")
}

fn resp(text: &str) -> ResponseFrame {
    ResponseFrame::decode(wire(text).into()).expect("vector decodes")
}

fn md<const N: usize>(pairs: [(&str, &str); N]) -> Metadata {
    pairs.into_iter().collect()
}

fn int(v: i64) -> Payload {
    Payload::encode(&v).expect("encodes")
}

#[test]
fn add_request_and_answer() {
    let bytes = "93 01 92 01 02 a3 61 64 64";
    let frame = RequestFrame::message(1, "add", Payload::encode(&(1, 2)).unwrap());
    assert_eq!(req(bytes), frame);
    assert_eq!(frame.encode(), wire(bytes));
    assert_eq!(frame.data.decode::<(i64, i64)>().unwrap(), (1, 2));

    let answer = ResponseFrame::message(1, int(3));
    assert_eq!(resp("95 01 03 00 c0 c0"), answer);
    assert_eq!(answer.encode(), wire("95 01 03 00 c0 c0"));
}

#[test]
fn full_five_element_request_form() {
    let full = req("95 02 92 01 02 a3 61 64 64 00 c0");
    let short = RequestFrame::message(2, "add", Payload::encode(&(1, 2)).unwrap());
    assert_eq!(full, short);
    // We encode as the original clients do: trailing defaults left out.
    assert_eq!(short.encode(), wire("93 02 92 01 02 a3 61 64 64"));
    assert_eq!(
        ResponseFrame::message(2, int(3)).encode(),
        wire("95 02 03 00 c0 c0")
    );
}

#[test]
fn count_stream() {
    let open = "93 01 03 a5 63 6f 75 6e 74";
    let frame = RequestFrame::message(1, "count", int(3));
    assert_eq!(req(open), frame);
    assert_eq!(frame.encode(), wire(open));

    for (i, bytes) in [
        "95 01 00 00 c0 c0",
        "95 01 01 00 c0 c0",
        "95 01 02 00 c0 c0",
    ]
    .iter()
    .enumerate()
    {
        let item = ResponseFrame::message(1, int(i as i64));
        assert_eq!(resp(bytes), item);
        assert_eq!(item.encode(), wire(bytes));
    }
    let end = ResponseFrame::end_of_stream(1);
    assert_eq!(resp("95 01 c0 01 c0 c0"), end);
    assert_eq!(end.encode(), wire("95 01 c0 01 c0 c0"));
}

#[test]
fn client_end_of_stream() {
    let bytes = "94 01 c0 a5 75 70 70 65 72 01";
    let frame = RequestFrame::control(1, "upper", RequestType::EndOfStream);
    assert_eq!(req(bytes), frame);
    assert_eq!(frame.encode(), wire(bytes));
}

#[test]
fn open_with_metadata() {
    let bytes = "95 01 c0 a5 75 70 70 65 72 02 81 a1 6b a1 76";
    let frame =
        RequestFrame::control(1, "upper", RequestType::Metadata).with_metadata(md([("k", "v")]));
    assert_eq!(req(bytes), frame);
    assert_eq!(frame.encode(), wire(bytes));
}

#[test]
fn unknown_rpc_and_its_error() {
    let bytes = "93 01 c0 a4 6e 6f 70 65";
    let frame = RequestFrame::message(1, "nope", Payload::nil());
    assert_eq!(req(bytes), frame);
    assert_eq!(frame.encode(), wire(bytes));

    let answer = r#"95 01 82 a4 "code" cd 01 94 a7 "message" d9 29 "No func was found to process this request" 03 c0 c0"#;
    let error = ErrorBody::new(Code::NOT_FOUND, "No func was found to process this request");
    let frame = ResponseFrame::error(1, &error);
    assert_eq!(resp(answer), frame);
    assert_eq!(frame.encode(), wire(answer));
    assert_eq!(ErrorBody::from_payload(&frame.data).unwrap(), error);
}

#[test]
fn error_401() {
    let bytes = r#"95 01 82 a4 "code" cd 01 91 a7 "message" a4 "nope" 03 c0 c0"#;
    let frame = ResponseFrame::error(1, &ErrorBody::new(Code::UNAUTHORIZED, "nope"));
    assert_eq!(resp(bytes), frame);
    assert_eq!(frame.encode(), wire(bytes));
}

#[test]
fn unary_with_metadata_and_leading_trailing_answer() {
    let bytes = "95 01 a2 68 69 a4 6d 65 74 61 00 81 a1 78 a5 68 65 6c 6c 6f";
    let frame = RequestFrame::message(1, "meta", Payload::encode("hi").unwrap())
        .with_metadata(md([("x", "hello")]));
    assert_eq!(req(bytes), frame);
    assert_eq!(frame.encode(), wire(bytes));

    let answer = r#"95 01 a2 68 69 00 81 a4 "lead" a5 "hello" 81 a5 "trail" 01"#;
    let mut trailing = Metadata::new();
    trailing.insert("trail", 1);
    let frame = ResponseFrame::message(1, Payload::encode("hi").unwrap())
        .with_leading(Some(md([("lead", "hello")])))
        .with_trailing(Some(trailing));
    assert_eq!(resp(answer), frame);
    assert_eq!(frame.encode(), wire(answer));
}

#[test]
fn leading_metadata_frame() {
    let bytes = r#"95 01 c0 02 81 a4 "lead" 01 c0"#;
    let mut lead = Metadata::new();
    lead.insert("lead", 1);
    let frame = ResponseFrame::metadata(1, lead);
    assert_eq!(resp(bytes), frame);
    assert_eq!(frame.encode(), wire(bytes));
}

#[test]
fn end_of_stream_with_trailing() {
    let bytes = r#"95 01 c0 01 c0 81 a5 "trail" 02"#;
    let mut trailing = Metadata::new();
    trailing.insert("trail", 2);
    let frame = ResponseFrame::end_of_stream(1).with_trailing(Some(trailing));
    assert_eq!(resp(bytes), frame);
    assert_eq!(frame.encode(), wire(bytes));
}

#[test]
fn cancel() {
    let bytes = "94 01 c0 a4 73 6c 6f 77 03";
    let frame = RequestFrame::control(1, "slow", RequestType::Cancel);
    assert_eq!(req(bytes), frame);
    assert_eq!(frame.encode(), wire(bytes));
}

#[test]
fn short_responses_default_to_message() {
    let two = resp("92 07 2a");
    assert_eq!(two.kind, ResponseType::Message);
    assert_eq!(two.data.decode::<i64>().unwrap(), 42);
    assert_eq!(resp("93 07 c0 01").kind, ResponseType::EndOfStream);
}

#[test]
fn elements_past_the_fifth_are_ignored() {
    let frame = req("97 01 c0 a1 78 00 c0 92 01 02 a3 65 78 74");
    assert_eq!(frame, RequestFrame::message(1, "x", Payload::nil()));
    let answer = resp("96 01 2a 00 c0 c0 c3");
    assert_eq!(answer, ResponseFrame::message(1, int(42)));
}

#[test]
fn any_integer_is_a_seq_and_encodes_smallest() {
    for (seq, bytes) in [
        (0i128, "93 00 c0 a1 78"),
        (-1, "93 ff c0 a1 78"),
        (-33, "93 d0 df c0 a1 78"),
        (200, "93 cc c8 c0 a1 78"),
        (65_536, "93 ce 00 01 00 00 c0 a1 78"),
        (u64::MAX as i128, "93 cf ff ff ff ff ff ff ff ff c0 a1 78"),
        (i64::MIN as i128, "93 d3 80 00 00 00 00 00 00 00 c0 a1 78"),
    ] {
        let frame = req(bytes);
        assert_eq!(frame.seq.get(), seq);
        assert_eq!(frame.encode(), wire(bytes), "seq {seq}");
    }
}

#[test]
fn floats_are_float64_and_bytes_are_bin() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Blob {
        #[serde(with = "serde_bytes")]
        raw: Vec<u8>,
        ratio: f64,
    }
    let value = Blob {
        raw: vec![1, 2],
        ratio: 0.5,
    };
    let p = Payload::encode(&value).unwrap();
    assert_eq!(
        p.as_bytes(),
        wire(r#"82 a3 "raw" c4 02 01 02 a5 "ratio" cb 3f e0 00 00 00 00 00 00"#)
    );
    assert_eq!(p.decode::<Blob>().unwrap(), value);
}
