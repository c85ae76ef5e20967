"""The logging set-ups of docs/operating.md, each run in a fresh interpreter: every event is
printed once, on one line, and the failures an operator must see are there at their level."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "operating.md"
MARK = "logging set-up: run in a fresh interpreter by tests/test_logging_docs.py"

# A network that serves, refuses (closed) and quarantines a stuck source, then closes.
SCENARIO = '''
import asyncio, alara
from alara.testing import ConstantSource

async def main():
    net = await alara.create_network(sources=[alara.OsSource(), ConstantSource()],
                                     min_sources=1)
    for _ in range(3):
        await net.random_bytes(32)
    await net.close()
    for _ in range(5):
        try:
            await net.random_bytes(32)
        except alara.NetworkClosedError:
            pass

asyncio.run(main())
'''


def setups() -> list[str]:
    """The code blocks of the doc that follow the logging set-up marker."""
    text = DOC.read_text()
    blocks = re.findall(re.escape(MARK) + r'" -->\n```python\n(.*?)```', text, re.S)
    assert len(blocks) == 2, "docs/operating.md lost a logging set-up"
    return blocks


def run(setup: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", setup + SCENARIO], capture_output=True,
                          text=True, timeout=60, check=True)
    return (done.stdout + done.stderr).splitlines()


def test_the_console_set_up_prints_each_event_once() -> None:
    lines = run(setups()[0])
    assert lines
    pattern = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(\w+)\s*\] ([\w.]+) ")
    events = []
    for line in lines:
        match = pattern.match(line)
        assert match, line
        assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:", line)) == 1  # one timestamp
        events.append((match.group(2), match.group(1)))
    assert ("network.quarantined", "error") in events
    assert events.count(("network.refused", "warning")) == 1  # five refusals, one event
    assert len(events) == len(set(lines))  # no line printed twice


def test_the_json_set_up_prints_one_object_per_event() -> None:
    events = [json.loads(line) for line in run(setups()[1])]
    assert {"event", "level", "timestamp"} <= set(events[0])
    [refused] = [event for event in events if event["event"] == "network.refused"]
    assert (refused["level"], refused["outcome"], refused["count"]) == (
        "warning", "closed", 1)
    assert any(event["event"] == "network.quarantined" and event["level"] == "error"
               for event in events)
