//! Serving an app on a TCP listener, one line for the user.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::app::{App, Router};
use crate::upgrade;

/// Serves `app` on `listener` until the process ends: every connection is
/// an HTTP/1.1 request upgraded to WebSocket on the app's path (`/ws`).
///
/// ```no_run
/// # async fn run(app: swill::App) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// swill::serve(listener, app).await
/// # }
/// ```
///
/// Errors accepting one connection (the peer reset it, the process ran out
/// of file descriptors) are logged and do not stop the server.
pub async fn serve(listener: TcpListener, app: App) -> io::Result<()> {
    let router = app.into_router();
    loop {
        match listener.accept().await {
            Ok((tcp, remote)) => {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(serve_http(TokioIo::new(tcp), router.clone(), remote));
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                // Out of descriptors: give in-flight connections a moment to close.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

async fn serve_http(
    io: TokioIo<tokio::net::TcpStream>,
    router: Arc<Router>,
    remote: std::net::SocketAddr,
) {
    let service = service_fn(move |req| {
        let response = upgrade::respond(&router, req, Some(remote));
        async move { Ok::<_, Infallible>(response) }
    });
    if let Err(e) = http1::Builder::new()
        .serve_connection(io, service)
        .with_upgrades()
        .await
    {
        tracing::debug!(error = %e, "http connection failed");
    }
}
