//! Handlers as an axum developer writes them: plain async fns named after
//! themselves, shared state, modules with their own guards, hooks and
//! layers, handlers' own error types, a shutdown signal, and the in-memory
//! test client that drives all of it without sockets.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use swill::testing::{TestClient, TestServer};
use swill::{
    App, Code, Context, Error, Extension, FromRef, Metadata, Module, Outcome, Request, RequestHead,
    State, StreamingRequest,
};
use swill_client::CallOptions;
use tokio::sync::mpsc;

#[derive(Clone)]
struct Db {
    users: Arc<Vec<String>>,
}

#[derive(Clone)]
struct AppState {
    db: Db,
    greeting: &'static str,
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Db {
        state.db.clone()
    }
}

impl FromRef<AppState> for &'static str {
    fn from_ref(state: &AppState) -> &'static str {
        state.greeting
    }
}

async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
    Ok(req.data.0 + req.data.1)
}

/// Sums two numbers, under another name.
#[swill::rpc(name = "sum")]
async fn add_marked(req: Request<(i64, i64)>) -> Result<i64, Error> {
    Ok(req.data.0 + req.data.1)
}

/// Fetches a user's name.
#[swill::rpc]
async fn get(State(db): State<Db>, req: Request<usize>) -> Result<String, Error> {
    db.users
        .get(req.data)
        .cloned()
        .ok_or_else(|| Error::not_found(format!("no user {}", req.data)))
}

async fn greet(
    State(greeting): State<&'static str>,
    State(db): State<Db>,
    req: Request<usize>,
) -> Result<String, Error> {
    Ok(format!("{greeting}, {}", db.users[req.data]))
}

fn db() -> Db {
    Db {
        users: Arc::new(vec!["ada".to_owned(), "grace".to_owned()]),
    }
}

/// Each rpc's name and description, as introspection lists them.
async fn described(client: &TestClient) -> Vec<(String, Option<String>)> {
    let rpcs = client.introspect().await.unwrap();
    rpcs.into_iter().map(|d| (d.name, d.description)).collect()
}

fn code(error: &swill_client::Error) -> Code {
    error.code()
}

#[tokio::test]
async fn the_snippet_of_the_issue_works_as_written() {
    let users = Module::new("users").handle(get);
    let app = App::with_state(db()).handle(add).nest(users);
    let client = TestClient::new(app);
    assert_eq!(client.call::<i64>("add", (1, 2)).await.unwrap(), 3);
    assert_eq!(
        client.call::<String>("users.get", 1).await.unwrap(),
        "grace"
    );
    let missing = client.call::<String>("users.get", 7).await.unwrap_err();
    assert_eq!(code(&missing), Code::NOT_FOUND);
}

#[tokio::test]
async fn a_marked_function_keeps_its_name_and_description_and_stays_callable() {
    // Called directly, as in a unit test.
    assert_eq!(add_marked(Request::new((2, 3))).await.unwrap(), 5);
    let direct = Request {
        data: (1, 1),
        ctx: Context::default(),
    };
    assert_eq!(add_marked(direct).await.unwrap(), 2);

    let app = App::new()
        .handle(add)
        .handle(add_marked)
        .handle_as("renamed", add_marked)
        .handle_layered("layered", add_marked, tower::ServiceBuilder::new())
        .nest(Module::new("m").handle(add_marked));
    let client = TestClient::new(app);
    let described = described(&client).await;
    let doc = Some("Sums two numbers, under another name.".to_owned());
    assert_eq!(
        described,
        vec![
            ("add".to_owned(), None),
            ("sum".to_owned(), doc.clone()),
            ("renamed".to_owned(), doc.clone()),
            ("layered".to_owned(), doc.clone()),
            ("m.sum".to_owned(), doc),
        ]
    );
    for rpc in ["add", "sum", "renamed", "layered", "m.sum"] {
        assert_eq!(
            client.call::<i64>(rpc, (20, 22)).await.unwrap(),
            42,
            "{rpc}"
        );
    }
}

#[test]
#[should_panic(expected = "no name to serve it under")]
fn a_closure_needs_a_name() {
    let _ = App::new().handle(|_req: Request<()>| async { Ok::<_, Error>(()) });
}

#[test]
#[should_panic(expected = "no name to serve it under")]
fn a_closure_in_a_module_needs_a_name_too() {
    let _ = Module::<()>::new("m").handle(|_req: Request<()>| async { Ok::<_, Error>(()) });
}

#[test]
#[should_panic(expected = "`users.get` is registered twice")]
fn a_module_cannot_take_a_name_the_app_has() {
    let _ = App::with_state(db())
        .handle_as("users.get", add)
        .nest(Module::new("users").handle(get));
}

#[test]
#[should_panic(expected = "reserved")]
fn a_module_cannot_reach_into_the_reserved_names() {
    let _ = App::new().nest(Module::new("swill").handle(add));
}

#[tokio::test]
async fn state_reaches_handlers_whole_and_in_parts() {
    let state = AppState {
        db: db(),
        greeting: "hello",
    };
    let app = App::with_state(state)
        .handle(get)
        .handle(greet)
        .handle_as("whole", |State(s): State<AppState>, _r: Request<()>| async move {
            Ok::<_, Error>(s.db.users.len())
        });
    let client = TestClient::new(app);
    assert_eq!(client.call::<String>("get", 0).await.unwrap(), "ada");
    assert_eq!(
        client.call::<String>("greet", 1).await.unwrap(),
        "hello, grace"
    );
    assert_eq!(client.call::<usize>("whole", ()).await.unwrap(), 2);
}

#[derive(Clone, Debug, PartialEq)]
struct User(String);

#[tokio::test]
async fn a_missing_extension_is_an_error_reply_and_the_connection_lives_on() {
    let app = App::new().handle(add).handle_as(
        "me",
        |Extension(user): Extension<User>, _r: Request<()>| async move { Ok::<_, Error>(user.0) },
    );
    let client = TestClient::new(app);
    let error = client.call::<String>("me", ()).await.unwrap_err();
    assert_eq!(code(&error), Code::INTERNAL_ERROR);
    assert_eq!(client.call::<i64>("add", (1, 2)).await.unwrap(), 3);
}

/// A module whose rpcs need the `token` metadata; its hook names the user.
fn signed_in() -> Module {
    Module::new("me")
        .before_request(|mut head: RequestHead| async move {
            let user = match head.metadata.get_str("token") {
                Some("t-ada") => User("ada".to_owned()),
                _ => return Err(Error::unauthorized("sign in first")),
            };
            head.extensions.insert(user);
            Ok(head)
        })
        .handle_as("name", |Extension(user): Extension<User>, _r: Request<()>| async move {
            Ok::<_, Error>(user.0)
        })
}

#[tokio::test]
async fn a_modules_hooks_run_for_its_rpcs_only() {
    let client = TestClient::new(App::new().handle(add).nest(signed_in()));
    // The app's own rpc needs no token.
    assert_eq!(client.call::<i64>("add", (1, 2)).await.unwrap(), 3);
    let refused = client.call::<String>("me.name", ()).await.unwrap_err();
    assert_eq!(code(&refused), Code::UNAUTHORIZED);
    let options = CallOptions::new().metadata_entry("token", "t-ada");
    let named = client
        .call_with::<String>("me.name", (), options)
        .await
        .unwrap();
    assert_eq!(named.data, "ada");
}

fn loopback_only() -> Module {
    Module::new("admin")
        .guard(|head: &RequestHead| {
            head.connection
                .remote_addr()
                .is_some_and(|a| a.ip().is_loopback())
        })
        .handle(add)
}

#[tokio::test]
async fn a_guard_refuses_other_callers_with_403() {
    let app = || App::new().handle_as("open", add).nest(loopback_only());
    let local = TestClient::new(app());
    assert_eq!(local.call::<i64>("admin.add", (1, 2)).await.unwrap(), 3);

    let remote: SocketAddr = "203.0.113.9:4000".parse().unwrap();
    let far = TestServer::new(app()).remote_addr(remote).client();
    let refused = far.call::<i64>("admin.add", (1, 2)).await.unwrap_err();
    assert_eq!(code(&refused), Code::FORBIDDEN);
    assert!(refused.message().contains("admin.add"), "{refused}");
    // Only the module is guarded.
    assert_eq!(far.call::<i64>("open", (1, 2)).await.unwrap(), 3);
}

#[tokio::test]
async fn a_guard_can_read_request_metadata() {
    let beta = Module::new("")
        .guard(|head: &RequestHead| head.metadata.get_str("channel") == Some("beta"))
        .handle_as("preview", add);
    let client = TestClient::new(App::new().nest(beta));
    let refused = client.call::<i64>("preview", (1, 2)).await.unwrap_err();
    assert_eq!(code(&refused), Code::FORBIDDEN);
    let options = CallOptions::new().metadata_entry("channel", "beta");
    let answer = client.call_with::<i64>("preview", (1, 2), options).await;
    assert_eq!(answer.unwrap().data, 3);
}

#[tokio::test]
async fn nested_modules_apply_hooks_outside_in() {
    let (tx, mut order) = mpsc::unbounded_channel();
    let hook = |name: &'static str| {
        let tx = tx.clone();
        move |head: RequestHead| {
            let _ = tx.send(name);
            async move { Ok(head) }
        }
    };
    let inner = Module::new("users")
        .before_request(hook("inner"))
        .handle(add);
    let outer = Module::new("admin")
        .before_request(hook("outer"))
        .nest(inner);
    let app = App::new().before_request(hook("app")).nest(outer);
    let client = TestClient::new(app);
    assert_eq!(
        client.call::<i64>("admin.users.add", (2, 2)).await.unwrap(),
        4
    );
    let seen: Vec<_> = [order.recv().await, order.recv().await, order.recv().await]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(seen, ["app", "outer", "inner"]);
}

#[tokio::test]
async fn a_modules_layer_wraps_each_of_its_rpcs() {
    let slow = Module::new("slow")
        .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(20)))
        .handle_as("never", |_r: Request<()>| async {
            std::future::pending::<()>().await;
            Ok::<_, Error>(())
        })
        .handle(add);
    let client = TestClient::new(App::new().nest(slow));
    let timed_out = client.call::<()>("slow.never", ()).await.unwrap_err();
    assert_eq!(code(&timed_out), Code::DEADLINE_EXCEEDED);
    assert_eq!(client.call::<i64>("slow.add", (1, 2)).await.unwrap(), 3);
}

/// A layer of the app's own: refuses, with a `swill::Error`, the calls
/// whose metadata has no `token`.
#[derive(Clone)]
struct RequireToken<S>(S);

impl<S> tower::Service<swill::CallInput> for RequireToken<S>
where
    S: tower::Service<swill::CallInput, Response = swill::Reply>,
    S::Error: Into<tower::BoxError>,
    S::Future: Send + 'static,
{
    type Response = swill::Reply;
    type Error = tower::BoxError;
    type Future = futures::future::BoxFuture<'static, Result<swill::Reply, tower::BoxError>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), tower::BoxError>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, input: swill::CallInput) -> Self::Future {
        if input.context().metadata().get_str("token").is_none() {
            let refused = Error::unauthorized("no token").with_data(1);
            return Box::pin(async move { Err(refused.into()) });
        }
        let answer = self.0.call(input);
        Box::pin(async move { answer.await.map_err(Into::into) })
    }
}

fn with_token() -> CallOptions {
    CallOptions::new().metadata(swill::Metadata::from([("token", "t")]))
}

#[tokio::test]
async fn a_layer_that_fails_with_a_swill_error_answers_with_it() {
    let guarded = Module::new("guarded")
        .layer(tower::layer::layer_fn(RequireToken))
        .handle(add);
    let client = TestClient::new(App::new().handle(add).nest(guarded));
    let refused = client.call::<i64>("guarded.add", (1, 2)).await.unwrap_err();
    assert_eq!(code(&refused), Code::UNAUTHORIZED);
    assert_eq!(refused.message(), "no token");
    assert_eq!(refused.data(), Some(&swill::Value::from(1)));
    let answer = client
        .call_with::<i64>("guarded.add", (1, 2), with_token())
        .await;
    assert_eq!(
        answer.unwrap().data,
        3,
        "the layer read the call's metadata"
    );
    assert_eq!(client.call::<i64>("add", (1, 2)).await.unwrap(), 3);
}

#[tokio::test]
async fn an_apps_layer_wraps_the_rpcs_registered_before_it() {
    let app = App::new()
        .handle(add)
        .nest(Module::new("m").handle(add))
        .layer(tower::layer::layer_fn(RequireToken))
        .handle_as("later", add);
    let client = TestClient::new(app);
    for rpc in ["add", "m.add"] {
        let refused = client.call::<i64>(rpc, (1, 2)).await.unwrap_err();
        assert_eq!(code(&refused), Code::UNAUTHORIZED, "{rpc}");
    }
    assert_eq!(client.call::<i64>("later", (1, 2)).await.unwrap(), 3);
    // The built-ins are never wrapped.
    assert_eq!(client.introspect().await.unwrap().len(), 3);
}

/// An error type of the service's own.
enum Lookup {
    Missing(u64),
    Down,
}

impl From<Lookup> for Error {
    fn from(e: Lookup) -> Error {
        match e {
            Lookup::Missing(id) => Error::not_found(format!("no user {id}")),
            Lookup::Down => Error::new(Code::UNAVAILABLE, "the directory is down"),
        }
    }
}

async fn lookup(req: Request<u64>) -> Result<String, Lookup> {
    match req.data {
        0 => Err(Lookup::Down),
        1 => Ok("ada".to_owned()),
        id => Err(Lookup::Missing(id)),
    }
}

async fn lookups(req: Request<u64>) -> impl futures::Stream<Item = Result<u64, Lookup>> {
    futures::stream::iter([Ok(req.data), Err(Lookup::Missing(req.data + 1))])
}

#[tokio::test]
async fn handlers_may_fail_with_their_own_error_types() {
    let client = TestClient::new(App::new().handle(lookup).handle(lookups));
    assert_eq!(client.call::<String>("lookup", 1).await.unwrap(), "ada");
    let missing = client.call::<String>("lookup", 9).await.unwrap_err();
    assert_eq!(code(&missing), Code::NOT_FOUND);
    assert_eq!(missing.message(), "no user 9");
    let down = client.call::<String>("lookup", 0).await.unwrap_err();
    assert_eq!(code(&down), Code::UNAVAILABLE);

    let mut items = client.server_stream::<u64>("lookups", 4).await.unwrap();
    assert_eq!(items.next().await.unwrap().unwrap(), 4);
    let ended = items.next().await.unwrap().unwrap_err();
    assert_eq!(code(&ended), Code::NOT_FOUND);
}

#[tokio::test]
async fn the_test_client_speaks_every_call_shape() {
    let client = TestClient::new(swill_examples::demo::app());
    let counted: Vec<u64> = client
        .server_stream::<u64>("count", 3)
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(counted, [0, 1, 2]);

    let (tx, total) = client.client_stream::<i64, i64>("total").await.unwrap();
    for n in [1, 2, 3] {
        tx.send(&n).await.unwrap();
    }
    tx.finish();
    assert_eq!(total.await.unwrap().data, 6);

    let (tx, mut upper) = client.bidi::<String, String>("upper").await.unwrap();
    tx.send(&"a".to_owned()).await.unwrap();
    assert_eq!(upper.next().await.unwrap().unwrap(), "A");
    tx.finish();
    assert!(upper.next().await.is_none());

    let options = CallOptions::new().metadata(Metadata::from([("k", "v")]));
    let echoed = client
        .call_with::<swill::AnyValue>("echo_meta", "x", options)
        .await
        .unwrap();
    assert_eq!(echoed.trailing.get_str("k"), Some("v"));

    let options = CallOptions::new().timeout(Duration::from_millis(10));
    let late = client
        .call_with::<String>("sleep", 60_000u64, options)
        .await;
    assert_eq!(code(&late.unwrap_err()), Code::DEADLINE_EXCEEDED);
}

#[tokio::test]
async fn dropping_a_call_of_the_test_client_cancels_it_on_the_server() {
    let (tx, mut outcomes) = mpsc::unbounded_channel();
    let app = App::new()
        .handle_as("ticks", |_r: Request<()>| async {
            futures::stream::iter(0u64..).map(Ok::<_, Error>)
        })
        .after_request(move |ctx: Context, outcome: Outcome| {
            // Not the client's own `swill.introspect` (it asks for the
            // rpcs' shapes on connecting).
            if ctx.rpc() == "ticks" {
                let _ = tx.send(outcome);
            }
            async {}
        });
    let client = TestClient::new(app);
    let mut ticks = client.server_stream::<u64>("ticks", ()).await.unwrap();
    assert_eq!(ticks.next().await.unwrap().unwrap(), 0);
    drop(ticks);
    assert_eq!(outcomes.recv().await, Some(Outcome::Cancelled));
}

#[tokio::test]
async fn an_endless_stream_sees_shutdown_and_ends_cleanly() {
    let app = App::new().handle_as("ticks", |req: Request<()>| async move {
        let stopping = req.ctx.shutting_down();
        async_stream::stream! {
            tokio::pin!(stopping);
            let mut n = 0u64;
            loop {
                tokio::select! {
                    () = &mut stopping => break,
                    // Paced by the client's reading, not by time.
                    () = tokio::task::yield_now() => { yield Ok::<_, Error>(n); n += 1; }
                }
            }
        }
    });
    let server = TestServer::new(app);
    let client = server.client();
    let mut ticks = client.server_stream::<u64>("ticks", ()).await.unwrap();
    assert_eq!(ticks.next().await.unwrap().unwrap(), 0);
    let stopping = tokio::spawn({
        let server = server.clone();
        async move { server.shutdown().await }
    });
    // Whatever was in flight arrives, then END_OF_STREAM: no error.
    while let Some(item) = ticks.next().await {
        item.expect("the stream ends cleanly");
    }
    stopping.await.unwrap();
}

#[tokio::test]
async fn mounted_in_axum_a_handler_sees_the_peer_address() {
    let app = App::new().handle_as("whoami", |req: Request<()>| async move {
        Ok::<_, Error>(req.ctx.connection().remote_addr().map(|a| a.to_string()))
    });
    let router = axum::Router::new().route_service("/ws", app.into_service());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service).await
    });
    let client = swill_client::Client::connect(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let seen: Option<String> = client.call("whoami", &()).await.unwrap();
    let seen: SocketAddr = seen.expect("the peer address").parse().unwrap();
    assert!(seen.ip().is_loopback());
    assert_ne!(
        seen.port(),
        addr.port(),
        "the client's port, not the server's"
    );
}

#[tokio::test]
async fn a_streaming_request_takes_state_too() {
    async fn tally(
        State(db): State<Db>,
        mut req: StreamingRequest<usize>,
    ) -> Result<String, Error> {
        let mut names = Vec::new();
        while let Some(i) = req.next().await {
            names.push(db.users[i].clone());
        }
        Ok(names.join(","))
    }
    let client = TestClient::new(App::with_state(db()).handle(tally));
    let (tx, answer) = client
        .client_stream::<String, usize>("tally")
        .await
        .unwrap();
    tx.send(&1).await.unwrap();
    tx.send(&0).await.unwrap();
    tx.finish();
    assert_eq!(answer.await.unwrap().data, "grace,ada");
}

mod users {
    use swill::{Error, Request};

    /// Fetches, under another name.
    #[swill::rpc(name = "fetch")]
    pub async fn get(req: Request<u32>) -> Result<u32, Error> {
        Ok(req.data)
    }

    pub mod admin {
        use swill::{Error, Request};

        pub async fn get(req: Request<u32>) -> Result<u32, Error> {
            Ok(req.data + 1)
        }
    }
}

fn orders() -> Module {
    /// An order.
    #[swill::rpc(name = "one")]
    async fn get(req: Request<u32>) -> Result<u32, Error> {
        Ok(req.data + 10)
    }
    Module::new("orders").handle(get)
}

fn invoices() -> Module {
    /// An invoice.
    #[swill::rpc]
    async fn get(req: Request<u32>) -> Result<u32, Error> {
        Ok(req.data + 20)
    }
    Module::new("invoices").handle(get)
}

#[tokio::test]
async fn functions_of_one_name_in_different_places_keep_their_own_records() {
    let app = App::new()
        .handle(users::get)
        .handle(users::admin::get)
        .nest(orders())
        .nest(invoices());
    let client = TestClient::new(app);
    let described = described(&client).await;
    assert_eq!(
        described,
        [
            (
                "fetch".to_owned(),
                Some("Fetches, under another name.".to_owned())
            ),
            ("get".to_owned(), None),
            ("orders.one".to_owned(), Some("An order.".to_owned())),
            ("invoices.get".to_owned(), Some("An invoice.".to_owned())),
        ]
    );
    assert_eq!(client.call::<u32>("get", 1).await.unwrap(), 2);
    assert_eq!(client.call::<u32>("orders.one", 1).await.unwrap(), 11);
    assert_eq!(client.call::<u32>("invoices.get", 1).await.unwrap(), 21);
}

fn generic_module<S: Clone + Send + Sync + 'static>() -> Module<S> {
    Module::new("m").handle(|_r: Request<()>| async { Ok::<_, Error>(()) })
}

#[test]
#[should_panic(expected = "no name to serve it under")]
fn a_closure_inside_a_generic_function_has_no_name_either() {
    let _ = generic_module::<()>();
}

#[test]
#[should_panic(expected = "neither empty nor starts or ends with a dot")]
fn a_module_refuses_an_empty_rpc_name() {
    let _ = Module::<()>::new("users").handle_as("", add);
}

#[tokio::test]
async fn the_test_client_follows_the_apps_path() {
    let client = TestClient::new(App::new().path("/rpc").handle(add));
    assert_eq!(client.call::<i64>("add", (1, 2)).await.unwrap(), 3);
}

#[tokio::test]
async fn hooks_and_layers_reach_the_state_through_the_app() {
    let app = App::with_state(db());
    // A hook captures what it needs from the app's state.
    let users = app.state().users.clone();
    let app = app
        .before_request(move |mut head: RequestHead| {
            let known = users.len();
            async move {
                head.extensions.insert(known);
                Ok(head)
            }
        })
        .handle_as(
            "known",
            |Extension(n): Extension<usize>, _r: Request<()>| async move { Ok::<_, Error>(n) },
        );
    let client = TestClient::new(app);
    assert_eq!(client.call::<usize>("known", ()).await.unwrap(), 2);
}
