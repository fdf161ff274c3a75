"""Fixtures: the demo server as a real process on 127.0.0.1, and a client
connected to it.

The demo binary comes from ``SWILL_DEMO_BIN`` (``scripts/test-py.sh``
builds it). It listens on a port the OS picks and prints its address,
which is how a test knows it is ready. It runs with ``--metrics`` (its
request counters are how the tests see, from the server's side, that a
call was cancelled), unless it serves ``wss://`` (the demo serves metrics
over plain HTTP only).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import threading
import urllib.request
from typing import AsyncIterator, Callable, Iterator, List, Optional, Sequence, Tuple

import pytest
import pytest_asyncio

import swill_client


def pytest_report_header() -> str:
    return f"swill_client from {swill_client.__file__}"


class Demo:
    """One demo server process."""

    def __init__(
        self, tls: Optional[Tuple[str, str]] = None, args: Sequence[str] = ()
    ) -> None:
        """``tls``: the certificate and key files (PEM) to serve
        ``wss://`` with; ``args``: more options (``--redis URL``)."""
        self.tls = tls
        self.args = list(args)
        self.bin = os.environ.get("SWILL_DEMO_BIN", "")
        if not os.access(self.bin, os.X_OK):
            pytest.fail(f"SWILL_DEMO_BIN must name the demo binary, not {self.bin!r}")
        self.process: Optional[subprocess.Popen[str]] = None
        self.address = ""
        self.scheme = "ws"
        self.log: List[str] = []

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}/ws"

    def start(self, listen: str = "127.0.0.1:0") -> None:
        """Starts the server and returns once it listens."""
        if self.tls is None:
            options = ["--metrics"]
        else:
            options = ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        self.process = subprocess.Popen(
            [self.bin, "--listen", listen, *options, *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "RUST_LOG": "warn"},
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line)
            found = re.search(r"listening on (wss?)://(\S+)/ws", line)
            if found:
                self.scheme, self.address = found.groups()
                break
        else:
            pytest.fail("the demo exited before listening:\n" + "".join(self.log))
        # Keep reading its output, so that a full pipe never stalls it.
        threading.Thread(target=self._drain, args=(self.process,), daemon=True).start()

    def _drain(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.log.append(line)

    def stop(self) -> None:
        """Stops the server (SIGTERM: it closes its connections) and waits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def kill(self) -> None:
        """Kills the server at once: its connections drop unannounced."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)

    def requests(self, rpc: str, outcome: str) -> int:
        """``swill_requests_total`` for this rpc and outcome, summed over
        codes (0 before the first such request)."""
        pattern = re.compile(
            r'^swill_requests_total\{rpc="%s",outcome="%s",code="[^"]*"\} (\S+)$'
            % (re.escape(rpc), re.escape(outcome))
        )
        return int(sum(float(m.group(1)) for m in map(pattern.match, self._metrics()) if m))

    def in_flight(self, rpc: str) -> int:
        """``swill_requests_in_flight`` for this rpc."""
        pattern = re.compile(r'^swill_requests_in_flight\{rpc="%s"\} (\S+)$' % re.escape(rpc))
        return int(sum(float(m.group(1)) for m in map(pattern.match, self._metrics()) if m))

    def _metrics(self) -> List[str]:
        with urllib.request.urlopen(f"http://{self.address}/metrics", timeout=10) as response:
            text: str = response.read().decode()
        return text.splitlines()


async def eventually(check: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """Waits until ``check()`` holds, asking again every 20 ms: for states
    only the server's metrics show. Fails after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await asyncio.to_thread(check):
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture(scope="session")
def demo() -> Iterator[Demo]:
    """The demo server shared by the tests that do not restart it."""
    server = Demo()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_demo() -> Iterator[Demo]:
    """A demo server of the test's own, to stop and restart."""
    server = Demo()
    server.start()
    yield server
    server.kill()


@pytest_asyncio.fixture
async def client(demo: Demo) -> AsyncIterator[swill_client.Client]:
    """A client connected to the shared demo."""
    async with await swill_client.connect(demo.url) as connected:
        yield connected
