//! The client side of one connection as a state machine, without I/O.
//!
//! A [`Session`] turns calls into request frames and incoming response
//! frames into per-call [`Event`]s. It never touches a socket, a timer or a
//! runtime: the native client drives it from a tokio task, and the wasm
//! client from a browser `WebSocket`'s callbacks. Both get the same
//! sequence numbers, the same demultiplexing, the same rules for when a
//! call is over.
//!
//! ```
//! use swill_client::session::{Event, Session};
//! use swill_client::CallOptions;
//! use swill_client::proto::{CallShape, Payload, ResponseFrame};
//!
//! // `S` is whatever reaches the caller of each call; a name will do here.
//! let mut session: Session<&str> = Session::new();
//! let (seq, frame) = session
//!     .start("add", CallShape::Unary, Some(Payload::encode(&(1, 2))?), &CallOptions::new(), "add #1")?;
//! assert_eq!(frame.encode(), b"\x93\x01\x92\x01\x02\xa3add"); // write this on the socket
//!
//! // The server's answer comes back as bytes ...
//! let bytes = ResponseFrame::message(seq, Payload::encode(&3)?).encode();
//! let incoming = session.receive(bytes.into())?.expect("a frame for a pending call");
//! // ... and becomes an event for the right caller. A unary answer ends the call.
//! assert_eq!(incoming.sink, "add #1");
//! assert!(matches!(&incoming.events[..], [Event::Answer { .. }]));
//! assert_eq!(session.pending(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;

use bytes::Bytes;
use swill_proto::{
    CallShape, DecodeError, ErrorBody, Metadata, Payload, RequestFrame, RequestType, ResponseFrame,
    ResponseType, Seq,
};

use crate::error::{Error, decode_error};
use crate::options::CallOptions;

mod event;
mod read;
mod shapes;

/// The header (on the upgrade) and the metadata key (on answers) that
/// carry the client's session id.
pub const SESSION_KEY: &str = Metadata::SESSION;

pub use event::{Event, Incoming};
pub use read::{Read, Received};

/// A call that has not ended yet.
#[derive(Debug)]
struct Pending<S> {
    rpc: String,
    shape: CallShape,
    sink: S,
    leading_seen: bool,
}

/// The pending calls of one connection, and its sequence numbers.
///
/// `S` (the *sink*) is what the transport needs to reach a call's caller:
/// a channel sender, a callback. The session stores it with the call and
/// hands it back with each event.
///
/// Seqs start at 1 and go up by one per call; they are never reused within
/// a session, and a new connection takes a new session.
#[derive(Debug)]
pub struct Session<S> {
    next_seq: u64,
    pending: HashMap<Seq, Pending<S>>,
    closed: Option<String>,
    /// A session id the server announced (after it regenerated or
    /// destroyed the client's session), not taken yet.
    session_id: Option<String>,
    /// The rpcs' shapes, once the server described them.
    shapes: HashMap<String, CallShape>,
    /// The introspection call that asks for them, while it runs.
    probe: Option<shapes::Probe>,
    /// Calls failed for their shape, not handed to the transport yet.
    mismatched: Vec<(S, Event, RequestFrame)>,
    /// CANCELs for calls already over whose rpc turned out to stream (see
    /// `shapes.rs`), not handed to the transport yet.
    cancels: Vec<RequestFrame>,
}

impl<S> Default for Session<S> {
    fn default() -> Self {
        Session::new()
    }
}

impl<S> Session<S> {
    /// A session for a new connection: no calls, next seq 1.
    pub fn new() -> Self {
        Session {
            next_seq: 1,
            pending: HashMap::new(),
            closed: None,
            session_id: None,
            shapes: HashMap::new(),
            probe: None,
            mismatched: Vec::new(),
            cancels: Vec::new(),
        }
    }

    /// Opens a call and returns its seq and the frame that opens it.
    ///
    /// With `data`, the call opens with a MESSAGE (how unary and
    /// server-streaming calls send their one request). Without, it opens
    /// with a METADATA frame (how client-streaming and bidirectional calls
    /// start before their first message; the map is empty when there is no
    /// metadata). The options' metadata and timeout go on that frame.
    ///
    /// Fails with [`Error::Invalid`] when the server described `rpc` with
    /// another shape (see [`probe_shapes`](Session::probe_shapes)).
    pub fn start(
        &mut self,
        rpc: &str,
        shape: CallShape,
        data: Option<Payload>,
        options: &CallOptions,
        sink: S,
    ) -> Result<(Seq, RequestFrame), Error> {
        self.check_open()?;
        self.check_shape(rpc, shape)?;
        let seq = Seq::from(self.next_seq);
        self.next_seq += 1;
        let metadata = options.request_metadata();
        let frame = match data {
            Some(data) => RequestFrame::message(seq, rpc, data),
            None => RequestFrame::control(seq, rpc, RequestType::Metadata)
                .with_metadata(Metadata::new()),
        };
        let frame = match metadata {
            Some(metadata) => frame.with_metadata(metadata),
            None => frame,
        };
        let call = Pending {
            rpc: rpc.to_owned(),
            shape,
            sink,
            leading_seen: false,
        };
        self.pending.insert(seq, call);
        Ok((seq, frame))
    }

    /// A new session id the server announced (in the `swill-session`
    /// metadata of an answer, after it regenerated or destroyed the
    /// session), to present when connecting again. Taken once.
    pub fn take_session_id(&mut self) -> Option<String> {
        self.session_id.take()
    }

    /// The frame carrying one more message of a call's request stream.
    ///
    /// Fails with [`Error::Closed`] once the call is over: a frame for an
    /// (rpc, seq) the server has closed would open a new request there.
    pub fn message(&mut self, seq: Seq, data: Payload) -> Result<RequestFrame, Error> {
        let rpc = self.rpc_of(seq)?;
        Ok(RequestFrame::message(seq, rpc, data))
    }

    /// The END_OF_STREAM frame closing a call's request stream.
    pub fn end(&mut self, seq: Seq) -> Result<RequestFrame, Error> {
        let rpc = self.rpc_of(seq)?;
        Ok(RequestFrame::control(seq, rpc, RequestType::EndOfStream))
    }

    /// Forgets a call and returns the CANCEL frame to send, or `None` if
    /// the call is already over (there is nothing left to cancel).
    ///
    /// Frames that arrive for it later are ignored, as the protocol asks.
    pub fn cancel(&mut self, seq: Seq) -> Option<RequestFrame> {
        let call = self.pending.remove(&seq)?;
        Some(RequestFrame::control(seq, call.rpc, RequestType::Cancel))
    }

    /// Reads one frame from the server.
    ///
    /// - `Ok(Some(incoming))`: events for a pending call;
    /// - `Ok(None)`: nothing to report (a frame for a call that is over, a
    ///   repeated leading metadata);
    /// - `Err(e)`: a malformed frame that belongs to no pending call; log
    ///   it and go on. (A malformed frame for a pending call fails that
    ///   call instead, see [`Incoming::reply`].)
    ///
    /// Transports use [`read`](Session::read), which also takes the
    /// message's kind (binary or JSON text), the announced session id and
    /// the calls the shape probe failed; this is its frame-level half.
    pub fn receive(&mut self, frame: Bytes) -> Result<Option<Incoming<S>>, DecodeError>
    where
        S: Clone,
    {
        match ResponseFrame::decode(frame) {
            Ok(frame) => Ok(self.route(frame)),
            Err(e) => match e
                .seq
                .and_then(|seq| self.pending.remove(&seq).map(|c| (seq, c)))
            {
                Some((seq, call)) => Ok(Some(Incoming {
                    seq,
                    events: vec![Event::Failed(decode_error(format!(
                        "the server sent a malformed frame: {e}"
                    )))],
                    reply: Some(RequestFrame::control(seq, call.rpc, RequestType::Cancel)),
                    sink: call.sink,
                })),
                None => Err(e),
            },
        }
    }

    fn route(&mut self, frame: ResponseFrame) -> Option<Incoming<S>>
    where
        S: Clone,
    {
        // Only the trailing metadata of a terminal frame carries it.
        if let Some(id) = frame.trailing.as_ref().and_then(|m| m.get_str(SESSION_KEY)) {
            self.session_id = Some(id.to_owned());
        }
        if self.probe_frame(&frame) {
            return None;
        }
        let call = self.pending.get_mut(&frame.seq)?;
        let mut events = Vec::with_capacity(2);
        if frame.kind != ResponseType::Error
            && let Some(leading) = frame.leading
            && !std::mem::replace(&mut call.leading_seen, true)
        {
            events.push(Event::Leading(leading));
        }
        let response_streams = matches!(
            call.shape,
            CallShape::ServerStreaming | CallShape::Bidirectional
        );
        match frame.kind {
            ResponseType::Metadata => {}
            ResponseType::Message if response_streams => events.push(Event::Item(frame.data)),
            ResponseType::Message => events.push(Event::Answer {
                data: frame.data,
                trailing: frame.trailing,
            }),
            ResponseType::EndOfStream if response_streams => events.push(Event::End {
                trailing: frame.trailing,
            }),
            ResponseType::EndOfStream => events.push(Event::Failed(decode_error(
                "the server ended the call without an answer",
            ))),
            ResponseType::Error => events.push(match ErrorBody::from_payload(&frame.data) {
                Ok(body) => Event::Error(body),
                Err(e) => Event::Failed(decode_error(format!("a malformed error body: {e}"))),
            }),
        }
        let sink = call.sink.clone();
        if events.last().is_some_and(Event::is_terminal)
            && let Some(call) = self.pending.remove(&frame.seq)
            && matches!(events.last(), Some(Event::Answer { .. }))
        {
            self.answered(frame.seq, &call.rpc, call.shape);
        }
        (!events.is_empty()).then_some(Incoming {
            seq: frame.seq,
            sink,
            events,
            reply: None,
        })
    }

    /// The connection is gone: every pending call fails with
    /// [`Error::Disconnected`], and calls started later fail at once.
    ///
    /// Returns each pending call's sink with its failure, to deliver.
    pub fn close(&mut self, reason: impl Into<String>) -> Vec<(S, Event)> {
        let reason = reason.into();
        self.closed.get_or_insert(reason.clone());
        self.probe = None;
        self.pending
            .drain()
            .map(|(_, call)| {
                let reason = reason.clone();
                (call.sink, Event::Failed(Error::Disconnected { reason }))
            })
            .collect()
    }

    /// Whether [`close`](Session::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// How many calls are pending.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Whether the call `seq` is pending.
    pub fn is_pending(&self, seq: Seq) -> bool {
        self.pending.contains_key(&seq)
    }

    fn check_open(&self) -> Result<(), Error> {
        match &self.closed {
            Some(reason) => Err(Error::Disconnected {
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    fn rpc_of(&self, seq: Seq) -> Result<String, Error> {
        self.check_open()?;
        self.pending
            .get(&seq)
            .map(|call| call.rpc.clone())
            .ok_or(Error::Closed)
    }
}

#[cfg(test)]
mod tests;
