//! Spec first: the demo started from an AsyncAPI document (`--spec FILE`)
//! enforces it. Its own exported document round-trips; documents tightened
//! by hand give 422, 500 and 400; documents that do not fit are refused
//! with every difference listed.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use swill::{App, Error, JsonSchema, Request};
use swill_client::{Client, Code};
use swill_tests::cluster::demo_binary;
use swill_tests::{PATIENCE, UPGRADE_HEADERS, http_get, start, start_demo};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// The demo's own document, as it serves it.
async fn exported() -> Value {
    let addr = start_demo().await;
    let reply = http_get(addr, "/asyncapi.json", &[]).await;
    serde_json::from_slice(&reply.body).expect("JSON")
}

fn write(doc: &Value, name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("swill-spec-{}-{name}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec_pretty(doc).expect("JSON")).expect("write");
    path
}

/// A demo process serving `doc`; its address, or its exit status and
/// standard error when it refuses to start.
struct Served {
    child: Child,
    url: String,
    /// The rest of its standard output, where its log goes.
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

async fn serve(doc: &Value, name: &str) -> Result<Served, (Option<i32>, String)> {
    let path = write(doc, name);
    let mut child = Command::new(demo_binary())
        .args(["--listen", "127.0.0.1:0", "--spec"])
        .arg(&path)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the demo");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let listening = tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .expect("the demo starts or stops in time")
        .ok()
        .flatten();
    match listening.and_then(|l| {
        l.strip_prefix("swill demo listening on ")
            .map(str::to_owned)
    }) {
        Some(url) => Ok(Served {
            child,
            url,
            stdout: lines,
        }),
        None => {
            let status = child.wait().await.expect("exit status");
            let mut stderr = String::new();
            let mut pipe = child.stderr.take().expect("stderr");
            pipe.read_to_string(&mut stderr).await.expect("stderr");
            Err((status.code(), stderr))
        }
    }
}

impl Served {
    fn addr(&self) -> std::net::SocketAddr {
        let addr = self.url.trim_start_matches("ws://").trim_end_matches("/ws");
        addr.parse().expect("an address")
    }

    async fn client(&self) -> Client {
        Client::connect(&self.url).await.expect("connect")
    }

    /// What the server logged, once it is stopped.
    async fn logs(mut self) -> String {
        let _ = self.child.start_kill();
        let mut logs = String::new();
        while let Ok(Some(line)) = self.stdout.next_line().await {
            logs.push_str(&line);
            logs.push('\n');
        }
        let mut pipe = self.child.stderr.take().expect("stderr");
        pipe.read_to_string(&mut logs).await.expect("stderr");
        logs
    }
}

#[tokio::test]
async fn the_demos_own_document_round_trips() {
    let served = serve(&exported().await, "own")
        .await
        .expect("the demo accepts its own document");
    let client = served.client().await;
    assert_eq!(client.call::<i64>("add", &(1, 2)).await.expect("add"), 3);
    let user: Value = client
        .call("users.get", &json!({"id": 1}))
        .await
        .expect("users.get");
    assert_eq!(user["name"], "Ada Lovelace");
    let items: Vec<u64> = futures::TryStreamExt::try_collect(
        client
            .server_stream::<u64>("count", &3)
            .await
            .expect("count"),
    )
    .await
    .expect("items");
    assert_eq!(items, [0, 1, 2]);
    // The schema is enforced, not only read: a wrong type is 422 now.
    let refused = client
        .call::<i64>("add", &("one", 2))
        .await
        .expect_err("422");
    assert_eq!(refused.code(), Code::VALIDATION_ERROR);
}

#[tokio::test]
async fn a_tightened_request_schema_is_422_naming_the_value_and_the_rule() {
    let mut doc = exported().await;
    doc["components"]["messages"]["add.request"]["payload"]["items"][0]["maximum"] = json!(100);
    let served = serve(&doc, "maximum").await.expect("starts");
    let client = served.client().await;
    assert_eq!(
        client.call::<i64>("add", &(100, 1)).await.expect("within"),
        101
    );
    let refused = client
        .call::<i64>("add", &(1000, 1))
        .await
        .expect_err("over the maximum");
    assert_eq!(refused.code(), Code::VALIDATION_ERROR);
    let data = swill_proto::json::to_json(refused.data().expect("data"));
    assert_eq!(data["/0"][0]["rule"], "maximum", "{data}");
    assert!(
        data["/0"][0]["description"]
            .as_str()
            .expect("text")
            .contains("1000")
    );
    // What the server publishes is what it enforces.
    let published = http_get(served.addr(), "/asyncapi.json", &[]).await;
    let published: Value = serde_json::from_slice(&published.body).expect("JSON");
    assert_eq!(published, doc);
}

#[tokio::test]
async fn keywords_beside_a_reference_are_enforced_too() {
    let mut doc = exported().await;
    let payload = &mut doc["components"]["messages"]["users.get.request"]["payload"];
    assert!(payload.get("$ref").is_some(), "the export refers to UserId");
    payload["properties"] = json!({ "id": { "maximum": 1 } });
    let served = serve(&doc, "beside").await.expect("starts");
    let client = served.client().await;
    let ada: Value = client
        .call("users.get", &json!({"id": 1}))
        .await
        .expect("within");
    assert_eq!(ada["id"], 1);
    let refused = client
        .call::<Value>("users.get", &json!({"id": 2}))
        .await
        .expect_err("422");
    assert_eq!(refused.code(), Code::VALIDATION_ERROR);
}

#[tokio::test]
async fn a_narrower_response_schema_makes_an_answer_outside_it_a_500() {
    let mut doc = exported().await;
    doc["components"]["schemas"]["User"]["properties"]["email"]["maxLength"] = json!(5);
    let served = serve(&doc, "narrow").await.expect("starts");
    let client = served.client().await;
    let failed = client
        .call::<Value>("users.get", &json!({"id": 1}))
        .await
        .expect_err("500");
    assert_eq!(failed.code(), Code::INTERNAL_ERROR);
    assert!(
        !failed.message().contains("maxLength"),
        "no detail leaks to the caller"
    );
    let logs = served.logs().await;
    assert!(logs.contains("maxLength"), "the log names the rule: {logs}");
}

#[tokio::test]
async fn a_required_query_parameter_is_checked_before_the_upgrade() {
    let mut doc = exported().await;
    doc["channels"]["swill"]["bindings"]["ws"]["query"] = json!({
        "type": "object",
        "required": ["token"],
        "properties": { "token": { "type": "string", "minLength": 3 } },
    });
    let served = serve(&doc, "query").await.expect("starts");
    let addr = served.addr();
    let refused = http_get(addr, "/ws", &UPGRADE_HEADERS).await;
    assert_eq!(refused.status, 400);
    assert!(String::from_utf8_lossy(&refused.body).contains("token"));
    let short = http_get(addr, "/ws?token=ab", &UPGRADE_HEADERS).await;
    assert_eq!(short.status, 400);
    let fine = http_get(addr, "/ws?token=abc", &UPGRADE_HEADERS).await;
    assert_eq!(fine.status, 101);
}

/// The demo's standard error when it refuses `doc`: it must stop, and not
/// with status 0.
async fn refused(doc: &Value, name: &str) -> String {
    match serve(doc, name).await {
        Err((code, stderr)) => {
            assert_ne!(code, Some(0), "{stderr}");
            stderr
        }
        Ok(_) => panic!("the document `{name}` must be refused"),
    }
}

#[tokio::test]
async fn a_document_that_does_not_fit_is_refused_with_every_difference() {
    let mut doc = exported().await;
    let ops = doc["operations"].as_object_mut().expect("operations");
    ops.remove("fail");
    ops["count"]["x-swill-shape"] = json!("unary");
    let mut extra = ops["add"].clone();
    extra["x-swill-rpc"] = json!("subtract");
    ops.insert("subtract".to_owned(), extra);
    let stderr = refused(&doc, "mismatch").await;
    for difference in [
        "the handler `fail` has no operation",
        "`count` is unary in the document, serverStreaming in the code",
        "the operation `subtract` has no handler",
    ] {
        assert!(stderr.contains(difference), "{difference}: {stderr}");
    }
}

/// Two operations for one rpc: whichever came last would have won, and
/// the other's schemas gone unchecked.
#[tokio::test]
async fn two_operations_for_one_rpc_are_refused() {
    let mut doc = exported().await;
    let ops = doc["operations"].as_object_mut().expect("operations");
    let mut twin = ops["add"].clone();
    twin["x-swill-rpc"] = json!("add");
    ops.insert("add2".to_owned(), twin);
    let stderr = refused(&doc, "twins").await;
    let problem = "the operations `add` and `add2` are both the rpc `add`";
    assert!(stderr.contains(problem), "{stderr}");
    assert!(stderr.contains("cannot be served"), "{stderr}");
}

#[tokio::test]
async fn malformed_documents_are_refused() {
    let broken = match serve(&json!({"asyncapi": "2.6.0"}), "old").await {
        Err((_, stderr)) => stderr,
        Ok(_) => panic!("AsyncAPI 2 is refused"),
    };
    assert!(broken.contains("only 3.x"), "{broken}");
    assert!(App::from_asyncapi("not: [a document").is_err());
}

/// At most 10, says its schema; the handler breaks that promise.
#[derive(serde::Serialize, JsonSchema)]
struct Small {
    #[schemars(range(max = 10))]
    n: u32,
}

async fn too_big(req: Request<u32>) -> Result<Small, Error> {
    Ok(Small { n: req.data })
}

#[tokio::test]
async fn code_first_apps_can_check_their_answers_too() {
    let app = App::new().handle_as("small", too_big).validate_responses();
    let addr = start(app).await;
    let client = Client::connect(format!("ws://{addr}/ws"))
        .await
        .expect("connect");
    assert_eq!(
        client.call::<Value>("small", &3).await.expect("fits")["n"],
        3
    );
    let failed = client.call::<Value>("small", &30).await.expect_err("500");
    assert_eq!(failed.code(), Code::INTERNAL_ERROR);
}

#[tokio::test]
async fn a_required_header_is_checked_whatever_its_case() {
    let mut doc = exported().await;
    doc["channels"]["swill"]["bindings"]["ws"]["headers"] = json!({
        "type": "object",
        "required": ["X-Api-Key"],
        "properties": { "X-Api-Key": { "type": "string", "pattern": "^key-" } },
    });
    let served = serve(&doc, "headers").await.expect("starts");
    let addr = served.addr();
    let refused = http_get(addr, "/ws", &UPGRADE_HEADERS).await;
    assert_eq!(refused.status, 400);
    assert!(String::from_utf8_lossy(&refused.body).contains("x-api-key"));
    let wrong = [&UPGRADE_HEADERS[..], &["x-api-key: nope"]].concat();
    assert_eq!(http_get(addr, "/ws", &wrong).await.status, 400);
    let right = [&UPGRADE_HEADERS[..], &["X-API-KEY: key-1"]].concat();
    assert_eq!(http_get(addr, "/ws", &right).await.status, 101);
}
