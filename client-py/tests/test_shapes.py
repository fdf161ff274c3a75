"""A call made with the wrong method for its rpc's shape fails with 400
(the client asks the server for its rpcs' shapes once per connection),
instead of waiting forever; ``check_shapes=False`` turns that off."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, List

import pytest

import swill_client
from conftest import Demo

# Each would wait forever without the check; this bounds a regression.
HANG_GUARD = 10.0


async def items(stream: AsyncIterator[Any]) -> List[Any]:
    # A stream opened before the server's shapes arrived may see the unary
    # answer as an item first; the error follows.
    return [x async for x in stream]


async def test_a_unary_call_of_a_client_streaming_rpc_fails_with_400(
    client: swill_client.Client,
) -> None:
    with pytest.raises(swill_client.SwillError) as e:
        await asyncio.wait_for(client.call("total", 5), HANG_GUARD)
    assert e.value.code == 400
    assert "`total` is a client streaming rpc" in e.value.message


async def test_a_stream_of_a_unary_rpc_fails_with_400(client: swill_client.Client) -> None:
    with pytest.raises(swill_client.SwillError) as e:
        await asyncio.wait_for(items(client.stream("add", [1, 2])), HANG_GUARD)
    assert e.value.code == 400
    assert "`add` is a unary rpc" in e.value.message
    assert await client.call("add", [2, 3]) == 5  # the connection is fine


async def test_right_after_connecting_too(demo: Demo) -> None:
    async with await swill_client.connect(demo.url) as client:
        with pytest.raises(swill_client.SwillError) as e:
            await asyncio.wait_for(items(client.stream("add", [1, 2])), HANG_GUARD)
        assert e.value.code == 400


async def test_check_shapes_false_leaves_the_wrong_shape_to_the_deadline(demo: Demo) -> None:
    async with await swill_client.connect(demo.url, check_shapes=False) as client:
        seen: List[Any] = []
        with pytest.raises(swill_client.SwillError) as e:
            async for x in client.stream("add", [1, 2], timeout=0.3):
                seen.append(x)
        assert e.value.code == 408
        assert seen == [3]  # the unary answer, as an item
