//! Graceful shutdown, mounting in axum, and tower layers.

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::{http_get, log};
use futures::Stream;
use swill::{App, Code, Error, Outcome, Request};
use swill_proto::{ErrorBody, Payload, RequestFrame, ResponseType};
use swill_tests::Raw;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tower::ServiceBuilder;

fn msg(seq: u64, rpc: &str, v: impl serde::Serialize) -> RequestFrame {
    RequestFrame::message(seq, rpc, Payload::encode(&v).expect("encodes"))
}

fn error_code(frame: &swill_proto::ResponseFrame) -> Code {
    assert_eq!(frame.kind, ResponseType::Error, "{frame:?}");
    ErrorBody::from_payload(&frame.data)
        .expect("an error body")
        .code
}

/// `app` with hooks that log each request's start and end, and the
/// connection's end.
fn logged<S>(app: App<S>, log: &crate::support::Log) -> App<S> {
    let (l, l2, l3) = (log.clone(), log.clone(), log.clone());
    app.before_request(move |head: swill::RequestHead| {
        let l = l.clone();
        async move {
            l.push(format!("started {}", head.rpc));
            Ok(head)
        }
    })
    .after_request(move |ctx: swill::Context, o: Outcome| {
        let l = l2.clone();
        async move { l.push(format!("after_request {} {o:?}", ctx.rpc())) }
    })
    .after_connection(move |_| {
        let l = l3.clone();
        async move { l.push("after_connection") }
    })
}

/// Serves `app` on a free port until `stop` fires, then drains for `grace`.
async fn serve_until_stopped<S: Send + Sync + 'static>(
    app: App<S>,
    grace: Duration,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        swill::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .grace_period(grace)
            .await
    });
    (addr, stop, server)
}

/// A stream that yields one item, then never ends.
fn forever() -> impl Stream<Item = Result<u64, Error>> {
    futures::stream::once(async { Ok(1) }).chain(futures::stream::pending())
}

use futures::StreamExt;

#[tokio::test]
async fn graceful_shutdown_finishes_requests_and_closes_never_ending_streams() {
    let (log, mut watch) = log();
    let app =
        swill_examples::demo::app().handle_as("forever", |_req: Request<()>| async { forever() });
    let (addr, stop, server) =
        serve_until_stopped(logged(app, &log), Duration::from_millis(500)).await;

    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "forever", ())).await;
    assert_eq!(client.recv().await.data.decode::<u64>().unwrap(), 1);
    client.send_frame(&msg(2, "sleep", 100)).await;
    watch.until("started sleep").await;
    stop.send(()).unwrap();

    // New requests are refused with 503 once the connection drains; until
    // the shutdown reaches it, they are still served.
    let mut seq = 10;
    loop {
        seq += 1;
        client.send_frame(&msg(seq, "add", (1, 2))).await;
        let answer = loop {
            let frame = client.recv().await;
            if frame.seq == seq.into() {
                break frame;
            }
            // The in-flight sleep finishes within the grace period.
            assert_eq!(frame.seq, 2u8.into());
            assert_eq!(frame.data.decode::<String>().unwrap(), "done");
            log.push("sleep answered");
        };
        if answer.kind == ResponseType::Error {
            assert_eq!(error_code(&answer), Code::UNAVAILABLE);
            break;
        }
    }
    // The never-ending stream is stopped when the grace period ends, and
    // the connection closes with 1001.
    let close = loop {
        match client.next_message().await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Binary(b))) => {
                let frame = swill_proto::ResponseFrame::decode(b).unwrap();
                assert_eq!(frame.seq, 2u8.into(), "only the sleep may still answer");
                log.push("sleep answered");
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(close))) => break close,
            other => panic!("expected the close, got {other:?}"),
        }
    };
    assert_eq!(u16::from(close.expect("a close frame").code), 1001);
    watch.until("after_connection").await;
    server.await.unwrap().unwrap();
    let entries = log.entries();
    assert!(
        entries.contains(&"sleep answered".to_owned()),
        "{entries:?}"
    );
    assert!(
        entries.contains(&"after_request forever Disconnected".to_owned()),
        "{entries:?}"
    );
    // The listener is gone: nothing new is accepted.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_handler_that_does_not_read_its_clients_stream_does_not_hold_up_shutdown() {
    let (log, mut watch) = log();
    // Never reads its request stream: once its buffer is full, the
    // connection stops reading (backpressure).
    let app = App::new().handle_as("ignore", |req: swill::StreamingRequest<u64>| async move {
        let _unread = req;
        std::future::pending::<Result<u64, Error>>().await
    });
    let (addr, stop, server) =
        serve_until_stopped(logged(app, &log), Duration::from_millis(200)).await;

    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "ignore", 0u64)).await;
    watch.until("started ignore").await;
    // Far more than the handler's buffer holds.
    for n in 1..=500u64 {
        client.send_frame(&msg(1, "ignore", n)).await;
    }
    stop.send(()).unwrap();

    // The grace period still ends for this connection: it closes with 1001
    // and runs its hooks. (A hang guard, not a timing claim.)
    let close = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match client.next_message().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(close))) => break close,
                Some(Ok(_)) => {}
                other => panic!("expected the close, got {other:?}"),
            }
        }
    })
    .await
    .expect("the connection closes at the end of the grace period");
    assert_eq!(u16::from(close.expect("a close frame").code), 1001);
    watch.until("after_connection").await;
    server.await.unwrap().unwrap();
    assert!(
        log.entries()
            .contains(&"after_request ignore Disconnected".to_owned()),
        "{:?}",
        log.entries()
    );
}

async fn serve_axum(router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

#[tokio::test]
async fn mounted_in_axum_beside_a_plain_http_route() {
    let rpc = swill_examples::demo::app().into_service();
    let router = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .route_service("/ws", rpc);
    let addr = serve_axum(router).await;

    let health = http_get(addr, "/health", &[]).await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("ok"), "{health}");

    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "add", (1, 2))).await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 3);
}

#[tokio::test]
async fn stock_tower_layers_wrap_the_whole_app() {
    let peer: SocketAddr = "203.0.113.7:4242".parse().unwrap();
    let app = App::new().handle_as("peer", |req: Request<()>| async move {
        Ok::<_, Error>(req.ctx.connection().remote_addr().map(|a| a.to_string()))
    });
    // Stock layers around the whole app: a concurrency limit on upgrades,
    // and a request mapper standing in for a proxy that names the peer.
    let service = ServiceBuilder::new()
        .concurrency_limit(16)
        .map_request(move |mut req: axum::http::Request<axum::body::Body>| {
            req.extensions_mut().insert(peer);
            req
        })
        .service(app.into_service());
    let addr = serve_axum(axum::Router::new().route_service("/ws", service)).await;
    let mut client = Raw::connect(addr).await;
    client.send_frame(&msg(1, "peer", ())).await;
    assert_eq!(
        client.recv().await.data.decode::<Option<String>>().unwrap(),
        Some(peer.to_string())
    );
}

#[tokio::test]
async fn stock_tower_layers_wrap_one_handler() {
    let (entered, mut entries) = mpsc::unbounded_channel();
    let (release_tx, release) = tokio::sync::watch::channel(false);
    let busy = move |_req: Request<()>| {
        let entered = entered.clone();
        let mut release = release.clone();
        async move {
            let _ = entered.send(());
            let _ = release.wait_for(|go| *go).await;
            Ok::<_, Error>("finished")
        }
    };
    let slow = |req: Request<u64>| async move {
        tokio::time::sleep(Duration::from_millis(req.data)).await;
        Ok::<_, Error>("done")
    };
    let app = swill_examples::demo::app()
        .handle_layered(
            "busy",
            busy,
            ServiceBuilder::new().load_shed().concurrency_limit(1),
        )
        .handle_layered(
            "slow",
            slow,
            ServiceBuilder::new().timeout(Duration::from_millis(20)),
        );
    let addr = swill_tests::start(app).await;
    let mut client = Raw::connect(addr).await;

    // Timeout around one handler: 408.
    client.send_frame(&msg(1, "slow", 60_000)).await;
    assert_eq!(error_code(&client.recv().await), Code::DEADLINE_EXCEEDED);

    // Concurrency limit 1 with load shedding: while one call runs, a
    // second is shed with 503; other handlers are not limited.
    client.send_frame(&msg(2, "busy", ())).await;
    entries.recv().await.unwrap();
    client.send_frame(&msg(3, "busy", ())).await;
    let shed = client.recv().await;
    assert_eq!(shed.seq, 3u8.into());
    assert_eq!(error_code(&shed), Code::UNAVAILABLE);
    client.send_frame(&msg(4, "add", (1, 2))).await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 3);
    release_tx.send(true).unwrap();
    let done = client.recv().await;
    assert_eq!(done.seq, 2u8.into());
    assert_eq!(done.data.decode::<String>().unwrap(), "finished");

    // Introspection still describes a layered handler's types.
    let described = swill_examples::demo::app()
        .handle_layered(
            "slow",
            slow,
            ServiceBuilder::new().timeout(Duration::from_millis(20)),
        )
        .descriptions();
    let slow = described.iter().find(|d| d.name == "slow").unwrap();
    assert_eq!(slow.request.ty.name, "int");
    assert_eq!(slow.response.ty.name, "str");
}
