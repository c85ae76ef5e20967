"""The default pool: one worker per discovered kind, topped up with ``os``.

The test suite runs with ``ALARA_SOURCES=os`` (``tests/conftest.py``); these tests lift it to
see what a network made with no arguments uses on this machine, as root and as a user who may
not read ``/dev/hwrng``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys

import pytest
import structlog

import alara
from alara import OsSource

AS_ROOT_WITH_ALL = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/dev/hwrng")
    or not alara.discover_sources(environ={})[2].available,
    reason="needs root, /dev/hwrng and the CPU instruction")


@pytest.fixture
def discovering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALARA_SOURCES", raising=False)


@AS_ROOT_WITH_ALL
@pytest.mark.usefixtures("discovering")
async def test_as_root_the_default_pool_is_os_hwrng_cpu() -> None:
    async with alara.create_network() as net:
        status = net.status()
        assert status.sources == {"worker-0": "os", "worker-1": "hwrng", "worker-2": "cpu"}
        assert status.unavailable == {}
        assert set(status.reservoirs) == {"worker-1"}
        outputs = {await net.random_bytes(32) for _ in range(200)}
        assert len(outputs) == 200
        assert net.quarantined() == []


@AS_ROOT_WITH_ALL
@pytest.mark.usefixtures("discovering")
async def test_a_bigger_default_pool_is_topped_up_with_os_and_a_smaller_one_cut() -> None:
    async with alara.create_network(5) as net:
        assert list(net.status().sources.values()) == ["os", "hwrng", "cpu", "os", "os"]
    async with alara.create_network(1) as net:
        assert net.status().sources == {"worker-0": "os"}


async def test_sources_keeps_its_meaning_exactly() -> None:
    class Mine:
        def read(self, n: int) -> bytes:
            return os.urandom(n)

    async with alara.create_network(sources=[Mine(), OsSource()]) as net:
        status = net.status()
        assert status.sources == {"worker-0": "Mine", "worker-1": "os"}
        assert status.unavailable == {}
        assert status.reservoirs == {}


async def test_under_alara_sources_os_the_pool_is_os_only() -> None:
    assert os.environ["ALARA_SOURCES"] == "os"  # the suite's setting
    with structlog.testing.capture_logs() as logs:
        async with alara.create_network() as net:
            assert list(net.status().sources.values()) == ["os", "os", "os"]
    assert not [e for e in logs if e["event"] == "network.source_unavailable"]


_AS_NOBODY = """
import asyncio, json, os
import structlog
import alara

async def warm():  # imports what a network needs while the interpreter's files are readable
    async with alara.create_network(sources=[alara.OsSource(), alara.ReservoirSource(
            alara.OsSource()), alara.OsSource()]) as net:
        await net.random_bytes(1 << 20)

asyncio.run(warm())
os.setgid(65534)
os.setuid(65534)

async def main():
    with structlog.testing.capture_logs() as logs:
        async with alara.create_network() as net:
            await net.random_bytes(32)
            status = net.status()
    events = [e for e in logs if e["event"] == "network.source_unavailable"]
    print(json.dumps({"sources": status.sources, "unavailable": status.unavailable,
                      "events": [[e["kind"], e["reason"], e["log_level"]] for e in events]}))

asyncio.run(main())
"""


@AS_ROOT_WITH_ALL
def test_a_user_without_the_device_gets_cpu_and_os_and_is_told_why() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ALARA_SOURCES"}
    result = subprocess.run([sys.executable, "-c", _AS_NOBODY], capture_output=True, text=True,
                            timeout=60, check=True, env=env)
    seen = json.loads(result.stdout)
    assert seen["sources"] == {"worker-0": "os", "worker-1": "cpu", "worker-2": "os"}
    why = "/dev/hwrng is not readable by this process (uid 65534): Permission denied"
    assert seen["unavailable"] == {"hwrng": why}
    assert seen["events"] == [["hwrng", why, "warning"]]


async def test_each_worker_is_tested_at_its_source_s_claim() -> None:
    class Raw:
        """A device honest at 2 bits per byte: each byte one of 4 values."""

        kind = "raw"
        min_entropy = 2.0

        def read(self, n: int) -> bytes:
            return bytes(b & 0x03 for b in os.urandom(n))

    async with alara.create_network(sources=[OsSource(), Raw()]) as net:
        for _ in range(200):  # 6.4 KB: at the default claim (4 bits) the APT would fail it
            await net.random_bytes(32)
        assert net.quarantined() == []
    policy = alara.HealthPolicy()  # a policy passed explicitly applies to every source
    async with alara.create_network(sources=[OsSource(), Raw()], health=policy) as net:
        async with asyncio.timeout(10):
            while not net.quarantined():
                with contextlib.suppress(alara.AlaraError):
                    await net.random_bytes(32)
        assert "adaptive proportion" in net.status().quarantined["worker-1"].reason
