//! With Node's `ws`, the frames written in one turn of the event loop leave
//! in one system call after the first.
//!
//! `ws` writes each message to its TCP socket at once: one `write` system
//! call per frame, which was 44 % of the Node thread's time in a profile of
//! pipelined calls, more than the client's own work. So the first frame of
//! a turn goes out at once (a lone call waits for nothing) and queues a
//! microtask; a second frame before that microtask runs corks the socket,
//! and the microtask uncorks it: Node then writes every frame held
//! meanwhile with one `writev`. The frames and their order are the same; a
//! held frame waits only for the code already running and the microtasks
//! queued before that one, never for a timer or the network. (Frames
//! written by microtasks queued after it start the next such round.)
//!
//! Browsers and Node 22's own `WebSocket` hand each message to a network
//! thread and show no socket to cork: there this does nothing.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

/// The corking of one `ws` WebSocket's TCP socket.
pub(crate) struct Cork {
    /// The `net.Socket` under the WebSocket.
    socket: Object,
    cork: Function,
    /// `queueMicrotask`.
    queue: Function,
    /// The microtask that ends a turn: uncorks the socket if it was corked.
    /// Owned by JavaScript, so that a microtask still queued when the
    /// connection is dropped calls a live function.
    release: Function,
    /// Where this turn is.
    turn: Rc<Cell<Turn>>,
}

impl Cork {
    /// The cork of `websocket` when it is `ws`'s, open (its `_socket` is
    /// set at the upgrade) and `queueMicrotask` exists; else `None`.
    pub(crate) fn of(websocket: &WebSocket) -> Option<Cork> {
        let get = |target: &JsValue, key: &str| Reflect::get(target, &key.into()).ok();
        let function = |target: &JsValue, key: &str| get(target, key)?.dyn_into::<Function>().ok();
        let socket: Object = get(websocket, "_socket")?.dyn_into().ok()?;
        let cork = function(&socket, "cork")?;
        let uncork = function(&socket, "uncork")?;
        let queue = function(&js_sys::global(), "queueMicrotask")?;
        let turn = Rc::new(Cell::new(Turn::Idle));
        let release = Closure::<dyn FnMut()>::new({
            let (socket, uncork, turn) = (socket.clone(), uncork.clone(), turn.clone());
            move || {
                if turn.replace(Turn::Idle) == Turn::Corked {
                    let _ = uncork.call0(&socket);
                }
            }
        })
        .into_js_value()
        .unchecked_into();
        Some(Cork {
            socket,
            cork,
            queue,
            release,
            turn,
        })
    }

    /// Called before each frame is written: the first of a round goes out
    /// at once (a lone call waits for nothing), the next ones are held
    /// until the microtask it queued runs.
    pub(crate) fn hold(&self) {
        match self.turn.get() {
            Turn::Idle => {
                if self.queue.call1(&JsValue::UNDEFINED, &self.release).is_ok() {
                    self.turn.set(Turn::Written);
                }
            }
            Turn::Written => {
                let _ = self.cork.call0(&self.socket);
                self.turn.set(Turn::Corked);
            }
            Turn::Corked => {}
        }
    }
}

/// Where a turn of the event loop is, for one socket.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// No frame written since the last microtask.
    Idle,
    /// One frame written, and the microtask that ends the turn queued.
    Written,
    /// The socket corked, until that microtask.
    Corked,
}
