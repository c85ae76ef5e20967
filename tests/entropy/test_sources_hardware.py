"""HwrngSource and CpuSource: real devices and instructions, and every way they can be missing.

The device tests use ``/dev/hwrng`` where this process can read it (skipped elsewhere); the
failure cases use paths the test controls (a directory, a FIFO, a regular file, ``/dev/null``,
a pseudo-terminal that never answers, a device node this user may not read).
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import alara
from alara import CpuSource, HwrngSource, SourceError, SourceUnavailableError

HWRNG = "/dev/hwrng"


def _hwrng_readable() -> bool:
    try:
        HwrngSource(HWRNG)
    except SourceUnavailableError:
        return False
    return True


def _cpu_available() -> bool:
    try:
        CpuSource()
    except SourceUnavailableError:
        return False
    return True


needs_hwrng = pytest.mark.skipif(not _hwrng_readable(), reason="no readable /dev/hwrng")
needs_cpu = pytest.mark.skipif(not _cpu_available(), reason="no RDSEED/RNDRRS or no C module")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (setuid, mknod)")


@needs_hwrng
def test_hwrng_reads_exactly_what_is_asked() -> None:
    source = HwrngSource()
    blocks = [source.read(n) for n in (1, 32, 700)]
    assert [len(block) for block in blocks] == [1, 32, 700]
    assert source.read(0) == b""
    assert blocks[1] != source.read(32)
    assert (source.kind, source.min_entropy, source.max_inline_read) == ("hwrng", 2.0, 0)


@pytest.mark.parametrize("kind", ["missing", "directory", "file", "fifo"])
def test_hwrng_refuses_a_path_that_is_not_a_character_device(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "device"
    if kind == "directory":
        path.mkdir()
    elif kind == "file":
        path.write_bytes(b"\x00" * 64)
    elif kind == "fifo":
        os.mkfifo(path)  # opening it would block until a writer came: never opened
    with pytest.raises(SourceUnavailableError) as caught:
        HwrngSource(path)
    assert str(path) in str(caught.value)
    expected = "No such file" if kind == "missing" else "is not a character device"
    assert expected in str(caught.value)
    assert isinstance(caught.value, SourceError)


@pytest.mark.parametrize("path", [3, b"/dev/hwrng", None])
def test_hwrng_path_must_be_text(path: object) -> None:
    with pytest.raises(TypeError, match="path"):
        HwrngSource(path)  # type: ignore[arg-type]


def test_a_device_that_ends_fails_the_read_with_the_count() -> None:
    source = HwrngSource("/dev/null")  # a character device that reads as end of file
    with pytest.raises(SourceError, match=r"/dev/null ended after 0 of 32 bytes"):
        source.read(32)


async def test_a_device_that_ends_is_quarantined_and_the_pool_says_so() -> None:
    net = alara.create_network(sources=[alara.OsSource(), HwrngSource("/dev/null")],
                               quarantine_after=2)
    async with net, asyncio.timeout(10):
        with pytest.raises(alara.AlaraError):
            await net.random_bytes(32)
        while net.quarantined() != ["worker-1"]:
            with pytest.raises(alara.AlaraError):
                await net.random_bytes(32)
        assert "ended after 0 of 32 bytes" in net.status().quarantined["worker-1"].reason
        assert net.status().serving is False


async def test_a_device_that_blocks_forever_is_judged_hung_never_a_hang() -> None:
    master, replica = os.openpty()  # a terminal nobody types into: reads block forever
    try:
        source = HwrngSource(os.ttyname(replica))
        net = alara.create_network(sources=[alara.OsSource(), source], timeout=0.5,
                                   contribution_timeout=0.1, quarantine_after=2)
        async with net, asyncio.timeout(10):
            while net.quarantined() != ["worker-1"]:
                with pytest.raises(alara.AlaraError):
                    await net.random_bytes(32)
            assert "no contribution within" in net.status().quarantined["worker-1"].reason
    finally:
        os.write(master, b"x" * 4096 + b"\n")  # lets the abandoned reads end
        os.close(master)
        os.close(replica)


_UNREADABLE = """
import os, sys
import alara
path = sys.argv[1]
os.setgid(65534)
os.setuid(65534)
try:
    alara.HwrngSource(path)
except alara.SourceUnavailableError as error:
    print("unavailable:", error)
"""


@needs_root
@pytest.mark.parametrize("where", ["device", "directory"])
def test_a_device_this_user_may_not_read_is_unavailable_and_says_why(
    tmp_path: Path, where: str
) -> None:
    # The node, mode 0600, in a directory another user may enter (``where="device"``: the open
    # fails) or not (``"directory"``: even looking at it fails).
    directory = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        directory.chmod(0o755 if where == "device" else 0o700)
        node = directory / "hwrng"
        os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 9))  # a private /dev/urandom
        result = subprocess.run([sys.executable, "-c", _UNREADABLE, str(node)],
                                capture_output=True, text=True, timeout=60, check=True)
    finally:
        shutil.rmtree(directory)
    assert result.stdout.strip() == (
        f"unavailable: {node} is not readable by this process (uid 65534): Permission denied")


@needs_cpu
def test_cpu_source_reads_from_the_instruction() -> None:
    source = CpuSource()
    assert source.instruction in ("rdseed", "rndrrs")
    assert (source.kind, source.min_entropy) == ("cpu", 4.0)
    blocks = {source.read(32) for _ in range(100)}
    assert len(blocks) == 100
    assert len(source.read(5)) == 5
    assert len(source.read(100_000)) == 100_000  # the GIL is released for this one
    assert source.read(0) == b""


@pytest.mark.parametrize(("retries", "error"), [(0, ValueError), (True, TypeError),
                                                ("3", TypeError), (10**7, ValueError)])
def test_cpu_retries_are_checked(retries: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="retries"):
        CpuSource(retries=retries)  # type: ignore[arg-type]


def test_without_the_c_module_the_cpu_source_is_unavailable_and_says_why() -> None:
    code = ("import alara\ntry:\n    alara.CpuSource()\nexcept alara.SourceUnavailableError "
            "as error:\n    print(error)\n")
    env = {**os.environ, "ALARA_PURE_PYTHON": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True, env=env)
    assert "alara.entropy._cpurng" in result.stdout
    assert "C compiler" in result.stdout


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 only")
@pytest.mark.skipif(os.environ.get("ALARA_PURE_PYTHON") == "1",
                    reason="the cpu source needs the C module, which ALARA_PURE_PYTHON turns off")
def test_the_cpu_source_names_its_instruction_or_why_there_is_none() -> None:
    reason = ""
    try:
        source = CpuSource()
    except SourceUnavailableError as error:
        reason = str(error)
    if reason:
        assert "RDSEED" in reason
    else:
        assert source.instruction == "rdseed"
        assert repr(source) == "CpuSource(instruction='rdseed')"


@needs_cpu
@needs_hwrng
async def test_each_kind_alone_serves_a_network() -> None:
    for source in (CpuSource(), HwrngSource(), alara.ReservoirSource(HwrngSource())):
        async with alara.create_network(sources=[source]) as net, asyncio.timeout(10):
            outputs = {await net.random_bytes(32) for _ in range(20)}
            assert len(outputs) == 20
            assert net.quarantined() == []
