//! The peer a Rust team would otherwise pick: tonic (gRPC over HTTP/2),
//! with the same 16-byte echo and stream of 64-byte items.
//!
//! The service is written the way tonic's generated code is (a `Grpc`
//! with the prost codec behind a path match), by hand, so that the bench
//! needs no `protoc` at build time.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::Stream;
use futures::future::BoxFuture;
use http::uri::PathAndQuery;
use tonic::body::Body;
use tonic::codegen::StdError;
use tonic::server::{Grpc, NamedService, ServerStreamingService, UnaryService};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

use crate::servers::ITEM;

/// The echo request and answer, and a streamed item.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Bytes {
    #[prost(bytes = "vec", tag = "1")]
    pub data: Vec<u8>,
}

/// How many items to stream.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Count {
    #[prost(uint64, tag = "1")]
    pub n: u64,
}

const ECHO: &str = "/bench.Bench/Echo";
const ITEMS: &str = "/bench.Bench/Items";

/// The service: `Echo` (unary) and `Items` (server streaming).
#[derive(Clone, Copy)]
struct Bench;

impl NamedService for Bench {
    const NAME: &'static str = "bench.Bench";
}

struct Echo;

impl UnaryService<Bytes> for Echo {
    type Response = Bytes;
    type Future = std::future::Ready<Result<Response<Bytes>, Status>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        std::future::ready(Ok(Response::new(request.into_inner())))
    }
}

struct Items;

type ItemStream = Pin<Box<dyn Stream<Item = Result<Bytes, Status>> + Send>>;

impl ServerStreamingService<Count> for Items {
    type Response = Bytes;
    type ResponseStream = ItemStream;
    type Future = std::future::Ready<Result<Response<ItemStream>, Status>>;

    fn call(&mut self, request: Request<Count>) -> Self::Future {
        let n = request.into_inner().n;
        let item = Bytes {
            data: vec![b'x'; ITEM],
        };
        let items = futures::stream::iter((0..n).map(move |_| Ok(item.clone())));
        std::future::ready(Ok(Response::new(Box::pin(items) as ItemStream)))
    }
}

impl<B> tower::Service<http::Request<B>> for Bench
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        Box::pin(async move {
            let response = match req.uri().path() {
                ECHO => {
                    let mut grpc = Grpc::new(ProstCodec::<Bytes, Bytes>::default());
                    grpc.unary(Echo, req).await
                }
                ITEMS => {
                    let mut grpc = Grpc::new(ProstCodec::<Bytes, Count>::default());
                    grpc.server_streaming(Items, req).await
                }
                _ => Status::unimplemented("no such method").into_http(),
            };
            Ok(response)
        })
    }
}

/// Serves the tonic peer on `addr` until killed; prints `ready` first.
pub async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("ready");
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_service(Bench)
        .serve_with_incoming(incoming)
        .await
        .map_err(std::io::Error::other)
}

async fn channel(addr: SocketAddr) -> std::io::Result<tonic::client::Grpc<Channel>> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .map_err(std::io::Error::other)?
        .tcp_nodelay(true)
        .connect()
        .await
        .map_err(std::io::Error::other)?;
    Ok(tonic::client::Grpc::new(channel))
}

async fn echo(grpc: &mut tonic::client::Grpc<Channel>) -> std::io::Result<()> {
    grpc.ready().await.map_err(std::io::Error::other)?;
    let request = Request::new(Bytes { data: vec![7; 16] });
    let codec = ProstCodec::<Bytes, Bytes>::default();
    grpc.unary(request, PathAndQuery::from_static(ECHO), codec)
        .await
        .map_err(std::io::Error::other)?;
    Ok(())
}

/// Unary echo calls per second over one HTTP/2 connection with
/// `in_flight` calls outstanding at all times.
pub async fn unary(
    addr: SocketAddr,
    in_flight: usize,
    warmup: Duration,
    time: Duration,
) -> std::io::Result<f64> {
    let grpc = channel(addr).await?;
    let measure = |span: Duration| {
        let grpc = grpc.clone();
        async move {
            let end = Instant::now() + span;
            let workers = (0..in_flight).map(|_| {
                let mut grpc = grpc.clone();
                tokio::spawn(async move {
                    let mut done = 0u64;
                    while Instant::now() < end {
                        echo(&mut grpc).await?;
                        done += 1;
                    }
                    Ok::<u64, std::io::Error>(done)
                })
            });
            let started = Instant::now();
            let mut total = 0;
            for worker in futures::future::join_all(workers).await {
                total += worker.map_err(std::io::Error::other)??;
            }
            Ok::<f64, std::io::Error>(total as f64 / started.elapsed().as_secs_f64())
        }
    };
    measure(warmup).await?;
    measure(time).await
}

/// Items per second of one server stream of `n` 64-byte items.
pub async fn stream(addr: SocketAddr, n: u64) -> std::io::Result<f64> {
    let mut grpc = channel(addr).await?;
    grpc.ready().await.map_err(std::io::Error::other)?;
    let codec = ProstCodec::<Count, Bytes>::default();
    let started = Instant::now();
    let mut items = grpc
        .server_streaming(
            Request::new(Count { n }),
            PathAndQuery::from_static(ITEMS),
            codec,
        )
        .await
        .map_err(std::io::Error::other)?
        .into_inner();
    let mut received = 0u64;
    while let Some(item) = items.message().await.map_err(std::io::Error::other)? {
        if item.data.len() != ITEM {
            return Err(std::io::Error::other("a short item"));
        }
        received += 1;
    }
    if received != n {
        return Err(std::io::Error::other("the stream ended early"));
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}
