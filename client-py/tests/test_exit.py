"""A script that exits right after its last call exits cleanly: the Rust
client's threads must not touch the interpreter while it finalizes."""

from __future__ import annotations

import subprocess
import sys

from conftest import Demo

SCRIPT = """
import asyncio, sys, swill_client

async def main() -> None:
    # The callback is called from the Rust client's threads, also when the
    # connection closes as the interpreter exits.
    client = await swill_client.connect(sys.argv[1], on_state_change=lambda state: None)
    assert await client.call("add", [1, 2]) == 3
    assert [n async for n in client.stream("count", 2)] == [0, 1]

asyncio.run(main())
"""


def test_short_scripts_exit_cleanly(demo: Demo) -> None:
    for _ in range(20):
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, demo.url], capture_output=True, text=True, timeout=60
        )
        assert (done.returncode, done.stderr) == (0, "")
