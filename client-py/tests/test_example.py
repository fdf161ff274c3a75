"""The runnable example (client-py/examples/tour.py) against the demo: it
must run to its end and print what the demo answers."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from conftest import Demo

TOUR = pathlib.Path(__file__).parent.parent / "examples" / "tour.py"


def test_the_tour_runs_against_the_demo(demo: Demo) -> None:
    done = subprocess.run(
        [sys.executable, str(TOUR), demo.url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:4] == ["add: 3", "count: [0, 1, 2]", "total: 6", "upper: SWILL"], lines
    assert "echo_meta: hi {'tenant': 'acme'}" in lines
    assert any(line.startswith("sleep: 408 ") for line in lines), lines
    assert "chat: {'text': 'hello'} True" in lines
    assert any(line.startswith("rpcs: ['add', 'count'") for line in lines), lines
