"""Fixtures shared by the whole suite."""

from collections.abc import AsyncIterator

import pytest

from tests.standin.botapi import StandinBotAPI


@pytest.fixture
async def botapi() -> AsyncIterator[StandinBotAPI]:
    """A running stand-in Telegram Bot API on 127.0.0.1; point PTB at ``botapi.base_url``."""
    async with StandinBotAPI() as api:
        yield api
