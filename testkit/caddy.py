"""Debian's ``caddy`` for tests: the shipped ``deploy/Caddyfile`` run on 127.0.0.1.

:func:`local_caddyfile` changes only what must differ from production: the site address
(``http://127.0.0.1:<port>`` instead of ``{$BAKEN_DOMAIN}``, so no certificate is asked
for) and the upstreams (``127.0.0.1:<port>`` instead of ``bot1:8080`` …). Everything else,
timeouts, health, header and log settings included, is the shipped file.

Without the program the proxy tests skip with the reason, except under CI (``CI=true``),
where they fail: there, they are mandatory (``.ci/run`` installs caddy), as the Redis and
browser tests are.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from testkit.redisserver import free_port, under_ci

ENV_PROGRAM = "BAKEN_TEST_CADDY"
REPO = Path(__file__).resolve().parents[1]
CADDYFILE = REPO / "deploy" / "Caddyfile"
SITE = "{$BAKEN_DOMAIN}"


def caddy() -> str | None:
    """The caddy program, or None when there is none."""
    named = os.environ.get(ENV_PROGRAM)
    if named:
        return named if Path(named).exists() else None
    return shutil.which("caddy")


def unavailable(reason: str) -> None:
    """Skip (on a laptop) or fail (under CI) because the proxy tests cannot run."""
    import pytest

    if under_ci():
        pytest.fail(f"{reason} (CI=true: proxy tests are mandatory; .ci/run installs caddy)")
    pytest.skip(reason)


def missing_reason() -> str | None:
    if caddy() is None:
        return f"needs Caddy: apt-get install caddy (or set {ENV_PROGRAM} to a caddy program)"
    return None


def upstreams(text: str) -> list[str]:
    """The ``host:port`` upstreams of the Caddyfile's ``reverse_proxy`` lines, in order."""
    found: list[str] = []
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["reverse_proxy"]:
            found += [w for w in words[1:] if w != "{"]
    return found


def local_caddyfile(text: str, port: int, ports: dict[str, int]) -> str:
    """The shipped Caddyfile with the site on ``http://127.0.0.1:port`` and every upstream
    ``name:8080`` on ``127.0.0.1:ports[name]``; nothing else changes."""
    assert text.count(SITE) == 1, "the shipped Caddyfile has one site, {$BAKEN_DOMAIN}"
    text = text.replace(SITE, f"http://127.0.0.1:{port}")
    for upstream in upstreams(text):
        name = upstream.split(":")[0]
        text = re.sub(
            rf"(?<![\w.]){re.escape(upstream)}(?![\w.])", f"127.0.0.1:{ports[name]}", text
        )
    return text


def environment(home: Path) -> dict[str, str]:
    """Caddy's storage and config under ``home``, never the user's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAKEN_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
    )
    return env


def validate(path: Path, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``caddy validate`` on a Caddyfile."""
    exe = caddy()
    assert exe is not None
    return subprocess.run(
        [exe, "validate", "--config", str(path), "--adapter", "caddyfile"],
        env={**environment(home), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class CaddyProcess:
    """``caddy run`` on an adapted copy of the shipped Caddyfile, on 127.0.0.1 only."""

    def __init__(self, workdir: Path, ports: dict[str, int], port: int | None = None) -> None:
        exe = caddy()
        if exe is None:
            raise FileNotFoundError("caddy")
        self.exe = exe
        self.workdir = workdir
        self.port = port or free_port()
        self.config = workdir / "Caddyfile"
        self.config.write_text(
            local_caddyfile(CADDYFILE.read_text(encoding="utf-8"), self.port, ports),
            encoding="utf-8",
        )
        self.log = workdir / "caddy.log"  # stdout and stderr: everything Caddy wrote
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start and wait until the port accepts connections."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [self.exe, "run", "--config", str(self.config), "--adapter", "caddyfile"],
                cwd=self.workdir,
                env=environment(self.workdir),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"caddy exited with {self.process.returncode}: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"caddy did not listen within 20 s: {self.output()}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self) -> int | None:
        """SIGTERM (killed after 10 seconds); the exit status."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        return process.returncode
