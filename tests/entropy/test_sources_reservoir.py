"""ReservoirSource: a slow source never makes a read wait, and no byte of it is used twice."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator

import pytest

import alara
from alara import HealthTestError, OsSource, ReservoirSource, SourceError
from alara.entropy import _reservoir
from tests.helpers import until


class CountingDevice:
    """A synchronous device whose stream is a counter (every 4 bytes distinct), with a gate.

    ``hold()`` makes the next reads block until ``release()``: a device gone quiet.
    """

    kind = "hwrng"
    min_entropy = 2.0

    def __init__(self) -> None:
        self.stream = bytearray()
        self._counter = 0
        self._open = threading.Event()
        self._open.set()

    def read(self, n: int) -> bytes:
        self._open.wait()
        out = bytearray()
        while len(out) < n:
            self._counter += 1
            out += self._counter.to_bytes(4, "big")
        self.stream += out[:n]
        return bytes(out[:n])

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def device() -> Iterator[CountingDevice]:
    device = CountingDevice()
    yield device
    device.release()


@pytest.fixture
def absorbed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The fresh device bytes each draw absorbed, in order."""
    seen: list[bytes] = []
    draw = _reservoir._draw

    def recording(key: bytearray, fresh: bytes, n: int) -> bytes:
        seen.append(fresh)
        return draw(key, fresh, n)

    monkeypatch.setattr(_reservoir, "_draw", recording)
    return seen


async def test_no_device_byte_is_ever_used_twice(
    device: CountingDevice, absorbed: list[bytes]
) -> None:
    # The counter health-tests fine at a 0.1-bit claim only; the point here is the bookkeeping.
    device.min_entropy = 0.1
    reservoir = ReservoirSource(device, capacity=256, chunk=64, startup=128)
    outputs = [await reservoir.read(32) for _ in range(300)]  # more than the device could give
    await until(lambda: reservoir.level >= 64)
    outputs += [await reservoir.read(32) for _ in range(50)]
    reservoir.close()
    fresh = [block for block in absorbed if block]
    assert all(len(block) == 32 for block in fresh)
    used = b"".join(fresh)
    # Absorbed in device order, each byte once, never one of the start-up bytes.
    assert used == bytes(device.stream[128 : 128 + len(used)])
    assert len(used) >= 32 * 10
    assert len(set(outputs)) == len(outputs)


async def test_reads_do_not_wait_for_a_slow_device(device: CountingDevice) -> None:
    device.min_entropy = 0.1
    reservoir = ReservoirSource(device, capacity=128, chunk=32, startup=0)
    await reservoir.read(32)
    device.hold()  # the device gives nothing more for now
    async with asyncio.timeout(5):
        outputs = {await reservoir.read(32) for _ in range(2000)}
    assert len(outputs) == 2000
    reservoir.close()


async def test_a_stalled_device_fails_reads_after_stale_after(device: CountingDevice) -> None:
    device.min_entropy = 0.1
    clock = Clock()
    reservoir = ReservoirSource(device, capacity=64, chunk=32, startup=0, stale_after=5.0,
                                clock=clock)
    await reservoir.read(32)
    await until(lambda: reservoir.level == 64)
    device.hold()
    for _ in range(2):
        await reservoir.read(32)  # the last fresh bytes
    clock.now = 4.0
    await reservoir.read(32)  # stretched from the newest key, within stale_after
    clock.now = 10.0
    with pytest.raises(SourceError, match=r"hwrng: no fresh bytes for more than 5 s"):
        await reservoir.read(32)
    assert reservoir.level == 0
    device.release()
    assert len(await reservoir.read(32)) == 32  # the next read starts afresh


async def test_raw_bytes_are_health_tested_at_the_device_claim() -> None:
    class Stuck:
        kind = "hwrng"
        min_entropy = 2.0

        def read(self, n: int) -> bytes:
            return b"\x07" * n

    reservoir = ReservoirSource(Stuck())
    with pytest.raises(HealthTestError, match="repetition count"):
        await reservoir.read(32)
    with pytest.raises(HealthTestError):  # a new generation: start-up tested again, fails again
        await reservoir.read(32)


@pytest.mark.parametrize("answer", [b"short", "text"])
async def test_a_device_giving_the_wrong_answer_fails_the_read(answer: object) -> None:
    class Wrong:
        def read(self, n: int) -> object:
            return answer

    with pytest.raises(SourceError, match="Wrong: source returned"):
        await ReservoirSource(Wrong(), startup=0).read(32)  # type: ignore[arg-type]


async def test_large_reads_are_drawn_in_blocks_and_are_fresh() -> None:
    reservoir = ReservoirSource(OsSource())
    first, second = await reservoir.read(200_000), await reservoir.read(200_000)
    assert len(first) == len(second) == 200_000
    assert first != second
    assert first[:65536] != first[65536:131072]
    reservoir.close()


def test_kind_and_claim_are_the_device_s() -> None:
    reservoir = ReservoirSource(OsSource())
    assert (reservoir.kind, reservoir.min_entropy, reservoir.level) == ("os", 4.0, 0)
    assert repr(reservoir) == "ReservoirSource(OsSource(), capacity=4096)"


@pytest.mark.parametrize(("arguments", "error", "name"), [
    ({"source": object()}, TypeError, "source"),
    ({"capacity": 10}, ValueError, "capacity"),
    ({"chunk": 0}, ValueError, "chunk"),
    ({"chunk": 5000}, ValueError, "chunk"),
    ({"stale_after": 0}, ValueError, "stale_after"),
    ({"startup": -1}, ValueError, "startup"),
    ({"clock": 3}, TypeError, "clock"),
])
def test_arguments_are_checked(arguments: dict[str, object], error: type[Exception],
                               name: str) -> None:
    arguments = {"source": OsSource(), **arguments}
    with pytest.raises(error, match=name):
        ReservoirSource(**arguments)  # type: ignore[arg-type]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_reuses_the_parent_s_reservoir() -> None:
    reservoir = ReservoirSource(OsSource())
    asyncio.run(reservoir.read(32))  # the parent's reservoir is filled and keyed
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a new loop, a new generation
        try:
            os.write(write_end, asyncio.run(reservoir.read(32)))
        finally:
            os._exit(0)
    os.close(write_end)
    child = os.read(read_end, 32)
    os.close(read_end)
    os.waitpid(pid, 0)
    parent = asyncio.run(reservoir.read(32))
    assert len(child) == 32
    assert child != parent
    reservoir.close()


async def test_a_network_of_a_slow_source_serves_at_the_pool_s_rate(
    device: CountingDevice,
) -> None:
    device.min_entropy = 0.1
    reservoir = ReservoirSource(device, capacity=128, chunk=32, startup=0)
    async with alara.create_network(sources=[OsSource(), reservoir]) as net:
        await net.random_bytes(32)
        device.hold()
        async with asyncio.timeout(5):
            outputs = await asyncio.gather(*(net.random_bytes(32) for _ in range(500)))
        assert len(set(outputs)) == 500
        assert net.quarantined() == []
        device.release()


async def test_a_reservoir_nobody_holds_ends_its_filler_thread() -> None:
    before = set(threading.enumerate())
    reservoir = ReservoirSource(OsSource())
    await reservoir.read(32)
    fillers = [t for t in set(threading.enumerate()) - before
               if t.name == "alara-reservoir-os"]
    assert len(fillers) == 1
    del reservoir
    async with asyncio.timeout(5):
        await asyncio.to_thread(fillers[0].join)


async def test_start_fills_before_the_first_read(device: CountingDevice) -> None:
    device.min_entropy = 0.1
    reservoir = ReservoirSource(device, capacity=64, chunk=32, startup=32)
    reservoir.start()
    await until(lambda: reservoir.level == 64)
    assert len(device.stream) == 32 + 64  # the start-up bytes, then a full reservoir
    reservoir.start()  # a second start changes nothing
    assert len(await reservoir.read(32)) == 32
    reservoir.close()
