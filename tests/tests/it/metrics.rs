//! `demo --metrics`: what swill records through the `metrics` facade, as
//! an operator scrapes it (Prometheus text at `/metrics`).

use swill_client::Client;
use swill_tests::cluster::Node;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// GET `path` over plain HTTP/1.1, the body as text.
async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

/// The value of the sample whose line starts with `series` (name and
/// labels, in the exporter's order).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn requests_connections_and_frames_are_counted() {
    let node = Node::spawn(&["--metrics"]).await;
    let client = Client::connect(node.url()).await.unwrap();
    for _ in 0..3 {
        let sum: i64 = client.call("add", &(1, 2)).await.unwrap();
        assert_eq!(sum, 3);
    }
    let failure = serde_json::json!({"code": 418, "message": "teapot"});
    let error = client.call::<()>("fail", &failure).await.unwrap_err();
    assert_eq!(error.code().as_i64(), 418);
    let failure = serde_json::json!({"code": 404, "message": "gone"});
    let error = client.call::<()>("fail", &failure).await.unwrap_err();
    assert_eq!(error.code().as_i64(), 404);
    // A request is recorded just after its answer goes out; the connection
    // reads its next frame only once that is done, so the answer to one
    // more call means every call above has been counted.
    let _: swill::AnyValue = client.call("echo_meta", &"barrier").await.unwrap();

    let text = get(node.addr, "/metrics").await;
    assert_eq!(
        sample(
            &text,
            r#"swill_requests_total{rpc="add",outcome="ok",code="0"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"swill_requests_total{rpc="fail",outcome="error",code="404"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // A code the protocol does not name (here, one the client chose) is
    // not a label value of its own.
    assert_eq!(
        sample(
            &text,
            r#"swill_requests_total{rpc="fail",outcome="error",code="other"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains(r#"code="418""#), "{text}");
    assert_eq!(sample(&text, "swill_connections"), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, r#"swill_requests_in_flight{rpc="add"}"#),
        Some(0.0),
        "{text}"
    );
    assert!(
        text.contains(r#"swill_request_duration_seconds_bucket{rpc="add",le="0.001"}"#),
        "durations are a histogram, with buckets: {text}"
    );
    let frames_in = sample(&text, "swill_frames_received_total").unwrap();
    let frames_out = sample(&text, "swill_frames_sent_total").unwrap();
    assert!(frames_in >= 4.0 && frames_out >= 4.0, "{text}");
    assert!(sample(&text, "swill_bytes_received_total").unwrap() > frames_in);

    // The playground and the WebSocket endpoint still answer beside it.
    let page = get(node.addr, "/").await;
    assert!(
        page.contains("<html") || page.contains("<!doctype"),
        "{page}"
    );
}

#[tokio::test]
async fn topic_subscribers_and_publishes_are_counted() {
    let node = Node::spawn(&["--metrics"]).await;
    let client = Client::connect(node.url()).await.unwrap();
    let mut subscription = client.subscribe::<String>("chat").await.unwrap();
    client.publish("chat", "hello").await.unwrap();
    use futures::StreamExt;
    let first = subscription.next().await.unwrap().unwrap();
    assert_eq!(first.data, "hello");

    let text = get(node.addr, "/metrics").await;
    assert_eq!(
        sample(&text, r#"swill_topic_subscribers{topic="chat"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"swill_topic_publishes_total{topic="chat"}"#),
        Some(1.0),
        "{text}"
    );
}
