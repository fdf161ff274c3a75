//! Files embedded in the binary, served over plain HTTP beside the
//! WebSocket endpoint: a page, its scripts, its styles.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use crate::response::{Body, status};

/// A set of files, each a path and its bytes, that an app serves over
/// plain HTTP GET (and HEAD) with [`App::serve_static`](crate::App::serve_static).
///
/// The bytes are usually embedded with `include_bytes!`, so the binary
/// needs no files at run time:
///
/// ```
/// use swill::{App, StaticFiles};
///
/// let site = StaticFiles::new()
///     .file("index.html", &b"<!doctype html><title>Hi</title><script src=app.js></script>"[..])
///     .file("app.js", &b"console.log('hi')"[..]);
/// let app = App::new().serve_static("/", site); // GET / serves index.html
/// ```
///
/// - The content type comes from the file's extension (`.html`, `.js`,
///   `.css`, `.json`, `.wasm`, `.svg`, `.png`, ...; see
///   [`StaticFiles::file_with_type`] to choose one).
/// - A path ending in `/` serves its `index.html`.
/// - Every answer carries a strong `ETag` (a hash of the bytes) and
///   `Cache-Control: no-cache`: browsers keep the file and revalidate it,
///   and an unchanged file costs a `304 Not Modified`.
/// - `HEAD` answers the headers alone; other methods get `405` with
///   `Allow: GET, HEAD`; unknown paths fall through (to `404`).
#[derive(Clone, Debug, Default)]
pub struct StaticFiles {
    files: HashMap<String, Arc<Asset>>,
}

/// One file, ready to send.
struct Asset {
    body: Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
}

impl std::fmt::Debug for Asset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Asset")
            .field("len", &self.body.len())
            .field("content_type", &self.content_type)
            .field("etag", &self.etag)
            .finish()
    }
}

impl StaticFiles {
    /// An empty set.
    pub fn new() -> Self {
        StaticFiles::default()
    }

    /// Adds a file at `path` (relative, `/`-separated: `index.html`,
    /// `js/app.js`), its content type guessed from the extension.
    pub fn file(self, path: &str, body: impl Into<Bytes>) -> Self {
        let content_type = content_type(path);
        self.file_with_type(path, body, content_type)
    }

    /// Adds a file with an explicit content type.
    ///
    /// # Panics
    ///
    /// When `content_type` is not a valid header value: a programming error,
    /// caught at startup.
    pub fn file_with_type(
        mut self,
        path: &str,
        body: impl Into<Bytes>,
        content_type: &str,
    ) -> Self {
        let body = body.into();
        let asset = Asset {
            etag: etag(&body),
            content_type: HeaderValue::from_str(content_type)
                .unwrap_or_else(|_| panic!("`{content_type}` is not a valid content type")),
            body,
        };
        self.files
            .insert(path.trim_start_matches('/').to_owned(), Arc::new(asset));
        self
    }

    /// Whether the set has a file at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path.trim_start_matches('/'))
    }

    /// The paths of the files, in no particular order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The answer to a request for `path` (relative to where the set is
    /// mounted, percent-decoded), or `None` when there is no such file.
    pub(crate) fn respond(
        &self,
        path: &str,
        method: &Method,
        headers: &HeaderMap,
    ) -> Option<Response<Body>> {
        let path = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.to_owned()
        };
        let asset = self.files.get(&path)?;
        Some(asset.respond(method, headers))
    }
}

impl Asset {
    fn respond(&self, method: &Method, headers: &HeaderMap) -> Response<Body> {
        let head = *method == Method::HEAD;
        if !head && *method != Method::GET {
            let mut response = status(StatusCode::METHOD_NOT_ALLOWED);
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let fresh = headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == "*" || tag.as_bytes() == self.etag.as_bytes());
        let mut response = match (fresh, head) {
            (true, _) => status(StatusCode::NOT_MODIFIED),
            (false, true) => {
                let mut response = status(StatusCode::OK);
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(self.body.len()));
                response
            }
            (false, false) => Response::new(Body::new(self.body.clone())),
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if !fresh {
            headers.insert(header::CONTENT_TYPE, self.content_type.clone());
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
        }
        response
    }
}

/// A strong ETag: the FNV-1a hash of the bytes, in hex, quoted.
fn etag(body: &[u8]) -> HeaderValue {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    HeaderValue::from_str(&format!("\"{hash:016x}-{:x}\"", body.len()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The content type of a file, from its extension.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "xml" => "application/xml",
        "yaml" | "yml" => "application/yaml",
        "pdf" => "application/pdf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("pkg/client_bg.wasm"), "application/wasm");
        assert_eq!(content_type("App.JS"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }

    #[test]
    fn etags_differ_with_the_bytes() {
        assert_ne!(etag(b"a"), etag(b"b"));
        assert_eq!(etag(b"a"), etag(b"a"));
    }
}
