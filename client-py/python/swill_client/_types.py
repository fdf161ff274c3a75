"""The small value types of the API: answers with their metadata, the
reconnect policy, the connection states, and topics' positions,
publications, presence entries and descriptions."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Generic, Literal, NamedTuple, Optional, TypedDict, TypeVar

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


class Position(NamedTuple):
    """Where a publication stands in its topic: the topic's ``epoch`` (a
    string that changes when the server's topic engine lost the topic's
    data) and the ``offset`` (1 for the first publication of an epoch,
    then +1 each). Save one and pass it as ``since=`` to
    :meth:`Client.subscribe` to get what came after it.

    ``str(p)`` is ``"epoch:offset"``, as the command line writes it;
    :meth:`parse` reads it back."""

    epoch: str
    offset: int

    def __str__(self) -> str:
        return f"{self.epoch}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> Position:
        """Reads ``"epoch:offset"`` (``ValueError`` if it is not)."""
        epoch, colon, offset = text.rpartition(":")
        if not colon or not epoch or not offset.isdigit():
            raise ValueError(
                f"a position is written EPOCH:OFFSET, e.g. 'x8Kd2a:41'; found {text!r}"
            )
        return cls(epoch, int(offset))


@dataclasses.dataclass(frozen=True)
class Publication:
    """One publication of a topic: the published value and its position."""

    data: Any
    position: Position


class PresenceEntry(NamedTuple):
    """One subscriber of a topic, as :meth:`Client.presence` lists it: the
    ``node`` (server process) it is connected to, and its connection's id
    there."""

    node: str
    connection: int


class TopicDescription(TypedDict):
    """A topic the server declares, from :meth:`Client.topics` (a dict)."""

    #: The name, or a family's pattern ending in ``.*``.
    name: str
    #: How many publications its history keeps (0: none).
    history: int
    #: How long each is kept, in milliseconds (``None``: until pushed out).
    history_ttl_ms: Optional[int]
    #: Its message type in Swill's notation (``{"type": "Any"}`` when
    #: undeclared).
    message: Dict[str, Any]
    #: The JSON Schema of one message, when declared.
    schema: Optional[Dict[str, Any]]
    #: What it is for.
    description: Optional[str]
