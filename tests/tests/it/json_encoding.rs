//! The JSON encoding (`swill.v1.json`): the same frames as JSON text, every
//! call shape through the Rust client, and bad input handled as on a
//! MessagePack connection.

use futures::{SinkExt, StreamExt};
use swill_client::{CallOptions, Client, Encoding, Metadata, Value};
use swill_tests::{PATIENCE, start_demo};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw WebSocket offering `swill.v1.json`, and the token the server chose.
async fn raw(addr: std::net::SocketAddr) -> (Ws, String) {
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("swill.v1.json"),
    );
    let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    let chosen = response.headers()["sec-websocket-protocol"]
        .to_str()
        .unwrap()
        .to_owned();
    (ws, chosen)
}

async fn next_text(ws: &mut Ws) -> String {
    let message = tokio::time::timeout(PATIENCE, ws.next())
        .await
        .expect("an answer")
        .expect("open")
        .expect("a frame");
    match message {
        Message::Text(text) => text.to_string(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

async fn json_client(addr: std::net::SocketAddr) -> Client {
    Client::builder(format!("ws://{addr}/ws"))
        .encoding(Encoding::Json)
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn frames_are_json_text_arrays() {
    let addr = start_demo().await;
    let (mut ws, chosen) = raw(addr).await;
    assert_eq!(chosen, "swill.v1.json");
    ws.send(Message::text(r#"[1,[1,2],"add"]"#)).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "[1,3,0,null,null]");
    ws.send(Message::text(r#"[2,{"code":404,"message":"gone"},"fail"]"#))
        .await
        .unwrap();
    assert_eq!(
        next_text(&mut ws).await,
        r#"[2,{"code":404,"message":"gone"},3,null,null]"#
    );
}

#[tokio::test]
async fn text_that_is_not_json_is_a_malformed_frame_and_the_connection_lives_on() {
    let addr = start_demo().await;
    let (mut ws, _) = raw(addr).await;
    ws.send(Message::text("[5, {oops")).await.unwrap();
    let answer: serde_json::Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(answer[0], 5);
    assert_eq!(answer[1]["code"], 400);
    assert!(answer[1]["message"].as_str().unwrap().contains("not JSON"));
    assert_eq!(answer[2], 3);
    // Without a readable seq nothing can be answered; nothing else is lost.
    ws.send(Message::text("hello")).await.unwrap();
    ws.send(Message::text(r#"[6,[2,2],"add"]"#)).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "[6,4,0,null,null]");
}

#[tokio::test]
async fn json_beyond_what_the_codec_takes_is_answered_by_seq_and_the_connection_lives_on() {
    let addr = start_demo().await;
    let (mut ws, _) = raw(addr).await;
    let huge_number = format!(r#"[7,[1,{}],"add"]"#, "9".repeat(100_000));
    let too_deep = format!(r#"[8,{}0{},"add"]"#, "[".repeat(200), "]".repeat(200));
    let lone_surrogate = r#"[9,"\ud800","echo_meta"]"#.to_owned();
    for (seq, text, why) in [
        (7, huge_number, "too large for a float"),
        (8, too_deep, "deeper than 127"),
        (9, lone_surrogate, "lone surrogate"),
    ] {
        ws.send(Message::text(text)).await.unwrap();
        let answer = next_text(&mut ws).await;
        // The answer names the fault, not the whole number.
        assert!(answer.len() < 300, "{} bytes", answer.len());
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer[0], seq);
        assert_eq!(answer[1]["code"], 400);
        let message = answer[1]["message"].as_str().unwrap();
        assert!(message.contains(why), "{message}");
    }
    ws.send(Message::text(r#"[10,[2,2],"add"]"#)).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "[10,4,0,null,null]");
}

#[tokio::test]
async fn a_binary_frame_on_a_json_connection_closes_it_with_1003() {
    let addr = start_demo().await;
    let (mut ws, _) = raw(addr).await;
    ws.send(Message::binary(vec![0x93, 0x01, 0x90, 0xa3]))
        .await
        .unwrap();
    let closed = tokio::time::timeout(PATIENCE, async {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Close(frame) = message {
                return frame;
            }
        }
        None
    })
    .await
    .expect("a close frame")
    .expect("with a code");
    assert_eq!(closed.code, CloseCode::Unsupported);
    assert!(closed.reason.contains("JSON"), "{}", closed.reason);
}

#[tokio::test]
async fn every_call_shape_works_over_json() {
    let addr = start_demo().await;
    let client = json_client(addr).await;
    assert_eq!(client.call::<i64>("add", &(1, 2)).await.unwrap(), 3);

    let counted: Vec<u64> = client
        .server_stream::<u64>("count", &3)
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(counted, [0, 1, 2]);

    let (tx, total) = client.client_stream::<i64, i64>("total").await.unwrap();
    tx.send(&40).await.unwrap();
    tx.send(&2).await.unwrap();
    tx.finish();
    assert_eq!(total.await.unwrap().data, 42);

    let (tx, mut upper) = client.bidi::<String, String>("upper").await.unwrap();
    tx.send(&"json".to_owned()).await.unwrap();
    assert_eq!(upper.next().await.unwrap().unwrap(), "JSON");
    tx.finish();
    assert!(upper.next().await.is_none());

    let options = CallOptions::new()
        .metadata(Metadata::from([("k", "v")]))
        .timeout(std::time::Duration::from_secs(5));
    let echoed = client
        .call_with::<Value>("echo_meta", &"x", options)
        .await
        .unwrap();
    assert_eq!(echoed.data, Value::from("x"));
    assert_eq!(echoed.leading.get_str("k"), Some("v"));
    assert_eq!(echoed.trailing.get_str("k"), Some("v"));

    let failure = serde_json::json!({"code": 418, "message": "teapot", "data": {"why": [1]}});
    let error = client.call::<()>("fail", &failure).await.unwrap_err();
    assert_eq!(error.code().as_i64(), 418);
    assert_eq!(error.message(), "teapot");

    let rpcs = client.introspect().await.unwrap();
    assert!(rpcs.iter().any(|r| r.name == "users.get"));
}

#[tokio::test]
async fn integers_travel_exactly_and_bytes_as_arrays() {
    let addr = start_demo().await;
    let client = json_client(addr).await;
    let big = Value::Array(vec![
        Value::from(u64::MAX),
        Value::from(i64::MIN),
        Value::from(9_007_199_254_740_993u64),
    ]);
    let back: Value = client.call("echo_meta", &big).await.unwrap();
    assert_eq!(back, big);
    // JSON has no byte strings: bytes go out as an array of integers.
    let bytes = Value::Binary(vec![0, 1, 255]);
    let back: Value = client.call("echo_meta", &bytes).await.unwrap();
    assert_eq!(back, Value::Array(vec![0.into(), 1.into(), 255.into()]));
}
