"""End to end on WhatsApp: the real ``baken whatsapp`` as a subprocess, over real HTTP.

The stand-in Cloud API (testkit/cloudapi/) listens on 127.0.0.1; baken reaches it through
WHATSAPP_API_URL, exactly as it would reach Meta, and gets notifications signed with the
app secret, as Meta sends them. One process serves the package (each test talks from its
own number, so tests do not see each other). Waiting is always for a recorded Cloud API
call (``wait_for``), never a sleep. The shipped content is served: these tests prove the
real dialogue on WhatsApp.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from testkit.cloudapi import StandinCloudAPI
from testkit.whatsapp import VERIFY_TOKEN, Person, WhatsAppBaken, is_question, new_number

__all__ = ["VERIFY_TOKEN", "Person", "WhatsAppBaken", "is_question", "launch", "new_number"]


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def api() -> AsyncIterator[StandinCloudAPI]:
    async with StandinCloudAPI() as standin:
        yield standin


async def launch(api: StandinCloudAPI, cwd: Path, **env: str) -> WhatsAppBaken:
    process = WhatsAppBaken(api, cwd, **env)
    try:
        await process.start()
    except BaseException:
        await process.stop()
        raise
    return process


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def baken(api: StandinCloudAPI, tmp_path_factory: Any) -> AsyncIterator[WhatsAppBaken]:
    """``baken whatsapp --port 0`` against the stand-in, for the whole package."""
    process = await launch(api, tmp_path_factory.mktemp("whatsapp"))
    yield process
    assert await process.stop() == 0
    assert process.problems() == []
    assert api.violations() == []
