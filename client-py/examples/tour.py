"""A tour of the Python client against the demo server.

    cargo run -p swill-examples --bin demo          # in one terminal
    python client-py/examples/tour.py               # in another (the wheel installed)

It takes the server's URL as its argument (default ``ws://127.0.0.1:8000/ws``)
and prints what each call answered.
"""

from __future__ import annotations

import asyncio
import sys
from typing import AsyncIterator

import swill_client
from swill_client import SwillError


async def numbers() -> AsyncIterator[int]:
    for n in (1, 2, 3):
        yield n


async def main(url: str) -> None:
    async with swill_client.connect(url) as client:
        print("add:", await client.call("add", [1, 2]))
        print("count:", [n async for n in client.stream("count", 3)])
        print("total:", await client.client_stream("total", numbers()))
        async with client.bidi("upper") as words:
            await words.send("swill")
            print("upper:", await words.__anext__())
        echoed = await client.call_with_metadata("echo_meta", "hi", metadata={"tenant": "acme"})
        print("echo_meta:", echoed.data, echoed.trailing_metadata)
        try:
            await client.call("sleep", 5000, timeout=0.2)
        except SwillError as e:
            print("sleep:", e.code, e.message)
        chat = await client.subscribe("chat")
        position = await client.publish("chat", {"text": "hello"})
        publication = await chat.__anext__()
        print("chat:", publication.data, publication.position == position)
        await chat.aclose()
        print("rpcs:", [rpc["name"] for rpc in await client.introspect()])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8000/ws"))
