"""Golden conversations: replay every tests/scenarios/*.yaml and compare exactly.

Each file holds the time it happens at and its turns: what the person sent
(a command, ``[Button label]`` or typed text) and everything baken showed.
After an intended change of content, regenerate the expected side with

    BAKEN_UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/scenarios

and read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.conversation import Conversations
from bot.serving import ContentHolder
from bot.stores.memory import MemoryStore
from bot.transcript import Scenario, describe, latest_buttons, parse_line
from flows import Button, Start
from flows.loader import default_content_dir

HERE = Path(__file__).parent
FILES = sorted(HERE.glob("*.yaml"))
UPDATE = os.environ.get("BAKEN_UPDATE_GOLDENS") == "1"


@pytest.fixture(scope="module")
def holder() -> ContentHolder:
    return ContentHolder(default_content_dir())


async def replay(holder: ContentHolder, scenario: Scenario) -> list[dict[str, Any]]:
    """Run the scenario's user lines through the runtime; return the turns as they happen now."""
    runtime = Conversations(holder, MemoryStore(7200), clock=lambda: float(scenario.timestamp))
    buttons: list[Button] = []
    turns: list[dict[str, Any]] = []
    for i, turn in enumerate(scenario.turns):
        line = str(turn["user"])
        if i == 0 and line.startswith("/start"):
            payload = line.removeprefix("/start").strip() or None
            event = Start(at=scenario.timestamp, payload=payload, lang=scenario.lang)
        else:
            parsed = parse_line(line, buttons, scenario.timestamp)
            assert parsed is not None, f"turn {i + 1}: empty user line"
            event = parsed
        reply = await runtime.step("scenario", event)
        buttons = latest_buttons(reply.outputs, buttons)
        turns.append({"user": line, "bot": describe(reply.outputs)})
    return turns


def test_there_are_scenarios() -> None:
    """The suite has golden conversations to replay."""
    assert FILES


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_scenario(holder: ContentHolder, path: Path) -> None:
    """The conversation goes exactly as recorded."""
    scenario = Scenario.load(path)
    actual = await replay(holder, scenario)
    if UPDATE:
        scenario.turns = actual
        scenario.dump(path)
        return
    for i, (want, got) in enumerate(zip(scenario.turns, actual, strict=True), 1):
        assert got["bot"] == want["bot"], f"{path.name}, turn {i} ({want['user']!r})"
