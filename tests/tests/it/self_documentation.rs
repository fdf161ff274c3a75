//! The demo documents itself over plain HTTP: its AsyncAPI document at
//! `/asyncapi.json` and its playground at `/`. (The document is validated
//! by the official AsyncAPI parser, and the page driven in Chromium, by the
//! Node tests in `tests/js/`.)

use serde_json::Value;
use swill::App;
use swill_tests::{DEMO_RPCS as DEMO, HttpReply, Raw, http_get, start, start_demo};

fn json(reply: &HttpReply) -> Value {
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header_values("content-type"), ["application/json"]);
    serde_json::from_slice(&reply.body).expect("the body is JSON")
}

#[tokio::test]
async fn the_asyncapi_document_describes_every_rpc() {
    let addr = start_demo().await;
    let doc = json(&http_get(addr, "/asyncapi.json", &[]).await);
    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["info"]["title"], "swill demo");
    let operations: Vec<&str> = doc["operations"]
        .as_object()
        .expect("operations")
        .keys()
        .map(String::as_str)
        .filter(|op| !op.starts_with("topic."))
        .collect();
    assert_eq!(operations, DEMO);
    // The server is where the request went; the channel is the WebSocket path.
    assert_eq!(doc["servers"]["swill"]["host"], addr.to_string());
    assert_eq!(doc["servers"]["swill"]["protocol"], "ws");
    assert_eq!(doc["channels"]["swill"]["address"], "/ws");
    assert_eq!(
        doc["channels"]["swill"]["x-swill-subprotocols"],
        serde_json::json!(["swill.v1", "swill/1", "swill.v1.json"])
    );
    let count = &doc["operations"]["count"];
    assert_eq!(count["x-swill-shape"], "serverStreaming");
    assert_eq!(count["summary"], "Streams the integers from 0 to n - 1.");
    let user = &doc["components"]["schemas"]["User"];
    assert_eq!(user["properties"]["email"]["type"], "string");
    assert_eq!(
        doc["components"]["messages"]["users.get.response"]["payload"]["$ref"],
        "#/components/schemas/User"
    );
}

#[tokio::test]
async fn the_asyncapi_document_describes_the_topics() {
    let addr = start_demo().await;
    let doc = json(&http_get(addr, "/asyncapi.json", &[]).await);
    let chat = &doc["operations"]["topic.chat"];
    assert_eq!(chat["action"], "send");
    assert_eq!(chat["x-swill-topic"], "chat");
    assert_eq!(chat["x-swill-history"]["size"], 1000);
    assert_eq!(
        chat["messages"][0]["$ref"],
        "#/channels/swill/messages/topic.chat"
    );
    let message = &doc["components"]["messages"]["topic.chat"];
    assert_eq!(
        message["payload"]["required"],
        serde_json::json!(["offset", "data"])
    );
    assert!(doc["channels"]["swill"]["messages"]["topic.chat"].is_object());
}

#[tokio::test]
async fn the_document_follows_the_apps_settings() {
    let app = App::new()
        .path("/rpc")
        .title("Shop")
        .api_version("2.1.0")
        .introspection(false)
        .asyncapi("/api/doc.json")
        .handle_as("ping", |_req: swill::Request<()>| async {
            Ok::<_, swill::Error>(())
        });
    let addr = start(app).await;
    let reply = http_get(addr, "/api/doc.json", &["X-Forwarded-Proto: https"]).await;
    let doc = json(&reply);
    assert_eq!(doc["info"]["version"], "2.1.0");
    assert_eq!(doc["channels"]["swill"]["address"], "/rpc");
    assert_eq!(doc["servers"]["swill"]["protocol"], "wss");
    assert!(
        doc["operations"]["ping"].is_object(),
        "served with introspection off"
    );
    let etag = reply.header_values("etag")[0].to_owned();
    let again = http_get(
        addr,
        "/api/doc.json",
        &[
            &format!("If-None-Match: {etag}"),
            "X-Forwarded-Proto: https",
        ],
    )
    .await;
    assert_eq!(again.status, 304);
    assert_eq!(http_get(addr, "/asyncapi.json", &[]).await.status, 404);
}

#[tokio::test]
async fn the_playground_is_served_with_its_client() {
    let addr = start_demo().await;
    let page = http_get(addr, "/", &[]).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(
        page.header_values("content-type"),
        ["text/html; charset=utf-8"]
    );
    let html = String::from_utf8(page.body).expect("utf-8");
    assert!(html.contains("playground.js"), "{html}");

    let config = json(&http_get(addr, "/config.json", &[]).await);
    assert_eq!(
        config,
        serde_json::json!({"title": "swill demo", "ws": "/ws", "asyncapi": "/asyncapi.json"})
    );
    let wasm = http_get(addr, "/vendor/swill_wasm_bg.wasm", &[]).await;
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header_values("content-type"), ["application/wasm"]);
    assert!(wasm.body.starts_with(b"\0asm"), "a WebAssembly module");
    for script in ["/playground.js", "/vendor/swill_wasm.js"] {
        let reply = http_get(addr, script, &[]).await;
        assert_eq!(reply.status, 200, "{script}");
        assert_eq!(
            reply.header_values("content-type"),
            ["text/javascript; charset=utf-8"]
        );
    }
    // The RPC endpoint beside it is untouched.
    Raw::connect(addr)
        .await
        .assert_next_is_answer_to_add(1)
        .await;
}

#[tokio::test]
async fn the_playground_can_live_under_a_prefix_beside_another_endpoint() {
    let app = App::new()
        .path("/rpc")
        .playground("/play/")
        .handle_as("ping", |_req: swill::Request<()>| async {
            Ok::<_, swill::Error>(())
        });
    let addr = start(app).await;
    let bare = http_get(addr, "/play", &[]).await;
    assert_eq!(bare.status, 308, "{bare:?}");
    assert_eq!(bare.header_values("location"), ["/play/"]);
    let page = http_get(addr, "/play/", &[]).await;
    assert_eq!(page.status, 200);
    let config = json(&http_get(addr, "/play/config.json", &[]).await);
    assert_eq!(
        config,
        serde_json::json!({"title": "swill API", "ws": "/rpc", "asyncapi": null})
    );
    assert_eq!(http_get(addr, "/config.json", &[]).await.status, 404);
}
