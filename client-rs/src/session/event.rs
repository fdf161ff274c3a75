//! What the session hands back for each call.

use swill_proto::{ErrorBody, Metadata, Payload, RequestFrame, Seq};

use crate::error::Error;

/// What an incoming frame means for one call.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The server's leading metadata; at most once per call, before the
    /// first message (repeats are dropped).
    Leading(Metadata),
    /// One item of a response stream.
    Item(Payload),
    /// The single answer of a unary or client-streaming call (terminal).
    Answer {
        /// The answer.
        data: Payload,
        /// Trailing metadata, if the server sent any.
        trailing: Option<Metadata>,
    },
    /// The response stream is over (terminal).
    End {
        /// Trailing metadata, if the server sent any.
        trailing: Option<Metadata>,
    },
    /// The server answered ERROR (terminal).
    Error(ErrorBody),
    /// The call failed on this side: a malformed frame, or the connection
    /// was lost (terminal).
    Failed(Error),
}

impl Event {
    /// Whether the call is over after this event.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Event::Leading(_) | Event::Item(_))
    }
}

/// The events one incoming frame produced, for one call.
#[derive(Debug)]
pub struct Incoming<S> {
    /// The call's seq.
    pub seq: Seq,
    /// The call's sink, as given to [`Session::start`](super::Session::start).
    pub sink: S,
    /// One or two events (leading metadata comes first when the frame
    /// carries it). If the last is [terminal](Event::is_terminal), the
    /// session has forgotten the call.
    pub events: Vec<Event>,
    /// A frame to send back: the CANCEL for a call the session gave up on
    /// because the server sent it a malformed frame.
    pub reply: Option<RequestFrame>,
}
