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
    /// Why the connection must end: the server sent what no Swill server
    /// sends (a message of the wrong kind, or a frame without a readable
    /// seq), so a call may be waiting for an answer that was in it. The
    /// transport closes the connection, and its calls fail with this reason
    /// instead of waiting until their deadline.
    pub fatal: Option<String>,
}

impl<S: Clone> Session<S> {
    /// Reads one message from the server, on a connection that speaks JSON
    /// text frames when `json` is set and MessagePack otherwise.
    ///
    /// A malformed frame whose seq can be read fails that call (see
    /// [`Session::receive`]), or is dropped with a reason to log when the
    /// call is over: the connection goes on. What cannot be tied to a call
    /// (a message of the wrong kind, a frame without a readable seq) is
    /// [`Read::fatal`]: the answer a call waits for may have been in it.
    pub fn read(&mut self, message: Received<'_>, json: bool) -> Read<S> {
        let bytes = match (message, json) {
            (Received::Binary(bytes), false) => Ok(bytes),
            (Received::Text(text), true) => swill_proto::json::frame_from_text(text)
                .map(Bytes::from)
                .map_err(|e| format!("the server sent a text frame that is not JSON: {e}")),
            (Received::Text(_), false) => {
                Err("the server sent a text frame; Swill frames are binary".to_owned())
            }
            (Received::Binary(_), true) => {
                Err("the server sent a binary frame; this connection speaks JSON".to_owned())
            }
        };
        let (incoming, dropped, fatal) = match bytes.map(|bytes| self.receive(bytes)) {
            Ok(Ok(incoming)) => (incoming, None, None),
            Ok(Err(e)) if e.seq.is_some() => (
                None,
                Some(format!("dropped a malformed frame from the server: {e}")),
                None,
            ),
            Ok(Err(e)) => (
                None,
                None,
                Some(format!("the server sent a malformed frame: {e}")),
            ),
            Err(why) => (None, None, Some(why)),
        };
        Read {
            incoming,
            mismatched: std::mem::take(&mut self.mismatched),
            cancels: std::mem::take(&mut self.cancels),
            session_id: self.take_session_id(),
            dropped,
            fatal,
        }
    }
}
