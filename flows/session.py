"""The session: the only thing baken remembers about a conversation.

A session is a small immutable value holding codes only: the flow and state,
the chosen option ids per question, the language, the content version, two
timestamps and the ids of the messages shown in the channel (so the channel can
erase them). Never free text, names or chat ids. It serialises to compact JSON.

Message ids are kept **all**, whatever the gaps between them (a busy channel's
conversations interleave), sorted and delta-encoded (:class:`Shown`), with an hourly
mark of where the ids of each hour begin, so that a channel that can only delete
recent messages can drop the older ones and say so
(:meth:`Session.without_messages_before`).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, tuple[str, ...]] = MappingProxyType({})
CRISIS_SHOWN = "_crisis"  # answers key: the kinds of crisis screen shown (suicide, danger)
# Facts a `when` condition can test besides the questions of the flow.
FACT_CRISIS = "crisis"  # the kinds of crisis screen shown: suicide, danger
FACT_LANGUAGE = "language"  # the conversation's language code
HOUR = 3600

# Numbers are written as base64url characters, 5 bits of the number per character and
# one bit saying "more follows": a gap under 32 costs one character, under 1,024 two,
# under 32,768 three, under a million four. 200 ids whose gaps add up to what a bot can
# send in 47 hours (30 a second) take at most 600 characters.
_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {c: i for i, c in enumerate(_DIGITS)}


def _write(numbers: Iterable[int]) -> str:
    out = []
    for number in numbers:
        while number >= 32:
            out.append(_DIGITS[32 | (number & 31)])
            number >>= 5
        out.append(_DIGITS[number])
    return "".join(out)


def _read(text: str) -> Iterator[int]:
    number = shift = 0
    for char in text:
        value = _VALUE[char]  # KeyError for anything else: not ours
        number |= (value & 31) << shift
        if value & 32:
            shift += 5
            continue
        yield number
        number = shift = 0
    if shift:
        raise ValueError("a number is cut short")


@dataclass(frozen=True, slots=True)
class Shown:
    """Ids of the messages shown in a conversation.

    ``ids``: sorted, unique. ``marks``: (hour since the epoch, first id of that hour),
    one per hour in which ids were added, so ids can be dropped by age. ``lost``: ids
    were dropped because they got too old to delete.
    """

    ids: tuple[int, ...] = ()
    marks: tuple[tuple[int, int], ...] = ()
    lost: bool = False

    def add(self, ids: Iterable[int], at: int) -> Shown:
        """These ids were shown at ``at`` (seconds since the epoch)."""
        new = {i for i in ids if i > 0}.difference(self.ids)
        if not new:
            return self
        marks = self.marks
        hour = at // HOUR
        if not marks or hour > marks[-1][0]:
            # Ids of later hours are larger; a person's message that crossed a reply in
            # flight may be a little smaller: the mark never goes back.
            first = max(min(new), marks[-1][1] if marks else 0)
            marks = (*marks, (hour, first))
        return Shown(tuple(sorted((*self.ids, *new))), marks, self.lost)

    def before(self, cutoff: int) -> Shown:
        """Without the ids shown in hours that ended by ``cutoff``; ``lost`` if any went."""
        ended = [i for i, (hour, _) in enumerate(self.marks) if (hour + 1) * HOUR <= cutoff]
        if not ended:
            return self
        keep_from = ended[-1] + 1
        if keep_from < len(self.marks):
            threshold = self.marks[keep_from][1]
            ids = self.ids[bisect.bisect_left(self.ids, threshold) :]
        else:
            ids = ()
        return Shown(ids, self.marks[keep_from:], self.lost or len(ids) < len(self.ids))

    def encode(self) -> tuple[str, str]:
        """The ids and the marks as text: first values, then gaps, 5 bits a character."""
        gaps = (i - previous - 1 for previous, i in zip((0, *self.ids), self.ids, strict=False))
        marks = []
        last_hour = last_id = 0
        for hour, first in self.marks:
            marks += [hour - last_hour, first - last_id]
            last_hour, last_id = hour, first
        return _write(gaps), _write(marks)

    @classmethod
    def decode(cls, ids: object, marks: object, lost: bool) -> Shown:
        """Read :meth:`encode`'s text, or the older list of ranges ``[[lo, hi], ...]``."""
        if isinstance(ids, list):  # written before this format: ranges, no marks
            found = tuple(i for lo, hi in ids for i in range(int(lo), int(hi) + 1))
            return cls(tuple(sorted(set(found))), ((0, found[0]),) if found else (), lost)
        if not isinstance(ids, str) or not isinstance(marks, str):
            raise TypeError("message ids")
        values: list[int] = []
        previous = 0
        for gap in _read(ids):
            previous += gap + 1
            values.append(previous)
        numbers = list(_read(marks))
        if len(numbers) % 2:
            raise ValueError("marks come in pairs")
        pairs = []
        hour = first = 0
        for step, rise in zip(numbers[::2], numbers[1::2], strict=True):
            hour, first = hour + step, first + rise
            pairs.append((hour, first))
        return cls(tuple(values), tuple(pairs), lost)


NO_MESSAGES = Shown()


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
    messages: Shown = NO_MESSAGES

    def evolve(
        self,
        *,
        state: str | None = None,
        lang: str | None = None,
        version: str | None = None,
        updated: int | None = None,
        answers: Mapping[str, tuple[str, ...]] | None = None,
        messages: Shown | None = None,
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

    def facts(self) -> Mapping[str, tuple[str, ...]]:
        """What a ``when`` condition can test: the answers, plus two facts that are no
        question: ``crisis`` (the kinds of crisis screen shown) and ``language``."""
        facts = dict(self.answers)
        facts[FACT_CRISIS] = self.answers.get(CRISIS_SHOWN, ())
        facts[FACT_LANGUAGE] = (self.lang,)
        return facts

    def with_answer(self, state: str, options: tuple[str, ...]) -> Session:
        """A copy with the answer at ``state`` set to ``options`` (removed when empty)."""
        answers = dict(self.answers)
        if options:
            answers[state] = options
        else:
            answers.pop(state, None)
        return self.evolve(answers=MappingProxyType(answers))

    def with_messages(self, ids: Iterable[int], at: int | None = None) -> Session:
        """A copy that also remembers these shown message ids (shown at ``at``), for erase."""
        return self.evolve(messages=self.messages.add(ids, self.updated if at is None else at))

    def without_messages_before(self, cutoff: int) -> Session:
        """A copy without ids shown before ``cutoff`` (too old for the channel to delete)."""
        kept = self.messages.before(cutoff)
        return self if kept is self.messages else self.evolve(messages=kept)

    def message_ids(self) -> list[int]:
        """Every remembered message id, oldest first."""
        return list(self.messages.ids)

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
        if self.messages.ids or self.messages.marks:
            doc["m"], doc["mh"] = self.messages.encode()
        if self.messages.lost:
            doc["mx"] = 1
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Session:
        """Read a session written by :meth:`to_json`; raise SessionDecodeError if it is not one."""
        try:
            doc = json.loads(raw)
            answers = {str(k): tuple(str(o) for o in v) for k, v in dict(doc.get("a", {})).items()}
            messages = Shown.decode(doc.get("m", []), doc.get("mh", ""), bool(doc.get("mx")))
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
