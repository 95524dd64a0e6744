"""The conversation core with a channel of its own: what every channel can rely on.

``Screen`` is a real channel, the smallest there is: it keeps what it was asked to
show in a list, the way a page or a terminal would. The engine, the content and
the store are the real ones.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from bot.conversation import (
    ConversationGoneError,
    Conversations,
    Incoming,
    Lanes,
    Priority,
    Reply,
    Turn,
)
from bot.keys import SessionKeys
from bot.serving import ContentHolder
from bot.stores import MemoryStore
from bot.stores.base import SessionStore
from bot.stores.redis import RedisStore
from flows import Answered, Choice, Command, Message, Resume, Stale, Start, Text
from flows.loader import default_content_dir
from testkit.counting import counting

KEYS = SessionKeys(b"k" * 32)
SAFE_YES = "Ja, het is veilig"


@dataclass
class Screen:
    """A channel that shows messages in a list and numbers them like message ids."""

    name: str = "test"
    remembers: bool = True
    erase_window: int | None = None
    shown: list[tuple[int, Message, Turn]] = field(default_factory=list)
    settled: list[Answered | Stale] = field(default_factory=list)
    erased: list[tuple[tuple[int, ...], str, bool]] = field(default_factory=list)
    acknowledged: int = 0
    fail_on: str | None = None  # raise when asked to show a text containing this
    gone: bool = False
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    hurried: int = 0

    def hurry(self, to: str) -> None:
        self.hurried += 1

    async def acknowledge(self, to: str) -> None:
        self.acknowledged += 1

    async def show(self, to: str, message: Message, turn: Turn) -> Sequence[int]:
        if self.gone:
            raise ConversationGoneError
        if self.fail_on is not None and self.fail_on in message.text:
            raise RuntimeError("a bug in the channel")
        number = next(self.ids)
        self.shown.append((number, message, turn))
        return (number,)

    async def settle(self, to: str, outcome: Answered | Stale, turn: Turn) -> None:
        self.settled.append(outcome)

    async def erase(
        self, to: str, ids: Sequence[int], notice: str, turn: Turn, *, missed: bool = False
    ) -> None:
        self.erased.append((tuple(ids), notice, missed))

    def texts(self) -> list[str]:
        return [m.text for _, m, _ in self.shown]

    def button(self, label: str) -> str:
        for _, message, _ in reversed(self.shown):
            for row in message.buttons:
                for button in row:
                    if button.shown == label:
                        return button.data
        raise AssertionError(f"no button {label!r}")


@pytest.fixture(scope="module")
def holder() -> ContentHolder:
    return ContentHolder(default_content_dir())


@pytest.fixture
def core(holder: ContentHolder) -> Conversations:
    return Conversations(holder, MemoryStore(3600))


def incoming(event: Start | Choice | Text | Command | Resume, **extra: object) -> Incoming:
    return Incoming(KEYS.key("test", "anna"), event, **extra)  # type: ignore[arg-type]


async def test_a_turn_shows_settles_and_remembers(core: Conversations) -> None:
    """Messages are shown in order, a press is settled first, shown ids are remembered."""
    screen = Screen()
    await core.receive(screen, "anna", incoming(Start(at=core.now()), shown=(100,)))
    assert screen.texts()[0].startswith("Hoi! Ik ben baken")
    await core.receive(
        screen, "anna", incoming(Choice(at=core.now(), data=screen.button(SAFE_YES)))
    )
    assert screen.settled == [Answered((SAFE_YES,))]
    session = await core.store.load(KEYS.key("test", "anna"))
    assert session is not None
    assert set(session.message_ids()) == {100, *(n for n, _, _ in screen.shown)}
    assert screen.acknowledged == 2


async def test_erase_gets_every_remembered_id(core: Conversations) -> None:
    """Stop hands the channel every id it showed and every id the person sent."""
    screen = Screen()
    await core.receive(screen, "anna", incoming(Start(at=core.now()), shown=(100,)))
    await core.receive(screen, "anna", incoming(Text(at=core.now(), text="hallo"), shown=(101,)))
    await core.receive(screen, "anna", incoming(Command(at=core.now(), name="stop"), shown=(102,)))
    [(ids, notice, missed)] = screen.erased
    assert not missed
    assert set(ids) == {100, 101, 102, *(n for n, _, _ in screen.shown)}
    assert notice == "Het gesprek is gestopt."
    assert await core.store.load(KEYS.key("test", "anna")) is None


async def test_a_channel_that_cannot_delete_keeps_no_ids(core: Conversations) -> None:
    """remembers=False: no message ids in the session (a web page clears itself)."""
    screen = Screen(remembers=False)
    await core.receive(screen, "anna", incoming(Start(at=core.now()), shown=(100,)))
    session = await core.store.load(KEYS.key("test", "anna"))
    assert session is not None
    assert session.message_ids() == []


async def test_duplicates_are_dropped_and_counted(core: Conversations) -> None:
    """The same delivery twice: answered once."""
    screen = Screen()
    first = await core.receive(screen, "anna", incoming(Start(at=core.now()), delivery="t:1"))
    again = await core.receive(screen, "anna", incoming(Start(at=core.now()), delivery="t:1"))
    assert first is not None
    assert again is None
    assert core.metrics.value("baken_updates_total", type="duplicate") == 1


async def test_a_note_comes_before_the_answer(core: Conversations) -> None:
    """A channel's note (a text key) is the first paragraph of the reply, in its language."""
    screen = Screen()
    await core.receive(screen, "anna", incoming(Start(at=core.now())))
    screen.shown.clear()
    await core.receive(screen, "anna", incoming(Resume(at=core.now()), note="channel.only_text"))
    [message] = screen.texts()
    assert message.startswith(core.text("nl", "channel.only_text") + "\n\n")


async def test_priorities(core: Conversations) -> None:
    """Crisis first, then someone new, then the rest."""
    screen = Screen()
    await core.receive(screen, "anna", incoming(Start(at=core.now())))
    assert {t.priority for _, _, t in screen.shown} == {Priority.NEW}
    screen.shown.clear()
    await core.receive(screen, "anna", incoming(Text(at=core.now(), text="ik wil dood")))
    assert {t.priority for _, _, t in screen.shown} == {Priority.CRISIS}
    screen.shown.clear()
    await core.receive(screen, "anna", incoming(Command(at=core.now(), name="help")))
    assert {t.priority for _, _, t in screen.shown} == {Priority.REST}


async def test_a_bug_in_the_channel_shows_the_emergency_screen(core: Conversations) -> None:
    """A channel that fails mid-reply: the person still gets 112 and 113, nothing raises."""
    screen = Screen(fail_on="Hoi!")
    assert await core.receive(screen, "anna", incoming(Start(at=core.now()))) is None
    assert any("112" in t and "113" in t for t in screen.texts())
    assert core.metrics.value("baken_errors_total", type="RuntimeError", where="update") == 1


async def test_a_person_who_is_gone_ends_the_turn_quietly(core: Conversations) -> None:
    """ConversationGoneError: no emergency screen, no error counted."""
    screen = Screen(gone=True)
    assert await core.receive(screen, "anna", incoming(Start(at=core.now()))) is None
    assert screen.shown == []
    assert (
        core.metrics.value("baken_errors_total", type="ConversationGoneError", where="update") == 0
    )


async def test_lanes_keep_order_per_key_and_run_keys_side_by_side() -> None:
    """Per key: the order of entry; across keys: concurrently; no lane is left behind."""
    lanes = Lanes()
    done: list[tuple[str, int]] = []
    running = peak = 0

    async def work(key: str, n: int) -> None:
        nonlocal running, peak
        async with lanes.hold(key):
            running += 1
            peak = max(peak, running)
            for _ in range((n * 7) % 5):  # uneven work, so a naive runner would reorder
                await asyncio.sleep(0)
            done.append((key, n))
            running -= 1

    await asyncio.gather(*(work(key, n) for n in range(20) for key in "abc"))
    for key in "abc":
        assert [n for k, n in done if k == key] == list(range(20))
    assert peak == 3
    assert len(lanes) == 0


async def test_messages_too_old_to_delete_are_dropped_and_the_erase_says_so(
    holder: ContentHolder,
) -> None:
    """A channel that can delete for an hour: older ids are not tried, and erase is told."""
    now = [1_800_000_000.0]
    core = Conversations(holder, MemoryStore(3 * 3600), clock=lambda: now[0])
    screen = Screen(erase_window=3600)
    await core.receive(screen, "anna", incoming(Start(at=core.now()), shown=(100,)))
    old = {100, *(n for n, _, _ in screen.shown)}
    now[0] += 2 * 3600
    await core.receive(screen, "anna", incoming(Text(at=core.now(), text="hallo"), shown=(200,)))
    recent = {200, *(n for n, _, _ in screen.shown)} - old
    await core.receive(screen, "anna", incoming(Command(at=core.now(), name="stop"), shown=(201,)))
    [(ids, _, missed)] = screen.erased
    assert set(ids) == recent | {201}
    assert missed


async def test_a_crisis_sentence_hurries_the_conversation(core: Conversations) -> None:
    """Before it waits for its turn, a crisis sentence (or an erase) asks the channel to hurry."""
    screen = Screen()
    await core.receive(screen, "anna", incoming(Start(at=core.now())))
    await core.receive(screen, "anna", incoming(Text(at=core.now(), text="hallo")))
    assert screen.hurried == 0
    await core.receive(screen, "anna", incoming(Text(at=core.now(), text="ik wil dood")))
    await core.receive(screen, "anna", incoming(Command(at=core.now(), name="stop")))
    assert screen.hurried == 2


def counted(
    holder: ContentHolder, store: SessionStore, digest: str = ""
) -> tuple[Conversations, list[int]]:
    """A core whose engine judges with a counting detector; and its count.
    ``digest``: the readers' digest, when they should count as made from other sources."""
    own = copy.copy(holder)
    own.engine, judged = counting(holder.engine, digest)
    return Conversations(own, store), judged


@pytest.mark.parametrize("text", ["ik wil dood", "hallo, mn baas houdt mijn paspoort", "ja"])
async def test_a_typed_message_is_judged_once_in_every_state(
    holder: ContentHolder, text: str
) -> None:
    """The crisis detector reads a typed message once per turn (it decides whether the turn
    is hurried, and then what the step answers), with or without a conversation, and a
    crisis sentence gets its answer first wherever the conversation is."""
    core, judged = counted(holder, MemoryStore(3600))
    screen = Screen()
    await core.receive(screen, "anna", incoming(Text(at=core.now(), text=text)))
    assert len(judged) == 1
    await core.receive(screen, "anna", incoming(Start(at=core.now())))
    press = screen.button(SAFE_YES)
    await core.receive(screen, "anna", incoming(Choice(at=core.now(), data=press)))
    judged.clear()
    screen.shown.clear()
    await core.receive(screen, "anna", incoming(Text(at=core.now(), text=text)))
    assert len(judged) == 1
    if text == "ik wil dood":
        assert screen.shown[0][2].priority == Priority.CRISIS


async def test_a_crisis_sentence_is_judged_once_while_storage_is_down(
    holder: ContentHolder,
) -> None:
    """With no store to reach, a crisis sentence still gets the crisis answer, judged once."""
    store = RedisStore("redis://127.0.0.1:9/0", 600, timeout=0.5)  # nothing listens there
    core, judged = counted(holder, store)
    screen = Screen()
    try:
        reply = await core.receive(
            screen, "anna", incoming(Text(at=core.now(), text="ik wil dood"))
        )
    finally:
        await store.close()
    assert reply is not None
    assert reply.degraded
    assert reply.priority == Priority.CRISIS
    assert len(judged) == 1
    assert screen.hurried == 1


async def test_a_crisis_sentence_queued_behind_a_turn_is_judged_once(
    holder: ContentHolder,
) -> None:
    """During a peak a turn waits for the one before it: it is hurried before it waits, and
    the verdict taken then answers it; the detector reads it once."""
    core, judged = counted(holder, MemoryStore(3600))
    screen = Screen()
    await core.receive(screen, "anna", incoming(Start(at=core.now())))
    judged.clear()
    key = KEYS.key("test", "anna")
    async with core.lanes.hold(key):  # an earlier turn still running
        waiting = asyncio.ensure_future(
            core.receive(screen, "anna", incoming(Text(at=core.now(), text="ik wil dood")))
        )
        await asyncio.sleep(0.01)
        assert screen.hurried == 1
        assert not waiting.done()
    reply = await waiting
    assert reply is not None
    assert reply.priority == Priority.CRISIS
    assert len(judged) == 1


async def _reload_while_waiting(
    holder: ContentHolder, digest: str = ""
) -> tuple[Reply | None, list[int], list[int]]:
    """A crisis sentence typed while its lane is held, and the engine swapped meanwhile (as
    a reload does) for one whose readers have ``digest`` (default: the same): the reply,
    and how often the old and the new detector judged."""
    core, before = counted(holder, MemoryStore(3600))
    reloaded, after = counted(holder, core.store, digest=digest)
    screen = Screen()
    await core.receive(screen, "anna", incoming(Start(at=core.now())))
    before.clear()
    async with core.lanes.hold(KEYS.key("test", "anna")):
        waiting = asyncio.ensure_future(
            core.receive(screen, "anna", incoming(Text(at=core.now(), text="ik wil dood")))
        )
        await asyncio.sleep(0.01)
        core.holder.engine = reloaded.holder.engine
    return await waiting, before, after


async def test_a_turn_waiting_through_a_reload_is_judged_by_the_new_readers(
    holder: ContentHolder,
) -> None:
    """A verdict taken before a turn waited is used only by readers of the same sources: when
    a reload brought readers of other content meanwhile, the step asks those (once)."""
    reply, before, after = await _reload_while_waiting(holder, digest="other content")
    assert reply is not None
    assert reply.priority == Priority.CRISIS
    assert (len(before), len(after)) == (1, 1)


async def test_a_turn_waiting_through_a_reload_of_the_same_content_keeps_its_verdict(
    holder: ContentHolder,
) -> None:
    """Readers rebuilt from the same sources (the same digest) judge the same: the verdict
    taken before the turn waited is reused, and the new readers are not asked."""
    reply, before, after = await _reload_while_waiting(holder)
    assert reply is not None
    assert reply.priority == Priority.CRISIS
    assert (len(before), len(after)) == (1, 0)
