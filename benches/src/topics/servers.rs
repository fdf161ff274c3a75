//! The fan-out servers: swill's topics (in memory, or a node on Redis) and
//! socketioxide's broadcast, each publishing on request as fast as it can.

use std::net::SocketAddr;

use futures::StreamExt;
use serde::Deserialize;
use socketioxide::SocketIo;
use socketioxide::extract::{Data, SocketRef};
use swill::topics::{RedisConfig, Topic, Topics};
use swill::{App, Error, JsonSchema, Request};
use tokio::net::TcpListener;

/// The topic (and the socket.io room) every subscriber joins.
pub const TOPIC: &str = "bench";

/// Publications in flight at once from one blast: the engine's round trips
/// overlap (Redis), and each publication still awaits its position.
const IN_FLIGHT: usize = 64;

/// What a blast publishes.
#[derive(Deserialize, JsonSchema)]
pub struct Blast {
    /// How many messages.
    pub count: u32,
    /// How large each is, in bytes of a string.
    pub size: usize,
}

/// swill: topic `bench` in memory, or in Redis when `redis` is given; the
/// rpc `blast` publishes `count` messages to it.
pub async fn swill(
    listener: TcpListener,
    redis: Option<String>,
    queue: usize,
) -> std::io::Result<()> {
    let mut topics = Topics::builder().topic(Topic::new(TOPIC).queue(queue));
    if let Some(url) = redis {
        let config = RedisConfig::new(&url).map_err(std::io::Error::other)?;
        topics = topics.redis(config);
    }
    let topics = topics.build();
    let app = App::new()
        .topics(topics.clone())
        .handle_as("blast", move |req: Request<Blast>| {
            let topics = topics.clone();
            async move {
                let message = "x".repeat(req.data.size);
                let published = futures::stream::iter(0..req.data.count)
                    .map(|_| topics.publish(TOPIC, &message))
                    .buffer_unordered(IN_FLIGHT)
                    .filter(|r| std::future::ready(r.is_ok()))
                    .count()
                    .await;
                Ok::<_, Error>(published as u32)
            }
        });
    println!("ready");
    swill::serve(listener, app).await
}

/// socketioxide: sockets join room `bench`; the event `blast` broadcasts
/// `count` messages to it.
pub async fn socketio(listener: TcpListener, queue: usize) -> std::io::Result<()> {
    let (layer, io) = SocketIo::builder().max_buffer_size(queue).build_layer();
    io.ns("/", async |socket: SocketRef| {
        socket.join(TOPIC);
        socket.on(
            "blast",
            async |socket: SocketRef, Data(blast): Data<Blast>| {
                let message = "x".repeat(blast.size);
                let io = socket.broadcast();
                let published = futures::stream::iter(0..blast.count)
                    .map(|_| {
                        let io = io.clone();
                        let message = &message;
                        async move { io.to(TOPIC).emit("msg", message).await }
                    })
                    .buffer_unordered(IN_FLIGHT)
                    .filter(|r| std::future::ready(r.is_ok()))
                    .count()
                    .await;
                let _ = socket.emit("blasted", &published);
            },
        );
    });
    let app = axum::Router::new().layer(layer);
    println!("ready");
    axum::serve(listener, app).await
}

/// Runs a fan-out server until killed.
pub async fn run(
    kind: &str,
    addr: SocketAddr,
    redis: Option<String>,
    queue: usize,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    match kind {
        "swill" => swill(listener, redis, queue).await,
        "socketio" => socketio(listener, queue).await,
        other => Err(std::io::Error::other(format!(
            "no fan-out server `{other}`"
        ))),
    }
}
