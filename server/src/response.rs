//! The plain HTTP responses the server writes itself.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

/// The body of every response the server writes.
pub(crate) type Body = Full<Bytes>;

/// A plain-text response.
pub(crate) fn plain(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A response with no body.
pub(crate) fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = code;
    response
}
