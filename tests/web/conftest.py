"""Fixtures for the web chat: the real application over real HTTP on 127.0.0.1.

``serve`` builds the real ``baken web`` application (content, engine, store, channel)
in this process and serves it as ``baken web`` does (:class:`WebServer`) on a free port,
so a test can also look inside (the store, the outboxes) and close sockets from the
server's side. The browser tests (test_browser.py) run the real ``baken web`` command instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.channels.web.app import HEARTBEAT, WebChat, WebServer, build
from bot.channels.web.channel import Limits
from bot.settings import Settings
from bot.stores import MemoryStore, SessionStore
from testkit.web import E2E_CONTENT, PageSocket

Serve = Callable[..., Awaitable[tuple[WebChat, str]]]


def web_settings(**env: Any) -> Settings:
    """Settings as `baken web` reads them, on the fixed end-to-end dialogue."""
    values: dict[str, Any] = {
        "BAKEN_CONTENT_DIR": E2E_CONTENT,
        "BAKEN_SESSION_SECRET": "web-test-session-secret-0123456789abcdef",
    }
    values.update(env)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def start_web(
    *,
    store: SessionStore | None = None,
    limits: Limits | None = None,
    watch: bool = False,
    heartbeat: float = HEARTBEAT,
    **env: Any,
) -> tuple[WebChat, str, WebServer]:
    """The web chat application served on a free port of 127.0.0.1 (stop: ``server.close()``)."""
    settings = web_settings(**env)
    chat = build(
        settings,
        store=store if store is not None else MemoryStore(settings.BAKEN_SESSION_TTL),
        limits=limits,
        watch=watch,
    )
    server = WebServer(chat, heartbeat=heartbeat)
    port = await server.start("127.0.0.1", 0)
    return chat, f"http://127.0.0.1:{port}", server


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start the web chat application in this process; returns (chat, base URL)."""
    servers: list[WebServer] = []

    async def start(**kwargs: Any) -> tuple[WebChat, str]:
        chat, url, server = await start_web(**kwargs)
        servers.append(server)
        return chat, url

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def pages() -> AsyncIterator[Callable[..., PageSocket]]:
    """Make page sockets; all are closed after the test."""
    made: list[PageSocket] = []

    def make(url: str, **kwargs: Any) -> PageSocket:
        page = PageSocket(url, **kwargs)
        made.append(page)
        return page

    yield make
    for page in made:
        await page.close()
