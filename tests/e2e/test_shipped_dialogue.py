"""The shipped dialogue over real Telegram networking: a path to Chat met Fier, in both modes.

The other end-to-end tests run on a small fixed dialogue (tests/e2e/content) so
that content edits do not break them; this one runs on whatever ships.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.derived import build_engine
from flows import Engine, load_content
from flows.loader import default_content_dir
from testkit.botapi import StandinBotAPI
from testkit.walk import path_to_handoff
from tests.e2e.conftest import Chat

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_shipped_dialogue_reaches_fier(launch: Callable[..., Any], mode: str) -> None:
    """Pressing the shortest path of the shipped flow ends with Fier's chat as a link button,
    and a crisis sentence on the way is answered with 113."""
    engine = build_engine(load_content(default_content_dir()))
    path = path_to_handoff(engine, "fier")
    crisis = engine.content.text("nl", "crisis.suicide")
    # Its own stand-in: the package's long-running bots would answer too.
    async with StandinBotAPI() as api:
        await _walk(api, launch, mode, engine, path.presses, crisis)


async def _walk(
    api: StandinBotAPI,
    launch: Callable[..., Any],
    mode: str,
    engine: Engine,
    presses: tuple[str, ...],
    crisis: str,
) -> None:
    baken = await launch(mode, api, BAKEN_CONTENT_DIR=str(default_content_dir()))
    try:
        chat = Chat(baken)
        await chat.start()
        for i, label in enumerate(presses):
            if i == len(presses) // 2:
                await chat.say("ik wil dood")
                assert any(crisis in text for text in chat.sent())
                await chat.press(engine.content.text("nl", "button.resume"))
            await chat.press(label)
        assert "https://www.chatmetfier.nl" in chat.link_urls()
        assert not api.violations
    finally:
        assert await baken.stop() == 0
    assert baken.problems() == []
