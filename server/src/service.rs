//! The app as a tower `Service`: mounted in axum or hyper beside other
//! routes, and tower layers around single handlers.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures::FutureExt;
use futures::future::BoxFuture;
use tower::{Layer, Service, ServiceExt};

use crate::app::App;
use crate::error::Error;
use crate::handler::{BoxedHandler, Handler};
use crate::reply::Reply;
use crate::request::CallInput;
use crate::response::Body;
use crate::router::Router;
use crate::shutdown::Shutdown;
use crate::upgrade;
use swill_proto::Code;

/// The app as a tower [`Service`] over HTTP requests: it performs the
/// WebSocket upgrade, so it mounts wherever hyper or axum serve requests.
///
/// ```no_run
/// # async fn run(app: swill::App) -> std::io::Result<()> {
/// let rpc = app.into_service();
/// let router = axum::Router::new()
///     .route("/health", axum::routing::get(|| async { "ok" }))
///     .route_service("/ws", rpc.clone());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// axum::serve(listener, router).await?;
/// rpc.shutdown().await; // close the WebSocket connections gracefully
/// # Ok(()) }
/// ```
///
/// The peer's address comes from axum's `ConnectInfo<SocketAddr>` (serve
/// with `into_make_service_with_connect_info::<SocketAddr>()`; feature
/// `axum`, on by default) or from a `SocketAddr` request extension.
/// [`SwillService::shutdown`] drains the connections as
/// [`Serve::with_graceful_shutdown`](crate::Serve::with_graceful_shutdown)
/// does, with the grace period of [`SwillService::grace_period`].
#[derive(Clone)]
pub struct SwillService {
    router: Arc<Router>,
    shutdown: Shutdown,
}

impl<S> App<S> {
    /// Turns the app into a tower `Service` over HTTP requests.
    ///
    /// # Panics
    ///
    /// With the `spec` feature, when the app's AsyncAPI document and its
    /// handlers do not fit (see `App::check`): a programming error, caught
    /// at startup.
    pub fn into_service(self) -> SwillService {
        #[cfg(feature = "spec")]
        if let Err(e) = self.check() {
            panic!("{e}");
        }
        SwillService {
            router: self.into_router(),
            shutdown: Shutdown::default(),
        }
    }
}

impl SwillService {
    /// How long open requests may run once [`shutdown`](SwillService::shutdown)
    /// starts (default 10 s). Set it before mounting the service: clones
    /// made earlier keep the period they had (they still share the one
    /// shutdown signal).
    pub fn grace_period(mut self, grace: std::time::Duration) -> Self {
        self.shutdown = self.shutdown.with_grace(grace);
        self
    }

    /// Shuts the WebSocket connections down gracefully (see
    /// [`Serve::with_graceful_shutdown`](crate::Serve::with_graceful_shutdown)),
    /// resolving once they are closed.
    pub async fn shutdown(&self) {
        self.shutdown.run().await
    }
}

impl<B: Send + 'static> Service<http::Request<B>> for SwillService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let remote = peer(req.extensions());
        let response = upgrade::respond(self.router.clone(), req, remote, self.shutdown.clone());
        Box::pin(async move { Ok(response.await) })
    }
}

/// The peer's address, as axum or a layer of the user's recorded it.
fn peer(extensions: &http::Extensions) -> Option<SocketAddr> {
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(addr)) =
        extensions.get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(*addr);
    }
    extensions.get::<SocketAddr>().copied()
}

/// A handler as a tower [`Service`] from one call to its reply, for tower
/// layers to wrap. Built by [`App::handle_layered`].
#[derive(Clone)]
pub struct HandlerService(BoxedHandler);

impl Service<CallInput> for HandlerService {
    type Response = Reply;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Reply, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, input: CallInput) -> Self::Future {
        // A layer may call the handler elsewhere than on the call's own
        // task (tower's `Buffer` calls it on its worker): its panics are
        // caught here too, to be this call's 500 wherever they run.
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| (self.0)(input)));
        crate::panic::guarded("a handler", called).map(Ok).boxed()
    }
}

/// The error a layer failed a call with, as the client sees it: a
/// [`swill::Error`](Error) as it is (a layer of the app's own that refuses
/// a call says why, with its code), tower's timeout 408 and its shed load
/// 503, anything else a 500.
fn layer_error(error: tower::BoxError) -> Error {
    let error = match error.downcast::<Error>() {
        Ok(error) => return *error,
        Err(other) => other,
    };
    if error.is::<tower::timeout::error::Elapsed>() {
        Error::new(Code::DEADLINE_EXCEEDED, "the handler took too long")
    } else if error.is::<tower::load_shed::error::Overloaded>() {
        Error::new(
            Code::UNAVAILABLE,
            "the server is overloaded; try again later",
        )
    } else {
        tracing::error!(error = %error, "a layer failed a call");
        Error::internal()
    }
}

impl<S: Clone + Send + Sync + 'static> App<S> {
    /// Registers a handler wrapped in a tower layer: `ConcurrencyLimitLayer`,
    /// `TimeoutLayer`, `LoadShedLayer`, or your own. Introspection still
    /// describes the handler's types.
    ///
    /// ```
    /// use std::time::Duration;
    /// use swill::{App, Error, Request};
    /// use tower::ServiceBuilder;
    ///
    /// async fn report(req: Request<u32>) -> Result<String, Error> {
    ///     Ok(format!("report {}", req.data))
    /// }
    ///
    /// let layers = ServiceBuilder::new()
    ///     .load_shed()
    ///     .concurrency_limit(4)
    ///     .timeout(Duration::from_secs(5));
    /// let app = App::new().handle_layered("reports.build", report, layers);
    /// ```
    ///
    /// A layer that fails with a [`swill::Error`](Error) answers with it; a
    /// timeout answers ERROR 408, a shed load 503, any other layer error
    /// 500. For a streaming response the layer covers the call until its
    /// stream is returned, not the streaming itself. A whole
    /// [`Module`](crate::Module) takes layers too.
    #[track_caller]
    pub fn handle_layered<H, M, L>(self, name: &str, handler: H, layer: L) -> Self
    where
        H: Handler<M, S>,
        L: HandlerLayer,
    {
        let mut route = crate::handler::route(Some(name), handler, self.state().clone());
        route.handler = (layer.erase().0)(route.handler);
        self.add_route(route)
    }
}

/// A tower layer that can wrap handlers: any `Layer<HandlerService>`
/// whose service answers calls with a [`Reply`], fails with something
/// that converts to `tower::BoxError`, and can be cloned and shared.
/// `ServiceBuilder` stacks of tower's own layers qualify.
pub trait HandlerLayer: Send + Sync + 'static {
    /// Erases the layer's types. Internal.
    #[doc(hidden)]
    fn erase(self) -> ErasedLayer;
}

/// A layer with its types erased. Internal.
#[doc(hidden)]
pub struct ErasedLayer(pub(crate) LayerFn);

/// A function from a handler to the handler wrapped in a layer.
pub(crate) type LayerFn = Arc<dyn Fn(BoxedHandler) -> BoxedHandler + Send + Sync>;

impl<L> HandlerLayer for L
where
    L: Layer<HandlerService> + Send + Sync + 'static,
    L::Service: Service<CallInput, Response = Reply> + Clone + Send + Sync + 'static,
    <L::Service as Service<CallInput>>::Error: Into<tower::BoxError>,
    <L::Service as Service<CallInput>>::Future: Send,
{
    fn erase(self) -> ErasedLayer {
        ErasedLayer(Arc::new(move |inner: BoxedHandler| {
            let service = self.layer(HandlerService(inner));
            Arc::new(move |input| {
                let service = service.clone();
                async move {
                    match service.oneshot(input).await {
                        Ok(reply) => reply,
                        Err(e) => Reply::Unary(Err(layer_error(e.into()))),
                    }
                }
                .boxed()
            }) as BoxedHandler
        }))
    }
}
