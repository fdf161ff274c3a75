//! HTTP tokens (RFC 9110, section 5.6.2): what a WebSocket subprotocol, a
//! header name or a cookie name may hold. A session id travels as a
//! subprotocol token, so a client checks one it is given against this
//! before a WebSocket implementation refuses it with its own words.

/// Whether `text` is a token: one or more visible ASCII characters, none
/// of them a separator (`()<>@,;:\"/[]?={}`).
///
/// ```
/// assert!(swill_proto::is_token("swill.v1"));
/// assert!(!swill_proto::is_token("swill/1")); // `/` separates
/// assert!(!swill_proto::is_token("a b"));
/// assert!(!swill_proto::is_token(""));
/// ```
pub fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_token_byte)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b)
}
