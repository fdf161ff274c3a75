"""Results reach each event loop on its own thread, through its inbox
(swill_client/_loop.py): loops in several threads at once, and a loop
without add_reader (as Windows' proactor loop)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Tuple

import swill_client
from conftest import Demo


async def calls(url: str) -> Tuple[Any, List[Any], Any]:
    states: List[str] = []
    on_loop: List[bool] = []
    thread = threading.get_ident()

    def on_state(state: swill_client.ConnectionState) -> None:
        states.append(state.state)
        on_loop.append(threading.get_ident() == thread)

    async with await swill_client.connect(url, on_state_change=on_state) as client:
        added = await client.call("add", [1, 2])
        counted = [n async for n in client.stream("count", 3)]
        total = await client.client_stream("total", [1, 2, 3])
    # The state reports were queued before connect()'s outcome, and the loop
    # delivers its inbox in order: both ran before connect() returned.
    assert states[:2] == ["connecting", "connected"] and all(on_loop)
    return added, counted, total


def test_loops_in_threads(demo: Demo) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: asyncio.run(calls(demo.url)), range(8)))
    assert outcomes == [(3, [0, 1, 2], 6)] * 8


class NoReaderLoop(asyncio.SelectorEventLoop):
    def add_reader(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def test_a_loop_without_add_reader(demo: Demo) -> None:
    loop = NoReaderLoop()
    try:
        assert loop.run_until_complete(calls(demo.url)) == (3, [0, 1, 2], 6)
    finally:
        # The task that reads the inbox's socket, as asyncio.run would.
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.close()
