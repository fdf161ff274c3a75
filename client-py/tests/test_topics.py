"""Topics, against the demo's ``chat`` topic (history 1000, one hour):
publishing and receiving, ``since=``, refusals, unsubscribing (CANCEL),
presence, descriptions, a loss reported as 409 after an in-memory restart,
and a subscription that survives its node's restart on Redis with nothing
lost."""

from __future__ import annotations

import asyncio
import gc
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from typing import Awaitable, Callable, Iterator, List, Optional

import pytest

import swill_client
from conftest import Demo, eventually
from swill_client import Position, Publication, SwillError

#: Reconnect quickly and for long enough to outlast a restart.
PATIENT = swill_client.ReconnectPolicy(initial_backoff=0.05, max_backoff=0.2, max_attempts=200)


def tag() -> str:
    """A prefix that only this test's publications carry."""
    return uuid.uuid4().hex[:8]


async def take(sub: swill_client.Subscription, n: int) -> List[Publication]:
    """The next ``n`` publications, within 10 s."""

    async def read() -> List[Publication]:
        return [await sub.__anext__() for _ in range(n)]

    return await asyncio.wait_for(read(), 10)


async def test_a_publication_reaches_every_subscriber(
    demo: Demo, client: swill_client.Client
) -> None:
    t = tag()
    async with await swill_client.connect(demo.url) as other:
        first = await client.subscribe("chat")
        second = await other.subscribe("chat")
        async with first, second:
            assert first.topic == "chat" and first.position is None
            at = await other.publish("chat", {"from": t, "text": "hi"})
            assert isinstance(at, Position) and at.offset >= 1 and at.epoch
            for sub in (first, second):
                [p] = await take(sub, 1)
                assert p.data == {"from": t, "text": "hi"}
                assert p.position == at
                assert sub.position == at
            # Values travel as in calls.
            await client.publish("chat", [b"\x00", 1.5, None, 2**63])
            [p] = await take(first, 1)
            assert p.data == [b"\x00", 1.5, None, 2**63]


async def test_since_resumes_after_a_saved_position(client: swill_client.Client) -> None:
    t = tag()
    saved = await client.publish("chat", f"{t}-0")
    between = [await client.publish("chat", f"{t}-{i}") for i in (1, 2)]
    sub = await client.subscribe("chat", since=saved)
    assert sub.position == saved
    after = await client.publish("chat", f"{t}-3")
    got = await take(sub, 3)
    assert [p.data for p in got] == [f"{t}-1", f"{t}-2", f"{t}-3"]
    assert [p.position for p in got] == [*between, after]
    assert sub.missed == 0
    await sub.aclose()
    # A position written as text, as the command line prints it, reads back.
    text = str(saved)
    assert text == f"{saved.epoch}:{saved.offset}" and Position.parse(text) == saved
    with pytest.raises(ValueError):
        Position.parse("no-offset")


async def test_a_position_from_another_epoch_is_a_409_then_the_stream_goes_on(
    client: swill_client.Client,
) -> None:
    t = tag()
    lost = Position("an-epoch-the-server-never-had", 3)
    sub = await client.subscribe("chat", since=lost)
    with pytest.raises(SwillError) as e:
        await asyncio.wait_for(sub.__anext__(), 10)
    assert e.value.code == 409
    assert "were lost" in e.value.message
    assert e.value.data["last"] == lost
    now = e.value.data["now"]
    assert isinstance(now, Position) and now.epoch != lost.epoch
    assert sub.missed == 1 and sub.position == now
    at = await client.publish("chat", t)
    [p] = await take(sub, 1)
    assert (p.data, p.position) == (t, at)
    await sub.aclose()


async def test_on_missed_is_called_instead_of_raising(client: swill_client.Client) -> None:
    t = tag()
    seen: List[SwillError] = []

    async def reload(missed: SwillError) -> None:
        await asyncio.sleep(0)
        seen.append(missed)

    sub = await client.subscribe("chat", since=Position("gone", 1), on_missed=reload)
    # The 409 comes first in the subscription, before what is published now.
    await client.publish("chat", t)
    [p] = await take(sub, 1)
    assert p.data == t
    assert [e.code for e in seen] == [409] and seen[0].data["last"] == Position("gone", 1)
    assert sub.missed == 1
    await sub.aclose()


async def test_an_unknown_topic_is_a_404(client: swill_client.Client) -> None:
    attempts: List[Callable[[], Awaitable[object]]] = [
        lambda: client.subscribe("no.such.topic"),
        lambda: client.publish("no.such.topic", 1),
        lambda: client.presence("no.such.topic"),
    ]
    for attempt in attempts:
        with pytest.raises(SwillError) as e:
            await attempt()
        assert e.value.code == 404
    with pytest.raises(SwillError) as bad:
        await client.subscribe("chat*")
    assert bad.value.code == 400
    assert await client.call("add", [1, 2]) == 3


async def test_topics_are_described(client: swill_client.Client) -> None:
    [chat] = await client.topics()
    assert chat["name"] == "chat"
    assert chat["history"] == 1000 and chat["history_ttl_ms"] == 3_600_000
    assert chat["message"] == {"type": "Any"}
    assert chat["description"] and "chat room" in chat["description"]


async def subscribers(client: swill_client.Client) -> int:
    return len(await client.presence("chat"))


@pytest.mark.parametrize("how", ["aclose", "async with", "cancel", "break"])
async def test_unsubscribing_sends_cancel(
    demo: Demo, client: swill_client.Client, how: str
) -> None:
    before = await subscribers(client)
    cancelled = demo.requests("swill.subscribe", "cancelled")
    async with await swill_client.connect(demo.url) as own:
        if how == "break":
            t = tag()
            # subscribe() returns once the server confirmed: what is
            # published after it reaches this subscription.
            sub = await own.subscribe("chat")
            await own.publish("chat", t)
            async for p in sub:
                assert p.data == t
                break
            del sub  # the last reference: the subscription ends
        else:
            sub = await own.subscribe("chat")
            here = await own.presence("chat")
            assert len(here) == before + 1
            assert all(isinstance(e, swill_client.PresenceEntry) for e in here)
            if how == "aclose":
                await sub.aclose()
            elif how == "cancel":
                sub.cancel()
            else:
                async with sub:
                    pass
            with pytest.raises(StopAsyncIteration):
                await sub.__anext__()
        await eventually(
            lambda: demo.requests("swill.subscribe", "cancelled") == cancelled + 1,
            "the server to see CANCEL",
        )
        assert await subscribers(own) == before
        # The connection stays usable.
        assert await own.call("add", [1, 2]) == 3


async def test_unsubscribing_ends_a_waiting_iteration(client: swill_client.Client) -> None:
    sub = await client.subscribe("chat")
    waiting = asyncio.create_task(sub.__anext__())
    await asyncio.sleep(0)  # most likely waiting now; the outcome is the same if not
    await sub.aclose()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 10)


async def test_cancelling_a_waiting_iteration_keeps_the_subscription(
    client: swill_client.Client,
) -> None:
    t = tag()
    async with await client.subscribe("chat") as sub:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(sub.__anext__(), 0.2)
        await client.publish("chat", t)
        [p] = await take(sub, 1)
        assert p.data == t


async def test_closing_the_client_ends_its_subscriptions_with_503(demo: Demo) -> None:
    client = await swill_client.connect(demo.url)
    sub = await client.subscribe("chat")
    waiting = asyncio.create_task(sub.__anext__())
    await asyncio.sleep(0)  # most likely waiting now; the outcome is the same if not
    await client.close()
    with pytest.raises(SwillError) as e:
        await asyncio.wait_for(waiting, 10)
    assert e.value.code == 503
    with pytest.raises(StopAsyncIteration):
        await sub.__anext__()
    with pytest.raises(SwillError) as closed:
        await client.subscribe("chat")
    assert closed.value.code == 503


async def test_a_subscription_outlives_its_client_object(
    demo: Demo, client: swill_client.Client
) -> None:
    """As in the Rust client, a subscription keeps the connection open
    when the client object is gone (only ``close()`` ends it)."""
    t = tag()
    owner: Optional[swill_client.Client] = await swill_client.connect(demo.url)
    assert owner is not None
    sub = await owner.subscribe("chat")
    owner = None
    gc.collect()
    await client.publish("chat", t)
    [p] = await take(sub, 1)
    assert p.data == t
    await sub.aclose()


async def test_a_restart_in_memory_loses_the_topic_and_says_so(own_demo: Demo) -> None:
    """The in-memory engine starts a new epoch at each start of the
    process: the subscription resubscribes by itself, is told (409), and
    goes on in the new epoch."""
    async with await swill_client.connect(own_demo.url, reconnect=PATIENT) as client:
        sub = await client.subscribe("chat")
        first = await client.publish("chat", "before")
        [p] = await take(sub, 1)
        assert p.data == "before"
        own_demo.kill()
        own_demo.start(listen=own_demo.address)
        with pytest.raises(SwillError) as e:
            await asyncio.wait_for(sub.__anext__(), 20)
        assert e.value.code == 409
        assert e.value.data["last"] == first and e.value.data["now"].epoch != first.epoch
        after = await client.publish("chat", "after")
        [p] = await take(sub, 1)
        assert (p.data, p.position) == ("after", after)
        await sub.aclose()


class Redis:
    """A ``redis-server`` of the test's own on a free port, keeping
    nothing on disk."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="swill-py-redis-")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--dir", self.dir, "--save", "", "--appendonly", "no", "--logfile", ""],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        log = []
        for line in self.process.stdout:
            log.append(line)
            if "Ready to accept connections" in line:
                break
        else:
            pytest.fail("redis-server exited before it was ready:\n" + "".join(log))
        stdout = self.process.stdout
        threading.Thread(target=lambda: [None for _ in stdout], daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def redis() -> Iterator[Redis]:
    if shutil.which("redis-server") is None:
        pytest.skip(
            "redis-server is not installed (./scripts/test.sh installs it; "
            "apt-get install redis-server)"
        )
    server = Redis()
    yield server
    server.stop()


async def test_a_subscription_survives_its_node_restarting_on_redis(redis: Redis) -> None:
    """Two demo nodes on one Redis: the subscriber's node is killed,
    publications go on through the other one, the node starts again, and
    the subscription resubscribes by itself and recovers what it missed
    from the history in Redis: each once, in order, no 409."""
    nodes = [Demo(args=["--redis", redis.url, "--node", name]) for name in ("a", "b")]
    for node in nodes:
        node.start()
    a, b = nodes
    try:
        async with await swill_client.connect(
            a.url, reconnect=PATIENT
        ) as subscriber, await swill_client.connect(b.url) as publisher:
            sub = await subscriber.subscribe("chat")
            first = await publisher.publish("chat", "r1")
            [p] = await take(sub, 1)
            assert (p.data, p.position) == ("r1", first)
            a.kill()
            during = [await publisher.publish("chat", f"r{i}") for i in (2, 3)]
            a.start(listen=a.address)
            last = await publisher.publish("chat", "r4")
            got = await take(sub, 3)
            assert [p.data for p in got] == ["r2", "r3", "r4"]
            assert [p.position for p in got] == [*during, last]
            assert last.epoch == first.epoch and sub.missed == 0
            # Presence is shared by the nodes: the subscriber, on node a.
            assert [e.node for e in await publisher.presence("chat")] == ["a"]
            await sub.aclose()
    finally:
        for node in nodes:
            node.kill()

