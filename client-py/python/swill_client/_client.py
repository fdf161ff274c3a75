"""``connect()`` and the :class:`Client`: one connection, a method per
call shape."""

from __future__ import annotations

import asyncio
import collections.abc
import warnings
from types import TracebackType
from typing import (
    Any,
    AsyncIterable,
    Awaitable,
    Callable,
    Coroutine,
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
    Position,
    PresenceEntry,
    ReconnectPolicy,
    Response,
    RpcDescription,
    TopicDescription,
)

#: Header or cookie pairs: a mapping, or (name, value) pairs for repeats.
Pairs = Union[Mapping[str, str], Iterable[Tuple[str, str]]]


def connect(
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
) -> Connecting:
    """Connects to a swill server (or an original Python Swill server) and
    returns the client. One attempt, bounded by ``connect_timeout``; it
    raises :class:`SwillError` 503 when the server cannot be reached.

    Await it (``client = await connect(url)``), or use it as an async
    context manager, which closes the client on exit, as ``websockets``
    and ``aiohttp`` do: ``async with connect(url) as client:``
    (``async with await connect(url)`` works too).

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
      for that answer; one made before it came fails when it comes,
      unless it was answered first (a unary call of a streaming rpc may
      then have taken the stream's first item as its answer).
      ``False`` saves that request.
    """
    subprotocols = {True: "swill/1", False: "swill.v1", "auto": "auto"}
    if not isinstance(legacy, (bool, str)) or legacy not in subprotocols:
        raise ValueError(f'legacy must be True, False or "auto", not {legacy!r}')
    _check("url", url, str, "a str")
    _check("json", json, bool, "a bool")
    _check("session", session, (str, type(None)), "a str or None")
    _check("connect_timeout", connect_timeout, (int, float), "a number of seconds")
    _check("keepalive", keepalive, (int, float, type(None)), "a number of seconds or None")
    _check("reconnect", reconnect, ReconnectPolicy, "a ReconnectPolicy")
    if on_state_change is not None and not callable(on_state_change):
        raise TypeError(f"on_state_change must be callable, not {_kind(on_state_change)}")
    _check("check_shapes", check_shapes, bool, "a bool")
    options: Dict[str, Any] = {
        "subprotocol": subprotocols[legacy],
        "json": json,
        "headers": _pairs("headers", headers),
        "cookies": _pairs("cookies", cookies),
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
        "max_in_flight": _at_least_one("max_in_flight", max_in_flight),
        "stream_buffer": _at_least_one("stream_buffer", stream_buffer),
        "ca_pem": _pems(ca_pem),
        "check_shapes": check_shapes,
    }
    return Connecting(_open(url, options, on_state_change))


async def _open(
    url: str,
    options: Dict[str, Any],
    on_state_change: Optional[Callable[[ConnectionState], object]],
) -> Client:
    # On the loop that connects, which `connect()` may have been called
    # before (`asyncio.run(connect(url))`).
    options["on_state_change"] = _on_loop(on_state_change) if on_state_change else None
    return Client(await _native.connect(url, options))


class Connecting(Coroutine[Any, Any, "Client"]):
    """What :func:`connect` returns: await it for the :class:`Client`, or
    enter it with ``async with`` for a client closed on exit. It is a
    coroutine too, so ``asyncio.run(connect(url))`` and
    ``asyncio.create_task(connect(url))`` work as before."""

    __slots__ = ("_connecting", "_client")

    def __init__(self, connecting: Coroutine[Any, Any, Client]) -> None:
        self._connecting = connecting
        self._client: Optional[Client] = None

    def __await__(self) -> Generator[Any, None, Client]:
        return self._connecting.__await__()

    def send(self, value: Any) -> Any:
        return self._connecting.send(value)

    def throw(self, *args: Any) -> Any:
        # As given: the three-argument form is deprecated since Python 3.12.
        return self._connecting.throw(*args)

    def close(self) -> None:
        self._connecting.close()

    async def __aenter__(self) -> Client:
        self._client = await self._connecting
        return self._client

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        if self._client is not None:
            await self._client.close()


def _kind(value: object) -> str:
    return type(value).__name__


def _check(
    option: str, value: object, kind: Union[type, Tuple[type, ...]], what: str
) -> None:
    """A ``TypeError`` naming the option unless ``value`` is of ``kind``
    (``bool`` counts as a bool only, not as a number)."""
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise TypeError(f"{option} must be {what}, not {_kind(value)}")


def _timeout(timeout: object) -> Optional[float]:
    """A call's ``timeout``: seconds, or None."""
    _check("timeout", timeout, (int, float, type(None)), "a number of seconds or None")
    assert timeout is None or isinstance(timeout, (int, float))
    return timeout


def _since(since: object) -> Optional[Tuple[str, int]]:
    """``subscribe``'s ``since``: a :class:`Position` (any (epoch, offset)
    pair), or None."""
    if since is None:
        return None
    if isinstance(since, str):
        raise TypeError(
            f"since must be a Position, not str: Position.parse({since!r}) reads the text form"
        )
    if (
        isinstance(since, tuple)
        and len(since) == 2
        and isinstance(since[0], str)
        and isinstance(since[1], int)
        and not isinstance(since[1], bool)
    ):
        if since[1] < 0:
            raise ValueError(f"since's offset must be 0 or more, not {since[1]}")
        return (since[0], since[1])
    raise TypeError(f"since must be a Position (epoch, offset), not {since!r}")


def _at_least_one(option: str, value: object) -> int:
    _check(option, value, int, "an int")
    assert isinstance(value, int)
    if value < 1:
        raise ValueError(f"{option} must be at least 1, not {value}")
    return value


def _pairs(option: str, pairs: Optional[Pairs]) -> List[Tuple[str, str]]:
    """Header or cookie pairs; a ``TypeError`` naming the option for
    anything but (str, str) pairs. Names and values that are not valid
    HTTP are a ``ValueError`` from :func:`connect`."""
    if pairs is None:
        return []
    if isinstance(pairs, collections.abc.Mapping):
        items: List[Any] = list(pairs.items())
    elif isinstance(pairs, (str, bytes)) or not isinstance(pairs, collections.abc.Iterable):
        raise TypeError(f"{option} must be a mapping or (name, value) pairs, not {_kind(pairs)}")
    else:
        items = list(pairs)
    for pair in items:
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and all(isinstance(part, str) for part in pair)
        ):
            raise TypeError(f"{option} must map str to str, not {pair!r}")
    return items


def _pems(ca_pem: object) -> List[bytes]:
    """``ca_pem`` as a list of PEM documents; PEM that holds no
    certificate is a ``ValueError`` from :func:`connect`."""
    if isinstance(ca_pem, bytes):
        return [ca_pem]
    if isinstance(ca_pem, collections.abc.Sequence) and not isinstance(ca_pem, str):
        if all(isinstance(pem, bytes) for pem in ca_pem):
            return list(ca_pem)
    raise TypeError(f"ca_pem must be bytes or a sequence of bytes, not {_kind(ca_pem)}")


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
    as maps of their fields), at most 63 levels deep; answers come back as
    ``dict`` (a key that is an array or a map as a ``tuple``), ``list``, ``bytes``,
    ``str``, ``int``, ``float``, ``bool`` and ``None``.
    """

    def __init__(self, native: _native.Client) -> None:
        """Use :func:`connect`."""
        self._native = native
        self._closed = False

    def __del__(self) -> None:
        # As aiohttp and httpx do: the connection is closed anyway (in the
        # background), but a client never closed is usually a bug.
        if not getattr(self, "_closed", True):
            warnings.warn(
                f"unclosed swill_client.Client {self!r}: use `async with` or `await client.close()`",
                ResourceWarning,
                source=self,
            )

    async def call(
        self,
        rpc: str,
        request: Any = None,
        *,
        metadata: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """A unary call: sends ``request`` and returns the answer."""
        data, _, _ = await self._native.call(rpc, request, metadata, _timeout(timeout))
        return data

    async def call_with_metadata(
        self,
        rpc: str,
        request: Any = None,
        *,
        metadata: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> Response[Any]:
        """A unary call whose answer comes with its leading and trailing
        metadata."""
        return Response(*await self._native.call(rpc, request, metadata, _timeout(timeout)))

    def stream(
        self,
        rpc: str,
        request: Any = None,
        *,
        metadata: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> ServerStream:
        """A server-streaming call: returns at once an async iterator of the
        answers (the call opens in the background)."""
        return ServerStream(
            self._native.server_stream(rpc, request, metadata, _timeout(timeout))
        )

    async def client_stream(
        self,
        rpc: str,
        requests: Union[Iterable[Any], AsyncIterable[Any]],
        *,
        metadata: Optional[Mapping[str, Any]] = None,
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
        metadata: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> Response[Any]:
        """:meth:`client_stream`, with the answer's metadata.

        If the server answers (or fails) before every request is sent, the
        rest are not sent, and that answer (or error) is the outcome. If
        iterating ``requests`` raises, or the task is cancelled, the call is
        cancelled.
        """
        call = self._native.client_stream(rpc, metadata, _timeout(timeout))
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
        metadata: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> BidiStream:
        """A bidirectional call: returns at once a :class:`BidiStream` to
        send requests on and iterate answers from (the call opens in the
        background)."""
        return BidiStream(self._native.bidi(rpc, metadata, _timeout(timeout)))

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
        native_since = _since(since)
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

        It is not a coroutine but an awaitable that is already closing: to
        close from a task of its own, ``asyncio.ensure_future(client.close())``.
        """
        self._closed = True
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
