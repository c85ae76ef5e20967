"""``ThreadKeyed``: the per-thread keyed generator behind the sync drop-ins.

Its rounds come from a stand-in ``RoundSource`` here (futures answered at once, or failing on
demand); ``tests/native/test_keyed.py`` runs it on a real network behind ``alara.secrets``.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading

import pytest

from alara.entropy import Rekey, ThreadKeyed
from alara.entropy._keyed import MAX_KEYED
from alara.errors import AlaraError, PoolDegradedError
from tests.entropy.test_keyed import block_buffer, key_buffer
from tests.entropy.threads import draw_in_threads


class Rounds:
    """Rounds answered at once from ``os.urandom``, or failed while ``failing`` is set."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sizes: list[int] = []
        self.failing = False

    def submit_bytes(self, n: int) -> concurrent.futures.Future[bytes]:
        future: concurrent.futures.Future[bytes] = concurrent.futures.Future()
        with self.lock:
            self.sizes.append(n)
        if self.failing:
            future.set_exception(PoolDegradedError("worker-1 removed"))
        else:
            future.set_result(os.urandom(n))
        return future

    def wait_bytes(self, future: concurrent.futures.Future[bytes]) -> bytes:
        return future.result(timeout=5)


def test_the_secrets_vocabulary() -> None:
    keyed = ThreadKeyed(Rounds())
    assert len(keyed.token_bytes()) == 32
    assert len(keyed.token_hex(4)) == 8
    assert len(keyed.token_urlsafe(3)) == 4
    assert keyed.token_bytes(0) == b""
    assert 0 <= keyed.randbelow(10) < 10
    assert keyed.randbelow(1) == 0
    assert 0 <= keyed.randbits(300) < 2**300
    assert keyed.randbits(0) == 0
    assert keyed.choice([5]) == 5
    with pytest.raises(IndexError):
        keyed.choice([])
    with pytest.raises(TypeError, match="nbytes must be an int"):
        keyed.token_bytes(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be in"):
        keyed.randbits(-1)
    with pytest.raises(ValueError, match="exclusive_upper_bound must be in"):
        keyed.randbelow(0)


def test_large_requests_take_a_round_of_their_own() -> None:
    rounds = Rounds()
    keyed = ThreadKeyed(rounds, Rekey(rekey_bytes=64))
    assert len(keyed.token_bytes(65)) == 65
    assert len(keyed.token_bytes(MAX_KEYED + 1)) == MAX_KEYED + 1
    assert rounds.sizes == [65, MAX_KEYED + 1]
    assert keyed.randbits(8 * 64 + 1) < 2 ** (8 * 64 + 1)
    assert rounds.sizes[-1] == 65


def test_no_bytes_served_twice_across_eight_threads() -> None:
    rounds = Rounds()
    keyed = ThreadKeyed(rounds, Rekey(rekey_bytes=4096))
    chunks = draw_in_threads(lambda: keyed.token_bytes(16))
    assert len(chunks) == 16_000
    assert len(set(chunks)) == len(chunks)
    # Every thread keyed its own stream: at least one round per thread, and about one per
    # 4 KiB it served (32 KB each), fetched ahead.
    assert all(size == 32 for size in rounds.sizes)
    assert 8 * 8 <= len(rounds.sizes) <= 8 * 10


def test_a_failed_round_is_raised_only_once_the_budget_is_spent() -> None:
    rounds = Rounds()
    keyed = ThreadKeyed(rounds, Rekey(rekey_bytes=128))
    keyed.token_bytes(32)  # keyed; the next key is fetched ahead at once
    rounds.failing = True
    keyed.token_bytes(32)  # the budget still serves
    keyed.token_bytes(32)
    keyed.token_bytes(32)
    keyed.token_bytes(32)  # from the key fetched ahead (before the failure)
    served = 4
    while True:
        try:
            keyed.token_bytes(32)
        except AlaraError as error:
            failure = error
            break
        served += 1
    assert isinstance(failure, PoolDegradedError)
    assert "worker-1 removed" in str(failure)
    assert served <= 8
    assert any("budget" in note for note in failure.__notes__)
    with pytest.raises(PoolDegradedError):
        keyed.token_bytes(1)
    rounds.failing = False
    assert len(keyed.token_bytes(32)) == 32  # a healthy round rekeys at the next call


def test_a_failure_fetched_ahead_is_retried_when_the_key_is_needed() -> None:
    rounds = Rounds()
    keyed = ThreadKeyed(rounds, Rekey(rekey_bytes=64))
    rounds.failing = True
    with pytest.raises(PoolDegradedError):
        keyed.token_bytes(32)
    rounds.failing = False
    keyed.token_bytes(32)
    rounds.failing = True
    keyed.token_bytes(32)  # the fetch ahead happened and failed
    rounds.failing = False
    assert len(keyed.token_bytes(32)) == 32  # drawn again, not the stale failure


def test_a_threads_stream_is_overwritten_when_the_thread_ends() -> None:
    keyed = ThreadKeyed(Rounds())
    buffers: list[bytearray] = []

    def draw() -> None:
        keyed.token_bytes(32)
        stream = keyed._local.stream
        buffers.extend([key_buffer(stream), block_buffer(stream)])

    thread = threading.Thread(target=draw)
    thread.start()
    thread.join(timeout=10)
    assert [bytes(buffer) for buffer in buffers] == [bytes(len(buffer)) for buffer in buffers]
