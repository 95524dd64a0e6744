"""A real redis-server for tests: started on a free port, killed and restarted at will.

Tests that need Redis get it from the fixtures in ``tests/conftest.py``:

- ``redis_url``: any Redis. A private ``redis-server`` (one per test session)
  when the program is installed, else ``BAKEN_TEST_REDIS_URL``.
- ``redis_server``: a private server per test that the test may stop, pause
  and restart (outage tests). Needs the ``redis-server`` program.

Without what they need these tests skip with the reason, except under CI
(``CI=true``), where they fail: there, Redis tests are mandatory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ENV_URL = "BAKEN_TEST_REDIS_URL"


def under_ci() -> bool:
    """True under CI, where Redis tests must run rather than skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip (on a laptop) or fail (under CI) because Redis is not available."""
    if under_ci():
        pytest.fail(f"{reason} (CI=true: Redis tests are mandatory; .ci/run installs redis-server)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1 without persistence."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise FileNotFoundError("redis-server")
        self.exe = exe
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (again, on the same port) and wait until it answers."""
        self.process = subprocess.Popen(
            [
                self.exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self._answers():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not start within 10 s")

    def stop(self) -> None:
        """Kill it (SIGKILL: like a crash, nothing is saved)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a paused server cannot die otherwise
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections stay open but nothing answers, like a lost network."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def start_server(workdir: Path) -> RedisServer:
    """A started server on a free port; retries when another process took the port first."""
    for _ in range(3):
        server = RedisServer(workdir)
        try:
            server.start()
        except RuntimeError:
            continue
        return server
    raise RuntimeError("could not start redis-server on a free port")
