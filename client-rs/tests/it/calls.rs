//! Every call shape against the demo server, with metadata, errors,
//! introspection and many calls in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::{Server, patiently};
use futures::{StreamExt, TryStreamExt};
use swill::{App, Request};
use swill_client::{CallOptions, CallShape, Client, Code, Error, Metadata, Subprotocol, Value};

async fn demo() -> (Server, Client) {
    let server = Server::demo();
    let client = patiently(Client::connect(server.url()))
        .await
        .expect("connect");
    (server, client)
}

#[tokio::test]
async fn unary() {
    let (_server, client) = demo().await;
    let sum: i64 = client.call("add", &(1, 2)).await.unwrap();
    assert_eq!(sum, 3);
}

#[tokio::test]
async fn unary_with_structs() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct User {
        id: u64,
        name: String,
        email: String,
    }
    let (_server, client) = demo().await;
    let request = serde_json::json!({"id": 2});
    let user: User = client.call("users.get", &request).await.unwrap();
    assert_eq!(user.name, "Grace Hopper");
}

#[tokio::test]
async fn request_metadata_comes_back_as_leading_and_trailing() {
    let (_server, client) = demo().await;
    let options = CallOptions::new().metadata(Metadata::from([("tenant", "acme")]));
    let response = client
        .call_with::<String>("echo_meta", "hi", options)
        .await
        .unwrap();
    assert_eq!(response.data, "hi");
    assert_eq!(response.leading.get_str("tenant"), Some("acme"));
    assert_eq!(response.trailing.get_str("tenant"), Some("acme"));
}

#[tokio::test]
async fn server_streaming() {
    let (_server, client) = demo().await;
    let stream = client.server_stream::<u64>("count", &5).await.unwrap();
    let items: Vec<u64> = stream.try_collect().await.unwrap();
    assert_eq!(items, [0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn an_empty_server_stream_just_ends() {
    let (_server, client) = demo().await;
    let mut stream = client.server_stream::<u64>("count", &0).await.unwrap();
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn client_streaming() {
    let (_server, client) = demo().await;
    let (sender, total) = client.client_stream::<i64, i64>("total").await.unwrap();
    for n in 1..=4 {
        sender.send(&n).await.unwrap();
    }
    sender.finish();
    assert_eq!(total.await.unwrap().data, 10);
}

#[tokio::test]
async fn client_streaming_with_no_messages() {
    let (_server, client) = demo().await;
    let (sender, total) = client.client_stream::<i64, i64>("total").await.unwrap();
    drop(sender); // dropping the sender ends the stream, like finish()
    assert_eq!(total.await.unwrap().data, 0);
}

#[tokio::test]
async fn bidirectional_streaming_answers_as_messages_arrive() {
    let (_server, client) = demo().await;
    let (sender, mut upper) = client.bidi::<String, String>("upper").await.unwrap();
    for word in ["a", "b"] {
        sender.send(&word.to_owned()).await.unwrap();
        let echoed = patiently(upper.next()).await.unwrap().unwrap();
        assert_eq!(echoed, word.to_uppercase());
    }
    sender.finish();
    assert!(patiently(upper.next()).await.is_none());
}

#[tokio::test]
async fn an_unknown_rpc_is_404() {
    let (_server, client) = demo().await;
    let error = client.call::<()>("nope", &()).await.unwrap_err();
    assert!(error.is_remote());
    assert_eq!(error.code(), Code::NOT_FOUND);
    assert_eq!(error.message(), "No func was found to process this request");
}

#[tokio::test]
async fn a_handler_error_keeps_its_code_and_message() {
    let (_server, client) = demo().await;
    let failure = serde_json::json!({"code": 401, "message": "nope"});
    let error = client.call::<()>("fail", &failure).await.unwrap_err();
    assert_eq!(error.code(), Code::UNAUTHORIZED);
    assert_eq!(error.message(), "nope");
    assert_eq!(error.to_string(), "401: nope");
    let missing = serde_json::json!({"id": 9});
    let error = client
        .call::<Value>("users.get", &missing)
        .await
        .unwrap_err();
    assert_eq!(
        (error.code(), &*error.message()),
        (Code::NOT_FOUND, "no user with id 9")
    );
}

#[tokio::test]
async fn bad_request_data_is_400() {
    let (_server, client) = demo().await;
    let error = client.call::<i64>("add", "x").await.unwrap_err();
    assert!(matches!(error, Error::Remote(_)));
    assert_eq!(error.code(), Code::BAD_REQUEST);
    assert!(error.message().contains("add"), "{error}");
}

#[tokio::test]
async fn an_answer_of_the_wrong_type_is_a_local_decode_error() {
    let (_server, client) = demo().await;
    let error = client.call::<String>("add", &(1, 2)).await.unwrap_err();
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    assert_eq!(error.code(), Code::BAD_REQUEST);
    // The connection is fine afterwards.
    assert_eq!(client.call::<i64>("add", &(2, 2)).await.unwrap(), 4);
}

#[tokio::test]
async fn introspection_is_typed() {
    let (_server, client) = demo().await;
    let rpcs = client.introspect().await.unwrap();
    let names: Vec<&str> = rpcs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "add",
            "count",
            "total",
            "upper",
            "echo_meta",
            "fail",
            "sleep",
            "users.get",
            "session.put",
            "session.get"
        ]
    );
    let add = &rpcs[0];
    assert_eq!(add.shape(), CallShape::Unary);
    assert_eq!(add.request.ty.to_string(), "tuple[int, int]");
    assert_eq!(add.response.ty.to_string(), "int");
    assert_eq!(add.description.as_deref(), Some("Adds two numbers."));
    let shapes: Vec<CallShape> = rpcs[1..4].iter().map(|d| d.shape()).collect();
    use CallShape::*;
    assert_eq!(shapes, [ServerStreaming, ClientStreaming, Bidirectional]);
    assert_eq!(rpcs[7].response.ty.name, "User");
}

#[tokio::test]
async fn many_calls_in_flight_on_one_connection() {
    let (_server, client) = demo().await;
    let calls = (0..200i64).map(|i| {
        let client = client.clone();
        tokio::spawn(async move { client.call::<i64>("add", &(i, i)).await })
    });
    let sums = patiently(futures::future::try_join_all(calls))
        .await
        .unwrap();
    for (i, sum) in sums.into_iter().enumerate() {
        assert_eq!(sum.unwrap(), 2 * i as i64);
    }
}

#[tokio::test]
async fn calls_past_the_in_flight_bound_wait_their_turn() {
    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (a, m) = (active.clone(), most.clone());
    let server = Server::start("127.0.0.1:0", move || {
        App::new().handle_as("slow", move |_req: Request<()>| {
            let (active, most) = (a.clone(), m.clone());
            async move {
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                active.fetch_sub(1, Ordering::SeqCst);
                Ok::<(), swill::Error>(())
            }
        })
    });
    let client = Client::builder(server.url())
        .max_in_flight(2)
        .connect()
        .await
        .unwrap();
    let calls = (0..20).map(|_| client.call::<()>("slow", &()));
    let results = patiently(futures::future::join_all(calls)).await;
    assert!(results.iter().all(Result::is_ok));
    // The server never ran more handlers at once than the client allowed.
    assert!(most.load(Ordering::SeqCst) <= 2);
}

#[tokio::test]
async fn stream_metadata_is_available_from_the_stream() {
    let server = Server::start("127.0.0.1:0", || {
        App::new().handle_as("numbers", |req: Request<()>| async move {
            req.ctx
                .set_leading_metadata(Metadata::from([("unit", "items")]));
            req.ctx
                .set_trailing_metadata(Metadata::from([("total", 2)]));
            futures::stream::iter([Ok::<u8, swill::Error>(1), Ok(2)])
        })
    });
    let client = Client::connect(server.url()).await.unwrap();
    let mut stream = client.server_stream::<u8>("numbers", &()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), 1);
    assert_eq!(
        stream.leading().and_then(|m| m.get_str("unit")),
        Some("items")
    );
    assert_eq!(stream.next().await.unwrap().unwrap(), 2);
    assert!(stream.next().await.is_none());
    let total = stream.trailing().and_then(|m| m.get("total")).cloned();
    assert_eq!(total, Some(Value::from(2)));
}

#[tokio::test]
async fn headers_cookies_and_the_legacy_subprotocol_reach_the_server() {
    type Seen = (Option<String>, Option<String>, Option<String>);
    let server = Server::start("127.0.0.1:0", || {
        App::new().handle_as("whoami", |req: Request<()>| async move {
            let conn = req.ctx.connection();
            let header = conn.headers().get("x-team").and_then(|v| v.to_str().ok());
            let seen: Seen = (
                header.map(str::to_owned),
                conn.cookie("session").map(str::to_owned),
                conn.subprotocol().map(str::to_owned),
            );
            Ok::<Seen, swill::Error>(seen)
        })
    });
    let client = Client::builder(server.url())
        .header("x-team", "blue")
        .cookie("session", "abc")
        .cookie("theme", "dark")
        .legacy_subprotocol()
        .connect()
        .await
        .unwrap();
    let seen: Seen = client.call("whoami", &()).await.unwrap();
    let expected = (Some("blue"), Some("abc"), Some("swill/1"));
    assert_eq!(
        (seen.0.as_deref(), seen.1.as_deref(), seen.2.as_deref()),
        expected
    );

    // By default the client offers the valid token `swill.v1`; `Auto` too.
    for subprotocol in [Subprotocol::V1, Subprotocol::Auto] {
        let client = Client::builder(server.url())
            .subprotocol(subprotocol)
            .connect()
            .await
            .unwrap();
        let seen: Seen = client.call("whoami", &()).await.unwrap();
        assert_eq!(seen.2.as_deref(), Some("swill.v1"));
    }
}

#[tokio::test]
async fn an_invalid_header_is_reported_before_connecting() {
    let server = Server::demo();
    let error = Client::builder(server.url())
        .header("bad header", "x")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Invalid(_)), "{error:?}");
}

/// Runs a server stream to its end, yielding its first error.
async fn drain(stream: Result<swill_client::ResponseStream<i64>, Error>) -> Result<(), Error> {
    let mut stream = stream?;
    while let Some(item) = stream.next().await {
        item?;
    }
    Ok(())
}

#[tokio::test]
async fn a_call_with_the_wrong_shape_fails_instead_of_waiting() {
    let (_server, client) = demo().await;
    // A deadline far beyond the test's needs: without the shape check these
    // calls would end only there, with 408.
    let patience = || CallOptions::new().timeout(Duration::from_secs(60));
    // `add` is unary: as a stream, its answer would look like a first item
    // and the end would never come.
    let stream = client.server_stream_with::<i64>("add", (1, 2), patience());
    let error = drain(stream.await).await.unwrap_err();
    assert!(matches!(error, Error::Invalid(_)), "{error:?}");
    assert!(error.message().contains("`add` is a unary rpc"), "{error}");
    // `total` takes a request stream: a unary call would wait for more.
    let error = client
        .call_with::<i64>("total", 5, patience())
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::BAD_REQUEST, "{error:?}");
    assert!(
        error
            .message()
            .contains("`total` is a client streaming rpc"),
        "{error}"
    );
    // The connection is fine, and the right shapes work.
    assert_eq!(client.call::<i64>("add", (2, 3)).await.unwrap(), 5);
}

#[tokio::test]
async fn the_shape_check_can_be_turned_off() {
    let server = Server::demo();
    let client = patiently(Client::builder(server.url()).check_shapes(false).connect())
        .await
        .expect("connect");
    // Nothing stops the wrong shape: the unary answer arrives as an item,
    // and the stream's end never comes, until the deadline.
    let options = CallOptions::new().timeout(Duration::from_millis(300));
    let mut stream = client
        .server_stream_with::<i64>("add", (1, 2), options)
        .await
        .unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), 3);
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.code(), Code::DEADLINE_EXCEEDED, "{error:?}");
}

/// A server that answers every call with `answer` (what no Swill server
/// sends): the call must fail at once, not wait for an answer that will
/// never come.
#[tokio::test]
async fn a_frame_no_call_can_be_told_of_ends_the_connection_and_its_calls() {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    for (answer, why) in [
        (Message::Text("3".into()), "text frame"),
        (Message::Binary(vec![0xc1, 0xc1].into()), "malformed frame"),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = crate::common::accept_swill(tcp).await;
            while let Some(Ok(message)) = ws.next().await {
                if message.is_binary() && ws.send(answer.clone()).await.is_err() {
                    break;
                }
            }
        });
        let client = patiently(Client::connect(url)).await.expect("connect");
        let failed = patiently(client.call::<i64>("add", &(1, 2))).await;
        match failed {
            Err(Error::Disconnected { reason }) => assert!(reason.contains(why), "{reason}"),
            other => panic!("expected the connection to end, got {other:?}"),
        }
    }
}
