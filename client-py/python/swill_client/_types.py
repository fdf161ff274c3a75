"""The small value types of the API: answers with their metadata, the
reconnect policy and the connection states."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Generic, Literal, Optional, TypeVar

#: Request, leading and trailing metadata: string keys, any values.
Metadata = Dict[str, Any]

#: An rpc's description from :meth:`Client.introspect`: ``name``,
#: ``request`` and ``response`` (each ``{"streams": bool, "type": {...}}``),
#: and, from swill servers, ``description``, ``request_schema`` and
#: ``response_schema`` (JSON Schemas).
RpcDescription = Dict[str, Any]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Response(Generic[T]):
    """An answer with the metadata that came with it (empty dicts when the
    server sent none)."""

    data: T
    leading_metadata: Metadata
    trailing_metadata: Metadata


@dataclasses.dataclass(frozen=True)
class ReconnectPolicy:
    """How the client connects again after its connection was lost.

    Reconnecting is lazy: calls in flight fail at once with a
    :class:`SwillError` 503, and the next call connects again, making up to
    ``max_attempts`` attempts (``None``: no limit) with a pause between
    failed ones that starts at ``initial_backoff`` seconds, grows by
    ``multiplier`` up to ``max_backoff``, and is shortened by a random
    fraction of up to ``jitter``. Calls are never retried for you.
    """

    initial_backoff: float = 0.1
    max_backoff: float = 5.0
    multiplier: float = 2.0
    jitter: float = 0.2
    max_attempts: Optional[int] = 5

    @classmethod
    def never(cls) -> ReconnectPolicy:
        """Never reconnect: once the connection is lost, every call fails
        with 503."""
        return cls(max_attempts=0)


@dataclasses.dataclass(frozen=True)
class ConnectionState:
    """A change of the connection's state, as given to ``on_state_change``:
    ``"connecting"`` (with the ``attempt``, from 1), ``"connected"``, or
    ``"disconnected"`` (with the ``reason``)."""

    state: Literal["connecting", "connected", "disconnected"]
    attempt: Optional[int] = None
    reason: Optional[str] = None
