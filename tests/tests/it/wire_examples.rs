//! Every byte example of the wire file, against the demo server, over a
//! real socket: the exact bytes go out, the exact bytes must come back.

use swill_tests::{Raw, start_demo, wire};

async fn exchange(request: &str, expected: &[&str]) {
    let addr = start_demo().await;
    let mut client = Raw::connect(addr).await;
    client.send(&wire(request)).await;
    for want in expected {
        assert_eq!(client.recv_bytes().await, wire(want), "answer to {request}");
    }
}

#[tokio::test]
async fn add_short_form() {
    exchange("93 01 92 01 02 a3 61 64 64", &["95 01 03 00 c0 c0"]).await;
}

#[tokio::test]
async fn add_full_form() {
    exchange("95 02 92 01 02 a3 61 64 64 00 c0", &["95 02 03 00 c0 c0"]).await;
}

#[tokio::test]
async fn count_three() {
    exchange(
        "93 01 03 a5 63 6f 75 6e 74",
        &[
            "95 01 00 00 c0 c0",
            "95 01 01 00 c0 c0",
            "95 01 02 00 c0 c0",
            "95 01 c0 01 c0 c0",
        ],
    )
    .await;
}

#[tokio::test]
async fn unknown_rpc() {
    exchange(
        "93 01 c0 a4 6e 6f 70 65",
        &[r#"95 01 82 a4 "code" cd 01 94 a7 "message" d9 29 "No func was found to process this request" 03 c0 c0"#],
    )
    .await;
}

#[tokio::test]
async fn error_401_from_a_handler() {
    // fail {code: 401, message: "nope"}
    exchange(
        r#"93 01 82 a4 "code" cd 01 91 a7 "message" a4 "nope" a4 "fail""#,
        &[r#"95 01 82 a4 "code" cd 01 91 a7 "message" a4 "nope" 03 c0 c0"#],
    )
    .await;
}

#[tokio::test]
async fn upper_opened_with_metadata_then_fed_and_ended() {
    let addr = start_demo().await;
    let mut client = Raw::connect(addr).await;
    client
        .send(&wire("95 01 c0 a5 75 70 70 65 72 02 81 a1 6b a1 76"))
        .await;
    client.send(&wire(r#"94 01 a1 "a" a5 "upper" 00"#)).await;
    assert_eq!(client.recv_bytes().await, wire(r#"95 01 a1 "A" 00 c0 c0"#));
    client.send(&wire("94 01 c0 a5 75 70 70 65 72 01")).await;
    assert_eq!(client.recv_bytes().await, wire("95 01 c0 01 c0 c0"));
}

#[tokio::test]
async fn unary_with_metadata_gets_leading_and_trailing() {
    // echo_meta copies the request metadata into both; the wire file's
    // `meta` example sends {"x": "hello"}.
    exchange(
        r#"95 01 a2 68 69 a9 "echo_meta" 00 81 a1 78 a5 68 65 6c 6c 6f"#,
        &[r#"95 01 a2 68 69 00 81 a1 "x" a5 "hello" 81 a1 "x" a5 "hello""#],
    )
    .await;
}
