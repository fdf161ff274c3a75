//! Keeping a client connected: the first connection, and the reconnects
//! after a loss, per the shared [`ReconnectPolicy`].
//!
//! As in the Rust client, reconnecting is lazy: a lost connection stays
//! lost until a call needs one. That call starts a round of attempts with
//! the policy's backoff; calls that come meanwhile wait for the same round
//! and share its outcome.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use swill_client::{ConnectionState, Error, ReconnectPolicy};

use crate::latch::Latch;
use crate::transport::{Connection, Report, Wire};

/// One round of reconnecting, awaited by every call that needs it.
type Round = Latch<Result<Rc<Connection>, Error>>;

/// Holds the current connection and makes new ones.
pub(crate) struct Connector {
    url: String,
    class: Function,
    connect_timeout_ms: f64,
    policy: ReconnectPolicy,
    report: Report,
    current: RefCell<Option<Rc<Connection>>>,
    round: RefCell<Option<Rc<Round>>>,
    /// Set by `close()`: the client is closed, and an attempt or a pause
    /// of a round in progress ends at once.
    stop: Latch<()>,
    /// The session id to present, and the last one the server gave.
    session: SessionSlot,
    /// How every connection speaks.
    wire: Wire,
}

/// Where the client keeps its session id between connections.
pub(crate) type SessionSlot = Rc<RefCell<Option<String>>>;

/// The settings a [`Connector`] is made from.
pub(crate) struct Settings {
    pub(crate) url: String,
    pub(crate) class: Function,
    pub(crate) connect_timeout_ms: f64,
    pub(crate) policy: ReconnectPolicy,
    pub(crate) report: Report,
    /// A session id to resume, from the connect options.
    pub(crate) session: Option<String>,
    /// How every connection speaks.
    pub(crate) wire: Wire,
}

impl Connector {
    /// Connects for the first time: one attempt, no retries.
    pub(crate) async fn connect(settings: Settings) -> Result<Rc<Connector>, Error> {
        let connector = Rc::new(Connector {
            url: settings.url,
            class: settings.class,
            connect_timeout_ms: settings.connect_timeout_ms,
            policy: settings.policy,
            report: settings.report,
            current: RefCell::new(None),
            round: RefCell::new(None),
            stop: Latch::default(),
            session: Rc::new(RefCell::new(settings.session)),
            wire: settings.wire,
        });
        let connection = connector.attempt(1).await?;
        *connector.current.borrow_mut() = Some(connection);
        Ok(connector)
    }

    /// The open connection, if there is one now (no waiting, no dialing).
    pub(crate) fn ready(&self) -> Option<Rc<Connection>> {
        if self.is_closed() {
            return None;
        }
        self.current
            .borrow()
            .as_ref()
            .filter(|c| c.is_open())
            .cloned()
    }

    /// The open connection, or a new one made per the reconnect policy.
    pub(crate) async fn connection(self: &Rc<Self>) -> Result<Rc<Connection>, Error> {
        if self.is_closed() {
            return Err(closed());
        }
        if let Some(connection) = self.current.borrow().as_ref().filter(|c| c.is_open()) {
            return Ok(connection.clone());
        }
        let round = self.round.borrow().clone();
        let round = round.unwrap_or_else(|| self.start_round());
        round.get().await
    }

    /// The session id the client holds.
    pub(crate) fn session(&self) -> Option<String> {
        self.session.borrow().clone()
    }

    /// The reconnect policy, whose backoff also paces resubscriptions.
    pub(crate) fn policy(&self) -> &ReconnectPolicy {
        &self.policy
    }

    /// Whether [`close`](Connector::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.stop.peek().is_some()
    }

    /// Closes the connection; calls in flight fail, later calls too, and
    /// so do calls waiting for a reconnection, at once (not with the last
    /// attempt's failure when the round ends).
    pub(crate) fn close(&self) {
        self.stop.set(());
        if let Some(connection) = self.current.borrow_mut().take() {
            connection.close("the client was closed");
        }
        let round = self.round.borrow().clone();
        if let Some(round) = round {
            round.set(Err(closed()));
        }
    }

    /// Starts a round of attempts in the background, so that it finishes
    /// even if the call that started it gives up.
    fn start_round(self: &Rc<Self>) -> Rc<Round> {
        let round = Rc::new(Round::default());
        *self.current.borrow_mut() = None;
        *self.round.borrow_mut() = Some(round.clone());
        let (connector, finished) = (self.clone(), round.clone());
        crate::bridge::spawn(async move {
            let outcome = connector.reconnect().await;
            *connector.round.borrow_mut() = None;
            // Closed meanwhile: `close()` has told the waiting calls.
            if connector.is_closed() {
                if let Ok(connection) = &outcome {
                    connection.close("the client was closed");
                }
                return;
            }
            if let Ok(connection) = &outcome {
                *connector.current.borrow_mut() = Some(connection.clone());
            }
            finished.set(outcome);
        });
        round
    }

    async fn reconnect(&self) -> Result<Rc<Connection>, Error> {
        let attempt = |n| self.attempt(n);
        // Cut short by close(): its timer goes, and Node may exit.
        let pause = |pause: std::time::Duration| async move {
            let _ = crate::timer::within(Some(pause.as_secs_f64() * 1000.0), self.stop.get()).await;
        };
        let go_on = || !self.is_closed();
        let random = js_sys::Math::random;
        self.policy.run(attempt, pause, random, go_on).await
    }

    async fn attempt(&self, attempt: u32) -> Result<Rc<Connection>, Error> {
        (self.report)(ConnectionState::Connecting { attempt });
        let opened = Connection::open(
            &self.url,
            &self.class,
            self.connect_timeout_ms,
            self.report.clone(),
            self.session.clone(),
            self.wire,
            &self.stop,
        )
        .await;
        // After close(), nothing more is reported.
        match &opened {
            _ if self.is_closed() => {}
            Ok(_) => (self.report)(ConnectionState::Connected),
            Err(error) => (self.report)(ConnectionState::Disconnected {
                reason: error.message().into_owned(),
            }),
        }
        opened
    }
}

fn closed() -> Error {
    Error::Disconnected {
        reason: "the client was closed".to_owned(),
    }
}
