//! Reading what a WebSocket delivered: the glue every transport shares,
//! so the native, wasm and Python clients decode, route and warn alike.

use bytes::Bytes;
use swill_proto::RequestFrame;

use super::{Event, Incoming, Session};

/// A WebSocket message as a transport received it.
#[derive(Debug)]
pub enum Received<'a> {
    /// A binary message: a MessagePack frame.
    Binary(Bytes),
    /// A text message: a JSON frame on a `swill.v1.json` connection.
    Text(&'a str),
}

/// What one received message means.
#[derive(Debug)]
pub struct Read<S> {
    /// Events for the call the frame belongs to, if it is still on.
    pub incoming: Option<Incoming<S>>,
    /// Calls found to be opened with the wrong shape (once the server's
    /// rpcs became known): each call's sink, its failure, and the CANCEL
    /// to send. Empty almost always.
    pub mismatched: Vec<(S, Event, RequestFrame)>,
    /// CANCELs to send for calls already over: a unary call of an rpc that
    /// turned out to stream took the first item as its answer, and the
    /// server's stream must stop. Empty almost always.
    pub cancels: Vec<RequestFrame>,
    /// A session id the server announced: keep it, to present when
    /// connecting again.
    pub session_id: Option<String>,
    /// Why the message was dropped, for the transport to log; the
    /// connection goes on.
    pub dropped: Option<String>,
}

impl<S: Clone> Session<S> {
    /// Reads one message from the server, on a connection that speaks JSON
    /// text frames when `json` is set and MessagePack otherwise.
    ///
    /// A message of the wrong kind, or a frame that belongs to no call and
    /// does not decode, is dropped with a reason to log: one bad frame
    /// does not end a connection whose other calls are fine.
    pub fn read(&mut self, message: Received<'_>, json: bool) -> Read<S> {
        let bytes = match (message, json) {
            (Received::Binary(bytes), false) => Ok(bytes),
            (Received::Text(text), true) => swill_proto::json::frame_from_text(text)
                .map(Bytes::from)
                .map_err(|e| format!("dropped a text frame that is not JSON: {e}")),
            (Received::Text(_), false) => {
                Err("ignored a text frame: Swill frames are binary".to_owned())
            }
            (Received::Binary(_), true) => {
                Err("ignored a binary frame: this connection speaks JSON".to_owned())
            }
        };
        let (incoming, dropped) = match bytes.map(|bytes| self.receive(bytes)) {
            Ok(Ok(incoming)) => (incoming, None),
            Ok(Err(e)) => (
                None,
                Some(format!("dropped a malformed frame from the server: {e}")),
            ),
            Err(why) => (None, Some(why)),
        };
        Read {
            incoming,
            mismatched: std::mem::take(&mut self.mismatched),
            cancels: std::mem::take(&mut self.cancels),
            session_id: self.take_session_id(),
            dropped,
        }
    }
}
