//! The few MessagePack writers the envelope encoder needs.
//!
//! Each picks the smallest form for its value, as the original Python peers
//! do, so our frames are byte-identical to theirs.

/// Writes an integer in its smallest form: unsigned forms for values >= 0,
/// signed forms for negative ones (what Python's msgpack does).
pub(crate) fn int(out: &mut Vec<u8>, v: i128) {
    if v >= 0 {
        match v {
            0..=0x7f => out.push(v as u8),
            0x80..=0xff => out.extend_from_slice(&[0xcc, v as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend_from_slice(&(v as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend_from_slice(&(v as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&(v as u64).to_be_bytes());
            }
        }
    } else {
        match v {
            -32..=-1 => out.push(v as i8 as u8),
            -0x80..=-33 => out.extend_from_slice(&[0xd0, v as i8 as u8]),
            -0x8000..=-0x81 => {
                out.push(0xd1);
                out.extend_from_slice(&(v as i16).to_be_bytes());
            }
            -0x8000_0000..=-0x8001 => {
                out.push(0xd2);
                out.extend_from_slice(&(v as i32).to_be_bytes());
            }
            _ => {
                out.push(0xd3);
                out.extend_from_slice(&(v as i64).to_be_bytes());
            }
        }
    }
}

/// Writes a UTF-8 string.
pub(crate) fn str(out: &mut Vec<u8>, s: &str) {
    let len = s.len();
    match len {
        0..=31 => out.push(0xa0 | len as u8),
        32..=0xff => out.extend_from_slice(&[0xd9, len as u8]),
        0x100..=0xffff => {
            out.push(0xda);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0xdb);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(s.as_bytes());
}

/// Writes an array header announcing `len` items.
pub(crate) fn array_len(out: &mut Vec<u8>, len: usize) {
    container(out, len, [0x90, 0xdc, 0xdd]);
}

/// Writes a float64 (floats always travel as float64).
pub(crate) fn f64(out: &mut Vec<u8>, v: f64) {
    out.push(0xcb);
    out.extend_from_slice(&v.to_be_bytes());
}

/// Writes a boolean.
pub(crate) fn bool(out: &mut Vec<u8>, v: bool) {
    out.push(if v { 0xc3 } else { 0xc2 });
}

/// Writes a map header announcing `len` key/value pairs.
pub(crate) fn map_len(out: &mut Vec<u8>, len: usize) {
    container(out, len, [0x80, 0xde, 0xdf]);
}

/// A container header: the fix form's base, then the 16- and 32-bit markers.
fn container(out: &mut Vec<u8>, len: usize, [fix, wide16, wide32]: [u8; 3]) {
    match len {
        0..=15 => out.push(fix | len as u8),
        16..=0xffff => {
            out.push(wide16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(wide32);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

/// Writes nil.
pub(crate) fn nil(out: &mut Vec<u8>) {
    out.push(0xc0);
}
