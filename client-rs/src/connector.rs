//! Keeping a client connected: the first connection, and the reconnects
//! after a loss, per the [`ReconnectPolicy`](crate::ReconnectPolicy).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::Mutex;

use crate::builder::{Config, Encoding, Subprotocol};
use crate::error::Error;
use crate::reconnect::ConnectionState;
use crate::transport::{self, Connection, DialFailure};

/// Holds the current connection and makes new ones.
///
/// Reconnecting is lazy: a lost connection stays lost until a call needs
/// one. That call dials, with up to `max_attempts` attempts and a jittered
/// backoff between them. Calls that come meanwhile wait for that round
/// and share its outcome: the new connection, or its error.
#[derive(Debug)]
pub(crate) struct Connector {
    config: Config,
    slot: Mutex<Slot>,
    /// How many reconnect rounds have finished.
    rounds: AtomicU64,
    /// Whether [`Subprotocol::Auto`] settled on the legacy token.
    legacy: AtomicBool,
    /// Whether the client was closed: no connection is made any more.
    closed: AtomicBool,
    /// Told when the client closes: a round of reconnect attempts in
    /// progress ends at once, in its pause or its attempt.
    closing: tokio::sync::Notify,
}

#[derive(Debug)]
struct Slot {
    /// The current connection; `None` or closed means the next call dials.
    connection: Option<Arc<Connection>>,
    /// Why the last round failed, for the calls that waited on it.
    failure: Option<Error>,
}

impl Connector {
    /// Connects for the first time: one attempt, no retries.
    pub(crate) async fn connect(config: Config) -> Result<Connector, Error> {
        let connector = Connector {
            config,
            slot: Mutex::new(Slot {
                connection: None,
                failure: None,
            }),
            rounds: AtomicU64::new(0),
            legacy: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            closing: tokio::sync::Notify::new(),
        };
        let connection = connector.attempt(1).await?;
        connector.slot.lock().await.connection = Some(connection);
        Ok(connector)
    }

    /// The session id the client holds.
    pub(crate) fn session(&self) -> Option<String> {
        crate::builder::lock_slot(&self.config.session).clone()
    }

    /// How this client reconnects.
    pub(crate) fn policy(&self) -> &crate::reconnect::ReconnectPolicy {
        &self.config.reconnect
    }

    /// Whether [`close`](Connector::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Closes the connection with a close handshake; calls in flight
    /// fail, and so do later ones.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        // A round holds the slot until it ends: end it first.
        self.closing.notify_waiters();
        let connection = self.slot.lock().await.connection.take();
        if let Some(connection) = connection {
            connection.close().await;
        }
    }

    /// The open connection, or a new one made per the reconnect policy.
    pub(crate) async fn connection(&self) -> Result<Arc<Connection>, Error> {
        let rounds_seen = self.rounds.load(Ordering::Acquire);
        // Registered before `closed` is read, so that a close() after that
        // read is not missed.
        let closing = self.closing.notified();
        tokio::pin!(closing);
        closing.as_mut().enable();
        let mut slot = self.slot.lock().await;
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        if let Some(connection) = slot.connection.as_ref().filter(|c| c.is_open()) {
            return Ok(connection.clone());
        }
        // A round failed while this call waited for it: that is its answer.
        if self.rounds.load(Ordering::Acquire) != rounds_seen
            && let Some(failure) = &slot.failure
        {
            return Err(failure.clone());
        }
        slot.connection = None;
        let outcome = tokio::select! {
            outcome = self.reconnect() => outcome,
            () = &mut closing => Err(closed()),
        };
        self.rounds.fetch_add(1, Ordering::Release);
        match &outcome {
            Ok(connection) => {
                slot.connection = Some(connection.clone());
                slot.failure = None;
            }
            Err(failure) => slot.failure = Some(failure.clone()),
        }
        outcome
    }

    async fn reconnect(&self) -> Result<Arc<Connection>, Error> {
        let attempt = |n| self.attempt(n);
        // A client closed meanwhile stops the round at its next attempt.
        let go_on = || !self.is_closed();
        (self.config.reconnect)
            .run(attempt, tokio::time::sleep, fastrand::f64, go_on)
            .await
    }

    /// One attempt: dial with the subprotocol token (for `Auto`, retry
    /// once with the legacy token if the server refuses the first).
    async fn attempt(&self, attempt: u32) -> Result<Arc<Connection>, Error> {
        self.config.report(ConnectionState::Connecting { attempt });
        let result = match (self.config.encoding, self.config.subprotocol) {
            (Encoding::Json, Subprotocol::Legacy) => Err(DialFailure::from(Error::Invalid(
                "the JSON encoding needs a swill server (swill.v1.json); the legacy swill/1 \
                 speaks MessagePack only"
                    .to_owned(),
            ))),
            (Encoding::Json, _) => {
                transport::dial(&self.config, swill_proto::json::SUBPROTOCOL).await
            }
            (_, Subprotocol::V1) => transport::dial(&self.config, Subprotocol::V1_TOKEN).await,
            (_, Subprotocol::Legacy) => {
                transport::dial(&self.config, Subprotocol::LEGACY_TOKEN).await
            }
            (_, Subprotocol::Auto) => self.dial_auto().await,
        };
        match result {
            Ok(socket) => {
                self.config.report(ConnectionState::Connected);
                Ok(Connection::spawn(socket, &self.config))
            }
            Err(DialFailure { error, .. }) => {
                let reason = error.message().into_owned();
                self.config.report(ConnectionState::Disconnected { reason });
                Err(error)
            }
        }
    }

    async fn dial_auto(&self) -> Result<transport::Socket, DialFailure> {
        if !self.legacy.load(Ordering::Relaxed) {
            match transport::dial(&self.config, Subprotocol::V1_TOKEN).await {
                Err(failure) if failure.refused => {
                    tracing::debug!(error = %failure.error, "swill.v1 refused; trying swill/1");
                }
                done => return done,
            }
        }
        let socket = transport::dial(&self.config, Subprotocol::LEGACY_TOKEN).await?;
        self.legacy.store(true, Ordering::Relaxed);
        Ok(socket)
    }
}

fn closed() -> Error {
    Error::Disconnected {
        reason: "the client was closed".to_owned(),
    }
}
