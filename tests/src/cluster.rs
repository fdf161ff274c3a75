//! Several real server processes (the demo binary, `--redis URL`) and a
//! small TCP balancer in front of them, as a production deployment has.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

/// The demo binary, built beside the test binaries (`cargo test
/// --workspace` builds it; so does the test command).
pub fn demo_binary() -> PathBuf {
    binary("demo", "cargo build -p swill-examples --bin demo")
}

/// The `swill` command-line tool, built beside the test binaries.
pub fn swill_binary() -> PathBuf {
    binary("swill", "cargo build -p swill-client --bin swill")
}

fn binary(name: &str, build: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let found = exe
        .ancestors()
        .find(|dir| dir.join(name).is_file())
        .map(|dir| dir.join(name));
    found.unwrap_or_else(|| panic!("no {name} binary near {exe:?}: run `{build}` first"))
}

/// One demo server process.
pub struct Node {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl Node {
    /// Starts a demo node on a free port, with topics in `redis`, and
    /// returns once it listens.
    pub async fn start(redis: &str, name: &str, extra: &[&str]) -> Node {
        let mut args = vec!["--redis", redis, "--node", name];
        args.extend_from_slice(extra);
        Node::spawn(&args).await
    }

    /// Starts a demo process on a free port with `args`, and returns once
    /// it listens.
    pub async fn spawn(args: &[&str]) -> Node {
        let mut child = Command::new(demo_binary())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the demo binary");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let listening = async {
            while let Some(line) = lines.next_line().await.ok().flatten() {
                let rest = line
                    .strip_prefix("swill demo listening on ws://")
                    .or_else(|| line.strip_prefix("swill demo listening on wss://"));
                if let Some(rest) = rest {
                    return rest.trim_end_matches("/ws").parse().ok();
                }
            }
            None
        };
        let addr = tokio::time::timeout(crate::PATIENCE, listening)
            .await
            .ok()
            .flatten()
            .expect("the demo node did not start");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Node { addr, child }
    }

    /// The node's WebSocket URL.
    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// SIGKILL: the node dies at once, its connections with it.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// A TCP balancer: each connection goes to the first backend that accepts
/// it, so when a node dies its clients land on the next one.
pub struct Balancer {
    /// Where clients connect.
    pub addr: SocketAddr,
    backends: Arc<Mutex<Vec<SocketAddr>>>,
}

impl Balancer {
    /// A balancer over `backends`, tried in order.
    pub async fn start(backends: Vec<SocketAddr>) -> Balancer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let backends = Arc::new(Mutex::new(backends));
        let shared = backends.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let order = shared.lock().expect("backends").clone();
                tokio::spawn(forward(client, order));
            }
        });
        Balancer { addr, backends }
    }

    /// The balancer's WebSocket URL.
    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Replaces the backends, for connections made from now on.
    pub fn set_backends(&self, backends: Vec<SocketAddr>) {
        *self.backends.lock().expect("backends") = backends;
    }
}

async fn forward(mut client: TcpStream, backends: Vec<SocketAddr>) {
    for backend in backends {
        if let Ok(mut server) = TcpStream::connect(backend).await {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            return;
        }
    }
}
