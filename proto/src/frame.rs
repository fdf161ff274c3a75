//! The two envelopes of Swill v1 and their type tags.

use std::fmt;

use crate::metadata::Metadata;
use crate::payload::Payload;

/// A request's sequence number, chosen by the client and echoed by the server.
///
/// Any MessagePack integer is valid, from `i64::MIN` to `u64::MAX` (the
/// original server accepts all of them), so it is stored in an `i128`. The
/// server never interprets it; our clients count up from 1.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Seq(i128);

impl Seq {
    /// The numeric value.
    pub const fn get(self) -> i128 {
        self.0
    }

    /// Builds a seq from a value known to be in range, as read off the wire.
    pub(crate) const fn from_wire(v: i128) -> Self {
        Seq(v)
    }
}

macro_rules! seq_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Seq {
            fn from(v: $t) -> Self {
                Seq(i128::from(v))
            }
        }
    )*};
}
seq_from!(u8, u16, u32, u64, i8, i16, i32, i64);

impl fmt::Debug for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a client's frame means (element 4 of a request envelope).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RequestType {
    /// A message: opens a request, or feeds a streaming one.
    Message = 0,
    /// The client's stream of messages is complete.
    EndOfStream = 1,
    /// Opens a streaming request with its metadata and no message yet.
    Metadata = 2,
    /// Stop the request; the server answers nothing.
    Cancel = 3,
}

/// What a server's frame means (element 3 of a response envelope).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ResponseType {
    /// A message: the unary answer (terminal) or one item of a stream.
    Message = 0,
    /// The server's stream is complete (terminal).
    EndOfStream = 1,
    /// Leading metadata, sent on its own before any message.
    Metadata = 2,
    /// The request failed; `data` is an [`ErrorBody`](crate::ErrorBody) (terminal).
    Error = 3,
}

impl RequestType {
    pub(crate) fn from_wire(v: i128) -> Option<Self> {
        Some(match v {
            0 => RequestType::Message,
            1 => RequestType::EndOfStream,
            2 => RequestType::Metadata,
            3 => RequestType::Cancel,
            _ => return None,
        })
    }
}

impl ResponseType {
    pub(crate) fn from_wire(v: i128) -> Option<Self> {
        Some(match v {
            0 => ResponseType::Message,
            1 => ResponseType::EndOfStream,
            2 => ResponseType::Metadata,
            3 => ResponseType::Error,
            _ => return None,
        })
    }
}

/// A client-to-server frame: `[seq, data, rpc, type, metadata]`.
///
/// ```
/// use swill_proto::{Payload, RequestFrame};
/// let frame = RequestFrame::message(1, "add", Payload::encode(&(1, 2)).unwrap());
/// assert_eq!(frame.encode(), b"\x93\x01\x92\x01\x02\xa3add");
/// assert_eq!(RequestFrame::decode(frame.encode().into()).unwrap(), frame);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RequestFrame {
    /// Identifies the request together with `rpc`.
    pub seq: Seq,
    /// The message, or nil for frames without one.
    pub data: Payload,
    /// The handler's name, e.g. `add` or `users.get`.
    pub rpc: String,
    /// What this frame means.
    pub kind: RequestType,
    /// Request metadata, on the frame that opens the request.
    pub metadata: Option<Metadata>,
}

impl RequestFrame {
    /// A MESSAGE frame.
    pub fn message(seq: impl Into<Seq>, rpc: impl Into<String>, data: Payload) -> Self {
        RequestFrame {
            seq: seq.into(),
            data,
            rpc: rpc.into(),
            kind: RequestType::Message,
            metadata: None,
        }
    }

    /// A frame of `kind` without data (END_OF_STREAM, METADATA, CANCEL).
    pub fn control(seq: impl Into<Seq>, rpc: impl Into<String>, kind: RequestType) -> Self {
        RequestFrame {
            kind,
            ..RequestFrame::message(seq, rpc, Payload::nil())
        }
    }

    /// Sets the request metadata.
    #[inline]
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

/// A server-to-client frame: `[seq, data, type, leading_metadata, trailing_metadata]`.
///
/// ```
/// use swill_proto::{Code, ErrorBody, ResponseFrame};
/// let frame = ResponseFrame::error(1, &ErrorBody::new(Code::UNAUTHORIZED, "nope"));
/// assert_eq!(frame.encode(), b"\x95\x01\x82\xa4code\xcd\x01\x91\xa7message\xa4nope\x03\xc0\xc0");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseFrame {
    /// The seq of the request this answers.
    pub seq: Seq,
    /// The message, the error body, or nil.
    pub data: Payload,
    /// What this frame means.
    pub kind: ResponseType,
    /// Leading metadata, at most once per request.
    pub leading: Option<Metadata>,
    /// Trailing metadata, on the final frame.
    pub trailing: Option<Metadata>,
}

impl ResponseFrame {
    /// A MESSAGE frame.
    pub fn message(seq: impl Into<Seq>, data: Payload) -> Self {
        ResponseFrame {
            seq: seq.into(),
            data,
            kind: ResponseType::Message,
            leading: None,
            trailing: None,
        }
    }

    /// An END_OF_STREAM frame.
    pub fn end_of_stream(seq: impl Into<Seq>) -> Self {
        ResponseFrame {
            kind: ResponseType::EndOfStream,
            ..ResponseFrame::message(seq, Payload::nil())
        }
    }

    /// A METADATA frame carrying leading metadata on its own.
    pub fn metadata(seq: impl Into<Seq>, leading: Metadata) -> Self {
        ResponseFrame {
            kind: ResponseType::Metadata,
            leading: Some(leading),
            ..ResponseFrame::message(seq, Payload::nil())
        }
    }

    /// An ERROR frame.
    pub fn error(seq: impl Into<Seq>, error: &crate::ErrorBody) -> Self {
        ResponseFrame {
            kind: ResponseType::Error,
            ..ResponseFrame::message(seq, error.to_payload())
        }
    }

    /// Sets the leading metadata.
    #[inline]
    pub fn with_leading(mut self, leading: Option<Metadata>) -> Self {
        self.leading = leading;
        self
    }

    /// Sets the trailing metadata.
    #[inline]
    pub fn with_trailing(mut self, trailing: Option<Metadata>) -> Self {
        self.trailing = trailing;
        self
    }

    /// Whether this frame ends its request (unary answers are terminal too,
    /// but only the caller knows the call's shape).
    #[inline]
    pub fn ends_stream(&self) -> bool {
        matches!(self.kind, ResponseType::EndOfStream | ResponseType::Error)
    }
}
