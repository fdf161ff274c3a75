"""Connecting: refused connections, subprotocols, JSON, sessions, close,
and reconnecting after the server restarts."""

from __future__ import annotations

import asyncio
import gc
from typing import Any, List

import pytest

import swill_client
from conftest import Demo


async def test_connection_refused_is_a_clear_503() -> None:
    with pytest.raises(swill_client.SwillError) as e:
        await swill_client.connect("ws://127.0.0.1:1/ws", connect_timeout=5)
    assert e.value.code == 503
    assert "could not connect" in e.value.message and "refused" in e.value.message


@pytest.mark.parametrize("legacy", [True, False, "auto"])
async def test_every_subprotocol_reaches_a_swill_server(demo: Demo, legacy: object) -> None:
    async with await swill_client.connect(demo.url, legacy=legacy) as client:  # type: ignore[arg-type]
        assert await client.call("add", [1, 2]) == 3


async def test_json_frames(demo: Demo) -> None:
    async with await swill_client.connect(demo.url, json=True) as client:
        assert await client.call("echo_meta", {"a": [1, None, "x"]}) == {"a": [1, None, "x"]}
        assert [n async for n in client.stream("count", 2)] == [0, 1]


async def test_headers_cookies_and_keepalive_are_accepted(demo: Demo) -> None:
    async with await swill_client.connect(
        demo.url,
        headers={"x-tenant": "acme"},
        cookies=[("a", "1"), ("b", "2")],
        keepalive=1.0,
    ) as client:
        assert await client.call("add", [1, 2]) == 3


async def test_a_session_is_resumed_by_another_client(demo: Demo) -> None:
    async with await swill_client.connect(demo.url) as first:
        await first.call("session.put", {"key": "colour", "value": "green"})
        session = first.session
    assert session
    async with await swill_client.connect(demo.url, session=session) as second:
        assert await second.call("session.get", "colour") == "green"


async def test_close_fails_calls_in_flight_and_later_with_503(demo: Demo) -> None:
    client = await swill_client.connect(demo.url)
    in_flight = asyncio.create_task(client.call("sleep", 60_000))
    assert await client.call("add", [1, 1]) == 2  # the sleep call is out
    await client.close()
    with pytest.raises(swill_client.SwillError) as e:
        await asyncio.wait_for(in_flight, 10)
    assert e.value.code == 503
    with pytest.raises(swill_client.SwillError) as later:
        await client.call("add", [1, 2])
    assert later.value.code == 503
    await client.close()  # again: nothing to do


async def test_streams_of_a_closed_client_fail_when_read(demo: Demo) -> None:
    client = await swill_client.connect(demo.url)
    session = client.session
    await client.close()
    assert client.session == session, "the id is still there to resume the session"
    stream = client.stream("count", 3)  # returns, as streams do
    with pytest.raises(swill_client.SwillError) as e:
        await stream.__anext__()
    assert e.value.code == 503
    up = client.bidi("upper")
    with pytest.raises(swill_client.SwillError) as e:
        await up.__anext__()
    assert e.value.code == 503


async def test_an_unclosed_client_warns(demo: Demo) -> None:
    client = await swill_client.connect(demo.url)
    with pytest.warns(ResourceWarning, match="unclosed"):
        del client
        gc.collect()


async def test_bad_options_name_the_option(demo: Demo) -> None:
    def connect(**options: Any) -> Any:
        return swill_client.connect(demo.url, **options)

    with pytest.raises(ValueError, match="legacy"):
        await connect(legacy=None)
    with pytest.raises(TypeError, match="json"):
        await connect(json="yes")
    with pytest.raises(TypeError, match="connect_timeout"):
        await connect(connect_timeout="10")
    with pytest.raises(TypeError, match="headers"):
        await connect(headers={"x": 1})
    with pytest.raises(ValueError, match="max_in_flight"):
        await connect(max_in_flight=0)
    with pytest.raises(ValueError, match="stream_buffer"):
        await connect(stream_buffer=0)
    with pytest.raises(TypeError, match="ca_pem"):
        await connect(ca_pem="not bytes")
    # Found by the Rust client before it dials: still the program's mistake.
    with pytest.raises(ValueError, match="header"):
        await connect(headers={"bad name": "v"})
    with pytest.raises(ValueError, match="root certificate"):
        # wss:// reads the PEM before dialing (nothing listens there).
        await swill_client.connect("wss://127.0.0.1:1/ws", ca_pem=b"not a certificate")
    # A `;` would split one cookie into two.
    with pytest.raises(ValueError, match="cookie"):
        await connect(cookies={"a;b": "c"})


async def test_async_with_closes_the_client(demo: Demo) -> None:
    async with await swill_client.connect(demo.url) as client:
        assert await client.call("add", [1, 2]) == 3
    with pytest.raises(swill_client.SwillError) as e:
        await client.call("add", [1, 2])
    assert e.value.code == 503
    # As websockets and aiohttp have it: no await before `async with`.
    async with swill_client.connect(demo.url) as client:
        assert await client.call("add", [2, 3]) == 5
    with pytest.raises(swill_client.SwillError) as e:
        await client.call("add", [1, 2])
    assert e.value.code == 503
    # A failure to connect is raised by `async with` itself.
    with pytest.raises(swill_client.SwillError) as e:
        async with swill_client.connect("ws://127.0.0.1:1/ws"):
            pass
    assert e.value.code == 503


async def test_close_not_awaited_still_closes(demo: Demo) -> None:
    client = await swill_client.connect(demo.url)
    client.close()
    with pytest.raises(swill_client.SwillError) as e:
        await client.call("add", [1, 2])
    assert e.value.code == 503


def test_close_outside_an_event_loop(demo: Demo) -> None:
    client = asyncio.run(swill_client.connect(demo.url))
    closing = client.close()

    async def after() -> None:
        await closing
        with pytest.raises(swill_client.SwillError) as e:
            await client.call("add", [1, 2])
        assert e.value.code == 503

    asyncio.run(after())


async def test_reconnects_after_the_server_restarts(own_demo: Demo) -> None:
    states: List[swill_client.ConnectionState] = []
    connected = asyncio.Event()

    def on_state(state: swill_client.ConnectionState) -> None:
        states.append(state)
        if state.state == "connected":
            connected.set()

    policy = swill_client.ReconnectPolicy(initial_backoff=0.05, max_backoff=0.2, max_attempts=50)
    client = await swill_client.connect(own_demo.url, reconnect=policy, on_state_change=on_state)
    await connected.wait()
    in_flight = asyncio.create_task(client.call("sleep", 60_000))
    assert await client.call("add", [1, 1]) == 2  # the sleep call is out
    own_demo.kill()
    with pytest.raises(swill_client.SwillError) as lost:
        await in_flight
    assert lost.value.code == 503
    connected.clear()
    own_demo.start(listen=own_demo.address)
    assert await client.call("add", [2, 3]) == 5
    await connected.wait()
    kinds = [s.state for s in states]
    assert kinds[:2] == ["connecting", "connected"]
    after = kinds[2:]
    assert after[0] == "disconnected" and "connecting" in after and after[-1] == "connected"
    assert all(s.attempt for s in states if s.state == "connecting")
    assert all(s.reason for s in states if s.state == "disconnected")
    await client.close()


async def test_never_reconnect(own_demo: Demo) -> None:
    client = await swill_client.connect(own_demo.url, reconnect=swill_client.ReconnectPolicy.never())
    assert await client.call("add", [1, 1]) == 2
    own_demo.kill()
    own_demo.start(listen=own_demo.address)
    with pytest.raises(swill_client.SwillError) as e:
        await client.call("add", [1, 1])
    assert e.value.code == 503
