//! Knowing each rpc's call shape, so that a call opened with the wrong one
//! fails at once instead of waiting forever.
//!
//! The wire cannot tell: a unary answer to a call opened as a stream looks
//! like the stream's first item (and the end never comes), and an rpc
//! that takes a request stream waits for more messages after a unary
//! call's one. So a connection asks the server once, at its start, with
//! `swill.introspect` ([`Session::probe_shapes`]), without making any call
//! wait for the answer. Calls opened after the answer are checked before
//! they are sent; calls already on with a wrong shape fail as each rpc's
//! description comes. A unary call of a streaming rpc answered before its
//! description came got the stream's first item as its answer: a CANCEL
//! then stops the stream on the server. A server that does not describe
//! its rpcs (introspection off, refused by a hook, a stream that breaks
//! half way as the original's can) leaves the rpcs it did not describe
//! unchecked.

use swill_proto::{
    CallShape, INTROSPECT_RPC, PRESENCE_RPC, PUBLISH_RPC, Payload, RequestFrame, RequestType,
    ResponseFrame, ResponseType, SUBSCRIBE_RPC, Seq, TOPICS_RPC, Value,
};

use super::{Event, Session};
use crate::error::Error;

/// The introspection call a connection makes at its start.
#[derive(Debug)]
pub(super) struct Probe {
    seq: Seq,
    /// Calls answered while the probe ran, whose rpc was not described
    /// yet: (seq, rpc) of each unary or client-streaming call.
    answered: Vec<(Seq, String)>,
}

impl<S> Session<S> {
    /// Opens the introspection call that teaches the session the rpcs'
    /// shapes, and returns its frame to send. Call it once, first thing on
    /// a new connection; nothing waits for its answer.
    pub fn probe_shapes(&mut self) -> Result<RequestFrame, Error> {
        self.check_open()?;
        let seq = Seq::from(self.next_seq);
        self.next_seq += 1;
        self.probe = Some(Probe {
            seq,
            answered: Vec::new(),
        });
        let nil = Payload::encode(&()).map_err(|e| Error::Encode(e.to_string()))?;
        Ok(RequestFrame::message(seq, INTROSPECT_RPC, nil))
    }

    /// The rpc's shape, when the server described it or it is one of the
    /// built-in rpcs (which introspection does not list).
    pub fn shape_of(&self, rpc: &str) -> Option<CallShape> {
        self.shapes.get(rpc).copied().or_else(|| built_in(rpc))
    }

    /// Refuses a call whose shape the server says is another.
    pub(super) fn check_shape(&self, rpc: &str, shape: CallShape) -> Result<(), Error> {
        match self.shape_of(rpc) {
            Some(known) if known != shape => Err(mismatch(rpc, known, shape)),
            _ => Ok(()),
        }
    }

    /// Takes a frame of the probe's call, if it is one.
    pub(super) fn probe_frame(&mut self, frame: &ResponseFrame) -> bool {
        if self.probe.as_ref().is_none_or(|p| p.seq != frame.seq) {
            return false;
        }
        match frame.kind {
            ResponseType::Metadata => {}
            // An item that does not decode leaves its rpc unchecked.
            ResponseType::Message => {
                if let Some((rpc, shape)) = name_and_shape(&frame.data) {
                    self.learn(rpc, shape);
                }
            }
            ResponseType::EndOfStream | ResponseType::Error => self.probe = None,
        }
        true
    }

    /// Notes a call answered while the probe runs, in case its rpc turns
    /// out to stream its answers (see [`learn`](Session::learn)).
    pub(super) fn answered(&mut self, seq: Seq, rpc: &str, shape: CallShape) {
        let single = matches!(shape, CallShape::Unary | CallShape::ClientStreaming);
        if let Some(probe) = self.probe.as_mut().filter(|_| single) {
            probe.answered.push((seq, rpc.to_owned()));
        }
    }

    /// Records one rpc's shape: calls already on with another fail, and a
    /// call that took the first item of its stream as its answer gets the
    /// CANCEL that stops the stream.
    fn learn(&mut self, rpc: String, known: CallShape) {
        let wrong: Vec<Seq> = self
            .pending
            .iter()
            .filter(|(_, call)| call.rpc == rpc && call.shape != known)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in wrong {
            if let Some(call) = self.pending.remove(&seq) {
                let error = mismatch(&call.rpc, known, call.shape);
                let cancel = RequestFrame::control(seq, call.rpc, RequestType::Cancel);
                self.mismatched
                    .push((call.sink, Event::Failed(error), cancel));
            }
        }
        let streams = matches!(known, CallShape::ServerStreaming | CallShape::Bidirectional);
        if let Some(probe) = self.probe.as_mut().filter(|_| streams) {
            let (stopped, kept) = std::mem::take(&mut probe.answered)
                .into_iter()
                .partition(|(_, answered)| *answered == rpc);
            probe.answered = kept;
            let cancels = stopped.into_iter().map(|(seq, rpc): (Seq, String)| {
                RequestFrame::control(seq, rpc, RequestType::Cancel)
            });
            self.cancels.extend(cancels);
        }
        self.shapes.insert(rpc, known);
    }
}

/// The shapes of the rpcs every swill server has and no introspection
/// lists (`swill.introspect` is the original's too).
fn built_in(rpc: &str) -> Option<CallShape> {
    match rpc {
        INTROSPECT_RPC | SUBSCRIBE_RPC | TOPICS_RPC => Some(CallShape::ServerStreaming),
        PUBLISH_RPC | PRESENCE_RPC => Some(CallShape::Unary),
        _ => None,
    }
}

/// An rpc's name and shape, read from its description. Only these three
/// keys are read, from the plain MessagePack value: the full
/// `RpcDescription`'s decoder (types, JSON Schemas) would cost the
/// TypeScript client's wasm a third of its size for what it never uses.
fn name_and_shape(item: &Payload) -> Option<(String, CallShape)> {
    let item = item.to_value().ok()?;
    let streams = |side: &str| get(get(&item, side)?, "streams")?.as_bool();
    let shape = CallShape::from_streams(streams("request")?, streams("response")?);
    Some((get(&item, "name")?.as_str()?.to_owned(), shape))
}

/// The value under a string key of a map.
fn get<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

fn mismatch(rpc: &str, known: CallShape, tried: CallShape) -> Error {
    Error::Invalid(format!(
        "`{rpc}` is a {known} rpc, and this call opened it as {tried}: use the client's \
         method for a {known} call"
    ))
}
