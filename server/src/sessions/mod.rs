//! Sessions: what the server knows about a client beyond one WebSocket (who
//! signed in, their settings), kept across reconnections and across nodes.
//!
//! ```
//! use swill::sessions::Sessions;
//! use swill::{App, Error, Request};
//!
//! /// Remembers the caller's name.
//! async fn sign_in(req: Request<String>) -> Result<(), Error> {
//!     let session = req.ctx.session().expect("the app has sessions");
//!     session.regenerate().await?; // a new id once signed in: no fixation
//!     session.insert("user", &req.data)?;
//!     Ok(()) // saved before the answer goes out
//! }
//!
//! /// Who the caller is, if they signed in.
//! async fn whoami(req: Request<()>) -> Result<Option<String>, Error> {
//!     let session = req.ctx.session().expect("the app has sessions");
//!     session.get("user").await
//! }
//!
//! let app = App::new()
//!     .sessions(Sessions::memory())
//!     .handle_as("sign_in", sign_in)
//!     .handle_as("whoami", whoami);
//! ```
//!
//! - A session is identified by an unguessable id (128 random bits from the
//!   operating system), issued by the server at the WebSocket upgrade and
//!   presented again by the client when it reconnects: browsers through the
//!   cookie `swill_session` (HttpOnly, SameSite=Lax, Secure under TLS),
//!   other clients through the header `swill-session` (or, where headers
//!   cannot be set, a subprotocol token `swill.session.ID`). The upgrade
//!   response carries the id in both the cookie and the header.
//! - An unknown, expired or forged id starts a new, empty session, the same
//!   as none: nothing tells whether it existed.
//! - Values are read and written through [`Session`], from the request
//!   context ([`Context::session`](crate::Context::session)) or a
//!   `before_request` hook ([`RequestHead::session`](crate::RequestHead)).
//!   Writes are saved when the request ends (before its answer goes out,
//!   so the client's next request sees them, on any node), or earlier with
//!   [`Session::save`]. A request that ends in an ERROR saves nothing it
//!   did not save itself.
//! - Two connections writing the same session at once: changes are applied
//!   key by key, in the order each request saved them. A key written by
//!   both ends with the last save's value; keys written by only one are
//!   never lost. A single writer never loses an update.
//! - [`Session::regenerate`] gives the session a new id (after sign-in);
//!   [`Session::destroy`] deletes it everywhere (sign-out). Either way the
//!   client learns the new id from the `swill-session` trailing metadata of
//!   that request's answer; our clients present it when they reconnect.
//!   Other connections still holding the old id find an empty session.
//! - Ids never appear in the server's logs or error messages, and are left
//!   out of the headers the app sees ([`ConnectionInfo`](crate::ConnectionInfo)).

mod binding;
#[cfg(feature = "redis")]
mod redis;
mod session;
mod store;

use std::sync::Arc;
use std::time::Duration;

pub(crate) use binding::{
    Binding, SESSION_HEADER, SESSION_PROTOCOL_PREFIX, cookie, presented, redacted,
};
pub use session::Session;
use store::{MemoryStore, Store};

/// Where sessions are kept, and for how long.
///
/// ```
/// use std::time::Duration;
/// use swill::sessions::Sessions;
///
/// let sessions = Sessions::builder().idle_timeout(Duration::from_secs(3600)).build();
/// # let _ = sessions;
/// ```
#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn Store>,
}

/// Builds [`Sessions`].
#[must_use]
pub struct SessionsBuilder {
    idle: Duration,
    #[cfg(feature = "redis")]
    redis: Option<crate::topics::RedisConfig>,
}

impl Sessions {
    /// Sessions in this process's memory, expiring after 24 hours unused.
    pub fn memory() -> Sessions {
        Sessions::builder().build()
    }

    /// Starts configuring sessions.
    pub fn builder() -> SessionsBuilder {
        SessionsBuilder {
            idle: Duration::from_secs(24 * 3600),
            #[cfg(feature = "redis")]
            redis: None,
        }
    }

    /// Resolves the id a client presented (if any) to a binding for its
    /// connection: its session, or a new one.
    pub(crate) async fn bind(&self, presented: Option<&str>) -> Arc<Binding> {
        Binding::resolve(self.store.clone(), presented).await
    }
}

impl SessionsBuilder {
    /// How long a session lives unused (default 24 hours); every request
    /// that uses it starts the count again.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = idle.max(Duration::from_millis(1));
        self
    }

    /// Keeps sessions in Redis (the same settings as topics), so that every
    /// node sees them. Given a clone of the topics' config, sessions and
    /// topics share one command connection (and its watch).
    #[cfg(feature = "redis")]
    pub fn redis(mut self, config: crate::topics::RedisConfig) -> Self {
        self.redis = Some(config);
        self
    }

    /// The sessions.
    pub fn build(self) -> Sessions {
        #[cfg(feature = "redis")]
        if let Some(config) = self.redis {
            return Sessions {
                store: Arc::new(redis::RedisStore::new(config, self.idle)),
            };
        }
        Sessions {
            store: Arc::new(MemoryStore::new(self.idle)),
        }
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}
