"""Errors: the server's code, message and data; deadlines; bad options."""

from __future__ import annotations

import pickle

import pytest

import swill_client
from swill_client import SwillError


async def test_unknown_rpc_is_404(client: swill_client.Client) -> None:
    with pytest.raises(SwillError) as e:
        await client.call("nope", None)
    assert e.value.code == 404
    assert e.value.message  # the original's words: "No func was found to process this request"
    assert e.value.data is None


async def test_handler_error_keeps_code_and_message(client: swill_client.Client) -> None:
    with pytest.raises(SwillError) as e:
        await client.call("fail", {"code": 409, "message": "taken"})
    assert (e.value.code, e.value.message) == (409, "taken")
    assert str(e.value) == "409: taken"
    assert isinstance(e.value, Exception)


async def test_validation_error_carries_data(client: swill_client.Client) -> None:
    with pytest.raises(SwillError) as e:
        await client.call("users.get", {"id": 0})
    assert e.value.code == 422
    assert isinstance(e.value.data, dict) and "id" in e.value.data


async def test_request_of_the_wrong_type_is_400(client: swill_client.Client) -> None:
    with pytest.raises(SwillError) as e:
        await client.call("add", "not a pair")
    assert e.value.code == 400


async def test_error_in_a_stream(client: swill_client.Client) -> None:
    with pytest.raises(SwillError) as e:
        await client.client_stream("total", [2**63 - 1, 1])
    assert e.value.code == 400 and "overflows" in e.value.message
    with pytest.raises(SwillError) as e:
        async for _ in client.stream("nope", 1):
            pass
    assert e.value.code == 404


async def test_timeout_is_408_and_the_connection_goes_on(client: swill_client.Client) -> None:
    with pytest.raises(SwillError) as e:
        await client.call("sleep", 5000, timeout=0.2)
    assert e.value.code == 408
    assert await client.call("add", [1, 2]) == 3


async def test_timeout_covers_streams(client: swill_client.Client) -> None:
    async with client.bidi("upper", timeout=0.2) as s:
        with pytest.raises(SwillError) as e:
            await s.__anext__()
    assert e.value.code == 408


async def test_send_after_the_call_is_over_is_499(client: swill_client.Client) -> None:
    s = client.bidi("upper")
    s.cancel()
    with pytest.raises(SwillError) as e:
        await s.send("late")
    assert e.value.code == 499


async def test_swill_error_pickles(client: swill_client.Client) -> None:
    error = SwillError(404, "gone", {"why": [1]})
    back = pickle.loads(pickle.dumps(error))
    assert (back.code, back.message, back.data) == (404, "gone", {"why": [1]})


async def test_bad_options_are_value_errors(client: swill_client.Client) -> None:
    with pytest.raises(ValueError, match="timeout"):
        await client.call("add", [1, 2], timeout=-1)
    with pytest.raises(ValueError, match="swill-timeout"):
        await client.call("add", [1, 2], metadata={"swill-timeout": 5})
    # The wrong type names the option too.
    with pytest.raises(TypeError, match="timeout"):
        await client.call("add", [1, 2], timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="timeout"):
        client.stream("count", 2, timeout=[1])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"since.*Position\.parse"):
        await client.subscribe("chat", since="E:5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="since"):
        await client.subscribe("chat", since=("E", "5"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="since"):
        await client.subscribe("chat", since=swill_client.Position("E", -1))
    with pytest.raises(TypeError, match="metadata"):
        await client.call("add", [1, 2], metadata={1: "x"})  # type: ignore[dict-item]
    with pytest.raises(OverflowError, match="metadata"):
        await client.call("add", [1, 2], metadata={"n": 2**70})
    with pytest.raises(ValueError, match="multiplier"):
        await swill_client.connect(
            "ws://127.0.0.1:1/ws", reconnect=swill_client.ReconnectPolicy(multiplier=0.5)
        )
    with pytest.raises(ValueError, match="connect_timeout"):
        await swill_client.connect("ws://127.0.0.1:1/ws", connect_timeout=0)
