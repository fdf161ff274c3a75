"""Cancelling: a cancelled asyncio task, aclose(), async with and break
each send CANCEL, and the server drops the handler (its metrics count the
request as cancelled). The connection stays usable."""

from __future__ import annotations

import asyncio

import pytest

import swill_client
from conftest import Demo, eventually


async def test_cancelling_the_task_cancels_the_call(
    demo: Demo, client: swill_client.Client
) -> None:
    before = demo.requests("sleep", "cancelled")
    task = asyncio.create_task(client.call("sleep", 60_000))
    await eventually(lambda: demo.in_flight("sleep") >= 1, "the handler to start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await eventually(
        lambda: demo.requests("sleep", "cancelled") == before + 1, "the server to see CANCEL"
    )
    assert demo.in_flight("sleep") == 0
    assert await client.call("add", [2, 2]) == 4


async def test_wait_for_timing_out_cancels_the_call(
    demo: Demo, client: swill_client.Client
) -> None:
    before = demo.requests("sleep", "cancelled")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.call("sleep", 60_000), 0.3)
    await eventually(
        lambda: demo.requests("sleep", "cancelled") == before + 1, "the server to see CANCEL"
    )


async def test_aclose_cancels_a_stream(demo: Demo, client: swill_client.Client) -> None:
    before = demo.requests("count", "cancelled")
    stream = client.stream("count", 10**12)
    assert await stream.__anext__() == 0
    await stream.aclose()
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    await eventually(
        lambda: demo.requests("count", "cancelled") == before + 1, "the server to see CANCEL"
    )


async def test_break_out_of_async_for_cancels_the_stream(
    demo: Demo, client: swill_client.Client
) -> None:
    before = demo.requests("count", "cancelled")
    async for n in client.stream("count", 10**12):
        if n == 3:
            break
    await eventually(
        lambda: demo.requests("count", "cancelled") == before + 1, "the server to see CANCEL"
    )


async def test_leaving_async_with_cancels_a_bidi_call(
    demo: Demo, client: swill_client.Client
) -> None:
    before = demo.requests("upper", "cancelled")
    async with client.bidi("upper") as s:
        await s.send("x")
        assert await s.__anext__() == "X"
    await eventually(
        lambda: demo.requests("upper", "cancelled") == before + 1, "the server to see CANCEL"
    )


async def test_cancel_wakes_a_pending_next(client: swill_client.Client) -> None:
    s = client.bidi("upper")
    pending = asyncio.create_task(s.__anext__())
    await s.send("go")
    assert await pending == "GO"
    pending = asyncio.create_task(s.__anext__())
    await asyncio.sleep(0)  # most likely waiting now; the outcome is the same if not
    s.cancel()
    with pytest.raises(StopAsyncIteration):
        await pending


async def test_cancelling_a_client_stream_task_cancels_the_call(
    demo: Demo, client: swill_client.Client
) -> None:
    before = demo.requests("total", "cancelled")
    sent = asyncio.Event()

    async def one_then_wait():  # type: ignore[no-untyped-def]
        yield 1
        sent.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(client.client_stream("total", one_then_wait()))
    await sent.wait()
    await eventually(lambda: demo.in_flight("total") >= 1, "the handler to start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await eventually(
        lambda: demo.requests("total", "cancelled") == before + 1, "the server to see CANCEL"
    )
    assert await client.client_stream("total", [1, 2]) == 3
