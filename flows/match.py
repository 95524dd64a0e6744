"""Understanding typed text: normalising, intents and options.

Young people type instead of tapping, upset people make typos, and some people
hide words behind odd characters. Everything is normalised the same way (case,
accents, repeated letters, zero-width and control characters, punctuation)
before it is compared, and comparisons tolerate small typos via rapidfuzz.

Words of every script are kept: Latin (Polish and Romanian letters without their
marks: ``ł`` reads as ``l``, ``ș`` as ``s``), Cyrillic (Ukrainian, Bulgarian) and
Arabic (without its vowel marks and tatweel, with the common variants of alef,
yeh, teh marbuta and the Persian/Urdu forms read alike, and Arabic-Indic digits
as digits). The crisis detector (:mod:`flows.understanding`) reads words the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

_REPEATS = re.compile(r"([^\W\d_])\1+")  # a letter of any script, more than once
_NON_WORD = re.compile(r"[\W_]+")
# Letters that Unicode does not split into a base letter and a mark, read as people
# who cannot type them write them; and Arabic letters that people write either way.
_PLAIN = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ı": "i",
        "\u0640": "",  # tatweel, the Arabic stretching line
        "\u0623": "\u0627",  # alef with hamza above -> alef
        "\u0625": "\u0627",  # alef with hamza below -> alef
        "\u0622": "\u0627",  # alef with madda -> alef
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0649": "\u064a",  # alef maksura -> yeh
        "\u06cc": "\u064a",  # Farsi yeh -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u0624": "\u0648",  # waw with hamza -> waw
        "\u0626": "\u064a",  # yeh with hamza -> yeh
        "\u06a9": "\u0643",  # keheh -> kaf
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended Arabic-Indic digits
    }
)
_ASCII_CONTROLS = str.maketrans({chr(c): " " for c in (*range(32), 127)})  # category Cc
_TABLE_BELOW = 0x3000  # characters of the alphabets people type here: listed from the start


class CharTable(dict[int, str]):
    """For ``str.translate``: each character as ``change`` gives it. Below ``_TABLE_BELOW``
    every character that changes is listed from the start (in C from then on; the table
    never changes with what is typed); above it, each character is asked every time."""

    def __init__(self, change: Callable[[str], str]) -> None:
        super().__init__(
            (code, out) for code in range(_TABLE_BELOW) if (out := change(chr(code))) != chr(code)
        )
        self.change = change

    def __missing__(self, code: int) -> str:
        if code < _TABLE_BELOW:
            raise LookupError(code)  # not listed: translate keeps the character
        return self.change(chr(code))


def _mark(ch: str) -> str:
    """After NFKD: control characters separate words (a space); combining marks, zero-width
    and format characters are dropped inside words; anything else is kept."""
    category = unicodedata.category(ch)
    if category == "Cc":
        return " "
    if unicodedata.combining(ch) or category in {"Cf", "Co", "Cs"}:
        return ""
    return ch


_MARKS = CharTable(_mark)
# Leetspeak and look-alikes people use to dodge filters.
_LOOKALIKE = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "€": "e"}
)


def normalise(text: str) -> str:
    """Lowercase, strip accents, drop invisible characters, fold repeats and punctuation.

    >>> normalise("Ik  wíl\u200b DOOOOD!!")
    'ik wil dod'
    >>> normalise("Chcę  UMRZEĆ, mały")
    'chce umrzec maly'
    >>> normalise("Я хочу ПОМЕРТИ!!!")
    'я хочу померти'
    """
    if text.isascii():  # no accents, marks or format characters: the same, sooner
        text = text.translate(_ASCII_CONTROLS).casefold()
        return " ".join(_REPEATS.sub(r"\1", _NON_WORD.sub(" ", text)).split())
    text = unicodedata.normalize("NFKD", text).translate(_MARKS)
    text = text.casefold().translate(_PLAIN)
    text = _NON_WORD.sub(" ", text)
    text = _REPEATS.sub(r"\1", text)
    return " ".join(text.split())


def _fold(norm: str) -> str:
    """Read digits in normalised text as the letters they resemble (for phrase search)."""
    return normalise(norm.translate(_LOOKALIKE))


@dataclass(frozen=True, slots=True)
class Typed:
    """Typed text, normalised once per step. Lives for that step only: never cached or stored."""

    norm: str
    tokens: tuple[str, ...]

    @classmethod
    def of(cls, text: str | Typed) -> Typed:
        if isinstance(text, Typed):
            return text
        norm = normalise(text)
        return cls(norm, tuple(_fold(norm).split()))


@dataclass(frozen=True)
class WholeMessage:
    """Intents that must be the whole message ("stop", "help"), typos allowed."""

    phrases: tuple[str, ...]

    @classmethod
    def build(cls, phrases: Iterable[str]) -> WholeMessage:
        return cls(tuple(dict.fromkeys(p for p in (normalise(x) for x in phrases) if p)))

    def matches(self, text: str | Typed) -> bool:
        norm = Typed.of(text).norm
        if not norm or len(norm) > 60:
            return False
        if norm in self.phrases:
            return True
        best = process.extractOne(norm, self.phrases, scorer=fuzz.ratio, score_cutoff=88)
        return best is not None and len(norm) >= 5


@dataclass(frozen=True)
class Candidates:
    """Everything that may name one of a question's options, normalised."""

    choices: tuple[str, ...]
    owners: tuple[str, ...]  # option id per choice

    @classmethod
    def build(cls, options: Sequence[tuple[str, Iterable[str]]]) -> Candidates:
        choices: list[str] = []
        owners: list[str] = []
        for option_id, names in options:
            for name in names:
                norm = normalise(name)
                if norm and (norm, option_id) not in zip(choices, owners, strict=True):
                    choices.append(norm)
                    owners.append(option_id)
        return cls(tuple(choices), tuple(owners))


@dataclass(frozen=True, slots=True)
class Match:
    """The result of matching typed text to options."""

    sure: str | None  # the option id when confident
    maybe: tuple[str, ...]  # option ids to ask back about, best first


SURE = 90
MAYBE = 65
SHORT = 3  # words: a message this short may be an option with a word or two around it


def match_option(text: str | Typed, candidates: Candidates, ordered_ids: Sequence[str]) -> Match:
    """Match typed text to an option: a number, a label, a synonym, or close to one."""
    norm = Typed.of(text).norm
    if not norm or len(norm) > 200:
        return Match(None, ())
    if norm.isdigit() and 1 <= int(norm) <= len(ordered_ids):
        return Match(ordered_ids[int(norm) - 1], ())  # the button with that number
    # A larger number may still mean something ("15" at an age question): match it below.
    if norm in candidates.choices:
        owners = {
            o for c, o in zip(candidates.choices, candidates.owners, strict=True) if c == norm
        }
        if len(owners) == 1:
            return Match(owners.pop(), ())
    scored: dict[str, float] = {}
    for _, score, idx in process.extract(
        norm, candidates.choices, scorer=_score, limit=None, score_cutoff=MAYBE
    ):
        owner = candidates.owners[idx]
        scored[owner] = max(score, scored.get(owner, 0.0))
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])
    if not ranked:
        return Match(None, ())
    best_id, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if best >= SURE and best - runner_up >= 10:
        return Match(best_id, ())
    return Match(None, tuple(owner for owner, _ in ranked[:3]))


def _score(
    query: str, choice: str, *, score_cutoff: float | None = None, processor: object = None
) -> float:
    """Whole-text similarity, or a typed phrase that contains the label (e.g. "ja hoor")."""
    del processor
    plain = fuzz.ratio(query, choice)
    if len(choice) >= 2 and len(query) > len(choice):
        words = query.split()
        contained = f" {choice} " in f" {query} "
        if len(words) <= SHORT:
            if contained:
                plain = max(plain, 92.0)
            elif len(choice) >= 5:
                plain = max(plain, fuzz.partial_ratio(choice, query) * 0.95)
        elif contained and " " in choice:
            # Inside a longer message only a whole phrase of the option counts: one common
            # word ("nu", "nee", "werk") in a story names no button.
            plain = max(plain, 80.0)
    if score_cutoff is not None and plain < score_cutoff:
        return 0.0
    return plain
