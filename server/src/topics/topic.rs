//! Declaring a topic: its name (or prefix pattern), history, queue bound,
//! access check and message type.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use swill_proto::{Payload, TopicDescription, TypeDesc};

use super::engine::Retention;
use crate::context::Context;
use crate::error::Error;
use crate::message::Message;
use crate::schema::Side;

/// The default bound of a subscriber's queue.
const DEFAULT_QUEUE: usize = 1024;

/// A topic (or a family of topics) that clients may subscribe and publish
/// to, with its options.
///
/// ```
/// use std::time::Duration;
/// use swill::{Error, JsonSchema};
/// use swill::topics::{Access, Action, Topic};
///
/// #[derive(serde::Serialize, serde::Deserialize, JsonSchema)]
/// struct ChatMessage { from: String, text: String }
///
/// // `chat.lobby`, `chat.rust`, ...: every room keeps its last 100
/// // messages for 10 minutes; only signed-in users may publish.
/// let rooms = Topic::new("chat.*")
///     .message::<ChatMessage>()
///     .history(100, Some(Duration::from_secs(600)))
///     .authorize(|access: Access| async move {
///         match access.action {
///             Action::Publish if access.ctx.metadata().get_str("user").is_none() => {
///                 Err(Error::forbidden("sign in to chat"))
///             }
///             _ => Ok(()),
///         }
///     });
/// ```
///
/// A name ending in `.*` is a prefix pattern: `chat.*` covers `chat.lobby`
/// and `chat.eu.paris`, not `chat` itself. A topic's name is matched
/// against exact names first, then against patterns in declaration order.
#[derive(Clone)]
pub struct Topic {
    pub(crate) name: String,
    pub(crate) retention: Retention,
    pub(crate) queue: usize,
    pub(crate) authorize: Option<Authorize>,
    pub(crate) message: Option<MessageType>,
    pub(crate) description: Option<String>,
}

type Authorize = Arc<dyn Fn(Access) -> BoxFuture<'static, Result<(), Error>> + Send + Sync>;

/// The declared message type: its schema, and the check publications pass.
#[derive(Clone)]
pub(crate) struct MessageType {
    pub(crate) side: Side,
    pub(crate) check: fn(&str, &Payload) -> Result<(), Error>,
}

/// What the access check of a topic is asked.
#[derive(Debug)]
pub struct Access {
    /// The topic's full name (for a pattern, the matching name).
    pub topic: String,
    /// What the caller wants to do.
    pub action: Action,
    /// The request: metadata, connection, extensions set by hooks.
    pub ctx: Context,
}

/// What a caller wants to do with a topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Receive its publications (`swill.subscribe`).
    Subscribe,
    /// Publish to it (`swill.publish`).
    Publish,
    /// List its subscribers (`swill.presence`).
    Presence,
}

impl Topic {
    /// A topic named `name`, or a family of topics if `name` ends in `.*`.
    /// By default it keeps no history (delivery is then at most once: a
    /// subscriber that reconnects is told what it missed, but cannot get
    /// it), lets everyone subscribe and publish, and takes any value.
    ///
    /// # Panics
    ///
    /// When the name is empty, or holds a `*` anywhere but a final `.*`.
    pub fn new(name: impl Into<String>) -> Topic {
        let name = name.into();
        let stem = name.strip_suffix(".*").unwrap_or(&name);
        assert!(
            !stem.is_empty() && !stem.contains('*'),
            "`{name}`: a topic is a name, or a prefix pattern ending in `.*`"
        );
        Topic {
            name,
            retention: Retention::default(),
            queue: DEFAULT_QUEUE,
            authorize: None,
            message: None,
            description: None,
        }
    }

    /// Keeps the last `size` publications, each for at most `ttl` (`None`:
    /// until newer ones push it out). A subscriber that reconnects within
    /// that history gets exactly what it missed.
    pub fn history(mut self, size: usize, ttl: Option<Duration>) -> Self {
        self.retention = Retention { size, ttl };
        self
    }

    /// Bounds each subscriber's queue (default 1024 publications). A
    /// subscriber that falls this far behind is ended with error 409
    /// (`LAGGED`) carrying its last position, from which it can resume.
    pub fn queue(mut self, size: usize) -> Self {
        self.queue = size.max(1);
        self
    }

    /// Checks every subscribe, publish and presence request from clients
    /// (not publications from the server's own code). Return an error to
    /// refuse: `Error::forbidden` (403) is the usual one.
    pub fn authorize<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(Access) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.authorize = Some(Arc::new(move |access| check(access).boxed()));
        self
    }

    /// Declares the type of the topic's messages: clients' publications must
    /// decode into it (else 400, or 422 for a `Valid` type), and
    /// introspection, the AsyncAPI document and the playground show it.
    pub fn message<T: Message>(mut self) -> Self {
        self.message = Some(MessageType {
            side: T::side(true),
            check: |topic, payload| T::from_payload(topic, payload).map(drop),
        });
        self
    }

    /// A description for introspection and the AsyncAPI document.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The declared name (a pattern ends in `.*`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How `swill.topics` and the AsyncAPI document describe it.
    pub(crate) fn describe(&self) -> TopicDescription {
        let (message, schema) = match &self.message {
            Some(m) => (m.side.type_desc(), Some(m.side.schema.clone())),
            None => (TypeDesc::named("Any"), None),
        };
        TopicDescription {
            name: self.name.clone(),
            history: self.retention.size as u64,
            history_ttl_ms: self.retention.ttl.map(|t| t.as_millis() as u64),
            message,
            schema,
            description: self.description.clone(),
        }
    }

    pub(crate) fn is_pattern(&self) -> bool {
        self.name.ends_with(".*")
    }

    /// Whether `topic` is this topic, or one of its family.
    pub(crate) fn matches(&self, topic: &str) -> bool {
        match self.name.strip_suffix('*') {
            Some(prefix) => topic.len() > prefix.len() && topic.starts_with(prefix),
            None => self.name == topic,
        }
    }

    /// Runs the access check, if any.
    pub(crate) async fn check(
        &self,
        topic: &str,
        action: Action,
        ctx: &Context,
    ) -> Result<(), Error> {
        match &self.authorize {
            Some(check) => {
                check(Access {
                    topic: topic.to_owned(),
                    action,
                    ctx: ctx.clone(),
                })
                .await
            }
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topic")
            .field("name", &self.name)
            .field("retention", &self.retention)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_cover_their_family_only() {
        let rooms = Topic::new("chat.*");
        assert!(rooms.matches("chat.lobby"));
        assert!(rooms.matches("chat.eu.paris"));
        assert!(!rooms.matches("chat."));
        assert!(!rooms.matches("chat"));
        assert!(!rooms.matches("chatter.x"));
        let exact = Topic::new("chat");
        assert!(exact.matches("chat"));
        assert!(!exact.matches("chat.lobby"));
    }

    #[test]
    #[should_panic(expected = "prefix pattern")]
    fn stars_elsewhere_are_refused() {
        let _ = Topic::new("chat.*.x");
    }
}
