"""A program using the whole public API, for `mypy --strict` (the test
script checks it; it is not run). A wrong type below must be an error."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, AsyncIterator, List, Optional

import swill_client
from swill_client import (
    BidiStream,
    Client,
    ConnectionState,
    Metadata,
    Position,
    PresenceEntry,
    Publication,
    ReconnectPolicy,
    Response,
    RpcDescription,
    ServerStream,
    Subscription,
    SwillError,
    TopicDescription,
)


@dataclasses.dataclass
class Pair:
    a: int
    b: int


def on_state(state: ConnectionState) -> None:
    attempt: Optional[int] = state.attempt
    print(state.state, attempt, state.reason)


async def numbers() -> AsyncIterator[int]:
    for n in (1, 2, 3):
        yield n


async def main(url: str) -> None:
    client: Client = await swill_client.connect(
        url,
        legacy="auto",
        headers={"authorization": "Bearer x"},
        cookies=[("a", "b")],
        connect_timeout=3.0,
        keepalive=15.0,
        reconnect=ReconnectPolicy(initial_backoff=0.1, max_attempts=None),
        on_state_change=on_state,
        ca_pem=b"-----BEGIN CERTIFICATE-----",
        check_shapes=True,
    )
    async with client:
        total: Any = await client.call("add", [1, 2], timeout=1.5)
        print(total + 1)
        print(await client.call("echo_meta", Pair(1, 2)))
        response: Response[Any] = await client.call_with_metadata(
            "echo_meta", b"x", metadata={"k": "v"}
        )
        leading: Metadata = response.leading_metadata
        print(response.data, leading, response.trailing_metadata)
        stream: ServerStream = client.stream("count", 3)
        counted: List[Any] = [n async for n in stream]
        print(counted, stream.trailing_metadata)
        print(await client.client_stream("total", numbers()))
        print(await client.client_stream("total", [1, 2]))
        s: BidiStream
        async with client.bidi("upper") as s:
            await s.send("a")
            print(await s.__anext__())
            await s.finish()
        rpcs: List[RpcDescription] = await client.introspect()
        print([rpc["name"] for rpc in rpcs], client.session)
        try:
            await client.call("sleep", 5000, timeout=0.2)
        except SwillError as e:
            code: int = e.code
            message: str = e.message
            print(code, message, e.data)
    await client.close()  # closed already by `async with`: nothing to do


async def reload_the_room(missed: SwillError) -> None:
    print("reload:", missed.data["now"])


async def topics(client: Client, saved: Optional[Position]) -> Optional[Position]:
    where: Position = await client.publish("chat", {"from": "ada", "text": "hi"})
    epoch: str = where.epoch
    offset: int = where.offset
    print(epoch, offset, str(where), Position.parse("x8Kd2a:41"))
    chat: Subscription
    async with await client.subscribe("chat", since=saved) as chat:
        topic: str = chat.topic
        try:
            async for p in chat:
                publication: Publication = p
                print(topic, publication.data, publication.position.offset)
                break
        except SwillError as e:
            if e.code != 409:
                raise
        saved = chat.position
        missed: int = chat.missed
        print(missed)
    quiet = await client.subscribe("chat", on_missed=reload_the_room)
    await quiet.aclose()
    quiet = await client.subscribe("chat", since=where, on_missed=lambda e: print(e.data))
    quiet.cancel()
    here: List[PresenceEntry] = await client.presence("chat")
    print([(entry.node, entry.connection) for entry in here])
    declared: List[TopicDescription] = await client.topics()
    history: int = declared[0]["history"]
    ttl: Optional[int] = declared[0]["history_ttl_ms"]
    print([t["name"] for t in declared], history, ttl, declared[0]["description"])
    return saved


if __name__ == "__main__":
    asyncio.run(main("ws://127.0.0.1:8000/ws"))
