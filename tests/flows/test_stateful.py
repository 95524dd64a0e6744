"""Stateful testing of conversations: Engine + Conversations + MemoryStore with a clock we turn.

A hypothesis ``RuleBasedStateMachine`` interleaves, for two people, presses of current,
stale and forged buttons, typed text (crisis sentences among it), commands, erase,
idle time past the session TTL and content reloads that swap between two valid
content versions (the shipped dialogue and the pinned e2e dialogue). Invariants:

- every stored session reads back and is in a state the current flow defines;
- erase always answers with a Wipe and leaves no session;
- a crisis sentence is always answered with 112 or 113;
- after the TTL nothing about a person is kept.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from bot.conversation import Conversations as Core
from bot.conversation import Reply
from bot.serving import ContentHolder
from bot.stores import MemoryStore
from flows import Choice, Command, Event, Message, Start, Text, Timeout, Wipe
from flows.loader import default_content_dir
from flows.session import Session

VERSIONS = (default_content_dir(), Path(__file__).resolve().parents[1] / "e2e" / "content")
TTL = 3600
PEOPLE = ("anna", "bo")
TEXTS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["hallo", "ja", "nee", "help", "weet ik niet", "{0} %s <b>", "🙂", "stop?"]),
)
COMMANDS = st.sampled_from(["help", "privacy", "taal", "onbekend", "start", "stop", "wis"])


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Conversations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.version = 0
        self.clock = Clock()
        self.holder = ContentHolder(VERSIONS[0])
        self.store = MemoryStore(TTL, clock=self.clock)
        self.runtime = Core(self.holder, self.store, clock=self.clock)
        self.buttons: dict[str, list[str]] = {p: [] for p in PEOPLE}  # newest reply's
        self.stale: list[str] = []  # every button ever shown

    def teardown(self) -> None:
        self.loop.close()

    # ------------------------------------------------------------ helpers

    def step(self, person: str, event: Event) -> Reply:
        self.clock.now += 1
        reply = self.loop.run_until_complete(self.runtime.step(person, event))
        assert not reply.degraded  # the engine never raised
        data = [
            b.data
            for o in reply.outputs
            if isinstance(o, Message)
            for row in o.buttons
            for b in row
        ]
        if data:
            self.buttons[person] = data
            self.stale.extend(data)
        return reply

    def at(self) -> int:
        return int(self.clock.now)

    @staticmethod
    def text_of(reply: Reply) -> str:
        return "\n".join(o.text for o in reply.outputs if isinstance(o, Message))

    # ------------------------------------------------------------ rules

    @initialize(person=st.sampled_from(PEOPLE))
    def start(self, person: str) -> None:
        self.step(person, Start(at=self.at()))

    @rule(person=st.sampled_from(PEOPLE), payload=st.sampled_from([None, "zelf", "x", "iemand"]))
    def restart(self, person: str, payload: str | None) -> None:
        reply = self.step(person, Start(at=self.at(), payload=payload))
        assert self.text_of(reply)

    @precondition(lambda self: any(self.buttons.values()))
    @rule(person=st.sampled_from(PEOPLE), index=st.integers(min_value=0, max_value=50))
    def press_current(self, person: str, index: int) -> None:
        buttons = self.buttons[person]
        if not buttons:
            return
        data = buttons[index % len(buttons)]
        reply = self.step(person, Choice(at=self.at(), data=data))
        if data == "!stop":
            assert any(isinstance(o, Wipe) for o in reply.outputs)
            assert self.loop.run_until_complete(self.store.load(person)) is None

    @precondition(lambda self: bool(self.stale))
    @rule(person=st.sampled_from(PEOPLE), index=st.integers(min_value=0, max_value=10_000))
    def press_stale(self, person: str, index: int) -> None:
        self.step(person, Choice(at=self.at(), data=self.stale[index % len(self.stale)]))

    @rule(person=st.sampled_from(PEOPLE), data=st.text(max_size=70))
    def press_forged(self, person: str, data: str) -> None:
        self.step(person, Choice(at=self.at(), data=data))

    @rule(person=st.sampled_from(PEOPLE), text=TEXTS)
    def type_text(self, person: str, text: str) -> None:
        self.step(person, Text(at=self.at(), text=text))

    @rule(
        person=st.sampled_from(PEOPLE),
        kind=st.sampled_from(["suicide", "danger"]),
        n=st.integers(0, 100),
        lang=st.sampled_from(["nl", "en"]),
    )
    def crisis(self, person: str, kind: str, n: int, lang: str) -> None:
        phrases = getattr(self.holder.engine.content.crisis, kind)[lang]
        sentence = f"eigenlijk… {phrases[n % len(phrases)]}"
        reply = self.step(person, Text(at=self.at(), text=sentence))
        text = self.text_of(reply)
        assert "113" in text or "112" in text, text

    @rule(person=st.sampled_from(PEOPLE), name=COMMANDS)
    def command(self, person: str, name: str) -> None:
        reply = self.step(person, Command(at=self.at(), name=name))
        if name in ("stop", "wis"):
            assert any(isinstance(o, Wipe) for o in reply.outputs)
            assert self.loop.run_until_complete(self.store.load(person)) is None

    @rule(person=st.sampled_from(PEOPLE), how=st.sampled_from(["command", "button", "text"]))
    def erase(self, person: str, how: str) -> None:
        event: Event
        if how == "command":
            event = Command(at=self.at(), name="stop")
        elif how == "button":
            event = Choice(at=self.at(), data="!stop")
        else:
            event = Text(at=self.at(), text="stop")
        reply = self.step(person, event)
        assert any(isinstance(o, Wipe) for o in reply.outputs)
        assert self.loop.run_until_complete(self.store.load(person)) is None
        assert self.store.raw(person) is None

    @rule(person=st.sampled_from(PEOPLE))
    def idle_timeout(self, person: str) -> None:
        self.step(person, Timeout(at=self.at()))

    @rule(extra=st.integers(min_value=1, max_value=3 * TTL))
    def time_passes(self, extra: int) -> None:
        before = {p: self.store.expires_in(p) for p in PEOPLE}
        self.clock.now += extra
        for person, left in before.items():
            if left is not None and extra >= left:
                assert self.loop.run_until_complete(self.store.load(person)) is None
                assert self.store.raw(person) is None
        if extra >= TTL:
            assert self.store.keys() == []

    @rule()
    def reload_content(self) -> None:
        self.version = 1 - self.version
        self.holder.directory = VERSIONS[self.version]
        ok, problems = self.holder.reload()
        assert ok, problems

    # ------------------------------------------------------------ invariants

    @invariant()
    def sessions_are_valid(self) -> None:
        engine = self.holder.engine
        for person in list(self.store.keys()):
            raw = self.store.raw(person)
            assert raw is not None
            session = Session.from_json(raw)
            if session.version == engine.version:  # older ones are migrated on the next step
                assert session.state in engine.content.flows[session.flow].states, session


Conversations.TestCase.settings = settings(max_examples=6, stateful_step_count=20, deadline=None)
test_conversations = Conversations.TestCase
