//! The HTTP side (docs/protocol.md section 2): which subprotocol the server
//! picks, and what it answers to requests that are not upgrades it accepts.
//! Handshakes are written by hand, so that any token, `swill/1` included,
//! goes out exactly as a peer would send it.

use std::net::SocketAddr;

use swill_tests::{HttpReply, Raw, UPGRADE_HEADERS, WS_ACCEPT, http_get, start_demo};

async fn upgrade(addr: SocketAddr, protocol_headers: &[&str]) -> HttpReply {
    let mut headers = UPGRADE_HEADERS.to_vec();
    headers.extend_from_slice(protocol_headers);
    http_get(addr, "/ws", &headers).await
}

/// Checks a 101 with the given subprotocol, then speaks Swill over it.
async fn assert_upgraded(reply: HttpReply, protocol: Option<&str>) {
    assert_eq!(reply.status, 101, "{reply:?}");
    assert_eq!(reply.header_values("sec-websocket-accept"), [WS_ACCEPT]);
    assert_eq!(
        reply.header_values("sec-websocket-protocol"),
        protocol.into_iter().collect::<Vec<_>>(),
        "the echoed subprotocol"
    );
    let mut client = Raw::from_upgraded(reply.tcp).await;
    client.assert_next_is_answer_to_add(1).await;
}

#[tokio::test]
async fn offering_swill_v1_gets_it_echoed() {
    let addr = start_demo().await;
    assert_upgraded(
        upgrade(addr, &["Sec-WebSocket-Protocol: swill.v1"]).await,
        Some("swill.v1"),
    )
    .await;
    // Through a WebSocket library as well.
    let (mut client, response) = Raw::connect_with_response(addr, Some("swill.v1")).await;
    assert_eq!(
        response.headers().get("sec-websocket-protocol").unwrap(),
        "swill.v1"
    );
    client.assert_next_is_answer_to_add(1).await;
}

#[tokio::test]
async fn offering_the_legacy_swill_1_gets_it_echoed() {
    let addr = start_demo().await;
    assert_upgraded(
        upgrade(addr, &["Sec-WebSocket-Protocol: swill/1"]).await,
        Some("swill/1"),
    )
    .await;
}

#[tokio::test]
async fn with_several_offers_the_clients_first_supported_token_wins() {
    let addr = start_demo().await;
    let cases = [
        ("swill/1, swill.v1", "swill/1"),
        ("swill.v1, swill/1", "swill.v1"),
        ("swill.v1,swill/1", "swill.v1"),
        ("chat, swill.v1", "swill.v1"),
        ("chat, swill/1, swill.v1", "swill/1"),
    ];
    for (offer, picked) in cases {
        let header = format!("Sec-WebSocket-Protocol: {offer}");
        let reply = upgrade(addr, &[&header]).await;
        assert_eq!(reply.status, 101, "offer {offer}");
        assert_eq!(
            reply.header_values("sec-websocket-protocol"),
            [picked],
            "offer {offer}"
        );
    }
    // The offer split over two header lines is one list, in order.
    let reply = upgrade(
        addr,
        &[
            "Sec-WebSocket-Protocol: chat",
            "Sec-WebSocket-Protocol: swill/1",
        ],
    )
    .await;
    assert_upgraded(reply, Some("swill/1")).await;
}

#[tokio::test]
async fn offering_no_subprotocol_is_accepted_without_echoing_one() {
    let addr = start_demo().await;
    assert_upgraded(upgrade(addr, &[]).await, None).await;
    let (mut client, response) = Raw::connect_with_response(addr, None).await;
    assert!(response.headers().get("sec-websocket-protocol").is_none());
    client.assert_next_is_answer_to_add(1).await;
}

#[tokio::test]
async fn offering_only_other_subprotocols_is_refused_with_400_naming_ours() {
    let addr = start_demo().await;
    for offer in ["chat", "chat, mqtt", "swill", "swill.v2"] {
        let header = format!("Sec-WebSocket-Protocol: {offer}");
        let reply = upgrade(addr, &[&header]).await;
        assert_eq!(reply.status, 400, "offer {offer}");
        let body = String::from_utf8(reply.body.clone()).unwrap();
        assert!(
            body.contains("swill.v1"),
            "the body names swill.v1: {body:?}"
        );
        assert!(reply.header_values("sec-websocket-accept").is_empty());
    }
}

#[tokio::test]
async fn a_plain_get_on_the_endpoint_gets_426() {
    let addr = start_demo().await;
    let reply = http_get(addr, "/ws", &[]).await;
    assert_eq!(reply.status, 426);
    assert_eq!(reply.header_values("upgrade"), ["websocket"]);
}

#[tokio::test]
async fn a_get_on_another_path_gets_404() {
    let addr = start_demo().await;
    // (`/` is the demo's playground, see self_documentation.rs.)
    assert_eq!(http_get(addr, "/nothing-here", &[]).await.status, 404);
    assert_eq!(http_get(addr, "/wss", &[]).await.status, 404);
    // Even a valid upgrade, on the wrong path.
    assert_eq!(http_get(addr, "/other", &UPGRADE_HEADERS).await.status, 404);
    // And on a path that has a page: a WebSocket client gets 404 and where
    // the endpoint is, not the page.
    let reply = http_get(addr, "/", &UPGRADE_HEADERS).await;
    assert_eq!(reply.status, 404);
    let body = String::from_utf8_lossy(&reply.body);
    assert!(body.contains("/ws"), "{body}");
    assert_eq!(
        http_get(addr, "/", &[]).await.status,
        200,
        "browsers get the page"
    );
}

#[tokio::test]
async fn an_upgrade_with_an_unsupported_websocket_version_is_refused() {
    let addr = start_demo().await;
    let reply = http_get(
        addr,
        "/ws",
        &[
            "Connection: Upgrade",
            "Upgrade: websocket",
            "Sec-WebSocket-Version: 8",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        ],
    )
    .await;
    assert_eq!(reply.status, 426);
    assert_eq!(reply.header_values("sec-websocket-version"), ["13"]);
}
