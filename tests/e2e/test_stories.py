"""A story typed in own words on Telegram: understood as in `baken chat` and on the page.

The real `baken run` with the shipped content, real PTB networking, the stand-in Bot API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flows.loader import default_content_dir
from testkit.botapi import StandinBotAPI
from tests.e2e.conftest import Chat, ends_with

pytestmark = [pytest.mark.e2e]

SAFE = "Kun je nu veilig chatten? Kijkt er niemand mee?"


async def test_a_story_as_first_message_and_at_what_happens(launch: Callable[..., Any]) -> None:
    """The first message a story: thanks and the safety question (no "did you mean" on one
    word). Then the loverboy story at "Wat gebeurt er?": ticked and said."""
    # Its own stand-in: the package's long-running bots would answer too.
    async with StandinBotAPI() as api:
        await _tell(api, launch)


async def _tell(api: StandinBotAPI, launch: Callable[..., Any]) -> None:
    baken = await launch("polling", api, BAKEN_CONTENT_DIR=str(default_content_dir()))
    try:
        chat = Chat(baken)
        await chat.say(
            "hoi ik moet pakketjes rondbrengen voor een jongen en nu zegt hij dat ik hem 500 "
            "euro schuldig ben",
            until=ends_with(SAFE),
        )
        said = " ".join(chat.said())
        assert "Dank je dat je dit vertelt" in said
        assert "Bedoel je" not in said
        for label in ("Ja, het is veilig", "Over mij", "Nee", "16 of 17"):
            await chat.press(label)
        assert "sig_drugs" not in " ".join(chat.said())  # codes never shown
        assert "Ik moet drugs of pakjes brengen" in " ".join(chat.said()[-6:])
        calls = await chat.say("mijn vriendje wil dat ik met zijn vrienden naar bed ga")
        last = " ".join(str(call.params.get("text", "")) for call in calls)
        assert "Ik heb aangevinkt:" in last
        assert "Kies een knop" not in last
    finally:
        assert await baken.stop() == 0
    assert baken.problems() == []
