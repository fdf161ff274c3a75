//! The error a handler returns, and how failures become ERROR frames.

use std::fmt;

use serde::Serialize;
use swill_proto::{Code, DataError, ErrorBody, Payload, Value};

/// A failure that reaches the client as an ERROR frame, with its code.
///
/// ```
/// use swill::{Code, Error};
/// let err = Error::new(Code::FORBIDDEN, "admins only").with_data(serde_json::json!({"role": "guest"}));
/// assert_eq!(err.code(), Code::FORBIDDEN);
/// ```
///
/// Any code can be used; [`Code`] names the ones the protocol gives a meaning
/// to. Whatever a handler returns keeps its code on the wire. Unexpected
/// failures (a panic, a reply that cannot be encoded) become
/// [`Error::internal`], whose message never leaks details.
#[derive(Clone, Debug, PartialEq)]
pub struct Error(ErrorBody);

/// The message of every 500, as the original Swill sends it.
pub(crate) const INTERNAL_MESSAGE: &str = "An internal server error occurred";

/// The message of a 404 for an unknown rpc, as the original Swill sends it.
pub(crate) const NOT_FOUND_MESSAGE: &str = "No func was found to process this request";

impl Error {
    /// An error with a code and a message.
    pub fn new(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Error(ErrorBody::new(code.into(), message))
    }

    /// Attaches structured data, encoded as MessagePack. A value that cannot
    /// be encoded is left out and logged: the error itself still goes out.
    pub fn with_data<T: Serialize>(mut self, data: T) -> Self {
        // Through the payload encoder, so that structs become maps keyed by
        // field name, as everywhere else on the wire.
        let value = Payload::encode(&data)
            .map_err(|e| e.to_string())
            .and_then(|p| p.to_value().map_err(|e| e.to_string()));
        match value {
            Ok(v) => self.0.data = Some(v),
            Err(e) => {
                tracing::error!(error = %e, "error data could not be encoded; sent without it")
            }
        }
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::new(Code::BAD_REQUEST, message)
    }

    /// 401: the caller is not authenticated.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Error::new(Code::UNAUTHORIZED, message)
    }

    /// 403: the caller is not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::new(Code::FORBIDDEN, message)
    }

    /// 404: something the request names does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(Code::NOT_FOUND, message)
    }

    /// 500 with the fixed message "An internal server error occurred". Log
    /// the cause yourself: it is deliberately not sent.
    pub fn internal() -> Self {
        Error::new(Code::INTERNAL_ERROR, INTERNAL_MESSAGE)
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The structured data, if any.
    pub fn data(&self) -> Option<&Value> {
        self.0.data.as_ref()
    }

    /// The wire body of this error.
    pub fn body(&self) -> &ErrorBody {
        &self.0
    }

    /// A request's data that does not fit the handler's type.
    pub(crate) fn bad_data(rpc: &str, expected: &str, err: &DataError) -> Self {
        Error::bad_request(format!(
            "invalid data for `{rpc}`: expected {expected}; {err}"
        ))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {}

impl From<ErrorBody> for Error {
    fn from(body: ErrorBody) -> Self {
        Error(body)
    }
}

impl From<Error> for ErrorBody {
    fn from(e: Error) -> Self {
        e.0
    }
}
