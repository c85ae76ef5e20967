"""The keyed generator's stream (``alara.entropy._keyed``): key erasure, budgets, fork, settings.

A unit test of that module: it reads the stream's private state where the property is about
that state (the key is gone, served bytes are overwritten).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest

from alara.entropy import _keyed
from alara.entropy._keyed import (
    BLOCK,
    DEFAULT_REKEY_BYTES,
    DEFAULT_REKEY_SECONDS,
    KEY_SIZE,
    MAX_KEYED,
    KeyedStream,
    Rekey,
    rekey_from_environment,
)

DOMAIN = b"alara/keyed/v1\x00"


def key_buffer(stream: KeyedStream[Any]) -> bytearray:
    """The stream's key, in place: whether it is wiped is the property under test."""
    return stream._key


def block_buffer(stream: KeyedStream[Any]) -> bytearray:
    """The stream's unserved block, in place: whether served bytes are wiped is under test."""
    return stream._block


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Fetches:
    """Counts the stream's fetches ahead; each returns a new handle (an int)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> int:
        self.count += 1
        return self.count


def stream_with(key: bytes, rekey_bytes: int = 1 << 30, rekey_seconds: float = 60.0,
                clock: Callable[[], float] | None = None) -> tuple[KeyedStream[int], Fetches]:
    fetches = Fetches()
    stream = KeyedStream(fetches, rekey_bytes, rekey_seconds, clock=clock or Clock())
    stream.install(key)
    return stream, fetches


def reference_blocks(key: bytes, count: int) -> bytes:
    """The served bytes of ``count`` blocks from ``key``, computed independently."""
    served = b""
    for _ in range(count):
        block = hashlib.shake_256(DOMAIN + key).digest(BLOCK)
        key, served = block[:KEY_SIZE], served + block[KEY_SIZE:]
    return served


def test_the_key_of_a_block_is_gone_before_its_output_is_returned() -> None:
    key = os.urandom(KEY_SIZE)
    stream, _ = stream_with(key)
    first = stream.take(32)
    block = hashlib.shake_256(DOMAIN + key).digest(BLOCK)
    assert first is not None
    assert bytes(first) == block[KEY_SIZE:KEY_SIZE + 32]
    assert bytes(key_buffer(stream)) == block[:KEY_SIZE]  # the next key replaced the old one
    assert key not in bytes(key_buffer(stream)) + bytes(block_buffer(stream))


def test_served_bytes_are_overwritten_at_once_and_never_served_again() -> None:
    key = os.urandom(KEY_SIZE)
    stream, _ = stream_with(key)
    served = b"".join(stream.take(16) or b"" for _ in range(3 * MAX_KEYED // 16))
    assert served == reference_blocks(key, 3)
    stream.take(10)
    assert bytes(block_buffer(stream)[:10]) == bytes(10)
    assert block_buffer(stream)[10:] == reference_blocks(key, 4)[3 * MAX_KEYED + 10:]


def test_a_request_that_does_not_fit_the_block_starts_the_next_one() -> None:
    key = os.urandom(KEY_SIZE)
    stream, _ = stream_with(key)
    assert stream.take(MAX_KEYED - 8) is not None
    assert bytes(stream.take(16) or b"") == reference_blocks(key, 2)[MAX_KEYED:MAX_KEYED + 16]
    dropped = reference_blocks(key, 1)[MAX_KEYED - 8:]  # never served, and gone
    assert dropped not in bytes(block_buffer(stream))


def test_a_key_serves_at_most_rekey_bytes_and_the_next_is_fetched_ahead() -> None:
    stream, fetches = stream_with(os.urandom(KEY_SIZE), rekey_bytes=4 * MAX_KEYED)
    for _ in range(3):
        assert stream.take(MAX_KEYED) is not None
    assert fetches.count == 1  # fetched while a quarter (and a block) was left
    assert stream.claim() == 1
    assert stream.claim() is None
    assert stream.take(MAX_KEYED) is not None
    assert stream.take(1) is None  # budget spent
    assert bytes(key_buffer(stream)) == bytes(KEY_SIZE)  # and the key is wiped
    assert stream.take(1) is None
    assert fetches.count == 1


def test_a_small_budget_fetches_ahead_at_its_first_block() -> None:
    stream, fetches = stream_with(os.urandom(KEY_SIZE), rekey_bytes=64)
    assert stream.take(32) is not None
    assert fetches.count == 1
    assert stream.take(32) is not None
    assert stream.take(32) is None


def test_a_key_serves_at_most_rekey_seconds_on_the_injected_clock() -> None:
    clock = Clock()
    stream, fetches = stream_with(os.urandom(KEY_SIZE), rekey_seconds=40.0, clock=clock)
    assert stream.take(MAX_KEYED) is not None
    assert fetches.count == 0
    clock.now += 30.0  # three quarters of the time: the next block fetches ahead
    assert stream.take(MAX_KEYED) is not None
    assert fetches.count == 1
    clock.now += 9.999
    assert stream.take(1) is not None
    clock.now += 0.001
    assert stream.take(1) is None
    stream.install(os.urandom(KEY_SIZE))
    assert stream.take(1) is not None  # a new key, a new time budget


def test_no_key_no_output() -> None:
    stream: KeyedStream[int] = KeyedStream(Fetches())
    assert stream.take(1) is None
    assert stream.rekey_bytes == DEFAULT_REKEY_BYTES
    assert stream.rekey_seconds == DEFAULT_REKEY_SECONDS
    assert "keyed=False" in repr(stream)


def test_a_new_process_id_wipes_the_stream_and_drops_the_key_fetched_ahead(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stream, _ = stream_with(os.urandom(KEY_SIZE), rekey_bytes=64)
    assert stream.take(32) is not None  # fetched ahead
    parent = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: parent + 1)  # a fork the hook missed
    assert stream.take(1) is None
    assert stream.claim() is None
    assert bytes(key_buffer(stream)) + bytes(block_buffer(stream)) == bytes(BLOCK)


def test_the_fork_hook_wipes_every_stream() -> None:
    streams = [stream_with(os.urandom(KEY_SIZE))[0] for _ in range(3)]
    _keyed._wipe_after_fork()
    for stream in streams:
        assert stream.take(1) is None
        assert bytes(key_buffer(stream)) == bytes(KEY_SIZE)


def test_install_takes_exactly_one_key() -> None:
    stream: KeyedStream[int] = KeyedStream(Fetches())
    with pytest.raises(ValueError, match="key must be 32 bytes, got 31"):
        stream.install(bytes(31))


def test_one_threads_state_is_under_8_kib() -> None:
    stream, _ = stream_with(os.urandom(KEY_SIZE))
    parts = [stream, key_buffer(stream), block_buffer(stream)]
    assert sum(sys.getsizeof(part) for part in parts) <= 8 * 1024


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"rekey_bytes": 31}, ValueError, r"rekey_bytes must be in \[32, 1099511627776\]"),
    ({"rekey_bytes": True}, TypeError, "rekey_bytes must be an int"),
    ({"rekey_seconds": 0.0}, ValueError, r"rekey_seconds must be in \(0, 86400\]"),
    ({"rekey_seconds": float("nan")}, ValueError, "rekey_seconds"),
    ({"mode": "sometimes"}, ValueError, "rekey must be one of keyed, per-call"),
])
def test_bad_settings_name_the_argument(arguments: dict[str, object], error: type[Exception],
                                        message: str) -> None:
    with pytest.raises(error, match=message):
        Rekey(**arguments)  # type: ignore[arg-type]
    if "mode" not in arguments:
        with pytest.raises(error, match=message):
            KeyedStream(Fetches(), **arguments)  # type: ignore[arg-type]


def test_settings_from_the_environment() -> None:
    assert rekey_from_environment({}) == Rekey()
    assert rekey_from_environment({"ALARA_REKEY": " "}) == Rekey()
    assert rekey_from_environment({
        "ALARA_REKEY": "per-call", "ALARA_REKEY_BYTES": "4096", "ALARA_REKEY_SECONDS": "2.5",
    }) == Rekey("per-call", 4096, 2.5)
    assert Rekey("per-call").per_call
    assert not Rekey().per_call


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("ALARA_REKEY", "always", "ALARA_REKEY must be one of keyed, per-call, got 'always'"),
    ("ALARA_REKEY_BYTES", "1MiB", "ALARA_REKEY_BYTES must be an int, got '1MiB'"),
    ("ALARA_REKEY_BYTES", "16", r"ALARA_REKEY_BYTES must be in \[32, 1099511627776\], got 16"),
    ("ALARA_REKEY_SECONDS", "soon", "ALARA_REKEY_SECONDS must be a number, got 'soon'"),
    ("ALARA_REKEY_SECONDS", "-1", r"ALARA_REKEY_SECONDS must be in \(0, 86400\]"),
    ("ALARA_REKEY_SECONDS", "inf", r"ALARA_REKEY_SECONDS must be in \(0, 86400\]"),
])
def test_bad_environment_values_name_the_variable(variable: str, value: str,
                                                  message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rekey_from_environment({variable: value})


def test_a_fork_that_bypasses_the_hook_is_caught_by_the_process_id() -> None:
    """``fork()`` called from C (no ``os.register_at_fork`` hooks): the child's first call
    sees a new process id, wipes the stream and serves nothing from its parent's key."""
    libc = ctypes.CDLL(None, use_errno=True)
    stream, _ = stream_with(os.urandom(KEY_SIZE))
    assert stream.take(32) is not None  # the block holds unserved bytes now
    read, write = os.pipe()
    pid = libc.fork()
    if pid == 0:  # the child: no Python-level fork handling ran
        result = stream.take(32)
        wiped = bytes(key_buffer(stream)) + bytes(block_buffer(stream)) == bytes(BLOCK)
        os.write(write, b"ok" if result is None and wiped else b"served")
        os._exit(0)
    assert pid > 0, ctypes.get_errno()
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    assert answer == b"ok"
    assert stream.take(32) is not None  # the parent goes on
