//! Opening a call, and the handle the connection keeps of it.

use std::sync::Arc;
use std::time::Instant;

use swill_proto::Payload;
use tokio::sync::{mpsc, oneshot};

use super::{Call, Responder, Stop};
use crate::context::RequestHead;
use crate::hooks::Hooks;
use crate::outbox::{Outbox, Wait};
use crate::router::Route;

/// What the connection keeps of an open call: enough to feed it the
/// client's messages, stop it, and ask whether it has been answered.
pub(crate) struct CallHandle {
    /// Taken when used.
    stop: Option<oneshot::Sender<Stop>>,
    /// Feeds the handler's request stream; `None` once it needs no more.
    inbound: Option<mpsc::Sender<Payload>>,
    streams_request: bool,
    responder: Arc<Responder>,
}

/// How a call begins: with its first message, or with a METADATA frame
/// (its messages to come).
pub(crate) struct Opening {
    pub(crate) head: RequestHead,
    pub(crate) first: Option<Payload>,
    /// When the opening frame arrived: the deadline counts from here.
    pub(crate) received: Instant,
    /// How many messages of a streaming request may wait for the handler.
    pub(crate) buffer: usize,
}

/// Opens a call of `route`: the call to run, and the handle to keep.
pub(crate) fn open(
    route: &Route,
    opening: Opening,
    outbox: Outbox,
    hooks: Arc<Hooks>,
) -> (Call, CallHandle) {
    let Opening {
        head,
        first,
        received,
        buffer,
    } = opening;
    // A unary request opened with its message needs no channel at all;
    // one opened by METADATA has its one message to come.
    let capacity = match (&first, route.request.streams) {
        (_, true) => Some(buffer),
        (Some(_), false) => None,
        (None, false) => Some(1),
    };
    let (inbound, rx) = match capacity {
        Some(capacity) => {
            let (tx, rx) = mpsc::channel(capacity);
            (Some(tx), Some(rx))
        }
        None => (None, None),
    };
    let (stop, stopped) = oneshot::channel();
    let responder = Arc::new(Responder::new(head.seq, outbox, hooks.clone()));
    let call = Call {
        handler: route.handler.clone(),
        module_hooks: route.before_request.clone(),
        metrics: route.metrics.clone(),
        head,
        first,
        inbound: rx,
        streams_request: route.request.streams,
        streams_response: route.response.streams,
        stop: stopped,
        responder: responder.clone(),
        hooks,
        received,
    };
    let handle = CallHandle {
        stop: Some(stop),
        inbound,
        streams_request: route.request.streams,
        responder,
    };
    (call, handle)
}

impl CallHandle {
    /// Whether the call has been answered: a frame with its (rpc, seq)
    /// then opens a new call.
    pub(crate) fn finished(&self) -> bool {
        self.responder.finished()
    }

    /// Whether the client may still send messages for this call.
    pub(crate) fn client_streaming(&self) -> bool {
        self.streams_request && self.inbound.is_some()
    }

    /// The client's END_OF_STREAM: the request stream ends.
    pub(crate) fn end_of_stream(&mut self) {
        self.inbound = None;
    }

    /// Stops the call (once): its handler is dropped, its `after_request`
    /// runs.
    pub(crate) fn stop(&mut self, why: Stop) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(why);
        }
    }

    /// Hands a message to the handler. A unary request takes one message;
    /// later ones are ignored. When the handler's buffer is full, returns
    /// the wait for room: the connection reads nothing more until then.
    pub(crate) fn feed(&mut self, data: Payload) -> Option<Wait> {
        let wait = match &self.inbound {
            // A failed send means the handler stopped reading (it is ending):
            // the message is dropped, but the client is still streaming.
            Some(tx) => match tx.try_send(data) {
                Err(mpsc::error::TrySendError::Full(data)) => {
                    let tx = tx.clone();
                    Some(Box::pin(async move { tx.send(data).await.is_ok() }) as Wait)
                }
                _ => None,
            },
            None => None,
        };
        if !self.streams_request {
            self.inbound = None;
        }
        wait
    }
}
