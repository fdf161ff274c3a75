//! Static files beside the WebSocket endpoint (`App::serve_static`): content
//! types, ETags and 304, HEAD, 405, 404, prefixes and fall-through, and the
//! WebSocket endpoint untouched.

use std::net::SocketAddr;

use swill::{App, Error, Request, StaticFiles};
use swill_tests::{HttpReply, Raw, UPGRADE_HEADERS, http_get, http_request, start};

const INDEX: &[u8] = b"<!doctype html><title>home</title>";
const SCRIPT: &[u8] = b"console.log('hi')";
const WASM: &[u8] = b"\0asm\x01\0\0\0";

fn site() -> StaticFiles {
    StaticFiles::new()
        .file("index.html", INDEX)
        .file("js/app.js", SCRIPT)
        .file("pkg/client_bg.wasm", WASM)
        .file("style.css", &b"body{}"[..])
        .file("my file.txt", &b"spaced"[..])
        .file_with_type("feed", &b"<feed/>"[..], "application/atom+xml")
}

async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
    Ok(req.data.0 + req.data.1)
}

async fn serve(app: App) -> SocketAddr {
    start(app.handle_as("add", add)).await
}

fn header<'a>(reply: &'a HttpReply, name: &str) -> &'a str {
    match reply.header_values(name)[..] {
        [value] => value,
        ref values => panic!("expected one {name} header, got {values:?} in {reply:?}"),
    }
}

#[tokio::test]
async fn files_are_served_with_their_content_type() {
    let addr = serve(App::new().serve_static("/", site())).await;
    let cases: [(&str, &str, &[u8]); 6] = [
        ("/", "text/html; charset=utf-8", INDEX),
        ("/index.html", "text/html; charset=utf-8", INDEX),
        ("/js/app.js", "text/javascript; charset=utf-8", SCRIPT),
        ("/pkg/client_bg.wasm", "application/wasm", WASM),
        ("/style.css", "text/css; charset=utf-8", b"body{}"),
        ("/feed", "application/atom+xml", b"<feed/>"),
    ];
    for (path, content_type, body) in cases {
        let reply = http_get(addr, path, &[]).await;
        assert_eq!(reply.status, 200, "{path}: {reply:?}");
        assert_eq!(header(&reply, "content-type"), content_type, "{path}");
        assert_eq!(reply.body, body, "{path}");
        assert_eq!(header(&reply, "cache-control"), "no-cache", "{path}");
        assert_eq!(
            header(&reply, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
    }
    let spaced = http_get(addr, "/my%20file.txt", &[]).await;
    assert_eq!((spaced.status, &spaced.body[..]), (200, &b"spaced"[..]));
}

#[tokio::test]
async fn an_unchanged_file_is_not_sent_again() {
    let addr = serve(App::new().serve_static("/", site())).await;
    let first = http_get(addr, "/js/app.js", &[]).await;
    let etag = header(&first, "etag").to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong ETag: {etag}"
    );

    let again = http_get(addr, "/js/app.js", &[&format!("If-None-Match: {etag}")]).await;
    assert_eq!(again.status, 304, "{again:?}");
    assert!(again.body.is_empty());
    assert_eq!(header(&again, "etag"), etag);

    let listed = format!("If-None-Match: \"other\", W/{etag}");
    assert_eq!(http_get(addr, "/js/app.js", &[&listed]).await.status, 304);
    let stale = http_get(addr, "/js/app.js", &["If-None-Match: \"other\""]).await;
    assert_eq!((stale.status, &stale.body[..]), (200, SCRIPT));
    let other = http_get(addr, "/style.css", &[]).await;
    assert_ne!(
        header(&other, "etag"),
        etag,
        "different bytes, different ETag"
    );
}

#[tokio::test]
async fn head_answers_the_headers_alone() {
    let addr = serve(App::new().serve_static("/", site())).await;
    let reply = http_request(addr, "HEAD", "/js/app.js", &[]).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(header(&reply, "content-length"), SCRIPT.len().to_string());
    assert_eq!(
        header(&reply, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(reply.body.is_empty());
    let get = http_get(addr, "/js/app.js", &[]).await;
    assert_eq!(header(&get, "etag"), header(&reply, "etag"));
}

#[tokio::test]
async fn other_methods_are_not_allowed() {
    let addr = serve(App::new().serve_static("/", site())).await;
    for method in ["POST", "PUT", "DELETE"] {
        let reply = http_request(addr, method, "/index.html", &["Content-Length: 0"]).await;
        assert_eq!(reply.status, 405, "{method}: {reply:?}");
        assert_eq!(header(&reply, "allow"), "GET, HEAD");
    }
}

#[tokio::test]
async fn unknown_paths_are_not_found() {
    let addr = serve(App::new().serve_static("/static", site())).await;
    for path in [
        "/static/nope.js",
        "/elsewhere",
        "/staticjs/app.js",
        "/static/..%2findex.html",
        "/static/%zz",
    ] {
        let reply = http_get(addr, path, &[]).await;
        assert_eq!(reply.status, 404, "{path}: {reply:?}");
        assert_eq!(reply.body, b"not found", "{path}");
    }
    // Without any mount, as before: 404 off the WebSocket path.
    let bare = serve(App::new()).await;
    assert_eq!(http_get(bare, "/index.html", &[]).await.status, 404);
}

#[tokio::test]
async fn a_prefix_serves_its_files_and_redirects_to_its_index() {
    let addr = serve(App::new().serve_static("/static/", site())).await;
    let reply = http_get(addr, "/static/js/app.js", &[]).await;
    assert_eq!((reply.status, &reply.body[..]), (200, SCRIPT));
    let index = http_get(addr, "/static/", &[]).await;
    assert_eq!((index.status, &index.body[..]), (200, INDEX));
    // Without the slash, relative links in the page would resolve wrongly.
    let bare = http_get(addr, "/static?tab=1", &[]).await;
    assert_eq!(bare.status, 308, "{bare:?}");
    assert_eq!(header(&bare, "location"), "/static/?tab=1");
}

#[tokio::test]
async fn the_longest_prefix_wins_and_missing_files_fall_through() {
    let docs = StaticFiles::new().file("index.html", &b"docs"[..]);
    let app = App::new()
        .serve_static("/", site())
        .serve_static("/docs", docs);
    let addr = serve(app).await;
    assert_eq!(http_get(addr, "/docs/", &[]).await.body, b"docs");
    assert_eq!(http_get(addr, "/", &[]).await.body, INDEX);
    // Neither `/docs` nor the site at `/` has `docs/style.css`.
    assert_eq!(http_get(addr, "/docs/style.css", &[]).await.status, 404);
    let with_js = StaticFiles::new().file("docs/app.js", SCRIPT);
    let app = App::new()
        .serve_static("/", with_js)
        .serve_static("/docs", StaticFiles::new().file("index.html", &b"docs"[..]));
    let addr = serve(app).await;
    let fell = http_get(addr, "/docs/app.js", &[]).await;
    assert_eq!((fell.status, &fell.body[..]), (200, SCRIPT));
}

#[tokio::test]
async fn the_websocket_endpoint_is_untouched_by_a_site_at_the_root() {
    let addr = serve(App::new().serve_static("/", site())).await;
    let mut client = Raw::connect(addr).await;
    client.assert_next_is_answer_to_add(1).await;
    // A plain GET of the WebSocket path is still told to upgrade.
    assert_eq!(http_get(addr, "/ws", &[]).await.status, 426);
    assert_eq!(http_get(addr, "/ws", &UPGRADE_HEADERS).await.status, 101);
}
