"""The command line's operator surface: ``--version``, ``check``, one-line errors (run as a
user runs them, in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import alara
from alara._check import _startup_test
from alara.testing import ConstantSource


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "alara", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env}, check=False)


def test_version() -> None:
    done = run("--version")
    assert (done.returncode, done.stdout) == (0, f"alara {alara.__version__}\n")


def test_check_prints_a_table_and_passes_on_a_machine_that_serves() -> None:
    done = run("check")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["kind", "available", "start-up", "tests", "detail"]
    kinds = {line.split()[0]: line.split()[2] for line in lines[1:] if line[:1] != " "
             and line.split()[1] in ("yes", "no")}
    assert kinds["os"] == "passed"
    assert all(result in ("passed", "-") for result in kinds.values())
    assert lines[-2].startswith("default pool: serving")
    assert lines[-1] == "ok: this machine can serve"
    assert done.stderr == ""


def test_check_fails_when_the_default_pool_cannot_serve() -> None:
    done = run("check", ALARA_WORKERS="0")
    assert done.returncode == 1
    assert "default pool: not serving: ValueError" in done.stdout
    assert done.stdout.splitlines()[-1] == "FAILED: this machine cannot serve"
    assert "Traceback" not in done.stderr


async def test_a_stuck_source_fails_its_startup_test() -> None:
    failure = await _startup_test(ConstantSource(7))
    assert failure is not None
    assert failure.startswith("HealthTestError: health_test: repetition count test failed")
    assert await _startup_test(alara.OsSource()) is None


@pytest.mark.parametrize(("args", "message"), [
    (("bytes", "abc"), "alara bytes: argument n: must be an integer in [1, 1073741824], "
                       "got 'abc' (see alara bytes --help)"),
    (("bytes", "0"), "alara bytes: argument n: must be an integer in [1, 1073741824], "
                     "got '0' (see alara bytes --help)"),
    (("frobnicate",), "alara: argument command: invalid choice: 'frobnicate'"),
    (("stream", "--sources-from", "nope"), "alara stream: --sources-from must look like "
                                           "MODULE:CALLABLE"),
])
def test_bad_input_is_one_line(args: tuple[str, ...], message: str) -> None:
    done = run(*args)
    assert done.returncode != 0
    [line] = done.stderr.splitlines()
    assert line.startswith(message)


def test_a_refused_stream_is_one_line_not_a_traceback() -> None:
    done = run("stream", "--sources-from", "alara.testing.sources:one_honest_constant",
               "--bytes", "100")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("alara stream: WorkerDiedError: ")
    assert "repetition count test failed" in line
