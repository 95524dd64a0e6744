"""Fixtures shared by the whole suite."""

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from testkit.botapi import StandinBotAPI
from testkit.redisserver import ENV_URL, RedisServer, start_server, unavailable


@pytest.fixture
async def botapi() -> AsyncIterator[StandinBotAPI]:
    """A running stand-in Telegram Bot API on 127.0.0.1; point PTB at ``botapi.base_url``."""
    async with StandinBotAPI() as api:
        yield api


# ------------------------------------------------------------------ Redis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: a private redis-server when installed, else BAKEN_TEST_REDIS_URL."""
    if shutil.which("redis-server"):
        server = start_server(tmp_path_factory.mktemp("redis"))
        try:
            yield server.url
        finally:
            server.stop()
        return
    url = os.environ.get(ENV_URL)
    if url:
        yield url
        return
    unavailable(f"needs Redis: install redis-server, or set {ENV_URL}=redis://host:port/db")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server this test may kill, pause and restart on the same port."""
    if not shutil.which("redis-server"):
        unavailable("needs the redis-server program (outage tests stop and restart it)")
    server = start_server(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of its own, so tests sharing one Redis never see each other's keys."""
    return f"baken-test-{secrets.token_hex(4)}:"
