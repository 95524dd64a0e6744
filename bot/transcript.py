"""Conversations as plain data: what the person typed or pressed, and what baken showed.

Used by ``baken chat`` (to print and to ``--record``) and by the golden
scenarios in ``tests/scenarios/``. A user line is one of:

- ``/start zelf``, ``/help`` … a command (``/start`` with its deep-link payload);
- ``[Label]`` the button with that label among the latest buttons;
- ``3`` the third of the latest buttons (console only, like a person would);
- anything else: typed text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from flows import (
    Button,
    Choice,
    End,
    Event,
    Handoff,
    Message,
    Output,
    Text,
    Wipe,
)
from flows.commands import typed_event


def describe(outputs: Iterable[Output]) -> list[dict[str, Any]]:
    """What a person sees of these outputs (counters are invisible and left out)."""
    shown: list[dict[str, Any]] = []
    for output in outputs:
        if isinstance(output, Message):
            item: dict[str, Any] = {"text": output.text}
            if output.buttons:
                item["buttons"] = [b.shown for row in output.buttons for b in row]
            if output.links:
                item["links"] = [f"{link.label}: {link.url}" for link in output.links]
            if output.copyable:
                item["copy"] = True
            shown.append(item)
        elif isinstance(output, Handoff):
            shown.append({"handoff": list(output.services)})
        elif isinstance(output, Wipe):
            shown.append({"erase": output.notice})
        elif isinstance(output, End):
            shown.append({"end": True})
    return shown


def latest_buttons(outputs: Iterable[Output], previous: Sequence[Button]) -> list[Button]:
    """The buttons a person can press after these outputs: those of the last message with any."""
    buttons = list(previous)
    for output in outputs:
        if isinstance(output, Message) and output.buttons:
            buttons = [b for row in output.buttons for b in row]
        elif isinstance(output, End):
            buttons = []
    return buttons


def parse_line(
    line: str, buttons: Sequence[Button], at: int, *, numbers: bool = True
) -> Event | None:
    """Turn one line of input into an engine event (None for an empty line)."""
    text = line.strip()
    if not text:
        return None
    event = typed_event(text, at)
    if not isinstance(event, Text):
        return event  # a command, read as every channel reads it
    if text.startswith("[") and text.endswith("]"):
        label = text[1:-1]
        for button in buttons:
            if button.shown == label:
                return Choice(at=at, data=button.data)
        raise LookupError(
            f"no button labelled {label!r}; buttons now: {[b.shown for b in buttons]}"
        )
    if numbers and text.isdigit() and 1 <= int(text) <= len(buttons):
        return Choice(at=at, data=buttons[int(text) - 1].data)
    return Text(at=at, text=text)


@dataclass
class Scenario:
    """A golden conversation: inputs and the outputs expected for each."""

    title: str
    at: dt.datetime
    turns: list[dict[str, Any]] = field(default_factory=list)
    lang: str | None = None

    @property
    def timestamp(self) -> int:
        return int(self.at.timestamp())

    @classmethod
    def load(cls, path: Path) -> Scenario:
        doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        at = doc.get("at", "2026-11-23T15:00:00+01:00")
        when = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
        if when.tzinfo is None:
            raise ValueError(f"{path}: `at` needs a time zone, like +01:00")
        return cls(
            title=str(doc.get("title", path.stem)),
            at=when,
            turns=list(doc.get("turns", [])),
            lang=doc.get("lang"),
        )

    def dump(self, path: Path) -> None:
        yaml = YAML()
        yaml.default_flow_style = False
        yaml.width = 100
        yaml.allow_unicode = True
        doc: dict[str, Any] = {"title": self.title, "at": self.at.isoformat()}
        if self.lang:
            doc["lang"] = self.lang
        doc["turns"] = self.turns
        with path.open("w", encoding="utf-8") as fh:
            fh.write("# A golden conversation; see tests/scenarios/README.md.\n")
            yaml.dump(doc, fh)
