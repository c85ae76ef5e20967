"""discover_sources() and ``alara sources``: what this machine offers, and why a kind is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import alara
from alara import CpuSource, OsSource, ReservoirSource, SourceEntry, discover_sources

ROOT_WITH_ALL = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/dev/hwrng"), reason="needs root and /dev/hwrng")


def _kinds(entries: list[SourceEntry]) -> list[tuple[str, bool]]:
    return [(entry.kind, entry.available) for entry in entries]


@ROOT_WITH_ALL
@pytest.mark.skipif(os.environ.get("ALARA_PURE_PYTHON") == "1",
                    reason="the cpu source needs the C module, which ALARA_PURE_PYTHON turns off")
def test_as_root_here_every_kind_is_available() -> None:
    entries = discover_sources(environ={})
    assert _kinds(entries) == [("os", True), ("hwrng", True), ("cpu", True)]
    assert [entry.reason for entry in entries] == ["", "", ""]
    os_entry, hwrng, cpu = (entry.source for entry in entries)
    assert isinstance(os_entry, OsSource)
    assert isinstance(hwrng, ReservoirSource)
    assert hwrng.kind == "hwrng"
    assert isinstance(cpu, CpuSource)


def test_a_device_path_that_is_no_device_is_reported_with_its_reason(tmp_path: Path) -> None:
    entries = discover_sources(hwrng_path=str(tmp_path), environ={})
    hwrng = entries[1]
    assert (hwrng.kind, hwrng.available, hwrng.source) == ("hwrng", False, None)
    assert hwrng.reason == f"{tmp_path} is not a character device"
    assert entries[0].available


def test_alara_sources_limits_the_kinds() -> None:
    entries = discover_sources(environ={"ALARA_SOURCES": "os"})
    assert _kinds(entries) == [("os", True), ("hwrng", False), ("cpu", False)]
    assert entries[1].reason == entries[2].reason == "not in ALARA_SOURCES"


@pytest.mark.parametrize("value", ["os,disk", "gpu"])
def test_an_unknown_kind_in_alara_sources_is_a_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match="ALARA_SOURCES must be a comma-separated list of os, "
                                         "hwrng, cpu; got unknown"):
        discover_sources(environ={"ALARA_SOURCES": value})


def test_the_command_prints_kind_availability_rate_and_reason(tmp_path: Path) -> None:
    env = {**os.environ, "ALARA_SOURCES": "os,hwrng"}
    result = subprocess.run(
        [sys.executable, "-m", "alara", "sources", "--seconds", "0.05",
         "--hwrng-path", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=True, env=env)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["kind", "available", "rate", "reason"]
    assert lines[1].split()[:2] == ["os", "yes"]
    assert lines[1].split()[3] == "MB/s"
    assert lines[2].split(None, 3) == ["hwrng", "no", "-", f"{tmp_path} is not a character device"]
    assert lines[3].split(None, 3) == ["cpu", "no", "-", "not in ALARA_SOURCES"]
    assert result.stderr == ""


def test_the_command_refuses_a_malformed_variable() -> None:
    env = {**os.environ, "ALARA_SOURCES": "tpm"}
    result = subprocess.run([sys.executable, "-m", "alara", "sources"], capture_output=True,
                            text=True, timeout=60, env=env)
    assert result.returncode != 0
    assert "ALARA_SOURCES must be" in result.stderr


def test_entries_are_public_data() -> None:
    entry = alara.SourceEntry("cpu", False, "no RDSEED", None)
    assert (entry.kind, entry.available, entry.reason, entry.source) == (
        "cpu", False, "no RDSEED", None)
