"""Words: a typed message as normalised words, the first step of every reader.

Contractions and youth spelling are written out ("k wil" -> "ik wil"), repeated letters
folded ("jaaa"), look-alike digits read as letters in ASCII text, invisible characters
dropped, and an end-of-sentence word (:data:`EOS`) put after every sentence so that a
reader can tell "ik kan niet meer." from "ik kan niet meer wachten". Pure; the text lives
for one call only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence, Set

from flows.match import CharTable, Typed, normalise

MAX_WORDS = 1200  # far more words than any one chat message holds
MAX_CHARS = 16_384  # far longer than any one chat message a channel delivers

_REPEATS = re.compile(r"([a-z])\1+")
_LETTERS = re.compile(r"[a-z]+")
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


_APOSTROPHE = re.compile(r"['’‘`´]")  # every contraction above has one


def _visible(ch: str) -> str:
    """Format characters and combining marks dropped, anything else kept."""
    return "" if unicodedata.category(ch) in ("Cf", "Mn") else ch


_INVISIBLE = CharTable(_visible)

EOS = "⏎"  # a word of its own after each sentence: the concept `eos` (can never be typed)
_SENTENCE = re.compile(r"[.!?;:,\n،؛؟]+")  # also the Arabic comma, semicolon and question mark
_FULL_STOP = re.compile(r"[.!?\n؟]")  # a sentence ends there; a comma or a colon only a clause


def words(
    text: str,
    spelling: Mapping[str, tuple[str, ...]],
    symbols: Mapping[int, str] | None = None,
    fillers: frozenset[str] = frozenset(),
    ignore: frozenset[str] = frozenset(),
    *,
    digits: bool = False,
    stops: list[bool] | None = None,
    firsts: Set[str] | None = None,
) -> list[str]:
    """The message as normalised words, contractions and youth spelling written out, with
    EOS after each sentence ("ik kan niet meer." ends there; "ik kan niet meer wachten" not).
    ``symbols`` reads emoji as words (😂 as "lol"), before they are dropped. Words in
    ``ignore`` (swear words, intensifiers: "fucking", "kanker", "letterlijk", "kurwa") are
    read as if they were not there, after spelling, so "ik wil echt kanker graag dood"
    reads as "ik wil graag dood". ``digits``: numbers stay numbers ("12 uur"); else digits
    are read as the letters they look like ("k1ll"), as the crisis detector reads them.
    ``stops``, when given, gets one flag per EOS: whether a full stop (. ! ? or a new line)
    ended that part rather than a comma, a colon or a semicolon. ``firsts``, when given:
    the first words of the two-word keys of ``spelling`` (:func:`first_words`), so that
    other words are not looked up as the start of a pair."""
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
    if symbols:
        text = text.translate(symbols)
    if not text.isascii():  # invisible characters would split "don\u200b't"
        text = text.translate(_INVISIBLE)
    lowered = _REPEATS.sub(r"\1", text.casefold())
    if _APOSTROPHE.search(lowered):
        for pattern, replacement in _CONTRACTIONS:
            lowered = pattern.sub(replacement, lowered)
    out: list[str] = []
    plain = lowered.isascii()
    marks = _SENTENCE.findall(lowered) if stops is not None else []
    for part, sentence in enumerate(_SENTENCE.split(lowered)):
        tokens: Sequence[str]
        if digits:
            tokens = normalise(sentence).split()
        else:
            tokens = ascii_words(sentence) if plain else Typed.of(sentence).tokens
        if not tokens:
            continue
        count = len(tokens)
        skip = 0
        for j, token in enumerate(tokens):
            if skip:
                skip -= 1
                continue
            if j + 1 < count and (firsts is None or token in firsts):
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
            meant = spelling.get(token)
            if meant is None:
                if token not in ignore:
                    out.append(token)
            else:
                out.extend(w for w in meant if w not in ignore)
        out.append(EOS)
        if stops is not None:
            stops.append(part >= len(marks) or bool(_FULL_STOP.search(marks[part])))
        if len(out) >= MAX_WORDS:
            break
    return out


def first_words(spelling: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    """The first words of the two-word keys of ``spelling`` (see :func:`words`)."""
    return frozenset(key.split(" ", 1)[0] for key in spelling if " " in key)


_NON_WORD = re.compile(r"[^a-z0-9]+")
_ANY_DIGIT = re.compile(r"[0-9]")
_LOOKALIKE = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)


def ascii_words(text: str) -> list[str]:
    """``Typed.of(text).tokens`` for lowercase ASCII text, without a loop per character."""
    text = _REPEATS.sub(r"\1", _NON_WORD.sub(" ", text))
    if not _ANY_DIGIT.search(text):  # no look-alike left to read: the second pass is the same
        return text.split()
    return _REPEATS.sub(r"\1", _NON_WORD.sub(" ", text.translate(_LOOKALIKE))).split()


def norm_word(word: str, *, digits: bool = False) -> str:
    """A lexicon word as a reader sees typed words (a leading or trailing * is kept);
    ``digits`` as in :func:`words`."""
    star = word.endswith("*")
    front = word.startswith("*") and not star
    bare = word.strip("*")
    if _LETTERS.fullmatch(bare):  # most lexicon words: only repeats to fold, sooner
        folded: Sequence[str] = [_REPEATS.sub(r"\1", bare)]
    else:
        folded = normalise(bare).split() if digits else Typed.of(bare).tokens
    if not folded:
        return ""
    return ("*" if front else "") + " ".join(folded) + ("*" if star else "")
