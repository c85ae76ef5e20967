"""The demo behind ``make demo`` and the ``bytes`` command, run in process."""

from __future__ import annotations

import re

import pytest

from alara.__main__ import main


def test_demo_kills_a_worker_and_shows_it_restarted(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--quiet", "--workers", "5"]) == 0
    out = capsys.readouterr().out
    assert "network of 5 workers:" in out
    assert re.search(r"random_bytes\(32\) = [0-9a-f]{64}\n", out)
    assert re.search(r"random_bits\(16\)  = \[([01], ){15}[01]\]", out)
    registry = out.split("live registry after the restart:")[1]
    assert re.search(r"worker-0: <ActorRef worker-0#\d+ alive> restarts=1", registry)
    assert registry.count("alive") == 5
    assert "(pool whole again)" in out


def test_bytes_prints_hex_of_the_requested_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bytes", "48", "--workers", "2"]) == 0
    assert re.fullmatch(r"[0-9a-f]{96}\n", capsys.readouterr().out)


@pytest.mark.parametrize("argv", [["bytes", "0"], ["bytes", "-1"], ["bytes", "x"],
                                  ["demo", "--workers", "0"], ["stream", "--chunk", "0"]])
def test_bad_arguments_exit_with_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    [line] = capsys.readouterr().err.splitlines()  # one line, no usage block
    assert "must be an integer in [1, " in line
    assert line.endswith("--help)")
