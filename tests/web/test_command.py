"""`baken web` as an operator runs it: starts, refuses bad settings, stops cleanly."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.web import PageSocket, WebProcess

pytestmark = [pytest.mark.e2e]


async def test_it_stops_cleanly_and_pages_are_told(tmp_path: Path) -> None:
    """SIGTERM: open pages are closed with 1001 (they reconnect), exit status 0, clean logs."""
    server = WebProcess(tmp_path)
    await server.start()
    page = PageSocket(server.url)
    try:
        await page.connect()
        await page.turn(page.start())
        stopping = asyncio.create_task(server.stop())
        assert await page.closed(10) == 1001
        assert await stopping == 0
    finally:
        await page.close()
    assert server.problems() == []
    events = [entry.get("event") for entry in server.logs]
    assert events[0] == "web_listening"
    assert "stopping" in events


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = WebProcess(tmp_path, **env).environment()
    return subprocess.run(
        [sys.executable, "-m", "bot", "web", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_taken_port_is_a_plain_message(tmp_path: Path) -> None:
    """The port is in use: exit 1 and one line saying why."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(tmp_path, "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("baken web: ")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BAKEN_WEB_FRAME_ANCESTORS", "https://a.example; script-src *"),
        ("BAKEN_WEB_EXIT_URL", "javascript:alert(1)"),
        ("BAKEN_WEB_ORIGINS", "chat.example.org/path"),
        ("BAKEN_WEB_MAX_CONNECTIONS", "0"),
    ],
)
def test_bad_web_settings_are_refused(tmp_path: Path, name: str, value: str) -> None:
    """A setting that would weaken the page's headers or make no sense: exit 2, named."""
    result = run(tmp_path, **{name: value})
    assert result.returncode == 2
    assert f"setting {name}:" in result.stderr
