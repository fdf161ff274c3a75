//! What a hostile or broken peer can send, and the typed error it gets back.

use proptest::prelude::*;
use swill_proto::{
    DecodeErrorKind, Limits, Metadata, Payload, RequestFrame, RequestType, ResponseFrame, Seq,
};

fn decode(bytes: &[u8]) -> Result<RequestFrame, swill_proto::DecodeError> {
    RequestFrame::decode(bytes.to_vec().into())
}

fn kind(bytes: &[u8]) -> (Option<Seq>, DecodeErrorKind) {
    let err = decode(bytes).expect_err("must be rejected");
    (err.seq, err.kind)
}

#[test]
fn errors_name_the_problem_and_keep_the_seq() {
    let seven = Some(Seq::from(7u8));
    assert_eq!(kind(b""), (None, DecodeErrorKind::Truncated));
    assert_eq!(
        kind(b"\x2a"),
        (None, DecodeErrorKind::NotAnArray("an integer"))
    );
    assert_eq!(
        kind(b"\x90"),
        (None, DecodeErrorKind::TooShort { len: 0, min: 2 })
    );
    assert_eq!(
        kind(b"\x93\xa1x\xc0\xa1x"),
        (None, DecodeErrorKind::BadSeq("a string"))
    );
    assert_eq!(
        kind(b"\x92\x07\xc0"),
        (seven, DecodeErrorKind::TooShort { len: 2, min: 3 })
    );
    assert_eq!(
        kind(b"\x93\x07\xc0\x01"),
        (seven, DecodeErrorKind::BadRpc("an integer"))
    );
    assert_eq!(
        kind(b"\x94\x07\xc0\xa1x\x09"),
        (seven, DecodeErrorKind::BadType("9".into()))
    );
    assert_eq!(
        kind(b"\x93\x07\xc0\xa1x\xc0"),
        (seven, DecodeErrorKind::TrailingBytes(1))
    );
    assert_eq!(
        kind(b"\x93\x07\xc1\xa1x"),
        (seven, DecodeErrorKind::InvalidMarker(0xc1))
    );
    assert_eq!(
        kind(b"\x93\x07\xc0\xa2\xff\xfe"),
        (seven, DecodeErrorKind::InvalidUtf8)
    );
    assert!(matches!(
        kind(b"\x95\x07\xc0\xa1x\x00\x81\x01\x02"),
        (s, DecodeErrorKind::BadMetadata(m)) if s == seven && m.contains("key is an integer")
    ));
    assert!(matches!(
        kind(b"\x95\x07\xc0\xa1x\x00\x2a"),
        (s, DecodeErrorKind::BadMetadata(_)) if s == seven
    ));
    // The message a server relays is readable on its own.
    let err = decode(b"\x93\x07\xc0\x01").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the rpc name (element 3) must be a string, found an integer"
    );
}

#[test]
fn huge_declared_lengths_cost_nothing() {
    // 4 billion elements declared in a 10-byte frame.
    let (seq, kind) = kind(b"\x93\x01\xdd\xff\xff\xff\xff\xa1x\x00");
    assert_eq!(seq, Some(Seq::from(1u8)));
    assert_eq!(kind, DecodeErrorKind::LengthExceedsInput);
    // The envelope itself lying about its length: the seq is still read,
    // so the client can be told which request was refused.
    let err = decode(b"\xdd\xff\xff\xff\xff\x01\xc0\xa1x").unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::LengthExceedsInput);
    assert_eq!(err.seq, Some(Seq::from(1u8)));
    // A truncated envelope likewise.
    let err = decode(b"\x93\x05").unwrap_err();
    assert_eq!(err.seq, Some(Seq::from(5u8)));
    assert_eq!(err.kind, DecodeErrorKind::LengthExceedsInput);
    // A 4 GiB string or binary declared, a few bytes present.
    assert_eq!(
        kind_of(b"\x93\x01\xc6\xff\xff\xff\xff\x00"),
        DecodeErrorKind::Truncated
    );
    assert_eq!(
        kind_of(b"\x93\x01\xc0\xdb\xff\xff\xff\xff"),
        DecodeErrorKind::Truncated
    );
    assert_eq!(
        kind_of(b"\x95\x01\xc0\xa1x\x02\xdf\xff\xff\xff\xff"),
        DecodeErrorKind::LengthExceedsInput
    );
}

fn kind_of(bytes: &[u8]) -> DecodeErrorKind {
    kind(bytes).1
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    // A million nested arrays: a recursive decoder would overflow the stack.
    let mut bytes = vec![0x93, 0x01];
    bytes.extend(std::iter::repeat_n(0x91, 1_000_000));
    bytes.push(0xc0);
    bytes.extend_from_slice(b"\xa1x");
    assert_eq!(kind_of(&bytes), DecodeErrorKind::TooDeep(64));

    // Within the limit it decodes, and the payload is still usable.
    let mut ok = vec![0x93, 0x01];
    ok.extend(std::iter::repeat_n(0x91, 60));
    ok.push(0xc0);
    ok.extend_from_slice(b"\xa1x");
    let frame = decode(&ok).unwrap();
    assert!(frame.data.to_value().is_ok());
}

#[test]
fn frame_size_limit() {
    let frame = RequestFrame::message(1, "x", Payload::encode(&vec![0u8; 100]).unwrap());
    let limits = Limits {
        max_frame_len: 50,
        ..Limits::default()
    };
    let err = RequestFrame::decode_with(frame.encode().into(), &limits).unwrap_err();
    assert!(matches!(
        err.kind,
        DecodeErrorKind::TooLarge { limit: 50, .. }
    ));
}

#[test]
fn data_errors_name_the_field_path() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        n: i64,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    let bad = Payload::encode(&serde_json::json!({"items": [{"n": 1}, {"n": "two"}]})).unwrap();
    let err = bad.decode::<Outer>().unwrap_err();
    assert_eq!(err.path, "items[1].n");
    assert!(err.message.contains("expected i64"), "{}", err.message);
    assert!(err.to_string().starts_with("at `items[1].n`: "));

    let err = Payload::encode("x")
        .unwrap()
        .decode::<(i64, i64)>()
        .unwrap_err();
    assert_eq!(err.path, "");
}

fn arb_value() -> impl Strategy<Value = rmpv::Value> {
    let leaf = prop_oneof![
        Just(rmpv::Value::Nil),
        any::<bool>().prop_map(rmpv::Value::from),
        any::<i64>().prop_map(rmpv::Value::from),
        any::<u64>().prop_map(rmpv::Value::from),
        any::<f64>().prop_map(rmpv::Value::from),
        ".{0,40}".prop_map(rmpv::Value::from),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(rmpv::Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(rmpv::Value::Array),
            proptest::collection::vec(("[a-z]{1,6}", inner), 0..8).prop_map(|kv| {
                rmpv::Value::Map(kv.into_iter().map(|(k, v)| (k.into(), v)).collect())
            }),
        ]
    })
}

fn arb_metadata() -> impl Strategy<Value = Option<Metadata>> {
    proptest::option::of(
        proptest::collection::vec(("[a-z-]{1,12}", arb_value()), 0..6)
            .prop_map(|kv| kv.into_iter().collect::<Metadata>()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = RequestFrame::decode(bytes.clone().into());
        let _ = ResponseFrame::decode(bytes.into());
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        seq in any::<i64>(),
        data in arb_value(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = RequestFrame::message(seq, "rpc", data.into()).encode();
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Ok(frame) = RequestFrame::decode(bytes.into()) {
            let _ = frame.data.to_value();
        }
    }

    #[test]
    fn requests_round_trip(
        seq in any::<i64>(),
        data in arb_value(),
        rpc in "[a-z.]{1,20}",
        kind in 0u8..4,
        metadata in arb_metadata(),
    ) {
        let kind = [RequestType::Message, RequestType::EndOfStream, RequestType::Metadata, RequestType::Cancel][kind as usize];
        let frame = RequestFrame { seq: seq.into(), data: data.into(), rpc, kind, metadata };
        prop_assert_eq!(RequestFrame::decode(frame.encode().into()).unwrap(), frame);
    }

    #[test]
    fn responses_round_trip(
        seq in any::<u64>(),
        data in arb_value(),
        leading in arb_metadata(),
        trailing in arb_metadata(),
    ) {
        let frame = ResponseFrame::message(seq, data.into()).with_leading(leading).with_trailing(trailing);
        let bytes = frame.encode();
        prop_assert_eq!(bytes[0], 0x95);
        prop_assert_eq!(ResponseFrame::decode(bytes.into()).unwrap(), frame);
    }
}
