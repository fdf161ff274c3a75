//! Following a topic across reconnections, without I/O: the position to
//! resume from, duplicates to drop, gaps to report, and which failures are
//! worth resubscribing after. The Rust client's [`Subscription`] and the
//! TypeScript client both drive this one state machine.
//!
//! ```
//! use swill_client::topic::{Cursor, Step};
//! use swill_client::proto::{Payload, Position, TopicEvent};
//!
//! let mut cursor = Cursor::new("chat", None);
//! let start = TopicEvent::encode_subscribed(&Position::new("e1", 4), true);
//! assert!(matches!(cursor.on_item(&start).unwrap(), Step::Skip));
//! let hello = TopicEvent::encode_publication(5, &Payload::encode(&"hi").unwrap());
//! assert!(matches!(cursor.on_item(&hello).unwrap(), Step::Deliver(_, _)));
//! // The same publication again (after a resubscription, say) is dropped.
//! assert!(matches!(cursor.on_item(&hello).unwrap(), Step::Skip));
//! // A resubscription asks for what came after it.
//! assert_eq!(cursor.request().since, Some(Position::new("e1", 5)));
//! ```
//!
//! [`Subscription`]: crate::Subscription

use swill_proto::{Code, DataError, Payload, Position, SubscribeRequest, TopicEvent};

use crate::error::Error;

/// Where a subscription stands in its topic.
#[derive(Clone, Debug)]
pub struct Cursor {
    topic: String,
    /// The last publication delivered (or the position subscribed at).
    position: Option<Position>,
    /// Whether the server has confirmed a subscription yet.
    subscribed: bool,
}

/// What to do with one item of a `swill.subscribe` stream.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Hand this publication to the application.
    Deliver(Position, Payload),
    /// Publications were lost and cannot be recovered: tell the
    /// application, which should reload; the stream goes on after `now`.
    Missed {
        /// The last position delivered (or asked for), if any.
        last: Option<Position>,
        /// Where the stream continues.
        now: Position,
    },
    /// Nothing for the application (a confirmation, a duplicate).
    Skip,
}

impl Cursor {
    /// A cursor for `topic`, resuming after `since` if given.
    pub fn new(topic: impl Into<String>, since: Option<Position>) -> Cursor {
        Cursor {
            topic: topic.into(),
            position: since,
            subscribed: false,
        }
    }

    /// The topic followed.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The last position delivered, to resume from.
    pub fn position(&self) -> Option<&Position> {
        self.position.as_ref()
    }

    /// Whether the server has confirmed the current subscription (its
    /// position item came). A failure before that is a refusal, worth a
    /// pause before trying again.
    pub fn is_subscribed(&self) -> bool {
        self.subscribed
    }

    /// The request that (re)subscribes from the current position.
    pub fn request(&self) -> SubscribeRequest {
        SubscribeRequest {
            topic: self.topic.clone(),
            since: self.position.clone(),
        }
    }

    /// Reads one stream item and says what to do with it.
    pub fn on_item(&mut self, item: &Payload) -> Result<Step, DataError> {
        match TopicEvent::decode(item)? {
            TopicEvent::Subscribed {
                position,
                recovered,
            } => {
                let last = self.position.replace(position.clone());
                let had_position = std::mem::replace(&mut self.subscribed, true) || last.is_some();
                Ok(if recovered || !had_position {
                    Step::Skip
                } else {
                    Step::Missed {
                        last,
                        now: position,
                    }
                })
            }
            TopicEvent::Publication { offset, data } => {
                let Some(position) = self.position.as_mut().filter(|_| self.subscribed) else {
                    return Err(DataError {
                        path: String::new(),
                        message: "a publication came before the subscription's position".into(),
                    });
                };
                if offset <= position.offset {
                    return Ok(Step::Skip);
                }
                position.offset = offset;
                Ok(Step::Deliver(position.clone(), data))
            }
        }
    }

    /// Whether the subscription should resubscribe after `error`: a lost
    /// connection, a server that could not serve the topic for a while
    /// (503), or a subscriber that fell behind (409). The cursor's position
    /// then recovers what was missed.
    pub fn resumes_after(&self, error: &Error) -> bool {
        match error {
            Error::Disconnected { .. } => true,
            Error::Remote(body) => body.code == Code::UNAVAILABLE || body.code == Code::LAGGED,
            _ => false,
        }
    }

    /// Forgets that the server confirmed the subscription: the next
    /// position item starts a new one.
    pub fn restart(&mut self) {
        self.subscribed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swill_proto::ErrorBody;

    fn subscribed(epoch: &str, offset: u64, recovered: bool) -> Payload {
        TopicEvent::encode_subscribed(&Position::new(epoch, offset), recovered)
    }

    fn publication(offset: u64) -> Payload {
        TopicEvent::encode_publication(offset, &Payload::nil())
    }

    #[test]
    fn a_new_subscription_without_a_position_misses_nothing() {
        let mut cursor = Cursor::new("t", None);
        assert_eq!(
            cursor.on_item(&subscribed("e", 9, false)).unwrap(),
            Step::Skip
        );
        assert!(
            matches!(cursor.on_item(&publication(10)).unwrap(), Step::Deliver(p, _) if p.offset == 10)
        );
    }

    #[test]
    fn an_unrecovered_resubscription_is_reported_once() {
        let mut cursor = Cursor::new("t", Some(Position::new("e", 3)));
        assert_eq!(
            cursor.on_item(&subscribed("f", 0, false)).unwrap(),
            Step::Missed {
                last: Some(Position::new("e", 3)),
                now: Position::new("f", 0)
            }
        );
        assert!(matches!(
            cursor.on_item(&publication(1)).unwrap(),
            Step::Deliver(..)
        ));
        assert_eq!(cursor.request().since, Some(Position::new("f", 1)));
    }

    #[test]
    fn duplicates_after_a_resubscription_are_dropped() {
        let mut cursor = Cursor::new("t", None);
        cursor.on_item(&subscribed("e", 0, true)).unwrap();
        cursor.on_item(&publication(1)).unwrap();
        cursor.on_item(&publication(2)).unwrap();
        cursor.restart();
        assert_eq!(
            cursor.on_item(&subscribed("e", 2, true)).unwrap(),
            Step::Skip
        );
        assert_eq!(cursor.on_item(&publication(2)).unwrap(), Step::Skip);
        assert!(matches!(
            cursor.on_item(&publication(3)).unwrap(),
            Step::Deliver(..)
        ));
    }

    #[test]
    fn publications_before_a_position_are_refused() {
        let mut cursor = Cursor::new("t", None);
        assert!(cursor.on_item(&publication(1)).is_err());
    }

    #[test]
    fn only_transient_failures_resume() {
        let cursor = Cursor::new("t", None);
        let remote = |code| Error::Remote(ErrorBody::new(code, "x"));
        assert!(cursor.resumes_after(&remote(Code::LAGGED)));
        assert!(cursor.resumes_after(&remote(Code::UNAVAILABLE)));
        assert!(cursor.resumes_after(&Error::Disconnected { reason: "x".into() }));
        assert!(!cursor.resumes_after(&remote(Code::FORBIDDEN)));
        assert!(!cursor.resumes_after(&remote(Code::NOT_FOUND)));
    }
}
