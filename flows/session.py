"""The session: the only thing baken remembers about a conversation.

A session is a small immutable value holding codes only: the flow and state,
the chosen option ids per question, the language, the content version, two
timestamps and the ids of the messages shown in the channel (so the channel can
erase them). Never free text, names or chat ids. It serialises to compact JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, tuple[str, ...]] = MappingProxyType({})

# Ranges of the ids of shown messages, so a channel that can delete them can
# erase the conversation. At most this many ranges are kept.
MAX_RANGES = 32


class SessionDecodeError(ValueError):
    """A stored session could not be read back."""


@dataclass(frozen=True, slots=True)
class Session:
    """Where one conversation stands. Immutable: every change makes a new value."""

    flow: str
    state: str
    lang: str
    version: str
    started: int
    updated: int
    answers: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)
    messages: tuple[tuple[int, int], ...] = ()

    def evolve(
        self,
        *,
        state: str | None = None,
        lang: str | None = None,
        version: str | None = None,
        updated: int | None = None,
        answers: Mapping[str, tuple[str, ...]] | None = None,
        messages: tuple[tuple[int, int], ...] | None = None,
    ) -> Session:
        """A copy with some fields changed (much cheaper than dataclasses.replace)."""
        return Session(
            self.flow,
            self.state if state is None else state,
            self.lang if lang is None else lang,
            self.version if version is None else version,
            self.started,
            self.updated if updated is None else updated,
            self.answers if answers is None else answers,
            self.messages if messages is None else messages,
        )

    def answer(self, state: str) -> tuple[str, ...]:
        """The option ids chosen at ``state`` (empty when not answered)."""
        return self.answers.get(state, ())

    def with_answer(self, state: str, options: tuple[str, ...]) -> Session:
        """A copy with the answer at ``state`` set to ``options`` (removed when empty)."""
        answers = dict(self.answers)
        if options:
            answers[state] = options
        else:
            answers.pop(state, None)
        return self.evolve(answers=MappingProxyType(answers))

    def with_messages(self, ids: Iterable[int]) -> Session:
        """A copy that also remembers these chat message ids, for erase."""
        return self.evolve(messages=add_ranges(self.messages, ids))

    def message_ids(self) -> list[int]:
        """Every remembered message id, oldest first."""
        return [i for lo, hi in self.messages for i in range(lo, hi + 1)]

    def to_json(self) -> str:
        """Compact JSON, short keys; see :func:`from_json`."""
        doc: dict[str, Any] = {
            "f": self.flow,
            "s": self.state,
            "l": self.lang,
            "v": self.version,
            "t0": self.started,
            "t": self.updated,
        }
        if self.answers:
            doc["a"] = {k: list(v) for k, v in self.answers.items()}
        if self.messages:
            doc["m"] = [list(r) for r in self.messages]
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Session:
        """Read a session written by :meth:`to_json`; raise SessionDecodeError if it is not one."""
        try:
            doc = json.loads(raw)
            answers = {str(k): tuple(str(o) for o in v) for k, v in dict(doc.get("a", {})).items()}
            messages = tuple((int(lo), int(hi)) for lo, hi in doc.get("m", ()))
            return cls(
                flow=str(doc["f"]),
                state=str(doc["s"]),
                lang=str(doc["l"]),
                version=str(doc["v"]),
                started=int(doc["t0"]),
                updated=int(doc["t"]),
                answers=MappingProxyType(answers),
                messages=messages,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SessionDecodeError(type(exc).__name__) from None


def add_ranges(
    ranges: tuple[tuple[int, int], ...], ids: Iterable[int]
) -> tuple[tuple[int, int], ...]:
    """Merge message ids into sorted, non-overlapping inclusive ranges.

    When there are more than MAX_RANGES, the oldest are dropped.
    """
    new = sorted({i for i in ids if i > 0})
    if not new:
        return ranges
    merged: list[list[int]] = [list(r) for r in ranges]
    for i in new:
        merged.append([i, i])
    merged.sort()
    out: list[list[int]] = []
    for lo, hi in merged:
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out[-MAX_RANGES:])
