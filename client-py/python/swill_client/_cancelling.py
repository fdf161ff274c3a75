"""What the objects standing for an open call or a subscription share:
leaving an ``async with`` block, or ``aclose()``, cancels them."""

from __future__ import annotations

from types import TracebackType
from typing import Optional, Type, TypeVar

_C = TypeVar("_C", bound="Cancelling")


class Cancelling:
    """An async context manager whose exit (and :meth:`aclose`) calls
    :meth:`cancel`, which each subclass defines."""

    def cancel(self) -> None:
        raise NotImplementedError

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.cancel()

    async def aclose(self) -> None:
        """Like :meth:`cancel`."""
        self.cancel()
