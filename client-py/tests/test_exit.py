"""Short scripts that exit right after their last call exit cleanly.

The Rust client's threads never call into Python (src/deliver.rs): before,
a thread handing a result (or a cancellation, or a state change) to Python
as the interpreter finalized crashed a third of such scripts ("Fatal Python
error: PyGILState_Release", or a segfault). Each kind of script below
leaves the Rust side something to do as the interpreter exits."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import List, Tuple

from conftest import Demo

HEAD = """
import asyncio, sys, swill_client
url = sys.argv[1]
"""

SCRIPTS = {
    # Everything awaited; the client is dropped as main() returns and its
    # connection reports itself closed.
    "awaited, with a state callback": """
async def main() -> None:
    client = await swill_client.connect(url, on_state_change=lambda state: None)
    assert await client.call("add", [1, 2]) == 3
    assert [n async for n in client.stream("count", 2)] == [0, 1]
asyncio.run(main())
""",
    "awaited": """
async def main() -> None:
    client = await swill_client.connect(url)
    assert await client.call("add", [1, 2]) == 3
    assert [n async for n in client.stream("count", 2)] == [0, 1]
asyncio.run(main())
""",
    # asyncio.run cancels the call left over as it finishes.
    "a call left in flight": """
async def main() -> None:
    client = await swill_client.connect(url, on_state_change=lambda state: None)
    asyncio.create_task(client.call("sleep", 60_000))
    assert await client.call("add", [1, 2]) == 3
asyncio.run(main())
""",
    # Never awaited: it may or may not have gone out.
    "a call not awaited": """
async def main() -> None:
    client = await swill_client.connect(url)
    asyncio.ensure_future(client.call("add", [1, 2]))
asyncio.run(main())
""",
    # A stream dropped with a next() pending, and the client with it.
    "a stream dropped while waiting": """
async def main() -> None:
    client = await swill_client.connect(url, on_state_change=lambda state: None)
    stream = client.stream("count", 10**12)
    assert await stream.__anext__() == 0
    asyncio.create_task(stream.__anext__())
    await asyncio.sleep(0)
asyncio.run(main())
""",
    "a bidirectional call left open": """
async def main() -> None:
    client = await swill_client.connect(url, on_state_change=lambda state: None)
    up = client.bidi("upper")
    await up.send("a")
    assert await up.__anext__() == "A"
    await up.send("b")
asyncio.run(main())
""",
    # A subscription with a next() pending, left to the interpreter.
    "a subscription left waiting": """
async def main() -> None:
    client = await swill_client.connect(url, on_state_change=lambda state: None)
    chat = await client.subscribe("chat")
    await client.publish("chat", "bye")
    assert (await chat.__anext__()).data == "bye"
    asyncio.create_task(chat.__anext__())
    await asyncio.sleep(0)
asyncio.run(main())
""",
    "closed, the close not awaited": """
async def main() -> None:
    client = await swill_client.connect(url, on_state_change=lambda state: None)
    assert await client.call("add", [1, 2]) == 3
    client.close()
asyncio.run(main())
""",
    # Not asyncio.run: the loop is neither closed nor collected before
    # the interpreter finalizes.
    "a loop never closed": """
async def main() -> None:
    client = await swill_client.connect(url, on_state_change=lambda state: None)
    assert await client.call("add", [1, 2]) == 3
loop = asyncio.new_event_loop()
loop.run_until_complete(main())
""",
}

RUNS_EACH = 5


def run(script: str, url: str) -> Tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", HEAD + script, url], capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stderr


def test_short_scripts_exit_cleanly(demo: Demo) -> None:
    runs = [(name, script) for name, script in SCRIPTS.items() for _ in range(RUNS_EACH)]
    assert len(runs) == 45
    # A few at a time: faster, and the timing varies more.
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda r: (r[0], run(r[1], demo.url)), runs))
    failed: List[str] = [
        f"{name}: exit code {code}, stderr:\n{stderr}"
        for name, (code, stderr) in outcomes
        if (code, stderr) != (0, "")
    ]
    assert not failed, f"{len(failed)} of {len(runs)} scripts failed:\n" + "\n".join(failed)
