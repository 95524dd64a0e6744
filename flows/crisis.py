"""Crisis understanding: does a typed message say "I want to die" or "I am in danger now"?

Safety rule number one: whoever types that they want to die, or that they are in
danger right now, gets 113 or 112 at once, from every state, without a session.
A list of phrases is always one phrasing behind, so three parts look at every
message, each made to generalise in its own way:

1. **Phrases** (``phrases/crisis.yaml``): plain sentences, their words in order
   with at most two other words between them. Unmistakable: *sure*.
2. **Concept patterns** (``phrases/crisis-concepts.yaml``): words are first read
   as *concepts* (``i``, ``want``, ``die``, ``end``, ``life``, ``threat``,
   ``door``, ``locked`` ...) and a pattern names concepts that must all occur
   within a window of words, in any order, unless a cancelling concept is near
   ("dood van het *lachen*"). This carries word order, inserted words, verb forms
   (``vermoord*``), youth spelling (``k``, ``n``, ``nie`` via the ``spelling``
   table) and small typos. Each pattern says whether it is *sure* or *possible*.
3. **A classifier** trained on the examples in ``phrases/crisis-examples/`` (only
   their ``train`` part): logistic regression over word and character n-grams and
   concept pairs, one model per kind. It is trained when the content loads
   (cached by a digest of what it learns from) and scores with plain dicts of
   weights, so a message costs about a tenth of a millisecond. It speaks alone
   only when a *signal* concept occurs outside an ordinary context: from
   POSSIBLE_AT *possible*, from SURE_AT *sure*. For a possible pattern it gives a
   second opinion: the pattern counts unless the classifier, on its best
   sentence, gives that kind less than RULE_FLOOR. Long messages are scored
   window by window, so one crisis sentence inside a long message still counts.

The result is a :class:`Verdict`: ``sure`` (the crisis screen at once),
``possible`` (a short check with 113/112 already visible) or ``no``; the kind
(``suicide`` -> 113, ``danger`` -> 112, ``both``); and which part decided.

Pure: no I/O, no clock, no logging, no cache of anything typed. The text lives
for one call only. scikit-learn is imported only to train.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from rapidfuzz.distance import OSA

from flows.content import Content, Problem
from flows.match import Typed

if TYPE_CHECKING:
    from flows.schema import CrisisConceptsFile

Outcome = Literal["sure", "possible", "no"]
KINDS = ("suicide", "danger")

# Classifier thresholds on the probability of each kind, chosen by 5-fold
# cross-validation on the training examples only.
POSSIBLE_AT = 0.85
SURE_AT = 0.99
WINDOW = 14  # words per classifier window for long messages (examples are shorter)
PHRASE_GAP = 2  # other words allowed between two words of a phrase
WINDOW_SLACK = 1  # one more word than a pattern's window says: room for a filler ("echt")
AFTER = 3  # words after a rule's match where an `unless` concept still cancels it
BEFORE = 2  # and words before it
FAR_BEFORE = 4  # `unless_far` concepts (it is over, I am safe now) reach further
FAR_AFTER = 10
RULE_FLOOR = 0.005  # a *possible* rule counts only when the classifier gives its kind this much
MAX_WORDS = 1200  # a Telegram message holds at most 4,096 characters: far fewer words
C_REGULARISATION = 1.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the detector made of one message. ``reason`` names a rule or model, never text."""

    outcome: Outcome
    kind: str | None  # 'suicide', 'danger', 'both' or None
    reason: str

    @property
    def kinds(self) -> frozenset[str]:
        if self.kind == "both":
            return frozenset(KINDS)
        return frozenset({self.kind}) if self.kind else frozenset()


NO = Verdict("no", None, "nothing found")


def kind_of(kinds: Iterable[str]) -> str | None:
    found = set(kinds)
    if found >= set(KINDS):
        return "both"
    return next(iter(found), None)


# ------------------------------------------------------------------ words

_REPEATS = re.compile(r"([a-z])\1+")
_CONTRACTIONS = (
    (re.compile(r"n['’‘`´]t\b"), " not"),
    (re.compile(r"['’‘`´]m\b"), " am"),
    (re.compile(r"['’‘`´]re\b"), " are"),
    (re.compile(r"['’‘`´]ll\b"), " will"),
    (re.compile(r"['’‘`´]ve\b"), " have"),
    (re.compile(r"\b(he|she|it|that|there|what|who|where|everything|nobody)['’‘`´]s\b"), r"\1 is"),
    (re.compile(r"\bm['’‘`´]n\b"), "mijn"),
    (re.compile(r"\bz['’‘`´]n\b"), "zijn"),
    (re.compile(r"\bd['’‘`´]r\b"), "er"),
    (re.compile(r"(^|\s)['’‘`´]k\b"), " ik"),
    (re.compile(r"(^|\s)['’‘`´]t\b"), " het"),
    (re.compile(r"(^|\s)['’‘`´]n\b"), " een"),
)


EOS = "⏎"  # a word of its own after each sentence: the concept `eos` (can never be typed)
_SENTENCE = re.compile(r"[.!?;:,\n،؛؟]+")  # also the Arabic comma, semicolon and question mark


def words(
    text: str,
    spelling: Mapping[str, tuple[str, ...]],
    symbols: Mapping[int, str] | None = None,
    fillers: frozenset[str] = frozenset(),
) -> list[str]:
    """The message as normalised words, contractions and youth spelling written out, with
    EOS after each sentence ("ik kan niet meer." ends there; "ik kan niet meer wachten" not).
    ``symbols`` reads emoji as words (😂 as "lol"), before they are dropped."""
    if len(text) > 16_384:  # four Telegram messages; nothing longer is one message
        text = text[:16_384]
    if symbols:
        text = text.translate(symbols)
    if not text.isascii():  # invisible characters would split "don\u200b't"
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Mn"))
    lowered = _REPEATS.sub(r"\1", text.casefold())
    for pattern, replacement in _CONTRACTIONS:
        lowered = pattern.sub(replacement, lowered)
    out: list[str] = []
    plain = lowered.isascii()
    for sentence in _SENTENCE.split(lowered):
        tokens = _ascii_words(sentence) if plain else Typed.of(sentence).tokens
        if not tokens:
            continue
        count = len(tokens)
        skip = 0
        for j, token in enumerate(tokens):
            if skip:
                skip -= 1
                continue
            if j + 1 < count:
                # Two typed words that mean something together ("nu vreau": not want),
                # also with a filler between them ("nu chiar vreau").
                pair = spelling.get(f"{token} {tokens[j + 1]}")
                if pair is not None:
                    out.extend(pair)
                    skip = 1
                    continue
                if j + 2 < count and tokens[j + 1] in fillers:
                    pair = spelling.get(f"{token} {tokens[j + 2]}")
                    if pair is not None:
                        out.extend((pair[0], tokens[j + 1], *pair[1:]))
                        skip = 2
                        continue
            out.extend(spelling.get(token, (token,)))
        out.append(EOS)
        if len(out) >= MAX_WORDS:
            break
    return out


_NON_WORD = re.compile(r"[^a-z0-9]+")
_LOOKALIKE = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)


def _ascii_words(text: str) -> list[str]:
    """``Typed.of(text).tokens`` for lowercase ASCII text, without a loop per character."""
    text = _REPEATS.sub(r"\1", _NON_WORD.sub(" ", text))
    return _REPEATS.sub(r"\1", _NON_WORD.sub(" ", text.translate(_LOOKALIKE))).split()


def _norm_word(word: str) -> str:
    """A lexicon word as the detector sees typed words (a leading or trailing * is kept)."""
    star = word.endswith("*")
    front = word.startswith("*") and not star
    folded = Typed.of(word.strip("*")).tokens
    if not folded:
        return ""
    return ("*" if front else "") + " ".join(folded) + ("*" if star else "")


def _tolerance(word: str) -> int:
    """Typos allowed in a lexicon word: none up to 5 letters (leven/lezen/geven are all words)."""
    if len(word) <= 5:
        return 0
    if len(word) <= 8:
        return 1
    return 2


# Endings after a stem that a typo may come with: Dutch and English verb and noun forms,
# and the commonest Polish, Romanian, Bulgarian, Ukrainian and Arabic ones.
_ENDINGS = frozenset(
    {"", "t", "d", "e", "en", "de", "den", "te", "ten", "s", "ed", "er", "ers"}
    | {"a", "i", "y", "o", "u", "ie", "ia", "ea", "ii", "ul", "am", "em", "om", "ow", "ac", "ic"}
    | {"yc", "esz", "emy", "ja", "ju", "je", "la", "li", "lo", "ly"}
    | {"а", "я", "у", "ю", "и", "і", "ї", "е", "є", "о", "ть", "ти", "ся", "ла", "ли", "ло", "ва"}
    | {"ат", "ят", "ам", "ям", "ах", "ях", "ой", "ий", "ого", "ому", "не", "ня"}
    | {"ني", "ه", "ها", "هم", "وا", "و", "ت", "ك", "ي"}
)


# Arabic prefixes, longest first: wa-bi-al, wa-al, bi-al, fa-al, ka-al, li-l, al, and, so,
# with, to, will (sa-, Levantine bi-, Egyptian ha-/ḥa-), like.
_AR_PREFIXES = (
    "وبال",
    "وال",
    "بال",
    "فال",
    "كال",
    "لل",
    "ال",
    "و",
    "ف",
    "ب",
    "ل",
    "س",
    "ح",
    "ه",
    "ك",
)


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


@dataclass(frozen=True)
class Lexicon:
    """Maps a typed word to the concepts it can mean: exact, by stem (``vermoord*``), or with
    a typo or two in longer words (same first letter)."""

    exact: Mapping[str, int]  # word -> concept bits
    stems: Mapping[str, tuple[tuple[str, int], ...]]  # first two letters -> (stem, bits)
    typos: Mapping[str, tuple[str, ...]]  # deletion variant -> lexicon words
    tolerance: Mapping[str, int]
    fuzzy: Mapping[str, int]  # words and stem forms that a typo may stand for
    known: frozenset[str] = frozenset()  # words seen in the examples: real words, not typos
    endings: tuple[tuple[str, int], ...] = ()  # (ending, bits): "*ني" is every word ending so

    @classmethod
    def build(cls, entries: Mapping[str, int], known: Iterable[str] = ()) -> Lexicon:
        exact: dict[str, int] = {}
        stems: dict[str, list[tuple[str, int]]] = {}
        long_stems: dict[str, list[tuple[str, int]]] = {}  # by first letter, for typos
        typos: dict[str, set[str]] = {}
        tolerance: dict[str, int] = {}
        endings: list[tuple[str, int]] = []
        for word, bits in entries.items():
            if word.startswith("*"):
                endings.append((word[1:], bits))
                continue
            if word.endswith("*"):
                stem = word[:-1]
                stems.setdefault(stem[:2], []).append((stem, bits))
                if len(stem) >= 7:
                    long_stems.setdefault(stem[:1], []).append((stem, bits))
                continue
            exact[word] = exact.get(word, 0) | bits
        # Typos are looked for in whole words and in the usual forms of each stem
        # (schop* -> schoppen, schopt; vermoord* -> vermoorden).
        fuzzy = dict(exact)
        for word, bits in entries.items():
            if word.endswith("*") and len(word) > 4:
                stem = word[:-1]
                forms = {
                    stem + end for end in ("", "e", "en", "t", "d", "te", "de", "s", "ed", "ing")
                }
                forms |= {stem + stem[-1] + end for end in ("en", "ed", "ing", "er")}
                forms |= {"ge" + stem + end for end in ("d", "t", "en")}
                for form in forms:
                    fuzzy[form] = fuzzy.get(form, 0) | bits
        for word in fuzzy:
            tol = _tolerance(word) if word in exact else min(1, _tolerance(word))
            if tol:
                tolerance[word] = tol
                for variant in _deletes(word, tol):
                    typos.setdefault(variant, set()).add(word)
        for first, entries_ in long_stems.items():
            stems.setdefault(first, []).extend(entries_)
        return cls(
            exact,
            {k: tuple(v) for k, v in stems.items()},
            {k: tuple(sorted(v)) for k, v in typos.items()},
            tolerance,
            fuzzy,
            frozenset(known) - set(exact),
            tuple(endings),
        )

    def bits(self, token: str) -> int:
        """The concepts ``token`` may stand for (0 when none)."""
        ending = 0
        for end, bits in self.endings:
            # Arabic writes "me" onto the verb: يقتلني, بيضربوني, yqtlouni.
            if token.endswith(end) and len(token) >= len(end) + 3:
                ending |= bits
        return self._bits(token) | ending

    def _bits(self, token: str, stripped: int = 0) -> int:
        found = self.exact.get(token, 0)
        for stem, bits in self.stems.get(token[:2], ()):
            if token.startswith(stem):
                found |= bits
        if not found and token.startswith("ge") and len(token) >= 6:
            # Dutch past participles: gekrast, gewurgd, gespaard are kras*, wurg*, spaar*.
            rest = token[2:]
            for stem, bits in self.stems.get(rest[:2], ()):
                if rest.startswith(stem):
                    found |= bits
        if (
            not found
            and 4 <= len(token) <= 30
            and stripped < 3
            and "\u0600" <= token[0] <= "\u06ff"
        ):
            # Arabic writes "and", "the", "with", "to" and the future onto the word:
            # والقتل, بالسكين, سأقتل, بموت read as قتل, سكين, اقتل, موت.
            for prefix in _AR_PREFIXES:
                if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                    found = self._bits(token[len(prefix) :], stripped + 1)
                    if found:
                        return found
        if found or len(token) < 5 or len(token) > 30 or token in self.known:
            return found
        for stem, bits in self.stems.get(token[:1], ()):
            # A typo in an inflected word ("ovreleef"): the stem with one slip, then an ending.
            size = len(stem)
            for cut in (size - 1, size, size + 1):
                if token[cut:] in _ENDINGS and OSA.distance(token[:cut], stem, score_cutoff=1) <= 1:
                    found |= bits
                    break
        depth = 2 if len(token) >= 8 else 1
        seen: set[str] = set()
        for variant in _deletes(token, depth):
            for word in self.typos.get(variant, ()):
                if word in seen or word[0] != token[0]:
                    continue
                seen.add(word)
                tol = self.tolerance[word]
                if OSA.distance(token, word, score_cutoff=tol) <= tol:
                    found |= self.fuzzy[word]
        return found


# ------------------------------------------------------------------ rules


def _positions(heard: Sequence[int], bit: int, where: dict[int, list[int]]) -> list[int]:
    found = where.get(bit)
    if found is None:
        found = where[bit] = [i for i, h in enumerate(heard) if h & bit == bit]
    return found


def _back(heard: Sequence[int], first: int, reach: int, eos: int, particle: int = 0) -> int:
    """Where a look back from ``first`` stops: ``reach`` words, or the previous sentence's
    end ("ik wil niet meer. ik wil dood": the "niet" does not cancel "ik wil dood").
    A particle ("să", "да": "nu vreau să mor") is passed over without counting."""
    start = first
    left = reach
    while left > 0:
        if start == 0 or heard[start - 1] & eos:
            break
        start -= 1
        if not heard[start] & particle:
            left -= 1
    return start


@dataclass(frozen=True, slots=True)
class Rule:
    """A phrase (words in order) or a concept pattern (concepts within a window)."""

    name: str
    kind: str  # suicide, danger or both
    level: Outcome
    need: tuple[int, ...]  # per required word: the concept bits it must all have
    ordered: bool
    window: int
    unless: int  # concept bits that cancel the match
    gap_block: int = 0  # concept bits that may not be among the words between a phrase's words
    after: int = AFTER  # how many words after the match an `unless` concept still cancels
    far: int = 0  # concept bits that cancel further away, unless "not" comes just before them
    negation: int = 0  # the concept `not`
    particle: int = 0  # the concept `particle`: passed over when looking back for a "not"
    eos: int = 0  # the concept `eos`: cancelling words before a match stay in its sentence
    gap: int = PHRASE_GAP  # in order: other words allowed between two of its words

    @property
    def mask(self) -> int:
        out = 0
        for bit in self.need:
            out |= bit
        return out

    @property
    def kinds(self) -> tuple[str, ...]:
        return _expand(self.kind)

    def matches(self, heard: Sequence[int], present: int) -> bool:
        if present & self.mask != self.mask:
            return False
        return self.found(heard, {})

    def found(self, heard: Sequence[int], where: dict[int, list[int]]) -> bool:
        """Whether the rule matches; the caller has checked that every concept occurs.
        ``where`` caches, for this message, the positions of each concept."""
        if self.ordered:
            return self._in_order(heard, _positions(heard, self.need[0], where))
        return self._in_window(heard, [_positions(heard, bit, where) for bit in self.need])

    def _cancelled(self, heard: Sequence[int], first: int, last: int) -> bool:
        outer = self.unless & ~self.negation
        reach = heard[max(0, first - BEFORE) : last + self.after + 1]
        if outer and any(h & outer for h in reach):
            return True
        start = _back(heard, first, BEFORE, self.eos, self.particle)
        # A "not" word cancels only before or inside the match: "ik wil niet dood" and "nooit
        # aan zelfmoord gedacht", but not "ik wil dood, niet normaal meer".
        if self.unless & self.negation and any(h & self.negation for h in heard[start : last + 1]):
            return True
        if self.far:
            end = min(len(heard), last + FAR_AFTER + 1)
            for i in range(_back(heard, first, FAR_BEFORE, self.eos), end):
                if heard[i] & self.far and not any(
                    h & self.negation for h in heard[max(0, i - 2) : i]
                ):
                    return True  # "dat is voorbij", "nu veilig"; not "niet veilig"
        return False

    def _in_order(self, heard: Sequence[int], firsts: Sequence[int]) -> bool:
        def follow(index: int, position: int) -> int | None:
            if index == len(self.need):
                return position
            bit = self.need[index]
            for step in range(1, self.gap + 2):
                at = position + step
                if at >= len(heard):
                    break
                if heard[at] & bit == bit:
                    end = follow(index + 1, at)
                    if end is not None:
                        return end
                if heard[at] & self.gap_block:  # "ik wil niet dood" is not "ik wil dood"
                    break
            return None

        for start in firsts:
            end = follow(1, start)
            if end is not None and not self._cancelled(heard, start, end):
                return True
        return False

    def _in_window(self, heard: Sequence[int], positions: Sequence[Sequence[int]]) -> bool:
        window = self.window
        # For each start, the earliest position of each concept at or after it.
        pointers = [0] * len(positions)
        starts = sorted({i for plist in positions for i in plist})
        for start in starts:
            last = start
            ok = True
            for k, plist in enumerate(positions):
                p = pointers[k]
                while p < len(plist) and plist[p] < start:
                    p += 1
                pointers[k] = p
                if p == len(plist) or plist[p] - start >= window:
                    ok = False
                    break
                last = max(last, plist[p])
            if ok and not self._cancelled(heard, start, last):
                return True
        return False


# ------------------------------------------------------------------ classifier


def _names(bits: int, names: Sequence[str]) -> list[str]:
    out = []
    while bits:
        low = bits & -bits
        out.append(names[low.bit_length() - 1])
        bits ^= low
    return out


def _word_features(token: str) -> list[str]:
    """The features of a word on its own: the word and its character 3- and 4-grams."""
    here = [f"w:{token}"]
    padded = f" {token} "
    for n in (3, 4):
        here.extend(f"c:{padded[j : j + n]}" for j in range(len(padded) - n + 1))
    return here


def features(
    tokens: Sequence[str],
    concepts: Sequence[int],
    names: Sequence[str],
    *,
    context_only: bool = False,
) -> list[list[str]]:
    """Features anchored at each word: the word, the word pair ending here, character
    3- and 4-grams of the word, its concepts, and concept pairs within three words.
    ``context_only`` leaves out the word's own features (scored separately, once per word)."""
    out: list[list[str]] = []
    for i, token in enumerate(tokens):
        here = [] if context_only else _word_features(token)
        if i:
            here.append(f"b:{tokens[i - 1]}_{token}")
        if concepts[i]:
            mine = _names(concepts[i], names)
            here.extend(f"k:{name}" for name in mine)
            for back in range(max(0, i - 3), i):
                if concepts[back]:
                    for other in _names(concepts[back], names):
                        for name in mine:
                            a, b = (name, other) if name < other else (other, name)
                            here.append(f"p:{a}|{b}")
        out.append(here)
    return out


@dataclass(frozen=True)
class Model:
    """Weights per feature for each kind, and the intercepts: scoring needs no numpy."""

    weights: Mapping[str, tuple[float, float]]
    intercept: tuple[float, float]

    def _sum(self, feats: Iterable[str]) -> tuple[float, float]:
        weights = self.weights
        s = d = 0.0
        for f in feats:
            w = weights.get(f)
            if w is not None:
                s += w[0]
                d += w[1]
        return s, d

    def score(
        self, tokens: Sequence[str], concepts: Sequence[int], names: Sequence[str]
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        """:meth:`probabilities` of a message, computing each distinct word's own part once
        (a long message repeats its words)."""
        seen: dict[str, tuple[float, float]] = {}  # lives for this call only
        context = features(tokens, concepts, names, context_only=True)
        anchored_sums = []
        for token, feats in zip(tokens, context, strict=True):
            own = seen.get(token)
            if own is None:
                own = seen[token] = self._sum(_word_features(token))
            extra = self._sum(feats)
            anchored_sums.append((own[0] + extra[0], own[1] + extra[1]))
        return self._windows(anchored_sums, [t == EOS for t in tokens])

    def probabilities(
        self, anchored: Sequence[Sequence[str]], ends: Sequence[bool] = ()
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        """The highest probability of each kind over windows of WINDOW words of the whole
        message; and the same over the message and each sentence on its own (``ends`` marks
        each sentence's last word), so a rule's crisis sentence gets its second opinion
        however much else is around it."""
        return self._windows([self._sum(feats) for feats in anchored], ends)

    def _windows(
        self, per_word: Sequence[tuple[float, float]], ends: Sequence[bool]
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        if not per_word:
            empty = (_sigmoid(self.intercept[0]), _sigmoid(self.intercept[1]))
            return empty, empty
        spans = [(0, len(per_word))]
        start = 0
        for i, end in enumerate(ends):
            if end:
                if start > 0 or i + 1 < len(per_word):
                    spans.append((start, i + 1))
                start = i + 1
        whole_s, whole_d = _best_window(per_word)
        best_s, best_d = whole_s, whole_d
        for lo, hi in spans[1:]:
            s_best, d_best = _best_window(per_word[lo:hi])
            best_s = max(best_s, s_best)
            best_d = max(best_d, d_best)
        s0, d0 = self.intercept
        return (_sigmoid(whole_s + s0), _sigmoid(whole_d + d0)), (
            _sigmoid(best_s + s0),
            _sigmoid(best_d + d0),
        )


def _best_window(per_word: Sequence[tuple[float, float]]) -> tuple[float, float]:
    n = len(per_word)
    if n == 0:
        return -math.inf, -math.inf
    size = min(WINDOW, n)
    s_sum = sum(p[0] for p in per_word[:size])
    d_sum = sum(p[1] for p in per_word[:size])
    best_s, best_d = s_sum, d_sum
    for end in range(size, n):
        s_sum += per_word[end][0] - per_word[end - size][0]
        d_sum += per_word[end][1] - per_word[end - size][1]
        best_s = max(best_s, s_sum)
        best_d = max(best_d, d_sum)
    return best_s, best_d


def _sigmoid(x: float) -> float:
    if x < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def train(rows: Sequence[Sequence[Sequence[str]]], labels: Sequence[tuple[int, int]]) -> Model:
    """Logistic regression per kind (scikit-learn, imported only here)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    for row in rows:
        for f in {f for feats in row for f in feats}:
            counts[f] = counts.get(f, 0) + 1
    vocabulary = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= 2))}
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for row in rows:
        bag: dict[int, float] = {}
        for feats in row:
            for f in feats:
                index = vocabulary.get(f)
                if index is not None:
                    bag[index] = bag.get(index, 0.0) + 1.0
        for index, value in sorted(bag.items()):
            indices.append(index)
            data.append(value)
        indptr.append(len(indices))
    matrix = csr_matrix((data, indices, indptr), shape=(len(rows), len(vocabulary)))
    coefficients = []
    intercepts = []
    for k in range(2):
        y = np.array([label[k] for label in labels])
        if y.min() == y.max():  # only one class: a constant model
            coefficients.append(np.zeros(len(vocabulary)))
            intercepts.append(-8.0 if y.max() == 0 else 8.0)
            continue
        model = LogisticRegression(
            C=C_REGULARISATION, class_weight="balanced", solver="liblinear", max_iter=1000
        )
        model.fit(matrix, y)
        coefficients.append(model.coef_[0])
        intercepts.append(float(model.intercept_[0]))
    weights = {}
    for f, index in vocabulary.items():
        pair = (float(coefficients[0][index]), float(coefficients[1][index]))
        if abs(pair[0]) >= 1e-3 or abs(pair[1]) >= 1e-3:
            weights[sys.intern(f)] = pair
    return Model(weights, (intercepts[0], intercepts[1]))


# ------------------------------------------------------------------ detector


@dataclass(frozen=True)
class Detector:
    """Everything needed to judge one message; built once per content, shared, immutable."""

    spelling: Mapping[str, tuple[str, ...]]
    lexicon: Lexicon
    names: tuple[str, ...]  # concept names by bit; phrase words come after them as "=word"
    concept_count: int
    rules: tuple[Rule, ...]
    model: Model | None
    digest: str
    signal_mask: int = 0  # concepts that let the classifier speak on its own
    ordinary: int = 0  # concepts that make a signal word ordinary (joke, game, past)
    eos_bit: int = 0  # the concept `eos`: the last word of a sentence
    negation: int = 0  # the concept `not`
    particle: int = 0  # the concept `particle`
    symbols: Mapping[int, str] = field(default_factory=dict)  # emoji -> " word "
    fillers: frozenset[str] = frozenset()  # skipped between two words read together
    problems: tuple[tuple[str, tuple[str | int, ...], str], ...] = field(default=())

    @functools.cached_property
    def table(self) -> tuple[tuple[int, Rule, tuple[str, ...], bool], ...]:
        """The rules as (concepts needed, rule, kinds, sure), for a quick first check."""
        return tuple((r.mask, r, r.kinds, r.level == "sure") for r in self.rules)

    def assess(self, text: str) -> Verdict:
        """Judge one message. Never raises for any text; keeps nothing of it."""
        return decide(*self.evidence(text))

    def evidence(
        self, text: str
    ) -> tuple[dict[str, str], dict[str, str], tuple[float, float], bool, tuple[float, float]]:
        """What each part found: sure rules and possible rules (kind -> rule name), the
        classifier's probability per kind, whether a signal concept occurs, and the
        classifier's second opinion for the rules (its best sentence)."""
        tokens = words(text, self.spelling, self.symbols, self.fillers)
        if not tokens:
            return {}, {}, (0.0, 0.0), False, (0.0, 0.0)
        per_token = [self.lexicon.bits(t) for t in tokens]  # EOS is no word: 0
        heard = self._heard(tokens, per_token)
        present = 0
        for bits in heard:
            present |= bits
        sure: dict[str, str] = {}
        hints: dict[str, str] = {}
        where: dict[int, list[int]] = {}
        if present:
            for mask, rule, kinds, is_sure in self.table:
                if present & mask != mask:  # most rules stop here: one AND per rule
                    continue
                if is_sure and all(k in sure for k in kinds):
                    continue
                if rule.found(heard, where):
                    target = sure if is_sure else hints
                    for kind in kinds:
                        target.setdefault(kind, rule.name)
        probs = (0.0, 0.0)
        floors = (RULE_FLOOR, RULE_FLOOR)  # no examples, no classifier: the rules decide alone
        if self.model is not None:
            mask = (1 << self.concept_count) - 1
            concepts = [b & mask for b in per_token]
            probs, floors = self.model.score(tokens, concepts, self.names)
        return sure, hints, probs, self._signal(heard), floors

    def _heard(self, tokens: Sequence[str], bits: Sequence[int]) -> list[int]:
        """Concept bits per word for the rules; the last word of a sentence also gets `eos`."""
        heard: list[int] = []
        for token, b in zip(tokens, bits, strict=True):
            if token == EOS:
                if heard:
                    heard[-1] |= self.eos_bit
            else:
                heard.append(b)
        return heard

    def _signal(self, heard: Sequence[int]) -> bool:
        """A signal concept that is not near an ordinary-context word ("dood van het lachen",
        "een werkstuk over zelfdoding") and not just after a "not" word ("nooit aan
        zelfmoord gedacht"): only then may the classifier speak alone."""
        for i, bits in enumerate(heard):
            if not bits & self.signal_mask:
                continue
            if any(h & self.ordinary for h in heard[max(0, i - BEFORE) : i + 7]):
                continue
            start = _back(heard, i, BEFORE, self.eos_bit, self.particle)  # "не искам да умра"
            if not any(h & self.negation for h in heard[start:i]):
                return True
        return False

    def probabilities(self, text: str) -> tuple[float, float]:
        """The classifier's probabilities alone (for the operator's `baken content crisis`)."""
        if self.model is None:
            return (0.0, 0.0)
        tokens = words(text, self.spelling, self.symbols, self.fillers)
        return self.model.probabilities(self.anchored(text), [t == EOS for t in tokens])[0]

    def anchored(self, text: str) -> list[list[str]]:
        """The classifier's features of ``text``, per word."""
        tokens = words(text, self.spelling, self.symbols, self.fillers)
        mask = (1 << self.concept_count) - 1
        concepts = [self.lexicon.bits(t) & mask for t in tokens]
        return features(tokens, concepts, self.names)

    def concepts_of(self, text: str) -> list[tuple[str, list[str]]]:
        """Each word as the detector reads it, with its concepts (for the operator)."""
        tokens = words(text, self.spelling, self.symbols, self.fillers)
        found = [t for t in tokens if t != EOS]
        heard = self._heard(tokens, [self.lexicon.bits(t) for t in tokens])
        return [(t, _names(h, self.names)) for t, h in zip(found, heard, strict=True)]


def decide(
    sure_rules: Mapping[str, str],
    hints: Mapping[str, str],
    probs: tuple[float, float],
    signal: bool,
    floors: tuple[float, float] | None = None,
) -> Verdict:
    """Combine the parts. A sure rule is sure. A possible rule is possible unless the
    classifier all but rules the kind out (below RULE_FLOOR). The classifier alone needs a
    signal concept in the message (a word about dying, hurting, danger ...): possible from
    POSSIBLE_AT, sure from SURE_AT."""
    sure = dict(sure_rules)
    possible: dict[str, str] = {}
    for kind, p, floor in zip(KINDS, probs, floors or probs, strict=True):
        # Once one kind is sure, a rule for the other kind needs no second opinion.
        if kind not in sure and kind in hints and (floor >= RULE_FLOOR or sure_rules):
            possible[kind] = f"{hints[kind]} (classifier p={floor:.2f})"
        if signal and p >= SURE_AT:
            sure.setdefault(kind, f"classifier p={p:.2f}")
        elif signal and p >= POSSIBLE_AT:
            possible.setdefault(kind, f"classifier p={p:.2f}")
    if sure:
        kinds = set(sure) | set(possible)
        reason = "; ".join(f"{k}: {sure.get(k) or possible[k]}" for k in KINDS if k in kinds)
        return Verdict("sure", kind_of(kinds), reason)
    if possible:
        reason = "; ".join(f"{k}: {possible[k]}" for k in KINDS if k in possible)
        return Verdict("possible", kind_of(possible), reason)
    return NO


def _laughing(rule: Rule, laugh: int) -> list[Rule]:
    """Laughing near a match ("lol", "haha", 😂) cancels danger rules and possible rules
    ("mn moeder vermoordt me haha", "im dead lol"); a sure suicide rule said laughing is
    still asked about ("ik wil dood lol" gets the check): a cry for help is often masked."""
    if not laugh:
        return [rule]
    cancelled = dataclasses.replace(rule, unless=rule.unless | laugh)
    if rule.kind == "danger" or rule.level != "sure":
        return [cancelled]
    return [cancelled, dataclasses.replace(rule, name=f"{rule.name} (laughing)", level="possible")]


def _bits(index: Mapping[str, int], names: Iterable[str]) -> int:
    out = 0
    for name in names:
        out |= index[name]
    return out


def _expand(kind: str) -> tuple[str, ...]:
    return KINDS if kind == "both" else (kind,)


# ------------------------------------------------------------------ building

_CACHE: dict[str, Detector] = {}


def training_set(content: Content) -> list[tuple[str, str]]:
    """(text, kind) for every training example, and every sure phrase as an example too."""
    rows: list[tuple[str, str]] = []
    for kind in KINDS:
        for phrases in getattr(content.crisis, kind).values():
            rows.extend((p, kind) for p in phrases)
    for examples in content.crisis_examples.values():
        for kind in (*KINDS, "both", "none"):
            rows.extend((t, kind) for t in getattr(examples.train, kind))
    return rows


def detector_for(content: Content) -> Detector:
    """The detector for this content: built once per digest of what it is made from."""
    concepts = content.crisis_concepts
    phrases = {k: getattr(content.crisis, k) for k in KINDS}
    rows = training_set(content)
    blob = json.dumps(
        [concepts.model_dump(mode="json"), phrases, rows], sort_keys=True, ensure_ascii=False
    )
    digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
    found = _CACHE.get(digest)
    if found is None:
        found = build(concepts, phrases, rows, digest)
        _CACHE.clear()  # one content at a time; a reload replaces it
        _CACHE[digest] = found
    return found


def build(
    concepts: CrisisConceptsFile,
    phrases: Mapping[str, Mapping[str, Sequence[str]]],
    rows: Sequence[tuple[str, str]],
    digest: str = "",
) -> Detector:
    """Compile the lexicon and rules, and train the classifier on ``rows``."""
    problems: list[tuple[str, tuple[str | int, ...], str]] = []
    spelling: dict[str, tuple[str, ...]] = {}
    for typed, meant in concepts.spelling.items():
        key = " ".join(Typed.of(typed).tokens)
        value = tuple(Typed.of(meant).tokens)
        if not key or key.count(" ") > 1 or not value:
            problems.append(("crisis-concepts", ("spelling", typed), "use one or two typed words"))
            continue
        spelling[key] = value
    fillers = frozenset(w for f in concepts.fillers for w in Typed.of(f).tokens)
    symbols: dict[int, str] = {}
    for symbol, meant in concepts.emoji.items():
        if len(symbol) != 1:
            problems.append(("crisis-concepts", ("emoji", symbol), "use one character"))
            continue
        symbols[ord(symbol)] = f" {meant} "
    names = list(concepts.concepts)
    concept_count = len(names)
    entries: dict[str, int] = {}
    for bit, (name, members) in enumerate(concepts.concepts.items()):
        for i, member in enumerate(members):
            norm = _norm_word(member)
            if not norm or " " in norm.rstrip("*"):
                problems.append(
                    ("crisis-concepts", ("concepts", name, i), f"'{member}' must be one word")
                )
                continue
            entries[norm] = entries.get(norm, 0) | 1 << bit
    rules: list[Rule] = []
    phrase_words: dict[str, int] = {}

    def word_bit(word: str) -> int:
        if word not in phrase_words:
            phrase_words[word] = len(names)
            names.append(f"={word}")
            entries[word] = entries.get(word, 0) | 1 << phrase_words[word]
        return 1 << phrase_words[word]

    index = {name: 1 << bit for bit, name in enumerate(concepts.concepts)}
    laugh = index.get("laugh", 0)
    ordinary = index.get("joke", 0) | index.get("game", 0)
    signal_ordinary = ordinary | laugh | index.get("past", 0) | index.get("chore", 0)
    negation = index.get("not", 0)
    for kind in KINDS:
        for lang, items in phrases[kind].items():
            for phrase in items:
                spelled = [w for w in words(phrase, spelling, symbols, fillers) if w != EOS]
                if not spelled:
                    continue
                need = tuple(word_bit(w) for w in spelled)
                # A "not" just before cancels ("i'm not going to hurt myself"), unless the
                # phrase says "not" itself ("ik wil niet meer leven").
                negated = any(entries.get(w, 0) & negation for w in spelled)
                rules.extend(
                    _laughing(
                        Rule(
                            f"phrase '{phrase}' ({lang})",
                            kind,
                            "sure",
                            need,
                            True,
                            len(need),
                            ordinary | (0 if negated else negation),
                            negation,
                            negation=negation,
                            eos=index.get("eos", 0),
                            particle=index.get("particle", 0),
                        ),
                        laugh,
                    )
                )
    for i, pattern in enumerate(concepts.patterns):
        needed = [c for item in pattern.all for c in re.split(r"[&|]", item)]
        unknown = [c for c in (*needed, *pattern.unless, *pattern.unless_far) if c not in index]
        if unknown:
            problems.append(
                ("crisis-concepts", ("patterns", i), f"unknown concept(s): {', '.join(unknown)}")
            )
            continue
        unless = _bits(index, pattern.unless)
        name = pattern.name or "+".join(pattern.all)
        # "a|b" is either concept: one rule per combination. "a&b": one word with both.
        choices = [item.split("|") for item in pattern.all]
        for combination in itertools.product(*choices):
            rules.extend(
                _laughing(
                    Rule(
                        f"pattern {name}",
                        pattern.kind,
                        pattern.level,
                        tuple(_bits(index, item.split("&")) for item in combination),
                        pattern.order,
                        pattern.window + WINDOW_SLACK,
                        unless,
                        after=pattern.after,
                        far=_bits(index, pattern.unless_far),
                        negation=negation,
                        eos=index.get("eos", 0),
                        particle=index.get("particle", 0),
                        gap=max(PHRASE_GAP, pattern.window + WINDOW_SLACK - len(combination)),
                    ),
                    laugh,
                )
            )
    # Sure rules first: once a kind is sure, its other sure rules need not run.
    rules.sort(key=lambda r: r.level != "sure")
    # Words of the examples, and the fillers, are real words: never read as a typo.
    known = {w for text, _ in rows for w in words(text, spelling, symbols, fillers)} | fillers
    lexicon = Lexicon.build(entries, known)
    signal_mask = 0
    for i, name in enumerate(concepts.signals):
        if name in index:
            signal_mask |= index[name]
        else:
            problems.append(("crisis-concepts", ("signals", i), f"unknown concept: {name}"))
    detector = Detector(
        spelling,
        lexicon,
        tuple(names),
        concept_count,
        tuple(rules),
        None,
        digest,
        signal_mask,
        signal_ordinary,
        index.get("eos", 0),
        negation,
        index.get("particle", 0),
        symbols,
        fillers,
        tuple(problems),
    )
    if rows:
        labelled = [(t, k) for t, k in rows]
        feats = [detector.anchored(t) for t, _ in labelled]
        labels = [
            (int(k in ("suicide", "both")), int(k in ("danger", "both"))) for _, k in labelled
        ]
        model = train(feats, labels)
        detector = dataclasses.replace(detector, model=model)
    return detector


# ------------------------------------------------------------------ evaluation


@dataclass(frozen=True, slots=True)
class Example:
    """One held-out example and where it is written."""

    lang: str
    kind: str  # suicide, danger, both, none
    index: int
    text: str


@dataclass(frozen=True)
class Report:
    """How the detector does on the held-out examples (never on training examples)."""

    caught: Mapping[tuple[str, str], tuple[int, int]]  # (lang, kind) -> (caught, total)
    false_alarms: Mapping[str, tuple[int, int]]  # lang -> (triggered, negatives)
    missed: tuple[tuple[Example, Verdict], ...]
    alarms: tuple[tuple[Example, Verdict], ...]
    outcomes: Mapping[str, int]  # sure / possible / no over held-out positives

    @property
    def false_alarm_rate(self) -> float:
        hit = sum(a for a, _ in self.false_alarms.values())
        total = sum(t for _, t in self.false_alarms.values())
        return hit / total if total else 0.0

    def ok(self) -> bool:
        rates = [a / t for a, t in self.false_alarms.values() if t]
        return not self.missed and all(r <= MAX_FALSE_ALARMS for r in rates)


MAX_FALSE_ALARMS = 0.02


def caught(example_kind: str, verdict: Verdict) -> bool:
    """A positive example is caught when the answer shows its number(s): 113 for suicide,
    112 for danger, both numbers for both."""
    if verdict.outcome == "no":
        return False
    return set(_expand(example_kind)) <= verdict.kinds


def heldout(content: Content) -> Iterator[Example]:
    for lang, examples in content.crisis_examples.items():
        for kind in (*KINDS, "both", "none"):
            for i, text in enumerate(getattr(examples.heldout, kind)):
                yield Example(lang, kind, i, text)


def evaluate(detector: Detector, examples: Iterable[Example]) -> Report:
    counts: dict[tuple[str, str], list[int]] = {}
    alarms_by_lang: dict[str, list[int]] = {}
    missed: list[tuple[Example, Verdict]] = []
    alarms: list[tuple[Example, Verdict]] = []
    outcomes = {"sure": 0, "possible": 0, "no": 0}
    for example in examples:
        verdict = detector.assess(example.text)
        if example.kind == "none":
            tally = alarms_by_lang.setdefault(example.lang, [0, 0])
            tally[1] += 1
            if verdict.outcome != "no":
                tally[0] += 1
                alarms.append((example, verdict))
            continue
        outcomes[verdict.outcome] += 1
        tally = counts.setdefault((example.lang, example.kind), [0, 0])
        tally[1] += 1
        if caught(example.kind, verdict):
            tally[0] += 1
        else:
            missed.append((example, verdict))
    return Report(
        {k: (v[0], v[1]) for k, v in sorted(counts.items())},
        {k: (v[0], v[1]) for k, v in sorted(alarms_by_lang.items())},
        tuple(missed),
        tuple(alarms),
        outcomes,
    )


def examples_file(lang: str) -> str:
    return f"phrases/crisis-examples/{lang}.yaml"


def check(content: Content, detector: Detector) -> tuple[Report, list[Problem]]:
    """Evaluate on the held-out examples; a problem (file:line) per miss, and for too many
    false alarms."""

    report = evaluate(detector, heldout(content))
    loc = content.locator
    problems: list[Problem] = []
    for example, verdict in report.missed:
        got = "nothing" if verdict.outcome == "no" else f"{verdict.outcome} {verdict.kind}"
        problems.append(
            loc.problem(
                examples_file(example.lang),
                ("heldout", example.kind, example.index),
                f"missed must-catch {example.kind} example (got {got}): {example.text!r}",
            )
        )
    for lang, (hit, total) in report.false_alarms.items():
        if total and hit / total > MAX_FALSE_ALARMS:
            problems.append(
                loc.problem(
                    examples_file(lang),
                    ("heldout", "none"),
                    f"{hit} of {total} held-out 'none' examples ({hit / total:.1%}) trigger a "
                    f"crisis answer; at most {MAX_FALSE_ALARMS:.0%} may",
                )
            )
            for example, verdict in report.alarms:
                if example.lang == lang:
                    problems.append(
                        loc.problem(
                            examples_file(lang),
                            ("heldout", "none", example.index),
                            f"false alarm ({verdict.outcome} {verdict.kind}, "
                            f"{verdict.reason}): {example.text!r}",
                        )
                    )
    return report, problems


def lint_crisis(content: Content) -> list[Problem]:
    """Load-time problems of the concepts file (unknown concepts, multi-word entries)."""
    detector = detector_for(content)
    out: list[Problem] = []
    for _, path, message in detector.problems:
        out.append(content.locator.problem("phrases/crisis-concepts.yaml", path, message))
    for lang in content.languages:
        if lang not in content.crisis_examples:
            out.append(
                Problem(
                    content.locator.display.get(examples_file(lang), examples_file(lang)),
                    None,
                    f"no crisis examples for '{lang}'",
                    "warning",
                )
            )
    return out


def describe(report: Report) -> list[str]:
    """The report as lines for `baken content check`."""
    lines = ["crisis detector, held-out examples (never trained on):"]
    for (lang, kind), (hit, total) in report.caught.items():
        lines.append(f"  recall {lang} {kind:8} {hit}/{total} = {hit / total:.1%}")
    for lang, (hit, total) in report.false_alarms.items():
        lines.append(f"  false alarms {lang}: {hit}/{total} = {hit / total:.1%}")
    o = report.outcomes
    lines.append(f"  positives answered: sure {o['sure']}, possible {o['possible']}, no {o['no']}")
    return lines
