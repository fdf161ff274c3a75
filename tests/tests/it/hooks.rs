//! Lifecycle hooks: the order they fire in for each call shape, and what
//! each rejection looks like to the client.

use crate::support::{Log, handshake, log, status};
use futures::StreamExt;
use swill::{
    App, Code, Continuation, Error, Handshake, Metadata, Outcome, Payload, Rejection, Request,
    RequestHead, StatusCode, StreamingRequest,
};
use swill_proto::{ErrorBody, RequestFrame, RequestType, ResponseType};
use swill_tests::{Raw, start};

fn show(p: &Payload) -> String {
    p.to_value().map(|v| v.to_string()).unwrap_or_default()
}

fn show_md(m: &Option<Metadata>) -> String {
    match m {
        None => "nil".to_owned(),
        Some(m) => m
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The demo's handlers with every hook logging its stage.
fn logged(log: &Log) -> swill_examples::demo::DemoApp {
    let l = log.clone();
    let app = swill_examples::demo::app().before_connection(move |h: Handshake| {
        let l = l.clone();
        async move {
            l.push("before_connection");
            Ok(h)
        }
    });
    let l = log.clone();
    let app = app.after_accept(move |_| {
        let l = l.clone();
        async move { l.push("after_accept") }
    });
    let l = log.clone();
    let app = app.before_request(move |h: RequestHead| {
        let l = l.clone();
        async move {
            l.push(format!("before_request {}", h.rpc));
            Ok(h)
        }
    });
    let l = log.clone();
    let app = app.before_request_metadata(move |h: RequestHead| {
        let l = l.clone();
        async move {
            l.push(format!(
                "before_request_metadata {}",
                show_md(&Some(h.metadata.clone()))
            ));
            Ok(h)
        }
    });
    let l = log.clone();
    let app = app.before_request_data(move |_, k: Continuation| {
        let l = l.clone();
        async move {
            l.push(format!("before_request_data {k:?}"));
            Ok(())
        }
    });
    let l = log.clone();
    let app = app.before_request_message(move |_, p: Payload| {
        let l = l.clone();
        async move {
            l.push(format!("before_request_message {}", show(&p)));
            Ok(p)
        }
    });
    let l = log.clone();
    let app = app.before_leading_metadata(move |_, m: Option<Metadata>| {
        let l = l.clone();
        async move {
            l.push(format!("before_leading_metadata {}", show_md(&m)));
            Ok(m)
        }
    });
    let l = log.clone();
    let app = app.before_response_message(move |_, p: Payload| {
        let l = l.clone();
        async move {
            l.push(format!("before_response_message {}", show(&p)));
            Ok(p)
        }
    });
    let l = log.clone();
    let app = app.before_trailing_metadata(move |_, m: Option<Metadata>| {
        let l = l.clone();
        async move {
            l.push(format!("before_trailing_metadata {}", show_md(&m)));
            Ok(m)
        }
    });
    let l = log.clone();
    let app = app.after_request(move |_, o: Outcome| {
        let l = l.clone();
        async move { l.push(format!("after_request {o:?}")) }
    });
    let l = log.clone();
    app.after_connection(move |_| {
        let l = l.clone();
        async move { l.push("after_connection") }
    })
}

fn msg(seq: u64, rpc: &str, v: impl serde::Serialize) -> RequestFrame {
    RequestFrame::message(seq, rpc, Payload::encode(&v).expect("encodes"))
}

#[tokio::test]
async fn unary_hook_order() {
    let (log, mut watch) = log();
    let addr = start(logged(&log)).await;
    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "add", (1, 2))).await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 3);
    client.close().await;
    watch.until("after_connection").await;
    assert_eq!(
        log.entries(),
        [
            "before_connection",
            "after_accept",
            "before_request add",
            "before_request_message [1, 2]",
            "before_leading_metadata nil",
            "before_response_message 3",
            "before_trailing_metadata nil",
            "after_request Ok",
            "after_connection",
        ]
    );
}

#[tokio::test]
async fn server_streaming_hook_order() {
    let (log, mut watch) = log();
    let addr = start(logged(&log)).await;
    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "count", 2)).await;
    for _ in 0..3 {
        client.recv().await;
    }
    watch.until("after_request Ok").await;
    assert_eq!(
        log.entries()[2..],
        [
            "before_request count",
            "before_request_message 2",
            "before_leading_metadata nil",
            "before_response_message 0",
            "before_response_message 1",
            "before_trailing_metadata nil",
            "after_request Ok",
        ]
    );
}

#[tokio::test]
async fn client_streaming_hook_order_with_opening_metadata() {
    let (log, mut watch) = log();
    let addr = start(logged(&log)).await;
    let mut client = Raw::connect(addr).await;
    let open = RequestFrame::control(1, "total", RequestType::Metadata)
        .with_metadata(Metadata::from([("k", "v")]));
    client.send_frame(&open).await;
    client.send_frame(&msg(1, "total", 1)).await;
    client.send_frame(&msg(1, "total", 2)).await;
    client
        .send_frame(&RequestFrame::control(1, "total", RequestType::EndOfStream))
        .await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 3);
    watch.until("after_request Ok").await;
    assert_eq!(
        log.entries()[2..],
        [
            "before_request total",
            "before_request_metadata k=\"v\"",
            "before_request_data Message",
            "before_request_message 1",
            "before_request_data Message",
            "before_request_message 2",
            "before_request_data EndOfStream",
            "before_leading_metadata nil",
            "before_response_message 3",
            "before_trailing_metadata nil",
            "after_request Ok",
        ]
    );
}

#[tokio::test]
async fn bidirectional_hook_order_matches_the_documented_one() {
    let (log, mut watch) = log();
    let addr = start(logged(&log)).await;
    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "upper", "a")).await;
    assert_eq!(client.recv().await.data.decode::<String>().unwrap(), "A");
    client.send_frame(&msg(1, "upper", "b")).await;
    assert_eq!(client.recv().await.data.decode::<String>().unwrap(), "B");
    client
        .send_frame(&RequestFrame::control(1, "upper", RequestType::EndOfStream))
        .await;
    assert_eq!(client.recv().await.kind, ResponseType::EndOfStream);
    watch.until("after_request Ok").await;
    // The original's order (wire file), except that leading metadata is
    // announced before the first message it rides on: ours fires the hooks
    // of a frame in the order of its elements (leading, data, trailing).
    assert_eq!(
        log.entries()[2..],
        [
            "before_request upper",
            "before_request_message \"a\"",
            "before_leading_metadata nil",
            "before_response_message \"A\"",
            "before_request_data Message",
            "before_request_message \"b\"",
            "before_response_message \"B\"",
            "before_request_data EndOfStream",
            "before_trailing_metadata nil",
            "after_request Ok",
        ]
    );
}

#[tokio::test]
async fn after_request_sees_errors_cancels_and_disconnects() {
    let (log, mut watch) = log();
    let addr = start(logged(&log)).await;
    let mut client = Raw::connect(addr).await;
    client
        .send_frame(&msg(
            1,
            "fail",
            serde_json::json!({"code": 418, "message": "teapot"}),
        ))
        .await;
    assert_eq!(client.recv().await.kind, ResponseType::Error);
    watch
        .until(
            "after_request Error(Error(ErrorBody { code: 418, message: \"teapot\", data: None }))",
        )
        .await;

    client.send_frame(&msg(2, "sleep", 60_000)).await;
    watch.until("before_request_message 60000").await;
    client
        .send_frame(&RequestFrame::control(2, "sleep", RequestType::Cancel))
        .await;
    watch.until("after_request Cancelled").await;

    client.send_frame(&msg(3, "sleep", 60_000)).await;
    watch.until("before_request_message 60000").await;
    client.close().await;
    watch.until("after_request Disconnected").await;
    watch.until("after_connection").await;
    let entries = log.entries();
    let disconnected = entries
        .iter()
        .position(|e| e == "after_request Disconnected");
    let closed = entries.iter().position(|e| e == "after_connection");
    assert!(
        disconnected < closed,
        "after_request runs before after_connection: {entries:?}"
    );
}

#[tokio::test]
async fn before_connection_rejects_with_its_status_and_reason() {
    let app = swill_examples::demo::app().before_connection(|h: Handshake| async move {
        match h.headers.get("authorization") {
            Some(v) if v == "Bearer good" => Ok(h),
            _ => Err(Rejection::new(
                StatusCode::UNAUTHORIZED,
                "a bearer token is required",
            )),
        }
    });
    let addr = start(app).await;
    let (_, head) = handshake(addr, "/ws", &[]).await;
    assert_eq!(status(&head), 401, "{head}");
    let (_, head) = handshake(addr, "/ws", &[("Authorization", "Bearer good")]).await;
    assert_eq!(status(&head), 101, "{head}");
}

/// A `before_connection` hook that panics refuses that upgrade with 500;
/// the server goes on accepting the others.
#[tokio::test]
async fn a_before_connection_hook_that_panics_is_a_500_for_that_upgrade() {
    let app = swill_examples::demo::app().before_connection(|h: Handshake| async move {
        if h.headers.contains_key("x-explode") {
            panic!("in a before_connection hook");
        }
        Ok(h)
    });
    let addr = start(app).await;
    let (_, head) = handshake(addr, "/ws", &[("X-Explode", "1")]).await;
    assert_eq!(status(&head), 500, "{head}");
    let (_, head) = handshake(addr, "/ws", &[]).await;
    assert_eq!(status(&head), 101, "{head}");
}

#[derive(Clone, Debug, PartialEq)]
struct User(String);

#[tokio::test]
async fn values_attached_to_the_connection_reach_every_request() {
    let app = App::new()
        .before_connection(|mut h: Handshake| async move {
            let name = h
                .uri
                .query()
                .and_then(|q| q.strip_prefix("user="))
                .unwrap_or("anonymous")
                .to_owned();
            h.extensions.insert(User(name));
            Ok(h)
        })
        .handle_as("whoami", |req: Request<()>| async move {
            let user = req.ctx.extensions().get::<User>().cloned();
            Ok::<_, Error>(user.map(|u| u.0).unwrap_or_default())
        });
    let addr = start(app).await;
    let (mut tcp, head) = handshake(addr, "/ws?user=ada", &[]).await;
    assert_eq!(status(&head), 101);
    // Speak WebSocket over the raw socket: one masked binary frame.
    let request = msg(1, "whoami", ()).encode();
    let mut frame = vec![0x82, 0x80 | request.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(&request);
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tcp.write_all(&frame).await.unwrap();
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.unwrap();
    let mut body = vec![0u8; (head[1] & 0x7f) as usize];
    tcp.read_exact(&mut body).await.unwrap();
    let answer = swill_proto::ResponseFrame::decode(body.into()).unwrap();
    assert_eq!(answer.data.decode::<String>().unwrap(), "ada");
}

#[tokio::test]
async fn request_hooks_reject_with_an_error_frame_and_can_change_metadata() {
    let app = swill_examples::demo::app().before_request(|mut h: RequestHead| async move {
        match h.metadata.get_str("token") {
            Some("secret") => {
                h.metadata.remove("token");
                h.metadata.insert("user", "ada");
                Ok(h)
            }
            _ => Err(Error::unauthorized("a valid token is required")),
        }
    });
    let addr = start(app).await;
    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "echo_meta", "hi")).await;
    let refused = client.recv().await;
    assert_eq!(refused.kind, ResponseType::Error);
    let body = ErrorBody::from_payload(&refused.data).unwrap();
    assert_eq!(body.code, Code::UNAUTHORIZED);
    assert_eq!(body.message, "a valid token is required");

    let with_token = msg(2, "echo_meta", "hi").with_metadata(Metadata::from([("token", "secret")]));
    client.send_frame(&with_token).await;
    let answer = client.recv().await;
    assert_eq!(answer.kind, ResponseType::Message);
    assert_eq!(answer.leading, Some(Metadata::from([("user", "ada")])));
}

#[tokio::test]
async fn message_hooks_can_rewrite_and_reject() {
    let app = App::new()
        .before_request_message(|_, p: Payload| async move {
            match p.decode::<String>() {
                Ok(s) if s == "forbidden" => Err(Error::forbidden("not that word")),
                Ok(s) => Ok(Payload::encode(&s.replace("cat", "dog")).unwrap()),
                Err(_) => Ok(p),
            }
        })
        .before_response_message(|_, p: Payload| async move {
            let s: String = p.decode().unwrap_or_default();
            Ok(Payload::encode(&format!("<{s}>")).unwrap())
        })
        .handle_as("upper", |req: StreamingRequest<String>| async move {
            req.map(|s| Ok::<_, Error>(s.to_uppercase()))
        });
    let addr = start(app).await;
    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "upper", "cat")).await;
    assert_eq!(
        client.recv().await.data.decode::<String>().unwrap(),
        "<DOG>"
    );
    client.send_frame(&msg(1, "upper", "forbidden")).await;
    let refused = client.recv().await;
    assert_eq!(refused.kind, ResponseType::Error);
    assert_eq!(
        ErrorBody::from_payload(&refused.data).unwrap().code,
        Code::FORBIDDEN
    );
}

#[tokio::test]
async fn origin_allow_list() {
    let addr =
        start(swill_examples::demo::app().allowed_origins(["https://app.example.com"])).await;
    let (_, head) = handshake(addr, "/ws", &[("Origin", "https://evil.example.net")]).await;
    assert_eq!(status(&head), 403, "{head}");
    let (_, head) = handshake(addr, "/ws", &[("Origin", "https://app.example.com")]).await;
    assert_eq!(status(&head), 101, "{head}");
    // Programs that are not browsers send no Origin, and are not affected.
    let (_, head) = handshake(addr, "/ws", &[]).await;
    assert_eq!(status(&head), 101, "{head}");
}

#[tokio::test]
async fn metadata_hooks_can_add_leading_and_trailing() {
    let app = swill_examples::demo::app()
        .before_leading_metadata(|_, m: Option<Metadata>| async move {
            let mut m = m.unwrap_or_default();
            m.insert("server", "swill");
            Ok(Some(m))
        })
        .before_trailing_metadata(|ctx: swill::Context, _| async move {
            Ok(Some(Metadata::from([("rpc", ctx.rpc().to_owned())])))
        });
    let addr = start(app).await;
    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "count", 2)).await;
    let first = client.recv().await;
    assert_eq!(first.leading, Some(Metadata::from([("server", "swill")])));
    let second = client.recv().await;
    assert_eq!(second.leading, None, "leading metadata goes out once");
    let end = client.recv().await;
    assert_eq!(end.kind, ResponseType::EndOfStream);
    assert_eq!(end.trailing, Some(Metadata::from([("rpc", "count")])));
}
