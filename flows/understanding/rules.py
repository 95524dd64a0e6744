"""Rules: phrases (words in order) and concept patterns (concepts within a window).

A rule names, per word it needs, the concept bits that word must have; it matches in
order with small gaps (a phrase) or in any order within a window (a pattern), unless a
cancelling concept is near: a "not" just before ("ik wil niet dood"), an ordinary context
("dood van het lachen"), or a far-reaching one ("dat is voorbij"). The same rules serve
the crisis detector (kind: suicide/danger/both) and the situation reader (kind: an option
code such as ``sig_boss``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flows.understanding.words import EOS

PHRASE_GAP = 2  # other words allowed between two words of a phrase
WINDOW_SLACK = 1  # one more word than a pattern's window says: room for a filler ("echt")
UNLESS_AFTER = 3  # words after a rule's match where an `unless` concept still cancels it
UNLESS_BEFORE = 2  # and words before it
FAR_BEFORE = 4  # `unless_far` concepts (it is over, I am safe now) reach further
FAR_AFTER = 10


def heard_of(tokens: Sequence[str], bits: Sequence[int], eos: int) -> list[int]:
    """Concept bits per word, as rules read them: the end-of-sentence words dropped, and
    the last word of each sentence given the concept ``eos`` instead."""
    heard: list[int] = []
    for token, b in zip(tokens, bits, strict=True):
        if token == EOS:
            if heard:
                heard[-1] |= eos
        else:
            heard.append(b)
    return heard


def full_stops(tokens: Sequence[str], flags: Sequence[bool]) -> list[int]:
    """Per heard word (as :func:`heard_of` gives them), how many full stops come before it;
    ``flags`` has one flag per EOS in ``tokens`` (``words(..., stops=flags)``)."""
    counts: list[int] = []
    seen = 0
    k = 0
    for token in tokens:
        if token == EOS:
            seen += flags[k] if k < len(flags) else 1
            k += 1
        else:
            counts.append(seen)
    return counts


def anchored_on(anchors: Mapping[int, Sequence[int]], present: int) -> list[int]:
    """The indexes of the rules anchored on a concept bit of ``present`` (and of those under
    0, which need none), in rule order: a reader looks only at these, a dozen of hundreds."""
    chosen = list(anchors.get(0, ()))
    rest = present
    while rest:
        low = rest & -rest
        found = anchors.get(low)
        if found:
            chosen.extend(found)
        rest ^= low
    chosen.sort()
    return chosen


def _positions(heard: Sequence[int], bit: int, where: dict[int, list[int]]) -> list[int]:
    found = where.get(bit)
    if found is None:
        found = where[bit] = [i for i, h in enumerate(heard) if h & bit == bit]
    return found


def look_back(heard: Sequence[int], first: int, reach: int, eos: int, particle: int = 0) -> int:
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
    kind: str  # crisis: suicide, danger or both; situation: an option code
    level: str  # crisis: sure or possible; situation: sure
    need: tuple[int, ...]  # per required word: the concept bits it must all have
    ordered: bool
    window: int
    unless: int  # concept bits that cancel the match
    gap_block: int = 0  # concept bits that may not be among the words between a phrase's words
    after: int = UNLESS_AFTER  # how many words after the match an `unless` concept still cancels
    far: int = 0  # concept bits that cancel further away, unless "not" comes just before them
    negation: int = 0  # the concept `not`
    particle: int = 0  # the concept `particle`: passed over when looking back for a "not"
    eos: int = 0  # the concept `eos`: cancelling words before a match stay in its sentence
    gap: int = PHRASE_GAP  # in order: other words allowed between two of its words
    before: int = UNLESS_BEFORE  # words before the match where a "not" still cancels it
    unless_before: int = UNLESS_BEFORE  # words before the match where `unless` cancels it
    # A pattern's concepts must stand in one sentence: in a long post "i feel numb. i just
    # want things to be normal" is not "want out", and "cant focus on anything" ends where
    # the next sentence starts.
    one_sentence: bool = False
    lang: str = ""  # a pattern of one language's words: only where the message looks like it
    mask: int = field(init=False)  # every concept it needs, ORed: one AND says "all present?"

    def __post_init__(self) -> None:
        out = 0
        for bit in self.need:
            out |= bit
        object.__setattr__(self, "mask", out)

    def matches(self, heard: Sequence[int], present: int) -> bool:
        if present & self.mask != self.mask:
            return False
        return self.found(heard, {})

    def found(
        self, heard: Sequence[int], where: dict[int, list[int]], stops: Sequence[int] = ()
    ) -> bool:
        """Whether the rule matches; the caller has checked that every concept occurs.
        ``where`` caches, for this message, the positions of each concept. ``stops``: per
        word, how many full stops come before it (:func:`full_stops`); without it a pattern
        may reach over a full stop."""
        if self.ordered:
            return self._in_order(heard, _positions(heard, self.need[0], where))
        return self._in_window(heard, [_positions(heard, bit, where) for bit in self.need], stops)

    def _cancelled(self, heard: Sequence[int], first: int, last: int) -> bool:
        outer = self.unless & ~self.negation
        reach = heard[max(0, first - self.unless_before) : last + self.after + 1]
        if outer and any(h & outer for h in reach):
            return True
        start = look_back(heard, first, self.before, self.eos, self.particle)
        # A "not" word cancels only before or inside the match: "ik wil niet dood" and "nooit
        # aan zelfmoord gedacht", but not "ik wil dood, niet normaal meer".
        if self.unless & self.negation and any(h & self.negation for h in heard[start : last + 1]):
            return True
        if self.far:
            end = min(len(heard), last + FAR_AFTER + 1)
            for i in range(look_back(heard, first, FAR_BEFORE, self.eos), end):
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

    def _in_window(
        self, heard: Sequence[int], positions: Sequence[Sequence[int]], stops: Sequence[int]
    ) -> bool:
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
            if ok and self.one_sentence and stops and stops[last] != stops[start]:
                continue
            if ok and not self._cancelled(heard, start, last):
                return True
        return False
