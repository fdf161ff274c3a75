//! Topics, against both engines: every test here runs once with topics in
//! the server's memory and once with them in a real Redis.

use std::time::Duration;

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use swill::topics::{Access, Action, Topic, Topics};
use swill::{App, Error, JsonSchema, Request};
use swill_client::{Client, Code, Position, Publication};
use swill_proto::{SUBSCRIBE_RPC, SubscribeRequest, TopicEvent};
use swill_tests::redis::RedisServer;
use swill_tests::{PATIENCE, Raw, start};

/// Where a test's topics live.
struct Engine {
    redis: Option<RedisServer>,
}

impl Engine {
    async fn memory() -> Engine {
        Engine { redis: None }
    }

    async fn redis() -> Engine {
        Engine {
            redis: Some(RedisServer::start().await),
        }
    }

    fn topics(&self, declared: Vec<Topic>) -> Topics {
        let mut builder = Topics::builder();
        for topic in declared {
            builder = builder.topic(topic);
        }
        if let Some(redis) = &self.redis {
            let config = swill::topics::RedisConfig::new(&redis.url()).expect("URL");
            builder = builder.redis(config);
        }
        builder.build()
    }

    /// Serves an app over `topics` and connects a client to it.
    async fn serve(&self, app: App) -> (Client, String) {
        let addr = start(app).await;
        let url = format!("ws://{addr}/ws");
        (Client::connect(&url).await.expect("connect"), url)
    }
}

/// Runs each named test once per engine.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn in_memory() {
                super::$name(super::Engine::memory().await).await
            }

            #[tokio::test]
            async fn on_redis() {
                super::$name(super::Engine::redis().await).await
            }
        }
    )*};
}

on_both_engines!(
    every_subscriber_sees_every_publication_once_in_one_order,
    a_resubscription_gets_exactly_what_it_missed,
    what_history_no_longer_holds_is_reported_missed,
    without_history_a_gap_is_reported_not_hidden,
    an_unknown_epoch_is_reported_missed,
    a_position_ahead_of_the_topic_is_reported_missed,
    access_checks_and_unknown_topics_are_refused,
    typed_topics_refuse_publications_that_do_not_fit,
    handlers_publish_through_their_context,
    presence_lists_the_subscribed_connections,
    a_subscriber_that_stops_reading_is_ended_with_its_position,
    a_subscriber_that_falls_behind_and_catches_up_loses_nothing,
);

/// Subscribes to `topic` with raw frames under `seq`, returning the
/// connection and the position the subscription starts after.
async fn raw_subscribe(addr: std::net::SocketAddr, seq: u64, topic: &str) -> (Raw, Position) {
    let mut raw = Raw::connect(addr).await;
    let request = SubscribeRequest {
        topic: topic.into(),
        since: None,
    };
    raw.call(seq, SUBSCRIBE_RPC, request).await;
    match TopicEvent::decode(&raw.recv().await.data).expect("an item") {
        TopicEvent::Subscribed { position, .. } => (raw, position),
        other => panic!("the first item is a position, not {other:?}"),
    }
}

/// The address of a `ws://ADDR/ws` URL.
fn addr_of(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()
        .expect("an address")
}

async fn next<T, S>(stream: &mut S) -> Result<Publication<T>, swill_client::Error>
where
    S: Stream<Item = Result<Publication<T>, swill_client::Error>> + Unpin,
{
    tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("a publication in time")
        .expect("the subscription goes on")
}

async fn every_subscriber_sees_every_publication_once_in_one_order(engine: Engine) {
    let topics = engine.topics(vec![Topic::new("t").history(1000, None)]);
    let (client, url) = engine.serve(App::new().topics(topics.clone())).await;
    let mut subscribers = Vec::new();
    for _ in 0..3 {
        let other = Client::connect(&url).await.expect("connect");
        subscribers.push(other.subscribe::<(u8, u32)>("t").await.expect("subscribe"));
    }
    const EACH: u32 = 100;
    let through_rpc = async {
        for i in 0..EACH {
            client.publish("t", &(1u8, i)).await.expect("publish");
        }
    };
    let in_process = async {
        for i in 0..EACH {
            topics.publish("t", &(2u8, i)).await.expect("publish");
        }
    };
    tokio::join!(through_rpc, in_process);

    let mut orders = Vec::new();
    for subscriber in &mut subscribers {
        let mut seen = Vec::new();
        for _ in 0..2 * EACH {
            seen.push(next(subscriber).await.expect("a publication"));
        }
        let offsets: Vec<u64> = seen.iter().map(|p| p.position.offset).collect();
        assert_eq!(offsets, (1..=u64::from(2 * EACH)).collect::<Vec<_>>());
        for publisher in [1, 2] {
            let own: Vec<u32> = seen
                .iter()
                .filter(|p| p.data.0 == publisher)
                .map(|p| p.data.1)
                .collect();
            assert_eq!(own, (0..EACH).collect::<Vec<_>>(), "publisher {publisher}");
        }
        orders.push(seen.into_iter().map(|p| p.data).collect::<Vec<_>>());
    }
    assert!(orders.windows(2).all(|w| w[0] == w[1]), "one order for all");
}

async fn a_resubscription_gets_exactly_what_it_missed(engine: Engine) {
    let topics = engine.topics(vec![Topic::new("t").history(100, None)]);
    let (client, _) = engine.serve(App::new().topics(topics.clone())).await;
    let mut first = client.subscribe::<u32>("t").await.expect("subscribe");
    for i in 1..=3 {
        topics.publish("t", &i).await.expect("publish");
    }
    let mut last = None;
    for i in 1..=3 {
        let p = next(&mut first).await.expect("publication");
        assert_eq!(p.data, i);
        last = Some(p.position);
    }
    drop(first);
    for i in 4..=7 {
        topics.publish("t", &i).await.expect("publish");
    }
    let last = last.expect("a position");
    let mut again = client
        .subscribe_since::<u32>("t", last.clone())
        .await
        .expect("resubscribe");
    topics.publish("t", &8).await.expect("publish");
    for i in 4..=8 {
        let p = next(&mut again).await.expect("publication");
        assert_eq!((p.data, p.position.offset), (i, u64::from(i)));
        assert_eq!(p.position.epoch, last.epoch);
    }
}

async fn what_history_no_longer_holds_is_reported_missed(engine: Engine) {
    let topics = engine.topics(vec![Topic::new("t").history(2, None)]);
    let (client, _) = engine.serve(App::new().topics(topics.clone())).await;
    let start = topics.publish("t", &0).await.expect("publish");
    for i in 1..=5 {
        topics.publish("t", &i).await.expect("publish");
    }
    let mut again = client
        .subscribe_since::<u32>("t", start.clone())
        .await
        .expect("subscribe");
    match next(&mut again).await {
        Err(swill_client::Error::Missed { last, now }) => {
            assert_eq!(last, Some(start.clone()));
            assert_eq!(now, Position::new(start.epoch.clone(), 6));
        }
        other => panic!("expected Missed, got {other:?}"),
    }
    topics.publish("t", &6).await.expect("publish");
    let p = next(&mut again).await.expect("the stream goes on");
    assert_eq!((p.data, p.position.offset), (6, 7));
}

async fn without_history_a_gap_is_reported_not_hidden(engine: Engine) {
    let topics = engine.topics(vec![Topic::new("t")]);
    let (client, _) = engine.serve(App::new().topics(topics.clone())).await;
    let start = topics.publish("t", &1).await.expect("publish");
    topics.publish("t", &2).await.expect("publish");
    let mut again = client
        .subscribe_since::<u32>("t", start)
        .await
        .expect("subscribe");
    assert!(matches!(
        next(&mut again).await,
        Err(swill_client::Error::Missed { .. })
    ));
}

async fn an_unknown_epoch_is_reported_missed(engine: Engine) {
    let topics = engine.topics(vec![Topic::new("t").history(10, None)]);
    let (client, _) = engine.serve(App::new().topics(topics.clone())).await;
    topics.publish("t", &1).await.expect("publish");
    let stale = Position::new("an-epoch-the-engine-lost", 1);
    let mut again = client
        .subscribe_since::<u32>("t", stale)
        .await
        .expect("subscribe");
    let Err(swill_client::Error::Missed { now, .. }) = next(&mut again).await else {
        panic!("a stale epoch must be reported");
    };
    assert_eq!(now.offset, 1);
    topics.publish("t", &2).await.expect("publish");
    assert_eq!(next(&mut again).await.expect("publication").data, 2);
}

/// A client that saw offsets the topic no longer has (its engine went
/// back) must not have the next publications swallowed as duplicates.
async fn a_position_ahead_of_the_topic_is_reported_missed(engine: Engine) {
    let topics = engine.topics(vec![Topic::new("t").history(10, None)]);
    let (client, _) = engine.serve(App::new().topics(topics.clone())).await;
    let top = topics.publish("t", &1).await.expect("publish");
    let ahead = Position::new(top.epoch.clone(), 99);
    let mut again = client
        .subscribe_since::<u32>("t", ahead)
        .await
        .expect("subscribe");
    let Err(swill_client::Error::Missed { now, .. }) = next(&mut again).await else {
        panic!("a position the topic never reached must be reported");
    };
    assert_eq!(now, top);
    topics.publish("t", &2).await.expect("publish");
    let p = next(&mut again).await.expect("publication");
    assert_eq!((p.data, p.position.offset), (2, 2));
}

/// A publisher in another language that writes malformed data breaks no
/// subscriber: the bad publication is reported missed, the next arrives.
#[tokio::test]
async fn malformed_data_from_a_foreign_publisher_is_reported_not_sent() {
    let engine = Engine::redis().await;
    let redis = engine.redis.as_ref().expect("Redis");
    let topics = engine.topics(vec![Topic::new("t").history(10, None)]);
    let (client, _) = engine.serve(App::new().topics(topics.clone())).await;
    let mut sub = client.subscribe::<u32>("t").await.expect("subscribe");
    let first = topics.publish("t", &1).await.expect("publish");
    assert_eq!(next(&mut sub).await.expect("publication").data, 1);

    // The documented layout, by hand, with data that is not one
    // MessagePack value (0xc1 is never valid; the history gets two values).
    let offset = match redis
        .command(&["HINCRBY", "swill:{t}:meta", "top", "1"])
        .await
    {
        ::redis::Value::Int(n) => n,
        other => panic!("{other:?}"),
    };
    let id = format!("{offset}-0");
    let bad = "\u{c1}";
    redis
        .command(&["XADD", "swill:{t}:history", &id, "t", "0", "d", bad])
        .await;
    let mut message = vec![0x93, 0xa0 | first.epoch.len() as u8];
    message.extend_from_slice(first.epoch.as_bytes());
    message.extend_from_slice(&[offset as u8, 0xc1]);
    redis.publish_bytes("swill:{t}:messages", &message).await;

    let last = topics.publish("t", &3).await.expect("publish");
    let Err(swill_client::Error::Missed { now, .. }) = next(&mut sub).await else {
        panic!("the malformed publication must be reported");
    };
    assert_eq!(now.offset, 2);
    let p = next(&mut sub).await.expect("the next publication");
    assert_eq!((p.data, p.position), (3, last));
}

async fn access_checks_and_unknown_topics_are_refused(engine: Engine) {
    let rooms = Topic::new("rooms.*").authorize(|access: Access| async move {
        match (access.action, access.topic.as_str()) {
            (Action::Subscribe, "rooms.open") => Ok(()),
            _ => Err(Error::forbidden("not this room")),
        }
    });
    let topics = engine.topics(vec![rooms, Topic::new("open")]);
    let (client, _) = engine.serve(App::new().topics(topics.clone())).await;
    let code = |r: Result<_, swill_client::Error>| r.err().map(|e| e.code());
    assert!(client.subscribe::<u32>("rooms.open").await.is_ok());
    assert_eq!(
        code(client.subscribe::<u32>("rooms.closed").await.map(drop)),
        Some(Code::FORBIDDEN)
    );
    assert_eq!(
        code(client.publish("rooms.open", &1).await.map(drop)),
        Some(Code::FORBIDDEN)
    );
    assert_eq!(
        code(client.presence("rooms.open").await.map(drop)),
        Some(Code::FORBIDDEN)
    );
    assert_eq!(
        code(client.subscribe::<u32>("nope").await.map(drop)),
        Some(Code::NOT_FOUND)
    );
    assert_eq!(
        code(client.publish("rooms", &1).await.map(drop)),
        Some(Code::NOT_FOUND)
    );
    assert_eq!(
        code(client.publish("open.x", &1).await.map(drop)),
        Some(Code::NOT_FOUND)
    );
    assert_eq!(
        code(client.publish("o*", &1).await.map(drop)),
        Some(Code::BAD_REQUEST)
    );
    // The server's own code is not subject to the clients' access check.
    assert!(topics.publish("rooms.closed", &1).await.is_ok());
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
struct Chat {
    from: String,
    text: String,
}

async fn typed_topics_refuse_publications_that_do_not_fit(engine: Engine) {
    let topics = engine.topics(vec![Topic::new("chat").message::<Chat>()]);
    let (client, _) = engine.serve(App::new().topics(topics)).await;
    let mut chat = client.subscribe::<Chat>("chat").await.expect("subscribe");
    let refused = client
        .publish("chat", &"just text")
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), Code::BAD_REQUEST);
    let message = Chat {
        from: "ada".into(),
        text: "hi".into(),
    };
    client.publish("chat", &message).await.expect("publish");
    let got = next(&mut chat).await.expect("publication");
    assert_eq!((got.data, got.position.offset), (message, 1));
}

/// Posts its message to topic `t`.
async fn post(req: Request<String>) -> Result<Position, Error> {
    req.ctx.publish("t", &req.data).await
}

async fn handlers_publish_through_their_context(engine: Engine) {
    let topics = engine.topics(vec![Topic::new("t")]);
    let app = App::new().topics(topics).handle_as("post", post);
    let (client, _) = engine.serve(app).await;
    let mut t = client.subscribe::<String>("t").await.expect("subscribe");
    let position: Position = client.call("post", &"hello").await.expect("post");
    let got = next(&mut t).await.expect("publication");
    assert_eq!((got.data.as_str(), got.position), ("hello", position));
}

async fn presence_lists_the_subscribed_connections(engine: Engine) {
    let topics = engine.topics(vec![Topic::new("t")]);
    let (client, url) = engine.serve(App::new().topics(topics.clone())).await;
    assert_eq!(client.presence("t").await.expect("presence"), vec![]);
    let a = client.subscribe::<u32>("t").await.expect("subscribe");
    let other = Client::connect(&url).await.expect("connect");
    let b = other.subscribe::<u32>("t").await.expect("subscribe");
    let listed = client.presence("t").await.expect("presence");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|e| e.node == topics.node()));
    assert_ne!(listed[0].connection, listed[1].connection);
    drop(b);
    // Leaving is not acknowledged to anyone; ask until it shows.
    let mut after = Vec::new();
    for _ in 0..500 {
        after = topics.presence("t").await.expect("presence");
        if after.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(after.len(), 1, "{after:?}");
    drop(a);
}

async fn a_subscriber_that_stops_reading_is_ended_with_its_position(engine: Engine) {
    const COUNT: u32 = 4000;
    let topics = engine.topics(vec![Topic::new("t").history(COUNT as usize, None).queue(4)]);
    let (client, url) = engine.serve(App::new().topics(topics.clone())).await;
    let (mut stalled, start) = raw_subscribe(addr_of(&url), 1, "t").await;
    let mut reader = client
        .subscribe::<(u32, serde_bytes::ByteBuf)>("t")
        .await
        .expect("subscribe");

    // Publishers never wait for a subscriber: all of these complete while
    // one subscriber reads nothing at all.
    let filler = serde_bytes::ByteBuf::from(vec![7u8; 8 * 1024]);
    for i in 1..=COUNT {
        topics.publish("t", &(i, &filler)).await.expect("publish");
    }
    // Nor does the stalled one slow the others.
    for i in 1..=COUNT {
        assert_eq!(next(&mut reader).await.expect("publication").data.0, i);
    }

    // The stalled subscriber gets what was queued, then 409 and where it
    // stopped.
    let mut last = start.offset;
    let error = loop {
        let frame = stalled.recv().await;
        match frame.kind {
            swill_proto::ResponseType::Message => {
                match TopicEvent::decode(&frame.data).expect("item") {
                    TopicEvent::Publication { offset, .. } => {
                        assert_eq!(offset, last + 1);
                        last = offset;
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
            swill_proto::ResponseType::Error => break swill_tests::expect_error(&frame, 1),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(error.code, Code::LAGGED);
    assert!(
        last < u64::from(COUNT),
        "the subscriber was ended before the end"
    );
    let resume: Position =
        rmpv::ext::from_value(error.data.expect("its position")).expect("a position");
    assert_eq!(resume, Position::new(start.epoch.clone(), last));

    // From there, history has the rest.
    let mut resumed = client
        .subscribe_since::<(u32, serde_bytes::ByteBuf)>("t", resume)
        .await
        .expect("resume");
    for i in last + 1..=u64::from(COUNT) {
        let p = next(&mut resumed).await.expect("publication");
        assert_eq!((u64::from(p.data.0), p.position.offset), (i, i));
    }
}

/// Reads `count` publications off a raw subscription, checking that their
/// offsets follow each other from `after + 1`.
async fn read_in_order(raw: &mut Raw, after: u64, count: u64) {
    for want in after + 1..=after + count {
        let frame = raw.recv().await;
        match TopicEvent::decode(&frame.data).expect("an item") {
            TopicEvent::Publication { offset, .. } => assert_eq!(offset, want),
            other => panic!("unexpected {other:?}"),
        }
    }
}

async fn a_subscriber_that_falls_behind_and_catches_up_loses_nothing(engine: Engine) {
    const COUNT: u32 = 3000;
    // Room for everything in the subscriber's queue: it must not lag, only
    // have its publications wait while it does not read.
    let topics = engine.topics(vec![Topic::new("t").queue(COUNT as usize)]);
    let (_, url) = engine.serve(App::new().topics(topics.clone())).await;
    let (mut raw, position) = raw_subscribe(addr_of(&url), 7, "t").await;
    let filler = serde_bytes::ByteBuf::from(vec![1u8; 8 * 1024]);
    // Read along for a while: publications go straight to the connection.
    for i in 0..100u32 {
        topics.publish("t", &(i, &filler)).await.expect("publish");
    }
    read_in_order(&mut raw, position.offset, 100).await;
    // Stop reading while far more than the connection's queue and the
    // socket's buffers hold is published, then read again.
    for i in 100..COUNT {
        topics.publish("t", &(i, &filler)).await.expect("publish");
    }
    read_in_order(&mut raw, position.offset + 100, u64::from(COUNT) - 100).await;
    // And live again.
    let last = topics
        .publish("t", &(COUNT, &filler))
        .await
        .expect("publish");
    read_in_order(&mut raw, last.offset - 1, 1).await;
}

/// A hook that must see every message still does: publications then go
/// through the call, one by one.
#[tokio::test]
async fn response_hooks_see_every_publication() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let engine = Engine::memory().await;
    let topics = engine.topics(vec![Topic::new("t")]);
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let app = App::new()
        .topics(topics.clone())
        .before_response_message(move |_ctx, message| {
            counter.fetch_add(1, Ordering::Relaxed);
            async move { Ok(message) }
        });
    let (client, _) = engine.serve(app).await;
    let mut sub = client.subscribe::<u32>("t").await.expect("subscribe");
    for i in 0..50 {
        topics.publish("t", &i).await.expect("publish");
    }
    for i in 0..50 {
        assert_eq!(next(&mut sub).await.expect("publication").data, i);
    }
    // The position item and the fifty publications.
    assert_eq!(seen.load(Ordering::Relaxed), 51);
}

/// A node that shuts down ends its subscriptions at once, with 503, so that
/// subscribers move on instead of waiting out the grace period.
#[tokio::test]
async fn shutting_down_ends_subscriptions_at_once() {
    let topics = Topics::builder().topic(Topic::new("t")).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        swill::serve(listener, App::new().topics(topics))
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            // Far longer than a test waits: only ending at once passes.
            .grace_period(Duration::from_secs(3600))
            .await
    });
    let (mut raw, _) = raw_subscribe(addr, 1, "t").await;
    let _ = stop.send(());
    let ended = raw.recv().await;
    assert_eq!(swill_tests::expect_error(&ended, 1).code, Code::UNAVAILABLE);
    let closed = raw.recv_close().await.expect("a close frame");
    assert_eq!(u16::from(closed.code), 1001);
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("the server stops without waiting for the grace period")
        .expect("task")
        .expect("served");
}
