"""``BlockingNetwork``: the whole API from sync code and many threads, clear errors, and a
loop thread that stops when the handle closes."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import alara
from alara import BlockingNetwork, NetworkClosedError, SyncCallInLoopError
from tests.native.sources import CountingSource


def network_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "alara-network"]


def test_the_whole_api_blocks_and_answers() -> None:
    with BlockingNetwork(3) as net:
        assert len(net.token_bytes()) == 32
        assert len(net.token_hex(4)) == 8
        assert len(net.token_urlsafe(3)) == 4
        assert 0 <= net.randbelow(7) < 7
        assert 0 <= net.randbits(9) < 512
        assert net.choice(["only"]) == "only"
        assert net.uuid4().version == 4
        items = list(range(20))
        net.shuffle(items)
        assert sorted(items) == list(range(20))
        assert len(set(net.sample(range(50), 7))) == 7
        assert len(net.random_bytes(9)) == 9
        assert len(net.random_bits(9)) == 9
        assert 0 <= net.random_int(5) < 32
        assert 0 <= net.random_below(5) < 5
        net.add_worker()
        assert len(net.which_children()) == 4
        assert net.quarantined() == []
        assert net.status() is not None
        assert not net.network.closed
    assert net.closed
    assert net.network.closed


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda net: net.token_bytes(-1), ValueError),
        (lambda net: net.token_hex(2.5), TypeError),
        (lambda net: net.randbelow(0), ValueError),
        (lambda net: net.choice([]), IndexError),
        (lambda net: net.random_bytes(True), TypeError),
    ],
)
def test_errors_cross_the_thread_and_the_network_stays_healthy(call: Any,
                                                               error: type[Exception]) -> None:
    with BlockingNetwork(2) as net:
        with pytest.raises(error):
            call(net)
        assert len(net.token_bytes(16)) == 16


def test_lifecycle_misuse_is_a_clear_error() -> None:
    net = BlockingNetwork(2)
    with pytest.raises(NetworkClosedError, match="not started"):
        net.token_bytes()
    net.start()
    with pytest.raises(alara.AlaraError, match="already started"):
        net.start()
    net.close()
    net.close()  # idempotent
    with pytest.raises(NetworkClosedError, match="closed"):
        net.token_bytes()
    with pytest.raises(NetworkClosedError, match="closed"):
        net.start()


def test_bad_arguments_are_refused_before_any_thread_starts() -> None:
    before = len(network_threads())
    with pytest.raises(ValueError, match="workers"):
        BlockingNetwork(0)
    with pytest.raises(TypeError, match="network must be a Network"):
        BlockingNetwork.from_network("net")  # type: ignore[arg-type]
    assert len(network_threads()) == before


def test_closing_stops_the_loop_thread() -> None:
    before = set(network_threads())
    net = BlockingNetwork(2).start()
    started = set(network_threads()) - before
    assert len(started) == 1
    net.close()
    (thread,) = started
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_network_that_cannot_start_leaves_no_thread() -> None:
    before = set(network_threads())
    network = alara.create_network(2)
    handle = BlockingNetwork.from_network(network)
    network_started = asyncio.run(_start_and_close(network))
    assert network_started
    with pytest.raises(NetworkClosedError):
        handle.start()
    for thread in set(network_threads()) - before:
        thread.join(timeout=10)
        assert not thread.is_alive()


async def _start_and_close(network: alara.Network) -> bool:
    await network.start()
    await network.close()
    return True


async def test_sync_calls_from_a_running_loop_say_to_await_instead() -> None:
    with pytest.raises(SyncCallInLoopError, match=r"await alara\.token_hex\(\)"):
        alara.secrets.token_hex()
    with pytest.raises(SyncCallInLoopError, match=r"alara\.Random.*await alara\.randbelow"):
        alara.Random().random()
    handle = BlockingNetwork(2)
    with pytest.raises(SyncCallInLoopError, match=r"async with alara\.create_network\(\)"):
        handle.start()
    with pytest.raises(RuntimeError):  # also a RuntimeError, like asyncio.run's refusal
        handle.token_bytes()


class CallingBack(CountingSource):
    """Read on the network's own loop, and calls the network from there (once)."""

    def __init__(self) -> None:
        super().__init__()
        self.network: BlockingNetwork | None = None
        self.raised: list[BaseException] = []

    def read(self, n: int) -> bytes:
        if self.network is not None and not self.raised:
            try:
                self.network.token_bytes()
            except BaseException as error:
                self.raised.append(error)
        return super().read(n)


def test_a_sync_call_on_the_networks_own_loop_fails_instead_of_deadlocking() -> None:
    source = CallingBack()
    with BlockingNetwork(sources=[source]) as net:
        source.network = net
        assert len(net.token_bytes(4)) == 4  # answered: the nested call did not deadlock
    assert len(source.raised) == 1
    assert isinstance(source.raised[0], SyncCallInLoopError)


def test_many_threads_share_one_network_and_are_batched_into_rounds() -> None:
    sources = [CountingSource() for _ in range(3)]
    calls = 8 * 40
    with BlockingNetwork(sources=sources) as net:
        net.token_bytes(1)
        for source in sources:
            source.reset()
        with ThreadPoolExecutor(8) as pool:
            tokens = list(pool.map(lambda _: net.token_bytes(32), range(calls)))
        rounds = [source.reads for source in sources]
    assert len(set(tokens)) == calls
    assert rounds[0] == rounds[1] == rounds[2]  # every round asked every worker once
    assert 1 <= rounds[0] < calls
