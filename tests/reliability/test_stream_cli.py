"""``python -m alara stream``: what the test batteries rely on, checked on a real process.

The batteries read the stream through a pipe and close it when they have enough, so the
command must write exactly what ``--bytes`` says, end quietly with status 0 on a closed pipe,
and stop on Ctrl-C without a traceback.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STREAM = [sys.executable, "-m", "alara", "stream"]
HOSTILE = "alara.testing.sources:one_honest_constant"
WAIT = 30  # seconds; a generous bound for a process that should take well under one


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*STREAM, *args], cwd=ROOT, capture_output=True, timeout=WAIT,
                          check=False)


def _restore_sigint() -> None:
    """A child started from a background job inherits SIGINT ignored; Ctrl-C must reach it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("total", "chunk"), [(1, 65536), (100_000, 4096), (100_000, 7), (65536, 65536)]
)
def test_writes_exactly_the_bytes_asked_for(total: int, chunk: int) -> None:
    result = _run("--bytes", str(total), "--chunk", str(chunk))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) == total
    assert result.stderr == b""


@pytest.mark.parametrize("extra", [[], ["--no-health"]])
def test_hostile_sources_stream_exactly_too(extra: list[str]) -> None:
    # The health tests quarantine the constant sources: serving from the honest one that is
    # left is the availability opt-in (the default fails closed).
    result = _run("--sources-from", HOSTILE, "--bytes", "50000", "--min-sources", "1", *extra)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) == 50_000
    assert len(set(result.stdout)) == 256  # mixed: every byte value turns up


@pytest.mark.parametrize("extra", [[], ["--sources-from", HOSTILE, "--no-health"]])
def test_the_keyed_stream_is_exact_and_mixed(extra: list[str]) -> None:
    result = _run("--keyed", "--rekey-bytes", "4096", "--bytes", "50000", *extra)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) == 50_000
    assert len(set(result.stdout)) == 256


def test_a_bad_rekey_budget_is_a_usage_error() -> None:
    result = _run("--keyed", "--rekey-bytes", "16", "--bytes", "10")
    assert result.returncode != 0
    assert b"rekey_bytes must be in" in result.stderr


def test_consecutive_runs_differ() -> None:
    first, second = _run("--bytes", "64"), _run("--bytes", "64")
    assert first.stdout != second.stdout


def test_a_closed_pipe_ends_the_stream_with_status_0() -> None:
    stream = subprocess.Popen(STREAM, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert stream.stdout is not None
    assert stream.stderr is not None
    assert len(stream.stdout.read(200_000)) == 200_000
    stream.stdout.close()  # the reader goes away, as ``head -c`` does
    assert stream.wait(timeout=WAIT) == 0
    assert stream.stderr.read() == b""
    stream.stderr.close()


@pytest.mark.skipif(shutil.which("head") is None, reason="needs head(1)")
def test_a_shell_pipeline_into_head_is_clean() -> None:
    command = " ".join(STREAM) + " --chunk 1000 | head -c 12345 | wc -c; exit ${PIPESTATUS[0]}"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True,
                            timeout=WAIT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [b"12345"]
    assert result.stderr == b""


@pytest.mark.parametrize("chunk", ["1", "65536"])
def test_ctrl_c_stops_the_stream_without_a_traceback(chunk: str) -> None:
    stream = subprocess.Popen([*STREAM, "--chunk", chunk], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, preexec_fn=_restore_sigint)
    assert stream.stdout is not None
    stream.stdout.read(5_000)  # it is streaming: past start-up, inside the loop
    stream.send_signal(signal.SIGINT)
    _, err = stream.communicate(timeout=WAIT)  # keeps reading, so a blocked write wakes
    assert stream.returncode == 130
    assert b"Traceback" not in err
    assert err == b""


@pytest.mark.parametrize(
    "args",
    [
        ["--workers", "3", "--sources-from", HOSTILE],  # 5 sources for 3 workers
        ["--sources-from", "tests.doubles.no_such_module:x"],
        ["--sources-from", "alara.testing.sources:no_such_factory"],
        ["--sources-from", "no-colon"],
    ],
)
def test_bad_configuration_is_a_message_not_a_traceback(args: list[str]) -> None:
    result = _run(*args, "--bytes", "10")
    assert result.returncode != 0
    assert result.stdout == b""
    assert b"Traceback" not in result.stderr
    assert result.stderr.strip()


@pytest.mark.parametrize("args", [["--bytes", "0"], ["--chunk", "0"], ["--workers", "x"]])
def test_bad_numbers_are_usage_errors(args: list[str]) -> None:
    result = _run(*args)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()  # one line: what is wrong, and where help is
    assert line.startswith(b"alara stream: argument ")
    assert line.endswith(b"(see alara stream --help)")


def test_help_lists_the_stream_options() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for option in (b"--workers", b"--bytes", b"--chunk", b"--sources-from", b"--no-health"):
        assert option in result.stdout
    assert os.fsencode("stream") in result.stdout
