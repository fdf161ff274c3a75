//! What can go wrong with a call, kept apart by where it went wrong.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use swill_proto::{Code, DataError, ErrorBody, Position, Value};

/// Why a call (or connecting) failed.
///
/// The variants keep a failure the *server* reported ([`Error::Remote`])
/// apart from the ones that happened on this side: a deadline, a cancel, a
/// lost connection, data that would not encode or decode. Every variant
/// still has a Swill [`Code`], so code that only cares about the number can
/// use [`Error::code`] and ignore the rest:
///
/// | variant | [`code`](Error::code) |
/// |---|---|
/// | [`Remote`](Error::Remote) | the code the server sent |
/// | [`Timeout`](Error::Timeout) | 408 `DEADLINE_EXCEEDED` |
/// | [`Cancelled`](Error::Cancelled), [`Closed`](Error::Closed) | 499 `CANCELLED` |
/// | [`Disconnected`](Error::Disconnected), [`Connect`](Error::Connect) | 503 `UNAVAILABLE` |
/// | [`Encode`](Error::Encode), [`Decode`](Error::Decode), [`Invalid`](Error::Invalid) | 400 `BAD_REQUEST` |
/// | [`Missed`](Error::Missed) | 409 `LAGGED` |
///
/// ```
/// use swill_client::Error;
/// use swill_client::{Code, ErrorBody};
///
/// let remote = Error::Remote(ErrorBody::new(Code::NOT_FOUND, "no user with id 7"));
/// assert_eq!(remote.code(), Code::NOT_FOUND);
/// assert_eq!(remote.message(), "no user with id 7");
///
/// let lost = Error::Disconnected { reason: "connection reset".into() };
/// assert_eq!(lost.code(), Code::UNAVAILABLE);
/// assert!(!lost.is_remote());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The server answered the call with an ERROR frame.
    Remote(ErrorBody),
    /// The call's deadline ([`CallOptions::timeout`](crate::CallOptions::timeout))
    /// passed before its answer came; the client sent CANCEL.
    Timeout(Duration),
    /// The call was cancelled on this side.
    Cancelled,
    /// The call is already over (answered, failed or cancelled), so its
    /// request stream takes no more messages. The outcome is on the
    /// response side.
    Closed,
    /// The connection was lost while the call was in flight.
    Disconnected {
        /// What happened to the connection.
        reason: String,
    },
    /// No connection could be made (or made again).
    Connect {
        /// The HTTP status, when the server answered the upgrade request
        /// with something other than 101 (a hook's 401, a 400 for an
        /// unsupported subprotocol...).
        status: Option<u16>,
        /// What went wrong.
        reason: String,
    },
    /// A request message could not be encoded as MessagePack.
    Encode(String),
    /// An answer did not fit the expected type, or a frame from the server
    /// was malformed.
    Decode(DataError),
    /// The client was given something unusable: a URL or header that is
    /// not valid HTTP.
    Invalid(String),
    /// A topic's publications were lost and cannot be recovered (the
    /// topic's history was too short, or its engine lost it). A
    /// [`Subscription`](crate::Subscription) yields this and goes on after
    /// `now`; the application should reload what it derives from the topic.
    Missed {
        /// The last position delivered before the loss, if any.
        last: Option<Position>,
        /// Where the subscription goes on.
        now: Position,
    },
}

impl Error {
    /// The Swill code: the server's for [`Error::Remote`], the table above
    /// for the others.
    pub fn code(&self) -> Code {
        match self {
            Error::Remote(body) => body.code,
            Error::Timeout(_) => Code::DEADLINE_EXCEEDED,
            Error::Cancelled | Error::Closed => Code::CANCELLED,
            Error::Disconnected { .. } | Error::Connect { .. } => Code::UNAVAILABLE,
            Error::Encode(_) | Error::Decode(_) | Error::Invalid(_) => Code::BAD_REQUEST,
            Error::Missed { .. } => Code::LAGGED,
        }
    }

    /// A human-readable explanation: the server's message for
    /// [`Error::Remote`], ours for the others.
    pub fn message(&self) -> Cow<'_, str> {
        match self {
            Error::Remote(body) => Cow::Borrowed(&body.message),
            Error::Timeout(after) => {
                Cow::Owned(format!("the deadline of {} ms passed", after.as_millis()))
            }
            Error::Cancelled => Cow::Borrowed("the call was cancelled"),
            // Also after `end()`, while answers still come: the request
            // stream is what is over.
            Error::Closed => Cow::Borrowed("the request stream is over and takes no more messages"),
            Error::Disconnected { reason } => Cow::Owned(format!("connection lost: {reason}")),
            Error::Connect {
                status: Some(status),
                reason,
            } => Cow::Owned(format!("could not connect (HTTP {status}): {reason}")),
            Error::Connect { reason, .. } => Cow::Owned(format!("could not connect: {reason}")),
            Error::Encode(why) => Cow::Owned(format!("the request could not be encoded: {why}")),
            Error::Decode(why) => Cow::Owned(format!("the answer could not be decoded: {why}")),
            Error::Invalid(why) => Cow::Borrowed(why),
            Error::Missed {
                last: Some(last),
                now,
            } => Cow::Owned(format!(
                "publications after {last} were lost; the subscription goes on after {now}"
            )),
            Error::Missed { last: None, now } => Cow::Owned(format!(
                "publications were lost; the subscription goes on after {now}"
            )),
        }
    }

    /// Structured details the server attached to its error, such as the
    /// field problems of a 422. Only remote errors carry data.
    pub fn data(&self) -> Option<&Value> {
        match self {
            Error::Remote(body) => body.data.as_ref(),
            _ => None,
        }
    }

    /// Whether the server sent this error (as opposed to a local failure).
    pub fn is_remote(&self) -> bool {
        matches!(self, Error::Remote(_))
    }

    /// Whether the connection is to blame (lost, or never made): the calls
    /// worth retrying once the client has reconnected.
    pub fn is_connection(&self) -> bool {
        matches!(self, Error::Disconnected { .. } | Error::Connect { .. })
    }

    /// The error as an ERROR frame body, e.g. to pass it on to another
    /// peer unchanged.
    pub fn into_body(self) -> ErrorBody {
        match self {
            Error::Remote(body) => body,
            other => ErrorBody::new(other.code(), other.message()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code().as_i64(), self.message())
    }
}

impl std::error::Error for Error {}

impl From<ErrorBody> for Error {
    fn from(body: ErrorBody) -> Self {
        Error::Remote(body)
    }
}

impl From<DataError> for Error {
    fn from(e: DataError) -> Self {
        Error::Decode(e)
    }
}

/// A decode failure that has no field path, such as a malformed frame.
pub(crate) fn decode_error(message: impl Into<String>) -> Error {
    Error::Decode(DataError {
        path: String::new(),
        message: message.into(),
    })
}
