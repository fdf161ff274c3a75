//! Turning frames into bytes and back: the only framing code of the project.
//!
//! Decoding reads exactly what the wire file allows (requests of 3 to 5
//! elements, responses of 2 to 5, extras ignored) and nothing else: every
//! deviation becomes a [`DecodeError`] that keeps the seq when it was
//! readable. Encoding always uses the smallest MessagePack forms, so frames
//! match the original peers byte for byte.

use bytes::Bytes;
use rmpv::Value;

use crate::error::{DataError, DecodeError, DecodeErrorKind, ErrorBody};
use crate::frame::{RequestFrame, RequestType, ResponseFrame, ResponseType, Seq};
use crate::metadata::Metadata;
use crate::payload::Payload;
use crate::read::{Cursor, Int, describe};
use crate::write;

/// Bounds on what a decoder accepts, so a small frame cannot cost much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The deepest nesting of arrays and maps accepted, the envelope included.
    /// Default 64: deep enough for any sane message, shallow enough that
    /// recursive decoders downstream cannot overflow the stack.
    pub max_depth: usize,
    /// The largest frame accepted, in bytes. Default 16 MiB.
    pub max_frame_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_frame_len: 16 * 1024 * 1024,
        }
    }
}

/// Reads the fields every envelope starts with: the array header and the seq.
fn open_envelope(cur: &mut Cursor<'_>, limits: &Limits) -> Result<(usize, Seq), DecodeError> {
    let no_seq = |kind| DecodeError { seq: None, kind };
    let len = cur.remaining();
    let declared = cur.array_header().map_err(no_seq)?;
    if declared == 0 {
        return Err(no_seq(DecodeErrorKind::TooShort { len: 0, min: 2 }));
    }
    let seq = match cur.int().map_err(no_seq)? {
        Some(seq) => Seq::from_wire(seq),
        None => {
            let marker = cur.peek().map_err(no_seq)?;
            return Err(no_seq(DecodeErrorKind::BadSeq(describe(marker))));
        }
    };
    // Only now judge the frame's size and its declared length: a refusal
    // that names the seq tells the client which request failed.
    if len > limits.max_frame_len {
        return Err(DecodeError {
            seq: Some(seq),
            kind: DecodeErrorKind::TooLarge {
                len,
                limit: limits.max_frame_len,
            },
        });
    }
    let len = cur
        .check_count(declared - 1, 1)
        .map(|rest| rest + 1)
        .map_err(|kind| DecodeError {
            seq: Some(seq),
            kind,
        })?;
    Ok((len, seq))
}

/// Reads an optional type tag: absent or nil mean MESSAGE.
fn read_type<T>(
    cur: &mut Cursor<'_>,
    present: bool,
    default: T,
    from_wire: fn(Int) -> Option<T>,
) -> Result<T, DecodeErrorKind> {
    if !present || cur.eat_nil() {
        return Ok(default);
    }
    match cur.int()? {
        Some(v) => from_wire(v).ok_or_else(|| DecodeErrorKind::BadType(v.to_string())),
        None => Err(DecodeErrorKind::BadType(describe(cur.peek()?).to_owned())),
    }
}

fn read_metadata(cur: &mut Cursor<'_>, present: bool) -> Result<Option<Metadata>, DecodeErrorKind> {
    if present {
        Metadata::decode(cur, 1)
    } else {
        Ok(None)
    }
}

/// Skips elements past the known ones, then insists the frame is over.
fn close_envelope(cur: &mut Cursor<'_>, extra: usize) -> Result<(), DecodeErrorKind> {
    for _ in 0..extra {
        cur.value(1)?;
    }
    match cur.remaining() {
        0 => Ok(()),
        n => Err(DecodeErrorKind::TrailingBytes(n)),
    }
}

fn payload(frame: &Bytes, cur: &mut Cursor<'_>) -> Result<Payload, DecodeErrorKind> {
    let raw = cur.value(1)?;
    Ok(Payload::from_encoded(frame.slice_ref(raw)))
}

impl RequestFrame {
    /// Decodes a request with the default [`Limits`].
    pub fn decode(frame: Bytes) -> Result<Self, DecodeError> {
        Self::decode_with(frame, &Limits::default())
    }

    /// Decodes a request; `data` is sliced out of `frame` without copying.
    pub fn decode_with(frame: Bytes, limits: &Limits) -> Result<Self, DecodeError> {
        let mut cur = Cursor::new(&frame, limits.max_depth);
        let (len, seq) = open_envelope(&mut cur, limits)?;
        let at_seq = |kind| DecodeError {
            seq: Some(seq),
            kind,
        };
        if len < 3 {
            return Err(at_seq(DecodeErrorKind::TooShort { len, min: 3 }));
        }
        let body = (|| {
            let data = payload(&frame, &mut cur)?;
            let rpc = match cur.str()? {
                Some(rpc) => rpc.to_owned(),
                None => return Err(DecodeErrorKind::BadRpc(describe(cur.peek()?))),
            };
            let kind = read_type(
                &mut cur,
                len >= 4,
                RequestType::Message,
                RequestType::from_wire,
            )?;
            let metadata = read_metadata(&mut cur, len >= 5)?;
            close_envelope(&mut cur, len.saturating_sub(5))?;
            Ok(RequestFrame {
                seq,
                data,
                rpc,
                kind,
                metadata,
            })
        })();
        body.map_err(at_seq)
    }

    /// Encodes the request, leaving out trailing defaults as the original
    /// clients do: no metadata gives 4 elements, and a plain MESSAGE 3.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.rpc.len() + self.data.len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoded request to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let len = match (&self.metadata, self.kind) {
            (Some(_), _) => 5,
            (None, RequestType::Message) => 3,
            (None, _) => 4,
        };
        out.push(0x90 | len);
        write::int(out, self.seq.get());
        out.extend_from_slice(self.data.as_bytes());
        write::str(out, &self.rpc);
        if len >= 4 {
            out.push(self.kind as u8);
        }
        if let Some(md) = &self.metadata {
            md.encode(out);
        }
    }
}

impl ResponseFrame {
    /// Decodes a response with the default [`Limits`].
    pub fn decode(frame: Bytes) -> Result<Self, DecodeError> {
        Self::decode_with(frame, &Limits::default())
    }

    /// Decodes a response; shorter forms (2 to 4 elements) are accepted and
    /// a missing type means MESSAGE.
    pub fn decode_with(frame: Bytes, limits: &Limits) -> Result<Self, DecodeError> {
        let mut cur = Cursor::new(&frame, limits.max_depth);
        let (len, seq) = open_envelope(&mut cur, limits)?;
        let at_seq = |kind| DecodeError {
            seq: Some(seq),
            kind,
        };
        if len < 2 {
            return Err(at_seq(DecodeErrorKind::TooShort { len, min: 2 }));
        }
        let body = (|| {
            let data = payload(&frame, &mut cur)?;
            let kind = read_type(
                &mut cur,
                len >= 3,
                ResponseType::Message,
                ResponseType::from_wire,
            )?;
            let leading = read_metadata(&mut cur, len >= 4)?;
            let trailing = read_metadata(&mut cur, len >= 5)?;
            close_envelope(&mut cur, len.saturating_sub(5))?;
            Ok(ResponseFrame {
                seq,
                data,
                kind,
                leading,
                trailing,
            })
        })();
        body.map_err(at_seq)
    }

    /// Encodes the response: always the full 5-element form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.data.len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoded response to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(0x95);
        write::int(out, self.seq.get());
        out.extend_from_slice(self.data.as_bytes());
        out.push(self.kind as u8);
        for md in [&self.leading, &self.trailing] {
            match md {
                Some(md) => md.encode(out),
                None => write::nil(out),
            }
        }
    }
}

impl ErrorBody {
    /// Encodes the body as the map `{code, message[, data]}`, in that order.
    pub fn to_payload(&self) -> Payload {
        let mut out = Vec::with_capacity(24 + self.message.len());
        write::map_len(&mut out, 2 + usize::from(self.data.is_some()));
        write::str(&mut out, "code");
        write::int(&mut out, self.code.as_i64().into());
        write::str(&mut out, "message");
        write::str(&mut out, &self.message);
        if let Some(data) = &self.data {
            write::str(&mut out, "data");
            crate::payload::write_value(&mut out, data);
        }
        Payload::from_encoded(out)
    }

    /// Reads an ERROR frame's body. Keys may come in any order; a missing
    /// message is read as empty, a missing or non-integer code is an error.
    pub fn from_payload(payload: &Payload) -> Result<Self, DataError> {
        let fail = |message: &str| DataError {
            path: String::new(),
            message: message.to_owned(),
        };
        let Value::Map(entries) = payload.to_value()? else {
            return Err(fail("an error body must be a map"));
        };
        let mut code = None;
        let mut body = ErrorBody::new(0.into(), "");
        for (k, v) in entries {
            match (k.as_str(), v) {
                (Some("code"), v) => code = v.as_i64(),
                (Some("message"), Value::String(s)) => {
                    body.message = s.into_str().unwrap_or_default();
                }
                (Some("data"), v) => body.data = Some(v),
                _ => {}
            }
        }
        body.code = code
            .ok_or_else(|| fail("an error body needs an integer `code`"))?
            .into();
        Ok(body)
    }
}
