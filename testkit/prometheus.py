"""Debian's ``prometheus`` for tests: a private server scraping baken over 127.0.0.1.

:class:`PrometheusServer` writes its configuration into a temporary folder (the targets,
a short scrape interval), keeps its data there, listens on a free port of 127.0.0.1 and is
killed at the end. :meth:`PrometheusServer.query` asks its HTTP API.

Without the program these tests skip with the reason, except under CI (``CI=true``),
where they fail: there, they are mandatory (``.ci/run`` installs prometheus), as the
Redis, browser and proxy tests are.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from testkit.redisserver import free_port, under_ci

ENV_PROGRAM = "BAKEN_TEST_PROMETHEUS"
SCRAPE_SECONDS = 1


def prometheus() -> str | None:
    """The prometheus program, or None when there is none."""
    named = os.environ.get(ENV_PROGRAM)
    if named:
        return named if Path(named).exists() else None
    return shutil.which("prometheus")


def missing_reason() -> str | None:
    if prometheus() is None:
        return (
            "needs Prometheus: apt-get install prometheus "
            f"(or set {ENV_PROGRAM} to a prometheus program)"
        )
    return None


def unavailable(reason: str) -> None:
    """Skip (on a laptop) or fail (under CI) because Prometheus is not available."""
    import pytest

    if under_ci():
        pytest.fail(f"{reason} (CI=true: these tests are mandatory; .ci/run installs prometheus)")
    pytest.skip(reason)


class PrometheusServer:
    """One ``prometheus`` process scraping ``targets`` (``host:port``) every second."""

    def __init__(self, workdir: Path, targets: Sequence[str]) -> None:
        exe = prometheus()
        if exe is None:
            raise FileNotFoundError("prometheus")
        self.exe = exe
        self.workdir = workdir
        self.targets = list(targets)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        """The configuration: baken's workers as one job, scraped every second."""
        return (
            "global:\n"
            f"  scrape_interval: {SCRAPE_SECONDS}s\n"
            f"  evaluation_interval: {SCRAPE_SECONDS}s\n"
            "scrape_configs:\n"
            "  - job_name: baken\n"
            f"    static_configs:\n      - targets: {json.dumps(self.targets)}\n"
        )

    def start(self) -> None:
        """Start and wait until it is ready."""
        path = self.workdir / "prometheus.yml"
        path.write_text(self.config(), encoding="utf-8")
        self.process = subprocess.Popen(
            [
                self.exe,
                f"--config.file={path}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.workdir,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("prometheus did not start within 30 s")

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """The result of an instant query (``at``: a time, default now)."""
        params = {"query": promql}
        if at is not None:
            params["time"] = str(at)
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            body = json.loads(response.read())
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
