//! Helpers for tests of crates that speak the protocol (feature `test-util`).

/// Turns the wire file's notation into bytes: hex bytes, and "quoted" ASCII.
///
/// ```
/// use swill_proto::testing::wire;
/// assert_eq!(wire(r#"93 01 c0 a1 "x""#), [0x93, 0x01, 0xc0, 0xa1, b'x']);
/// ```
///
/// # Panics
///
/// On a token that is not hex: test vectors are written by hand.
pub fn wire(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            out.extend_from_slice(part.as_bytes());
        } else {
            for hex in part.split_whitespace() {
                out.push(u8::from_str_radix(hex, 16).expect("test vector is hex"));
            }
        }
    }
    out
}
