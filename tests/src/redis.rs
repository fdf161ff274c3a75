//! A real `redis-server` for one test: started on a free port of 127.0.0.1
//! with its own directory, and stopped (its files removed) when dropped.
//! Tests use it to break things as production would: kill it, restart it
//! empty or with its data, kill its clients' connections.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A `redis-server` process owned by a test.
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    persistent: bool,
    child: Option<Child>,
}

impl RedisServer {
    /// A Redis that keeps nothing on disk: a restart starts it empty.
    pub async fn start() -> RedisServer {
        RedisServer::launch(false).await
    }

    /// A Redis that writes every command to its append-only file before
    /// answering (`appendfsync always`): a restart, even after SIGKILL,
    /// finds everything it acknowledged.
    pub async fn start_persistent() -> RedisServer {
        RedisServer::launch(true).await
    }

    async fn launch(persistent: bool) -> RedisServer {
        let port = crate::free_port();
        let dir = std::env::temp_dir().join(format!("swill-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory for Redis");
        let mut server = RedisServer {
            port,
            dir,
            persistent,
            child: None,
        };
        server.restart().await;
        server
    }

    /// The URL the engine connects to.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server (again), on the same port and directory, and
    /// returns once it accepts connections.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "Redis is already running");
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", &self.dir.to_string_lossy()])
            .args(["--save", "", "--logfile", "", "--protected-mode", "no"]);
        if self.persistent {
            command.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            command.args(["--appendonly", "no"]);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server must be installed (scripts/test.sh installs it)");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = async {
            while let Some(line) = lines.next_line().await.expect("Redis's log") {
                if line.contains("Ready to accept connections") {
                    return true;
                }
            }
            false
        };
        let ready = tokio::time::timeout(crate::PATIENCE, ready).await;
        assert_eq!(ready, Ok(true), "redis-server did not start");
        // Keep reading its log so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
    }

    /// SIGKILL: Redis is gone at once, as in a crash.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Runs a command and returns Redis's answer.
    pub async fn command(&self, args: &[&str]) -> redis::Value {
        let client = redis::Client::open(self.url()).expect("URL");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("a connection to the test Redis");
        let mut cmd = redis::cmd(args[0]);
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        cmd.query_async(&mut conn).await.expect("the command")
    }

    /// A connection that counts the others: how a test sees a node
    /// connect, since Redis announces no connection. One connection asks
    /// throughout, so that none of its own, closing, is counted.
    pub async fn connections(&self) -> Connections {
        let client = redis::Client::open(self.url()).expect("URL");
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("a connection to the test Redis");
        Connections(conn)
    }

    /// Publishes raw bytes on a channel.
    pub async fn publish_bytes(&self, channel: &str, message: &[u8]) {
        let client = redis::Client::open(self.url()).expect("URL");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("a connection to the test Redis");
        let _: redis::Value = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(message)
            .query_async(&mut conn)
            .await
            .expect("PUBLISH");
    }

    /// Kills every client connection of a type (`pubsub`, `normal`), as
    /// Redis does to a client over its output buffer limit.
    pub async fn kill_clients(&self, kind: &str) {
        self.command(&["CLIENT", "KILL", "TYPE", kind]).await;
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Counts the connections a Redis has besides its own (`INFO clients`).
pub struct Connections(redis::aio::MultiplexedConnection);

impl Connections {
    /// How many connections are open besides this one.
    pub async fn count(&mut self) -> usize {
        let info: String = redis::cmd("INFO")
            .arg("clients")
            .query_async(&mut self.0)
            .await
            .expect("INFO");
        let connected = info
            .lines()
            .find_map(|l| l.strip_prefix("connected_clients:"))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .expect("connected_clients in INFO");
        connected - 1
    }

    /// Waits until exactly `count` connections are open besides this one.
    pub async fn wait_for(&mut self, count: usize) {
        let mut seen = 0;
        let reached = async {
            loop {
                seen = self.count().await;
                if seen == count {
                    return;
                }
                // Nothing to await: polled, as `a_dead_nodes_presence_expires` does.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        if tokio::time::timeout(crate::PATIENCE, reached)
            .await
            .is_err()
        {
            panic!("{seen} connections besides this one, not {count}");
        }
    }
}
