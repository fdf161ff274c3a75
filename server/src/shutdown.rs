//! Graceful shutdown: one signal for every connection, and a grace period.

use std::time::Duration;

use std::future::Future;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long in-flight requests may run after shutdown starts, by default.
pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// A connection's view of the server's shutdown.
///
/// When it is requested, a connection stops taking new requests (they get
/// ERROR 503), lets the open ones finish until the grace period ends, then
/// closes with 1001 and stops whatever is still running.
#[derive(Clone, Debug)]
pub(crate) struct Shutdown {
    token: CancellationToken,
    grace: Duration,
    /// Every upgraded connection's task, to wait for them at the end.
    connections: TaskTracker,
}

impl Shutdown {
    pub(crate) fn new(grace: Duration) -> Self {
        Shutdown {
            token: CancellationToken::new(),
            grace,
            connections: TaskTracker::new(),
        }
    }

    /// Runs a connection, tracked so that shutdown can wait for it.
    pub(crate) fn spawn<F>(&self, connection: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.connections.spawn(connection);
    }

    /// Starts the shutdown and waits for every connection to end: each one
    /// gets the grace period, then stops what still runs. A little slack on
    /// top bounds the wait even if an `after_request` hook hangs.
    pub(crate) async fn run(&self) {
        self.token.cancel();
        self.connections.close();
        let bound = self.grace + Duration::from_secs(5);
        if tokio::time::timeout(bound, self.connections.wait())
            .await
            .is_err()
        {
            tracing::warn!("connections still open after the grace period; leaving them");
        }
    }

    /// Resolves once shutdown has been requested.
    pub(crate) async fn requested(&self) {
        self.token.cancelled().await
    }

    /// The same shutdown (one signal, one set of connections) with another
    /// grace period.
    pub(crate) fn with_grace(&self, grace: Duration) -> Self {
        Shutdown {
            grace,
            ..self.clone()
        }
    }

    /// The token cancelled when shutdown starts, for handlers to watch.
    pub(crate) fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// When the grace period ends, counted from now.
    pub(crate) fn grace_deadline(&self) -> tokio::time::Instant {
        tokio::time::Instant::now() + self.grace
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new(DEFAULT_GRACE)
    }
}
