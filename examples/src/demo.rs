//! The demo app: one handler of each call shape, metadata, errors and
//! struct types. Other crates' tests rely on these handlers.
//!
//! Run with: `cargo run -p swill-examples --bin demo`

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use swill::sessions::Sessions;
use swill::topics::{Topic, Topics, TopicsBuilder};
use swill::{
    AnyValue, App, Code, Error, JsonSchema, Module, Request, State, StreamingRequest, Valid,
};

/// Adds two numbers.
#[swill::rpc]
pub async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
    let (a, b) = req.data;
    a.checked_add(b)
        .ok_or_else(|| Error::bad_request("the sum overflows a 64-bit integer"))
}

/// Streams the integers from 0 to n - 1.
#[swill::rpc]
pub async fn count(req: Request<u64>) -> impl Stream<Item = Result<u64, Error>> {
    futures::stream::iter((0..req.data).map(Ok))
}

/// Sums a stream of integers.
#[swill::rpc]
pub async fn total(mut req: StreamingRequest<i64>) -> Result<i64, Error> {
    let mut sum: i64 = 0;
    while let Some(n) = req.next().await {
        sum = sum
            .checked_add(n)
            .ok_or_else(|| Error::bad_request("the sum overflows a 64-bit integer"))?;
    }
    Ok(sum)
}

/// Upper-cases each string of a stream, as it arrives.
#[swill::rpc]
pub async fn upper(req: StreamingRequest<String>) -> impl Stream<Item = Result<String, Error>> {
    req.map(|s| Ok(s.to_uppercase()))
}

/// Returns its data; copies the request metadata into the leading and the
/// trailing metadata.
#[swill::rpc]
pub async fn echo_meta(req: Request<AnyValue>) -> Result<AnyValue, Error> {
    req.ctx.set_leading_metadata(req.metadata().clone());
    req.ctx.set_trailing_metadata(req.metadata().clone());
    Ok(req.data)
}

/// What `fail` should fail with.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Failure {
    /// The error code to answer with.
    pub code: i64,
    /// The error message.
    pub message: String,
}

/// Fails with the given code and message.
#[swill::rpc]
pub async fn fail(req: Request<Failure>) -> Result<(), Error> {
    Err(Error::new(req.data.code, req.data.message))
}

/// Sleeps for the given number of milliseconds, then answers "done".
#[swill::rpc]
pub async fn sleep(req: Request<u64>) -> Result<String, Error> {
    tokio::time::sleep(Duration::from_millis(req.data)).await;
    Ok("done".to_owned())
}

/// Which user to fetch.
#[derive(Debug, Deserialize, Serialize, JsonSchema, garde::Validate)]
pub struct UserId {
    /// The user's id; ids start at 1, so 0 fails validation (ERROR 422).
    #[garde(range(min = 1))]
    pub id: u64,
}

/// A user of the demo's directory.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
pub struct User {
    /// The user's id.
    pub id: u64,
    /// Their name.
    pub name: String,
    /// Their email address.
    pub email: String,
}

/// The demo's state: a directory of users, shared by every handler that
/// takes `State<Directory>` (a real service would hold a pool here).
#[derive(Clone, Debug)]
pub struct Directory {
    users: Arc<[User]>,
}

impl Default for Directory {
    fn default() -> Self {
        let user = |id, name: &str, email: &str| User {
            id,
            name: name.to_owned(),
            email: email.to_owned(),
        };
        Directory {
            users: Arc::new([
                user(1, "Ada Lovelace", "ada@example.com"),
                user(2, "Grace Hopper", "grace@example.com"),
            ]),
        }
    }
}

/// Fetches a user by id.
#[swill::rpc]
pub async fn get(
    State(directory): State<Directory>,
    req: Request<Valid<UserId>>,
) -> Result<User, Error> {
    let id = req.data.id;
    directory
        .users
        .iter()
        .find(|user| user.id == id)
        .cloned()
        .ok_or_else(|| Error::new(Code::NOT_FOUND, format!("no user with id {id}")))
}

/// The `users` module: `users.get`.
pub fn users() -> Module<Directory> {
    Module::new("users").handle(get)
}

/// What `session.put` stores.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// Any value.
    pub value: AnyValue,
}

/// Stores a value in the caller's session, under a key.
#[swill::rpc(name = "put")]
pub async fn session_put(req: Request<Entry>) -> Result<(), Error> {
    let session = req.ctx.session().ok_or_else(no_sessions)?;
    session.insert(&req.data.key, &req.data.value)
}

/// The value under a key of the caller's session, or null.
#[swill::rpc(name = "get")]
pub async fn session_get(req: Request<String>) -> Result<Option<AnyValue>, Error> {
    let session = req.ctx.session().ok_or_else(no_sessions)?;
    session.get(&req.data).await
}

fn no_sessions() -> Error {
    Error::internal()
}

/// The demo's topics: `chat`, open to all, keeping its last 1000 messages
/// for an hour. Build it as is for one process, or add
/// [`TopicsBuilder::redis`] to share it between nodes.
pub fn topics() -> TopicsBuilder {
    Topics::builder().topic(
        Topic::new("chat")
            .history(1000, Some(Duration::from_secs(3600)))
            .description("The demo's chat room: anyone may subscribe and publish any value."),
    )
}

/// The demo app, with every handler above, the `chat` topic in this
/// process, the playground at `/` and its AsyncAPI document at
/// `/asyncapi.json`.
pub fn app() -> DemoApp {
    app_with(topics().build(), Sessions::memory())
}

/// The demo app's type: its state is the user directory.
pub type DemoApp = App<Directory>;

/// The demo app over the given topics and sessions (e.g. in Redis).
pub fn app_with(topics: Topics, sessions: Sessions) -> DemoApp {
    App::with_state(Directory::default())
        .topics(topics)
        .sessions(sessions)
        .title("swill demo")
        .playground("/")
        .asyncapi("/asyncapi.json")
        .handle(add)
        .handle(count)
        .handle(total)
        .handle(upper)
        .handle(echo_meta)
        .handle(fail)
        .handle(sleep)
        .nest(users())
        .nest(
            Module::new("session")
                .handle(session_put)
                .handle(session_get),
        )
}
