"""The lexicon: which concepts a typed word may stand for.

A concept is a named group of words that mean the same thing to a reader ("want",
"die", "passport", "boss"), in every language at once. A word matches a concept
exactly, by stem (``vermoord*``), with an Arabic prefix read off (والقتل -> قتل), by an
ending written onto it (``*ني``), or with a typo or two in longer words. Concepts are
bits of an int, so a reader asks "does this message hold all of these?" with one AND.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Only a word of these lengths is looked for as a typo (shorter words are too often other
# words; a longer one is no word): the lexicon keeps what that needs, and nothing more.
TYPO_SHORTEST = 5
TYPO_LONGEST = 30


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

_LONGEST_ENDING = max(map(len, _ENDINGS))

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


def _near_key(first: str, other: str, length: int, head: int) -> int:
    """A key of :attr:`Lexicon.near` as one int (smaller than a tuple and a string): the
    first letter, then the second (head 0), the last (head 1) or no other letter (head 2),
    the length (words longer than any typed word share one key) and the head."""
    return (ord(first) << 21 | (ord(other) if other else 0)) << 10 | min(length, 255) << 2 | head


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
    # :func:`_near_key` -> the words a typo may stand for: a typed word is compared with the
    # words of its own first letter and a length within their tolerance of its own (one
    # typo: one letter more or less). A word that allows one typo is kept twice, under its
    # first two letters and under its first and last letter: one slip in a word of five
    # letters or more leaves the one or the other as it was (see :meth:`_typo_of`); a word
    # that allows two is kept under its first letter. (An index of every deletion variant
    # answered the same but took seconds to build and tens of MB.)
    near: Mapping[int, tuple[str, ...]]
    fuzzy: Mapping[str, int]  # words and stem forms that a typo may stand for (those in near)
    # words seen in the examples: real words, not typos (only those of a length that is
    # looked for as a typo: TYPO_SHORTEST to TYPO_LONGEST letters)
    known: frozenset[str] = frozenset()
    endings: tuple[tuple[str, int], ...] = ()  # (ending, bits): "*ني" is every word ending so
    # Concepts that give way in a typo: a slip that could be a word of these or a word of
    # another concept is read as the other ("powieisc" is "powiesic", not "powiesc").
    yields: int = 0

    @classmethod
    def build(
        cls, entries: Mapping[str, int], known: Iterable[str] = (), yields: int = 0
    ) -> Lexicon:
        exact: dict[str, int] = {}
        stems: dict[str, list[tuple[str, int]]] = {}
        long_stems: dict[str, list[tuple[str, int]]] = {}  # by first letter, for typos
        near: dict[int, list[str]] = {}
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
        typos: dict[str, int] = {}  # the words of fuzzy a typo is looked for in
        for word, bits in fuzzy.items():
            tol = _tolerance(word) if word in exact else min(1, _tolerance(word))
            if not tol:
                continue
            typos[word] = bits
            # _near_key written out (it is called for every word: a warm start waits)
            start, length = ord(word[0]) << 21, min(len(word), 255) << 2
            if tol == 1:
                near.setdefault((start | ord(word[1])) << 10 | length, []).append(word)
                near.setdefault((start | ord(word[-1])) << 10 | length | 1, []).append(word)
            else:
                near.setdefault(start << 10 | length | 2, []).append(word)
        for first, entries_ in long_stems.items():
            stems.setdefault(first, []).extend(entries_)
        return cls(
            exact,
            {k: tuple(v) for k, v in stems.items()},
            {k: tuple(sorted(v)) for k, v in near.items()},
            typos,
            frozenset(
                w for w in known if TYPO_SHORTEST <= len(w) <= TYPO_LONGEST and w not in exact
            ),
            tuple(endings),
            yields,
        )

    @functools.cached_property
    def _ends(self) -> tuple[str, ...]:
        return tuple(end for end, _ in self.endings)

    def bits(self, token: str) -> int:
        """The concepts ``token`` may stand for (0 when none)."""
        ending = 0
        if token.endswith(self._ends):  # most words have none of the endings: one call
            for end, bits in self.endings:
                # Arabic writes "me" onto the verb: يقتلني, بيضربوني, yqtlouni.
                if token.endswith(end) and len(token) >= len(end) + 3:
                    ending |= bits
        return self._bits(token) | ending

    def bits_each(self, tokens: Iterable[str]) -> list[int]:
        """:meth:`bits` of each token; a word repeated in the message is looked up once
        (the memo lives for this call only)."""
        seen: dict[str, int] = {}
        out: list[int] = []
        for token in tokens:
            found = seen.get(token)
            if found is None:
                found = seen[token] = self.bits(token)
            out.append(found)
        return out

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
        if found or not TYPO_SHORTEST <= len(token) <= TYPO_LONGEST or token in self.known:
            return found
        giving = 0
        # A stem of another length leaves no ending of _ENDINGS after any of the cuts below.
        shortest, longest = len(token) - _LONGEST_ENDING - 1, len(token) + 1
        for stem, bits in self.stems.get(token[:1], ()):
            # A typo in an inflected word ("ovreleef"): the stem with one slip, then an ending.
            size = len(stem)
            if size < shortest or size > longest:
                continue
            for cut in (size - 1, size, size + 1):
                if token[cut:] in _ENDINGS and OSA.distance(token[:cut], stem, score_cutoff=1) <= 1:
                    if bits & ~self.yields:
                        found |= bits
                    else:
                        giving |= bits
                    break
        typo, typo_giving = self._typo_of(token)
        return (found | typo) or giving | typo_giving

    def _typo_of(self, token: str) -> tuple[int, int]:
        """The concepts of the lexicon words ``token`` is a typo of: same first letter, at
        most the word's tolerance apart (OSA), and a deletion variant in common (the token's
        up to two deletions from 8 letters, else one; the word's up to its tolerance): those
        of words that mean something, and those of words of concepts that give way."""
        found = giving = 0
        mine: set[str] | None = None
        size = len(token)
        # One slip (substitution, insertion, deletion, two letters swapped) in a word of
        # five letters or more (a token that gets here has them) touches none of its first
        # two letters, or else only some of its first three: the word then starts with the
        # token's first two letters, or it ends with its last letter (the first is the same
        # in any case). Lengths further apart than a word's tolerance are more typos than
        # it allows.
        get = self.near.get
        first = token[0]
        second = _near_key(first, token[1], 0, 0)
        last = _near_key(first, token[-1], 0, 1)
        alone = _near_key(first, "", 0, 2)
        one: tuple[str, ...] = ()  # words that allow one typo, a word maybe twice
        for length in range(size - 1, size + 2):
            one += get(second | length << 2, ()) + get(last | length << 2, ())
        two: tuple[str, ...] = ()
        for length in range(size - 2, size + 3):
            two += get(alone | length << 2, ())
        for tol, bucket in ((1, one), (2, two)):
            if not bucket:
                continue
            hits = process.extract(token, bucket, scorer=OSA.distance, score_cutoff=tol, limit=None)
            for word, _, _ in hits:
                if mine is None:
                    mine = _deletes(token, 2 if size >= 8 else 1)
                if not mine.isdisjoint(_deletes(word, tol)):
                    bits = self.fuzzy[word]
                    if bits & ~self.yields:
                        found |= bits
                    else:
                        giving |= bits
        return found, giving


def names_of(bits: int, names: Sequence[str]) -> list[str]:
    """The names of the concepts in ``bits``, lowest bit first."""
    out = []
    while bits:
        low = bits & -bits
        out.append(names[low.bit_length() - 1])
        bits ^= low
    return out


def bits_of(index: Mapping[str, int], names: Iterable[str]) -> int:
    """The bits of these concept names (each must be in ``index``)."""
    out = 0
    for name in names:
        out |= index[name]
    return out
