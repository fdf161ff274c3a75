//! Results from the tokio threads to the event loop, without the GIL.
//!
//! # Why
//!
//! pyo3-async-runtimes' `future_into_py` hands each result to Python from
//! a tokio blocking thread: it attaches to the interpreter (takes the GIL),
//! checks whether the asyncio future was cancelled, and calls
//! `loop.call_soon_threadsafe`; it does so for cancelled futures too. The
//! state callback was called the same way, from the connection's task.
//! A script that exits right after its last call lets the interpreter
//! finalize while such a thread attaches (asyncio.run cancels the calls
//! left over, the dropped client reports its connection closed, or a
//! delivering thread loses the GIL mid-call and waits to take it back).
//! CPython then ends that thread or the process: "Fatal Python error:
//! PyGILState_Release: thread state ... must be current when releasing", or
//! a segfault (pyo3-async-runtimes issue 40). Checking `Py_IsFinalizing`
//! before attaching cannot fix that: the interpreter may start finalizing
//! between the check and the attach (and abi3 builds do not check at all).
//!
//! # How
//!
//! No tokio thread calls into Python, ever. Each event loop that runs
//! calls has an [`Inbox`]: a queue guarded by a mutex, and the writing end
//! of a socket pair whose reading end the loop watches (`add_reader`, as
//! its own self-pipe). A finished Rust future pushes its outcome (Rust
//! values, and the asyncio future it belongs to) and, when the queue was
//! empty, writes one byte. The loop wakes up and, on its own thread and
//! with the GIL it holds anyway, reads the bytes and calls
//! [`PyInbox::drain`], which converts the values and sets the futures'
//! results. State changes travel the same way. Cancelling an asyncio future
//! reaches Rust through a done callback (on the loop's thread too), which
//! drops the Rust future; nothing is delivered for it.
//!
//! # Why it is sound
//!
//! - A tokio thread only locks a Rust mutex, pushes onto a `Vec` and
//!   writes to a socket: no Python C-API call, so nothing it does depends
//!   on the state of the interpreter, finalizing or gone.
//! - The Python objects it carries (an asyncio future, the state
//!   callback) are moved, never cloned or used there. One dropped on a
//!   tokio thread (a cancelled call's future) goes to PyO3's reference
//!   pool, which takes no GIL; the decref happens at the next attach, or
//!   never once the process exits.
//! - Everything that touches Python runs in `drain`, which the loop calls
//!   on its own thread. A loop that has stopped never drains; at exit,
//!   nobody waits for those results.
//! - No wake-up is lost: a push onto an empty queue writes a byte after
//!   the push, and `drain` runs after the bytes are read, so it sees every
//!   push whose byte it consumed (a byte written after its swap stays for
//!   the next round, at worst a drain with nothing to do). A full socket
//!   (`WouldBlock`) already holds unread bytes, so a wake-up is pending.
//! - Writing never fails with `EPIPE` (nor raises `SIGPIPE`): the inbox
//!   keeps a handle to the reading end open for as long as it can write.

use std::future::Future;
use std::io::{ErrorKind, Write};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use pyo3::IntoPyObjectExt;
use pyo3::intern;
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tokio::sync::oneshot;

#[cfg(unix)]
type Socket = std::os::unix::net::UnixStream;
#[cfg(windows)]
type Socket = std::net::TcpStream;

/// Takes ownership of a socket that Python detached (`socket.detach()`).
///
/// # Safety
///
/// `handle` must be an open socket that nothing else owns.
unsafe fn adopt(handle: i64) -> PyResult<Socket> {
    #[cfg(unix)]
    let socket = {
        use std::os::fd::FromRawFd;
        let fd = std::os::fd::RawFd::try_from(handle)?;
        // SAFETY: the caller's promise.
        unsafe { Socket::from_raw_fd(fd) }
    };
    #[cfg(windows)]
    let socket = {
        use std::os::windows::io::FromRawSocket;
        let raw = std::os::windows::io::RawSocket::try_from(handle)?;
        // SAFETY: the caller's promise.
        unsafe { Socket::from_raw_socket(raw) }
    };
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// What `drain` makes of a finished future: its result, or the exception
/// to set (converted to Python there, under the GIL).
type Outcome = Box<dyn for<'py> FnOnce(Python<'py>) -> PyResult<Py<PyAny>> + Send>;

/// One thing for the event loop to do.
enum Delivery {
    /// Set an asyncio future's result or exception.
    Outcome { future: Py<PyAny>, outcome: Outcome },
    /// Call a state callback with `(state, attempt, reason)`.
    State {
        callback: Arc<Py<PyAny>>,
        state: (&'static str, Option<u32>, Option<String>),
    },
}

/// The side of an [`Inbox`] that the tokio threads see.
pub(crate) struct Mailbox {
    queue: Mutex<Vec<Delivery>>,
    wake: Socket,
    /// The reading end, kept open so that writes never meet a closed
    /// socket; the loop reads a handle of its own.
    _reader: Socket,
}

impl Mailbox {
    fn push(&self, delivery: Delivery) {
        let was_empty = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.push(delivery);
            queue.len() == 1
        };
        if was_empty {
            loop {
                match (&self.wake).write(&[1]) {
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    // Written, or `WouldBlock`: the socket is full of
                    // unread wake-ups, one is enough.
                    _ => break,
                }
            }
        }
    }

    /// Passes a state change to `callback`, on the loop.
    pub(crate) fn report(
        &self,
        callback: &Arc<Py<PyAny>>,
        state: (&'static str, Option<u32>, Option<String>),
    ) {
        self.push(Delivery::State {
            callback: callback.clone(),
            state,
        });
    }
}

/// `swill_client._native.Inbox`: one event loop's inbox. The Python half
/// (`swill_client/_loop.py`) makes one per loop, watches its socket and
/// calls `drain` when it is readable.
#[pyclass(name = "Inbox", module = "swill_client._native", frozen)]
pub(crate) struct PyInbox {
    mailbox: Arc<Mailbox>,
}

#[pymethods]
impl PyInbox {
    /// An inbox writing to the socket `wake` and keeping `reader`, a
    /// handle of the reading end, open; both detached from Python sockets
    /// (this object owns them now), the pair made by `socket.socketpair()`.
    #[new]
    fn new(wake: i64, reader: i64) -> PyResult<Self> {
        // SAFETY: `socket.detach()` gave up these handles to us.
        let (wake, reader) = unsafe { (adopt(wake)?, adopt(reader)?) };
        let mailbox = Mailbox {
            queue: Mutex::new(Vec::new()),
            wake,
            _reader: reader,
        };
        Ok(PyInbox {
            mailbox: Arc::new(mailbox),
        })
    }

    /// Delivers everything queued. Called by the event loop, on its
    /// thread, after it read the wake-up bytes.
    fn drain(&self, py: Python<'_>) {
        let deliveries =
            std::mem::take(&mut *self.mailbox.queue.lock().unwrap_or_else(|p| p.into_inner()));
        for delivery in deliveries {
            match delivery {
                Delivery::Outcome { future, outcome } => settle(future.bind(py), outcome),
                Delivery::State { callback, state } => {
                    if let Err(e) = callback.call1(py, state) {
                        e.write_unraisable(py, Some(callback.bind(py)));
                    }
                }
            }
        }
    }
}

/// Sets a future's result or exception, unless it is done (cancelled in
/// the meantime).
fn settle(future: &Bound<'_, PyAny>, outcome: Outcome) {
    let py = future.py();
    let done = future
        .call_method0(intern!(py, "done"))
        .and_then(|done| done.is_truthy());
    if !matches!(done, Ok(false)) {
        return;
    }
    // A panic while converting one outcome (an error's included: pyo3
    // builds it here, from its lazy arguments) fails that future only: the
    // rest of the drained deliveries still reach theirs.
    let converted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        outcome(py).map_err(|e| e.into_value(py))
    }))
    .unwrap_or_else(|_| {
        Err(
            pyo3::panic::PanicException::new_err("swill-client: converting a result panicked")
                .into_value(py),
        )
    });
    let set = match converted {
        Ok(value) => future.call_method1(intern!(py, "set_result"), (value,)),
        Err(e) => future.call_method1(intern!(py, "set_exception"), (e,)),
    };
    if let Err(e) = set {
        e.write_unraisable(py, Some(future));
    }
}

/// The asyncio future's done callback: once it is done (only a cancel
/// can finish it before the Rust future has), the Rust future is dropped.
#[pyclass(frozen)]
struct OnDone {
    cancel: Mutex<Option<oneshot::Sender<()>>>,
}

#[pymethods]
impl OnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        let cancel = self.cancel.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(cancel) = cancel {
            let _ = cancel.send(());
        }
    }
}

/// Calls a function of `swill_client._loop` (looked up once).
fn call_loop_helper<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let helper = cell.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("swill_client._loop")?.getattr(name)?.unbind())
    })?;
    helper.bind(py).call0()
}

/// A new future of the running event loop, with the loop's inbox
/// (`swill_client._loop.future()`).
fn new_future<'py>(py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyInbox>)> {
    static FUTURE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    call_loop_helper(py, &FUTURE, "future")?.extract()
}

/// The running event loop's mailbox (`swill_client._loop.inbox()`), for
/// state changes.
pub(crate) fn running_mailbox(py: Python<'_>) -> PyResult<Arc<Mailbox>> {
    static INBOX: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let inbox = call_loop_helper(py, &INBOX, "inbox")?;
    Ok(inbox.cast::<PyInbox>()?.get().mailbox.clone())
}

/// Runs `fut` on the tokio runtime and returns an asyncio future of the
/// running loop that resolves to its output, delivered through the
/// loop's inbox. Cancelling the asyncio future drops `fut`.
pub(crate) fn future_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    let (future, inbox) = new_future(py)?;
    let (cancel, cancelled) = oneshot::channel();
    let on_done = OnDone {
        cancel: Mutex::new(Some(cancel)),
    };
    future.call_method1(intern!(py, "add_done_callback"), (on_done,))?;
    let mailbox = inbox.get().mailbox.clone();
    let target = future.clone().unbind();
    pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
        let fut = AssertUnwindSafe(fut).catch_unwind();
        tokio::select! {
            // Cancelled (or the done callback is gone): nothing to deliver.
            _ = cancelled => {}
            output = fut => {
                let outcome: Outcome = match output {
                    Ok(result) => Box::new(move |py| result.and_then(|v| v.into_py_any(py))),
                    Err(panic) => {
                        let message = panic_message(&*panic);
                        Box::new(move |_| Err(PanicException::new_err(message)))
                    }
                };
                mailbox.push(Delivery::Outcome { future: target, outcome });
            }
        }
    });
    Ok(future)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    format!("the Rust future panicked: {message}")
}
