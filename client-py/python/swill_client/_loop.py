"""How results reach the event loop: one inbox per loop.

The Rust side never takes the GIL on its own threads (see ``src/deliver.rs``
for why, and why that is sound). A finished call queues its outcome in the
running loop's inbox and writes a byte to a socket pair; the loop watches
the other end like its own self-pipe and, on its thread, sets the futures'
results. Nothing here is public.
"""

from __future__ import annotations

import asyncio
import socket
import weakref
from typing import Any, Tuple

from . import _native


class _Inbox:
    """The inbox of one event loop, and the socket the loop watches.

    It holds no reference to its loop, so that the registry below (keyed
    weakly by loop) lets a finished loop go, and its inbox with it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        # The native inbox owns the writing end and a handle of the reading
        # end (so that its writes never meet a closed socket).
        self.native = _native.Inbox(writer.detach(), reader.dup().detach())
        self._reader = reader
        # Closed with the inbox, when its loop is gone (not left to the
        # socket's finalizer, which warns about an unclosed socket).
        weakref.finalize(self, reader.close)
        try:
            loop.add_reader(reader, self._drain)
        except NotImplementedError:
            # A loop without add_reader (Windows' proactor loop): a task
            # waits on the socket instead. It ends when the loop cancels
            # it (asyncio.run does, as it finishes).
            loop.create_task(_read(reader, self._drain))

    def _drain(self) -> None:
        # The bytes first, then the queue: a push whose byte is read here
        # is in the queue already (see deliver.rs).
        try:
            while self._reader.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        self.native.drain()


async def _read(reader: socket.socket, drain: Any) -> None:
    loop = asyncio.get_running_loop()
    while await loop.sock_recv(reader, 4096):
        drain()


_inboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Inbox]" = (
    weakref.WeakKeyDictionary()
)


def inbox() -> _native.Inbox:
    """The running loop's inbox, made on first use."""
    loop = asyncio.get_running_loop()
    found = _inboxes.get(loop)
    if found is None:
        found = _inboxes[loop] = _Inbox(loop)
    return found.native


def future() -> Tuple["asyncio.Future[Any]", _native.Inbox]:
    """A new future of the running loop, and the loop's inbox, for a call
    to deliver its outcome to."""
    native = inbox()
    return asyncio.get_running_loop().create_future(), native
