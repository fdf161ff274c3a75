//! Sessions: what the server knows about a client survives a reconnection
//! and a move to another node; ids are unguessable, never leak, and can be
//! changed or destroyed.

use std::time::Duration;

use futures::{Stream, StreamExt};

use swill::sessions::Sessions;
use swill::topics::RedisConfig;
use swill::{App, Code, Error, Request, RequestHead};
use swill_client::{Client, Metadata};
use swill_tests::cluster::{Balancer, Node, demo_binary};
use swill_tests::redis::RedisServer;
use swill_tests::{UPGRADE_HEADERS, http_get, start};

/// Where a test's sessions live.
async fn memory() -> (Sessions, Option<RedisServer>) {
    (Sessions::memory(), None)
}

async fn redis() -> (Sessions, Option<RedisServer>) {
    let server = RedisServer::start().await;
    let config = RedisConfig::new(&server.url()).expect("URL");
    (Sessions::builder().redis(config).build(), Some(server))
}

/// Signs in: a new id, then the user.
async fn sign_in(req: Request<String>) -> Result<(), Error> {
    let session = req.ctx.session().ok_or_else(Error::internal)?;
    session.regenerate().await?;
    session.insert("user", &req.data)
}

/// Who signed in.
async fn whoami(req: Request<()>) -> Result<Option<String>, Error> {
    let session = req.ctx.session().ok_or_else(Error::internal)?;
    session.get("user").await
}

/// Signs out, everywhere.
async fn sign_out(req: Request<()>) -> Result<(), Error> {
    req.ctx
        .session()
        .ok_or_else(Error::internal)?
        .destroy()
        .await
}

/// Signs out, then counts to `n`: the new id rides on END_OF_STREAM.
async fn sign_out_counting(req: Request<u32>) -> impl Stream<Item = Result<u32, Error>> {
    let ctx = req.ctx;
    let n = req.data;
    async_stream::try_stream! {
        ctx.session().ok_or_else(Error::internal)?.destroy().await?;
        for i in 0..n {
            yield i;
        }
    }
}

/// Gives the session a new id, then fails.
async fn rotate_then_fail(req: Request<()>) -> Result<(), Error> {
    req.ctx
        .session()
        .ok_or_else(Error::internal)?
        .regenerate()
        .await?;
    Err(Error::bad_request("and then something else went wrong"))
}

/// Signs out, and says so in its own trailing metadata.
async fn sign_out_noted(req: Request<()>) -> Result<(), Error> {
    req.ctx
        .set_trailing_metadata(Metadata::from([("signed-out", true)]));
    req.ctx
        .session()
        .ok_or_else(Error::internal)?
        .destroy()
        .await
}

fn app(sessions: Sessions) -> App {
    App::new()
        .sessions(sessions)
        .handle_as("sign_in", sign_in)
        .handle_as("whoami", whoami)
        .handle_as("sign_out", sign_out)
        .handle_as("sign_out_counting", sign_out_counting)
        .handle_as("sign_out_noted", sign_out_noted)
        .handle_as("rotate_then_fail", rotate_then_fail)
}

async fn client(url: &str, session: Option<&str>) -> Client {
    let mut builder = Client::builder(url);
    if let Some(id) = session {
        builder = builder.session(id);
    }
    builder.connect().await.expect("connect")
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn in_memory() {
                let (sessions, _redis) = super::memory().await;
                super::$name(sessions).await
            }

            #[tokio::test]
            async fn on_redis() {
                let (sessions, _redis) = super::redis().await;
                super::$name(sessions).await
            }
        }
    )*};
}

on_both_stores!(
    a_session_survives_a_new_connection,
    regenerating_changes_the_id_and_the_old_one_is_worth_nothing,
    destroying_empties_the_session_everywhere,
    a_write_to_a_destroyed_session_does_not_bring_it_back,
    only_the_server_sets_the_session_metadata,
    unknown_and_forged_ids_start_a_new_empty_session,
    a_hook_refuses_requests_without_a_user,
    a_new_id_reaches_the_client_past_the_response_hooks,
    a_new_id_comes_with_the_apps_trailing_metadata_and_ends_a_stream,
    a_new_id_from_a_failed_request_comes_with_the_next_answer,
);

async fn a_session_survives_a_new_connection(sessions: Sessions) {
    let addr = start(app(sessions)).await;
    let url = format!("ws://{addr}/ws");
    let first = client(&url, None).await;
    let issued = first.session().expect("the server issues an id");
    assert_eq!(issued.len(), 32, "128 bits in hex");
    first.call::<()>("sign_in", &"ada").await.expect("sign in");
    let id = first.session().expect("an id");
    assert_ne!(id, issued, "signing in regenerates the id");
    drop(first);
    let again = client(&url, Some(&id)).await;
    let user: Option<String> = again.call("whoami", &()).await.expect("whoami");
    assert_eq!(user.as_deref(), Some("ada"));
    assert_eq!(again.session(), Some(id));
}

async fn regenerating_changes_the_id_and_the_old_one_is_worth_nothing(sessions: Sessions) {
    let (url, c, planted) = signed_in(app(sessions)).await;
    // Signing in again (as someone else would, after fixing the id).
    c.call::<()>("sign_in", &"grace").await.expect("sign in");
    let current = c.session().expect("an id");
    assert_ne!(planted, current);
    let attacker = client(&url, Some(&planted)).await;
    let user: Option<String> = attacker.call("whoami", &()).await.expect("whoami");
    assert_eq!(user, None, "the planted id opens nothing");
    assert_ne!(attacker.session(), Some(planted));
    let owner = client(&url, Some(&current)).await;
    let user: Option<String> = owner.call("whoami", &()).await.expect("whoami");
    assert_eq!(user.as_deref(), Some("grace"));
}

async fn destroying_empties_the_session_everywhere(sessions: Sessions) {
    let addr = start(app(sessions)).await;
    let url = format!("ws://{addr}/ws");
    let a = client(&url, None).await;
    a.call::<()>("sign_in", &"ada").await.expect("sign in");
    let id = a.session().expect("an id");
    // A second connection of the same session (another tab).
    let b = client(&url, Some(&id)).await;
    let user: Option<String> = b.call("whoami", &()).await.expect("whoami");
    assert_eq!(user.as_deref(), Some("ada"));
    a.call::<()>("sign_out", &()).await.expect("sign out");
    assert_ne!(a.session(), Some(id.clone()), "a new id after sign-out");
    for c in [&a, &b] {
        let user: Option<String> = c.call("whoami", &()).await.expect("whoami");
        assert_eq!(user, None);
    }
    // The other tab found its session gone on reading it, and moved on.
    assert_ne!(b.session(), Some(id.clone()), "a new id for the other tab");
    assert_ne!(b.session(), a.session());
    let later = client(&url, Some(&id)).await;
    let user: Option<String> = later.call("whoami", &()).await.expect("whoami");
    assert_eq!(user, None);
}

/// A client of `app` (served at the URL returned), signed in as ada, and
/// its session id.
async fn signed_in(app: App) -> (String, Client, String) {
    let addr = start(app).await;
    let url = format!("ws://{addr}/ws");
    let a = client(&url, None).await;
    a.call::<()>("sign_in", &"ada").await.expect("sign in");
    let id = a.session().expect("an id");
    (url, a, id)
}

/// Calls `rpc` (no request, no answer) for its trailing metadata.
async fn trailing_of(client: &Client, rpc: &str) -> Metadata {
    let options = swill_client::CallOptions::new();
    let answer = client.call_with::<()>(rpc, &(), options).await.expect(rpc);
    answer.trailing
}

/// With response hooks the last frame is built on the awaited path; the
/// session's new id (here from a sign-out, which leaves nothing to save)
/// must reach the client there too, beside what the hook adds.
async fn a_new_id_reaches_the_client_past_the_response_hooks(sessions: Sessions) {
    let app = app(sessions).before_trailing_metadata(|_ctx, trailing| async move {
        let mut trailing = trailing.unwrap_or_default();
        trailing.insert("served-by", "node-1");
        Ok(Some(trailing))
    });
    let (_, a, id) = signed_in(app).await;
    let trailing = trailing_of(&a, "sign_out").await;
    assert_eq!(
        trailing.get("served-by").and_then(|v| v.as_str()),
        Some("node-1"),
        "the hook ran"
    );
    let new_id = trailing
        .get(Metadata::SESSION)
        .and_then(|v| v.as_str())
        .expect("the new id in the trailing metadata");
    assert_ne!(new_id, id);
    assert_eq!(a.session().as_deref(), Some(new_id), "the client took it");
}

/// With no hooks the last frame is built at once: the session's new id is
/// merged into what the handler set, and rides on END_OF_STREAM too.
async fn a_new_id_comes_with_the_apps_trailing_metadata_and_ends_a_stream(sessions: Sessions) {
    let (_, a, signed_in) = signed_in(app(sessions)).await;
    let trailing = trailing_of(&a, "sign_out_noted").await;
    assert_eq!(
        trailing.get("signed-out").and_then(|v| v.as_bool()),
        Some(true),
        "the handler's own trailing metadata"
    );
    let after_call = a.session().expect("an id");
    assert_ne!(after_call, signed_in);
    assert_eq!(
        trailing.get(Metadata::SESSION).and_then(|v| v.as_str()),
        Some(after_call.as_str())
    );

    let mut items = a
        .server_stream::<u32>("sign_out_counting", &3)
        .await
        .expect("stream");
    let mut got = Vec::new();
    while let Some(item) = items.next().await {
        got.push(item.expect("item"));
    }
    assert_eq!(got, [0, 1, 2]);
    let after_stream = a.session().expect("an id");
    assert_ne!(after_stream, after_call, "END_OF_STREAM brought a new id");
    assert_eq!(
        items
            .trailing()
            .and_then(|m| m.get(Metadata::SESSION))
            .and_then(|v| v.as_str()),
        Some(after_stream.as_str())
    );
}

/// An ERROR carries no metadata: the id a failed request moved to (its old
/// one deleted already) must reach the client with the next answer, or a
/// reconnection would present a dead id and find the session empty.
async fn a_new_id_from_a_failed_request_comes_with_the_next_answer(sessions: Sessions) {
    let (url, a, before) = signed_in(app(sessions)).await;
    let failed = a.call::<()>("rotate_then_fail", &()).await;
    assert!(
        matches!(failed, Err(swill_client::Error::Remote(ref e)) if e.code == Code::BAD_REQUEST)
    );
    assert_eq!(a.session(), Some(before.clone()), "not told yet");
    let user: Option<String> = a.call("whoami", &()).await.expect("whoami");
    assert_eq!(user.as_deref(), Some("ada"));
    let after = a.session().expect("an id");
    assert_ne!(after, before, "the next answer told the client");
    let again = client(&url, Some(&after)).await;
    let user: Option<String> = again.call("whoami", &()).await.expect("whoami");
    assert_eq!(
        user.as_deref(),
        Some("ada"),
        "the told id holds the session"
    );
}

/// Stores a value without reading the session first.
async fn remember(req: Request<String>) -> Result<(), Error> {
    req.ctx
        .session()
        .ok_or_else(Error::internal)?
        .insert("note", &req.data)
}

async fn a_write_to_a_destroyed_session_does_not_bring_it_back(sessions: Sessions) {
    let addr = start(app(sessions).handle_as("remember", remember)).await;
    let url = format!("ws://{addr}/ws");
    let a = client(&url, None).await;
    a.call::<()>("sign_in", &"ada").await.expect("sign in");
    let id = a.session().expect("an id");
    let b = client(&url, Some(&id)).await;
    a.call::<()>("sign_out", &()).await.expect("sign out");
    b.call::<()>("remember", &"x").await.expect("write");
    assert_ne!(
        b.session(),
        Some(id.clone()),
        "the writer moved to a new session"
    );
    let later = client(&url, Some(&id)).await;
    let user: Option<String> = later.call("whoami", &()).await.expect("whoami");
    assert_eq!(user, None);
    assert_ne!(later.session(), Some(id), "the destroyed id stays gone");
}

/// Tries to set the client's session id itself.
async fn impostor(req: Request<()>) -> Result<(), Error> {
    let forged = Metadata::from([("swill-session", "0123456789abcdef0123456789abcdef")]);
    req.ctx.set_leading_metadata(forged.clone());
    req.ctx.set_trailing_metadata(forged);
    Ok(())
}

async fn only_the_server_sets_the_session_metadata(sessions: Sessions) {
    let addr = start(app(sessions).handle_as("impostor", impostor)).await;
    let c = client(&format!("ws://{addr}/ws"), None).await;
    let issued = c.session().expect("an id");
    c.call::<()>("impostor", &()).await.expect("call");
    assert_eq!(c.session(), Some(issued));
}

async fn unknown_and_forged_ids_start_a_new_empty_session(sessions: Sessions) {
    let addr = start(app(sessions)).await;
    let url = format!("ws://{addr}/ws");
    for forged in [
        "0123456789abcdef0123456789abcdef",
        "not-an-id",
        "../../etc/passwd",
        "",
    ] {
        let c = client(&url, Some(forged)).await;
        let user: Option<String> = c.call("whoami", &()).await.expect("no error");
        assert_eq!(user, None);
        let issued = c.session().expect("a new id");
        assert_ne!(issued, forged);
        assert_eq!(issued.len(), 32);
    }
}

async fn a_hook_refuses_requests_without_a_user(sessions: Sessions) {
    let app = app(sessions).before_request(|head: RequestHead| async move {
        if &*head.rpc == "sign_in" {
            return Ok(head);
        }
        let user: Option<String> = match &head.session {
            Some(session) => session.get("user").await?,
            None => None,
        };
        match user {
            Some(_) => Ok(head),
            None => Err(Error::unauthorized("sign in first")),
        }
    });
    let addr = start(app).await;
    let c = client(&format!("ws://{addr}/ws"), None).await;
    let refused = c
        .call::<Option<String>>("whoami", &())
        .await
        .expect_err("401");
    assert_eq!(refused.code(), Code::UNAUTHORIZED);
    c.call::<()>("sign_in", &"ada").await.expect("sign in");
    let user: Option<String> = c.call("whoami", &()).await.expect("whoami");
    assert_eq!(user.as_deref(), Some("ada"));
}

#[tokio::test]
async fn browsers_get_a_secure_cookie_and_present_it() {
    let addr = start(app(Sessions::memory())).await;
    let reply = http_get(addr, "/ws", &UPGRADE_HEADERS).await;
    assert_eq!(reply.status, 101);
    let cookie = reply.header_values("set-cookie").join("");
    let (pair, attributes) = cookie.split_once(';').expect("attributes");
    let id = pair
        .strip_prefix("swill_session=")
        .expect("the session cookie");
    assert_eq!(reply.header_values("swill-session"), [id]);
    for attribute in ["Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(attributes.contains(attribute), "{cookie}");
    }
    assert!(!attributes.contains("Secure"), "not over plain http");
    // Behind a proxy that terminated TLS, the cookie is Secure.
    let behind_tls = [&UPGRADE_HEADERS[..], &["X-Forwarded-Proto: https"]].concat();
    let reply = http_get(addr, "/ws", &behind_tls).await;
    assert!(
        reply
            .header_values("set-cookie")
            .join("")
            .contains("Secure")
    );
    // A browser presents the cookie on its next upgrade: the same session,
    // once it holds something (an empty session is no session).
    let c = client(&format!("ws://{addr}/ws"), Some(id)).await;
    c.call::<()>("sign_in", &"ada").await.expect("sign in");
    let id = c.session().expect("an id");
    let cookie_header = format!("Cookie: theme=dark; swill_session={id}");
    let with_cookie = [&UPGRADE_HEADERS[..], &[cookie_header.as_str()]].concat();
    let reply = http_get(addr, "/ws", &with_cookie).await;
    assert_eq!(reply.header_values("swill-session"), [id.as_str()]);
}

#[tokio::test]
async fn sessions_expire_when_unused() {
    let redis = RedisServer::start().await;
    let config = RedisConfig::new(&redis.url()).expect("URL");
    for sessions in [
        Sessions::builder()
            .idle_timeout(Duration::from_millis(300))
            .build(),
        Sessions::builder()
            .idle_timeout(Duration::from_millis(300))
            .redis(config)
            .build(),
    ] {
        let addr = start(app(sessions)).await;
        let url = format!("ws://{addr}/ws");
        let c = client(&url, None).await;
        c.call::<()>("sign_in", &"ada").await.expect("sign in");
        let id = c.session().expect("an id");
        drop(c);
        // Nothing signals an expiry: the only way to see one is to let the
        // idle time pass (three times over, for a loaded machine).
        tokio::time::sleep(Duration::from_millis(900)).await;
        let later = client(&url, Some(&id)).await;
        let user: Option<String> = later.call("whoami", &()).await.expect("whoami");
        assert_eq!(user, None, "expired");
        assert_ne!(later.session(), Some(id));
    }
}

#[tokio::test]
async fn a_session_put_on_one_node_is_read_on_another_and_kept_across_failover() {
    let redis = RedisServer::start().await;
    let mut one = Node::start(&redis.url(), "one", &[]).await;
    let two = Node::start(&redis.url(), "two", &[]).await;
    let on_one = client(&one.url(), None).await;
    let entry = serde_json::json!({"key": "theme", "value": "dark"});
    on_one.call::<()>("session.put", &entry).await.expect("put");
    let id = on_one.session().expect("an id");
    let on_two = client(&two.url(), Some(&id)).await;
    let theme: Option<String> = on_two.call("session.get", &"theme").await.expect("get");
    assert_eq!(theme.as_deref(), Some("dark"));

    // A client behind a balancer keeps its session when its node dies.
    let balancer = Balancer::start(vec![one.addr, two.addr]).await;
    let roaming = client(&balancer.url(), None).await;
    let entry = serde_json::json!({"key": "cart", "value": [1, 2]});
    roaming
        .call::<()>("session.put", &entry)
        .await
        .expect("put");
    one.kill().await;
    // A call in flight when the node died fails (the client says so); the
    // next one reconnects, to the other node.
    let cart = match roaming
        .call::<Option<Vec<u32>>>("session.get", &"cart")
        .await
    {
        Err(swill_client::Error::Disconnected { .. }) => roaming.call("session.get", &"cart").await,
        other => other,
    };
    let cart = cart.expect("get after failover");
    assert_eq!(cart, Some(vec![1, 2]));
}

#[tokio::test]
async fn ids_never_appear_in_the_logs() {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    let mut child = tokio::process::Command::new(demo_binary())
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the demo");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut addr = None;
    while let Some(line) = stdout.next_line().await.expect("a line") {
        if let Some(rest) = line.strip_prefix("swill demo listening on ws://") {
            addr = Some(rest.trim_end_matches("/ws").to_owned());
            break;
        }
    }
    let url = format!("ws://{}/ws", addr.expect("the demo listens"));
    let c = client(&url, Some("0123456789abcdef0123456789abcdef")).await;
    let entry = serde_json::json!({"key": "k", "value": 1});
    c.call::<()>("session.put", &entry).await.expect("put");
    let meta = Metadata::from([("note", "x")]);
    let options = swill_client::CallOptions::new().metadata(meta);
    let _: swill_client::Response<Option<u32>> = c
        .call_with("session.get", &"k", options)
        .await
        .expect("get");
    let id = c.session().expect("an id");
    drop(c);
    let _ = child.start_kill();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut logs)
        .await
        .expect("logs");
    while let Ok(Some(line)) = stdout.next_line().await {
        logs.push_str(&line);
    }
    assert!(logs.contains("connected"), "the logs were captured");
    assert!(!logs.contains(&id), "the id leaked into the logs");
    assert!(!logs.contains("0123456789abcdef0123456789abcdef"));
}
