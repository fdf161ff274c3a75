//! The per-call state machine every client drives, without I/O.
//!
//! The [`Session`](crate::session::Session) turns frames into per-call
//! [`Event`]s; a [`CallState`] turns a call's events into what its caller
//! gets next ([`Next`]), keeps the call's metadata aside, and knows when
//! the call is over, so that the native, wasm and Python clients decide
//! alike what to deliver, when to send CANCEL and what error to report.
//! Each client keeps only its queue (a tokio channel, a JavaScript
//! promise's waker), its timer and its socket.
//!
//! ```
//! use swill_client::driver::{CallState, Next};
//! use swill_client::session::Event;
//! use swill_client::proto::{Metadata, Payload};
//!
//! let mut call = CallState::new();
//! let mut leading = Metadata::new();
//! leading.insert("k", "v");
//! // Metadata is kept aside: nothing to deliver yet.
//! assert!(call.on_event(Event::Leading(leading)).is_none());
//! let answer = Event::Answer { data: Payload::encode(&3)?, trailing: None };
//! let next = call.on_event(answer).expect("a delivery")?;
//! assert_eq!(next.answer()?.decode::<i64>()?, 3);
//! assert!(call.is_over());
//! assert_eq!(call.leading().and_then(|m| m.get_str("k")), Some("v"));
//! // Too late: a deadline after the answer changes nothing.
//! assert!(call.expire(std::time::Duration::from_secs(1)).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use swill_proto::{Metadata, Payload};

use crate::error::{Error, decode_error};
use crate::session::Event;

/// What a call delivers next, once metadata is put aside.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// An item of a response stream.
    Item(Payload),
    /// The single answer of a unary or client-streaming call (terminal).
    Answer(Payload),
    /// The response stream is over (terminal), or the call already was.
    End,
}

impl Next {
    /// The one answer a unary or client-streaming call waits for. The
    /// session only ever gives such a call an answer or an error, so
    /// [`Next::End`] here means the call was ended on this side first.
    pub fn answer(self) -> Result<Payload, Error> {
        match self {
            Next::Answer(data) | Next::Item(data) => Ok(data),
            Next::End => Err(decode_error("the call ended without an answer")),
        }
    }
}

/// One call's progress: whether it is over, and its metadata.
#[derive(Debug, Default)]
pub struct CallState {
    leading: Option<Metadata>,
    trailing: Option<Metadata>,
    over: bool,
}

impl CallState {
    /// A call just opened.
    pub fn new() -> Self {
        CallState::default()
    }

    /// Whether the call is over: answered, ended, failed or stopped here.
    pub fn is_over(&self) -> bool {
        self.over
    }

    /// Takes one event of the call and says what to deliver: nothing for
    /// metadata (kept here, readable at once), else the next item, the
    /// answer, the end or the error. Events after the call is over are
    /// ignored.
    pub fn on_event(&mut self, event: Event) -> Option<Result<Next, Error>> {
        if self.over {
            return None;
        }
        let next = match event {
            Event::Leading(leading) => {
                self.leading.get_or_insert(leading);
                return None;
            }
            Event::Item(data) => {
                // Leading metadata comes with or before the first item: by
                // now there is none if it did not come.
                self.leading.get_or_insert_with(Metadata::new);
                return Some(Ok(Next::Item(data)));
            }
            Event::Answer { data, trailing } => {
                self.settle(trailing);
                Ok(Next::Answer(data))
            }
            Event::End { trailing } => {
                self.settle(trailing);
                Ok(Next::End)
            }
            Event::Error(body) => Err(Error::Remote(body)),
            Event::Failed(error) => Err(error),
        };
        self.over = true;
        Some(next)
    }

    /// The call's events stopped without a terminal one: its connection
    /// went away.
    pub fn on_lost(&mut self) -> Result<Next, Error> {
        if std::mem::replace(&mut self.over, true) {
            return Ok(Next::End);
        }
        Err(Error::Disconnected {
            reason: "the connection closed".to_owned(),
        })
    }

    /// The call's deadline passed: if the call was still on, it is over,
    /// and the caller gets [`Error::Timeout`]; send CANCEL then.
    pub fn expire(&mut self, after: Duration) -> Option<Error> {
        self.fail(Error::Timeout(after))
    }

    /// Ends the call on this side with `error` (a deadline, an abort, an
    /// answer that did not decode): `Some(error)` to deliver if the call
    /// was still on, and then CANCEL must go to the server.
    pub fn fail(&mut self, error: Error) -> Option<Error> {
        (!std::mem::replace(&mut self.over, true)).then_some(error)
    }

    /// Ends the call on this side; `true` if it was still on, and then
    /// CANCEL must go to the server.
    pub fn stop(&mut self) -> bool {
        !std::mem::replace(&mut self.over, true)
    }

    /// The server's leading metadata, once it arrived (empty once the first
    /// item or the answer came without any).
    pub fn leading(&self) -> Option<&Metadata> {
        self.leading.as_ref()
    }

    /// The server's trailing metadata, once the call was answered or its
    /// stream ended (empty when the server sent none).
    pub fn trailing(&self) -> Option<&Metadata> {
        self.trailing.as_ref()
    }

    /// Both metadata maps, taken out (empty where there were none).
    pub fn take_metadata(&mut self) -> (Metadata, Metadata) {
        let leading = self.leading.take().unwrap_or_default();
        (leading, self.trailing.take().unwrap_or_default())
    }

    /// Once answered or ended, the call's metadata is final.
    fn settle(&mut self, trailing: Option<Metadata>) {
        self.trailing = Some(trailing.unwrap_or_default());
        self.leading.get_or_insert_with(Metadata::new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swill_proto::{Code, ErrorBody};

    fn data(n: i64) -> Payload {
        Payload::encode(&n).expect("encodes")
    }

    #[test]
    fn a_stream_delivers_items_then_its_end_and_then_nothing() {
        let mut call = CallState::new();
        assert_eq!(
            call.on_event(Event::Item(data(1))),
            Some(Ok(Next::Item(data(1))))
        );
        assert!(!call.is_over());
        let end = Event::End { trailing: None };
        assert_eq!(call.on_event(end), Some(Ok(Next::End)));
        assert!(call.is_over());
        assert_eq!(call.trailing(), Some(&Metadata::new()));
        assert_eq!(call.on_event(Event::Item(data(2))), None);
        assert_eq!(call.on_lost(), Ok(Next::End));
    }

    #[test]
    fn leading_metadata_is_known_at_the_first_item_empty_if_none_came() {
        let mut call = CallState::new();
        assert_eq!(call.leading(), None, "nothing has come yet");
        call.on_event(Event::Item(data(1)));
        assert_eq!(call.leading(), Some(&Metadata::new()));
        let mut call = CallState::new();
        call.on_event(Event::Leading(Metadata::from([("k", "v")])));
        call.on_event(Event::Item(data(1)));
        assert_eq!(call.leading().and_then(|m| m.get_str("k")), Some("v"));
    }

    #[test]
    fn an_error_ends_the_call_and_a_later_deadline_changes_nothing() {
        let mut call = CallState::new();
        let body = ErrorBody::new(Code::NOT_FOUND, "no such rpc");
        let delivered = call.on_event(Event::Error(body.clone()));
        assert_eq!(delivered, Some(Err(Error::Remote(body))));
        assert_eq!(call.expire(Duration::from_millis(5)), None);
        assert!(!call.stop(), "nothing left to cancel");
    }

    #[test]
    fn a_deadline_ends_a_call_that_is_still_on_once() {
        let mut call = CallState::new();
        let after = Duration::from_millis(5);
        assert_eq!(call.expire(after), Some(Error::Timeout(after)));
        assert_eq!(call.expire(after), None);
        assert_eq!(call.on_event(Event::Item(data(1))), None);
    }

    #[test]
    fn a_lost_connection_is_an_error_once() {
        let mut call = CallState::new();
        assert!(matches!(call.on_lost(), Err(Error::Disconnected { .. })));
        assert_eq!(call.on_lost(), Ok(Next::End));
    }

    #[test]
    fn a_single_answer_refuses_an_end() {
        assert_eq!(Next::Answer(data(3)).answer(), Ok(data(3)));
        assert_eq!(
            Next::End.answer().map_err(|e| e.code()),
            Err(Code::BAD_REQUEST)
        );
    }
}
