"""The streaming calls' objects: :class:`ServerStream` and
:class:`BidiStream`. Both are async iterators of the answers, and async
context managers that cancel the call if it is not over when the block
ends."""

from __future__ import annotations

from typing import Any, AsyncIterator, Optional, TypeVar

from . import _native
from ._cancelling import Cancelling
from ._types import Metadata

_S = TypeVar("_S", bound="ServerStream")


class ServerStream(Cancelling, AsyncIterator[Any]):
    """The answers of a server-streaming call, as an async iterator.

    The call opens in the background when the object is made; a failure to
    open (or the server's error) is raised by the first ``__anext__``.
    Iteration ends after the server's END_OF_STREAM.

    Leaving an ``async with`` block, :meth:`aclose`, or the object being
    garbage-collected before the end (e.g. after ``break``) cancels the
    call: CANCEL goes to the server, which drops the handler.
    """

    def __init__(self, call: _native.Call) -> None:
        self._call = call

    def __aiter__(self: _S) -> _S:
        return self

    async def __anext__(self) -> Any:
        """The next answer; ``StopAsyncIteration`` at the end or once
        cancelled; :class:`SwillError` if the call failed."""
        return await self._call.next()

    def cancel(self) -> None:
        """Cancels the call unless it is over; iteration then ends."""
        self._call.cancel()

    @property
    def leading_metadata(self) -> Optional[Metadata]:
        """The server's leading metadata, once it has come (with or before
        the first answer); ``None`` before."""
        return self._call.leading_metadata

    @property
    def trailing_metadata(self) -> Optional[Metadata]:
        """The server's trailing metadata, once the stream has ended;
        ``None`` before."""
        return self._call.trailing_metadata


class BidiStream(ServerStream):
    """A bidirectional call: :meth:`send` requests and iterate the answers,
    from one task or two. :meth:`finish` ends the request stream
    (END_OF_STREAM) while the answers go on.

    ``async with client.bidi("upper") as s:`` cancels the call if it is not
    over when the block ends.
    """

    async def send(self, item: Any) -> None:
        """Sends one request; waits while the connection's outgoing queue
        is full. Raises :class:`SwillError` 499 once the call is over
        (answered, failed or cancelled: iterating tells which)."""
        await self._call.send(item)

    async def finish(self) -> None:
        """Ends the request stream once the requests sent before are out."""
        await self._call.finish()
