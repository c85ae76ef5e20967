"""Real pre-forking servers: gunicorn's sync workers with ``--preload`` (the app, and its
``BlockingNetwork``, made in the master before the fork) and gevent workers. Each request is
answered (sync workers: each by a fresh worker, ``--max-requests 1``), with output of its
own; no worker may time out, and the workers exit (closing alara at exit) without an error.
Loopback only (a unix socket), bounded, stopped at the end."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 4


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=20)
        self.unix_path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Server:
    """gunicorn in a subprocess; its log read as it comes, by a thread."""

    def __init__(self, sock: Path, *options: str) -> None:
        self.sock = sock
        self.log: list[str] = []
        self.listening = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"unix:{sock}", "--workers", "2",
             "--max-requests", "1", "--timeout", "10", "--graceful-timeout", "5",
             "--no-control-socket",
             *options, "tests.native.wsgi_app:app"],
            cwd=ROOT, stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if "Listening at:" in line:
                self.listening.set()

    def get(self) -> list[str]:
        connection = UnixConnection(self.sock)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            assert response.status == 200
            return response.read().decode().split()
        finally:
            connection.close()

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        finally:
            self.process.kill()
            self.reader.join(timeout=10)
        return "".join(self.log)


@pytest.mark.parametrize(("options", "workers"), [(["--preload"], REQUESTS), (["-k", "gevent"], 0)],
                         ids=["sync-preload", "gevent"])
def test_every_worker_answers_with_output_of_its_own(tmp_path: Path, options: list[str],
                                                     workers: int) -> None:
    server = Server(tmp_path / "gunicorn.sock", *options)
    try:
        assert server.listening.wait(timeout=30), "".join(server.log)
        answers = [server.get() for _ in range(REQUESTS)]
    finally:
        log = server.stop()
    pids = {answer[0] for answer in answers}
    fresh = [token for answer in answers for token in answer[2:]]
    assert len(pids) >= workers  # sync workers: a fresh one for every request
    assert len(set(fresh)) == len(fresh)  # no two workers share output
    assert not {answer[1] for answer in answers} & set(fresh)  # nor with the master
    assert "WORKER TIMEOUT" not in log
    assert "Traceback" not in log, log
