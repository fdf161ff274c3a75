//! WebSocket protocol violations: each closes the connection with 1002 and
//! a reason that says what was wrong (RFC 6455, section 7.4.1).

use std::net::SocketAddr;

use swill_tests::{PATIENCE, UPGRADE_HEADERS, http_get, start_demo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A connection upgraded by hand, to send bytes no client library would.
async fn upgraded(addr: SocketAddr) -> TcpStream {
    let reply = http_get(addr, "/ws", &UPGRADE_HEADERS).await;
    assert_eq!(reply.status, 101);
    reply.tcp
}

/// Reads frames until a close frame; returns its code and reason.
async fn close_frame(tcp: &mut TcpStream) -> (u16, String) {
    let read = async {
        loop {
            let head = tcp.read_u8().await.expect("a frame");
            let len = match tcp.read_u8().await.expect("a length") & 0x7f {
                126 => usize::from(tcp.read_u16().await.expect("a length")),
                127 => panic!("no frame this long is expected"),
                n => usize::from(n),
            };
            let mut body = vec![0; len];
            tcp.read_exact(&mut body).await.expect("the payload");
            if head & 0x0f == 0x8 {
                assert!(body.len() >= 2, "the close frame has a status code");
                let code = u16::from_be_bytes([body[0], body[1]]);
                return (code, String::from_utf8_lossy(&body[2..]).into_owned());
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("a close frame in time")
}

/// A masked client frame: FIN and `first` bits, the given payload.
fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [1, 2, 3, 4];
    let mut frame = vec![first];
    match payload.len() {
        n @ 0..=125 => frame.push(0x80 | n as u8),
        n => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

async fn violation_closes_with_1002(bytes: &[u8]) -> String {
    let addr = start_demo().await;
    let mut tcp = upgraded(addr).await;
    tcp.write_all(bytes).await.expect("write");
    let (code, reason) = close_frame(&mut tcp).await;
    assert_eq!(code, 1002, "reason: {reason}");
    assert!(!reason.is_empty());
    reason
}

#[tokio::test]
async fn an_unmasked_client_frame() {
    violation_closes_with_1002(&[0x82, 0x01, 0xc0]).await;
}

#[tokio::test]
async fn reserved_bits_without_an_extension() {
    violation_closes_with_1002(&masked(0x80 | 0x40 | 0x2, &[0xc0])).await;
}

#[tokio::test]
async fn an_unknown_opcode() {
    violation_closes_with_1002(&masked(0x80 | 0x3, &[])).await;
}

#[tokio::test]
async fn a_control_frame_over_125_bytes() {
    violation_closes_with_1002(&masked(0x80 | 0x9, &[0; 126])).await;
}

#[tokio::test]
async fn a_continuation_without_a_start() {
    violation_closes_with_1002(&masked(0x80, &[0xc0])).await;
}

/// Not a protocol error but invalid data: RFC 6455 (8.1) asks for 1007.
#[tokio::test]
async fn a_text_frame_that_is_not_utf8_closes_with_1007() {
    let addr = start_demo().await;
    let mut tcp = upgraded(addr).await;
    tcp.write_all(&masked(0x80 | 0x1, &[0xff, 0xfe]))
        .await
        .expect("write");
    let (code, reason) = close_frame(&mut tcp).await;
    assert_eq!(code, 1007, "reason: {reason}");
    assert!(reason.contains("UTF-8"), "{reason}");
}
