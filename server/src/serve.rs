//! Serving an app on a TCP listener, one line for the user.

use std::convert::Infallible;
use std::future::{Future, IntoFuture, Pending};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::app::App;
use crate::router::Router;
use crate::shutdown::{DEFAULT_GRACE, Shutdown};
use crate::upgrade;

/// Serves `app` on `listener`: every connection is an HTTP/1.1 request
/// upgraded to WebSocket on the app's path (`/ws`).
///
/// ```no_run
/// # async fn run(app: swill::App) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// swill::serve(listener, app)
///     .with_graceful_shutdown(async { let _ = tokio::signal::ctrl_c().await; })
///     .await
/// # }
/// ```
///
/// Without a shutdown signal it serves until the process ends. Errors
/// accepting one connection (a reset, running out of file descriptors) are
/// logged and do not stop the server.
pub fn serve<S>(listener: TcpListener, app: App<S>) -> Serve<Pending<()>> {
    // The app is frozen now; a spec-first app that does not fit its
    // document fails when the server is awaited.
    #[cfg(feature = "spec")]
    let router = app
        .check()
        .map(|()| app.into_router())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e));
    #[cfg(not(feature = "spec"))]
    let router = Ok(app.into_router());
    Serve {
        listener,
        router,
        #[cfg(feature = "tls")]
        tls: None,
        signal: std::future::pending(),
        grace: DEFAULT_GRACE,
    }
}

/// A server about to run; `.await` it. Returned by [`serve`].
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve<S> {
    listener: TcpListener,
    router: io::Result<Arc<Router>>,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
    signal: S,
    grace: Duration,
}

impl<S> Serve<S> {
    /// Shuts down gracefully when `signal` resolves: stop accepting, refuse
    /// new requests with ERROR 503, let open requests finish within the
    /// grace period, then close every connection with 1001 (stopping what
    /// still runs, `after_request` and `after_connection` hooks included).
    pub fn with_graceful_shutdown<F>(self, signal: F) -> Serve<F>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Serve {
            listener: self.listener,
            router: self.router,
            #[cfg(feature = "tls")]
            tls: self.tls,
            signal,
            grace: self.grace,
        }
    }

    /// Serves `wss://`: every connection does the TLS handshake first
    /// (feature `tls`; see [`tls`](crate::tls) for a configuration from PEM
    /// files). A client that does not finish it within 10 s is dropped.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        self.tls = Some(tokio_rustls::TlsAcceptor::from(config));
        self
    }

    /// How long open requests may run once shutdown starts (default 10 s).
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }
}

impl<S> IntoFuture for Serve<S>
where
    S: Future<Output = ()> + Send + 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self))
    }
}

async fn run<S: Future<Output = ()> + Send>(serve: Serve<S>) -> io::Result<()> {
    let Serve {
        listener,
        router,
        #[cfg(feature = "tls")]
        tls,
        signal,
        grace,
    } = serve;
    let router = router?;
    let shutdown = Shutdown::new(grace);
    let mut signal = std::pin::pin!(signal);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, remote)) => {
                    let _ = tcp.set_nodelay(true);
                    let (router, shutdown) = (router.clone(), shutdown.clone());
                    #[cfg(feature = "tls")]
                    if let Some(tls) = &tls {
                        tokio::spawn(serve_tls(tls.clone(), tcp, router, remote, shutdown));
                        continue;
                    }
                    tokio::spawn(serve_http(tcp, router, Some(remote), shutdown, false));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    // Out of descriptors: let in-flight connections close first.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            () = &mut signal => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down");
    shutdown.run().await;
    Ok(())
}

/// The TLS handshake, then HTTP on the encrypted stream.
#[cfg(feature = "tls")]
async fn serve_tls(
    tls: tokio_rustls::TlsAcceptor,
    tcp: tokio::net::TcpStream,
    router: Arc<Router>,
    remote: SocketAddr,
    shutdown: Shutdown,
) {
    match tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
        Ok(Ok(stream)) => serve_http(stream, router, Some(remote), shutdown, true).await,
        Ok(Err(e)) => tracing::debug!(%remote, error = %e, "TLS handshake failed"),
        Err(_) => tracing::debug!(%remote, "no TLS handshake within the timeout"),
    }
}

/// Serves HTTP/1.1 on one byte stream (a TCP connection, a TLS stream
/// when `tls`, or the test client's in-memory pipe), upgrading to
/// WebSocket on the app's path.
pub(crate) async fn serve_http<I>(
    io: I,
    router: Arc<Router>,
    remote: Option<SocketAddr>,
    shutdown: Shutdown,
    tls: bool,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
        if tls {
            req.extensions_mut().insert(crate::site::OverTls);
        }
        let response = upgrade::respond(router.clone(), req, remote, shutdown.clone());
        async move { Ok::<_, Infallible>(response.await) }
    });
    // A peer that connects and sends no request must not hold a task for
    // ever: the request head has 10 s to arrive.
    if let Err(e) = http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades()
        .await
    {
        tracing::debug!(error = %e, "http connection failed");
    }
}
