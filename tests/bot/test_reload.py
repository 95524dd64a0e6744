"""Reloading content while conversations go on: built beside the serving engine, swapped in
whole, refused when invalid, and a crisis sentence answered throughout.

The holder, the core, the store, the engine and the content (a copy of the shipped one)
are the real ones; the channel is the test's ``Screen``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.conversation import Conversations, Incoming, Priority
from bot.derived import DerivedCache
from bot.keys import SessionKeys
from bot.serving import ContentHolder, install_reload
from bot.stores import MemoryStore
from flows import Text
from flows.loader import default_content_dir
from tests.bot.test_conversation import Screen

KEYS = SessionKeys(b"r" * 32)
CRISIS = "ik wil dood"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> DerivedCache:
    """One cache for the module: the readers are trained once."""
    return DerivedCache(tmp_path_factory.mktemp("cache"))


@pytest.fixture
async def holder(root: Path, cache: DerivedCache) -> AsyncIterator[ContentHolder]:
    held = ContentHolder(root, cache=cache)
    install_reload(held, watch=False)
    try:
        yield held
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)


def _edit(root: Path, line: str) -> None:
    with (root / "texts" / "en.yaml").open("a", encoding="utf-8") as out:
        out.write(line)


async def _crisis_turn(core: Conversations, n: int) -> tuple[str, bool]:
    """A crisis sentence from someone new: (the engine version that answered, answered
    first and urgently)."""
    screen = Screen()
    version = core.holder.engine.version
    await core.receive(
        screen, "to", Incoming(KEYS.key("test", n), Text(at=core.now(), text=CRISIS))
    )
    first = screen.shown[0] if screen.shown else None
    urgent = first is not None and first[1].urgent and first[2].priority == Priority.CRISIS
    return version, urgent


async def test_turns_go_on_on_the_old_content_while_the_new_one_is_built(
    holder: ContentHolder, root: Path
) -> None:
    """Between the signal and the swap the old engine answers (the reload does not block the
    loop), every crisis sentence is answered first; then the new content serves."""
    core = Conversations(holder, MemoryStore(3600))
    old = holder.engine
    _edit(root, "# edited\n")
    answered: list[tuple[str, bool]] = []
    with capture_logs() as logs:
        os.kill(os.getpid(), signal.SIGHUP)
        async with asyncio.timeout(300):  # a safety net on a busy machine, not a measurement
            while not any(e["event"] == "content_loaded" for e in logs):
                answered.append(await _crisis_turn(core, len(answered)))
                await asyncio.sleep(0)
    assert holder.engine is not old
    assert holder.engine.version != old.version
    assert holder.engine.readers is old.readers  # the same examples: nothing rebuilt
    during = [a for a in answered if a[0] == old.version]
    assert during, "no turn was answered while the reload ran"
    assert all(urgent for _, urgent in answered)
    new_version, urgent = await _crisis_turn(core, -1)
    assert new_version == holder.engine.version
    assert urgent


async def test_invalid_content_is_refused_and_the_old_keeps_serving(
    holder: ContentHolder, root: Path
) -> None:
    core = Conversations(holder, MemoryStore(3600))
    old = holder.engine
    _edit(root, "broken: [\n")
    with capture_logs() as logs:
        os.kill(os.getpid(), signal.SIGHUP)
        async with asyncio.timeout(300):
            while not any(e["event"] == "content_refused" for e in logs):
                await _crisis_turn(core, 0)
                await asyncio.sleep(0)
    assert holder.engine is old
    assert any("texts/en.yaml" in e.get("problem", "") for e in logs)
    assert (await _crisis_turn(core, 1))[1]


async def test_a_burst_of_signals_ends_on_the_last_edit(holder: ContentHolder, root: Path) -> None:
    """Reloads run one after the other; the content served at the end is the last one."""
    core = Conversations(holder, MemoryStore(3600))
    with capture_logs() as logs:
        for n in range(3):
            _edit(root, f"# edit {n}\n")
            os.kill(os.getpid(), signal.SIGHUP)
            await asyncio.sleep(0)
        async with asyncio.timeout(300):
            while sum(e["event"] == "content_loaded" for e in logs) < 3:
                assert (await _crisis_turn(core, 0))[1]
                # A turn on the memory store never waits: rest a moment, so the reload's worker
                # thread gets the interpreter (with sleep(0) the loop's thread keeps it busy).
                await asyncio.sleep(0.005)
    fresh = ContentHolder(root, cache=holder.cache)
    assert holder.engine.version == fresh.engine.version
