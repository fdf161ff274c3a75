"""The same calls against the original Python Swill server, with the
original's subprotocol ``swill/1``.

The original is the PyPI package ``swill``. ``scripts/test-py.sh`` tries
to install it; where it cannot (it is not on the package index this
machine reaches), these tests are skipped with that reason. Starting one
is not automated: point ``SWILL_ORIGINAL_URL`` at a running original
server that has the demo's ``add``, ``count``, ``total`` and ``upper``.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

import swill_client

URL = os.environ.get("SWILL_ORIGINAL_URL", "")

if not URL:
    if importlib.util.find_spec("swill") is None:
        reason = os.environ.get(
            "SWILL_ORIGINAL_MISSING", "the original Python Swill (PyPI `swill`) is not installed"
        )
    else:
        reason = "the original Python Swill is installed; set SWILL_ORIGINAL_URL to a server of it"
    pytest.skip(reason, allow_module_level=True)


async def test_the_four_call_shapes_with_the_original() -> None:
    async with await swill_client.connect(URL, legacy=True) as client:
        assert await client.call("add", [1, 2]) == 3
        assert [n async for n in client.stream("count", 3)] == [0, 1, 2]
        assert await client.client_stream("total", [1, 2, 3]) == 6
        async with client.bidi("upper") as s:
            await s.send("a")
            assert await s.__anext__() == "A"
