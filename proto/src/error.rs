//! Error codes, the ERROR frame's body, and the codec's own errors.

use std::fmt;

use rmpv::Value;

use crate::frame::Seq;

/// A Swill error code, carried in the `code` field of an ERROR frame.
///
/// The named constants are the codes the protocol gives a meaning to; an
/// application may send any other integer, and peers pass it through.
///
/// ```
/// use swill_proto::Code;
/// assert_eq!(Code::NOT_FOUND.as_i64(), 404);
/// assert_eq!(Code::from(404), Code::NOT_FOUND);
/// assert_eq!(Code::NOT_FOUND.name(), Some("NOT_FOUND"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(i64);

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        impl Code {
            $($(#[$doc])* pub const $name: Code = Code($value);)*

            /// The protocol's name for this code, if it has one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    /// 400: the frame or its data is malformed, or the data does not fit the
    /// handler's request type (the message names what was expected, and where).
    BAD_REQUEST = 400;
    /// 401: the caller is not authenticated.
    UNAUTHORIZED = 401;
    /// 403: the caller is authenticated but not allowed.
    FORBIDDEN = 403;
    /// 404: no handler is registered under the requested rpc name.
    NOT_FOUND = 404;
    /// 408 (ours): the request's deadline (`swill-timeout`) expired before it finished.
    DEADLINE_EXCEEDED = 408;
    /// 409 (ours): a topic subscriber fell too far behind and was ended;
    /// `data` is its last position `{"epoch", "offset"}`, to resume from.
    LAGGED = 409;
    /// 413 (ours): a message exceeds the server's configured size limit.
    MESSAGE_TOO_LARGE = 413;
    /// 422: the data decoded but broke a constraint; `data` maps each field path
    /// to a list of `{"description": ...}` problems.
    VALIDATION_ERROR = 422;
    /// 429 (ours): too many requests are open on this connection.
    TOO_MANY_REQUESTS = 429;
    /// 499 (ours): the call was cancelled by the client itself. Never sent on
    /// the wire; clients use it to report a call they cancelled.
    CANCELLED = 499;
    /// 500: the handler failed unexpectedly. The message never leaks details.
    INTERNAL_ERROR = 500;
    /// 501: defined by the original Swill for an invalid rpc, never sent by it.
    INVALID_RPC = 501;
    /// 503 (ours): the server is shutting down or overloaded; clients also use
    /// it for a connection that was lost while a call was in flight.
    UNAVAILABLE = 503;
}

impl Code {
    /// The numeric value.
    pub const fn as_i64(self) -> i64 {
        self.0
    }
}

impl From<i64> for Code {
    fn from(v: i64) -> Self {
        Code(v)
    }
}

impl From<Code> for i64 {
    fn from(c: Code) -> Self {
        c.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} {}", self.0, name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The body of an ERROR frame: `{"code": int, "message": str, "data": any}`.
///
/// On the wire it is a map with keys in that order, `data` left out when
/// there is none, exactly as the original Swill writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorBody {
    /// What kind of failure this is.
    pub code: Code,
    /// A human-readable explanation.
    pub message: String,
    /// Structured details, such as the field problems of a 422.
    pub data: Option<Value>,
}

impl ErrorBody {
    /// An error body without data.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: message.into(),
            data: None,
        }
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.0, self.message)
    }
}

/// Why a frame could not be decoded, with its seq when that much was readable.
///
/// A server answers such a frame with an ERROR 400 carrying [`Self::seq`];
/// when there is no seq it can only drop the frame and log this error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct DecodeError {
    /// The frame's seq, if it could be read before the failure.
    pub seq: Option<Seq>,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// The ways a frame can be malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The frame is empty or ends in the middle of a value.
    #[error("the frame ends in the middle of a MessagePack value")]
    Truncated,
    /// The frame is larger than the configured limit.
    #[error("the frame is {len} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The frame's length.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The envelope is not a MessagePack array.
    #[error("an envelope must be a MessagePack array, found {0}")]
    NotAnArray(&'static str),
    /// The envelope array has too few elements.
    #[error("an envelope of {len} elements is too short, at least {min} are needed")]
    TooShort {
        /// The array's length.
        len: usize,
        /// The minimum for this direction.
        min: usize,
    },
    /// The first element is not an integer.
    #[error("the seq (element 1) must be an integer, found {0}")]
    BadSeq(&'static str),
    /// The rpc element is not a string.
    #[error("the rpc name (element 3) must be a string, found {0}")]
    BadRpc(&'static str),
    /// The type element is not one of the known types.
    #[error("the frame type must be an integer from 0 to 3, found {0}")]
    BadType(String),
    /// A metadata element is neither nil nor a map with string keys.
    #[error("metadata must be nil or a map with string keys: {0}")]
    BadMetadata(String),
    /// A string is not valid UTF-8.
    #[error("a string is not valid UTF-8")]
    InvalidUtf8,
    /// The reserved marker 0xc1 appeared.
    #[error("invalid MessagePack marker 0x{0:02x}")]
    InvalidMarker(u8),
    /// A declared length is larger than the bytes present.
    #[error("a declared length is larger than the rest of the frame")]
    LengthExceedsInput,
    /// Containers nest more deeply than the configured limit.
    #[error("values nest more than {0} levels deep")]
    TooDeep(usize),
    /// Bytes follow the envelope.
    #[error("{0} bytes follow the envelope; a frame holds exactly one value")]
    TrailingBytes(usize),
}

/// Data that does not fit the type it was decoded into.
///
/// `path` locates the offending field (`user.emails[2]`); it is empty when the
/// problem is the value as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    /// Where in the value the problem is, empty for the root.
    pub path: String,
    /// What serde found wrong there, e.g. `invalid type: string "x", expected i64`.
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "at `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DataError {}

/// A value that could not be encoded as MessagePack (a map with non-string
/// keys where one is required, a serializer that failed...).
#[derive(Debug, thiserror::Error)]
#[error("could not encode the value as MessagePack: {0}")]
pub struct EncodeError(pub(crate) String);
