//! The hand-written frame codec against the rules, and against what
//! serde_json and serde-transcode made before it.

use proptest::prelude::*;
use rmpv::Value;

use super::{frame_from_text, frame_to_text, to_json, to_msgpack};

/// The bytes serde_json + serde-transcode + rmp-serde made of `text`.
fn transcoded(text: &str) -> Result<Vec<u8>, String> {
    let mut parser = serde_json::Deserializer::from_str(text);
    let mut bytes = Vec::new();
    let mut writer = rmp_serde::Serializer::new(&mut bytes);
    serde_transcode::transcode(&mut parser, &mut writer).map_err(|e| e.to_string())?;
    parser.end().map_err(|e| e.to_string())?;
    Ok(bytes)
}

fn bytes_of(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, value).unwrap();
    out
}

fn value_of(bytes: &[u8]) -> Value {
    let mut rest = bytes;
    let value = rmpv::decode::read_value(&mut rest).unwrap();
    assert!(rest.is_empty());
    value
}

/// Any MessagePack value, NaN, infinities, ext and non-string keys included.
fn msgpack() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::F64),
        any::<f32>().prop_map(Value::F32),
        ".{0,12}".prop_map(Value::from),
        "[\"\\\\\u{0}-\u{1f}\u{7f}\u{e9}\u{1f600}]{0,6}".prop_map(Value::from),
        prop::collection::vec(any::<u8>(), 0..5).prop_map(Value::Binary),
        (any::<i8>(), prop::collection::vec(any::<u8>(), 0..3)).prop_map(|(t, d)| Value::Ext(t, d)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((inner.clone(), inner), 0..6).prop_map(Value::Map),
        ]
    })
}

/// Any JSON value, with finite floats.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "[a-z\"\\\\\u{0}-\u{1f}\u{e9}\u{1f600}]{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-z\"]{0,4}", inner), 0..6)
                .prop_map(|entries| serde_json::Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn text_is_what_serde_json_wrote(value in msgpack()) {
        let text = frame_to_text(&bytes_of(&value)).unwrap();
        prop_assert_eq!(text, serde_json::to_string(&to_json(&value)).unwrap());
    }

    #[test]
    fn text_reads_back_to_the_value_serde_json_wrote(value in json()) {
        let text = serde_json::to_string(&value).unwrap();
        let bytes = frame_from_text(&text).unwrap();
        // Floats come back exactly (the shortest form parsed correctly
        // rounded), so the value is the tree rules' value, byte for byte.
        prop_assert_eq!(&bytes, &bytes_of(&to_msgpack(&value)));
        // Where serde-transcode read the same value (its floats could be a
        // bit off), it wrote the same bytes.
        if let Ok(old) = transcoded(&text)
            && value_of(&old) == value_of(&bytes)
        {
            prop_assert_eq!(&old, &bytes);
        }
        // Spaces anywhere JSON allows them change nothing.
        let spaced = serde_json::to_string_pretty(&value).unwrap();
        prop_assert_eq!(frame_from_text(&spaced).unwrap(), bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any text, mostly JSON's own characters: never a panic, and the same
    /// verdict as serde_json, with the same value when both read it.
    #[test]
    fn any_text_gets_serde_jsons_verdict(
        text in "[\\[\\]{}:,\"\\\\/ \t\n0-9.eE+\\-tfnrulasbu\u{0}\u{1f}\u{e9}\u{1f600}]{0,24}"
    ) {
        let ours = frame_from_text(&text);
        let theirs = transcoded(&text);
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: {:?} / {:?}", text, ours, theirs);
        if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
            prop_assert_eq!(value_of(&ours), value_of(&theirs));
        }
    }

    /// JSON with one character replaced, inserted or removed: the same
    /// verdict as serde_json, and the same value (up to how each rounds a
    /// float) when both read it.
    #[test]
    fn broken_json_gets_serde_jsons_verdict(
        value in json(),
        at in any::<prop::sample::Index>(),
        edit in 0..3u8,
        c in "[\\[\\]{}:,\"\\\\ 0-9.eE\\-nu\u{0}\u{e9}]",
    ) {
        let mut text = serde_json::to_string(&value).unwrap();
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        let i = boundaries[at.index(boundaries.len())];
        match edit {
            0 => text.insert_str(i, &c),
            1 if i < text.len() => {
                text.remove(i);
            }
            _ if i < text.len() => {
                text.remove(i);
                text.insert_str(i, &c);
            }
            _ => text.push_str(&c),
        }
        let ours = frame_from_text(&text);
        let theirs = transcoded(&text);
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: {:?} / {:?}", text, ours, theirs);
        if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
            let (ours, theirs) = (value_of(&ours), value_of(&theirs));
            if !has_float(&ours) {
                prop_assert_eq!(ours, theirs);
            }
        }
    }
}

fn has_float(value: &Value) -> bool {
    match value {
        Value::F32(_) | Value::F64(_) => true,
        Value::Array(items) => items.iter().any(has_float),
        Value::Map(entries) => entries.iter().any(|(k, v)| has_float(k) || has_float(v)),
        _ => false,
    }
}

#[test]
fn numbers_become_what_serde_json_made_of_them() {
    for text in [
        "0",
        "-1",
        "127",
        "128",
        "-32",
        "-33",
        "255",
        "256",
        "65536",
        "-129",
        "-32769",
        "4294967296",
        "18446744073709551615",
        "-9223372036854775808",
        "18446744073709551616",
        "-9223372036854775809",
        "-0",
        "0.0",
        "-0.0",
        "1e2",
        "1E-2",
        "2.5e+3",
        "0.1",
        "123456789012345678901234567890",
        "1e-400",
        "5e-324",
    ] {
        assert_eq!(frame_from_text(text), transcoded(text), "{text}");
    }
    assert_eq!(value_of(&frame_from_text("-0").unwrap()), Value::F64(-0.0));
}

#[test]
fn strings_become_what_serde_json_made_of_them() {
    for text in [
        r#""""#,
        r#""plain""#,
        r#""a\"b\\c\/d\b\f\n\r\t""#,
        r#""\u00e9\u20ac\ud83d\ude00""#,
        r#""mixed é \u0041 😀""#,
        r#"{"k\u0000":"v","k\u0000":"w"}"#,
    ] {
        assert_eq!(frame_from_text(text), transcoded(text), "{text}");
    }
}

#[test]
fn what_is_not_json_is_refused_with_where() {
    for text in [
        "",
        " ",
        "[",
        "[1,",
        "[1,]",
        "[1 2]",
        "{\"a\"}",
        "{\"a\":1,}",
        "{1:2}",
        "nul",
        "True",
        "01",
        "-",
        "1.",
        ".5",
        "+1",
        "1e",
        "1e+",
        "0x10",
        "NaN",
        "Infinity",
        "1e400",
        "-1e400",
        "\"unterminated",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\ud800\\u0041\"",
        "\"\\udc00\"",
        "\"tab\there\"",
        "[1] [2]",
        "[1] x",
        "\u{feff}[1]",
    ] {
        let error = frame_from_text(text).expect_err(text);
        assert!(
            error.contains("at byte") || error.contains("out of range"),
            "{text}: {error}"
        );
        assert!(transcoded(text).is_err(), "serde_json accepted {text:?}");
    }
}

#[test]
fn a_number_too_large_is_named_by_its_start_not_whole() {
    let huge = format!("[1,\"x\",{}]", "9".repeat(400));
    let error = frame_from_text(&huge).unwrap_err();
    assert!(error.ends_with("at byte 7"), "{error}");
    assert!(error.len() < 100, "{error}");
}

#[test]
fn nesting_stops_at_127_levels() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert_eq!(frame_from_text(&nested(127)), transcoded(&nested(127)));
    assert!(
        frame_from_text(&nested(128))
            .unwrap_err()
            .contains("deeper than 127")
    );
    assert!(transcoded(&nested(128)).is_err());
    // Deep and long does not need the stack: depth is what recursion
    // follows, and it is bounded.
    let long = format!("[{}0]", "0,".repeat(100_000));
    assert_eq!(frame_from_text(&long), transcoded(&long));
}

#[test]
fn map_keys_that_collide_keep_the_first_place_and_the_last_value() {
    let value = Value::Map(vec![
        (Value::from(1), Value::from("first")),
        (Value::from("x"), Value::from(0)),
        (Value::from("1"), Value::from("last")),
    ]);
    assert_eq!(
        frame_to_text(&bytes_of(&value)).unwrap(),
        r#"{"1":"last","x":0}"#
    );
}

#[test]
fn a_string_that_is_not_utf8_is_written_lossily() {
    // A str of two bytes that are not UTF-8, inside an array.
    let frame = [0x91, 0xa2, 0xff, 0xfe];
    assert_eq!(frame_to_text(&frame).unwrap(), "[\"\u{fffd}\u{fffd}\"]");
}

#[test]
fn keys_inside_keys_stop_at_four_levels_instead_of_doubling_without_end() {
    let nest = |levels: usize| {
        (0..levels).fold(Value::Map(vec![("a".into(), 1.into())]), |inner, _| {
            Value::Map(vec![(inner, 0.into())])
        })
    };
    assert_eq!(
        frame_to_text(&bytes_of(&nest(1))).unwrap(),
        r#"{"{\"a\":1}":0}"#
    );
    // Five levels of maps as keys: the innermost key that is not a string is
    // past the limit.
    let five = frame_to_text(&bytes_of(&nest(5))).unwrap();
    assert!(
        five.contains('\u{2026}') && !five.contains("\\\"a\\\""),
        "{five}"
    );
    // Escaping doubles backslashes per level: 40 levels would have asked
    // for about 2^40 bytes.
    let forty = frame_to_text(&bytes_of(&nest(40))).unwrap();
    assert!(forty.len() < 1000, "{} bytes", forty.len());
    assert_eq!(forty, serde_json::to_string(&to_json(&nest(40))).unwrap());
}
