"""Every call shape against the demo, with metadata and introspection."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import swill_client


async def test_unary_call_answers(client: swill_client.Client) -> None:
    assert await client.call("add", [1, 2]) == 3
    assert await client.call("add", (40, 2)) == 42


async def test_server_stream_is_an_async_iterator(client: swill_client.Client) -> None:
    assert [n async for n in client.stream("count", 3)] == [0, 1, 2]
    assert [n async for n in client.stream("count", 0)] == []


async def test_server_stream_has_trailing_metadata_once_over(client: swill_client.Client) -> None:
    stream = client.stream("count", 2)
    assert stream.trailing_metadata is None
    assert [n async for n in stream] == [0, 1]
    assert stream.trailing_metadata == {}


async def test_leading_metadata_is_known_from_the_first_item(client: swill_client.Client) -> None:
    stream = client.stream("count", 2)
    assert stream.leading_metadata is None
    assert await stream.__anext__() == 0
    assert stream.leading_metadata == {}, "none came with the first item: there is none"
    assert [n async for n in stream] == [1]


async def test_client_stream_from_an_async_iterable(client: swill_client.Client) -> None:
    async def numbers() -> AsyncIterator[int]:
        for n in (1, 2, 3):
            yield n

    assert await client.client_stream("total", numbers()) == 6


async def test_client_stream_from_a_plain_iterable(client: swill_client.Client) -> None:
    assert await client.client_stream("total", [10, 20, 12]) == 42
    assert await client.client_stream("total", []) == 0


async def test_bidi_answers_each_message_as_it_arrives(client: swill_client.Client) -> None:
    async with client.bidi("upper") as s:
        await s.send("a")
        assert await s.__anext__() == "A"
        await s.send("b")
        await s.finish()
        assert [x async for x in s] == ["B"]


async def test_bidi_sends_and_reads_from_two_tasks(client: swill_client.Client) -> None:
    words = [f"word{i}" for i in range(50)]
    async with client.bidi("upper") as s:

        async def send_all() -> None:
            for word in words:
                await s.send(word)
            await s.finish()

        sender = asyncio.create_task(send_all())
        answers = [x async for x in s]
        await sender
    assert answers == [w.upper() for w in words]


async def test_call_with_metadata_returns_leading_and_trailing(
    client: swill_client.Client,
) -> None:
    r = await client.call_with_metadata("echo_meta", b"x", metadata={"k": "v", "n": 7})
    assert r.data == b"x"
    assert r.leading_metadata == {"k": "v", "n": 7}
    assert r.trailing_metadata == {"k": "v", "n": 7}


async def test_answers_without_metadata_have_empty_dicts(client: swill_client.Client) -> None:
    r = await client.call_with_metadata("add", [1, 1])
    assert (r.data, r.leading_metadata, r.trailing_metadata) == (2, {}, {})
    r = await client.client_stream_with_metadata("total", [1], metadata={"t": "x"})
    assert (r.data, r.leading_metadata, r.trailing_metadata) == (1, {}, {})


async def test_many_calls_in_flight_on_one_connection(client: swill_client.Client) -> None:
    sums = await asyncio.gather(*(client.call("add", [i, i]) for i in range(200)))
    assert sums == [2 * i for i in range(200)]


async def test_introspect_describes_the_rpcs(client: swill_client.Client) -> None:
    rpcs = {rpc["name"]: rpc for rpc in await client.introspect()}
    assert {"add", "count", "total", "upper", "echo_meta", "sleep", "users.get"} <= set(rpcs)
    streams = {
        name: (rpcs[name]["request"]["streams"], rpcs[name]["response"]["streams"])
        for name in ("add", "count", "total", "upper")
    }
    assert streams == {
        "add": (False, False),
        "count": (False, True),
        "total": (True, False),
        "upper": (True, True),
    }
    assert rpcs["add"]["description"] == "Adds two numbers."
    assert rpcs["add"]["response_schema"]["type"] == "integer"
