"""The settings an operator must choose before the web chat is served to others: named,
checked at start-up, and a worker with a missing or contradictory one does not start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.settings import web_problems
from tests.web.conftest import Serve, web_settings
from tests.web.test_command import run
from tests.web.test_server import get

CHOSEN = {
    "BAKEN_WEB_PUBLIC_URL": "https://chat.example.org",
    "BAKEN_WEB_EXIT_URL": "https://www.google.com/",
    "BAKEN_WEB_FRAME_ANCESTORS": "none",
}


def problems(host: str = "127.0.0.1", **env: Any) -> list[str]:
    return web_problems(web_settings(**env), host=host)


def test_on_this_machine_the_defaults_do() -> None:
    """`baken web` on 127.0.0.1 without a public address: a trial, nothing to choose."""
    assert problems() == []
    assert problems("localhost") == []
    assert problems("::1") == []


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_chosen_settings_that_agree_are_accepted(host: str) -> None:
    assert problems(host, **CHOSEN) == []
    framed = {**CHOSEN, "BAKEN_WEB_FRAME_ANCESTORS": "https://www.school.nl self"}
    assert problems(host, **framed) == []


def test_served_to_others_every_choice_is_named() -> None:
    """Listening beyond this machine, or with a public address: each missing choice is named;
    an empty line (as .env.example has them) is not a choice."""
    found = problems("0.0.0.0", BAKEN_WEB_EXIT_URL="", BAKEN_WEB_FRAME_ANCESTORS="")
    assert [p.split()[0] for p in found] == [
        "BAKEN_WEB_PUBLIC_URL",
        "BAKEN_WEB_EXIT_URL",
        "BAKEN_WEB_FRAME_ANCESTORS",
    ]
    assert all("is not set: choose" in p for p in found)
    only = problems(BAKEN_WEB_PUBLIC_URL="https://chat.example.org")
    assert [p.split()[0] for p in only] == ["BAKEN_WEB_EXIT_URL", "BAKEN_WEB_FRAME_ANCESTORS"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"BAKEN_WEB_PUBLIC_URL": "http://chat.example.org"}, "plain http://"),
        ({"BAKEN_WEB_EXIT_URL": "https://chat.example.org/bye"}, "the chat's own address"),
        ({"BAKEN_WEB_EXIT_URL": "http://www.example.nl/"}, "warning page"),
        ({"BAKEN_WEB_FRAME_ANCESTORS": "https://a.nl http://b.nl"}, "(http://b.nl)"),
        ({"BAKEN_WEB_ORIGINS": "http://chat.example.org"}, "http:// origins"),
    ],
)
def test_contradictory_settings_are_refused(change: dict[str, str], named: str) -> None:
    [problem] = problems(**{**CHOSEN, **change})
    assert problem.startswith(next(iter(change)))
    assert named in problem


def test_plain_http_is_for_this_machine_or_a_private_network() -> None:
    for url in ("http://127.0.0.1:8443", "http://localhost:8000", "http://192.168.1.20:8000"):
        assert problems(**{**CHOSEN, "BAKEN_WEB_PUBLIC_URL": url}) == []


@pytest.mark.parametrize(
    "url", ["chat.example.org", "https://chat.example.org/chat", "https://chat.example.org?x=1"]
)
def test_the_public_address_is_an_origin(tmp_path: Path, url: str) -> None:
    """Scheme and host only: the chat is served at the root of its own address."""
    result = run(tmp_path, BAKEN_WEB_PUBLIC_URL=url)
    assert result.returncode == 2
    assert "setting BAKEN_WEB_PUBLIC_URL:" in result.stderr


def test_a_worker_listening_for_a_proxy_without_choices_does_not_start(tmp_path: Path) -> None:
    """`baken web --host 0.0.0.0` (a container) with nothing chosen: exit 2 before listening,
    one line per missing setting and one saying why."""
    result = run(tmp_path, "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert [line.split()[2] for line in lines[:3]] == [
        "BAKEN_WEB_PUBLIC_URL",
        "BAKEN_WEB_EXIT_URL",
        "BAKEN_WEB_FRAME_ANCESTORS",
    ]
    assert "--host 0.0.0.0" in lines[-1]
    assert "Put the web chat online" in lines[-1]
    assert "web_listening" not in result.stderr


def test_a_contradiction_stops_the_worker(tmp_path: Path) -> None:
    result = run(tmp_path, **{**CHOSEN, "BAKEN_WEB_EXIT_URL": "https://chat.example.org/"})
    assert result.returncode == 2
    assert "quick exit must lead away from the chat" in result.stderr
    assert "BAKEN_WEB_PUBLIC_URL is set" in result.stderr.splitlines()[-1]


async def test_the_page_connects_to_the_public_address_whatever_host_says(serve: Serve) -> None:
    """A proxy that rewrites Host (to the worker's own name): the page's CSP still lists the
    public wss:// address, and a socket from the public origin is let in."""
    _, url = await serve(**CHOSEN)
    _, headers, _ = await get(f"{url}/", Host="web1:8080")
    assert "connect-src wss://chat.example.org;" in headers["Content-Security-Policy"]
    rewritten = {"Origin": "https://chat.example.org", "Host": "web1:8080"}
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{url}/ws", headers=rewritten):
        pass  # let in: no WSServerHandshakeError (403)
