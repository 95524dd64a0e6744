"""The terminal chat (`baken chat`): the real dialogue through the conversation core.

Prints each bot message, then its buttons one per line as ``[1] label`` (numbered
across one reply); reads one line per turn: a button number, a command or free text.
Works with piped stdin/stdout (it flushes every turn), so conversations can be
scripted. EOF ends it. ``--record FILE`` saves the conversation as a golden scenario.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.conversation import Conversations, Incoming, Reply, Turn
from bot.keys import SessionKeys
from bot.transcript import Scenario, describe, parse_line
from flows import Answered, Button, End, Message, Stale, Start
from flows.events import Event

CHANNEL = "console"


class ConsoleChat:
    """One terminal conversation; the core's channel for it."""

    name = CHANNEL
    remembers = False  # a terminal cannot take back what it printed
    erase_window = None

    def __init__(self, core: Conversations, out: TextIO = sys.stdout) -> None:
        self.core = core
        self.out = out
        self.key = SessionKeys().key(CHANNEL, "terminal")
        self.buttons: list[Button] = []
        self.record: Scenario | None = None
        self._number = 0

    # ------------------------------------------------------------ the core's calls

    def hurry(self, to: None) -> None:
        """One conversation, nothing queued: nothing to hurry."""

    async def acknowledge(self, to: None) -> None:
        """A new turn: buttons are numbered from 1 again."""
        self._number = 0

    async def show(self, to: None, message: Message, turn: Turn) -> Sequence[int]:
        """Print a message, its links and its numbered buttons."""
        for line in message.text.splitlines() or [""]:
            print(("    " if message.copyable else "") + line, file=self.out)
        for link in message.links:
            print(f"    -> {link.label}: {link.url}", file=self.out)
        if message.buttons:
            self.buttons = [b for row in message.buttons for b in row]
        for button in (b for row in message.buttons for b in row):
            self._number += 1
            print(f"  [{self._number}] {button.shown}", file=self.out)
        print(file=self.out)
        self.out.flush()
        return ()

    async def settle(self, to: None, outcome: Answered | Stale, turn: Turn) -> None:
        """The press is already on screen as the number typed; nothing to add."""

    async def erase(
        self, to: None, ids: Sequence[int], notice: str, turn: Turn, *, missed: bool = False
    ) -> None:
        """A terminal cannot erase what it printed; say that the conversation stopped."""
        print(f"({notice})", file=self.out)
        self.out.flush()

    # ------------------------------------------------------------ the loop

    async def send(self, event: Event, line: str) -> Reply | None:
        reply = await self.core.receive(self, None, Incoming(self.key, event))
        if reply is not None and any(isinstance(o, End) for o in reply.outputs):
            self.buttons = []
            print("(einde / end)", file=self.out)
            self.out.flush()
        if self.record is not None and reply is not None:
            self.record.turns.append({"user": line, "bot": describe(reply.outputs)})
        return reply

    async def run(self, lines: TextIO, lang: str | None = None, record: Path | None = None) -> None:
        """Start the conversation, then answer one line at a time until EOF."""
        if record is not None:
            self.record = Scenario(
                title=record.stem, at=dt.datetime.now(dt.UTC).replace(microsecond=0), lang=lang
            )
            self.core.clock = lambda: float(self.record.timestamp) if self.record else 0.0
        await self.send(Start(at=self.core.now(), lang=lang), "/start")
        loop = asyncio.get_running_loop()
        while True:
            self.out.write("> ")
            self.out.flush()
            line = await loop.run_in_executor(None, lines.readline)
            if not line:
                break
            try:
                event = parse_line(line, self.buttons, self.core.now())
            except LookupError:
                event = None
            if event is None:
                continue
            await self.send(event, self._for_record(line.strip()))
        self.out.write("\n")
        self.out.flush()
        if self.record is not None and record is not None:
            self.record.dump(record)

    def _for_record(self, line: str) -> str:
        """Record a pressed number as its label, so scenarios read well and survive reordering."""
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            return f"[{self.buttons[int(line) - 1].shown}]"
        return line
