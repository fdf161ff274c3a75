"""The Python client of swill: RPC over WebSocket with MessagePack (Swill
v1), to swill servers and to the original Python Swill servers.

It is the Rust client (crate ``swill-client``) with an asyncio API::

    import swill_client

    client = await swill_client.connect("ws://127.0.0.1:8000/ws")
    await client.call("add", [1, 2])                      # 3
    [n async for n in client.stream("count", 3)]          # [0, 1, 2]
    await client.client_stream("total", [1, 2, 3])        # 6
    async with client.bidi("upper") as s:
        await s.send("a")
        await s.__anext__()                               # "A"

    await client.publish("chat", "hi")                    # Position("x8Kd", 1)
    async with await client.subscribe("chat") as chat:
        async for p in chat:
            print(p.data, p.position)

Errors are :class:`SwillError` (``code``, ``message``, ``data``).
"""

from ._client import Client, Connecting, connect
from ._errors import SwillError
from ._streams import BidiStream, ServerStream
from ._topics import Subscription
from ._types import (
    ConnectionState,
    Metadata,
    Position,
    PresenceEntry,
    Publication,
    ReconnectPolicy,
    Response,
    RpcDescription,
    TopicDescription,
)

__all__ = [
    "BidiStream",
    "Client",
    "Connecting",
    "ConnectionState",
    "Metadata",
    "Position",
    "PresenceEntry",
    "Publication",
    "ReconnectPolicy",
    "Response",
    "RpcDescription",
    "ServerStream",
    "Subscription",
    "SwillError",
    "TopicDescription",
    "connect",
]

__version__ = "0.1.0"
