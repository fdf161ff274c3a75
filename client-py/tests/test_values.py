"""Values round-trip through MessagePack as a Python user expects."""

from __future__ import annotations

import dataclasses
from typing import Any, List

import pytest

import swill_client


async def echo(client: swill_client.Client, value: Any) -> Any:
    return await client.call("echo_meta", value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        2**63 - 1,
        -(2**63),
        2**64 - 1,
        1.5,
        -0.25,
        "",
        "héllo ✓",
        b"",
        b"\x00\xffbytes",
        [],
        {},
        [1, "two", 3.0, None, b"\x04"],
        {"nested": {"list": [{"deep": [1, 2, {"x": None}]}]}, "bin": b"\x01"},
    ],
)
async def test_value_round_trips(client: swill_client.Client, value: Any) -> None:
    back = await echo(client, value)
    assert back == value
    assert type(back) is type(value)


async def test_tuples_and_sets_travel_as_lists(client: swill_client.Client) -> None:
    assert await echo(client, (1, 2)) == [1, 2]
    assert await echo(client, {3}) == [3]


async def test_only_bytes_travel_as_bin(client: swill_client.Client) -> None:
    # bytearray is refused, not sent as something else: bytes(value)
    # sends it.
    with pytest.raises(TypeError, match="bytearray"):
        await echo(client, bytearray(b"ab"))
    assert await echo(client, bytes(bytearray(b"ab"))) == b"ab"


async def test_bytes_reach_a_rust_handler_as_bin(client: swill_client.Client) -> None:
    # `add` takes (i64, i64): bin where it wants ints is refused, which
    # shows bytes are not sent as a list of ints.
    with pytest.raises(swill_client.SwillError) as refused:
        await client.call("add", [b"\x01", 2])
    assert refused.value.code == 400


async def test_map_keys_need_not_be_strings(client: swill_client.Client) -> None:
    assert await echo(client, {1: "one", "two": 2}) == {1: "one", "two": 2}


@dataclasses.dataclass
class Point:
    x: int
    y: float
    tags: List[str]


@dataclasses.dataclass
class Shape:
    name: str
    points: List[Point]


async def test_dataclasses_go_in_as_maps_and_come_back_as_dicts(
    client: swill_client.Client,
) -> None:
    shape = Shape("tri", [Point(0, 0.5, ["a"]), Point(1, 2.0, [])])
    assert await echo(client, shape) == dataclasses.asdict(shape)
    assert await echo(client, [Point(1, 1.0, [])]) == [{"x": 1, "y": 1.0, "tags": []}]


async def test_dataclass_request_to_a_typed_handler(client: swill_client.Client) -> None:
    @dataclasses.dataclass
    class Failure:
        code: int
        message: str

    with pytest.raises(swill_client.SwillError) as failed:
        await client.call("fail", Failure(418, "a teapot"))
    assert (failed.value.code, failed.value.message) == (418, "a teapot")


async def test_ints_beyond_64_bits_are_refused_before_sending(
    client: swill_client.Client,
) -> None:
    with pytest.raises(OverflowError, match="64 bits"):
        await echo(client, 2**64)
    with pytest.raises(OverflowError, match="64 bits"):
        await echo(client, {"big": -(2**63) - 1})


async def test_values_that_cannot_travel_are_a_type_error(client: swill_client.Client) -> None:
    with pytest.raises(TypeError, match="object"):
        await echo(client, object())
    with pytest.raises(TypeError):
        await echo(client, {"f": lambda: 1})
    # The connection is fine afterwards.
    assert await client.call("add", [1, 1]) == 2


async def test_values_nested_too_deep_or_containing_themselves_are_a_value_error(
    client: swill_client.Client,
) -> None:
    deep: Any = 1
    for _ in range(64):
        deep = [deep]
    # 64 is the wire's limit with the frame around the value.
    with pytest.raises(ValueError, match="63 levels"):
        await echo(client, deep)
    # Thousands of levels, or a value that contains itself, used to
    # overflow the stack and kill the interpreter.
    for _ in range(5_000):
        deep = [deep]
    with pytest.raises(ValueError, match="63 levels"):
        await echo(client, deep)
    looped: List[Any] = [1]
    looped.append(looped)
    with pytest.raises(ValueError, match="contains itself"):
        await echo(client, looped)
    mapped: Any = {}
    mapped["self"] = mapped
    with pytest.raises(ValueError, match="metadata"):
        await client.call("echo_meta", 1, metadata=mapped)
    nested: Any = 1
    for _ in range(63):
        nested = [nested]
    assert await echo(client, nested) == nested
    assert await client.call("add", [1, 1]) == 2


async def test_array_keys_come_back_as_tuples(client: swill_client.Client) -> None:
    assert await echo(client, {(1, 2): "x", ((3,), 4): "y"}) == {(1, 2): "x", ((3,), 4): "y"}
