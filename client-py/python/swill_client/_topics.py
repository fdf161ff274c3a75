"""Topics: :class:`Subscription`, a topic's publications as an async
iterator that resubscribes by itself (the Rust client's ``Subscription``,
with its recovery from history)."""

from __future__ import annotations

import inspect
from typing import Any, AsyncIterator, Awaitable, Callable, Optional, TypeVar, Union

from . import _native
from ._cancelling import Cancelling
from ._errors import SwillError
from ._types import Position, Publication

_S = TypeVar("_S", bound="Subscription")

#: What ``on_missed`` may be: a function of the 409 :class:`SwillError`,
#: or a coroutine function (awaited before the next publication).
OnMissed = Callable[[SwillError], Union[Awaitable[Any], object]]


class Subscription(Cancelling, AsyncIterator[Publication]):
    """A topic's publications, from :meth:`Client.subscribe`, as an async
    iterator of :class:`Publication` (``data`` and ``position``).

    After a lost connection (reconnecting per the client's
    :class:`ReconnectPolicy`), a 503 or a 409 from the server (the
    subscriber fell behind), it subscribes again by itself from the last
    position it delivered: the server sends what was missed from the
    topic's history and duplicates are dropped, so every publication
    arrives once, in order.

    When that is impossible (the history does not reach back far enough,
    or the server lost the topic), the iterator raises
    :class:`SwillError` 409 and **goes on**: the next ``__anext__`` gives
    the publications after the loss. Its ``data`` is ``{"last": Position
    or None, "now": Position}``: the last position delivered (or the
    ``since`` asked for) and where the subscription goes on. Reload what
    you derive from the topic, then read on. Or pass ``on_missed=`` to
    :meth:`Client.subscribe`: it is then called with that error (and
    awaited, if it returns an awaitable) instead, and iteration goes on.

    Any other error ends the subscription after it is raised (the next
    ``__anext__`` raises ``StopAsyncIteration``): a client that could not
    reconnect within its policy (503), or closed (503).

    Leaving ``async with``, :meth:`aclose` or :meth:`cancel` unsubscribes
    (CANCEL goes to the server; a ``__anext__`` waiting then ends the
    iteration), and so does the object being garbage-collected, e.g. after
    ``break`` out of ``async for p in await client.subscribe(...)``.
    """

    def __init__(
        self,
        native: _native.Subscription,
        topic: str,
        since: Optional[Position],
        on_missed: Optional[OnMissed] = None,
    ) -> None:
        """Use :meth:`Client.subscribe`."""
        self._native = native
        self._topic = topic
        self._position = since
        self._on_missed = on_missed
        self._missed = 0

    @property
    def topic(self) -> str:
        """The topic's name."""
        return self._topic

    @property
    def position(self) -> Optional[Position]:
        """The position of the last publication delivered (after a loss,
        where the subscription went on); before any, the ``since`` given,
        else ``None``. Save it to subscribe again later with ``since=``."""
        return self._position

    @property
    def missed(self) -> int:
        """How many times publications were lost for good (each one a 409,
        raised or given to ``on_missed``)."""
        return self._missed

    def __aiter__(self: _S) -> _S:
        return self

    async def __anext__(self) -> Publication:
        """The next publication; :class:`SwillError` 409 for publications
        lost for good (iteration goes on after it); ``StopAsyncIteration``
        once unsubscribed or after the error that ended it."""
        while True:
            try:
                epoch, offset, data = await self._native.next()
            except SwillError as e:
                if e.code != 409 or not isinstance(e.data, dict) or "now" not in e.data:
                    raise
                self._note_missed(e)
                if self._on_missed is None:
                    raise
                outcome = self._on_missed(e)
                if inspect.isawaitable(outcome):
                    await outcome
                continue
            self._position = Position(epoch, offset)
            return Publication(data, self._position)

    def _note_missed(self, error: SwillError) -> None:
        """Counts a loss, and makes its data's positions :class:`Position`s."""
        last, now = error.data.get("last"), error.data.get("now")
        error.data = {
            "last": Position(last["epoch"], last["offset"]) if last else None,
            "now": Position(now["epoch"], now["offset"]),
        }
        error.args = (error.code, error.message, error.data)
        self._position = error.data["now"]
        self._missed += 1

    def cancel(self) -> None:
        """Unsubscribes (CANCEL goes to the server); iteration then ends."""
        self._native.cancel()
