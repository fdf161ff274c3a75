//! Shared pieces of the client tests: servers on 127.0.0.1 that a test can
//! stop and start again, and handlers that tell the test what the server
//! saw (a handler started, a handler was dropped).

#![allow(unreachable_pub)]

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use futures::StreamExt;
use swill::{App, Error, Request, StreamingRequest};
use tokio::sync::{mpsc, oneshot};

/// How long a test waits for something before failing instead of hanging.
/// A guard against a stuck test, never a way to wait for something.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Awaits `future`, failing the test if it takes longer than [`PATIENCE`].
pub async fn patiently<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .expect("this should have happened by now")
}

/// Accepts one WebSocket on `tcp` as a bare Swill server would: selecting
/// `swill.v1`, which the client offers. For servers a test writes by hand.
pub async fn accept_swill(
    tcp: tokio::net::TcpStream,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    // The handshake callback's error type is tungstenite's, large as it is.
    #[allow(clippy::result_large_err)]
    let choose = |_: &Request, mut response: Response| {
        let token = "swill.v1".parse().expect("a header value");
        response
            .headers_mut()
            .insert("sec-websocket-protocol", token);
        Ok(response)
    };
    tokio_tungstenite::accept_hdr_async(tcp, choose)
        .await
        .expect("a WebSocket handshake")
}

/// Runs `swill ARGS` with `stdin` as its standard input.
pub fn swill(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_swill"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the swill binary runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    // Wait on another thread, so that a hung binary fails the test instead
    // of hanging it.
    let (done, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    output
        .recv_timeout(PATIENCE)
        .expect("swill finished in time")
        .expect("swill's output")
}

/// A server on its own runtime and thread, so that stopping it closes its
/// listener and every connection it had, as a real server restart does.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    stopped: Option<oneshot::Receiver<()>>,
}

impl Server {
    /// Serves the demo app on a free port of 127.0.0.1.
    pub fn demo() -> Server {
        Server::start("127.0.0.1:0", swill_examples::demo::app)
    }

    /// Serves the app `make` builds on `addr` (port 0 picks a free one).
    pub fn start<S>(addr: &str, make: impl FnOnce() -> App<S> + Send + 'static) -> Server {
        let listener = std::net::TcpListener::bind(addr).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stop_rx) = oneshot::channel();
        let (stopped_tx, stopped) = oneshot::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                tokio::select! {
                    _ = swill::serve(listener, make()) => {}
                    _ = stop_rx => {}
                }
            });
            // Dropping the runtime drops every connection task: the sockets close.
            drop(runtime);
            let _ = stopped_tx.send(());
        });
        Server {
            addr,
            stop: Some(stop),
            stopped: Some(stopped),
        }
    }

    /// The URL of the server's WebSocket endpoint.
    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Stops the server and waits until its listener and connections are closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(stopped) = self.stopped.take() {
            patiently(stopped).await.expect("the server thread ends");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What the probe app's handlers report.
pub struct Probe {
    /// The name of each handler when it starts.
    pub started: mpsc::UnboundedReceiver<&'static str>,
    /// The name of each handler when it is dropped (cancelled or done).
    pub dropped: mpsc::UnboundedReceiver<&'static str>,
}

impl Probe {
    pub async fn started(&mut self) -> &'static str {
        patiently(self.started.recv())
            .await
            .expect("a handler started")
    }

    pub async fn dropped(&mut self) -> &'static str {
        patiently(self.dropped.recv())
            .await
            .expect("a handler was dropped")
    }
}

/// Tells the test when a handler starts and when it is dropped.
#[derive(Clone)]
struct Reporter {
    started: mpsc::UnboundedSender<&'static str>,
    dropped: mpsc::UnboundedSender<&'static str>,
}

impl Reporter {
    /// Reports that `name` started; the guard reports when it is dropped.
    fn enter(&self, name: &'static str) -> Guard {
        let _ = self.started.send(name);
        Guard(self.dropped.clone(), name)
    }
}

/// Sends a name when dropped: proof that the server dropped a handler.
struct Guard(mpsc::UnboundedSender<&'static str>, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

/// An app whose handlers never finish on their own, each reporting when it
/// starts and when it is dropped: `hold` (unary), `hold_stream` (yields 0,
/// then nothing), `hold_in` (client streaming), `hold_bidi` (echoes each
/// message, never ends).
pub fn probe_app() -> (impl FnOnce() -> App + Send + 'static, Probe) {
    let (started, started_rx) = mpsc::unbounded_channel();
    let (dropped, dropped_rx) = mpsc::unbounded_channel();
    let reporter = Reporter { started, dropped };
    let make = move || {
        let r = reporter;
        let (r1, r2, r3, r4) = (r.clone(), r.clone(), r.clone(), r);
        App::new()
            .handle_as("hold", move |_req: Request<()>| {
                let guard = r1.enter("hold");
                async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                    Ok::<(), Error>(())
                }
            })
            .handle_as("hold_stream", move |_req: Request<()>| {
                let guard = r2.enter("hold_stream");
                async move {
                    let items = futures::stream::once(async { Ok::<u64, Error>(0) });
                    items.chain(futures::stream::pending()).map(move |item| {
                        let _ = &guard;
                        item
                    })
                }
            })
            .handle_as("hold_in", move |mut req: StreamingRequest<i64>| {
                let guard = r3.enter("hold_in");
                async move {
                    let _guard = guard;
                    while req.next().await.is_some() {}
                    std::future::pending::<()>().await;
                    Ok::<i64, Error>(0)
                }
            })
            .handle_as("hold_bidi", move |req: StreamingRequest<String>| {
                let guard = r4.enter("hold_bidi");
                async move {
                    let echoes = req.map(Ok::<String, Error>);
                    echoes.chain(futures::stream::pending()).map(move |item| {
                        let _ = &guard;
                        item
                    })
                }
            })
    };
    let probe = Probe {
        started: started_rx,
        dropped: dropped_rx,
    };
    (make, probe)
}
