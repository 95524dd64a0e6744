"""Understanding typed text: normalising, crisis phrases, intents and options.

Young people type instead of tapping, upset people make typos, and some people
hide words behind odd characters. Everything is normalised the same way (case,
accents, repeated letters, zero-width and control characters, punctuation)
before it is compared, and comparisons tolerate small typos via rapidfuzz.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

_REPEATS = re.compile(r"([a-z])\1+")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Leetspeak and look-alikes people use to dodge filters.
_LOOKALIKE = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "€": "e"}
)


def normalise(text: str) -> str:
    """Lowercase, strip accents, drop invisible characters, fold repeats and punctuation.

    >>> normalise("Ik  wíl\u200b DOOOOD!!")
    'ik wil dod'
    """
    text = unicodedata.normalize("NFKD", text)
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":  # control characters separate words
            kept.append(" ")
        elif not unicodedata.combining(ch) and category not in {"Cf", "Co", "Cs"}:
            kept.append(ch)  # zero-width and format characters are dropped inside words
    text = "".join(kept).casefold()
    text = _NON_WORD.sub(" ", text)
    text = _REPEATS.sub(r"\1", text)
    return " ".join(text.split())


def _fold(text: str) -> str:
    """Normalise, and also read digits as the letters they resemble (for phrase search)."""
    return normalise(normalise(text).translate(_LOOKALIKE))


def _tolerance(word: str) -> int:
    """How many typos a word may have and still count: none for short words."""
    if len(word) <= 4:
        return 0
    if len(word) <= 8:
        return 1
    return 2


@dataclass(frozen=True)
class PhraseSet:
    """Phrases (sequences of words) found anywhere in a text, with per-word typo tolerance."""

    phrases: tuple[tuple[str, ...], ...]
    vocabulary: tuple[str, ...]
    index: Mapping[str, int]

    @classmethod
    def build(cls, phrases: Iterable[str]) -> PhraseSet:
        words: list[tuple[str, ...]] = []
        for phrase in phrases:
            folded = tuple(_fold(phrase).split())
            if folded and folded not in words:
                words.append(folded)
        vocab = sorted({w for p in words for w in p})
        return cls(tuple(words), tuple(vocab), {w: i for i, w in enumerate(vocab)})

    def find(self, text: str) -> bool:
        """True when one of the phrases occurs in ``text`` (in order, words next to each other)."""
        tokens = _fold(text).split()
        if not tokens or not self.phrases:
            return False
        # Which vocabulary words each token could be, typos allowed.
        heard = [self._near(tok) for tok in tokens]
        for phrase in self.phrases:
            ids = [self.index[w] for w in phrase]
            for start, options in enumerate(heard):
                if ids[0] in options and _rest_follows(ids, heard, start):
                    return True
        return False

    def _near(self, token: str) -> frozenset[int]:
        return _near(token, self.vocabulary)


# Words people put inside a phrase ("ik wil gewoon echt dood"): at most this many.
MAX_GAP = 2


def _rest_follows(ids: list[int], heard: list[frozenset[int]], start: int) -> bool:
    """True when the phrase's other words follow ``start`` in order, each within MAX_GAP words."""
    position = start
    for wanted in ids[1:]:
        for step in range(1, MAX_GAP + 2):
            if position + step < len(heard) and wanted in heard[position + step]:
                position += step
                break
        else:
            return False
    return True


@lru_cache(maxsize=8192)
def _near(token: str, vocabulary: tuple[str, ...]) -> frozenset[int]:
    if len(token) > 40:  # not a word anyone typed; nothing in the lists is this long
        return frozenset()
    found = {
        idx
        for _, _, idx in process.extract(
            token, vocabulary, scorer=Levenshtein.distance, score_cutoff=2, limit=None
        )
        if Levenshtein.distance(token, vocabulary[idx]) <= _tolerance(vocabulary[idx])
    }
    return frozenset(found)


@dataclass(frozen=True)
class WholeMessage:
    """Intents that must be the whole message ("stop", "help"), typos allowed."""

    phrases: tuple[str, ...]

    @classmethod
    def build(cls, phrases: Iterable[str]) -> WholeMessage:
        return cls(tuple(dict.fromkeys(p for p in (normalise(x) for x in phrases) if p)))

    def matches(self, text: str) -> bool:
        norm = normalise(text)
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


def match_option(text: str, candidates: Candidates, ordered_ids: Sequence[str]) -> Match:
    """Match typed text to an option: a number, a label, a synonym, or close to one."""
    norm = normalise(text)
    if not norm or len(norm) > 200:
        return Match(None, ())
    if norm.isdigit():
        pos = int(norm) - 1
        if 0 <= pos < len(ordered_ids):
            return Match(ordered_ids[pos], ())
        return Match(None, ())
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
        if choice in words or f" {choice} " in f" {query} ":
            plain = max(plain, 92.0 if len(words) <= 3 else 80.0)
        elif len(choice) >= 5:
            plain = max(plain, fuzz.partial_ratio(choice, query) * 0.95)
    if score_cutoff is not None and plain < score_cutoff:
        return 0.0
    return plain
