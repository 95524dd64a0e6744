"""The terminal chat (`baken chat`): the real dialogue, no token needed.

Prints each bot message, then its buttons one per line as ``[1] label``; reads
one line per turn: a button number, a command or free text. Works with piped
stdin/stdout (it flushes every turn), so conversations can be scripted. EOF
ends it. ``--record FILE`` saves the conversation as a golden scenario.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from bot.runtime import Runtime
from bot.transcript import Scenario, describe, latest_buttons, parse_line
from flows import Button, End, Message, Output, Start, Wipe
from flows.events import Event

KEY = "console"


def render(outputs: tuple[Output, ...], out: TextIO) -> None:
    """Print outputs for a person at a terminal."""
    number = 0
    for output in outputs:
        if isinstance(output, Message):
            for line in output.text.splitlines() or [""]:
                print(("    " if output.copyable else "") + line, file=out)
            for link in output.links:
                print(f"    -> {link.label}: {link.url}", file=out)
            for row in output.buttons:
                for button in row:
                    number += 1
                    print(f"  [{number}] {button.label}", file=out)
            print(file=out)
        elif isinstance(output, Wipe):
            print(f"({output.notice})", file=out)
        elif isinstance(output, End):
            print("(einde / end)", file=out)
    out.flush()


class ConsoleChat:
    """One terminal conversation over a :class:`Runtime`."""

    def __init__(self, runtime: Runtime, out: TextIO = sys.stdout) -> None:
        self.runtime = runtime
        self.out = out
        self.buttons: list[Button] = []
        self.record: Scenario | None = None

    async def send(self, event: Event, line: str) -> None:
        reply = await self.runtime.handle(KEY, event)
        render(reply.outputs, self.out)
        # Console messages get no ids; numbering comes from the latest buttons.
        self.buttons = latest_buttons(reply.outputs, self.buttons)
        if self.record is not None:
            self.record.turns.append({"user": line, "bot": describe(reply.outputs)})

    async def run(self, lines: TextIO, lang: str | None = None, record: Path | None = None) -> None:
        """Start the conversation, then answer one line at a time until EOF."""
        if record is not None:
            self.record = Scenario(
                title=record.stem, at=dt.datetime.now(dt.UTC).replace(microsecond=0), lang=lang
            )
            self.runtime.clock = lambda: float(self.record.timestamp) if self.record else 0.0
        start_line = "/start"
        await self.send(Start(at=self.runtime.now(), lang=lang), start_line)
        loop = asyncio.get_running_loop()
        while True:
            self.out.write("> ")
            self.out.flush()
            line = await loop.run_in_executor(None, lines.readline)
            if not line:
                break
            try:
                event = parse_line(line, self.buttons, self.runtime.now())
            except LookupError:
                event = None
            if event is None:
                continue
            recorded = self._for_record(line.strip())
            await self.send(event, recorded)
        self.out.write("\n")
        self.out.flush()
        if self.record is not None and record is not None:
            self.record.dump(record)

    def _for_record(self, line: str) -> str:
        """Record a pressed number as its label, so scenarios read well and survive reordering."""
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            return f"[{self.buttons[int(line) - 1].label}]"
        return line
