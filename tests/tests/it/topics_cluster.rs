//! Topics across real server processes sharing one real Redis, and the
//! faults production sees: a node killed, Redis restarted empty or with its
//! data, Redis dropping the nodes' connections, a node's presence expiring.
//!
//! Every message carries who published it and its number; a ledger checks
//! what each subscriber received against what publishers were told was
//! published: lost 0, duplicated 0, out of order 0.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use swill::topics::{RedisConfig, Topics};
use swill_client::{Client, Code, Error, Position, Subscription};
use swill_tests::PATIENCE;
use swill_tests::cluster::{Balancer, Node};
use swill_tests::redis::RedisServer;

/// A message: (publisher, number).
type Msg = (String, u32);

/// A publisher outside every node: a process that serves no clients and
/// talks to Redis directly, with the same declaration as the demo's.
fn outside_publisher(redis: &RedisServer) -> Topics {
    let config = RedisConfig::new(&redis.url()).expect("URL");
    swill_examples::demo::topics()
        .node("outside")
        .redis(config)
        .build()
}

async fn connect(url: &str) -> Client {
    Client::connect(url).await.expect("connect")
}

/// What a subscriber received, in order.
#[derive(Default, Debug)]
struct Received {
    items: Vec<(Position, Msg)>,
    missed: Vec<Error>,
}

/// Reads `count` publications (recording any `Missed` on the way).
async fn receive(sub: &mut Subscription<Msg>, count: usize, into: &mut Received) {
    let mut got = 0;
    while got < count {
        let item = tokio::time::timeout(PATIENCE, sub.next())
            .await
            .expect("publications keep coming")
            .expect("the subscription goes on");
        match item {
            Ok(p) => {
                into.items.push((p.position, p.data));
                got += 1;
            }
            Err(missed @ Error::Missed { .. }) => into.missed.push(missed),
            Err(e) => panic!("the subscription failed: {e}"),
        }
    }
}

/// Waits for the subscription's next event to be a `Missed`.
async fn expect_missed(sub: &mut Subscription<Msg>) -> Error {
    let item = tokio::time::timeout(PATIENCE, sub.next())
        .await
        .expect("told in time")
        .expect("the subscription goes on");
    match item {
        Err(missed @ Error::Missed { .. }) => missed,
        other => panic!("expected Missed, got {other:?}"),
    }
}

/// Checks one subscriber against the acknowledged publications.
fn audit(received: &Received, acked: &HashSet<Msg>) {
    let mut seen = HashSet::new();
    for window in received.items.windows(2) {
        let ((a, _), (b, _)) = (&window[0], &window[1]);
        assert!(
            a.epoch != b.epoch || a.offset < b.offset,
            "out of order: {a} then {b}"
        );
    }
    for (_, msg) in &received.items {
        assert!(seen.insert(msg.clone()), "duplicated: {msg:?}");
    }
    let lost: Vec<_> = acked.difference(&seen).collect();
    assert!(lost.is_empty(), "lost: {lost:?}");
    let mut per_publisher: HashMap<&str, u32> = HashMap::new();
    for (_, (publisher, n)) in &received.items {
        let next = per_publisher.entry(publisher).or_default();
        assert!(*n >= *next, "{publisher}'s messages out of order");
        *next = n + 1;
    }
}

/// Publishes `count` messages as `name` with `publish`, retrying one that
/// the server refused with 503 (the caller is told; nothing is silent),
/// and returns those acknowledged.
async fn publish_all<F, Fut>(name: &str, count: u32, publish: F) -> HashSet<Msg>
where
    F: Fn(Msg) -> Fut,
    Fut: std::future::Future<Output = Result<Position, Code>>,
{
    let mut acked = HashSet::new();
    for n in 0..count {
        let msg = (name.to_owned(), n);
        loop {
            match publish(msg.clone()).await {
                Ok(_) => break,
                Err(Code::UNAVAILABLE) => tokio::task::yield_now().await,
                Err(code) => panic!("publish failed with {code:?}"),
            }
        }
        acked.insert(msg);
    }
    acked
}

#[tokio::test]
async fn three_nodes_lose_nothing_duplicate_nothing_reorder_nothing() {
    let redis = RedisServer::start().await;
    let mut nodes = Vec::new();
    for name in ["a", "b", "c"] {
        nodes.push(Node::start(&redis.url(), name, &[]).await);
    }
    let mut subscribers = Vec::new();
    for node in &nodes {
        for _ in 0..2 {
            let client = connect(&node.url()).await;
            subscribers.push(client.subscribe::<Msg>("chat").await.expect("subscribe"));
        }
    }
    const EACH: u32 = 150;
    let mut publishers = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let client = connect(&node.url()).await;
        publishers.push(tokio::spawn(async move {
            publish_all(&format!("node{i}"), EACH, |m| {
                let client = client.clone();
                async move { client.publish("chat", &m).await.map_err(|e| e.code()) }
            })
            .await
        }));
    }
    let outside = outside_publisher(&redis);
    publishers.push(tokio::spawn(async move {
        publish_all("outside", EACH, |m| {
            let outside = outside.clone();
            async move { outside.publish("chat", &m).await.map_err(|e| e.code()) }
        })
        .await
    }));
    let mut acked = HashSet::new();
    for publisher in publishers {
        acked.extend(publisher.await.expect("publisher"));
    }
    let mut orders = Vec::new();
    for sub in &mut subscribers {
        let mut received = Received::default();
        receive(sub, acked.len(), &mut received).await;
        audit(&received, &acked);
        assert!(received.missed.is_empty(), "{:?}", received.missed);
        orders.push(received.items);
    }
    assert!(
        orders.windows(2).all(|w| w[0] == w[1]),
        "every node, one order"
    );
}

#[tokio::test]
async fn subscribers_of_a_killed_node_resume_on_another_and_lose_nothing() {
    let redis = RedisServer::start().await;
    let mut doomed = Node::start(&redis.url(), "doomed", &[]).await;
    let survivor = Node::start(&redis.url(), "survivor", &[]).await;
    let balancer = Balancer::start(vec![doomed.addr, survivor.addr]).await;
    let outside = outside_publisher(&redis);
    let publish = |m: Msg| {
        let outside = outside.clone();
        async move { outside.publish("chat", &m).await.map_err(|e| e.code()) }
    };

    let mut subs = Vec::new();
    for _ in 0..3 {
        let client = connect(&balancer.url()).await;
        subs.push((
            client.subscribe::<Msg>("chat").await.expect("subscribe"),
            Received::default(),
        ));
    }
    let mut acked = publish_all("before", 50, publish).await;
    for (sub, received) in &mut subs {
        receive(sub, 50, received).await;
    }
    let presence = outside.presence("chat").await.expect("presence");
    assert!(presence.iter().all(|e| e.node == "doomed"), "{presence:?}");

    doomed.kill().await;
    acked.extend(publish_all("after", 50, publish).await);
    for (sub, received) in &mut subs {
        receive(sub, 50, received).await;
        audit(received, &acked);
        assert!(received.missed.is_empty(), "history covered the failover");
    }
    let presence = outside.presence("chat").await.expect("presence");
    assert!(
        presence.iter().any(|e| e.node == "survivor"),
        "{presence:?}"
    );
}

#[tokio::test]
async fn redis_restarted_empty_fails_publishes_then_tells_subscribers_history_was_lost() {
    let mut redis = RedisServer::start().await;
    let node = Node::start(&redis.url(), "a", &[]).await;
    let client = connect(&node.url()).await;
    let mut sub = client.subscribe::<Msg>("chat").await.expect("subscribe");
    let before = client
        .publish("chat", &("p".to_owned(), 0))
        .await
        .expect("publish");
    let mut received = Received::default();
    receive(&mut sub, 1, &mut received).await;

    redis.kill().await;
    let refused = client
        .publish("chat", &("p".to_owned(), 1))
        .await
        .expect_err("Redis is down");
    assert_eq!(refused.code(), Code::UNAVAILABLE);
    // What failed inside is the server's log's, not the caller's.
    assert_eq!(refused.message(), "the topic engine is unavailable");
    let outside = outside_publisher(&redis);
    let refused = outside
        .publish("chat", &("o".to_owned(), 1))
        .await
        .expect_err("Redis is down");
    assert_eq!(refused.code(), Code::UNAVAILABLE);

    redis.restart().await;
    // The node comes back by itself; the subscriber, without doing
    // anything, learns that the topic's history is gone.
    let Error::Missed { last, now } = expect_missed(&mut sub).await else {
        unreachable!()
    };
    assert_eq!(last, Some(before.clone()));
    assert_ne!(now.epoch, before.epoch, "a new epoch");
    let after = outside
        .publish("chat", &("o".to_owned(), 2))
        .await
        .expect("publish");
    assert_eq!(after.epoch, now.epoch);
    receive(&mut sub, 1, &mut received).await;
    assert_eq!(received.items[1], (after, ("o".to_owned(), 2)));
}

#[tokio::test]
async fn redis_restarted_with_its_data_loses_nothing() {
    let mut redis = RedisServer::start_persistent().await;
    let node = Node::start(&redis.url(), "a", &[]).await;
    let client = connect(&node.url()).await;
    let mut sub = client.subscribe::<Msg>("chat").await.expect("subscribe");
    let outside = outside_publisher(&redis);
    let publish = |m: Msg| {
        let outside = outside.clone();
        async move { outside.publish("chat", &m).await.map_err(|e| e.code()) }
    };
    let mut acked = publish_all("before", 5, publish).await;
    let mut received = Received::default();
    receive(&mut sub, 5, &mut received).await;

    redis.kill().await;
    redis.restart().await;
    // Published as soon as Redis is back, perhaps before the node has
    // subscribed again: the node recovers these from history.
    acked.extend(publish_all("after", 20, publish).await);
    receive(&mut sub, 20, &mut received).await;
    audit(&received, &acked);
    assert!(received.missed.is_empty(), "{:?}", received.missed);
    let epochs: HashSet<_> = received.items.iter().map(|(p, _)| &p.epoch).collect();
    assert_eq!(epochs.len(), 1, "the same epoch throughout");
}

#[tokio::test]
async fn nodes_whose_redis_connections_are_killed_lose_nothing() {
    let redis = RedisServer::start().await;
    let node = Node::start(&redis.url(), "a", &[]).await;
    let client = connect(&node.url()).await;
    let mut sub = client.subscribe::<Msg>("chat").await.expect("subscribe");
    let publish = |m: Msg| {
        let client = client.clone();
        async move { client.publish("chat", &m).await.map_err(|e| e.code()) }
    };
    let mut received = Received::default();
    let mut acked = HashSet::new();
    for (round, kind) in ["pubsub", "normal", "pubsub"].into_iter().enumerate() {
        let name = format!("round{round}");
        acked.extend(publish_all(&name, 10, publish).await);
        receive(&mut sub, 10, &mut received).await;
        redis.kill_clients(kind).await;
        // At once, while the node reconnects: these come through history.
        acked.extend(publish_all(&format!("{name}-after"), 10, publish).await);
        receive(&mut sub, 10, &mut received).await;
    }
    audit(&received, &acked);
    assert!(received.missed.is_empty(), "{:?}", received.missed);
}

#[tokio::test]
async fn a_dead_nodes_presence_expires() {
    let redis = RedisServer::start().await;
    let ttl = ["--presence-ttl-ms", "300"];
    let mut doomed = Node::start(&redis.url(), "doomed", &ttl).await;
    let survivor = Node::start(&redis.url(), "survivor", &ttl).await;
    let a = connect(&doomed.url()).await;
    let b = connect(&survivor.url()).await;
    let _on_doomed = a.subscribe::<Msg>("chat").await.expect("subscribe");
    let _on_survivor = b.subscribe::<Msg>("chat").await.expect("subscribe");
    let nodes = |entries: Vec<swill_client::PresenceEntry>| {
        let mut nodes: Vec<String> = entries.into_iter().map(|e| e.node).collect();
        nodes.sort();
        nodes
    };
    assert_eq!(
        nodes(b.presence("chat").await.expect("presence")),
        ["doomed", "survivor"]
    );
    doomed.kill().await;
    // No one tells the survivor; the entry expires. Ask until it has.
    let mut listed = Vec::new();
    for _ in 0..300 {
        listed = nodes(b.presence("chat").await.expect("presence"));
        if listed == ["survivor"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(listed, ["survivor"]);
}

#[tokio::test]
async fn an_idle_node_reconnects_to_a_restarted_redis_by_itself() {
    let mut redis = RedisServer::start().await;
    // Presence refreshed every 24 minutes: entries lost with Redis come
    // back only because the node saw Redis come back.
    let node = Node::start(&redis.url(), "a", &["--presence-ttl-ms", "3600000"]).await;
    let client = connect(&node.url()).await;
    let _sub = client.subscribe::<Msg>("chat").await.expect("subscribe");
    let key = "k".to_owned();
    let _: Option<serde_json::Value> = client.call("session.get", &key).await.expect("warm");
    client
        .publish("chat", &("p".to_owned(), 0))
        .await
        .expect("publish");

    // Its topics and its sessions share one command connection, beside
    // the pub/sub one.
    assert_eq!(redis.connections().await.count().await, 2);

    redis.kill().await;
    redis.restart().await;
    // Nothing is asked of the node; both come back on their own.
    redis.connections().await.wait_for(2).await;

    let got: Option<serde_json::Value> = client
        .call("session.get", &key)
        .await
        .expect("the first session request after the restart");
    assert_eq!(got, None, "Redis restarted empty");
    client
        .publish("chat", &("p".to_owned(), 1))
        .await
        .expect("the first publication after the restart");
    let mut nodes = Vec::new();
    for _ in 0..300 {
        nodes = client.presence("chat").await.expect("presence");
        if !nodes.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    assert_eq!(nodes[0].node, "a");
}
