"""No secret bytes in any log event, repr or error message.

The test makes the network produce output and go through every failure it can report
(a kill mid-request, a bad source, a hung worker, giving up, bad input, a closed network),
records every contribution a source handed out and every output a caller got, and then
searches every string a user or an operator could see for any of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any, cast

import pytest

import alara
from alara import EntropySource, EntropyWorker, Network, get_random_bytes, start_worker
from alara.testing.sources import HangingSource, WrongLengthSource
from tests.entropy.recording import GateSource, RecordingSource

Logs = list[MutableMapping[str, Any]]


class Evidence:
    """Everything secret, everything visible, and the check that they never meet."""

    def __init__(self) -> None:
        self.secrets: list[bytes] = []
        self.numbers: list[int] = []
        self.visible: list[str] = []

    def see(self, *things: object) -> None:
        for thing in things:
            self.visible.append(thing if isinstance(thing, str) else repr(thing))

    def see_error(self, error: BaseException) -> None:
        self.visible += [str(error), repr(error), str(error.args)]
        if error.__cause__ is not None:
            self.see_error(error.__cause__)

    async def failing(self, awaitable: Any) -> None:
        try:
            async with asyncio.timeout(5):
                await awaitable
        except Exception as error:
            self.see_error(error)
        else:
            raise AssertionError("expected an error")

    def assert_no_leak(self) -> None:
        assert self.secrets, "nothing was generated"
        text = "\n".join(self.visible)
        lowered = text.lower()
        for secret in self.secrets:
            if len(secret) < 6:  # too short to be told apart from chance
                continue
            for window in (secret, secret[:6], secret[-6:]):
                assert window.hex() not in lowered
                assert repr(window)[2:-1] not in text
            assert secret.hex(" ") not in lowered
            assert str(list(secret[:6]))[1:-1] not in text
        for number in self.numbers:
            if number >= 1 << 64:
                assert str(number) not in text
                assert hex(number)[2:] not in lowered


async def test_no_secret_bytes_anywhere(logs: Logs) -> None:
    evidence = Evidence()
    sources = [RecordingSource() for _ in range(3)]
    gate = GateSource()
    net = await alara.create_network(sources=[*sources, gate])
    try:
        async with asyncio.timeout(10):
            for n in (8, 32, 33, 100, 4096):
                evidence.secrets.append(await net.random_bytes(n))
            bits = await net.random_bits(256)
            evidence.secrets.append(bytes(int("".join(map(str, bits[i:i + 8])), 2)
                                          for i in range(0, 256, 8)))
            for bits_wanted in (64, 128, 256):
                evidence.numbers.append(await net.random_int(bits_wanted))
            evidence.numbers.append(await net.random_below(3**200))

            # A kill mid-request: the crash and restart are logged, the caller served.
            gate.gate.clear()  # close it by hand: arm() would forget the blocks read so far
            victim = net.get_nodes()[3]
            request = asyncio.ensure_future(net.random_bytes(64))
            await gate.entered.wait()
            victim.kill("chaos")
            gate.release()
            evidence.secrets.append(await request)
            evidence.see(victim, victim.exit)

        await evidence.failing(net.random_bytes(-1))
        await evidence.failing(net.random_bits("x"))  # type: ignore[arg-type]
        await evidence.failing(net.random_int(0))
        await evidence.failing(net.random_below(True))

        evidence.see(net, net.supervisor, *net.get_nodes(), *net.which_children())
        evidence.see(*(EntropyWorker(source) for source in sources))
    finally:
        async with asyncio.timeout(5):
            await net.close()
    await evidence.failing(net.random_bytes(32))
    evidence.see(net)

    for source in [*sources, gate]:
        evidence.secrets += source.blocks

    # A standalone worker, a worker with a lying source, a hung pool and one that gives up.
    ref = start_worker(sources[0])
    try:
        async with asyncio.timeout(5):
            evidence.secrets.append(await get_random_bytes(ref, 48))
        evidence.see(ref)
    finally:
        await ref.stop()
    liar = start_worker(cast(EntropySource, WrongLengthSource()))
    await evidence.failing(get_random_bytes(liar, 32))
    evidence.see(liar, liar.exit)

    hung = await alara.create_network(
        sources=[HangingSource()], timeout=0.1, contribution_timeout=0.02, max_restarts=100
    )
    try:
        await evidence.failing(hung.random_bytes(32))
    finally:
        await hung.close()
    quitter = await alara.create_network(2, max_restarts=0)
    try:
        quitter.get_nodes()[0].kill("chaos")
        await evidence.failing(quitter.random_bytes(32))
        evidence.see(quitter.supervisor, quitter.supervisor.error)
    finally:
        await quitter.close()

    for event in logs:
        evidence.see(event, *map(str, event.values()))
        assert not any(isinstance(v, (bytes, bytearray, memoryview)) for v in event.values())
    events = {event["event"] for event in logs}
    assert {"network.started", "network.stopped", "actor.crashed", "actor.restarted",
            "supervisor.gave_up"} <= events
    evidence.assert_no_leak()


def test_the_leak_check_would_catch_a_leak() -> None:
    """Guard the guard: the same search finds bytes that did leak, in every usual spelling."""
    secret = bytes(range(200, 232))
    for spelling in (secret.hex(), repr(secret), secret[:6].hex().upper(), str(list(secret))):
        evidence = Evidence()
        evidence.secrets.append(secret)
        evidence.see(f"worker said {spelling}")
        with pytest.raises(AssertionError):
            evidence.assert_no_leak()
    number = 1 << 100 | 12345
    evidence = Evidence()
    evidence.secrets.append(secret)
    evidence.numbers.append(number)
    evidence.see(f"value={number}")
    with pytest.raises(AssertionError):
        evidence.assert_no_leak()


def test_network_and_worker_reprs_are_fixed_shapes() -> None:
    net: Network = alara.create_network(2, sources=[RecordingSource(), RecordingSource()])
    assert repr(net) == "<Network idle workers=2>"
    assert repr(EntropyWorker()) == "EntropyWorker(source=OsSource)"
