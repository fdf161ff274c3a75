//! The built-in rpcs of topics: `swill.subscribe`, `swill.publish`,
//! `swill.presence` and `swill.topics`, as routes of the app.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use swill_proto::{
    PRESENCE_RPC, PUBLISH_RPC, Payload, PresenceRequest, PublishRequest, SUBSCRIBE_RPC,
    SubscribeRequest, TOPICS_RPC,
};

use super::handle::Topics;
use super::topic::Action;
use crate::error::Error;
use crate::reply::{Reply, encode};
use crate::request::CallInput;
use crate::router::Route;
use crate::schema::Side;

/// The routes that serve `topics` to clients.
pub(crate) fn routes(topics: &Topics) -> Vec<Route> {
    let descriptions = describe(topics);
    vec![
        route(
            SUBSCRIBE_RPC,
            "Subscribes to a topic.",
            topics,
            true,
            subscribe,
        ),
        route(PUBLISH_RPC, "Publishes to a topic.", topics, false, publish),
        route(
            PRESENCE_RPC,
            "Lists a topic's subscribers.",
            topics,
            false,
            presence,
        ),
        Route::new(
            TOPICS_RPC,
            Some("Describes the declared topics.".to_owned()),
            Arc::new(move |_input| {
                let items = descriptions.clone();
                async move { Reply::Stream(futures::stream::iter(items.to_vec()).boxed()) }.boxed()
            }),
            (Side::of::<()>(false), any(true)),
        ),
    ]
}

type Serve = fn(Topics, CallInput) -> BoxFuture<'static, Reply>;

fn route(name: &str, description: &str, topics: &Topics, streams: bool, serve: Serve) -> Route {
    let topics = topics.clone();
    let mut route = Route::new(
        name,
        Some(description.to_owned()),
        Arc::new(move |input| serve(topics.clone(), input)),
        (any(false), any(streams)),
    );
    route.endless = name == SUBSCRIBE_RPC;
    route
}

/// Built-ins are never listed by `swill.introspect`, so any schema will do.
fn any(streams: bool) -> Side {
    Side {
        streams,
        schema: serde_json::Value::Bool(true),
    }
}

fn subscribe(topics: Topics, mut input: CallInput) -> BoxFuture<'static, Reply> {
    async move {
        let opened = async {
            let request: SubscribeRequest = decode(&input.message().await?)?;
            super::subscription::subscribe(&topics, &input.ctx, request).await
        };
        match opened.await {
            Ok(stream) => Reply::Stream(stream.boxed()),
            Err(error) => Reply::Stream(futures::stream::once(async { Err(error) }).boxed()),
        }
    }
    .boxed()
}

fn publish(topics: Topics, mut input: CallInput) -> BoxFuture<'static, Reply> {
    async move {
        let published = async {
            let payload = input.message().await?;
            let request = PublishRequest::decode(&payload).map_err(|e| {
                Error::bad_request(format!("`{PUBLISH_RPC}` takes {{topic, data}}: {e}"))
            })?;
            let declared = topics.find(&request.topic)?;
            declared
                .check(&request.topic, Action::Publish, &input.ctx)
                .await?;
            if let Some(message) = &declared.message {
                (message.check)(&request.topic, &request.data)?;
            }
            let position = topics.publish_payload(&request.topic, request.data).await?;
            encode(&position)
        };
        Reply::Unary(published.await)
    }
    .boxed()
}

fn presence(topics: Topics, mut input: CallInput) -> BoxFuture<'static, Reply> {
    async move {
        let listed = async {
            let request: PresenceRequest = decode(&input.message().await?)?;
            let declared = topics.find(&request.topic)?;
            declared
                .check(&request.topic, Action::Presence, &input.ctx)
                .await?;
            encode(&topics.presence(&request.topic).await?)
        };
        Reply::Unary(listed.await)
    }
    .boxed()
}

fn decode<T: serde::de::DeserializeOwned>(payload: &Payload) -> Result<T, Error> {
    payload
        .decode()
        .map_err(|e| Error::bad_request(format!("malformed topic request: {e}")))
}

/// One encoded `swill.topics` item per declared topic.
fn describe(topics: &Topics) -> Arc<[Result<Payload, Error>]> {
    topics.descriptions().iter().map(encode).collect()
}
