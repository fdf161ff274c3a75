//! Lost connections: calls in flight fail at once, the next call
//! reconnects per the policy, and every state change is reported.

use std::time::Duration;

use crate::common::{Server, patiently, probe_app};
use swill_client::{Client, Code, ConnectionState, Error, ReconnectPolicy};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// A client that reports its state changes on a channel.
async fn watched(
    url: String,
    policy: ReconnectPolicy,
) -> (Client, mpsc::UnboundedReceiver<ConnectionState>) {
    let (tx, states) = mpsc::unbounded_channel();
    let client = Client::builder(url)
        .reconnect(policy)
        .on_state_change(move |state| {
            let _ = tx.send(state.clone());
        })
        .connect()
        .await
        .expect("connect");
    (client, states)
}

async fn next_state(states: &mut mpsc::UnboundedReceiver<ConnectionState>) -> ConnectionState {
    patiently(states.recv()).await.expect("a state change")
}

/// Waits until the client has seen its connection go.
async fn until_disconnected(states: &mut mpsc::UnboundedReceiver<ConnectionState>) {
    while !matches!(
        next_state(states).await,
        ConnectionState::Disconnected { .. }
    ) {}
}

fn quick(max_attempts: u32) -> ReconnectPolicy {
    ReconnectPolicy {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_attempts: Some(max_attempts),
        ..ReconnectPolicy::default()
    }
}

#[tokio::test]
async fn calls_in_flight_fail_with_503_when_the_connection_drops() {
    let (make, mut probe) = probe_app();
    let server = Server::start("127.0.0.1:0", make);
    let client = Client::connect(server.url()).await.unwrap();
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.call::<()>("hold", &()).await }
    });
    assert_eq!(probe.started().await, "hold");
    server.stop().await;
    let error = patiently(call).await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Disconnected { .. }), "{error:?}");
    assert_eq!(error.code(), Code::UNAVAILABLE);
}

#[tokio::test]
async fn the_next_call_reconnects_after_a_server_restart() {
    let server = Server::demo();
    let addr = server.addr.to_string();
    let (client, mut states) = watched(server.url(), ReconnectPolicy::default()).await;
    assert_eq!(
        next_state(&mut states).await,
        ConnectionState::Connecting { attempt: 1 }
    );
    assert_eq!(next_state(&mut states).await, ConnectionState::Connected);
    assert_eq!(client.call::<i64>("add", &(1, 2)).await.unwrap(), 3);

    server.stop().await;
    until_disconnected(&mut states).await;
    let _server = Server::start(&addr, swill_examples::demo::app);

    let sum = patiently(client.call::<i64>("add", &(2, 3))).await.unwrap();
    assert_eq!(sum, 5);
    assert_eq!(
        next_state(&mut states).await,
        ConnectionState::Connecting { attempt: 1 }
    );
    assert_eq!(next_state(&mut states).await, ConnectionState::Connected);
}

/// A round of attempts with a minute between them: close() ends it at
/// once, and the waiting call says the client was closed.
#[tokio::test]
async fn close_ends_a_round_of_reconnect_attempts_at_once() {
    let server = Server::demo();
    let slow = ReconnectPolicy {
        initial_backoff: Duration::from_secs(60),
        max_backoff: Duration::from_secs(60),
        max_attempts: None,
        jitter: 0.0,
        ..ReconnectPolicy::default()
    };
    let (client, mut states) = watched(server.url(), slow).await;
    server.stop().await;
    until_disconnected(&mut states).await;
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { client.call::<i64>("add", &(1, 2)).await }
    });
    // The round's first attempt fails; it then pauses for a minute.
    assert_eq!(
        next_state(&mut states).await,
        ConnectionState::Connecting { attempt: 1 }
    );
    until_disconnected(&mut states).await;
    patiently(client.close()).await;
    let error = patiently(waiting).await.expect("joined").unwrap_err();
    assert!(
        error.message().contains("the client was closed"),
        "{error:?}"
    );
}

#[tokio::test]
async fn reconnecting_gives_up_after_the_policys_attempts() {
    let server = Server::demo();
    let (client, mut states) = watched(server.url(), quick(2)).await;
    server.stop().await;
    until_disconnected(&mut states).await;

    let error = patiently(client.call::<i64>("add", &(1, 2)))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    assert_eq!(error.code(), Code::UNAVAILABLE);
    for attempt in [1, 2] {
        assert_eq!(
            next_state(&mut states).await,
            ConnectionState::Connecting { attempt }
        );
        let failed = next_state(&mut states).await;
        assert!(
            matches!(failed, ConnectionState::Disconnected { .. }),
            "{failed:?}"
        );
    }
}

#[tokio::test]
async fn without_reconnecting_a_lost_client_stays_lost() {
    let server = Server::demo();
    let (client, mut states) = watched(server.url(), ReconnectPolicy::none()).await;
    server.stop().await;
    until_disconnected(&mut states).await;
    let error = client.call::<i64>("add", &(1, 2)).await.unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    assert!(error.message().contains("reconnecting is off"), "{error}");
}

#[tokio::test]
async fn connecting_to_nothing_fails_with_503() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = unused.local_addr().unwrap();
    drop(unused);
    let error = Client::connect(format!("ws://{addr}/ws"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Connect { status: None, .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), Code::UNAVAILABLE);
}

#[tokio::test]
async fn a_refused_upgrade_reports_the_http_status() {
    let server = Server::demo();
    let wrong_path = format!("ws://{}/elsewhere", server.addr);
    let error = Client::connect(wrong_path).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Connect {
                status: Some(404),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
#[allow(clippy::result_large_err)] // the handshake callback's error type is tungstenite's
async fn keepalive_drops_a_connection_whose_server_went_silent() {
    // A server that completes the handshake, then never reads again: it
    // answers no ping, though its socket stays open.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let echo = |_: &Request, mut response: Response| {
            let token = HeaderValue::from_static("swill.v1");
            response
                .headers_mut()
                .insert("sec-websocket-protocol", token);
            Ok(response)
        };
        let _silent = tokio_tungstenite::accept_hdr_async(tcp, echo)
            .await
            .unwrap();
        std::future::pending::<()>().await;
    });
    let (tx, mut states) = mpsc::unbounded_channel();
    let _client = Client::builder(url)
        .keepalive(Duration::from_millis(20))
        .on_state_change(move |state| {
            let _ = tx.send(state.clone());
        })
        .connect()
        .await
        .unwrap();
    let reason = loop {
        if let ConnectionState::Disconnected { reason } = next_state(&mut states).await {
            break reason;
        }
    };
    assert!(reason.contains("keepalive"), "{reason}");
}
