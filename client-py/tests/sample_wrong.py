"""Mistakes that `mypy --strict` must report (the test script expects
exactly the errors marked below; it is not run)."""

from __future__ import annotations

import swill_client


async def main(client: swill_client.Client) -> None:
    await client.call(7, [1, 2])  # error: the rpc name is a str
    await client.stream("count", 3).send(1)  # error: a server stream takes no requests
    await client.call("add", [1, 2], timeout="soon")  # error: seconds are a float
    error = swill_client.SwillError(404, "gone")
    print(error.code + "!")  # error: the code is an int
    await swill_client.connect("ws://x", check_shapes="yes")  # error: a bool
    await client.subscribe("chat", since="x8Kd2a:41")  # error: since is a Position
    offset: str = (await client.publish("chat", 1)).offset  # error: an offset is an int
    sub = await client.subscribe("chat")
    await sub.send(1)  # error: a subscription only receives
    topics = await client.topics()
    print(topics[0]["nme"])  # error: no such key in a TopicDescription
