//! The app's plain-HTTP side, beside its WebSocket endpoint: static files,
//! the AsyncAPI document of its API, and the playground page.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use serde_json::json;
use swill_proto::{AsyncApi, RpcDescription, TopicDescription};

use crate::config::SUBPROTOCOLS;
use crate::playground;
use crate::response::{Body, plain, status};
use crate::static_files::StaticFiles;

/// What the app serves over plain HTTP, as registered.
#[derive(Debug)]
pub(crate) struct Site {
    mounts: Vec<Mount>,
    asyncapi: Option<String>,
    /// The document to serve as is (the one a spec-first app enforces),
    /// instead of one made from the code.
    fixed: Option<Arc<serde_json::Value>>,
    playground: Option<String>,
    title: String,
    version: String,
}

impl Default for Site {
    fn default() -> Self {
        Site {
            mounts: Vec::new(),
            asyncapi: None,
            fixed: None,
            playground: None,
            title: "swill API".to_owned(),
            version: "0.1.0".to_owned(),
        }
    }
}

impl Site {
    /// Serves `files` under `prefix`.
    pub(crate) fn mount(&mut self, prefix: &str, files: StaticFiles) {
        self.mounts.push(Mount {
            prefix: normalize(prefix),
            content: Content::Files(files),
        });
    }

    pub(crate) fn set_asyncapi(&mut self, path: &str) {
        self.asyncapi = Some(normalize(path));
    }

    pub(crate) fn set_playground(&mut self, prefix: &str) {
        self.playground = Some(normalize(prefix));
    }

    pub(crate) fn set_title(&mut self, title: String) {
        self.title = title;
    }

    pub(crate) fn set_version(&mut self, version: String) {
        self.version = version;
    }

    /// Serves `document` as the AsyncAPI document, as it was given.
    #[cfg_attr(not(feature = "spec"), allow(dead_code))]
    pub(crate) fn set_fixed(&mut self, document: serde_json::Value) {
        self.fixed = Some(Arc::new(document));
    }
}

/// Files served under a path prefix, or a document at an exact path.
#[derive(Debug)]
struct Mount {
    prefix: String,
    content: Content,
}

#[derive(Debug)]
enum Content {
    Files(StaticFiles),
    /// The AsyncAPI document; its server is the `Host` the request names.
    AsyncApi(Arc<Document>),
}

#[derive(Debug)]
struct Document {
    fixed: Option<Arc<serde_json::Value>>,
    rpcs: Vec<RpcDescription>,
    topics: Vec<TopicDescription>,
    title: String,
    version: String,
    ws_path: String,
}

/// The plain-HTTP side, frozen with the app: mounts by longest prefix.
#[derive(Debug)]
pub(crate) struct Pages {
    mounts: Vec<Mount>,
}

impl Site {
    /// The frozen pages, once the rpcs and the WebSocket path are known.
    pub(crate) fn freeze(
        self,
        rpcs: &[RpcDescription],
        topics: Vec<TopicDescription>,
        ws_path: &str,
    ) -> Pages {
        let mut mounts = self.mounts;
        if let Some(prefix) = self.playground {
            let config = json!({
                "title": self.title,
                "ws": ws_path,
                "asyncapi": self.asyncapi,
            });
            let files = playground::files().file("config.json", Bytes::from(config.to_string()));
            mounts.push(Mount {
                prefix,
                content: Content::Files(files),
            });
        }
        if let Some(path) = self.asyncapi {
            let document = Document {
                fixed: self.fixed,
                rpcs: rpcs.to_vec(),
                topics,
                title: self.title,
                version: self.version,
                ws_path: ws_path.to_owned(),
            };
            mounts.push(Mount {
                prefix: path,
                content: Content::AsyncApi(Arc::new(document)),
            });
        }
        // Stable: among equal prefixes, the first registered wins.
        mounts.sort_by_key(|m| std::cmp::Reverse(m.prefix.len()));
        Pages { mounts }
    }
}

impl Pages {
    /// The answer to a plain HTTP request: a file, the AsyncAPI document,
    /// a redirect from `/prefix` to `/prefix/`, or 404.
    pub(crate) fn respond<B>(&self, req: &Request<B>) -> Response<Body> {
        let path = req.uri().path();
        for mount in &self.mounts {
            let answer = match &mount.content {
                Content::AsyncApi(doc) if path == mount.prefix => Some(doc.respond(req)),
                Content::AsyncApi(_) => None,
                Content::Files(files) => mount.files(files, req),
            };
            if let Some(answer) = answer {
                return answer;
            }
        }
        plain(StatusCode::NOT_FOUND, "not found".into())
    }
}

impl Mount {
    fn files<B>(&self, files: &StaticFiles, req: &Request<B>) -> Option<Response<Body>> {
        let path = req.uri().path();
        if path == self.prefix && self.prefix != "/" && files.contains("index.html") {
            return Some(redirect(&format!("{path}/"), req.uri().query()));
        }
        let rest = if self.prefix == "/" {
            path.strip_prefix('/')
        } else {
            path.strip_prefix(self.prefix.as_str())
                .and_then(|r| r.strip_prefix('/'))
        }?;
        files.respond(&percent_decode(rest)?, req.method(), req.headers())
    }
}

impl Document {
    fn respond<B>(&self, req: &Request<B>) -> Response<Body> {
        if let Some(fixed) = &self.fixed {
            return json_file(serde_json::to_vec_pretty(&**fixed).unwrap_or_default(), req);
        }
        let mut doc = AsyncApi::new(&self.rpcs)
            .topics(&self.topics)
            .title(&self.title)
            .version(&self.version)
            .path(&self.ws_path)
            .subprotocols(SUBPROTOCOLS);
        if let Some(host) = host(req.headers()) {
            doc = doc.host(host).secure(is_https(req));
        }
        json_file(
            serde_json::to_vec_pretty(&doc.document()).unwrap_or_default(),
            req,
        )
    }
}

/// Answers with a JSON document (ETag, HEAD and conditional requests as
/// for any file).
fn json_file<B>(body: Vec<u8>, req: &Request<B>) -> Response<Body> {
    let file = StaticFiles::new().file_with_type("doc", body, "application/json");
    file.respond("doc", req.method(), req.headers())
        .unwrap_or_else(|| status(StatusCode::NOT_FOUND))
}

/// The request's `Host`, when it is a valid `host[:port]`.
fn host(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let authority: http::uri::Authority = host.parse().ok()?;
    (!authority.as_str().contains('@')).then(|| authority.as_str().to_owned())
}

/// A request extension: the request came over the server's own TLS
/// (`Serve::tls`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct OverTls;

/// Whether the client came over TLS: to the server itself, or, as a proxy
/// in front says, to the proxy.
pub(crate) fn is_https<B>(req: &http::Request<B>) -> bool {
    req.extensions().get::<OverTls>().is_some()
        || req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

fn redirect(location: &str, query: Option<&str>) -> Response<Body> {
    let location = match query {
        Some(q) => format!("{location}?{q}"),
        None => location.to_owned(),
    };
    let mut response = status(StatusCode::PERMANENT_REDIRECT);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `/x/` -> `/x`, `x` -> `/x`, `` -> `/`.
fn normalize(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    format!("/{trimmed}")
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are
/// not UTF-8 (no file has such a name).
fn percent_decode(path: &str) -> Option<String> {
    if !path.contains('%') {
        return Some(path.to_owned());
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalized() {
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize(""), "/");
        assert_eq!(normalize("play/"), "/play");
        assert_eq!(normalize("/a/b/"), "/a/b");
    }

    #[test]
    fn paths_are_percent_decoded() {
        assert_eq!(percent_decode("a%20b.txt").as_deref(), Some("a b.txt"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
