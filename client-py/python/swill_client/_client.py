"""``connect()`` and the :class:`Client`: one connection, a method per
call shape."""

from __future__ import annotations

import asyncio
import collections.abc
from types import TracebackType
from typing import (
    Any,
    AsyncIterable,
    Awaitable,
    Callable,
    Dict,
    Generator,
    Iterable,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    Union,
)

from . import _native
from ._errors import SwillError
from ._streams import BidiStream, ServerStream
from ._topics import OnMissed, Subscription
from ._types import (
    ConnectionState,
    Metadata,
    Position,
    PresenceEntry,
    ReconnectPolicy,
    Response,
    RpcDescription,
    TopicDescription,
)

#: Header or cookie pairs: a mapping, or (name, value) pairs for repeats.
Pairs = Union[Mapping[str, str], Iterable[Tuple[str, str]]]


async def connect(
    url: str,
    *,
    legacy: Union[bool, Literal["auto"]] = False,
    json: bool = False,
    headers: Optional[Pairs] = None,
    cookies: Optional[Pairs] = None,
    session: Optional[str] = None,
    connect_timeout: float = 10.0,
    keepalive: Optional[float] = None,
    reconnect: ReconnectPolicy = ReconnectPolicy(),
    on_state_change: Optional[Callable[[ConnectionState], object]] = None,
    max_in_flight: int = 256,
    stream_buffer: int = 64,
    ca_pem: Union[bytes, Sequence[bytes]] = (),
    check_shapes: bool = True,
) -> Client:
    """Connects to a swill server (or an original Python Swill server) and
    returns the client. One attempt, bounded by ``connect_timeout``; it
    raises :class:`SwillError` 503 when the server cannot be reached.

    ``url`` is ``ws://host:port/path`` or ``wss://...``; ``ws://`` is
    assumed without a scheme and ``/ws`` without a path.

    - ``legacy``: offer the original's subprotocol ``swill/1`` (``True``),
      ``swill.v1`` (``False``, what swill servers expect), or ``"auto"``:
      ``swill.v1``, then once more with ``swill/1`` if refused.
    - ``json``: JSON text frames (``swill.v1.json``) instead of MessagePack;
      swill servers only.
    - ``headers``, ``cookies``: sent with the upgrade request (e.g.
      ``{"authorization": "Bearer ..."}``).
    - ``session``: a session id to resume (see :attr:`Client.session`).
    - ``keepalive``: ping the server this often (seconds) and drop a
      connection silent for two intervals; default off.
    - ``reconnect``: see :class:`ReconnectPolicy`;
      ``ReconnectPolicy.never()`` never reconnects.
    - ``on_state_change``: called on the event loop with each
      :class:`ConnectionState`.
    - ``max_in_flight``: calls in flight at once (more wait); ``stream_buffer``:
      answers one call buffers until read (then the connection stops reading).
    - ``ca_pem``: PEM certificates to trust for ``wss://`` besides the
      platform's roots.
    - ``check_shapes``: each connection asks the server once for its rpcs'
      shapes (``swill.introspect``), so that a call made with the wrong
      method (``call`` of a streaming rpc, ``stream`` of a unary one) fails
      with :class:`SwillError` 400 instead of waiting forever. No call waits
      for that answer; one made before it came fails when it comes.
      ``False`` saves that request.
    """
    if legacy is True:
        subprotocol = "swill/1"
    elif legacy is False:
        subprotocol = "swill.v1"
    else:
        subprotocol = legacy
    options: Dict[str, Any] = {
        "subprotocol": subprotocol,
        "json": json,
        "headers": _pairs(headers),
        "cookies": _pairs(cookies),
        "session": session,
        "connect_timeout": connect_timeout,
        "keepalive": keepalive,
        "reconnect": (
            reconnect.initial_backoff,
            reconnect.max_backoff,
            reconnect.multiplier,
            reconnect.jitter,
            reconnect.max_attempts,
        ),
        "on_state_change": _on_loop(on_state_change) if on_state_change else None,
        "max_in_flight": max_in_flight,
        "stream_buffer": stream_buffer,
        "ca_pem": [ca_pem] if isinstance(ca_pem, bytes) else list(ca_pem),
        "check_shapes": check_shapes,
    }
    return Client(await _native.connect(url, options))


def _pairs(pairs: Optional[Pairs]) -> List[Tuple[str, str]]:
    if pairs is None:
        return []
    if isinstance(pairs, collections.abc.Mapping):
        return list(pairs.items())
    return list(pairs)


def _on_loop(
    callback: Callable[[ConnectionState], object],
) -> Callable[[str, Optional[int], Optional[str]], None]:
    """The callback the Rust client reports states to. It is called on
    the event loop that connected (never on the Rust client's threads, see
    ``_loop.py``) and schedules the user's callback there, so that what it
    raises goes to the loop's exception handler."""
    loop = asyncio.get_running_loop()

    def report(state: Any, attempt: Optional[int], reason: Optional[str]) -> None:
        loop.call_soon(callback, ConnectionState(state, attempt, reason))

    return report


class Client:
    """A connection to a swill server, and the calls made over it.

    Calls from many tasks run concurrently over the one connection. Every
    method takes the rpc name first; ``metadata`` (a dict) goes with the
    call's opening frame, and ``timeout`` (seconds) bounds the whole call:
    it is sent as ``swill-timeout`` and enforced here too, failing with a
    :class:`SwillError` 408.

    Cancelling the task that awaits a call sends CANCEL, and the server
    drops the handler. ``async with`` (or ``await client.close()``) closes
    the connection.

    Values: requests may hold ``dict``, ``list``, ``tuple``, ``set``,
    ``bytes``, ``str``, ``int`` (within 64 bits, signed or
    unsigned), ``float``, ``bool``, ``None`` and dataclass instances (sent
    as maps of their fields); answers come back as ``dict``, ``list``,
    ``bytes``, ``str``, ``int``, ``float``, ``bool`` and ``None``.
    """

    def __init__(self, native: _native.Client) -> None:
        """Use :func:`connect`."""
        self._native = native

    async def call(
        self,
        rpc: str,
        request: Any = None,
        *,
        metadata: Optional[Metadata] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """A unary call: sends ``request`` and returns the answer."""
        data, _, _ = await self._native.call(rpc, request, metadata, timeout)
        return data

    async def call_with_metadata(
        self,
        rpc: str,
        request: Any = None,
        *,
        metadata: Optional[Metadata] = None,
        timeout: Optional[float] = None,
    ) -> Response[Any]:
        """A unary call whose answer comes with its leading and trailing
        metadata."""
        return Response(*await self._native.call(rpc, request, metadata, timeout))

    def stream(
        self,
        rpc: str,
        request: Any = None,
        *,
        metadata: Optional[Metadata] = None,
        timeout: Optional[float] = None,
    ) -> ServerStream:
        """A server-streaming call: returns at once an async iterator of the
        answers (the call opens in the background)."""
        return ServerStream(self._native.server_stream(rpc, request, metadata, timeout))

    async def client_stream(
        self,
        rpc: str,
        requests: Union[Iterable[Any], AsyncIterable[Any]],
        *,
        metadata: Optional[Metadata] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """A client-streaming call: sends each of ``requests`` (an iterable
        or an async iterable), ends the stream and returns the answer."""
        response = await self.client_stream_with_metadata(
            rpc, requests, metadata=metadata, timeout=timeout
        )
        return response.data

    async def client_stream_with_metadata(
        self,
        rpc: str,
        requests: Union[Iterable[Any], AsyncIterable[Any]],
        *,
        metadata: Optional[Metadata] = None,
        timeout: Optional[float] = None,
    ) -> Response[Any]:
        """:meth:`client_stream`, with the answer's metadata.

        If the server answers (or fails) before every request is sent, the
        rest are not sent, and that answer (or error) is the outcome. If
        iterating ``requests`` raises, or the task is cancelled, the call is
        cancelled.
        """
        call = self._native.client_stream(rpc, metadata, timeout)
        try:
            await _send_all(call, requests)
            await call.finish()
            return Response(*await call.answer())
        except BaseException:
            call.cancel()
            raise

    def bidi(
        self,
        rpc: str,
        *,
        metadata: Optional[Metadata] = None,
        timeout: Optional[float] = None,
    ) -> BidiStream:
        """A bidirectional call: returns at once a :class:`BidiStream` to
        send requests on and iterate answers from (the call opens in the
        background)."""
        return BidiStream(self._native.bidi(rpc, metadata, timeout))

    async def introspect(self) -> List[RpcDescription]:
        """The server's rpcs (``swill.introspect``), in registration order."""
        return await self._native.introspect()

    async def subscribe(
        self,
        topic: str,
        *,
        since: Optional[Position] = None,
        on_missed: Optional[OnMissed] = None,
    ) -> Subscription:
        """Subscribes to a topic and returns its publications as a
        :class:`Subscription` (an async iterator that resubscribes by
        itself after a lost connection and recovers what it missed from
        the topic's history).

        It returns once the server has confirmed the subscription, so a
        refusal is raised here: :class:`SwillError` 404 (no such topic), 403
        (the server's access check), 400 (a bad name), 503 (the server's
        topic engine is unreachable).

        ``since``: a :class:`Position` saved earlier (e.g. a
        ``Publication.position``): the publications after it come first,
        from the topic's history, or a 409 says they cannot. Without it,
        the publications from now on.

        ``on_missed``: called with the :class:`SwillError` 409 of
        publications lost for good (awaited if it returns an awaitable),
        instead of the iterator raising it.
        """
        native_since = None if since is None else (since[0], since[1])
        native = await self._native.subscribe(topic, native_since)
        return Subscription(
            native, topic, None if since is None else Position(*since), on_missed
        )

    async def publish(self, topic: str, data: Any) -> Position:
        """Publishes ``data`` to a topic (every subscriber receives it) and
        returns its position. Values are converted as for calls."""
        return Position(*await self._native.publish(topic, data))

    async def presence(self, topic: str) -> List[PresenceEntry]:
        """Who is subscribed to a topic, on every node of the server: one
        entry per subscribed connection, sorted."""
        return [PresenceEntry(*entry) for entry in await self._native.presence(topic)]

    async def topics(self) -> List[TopicDescription]:
        """The topics the server declares (``swill.topics``), in declaration
        order; empty for a server without topics."""
        return await self._native.topics()

    @property
    def session(self) -> Optional[str]:
        """The id of the client's session on the server, when the app has
        sessions. It is a credential: do not log it."""
        return self._native.session

    def close(self) -> Awaitable[None]:
        """Closes the connection with a WebSocket close handshake; await it
        to wait until the connection is closed (a couple of seconds at most
        for the server's reply).

        Calls still in flight fail with :class:`SwillError` 503, and so do
        calls made afterwards: the client does not reconnect. Closing starts
        at once, so a ``close()`` that is not awaited still closes; outside
        a running event loop it lets go of the connection, which then
        closes in the background.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._native.release()
            return _Closed()
        return self._native.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.close()


class _Closed:
    """What :meth:`Client.close` returns outside an event loop: nothing to
    wait for."""

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


async def _send_all(
    call: _native.Call, requests: Union[Iterable[Any], AsyncIterable[Any]]
) -> None:
    """Sends the requests until they run out or the call is over (its
    outcome then comes from the answer)."""
    try:
        if isinstance(requests, collections.abc.AsyncIterable):
            async for item in requests:
                await call.send(item)
        else:
            for item in requests:
                await call.send(item)
    except SwillError:
        return
