"""The situation reader: what a story typed in one's own words says, as option codes.

People describe their situation the way they would to a person ("mijn vriendje wil dat ik
met zijn vrienden naar bed ga"). The reader turns such a message into the codes of the
flow's options: the signals of the multiple-choice questions (``sig_sex``, ``sig_boss``,
...), who it is about (``self``, ``other``, ``pro``) and an age band (``u16``,
``age16_17``, ``age18_23``, ``older``). Three parts, as in the crisis detector:

1. **Concept patterns** (``phrases/situation-concepts.yaml``): words are read as concepts
   in every language at once (``passport``, ``boss``, ``keep``); a pattern names concepts
   that together state an option, within a window of words. A match is *sure*.
2. **A classifier** trained on ``phrases/situation-examples/<lang>.yaml`` (only ``train``):
   logistic regression per option over words, word pairs and concepts (no character
   n-grams: too few stories for them), scored sentence by sentence (a long story is read in
   parts, so one clear sentence counts however much else is around it). From TICK_AT it
   ticks, from ASK_AT it only suggests ("Bedoel je ...?").
3. **Ages** from a number next to an age word of the language ("ik ben 15", "mijn zus van
   14", "mam 17 lat"), or written onto it ("15j", "17yo").

Nothing typed is kept: the text lives for one call, and a :class:`Reading` holds codes and
the names of the rules that decided, never words.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import add, sub
from typing import TYPE_CHECKING, Any

from flows.match import Typed, normalise
from flows.schema import AGE_BANDS, ROLES
from flows.understanding.classifier import (
    context_features,
    features,
    known_words,
    sigmoid,
    train,
)
from flows.understanding.lexicon import Lexicon, bits_of, names_of
from flows.understanding.rules import PHRASE_GAP, WINDOW_SLACK, Rule, anchored_on, heard_of
from flows.understanding.words import EOS, first_words, norm_word, words

if TYPE_CHECKING:
    from flows.content import Content

# The classifier's regularisation (scikit-learn's C; the crisis classifier keeps 1.0). Five-fold
# cross-validation on the train stories (tests/sealed/crossval.py, 2026-12-07): C 1 -> 79.7 %
# (92.3 %), C 4 -> 80.5 % (92.4 %), C 4 with ordered concept pairs -> 80.4 % (93.0 %).
# It, ORDERED_PAIRS and WEIGHT_KEPT are part of :func:`sources` (the cache's digest): a change
# of one is a new reader, never a cached one of the old settings.
SITUATION_C = 4.0
# Concept pairs in the order the words come ("he pays me" is not "I pay him"): the features the
# classifier is trained on and scored with (:func:`flows.understanding.classifier.features`).
ORDERED_PAIRS = True

# Chosen by 5-fold cross-validation on the training stories only (never the held-out ones):
# ticks must be right far more often than not; "did you mean" may be wrong now and then.
TICK_AT = 0.9  # the classifier ticks an option from this probability
ASK_AT = 0.5  # and offers it under "Bedoel je ...?" from this one
RULE_FLOOR = 0.3  # a pattern ticks unless the classifier gives its option less (held-out, round 3)
# "About me" from a first-person pattern ("mijn vriendje wil dat ik ...") the classifier
# gives less than RULE_FLOOR still counts when nothing else names who (round 5): the
# classifier's who is weak (many stories state no who), unless it leans to another person
# (from ASK_AT: "ik werk in een dagcentrum voor tieners"); under this floor it stays unset.
SELF_FLOOR = 0.1
SELF = "self"
# Who a story is about when patterns name more than one: the higher wins (round 4).
ROLE_ORDER = {"pro": 3, "other": 2, "self": 1}
MIN_WORDS = 3  # the classifier reads messages of at least this many words ("nee" is no story)
SPAN = 20  # words per part of a long sentence (parts overlap by half)
WHOLE = 40  # a message up to this many words is also read as a whole
MAX_MAYBE = 3  # candidates under "Bedoel je ...?"
THEIRS_BACK = 3  # "mijn vriendje (hij is 21)": words looked back for whose age a number is
NOT_BEFORE = 4  # "niemand dwingt me om drugs te brengen": a "not" this far back still counts
WEIGHT_KEPT = 0.01  # smaller weights change no tick: left out of the scoring table
SIGNAL_PREFIX = "sig_"
ABOUT_PREFIX = "about_"
BLOCK_PREFIX = "no:"  # a pattern that `blocks` fires as "no:sig_care": that option is not ticked


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says, as codes: sure options, and options it is unsure about."""

    options: tuple[str, ...] = ()  # ticked: signals, who it is about, an age band
    maybe: tuple[str, ...] = ()  # signals it is unsure about, best first (at most 3)
    reasons: Mapping[str, str] = field(default_factory=dict)  # code -> rule or model

    def __bool__(self) -> bool:
        return bool(self.options or self.maybe)

    @property
    def signals(self) -> tuple[str, ...]:
        return tuple(o for o in self.options if o.startswith(SIGNAL_PREFIX))

    @property
    def about(self) -> str | None:
        return next((o for o in self.options if o in ROLES), None)

    @property
    def age(self) -> str | None:
        return next((o for o in self.options if o in AGE_BANDS), None)


NOTHING = Reading()


# ------------------------------------------------------------------ ages

_NUMBER = re.compile(r"(?<![\d.,:/%٪])(\d{1,2})(?![^\W\d_]*\s*[%٪])([^\W\d_]{0,4})(?![\d.,:/]*\d)")
# A number written with a percent or currency sign, before or after it ("10%", "£20", "€ 20",
# "20 €"): a share or a sum, not an age (that place only: "he keeps 15% and im 15" is 15).
_SIGN = "%٪€£$₴₽"
_SIGNED = re.compile(
    rf"[{_SIGN}]\s?(\d{{1,2}})(?![\d.,]*\d)|(?<![\d.,])(\d{{1,2}})\s?[{_SIGN}](?!\s?\d)"
)
_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_AGE_SUFFIXES = frozenset(
    {"j", "jr", "jaar", "y", "yo", "yr", "yrs", "l", "lat", "ani", "г", "год", "р", "рок"}
)


def band(age: int) -> str:
    """The flow's age option for an age in years."""
    if age < 16:
        return "u16"
    if age < 18:
        return "age16_17"
    if age <= 23:
        return "age18_23"
    return "older"


def age_of(
    text: str,
    age_words: frozenset[str],
    not_ages: frozenset[str] = frozenset(),
    their_ages: frozenset[str] = frozenset(),
    my_ages: frozenset[str] = frozenset(),
    about: str | None = None,
    not_ages_before: frozenset[str] = frozenset(),
) -> str | None:
    """The age band a message states: a number from 8 to 99 written with an age word of
    the language just before or after it ("ik ben 15", "15 jaar", "van 14", "عمري 15"),
    and no word that makes it something else ("van 10 tot 22 uur", "15 euro"), nor the age
    of someone the story is not about ("mijn vriendje van 21", "her boyfriend is 30").

    Two ages in one story ("ik ben 15 en hij is 30", "mijn zusje is 14 en gaat met
    jongens van 20"): the writer's own (a number right after one of ``my_ages``: "ik ben",
    "mam", "عمري") when the story is about the writer, and else the youngest of the others
    (the writer's own left out when it is about someone else, ``about``): a story names
    the older men around a young person, rarely the other way round."""
    text = text.translate(_ARABIC_DIGITS).casefold()
    if not _DIGIT.search(text):
        return None
    words = list(_WORD.finditer(text))
    tokens = [w.group() for w in words]
    # Where each number stands, found once (a long story has many numbers, each read once);
    # not where it is written with a sign: "he pays me 20 a day, i owe my mate £20".
    signed = {m.start(1) if m.group(1) else m.start(2) for m in _SIGNED.finditer(text)}
    places: dict[str, list[int]] = {}
    for i, w in enumerate(words):
        if tokens[i].isdecimal() and w.start() not in signed:
            places.setdefault(tokens[i], []).append(i)
    found: list[tuple[str, bool]] = []  # (band, whether it is the writer's own)
    judged: set[str] = set()
    for match in _NUMBER.finditer(text):
        number, suffix = int(match.group(1)), match.group(2)
        if not 8 <= number <= 99:
            continue
        if suffix and suffix in _AGE_SUFFIXES:
            found.append((band(number), False))
            continue
        if suffix or match.group(1) in judged:
            continue  # "12u", "15e"; or the same number again: every place is judged once
        judged.add(match.group(1))
        for i in places.get(match.group(1), ()):
            near = tokens[max(0, i - 2) : i] + tokens[i + 1 : i + 3]
            # A word that makes it something else ("acum 2 ani", "15 euro", "tot ik 18 ben")
            # does not count two before when the writer's own age comes between: "acum am 17
            # ani" (now I am 17) is an age. A word of `not_ages_before` counts only before
            # it: "от 10 години" is how long, "момче на 14 от отбора" an age. Right after
            # the writer's "I am" it is never a boyfriend's: "my bf is 22 and im 15".
            mine_before = i > 0 and tokens[i - 1] in my_ages
            before = tokens[max(0, i - (1 if mine_before else 2)) : i]
            if (
                any(t in age_words for t in near)
                and not any(t in not_ages or t in not_ages_before for t in before)
                and not any(t in not_ages for t in tokens[i + 1 : i + 3])
                and (mine_before or not _theirs(tokens, i, age_words, their_ages))
            ):
                # the writer's own: "ik ben 15", not "mijn mam is 40"
                found.append((band(number), mine_before))
    if len({b for b, _ in found}) <= 1:
        return found[0][0] if found else None
    mine = [b for b, own in found if own]
    if about == SELF or (about is None and mine):
        pool = mine or [b for b, _ in found]
    else:
        pool = [b for b, own in found if not own]
    return min(pool, key=AGE_BANDS.index) if pool else None


def _words_of(per_lang: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """Every word of every language's phrases, as an age is read ("ik ben" -> ik, ben)."""
    return frozenset(
        w for phrases in per_lang.values() for p in phrases for w in _WORD.findall(p.casefold())
    )


def _theirs(
    tokens: Sequence[str], at: int, age_words: frozenset[str], their_ages: frozenset[str]
) -> bool:
    """Whether the number at ``at`` is the age of a boyfriend, boss or the man: one of
    ``their_ages`` within the THEIRS_BACK words before it, age words not counted ("гаджето
    ми е на 23", "prietenul meu de 25")."""
    seen = 0
    for token in reversed(tokens[max(0, at - 3 * THEIRS_BACK) : at]):
        if token in their_ages:
            return True
        if token not in age_words:
            seen += 1
            if seen == THEIRS_BACK:
                return False
    return False


# ------------------------------------------------------------------ reader


@dataclass(frozen=True)
class Reader:
    """Reads one message into a :class:`Reading`. Built once per content; immutable."""

    spelling: Mapping[str, tuple[str, ...]]
    symbols: Mapping[int, str]
    fillers: frozenset[str]
    lexicon: Lexicon
    names: tuple[str, ...]  # concept names by bit
    rules: tuple[Rule, ...]  # kind: the code a match states
    labels: tuple[str, ...]  # the classifier's codes, in order
    # feature -> its weight per label, 0.0 where it has none: one compact array of 32-bit
    # floats per feature (smaller than index and weight arrays, and summed in C; the cache
    # keeps six decimals, which a 32-bit float holds: the same ticks on every example)
    weights: Mapping[str, array[float]]
    intercept: tuple[float, ...]
    age_words: frozenset[str]
    not_ages: frozenset[str] = frozenset()
    eos_bit: int = 0
    problems: tuple[tuple[str, tuple[str | int, ...], str], ...] = ()
    their_ages: frozenset[str] = frozenset()
    my_ages: frozenset[str] = frozenset()
    not_ages_before: frozenset[str] = frozenset()
    # concept names, rarest in the training stories first: each rule is looked at only when
    # its rarest concept is in the message (see :func:`anchored`)
    rare: tuple[str, ...] = ()
    # concept bit -> indexes of the rules anchored on it, in rule order
    anchors: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @functools.cached_property
    def firsts(self) -> frozenset[str]:
        """The first words of two-word spellings (see :func:`words`)."""
        return first_words(self.spelling)

    def read(self, text: str) -> Reading:
        """What ``text`` says. Never raises; keeps nothing of the text."""
        fired, probs, _ = self.evidence(text)
        reading = decide(fired, probs, None, self.labels)
        age = age_of(
            text,
            self.age_words,
            self.not_ages,
            self.their_ages,
            self.my_ages,
            reading.about,
            self.not_ages_before,
        )
        return reading if age is None else decide(fired, probs, age, self.labels)

    def evidence(self, text: str) -> tuple[dict[str, str], dict[str, float], int]:
        """What each part found: rules that fired (code -> rule name), the classifier's
        probability per code, and the number of words."""
        tokens = words(
            text, self.spelling, self.symbols, self.fillers, digits=True, firsts=self.firsts
        )
        count = len(tokens) - tokens.count(EOS)
        if not count:
            return {}, {}, 0
        per_token = self.lexicon.bits_each(tokens)
        heard = heard_of(tokens, per_token, self.eos_bit)
        present = 0
        for bits in heard:
            present |= bits
        fired: dict[str, str] = {}
        where: dict[int, list[int]] = {}
        rules = self.rules
        anchors = self.anchors
        if anchors:
            # Only the rules whose rarest concept is here, in rule order (the first rule of
            # a code that matches names it): a few dozen of some 650.
            chosen: Iterable[Rule] = [rules[i] for i in anchored_on(anchors, present)]
        else:
            chosen = rules
        for rule in chosen:
            if rule.kind in fired or present & rule.mask != rule.mask:
                continue
            if rule.found(heard, where):
                fired[rule.kind] = rule.name
        probs: dict[str, float] = {}
        if self.intercept and count >= MIN_WORDS:
            probs = self._probabilities(tokens, per_token)
        return fired, probs, count

    def _probabilities(self, tokens: Sequence[str], per_token: Sequence[int]) -> dict[str, float]:
        """The highest probability of each code over the message's parts."""
        mask = (1 << len(self.names)) - 1
        concepts = [b & mask for b in per_token]
        size = len(self.intercept)
        weight_of = self.weights.get
        # Running sums per code after each word: a part's sum is two look-ups per code.
        # Adding 0.0 for a code a feature has no weight for changes no sum.
        # The features of :func:`features` (``chars=False, ordered=ORDERED_PAIRS``), in the same
        # order, each looked up as it is made.
        names = self.names
        named: dict[int, list[str]] = {}  # lives for this call only
        running = [0.0] * size
        prefix = [running]
        for i, token in enumerate(tokens):
            row = weight_of(f"w:{token}")
            if row is not None:
                running = list(map(add, running, row))
            for row in map(
                weight_of,
                context_features(tokens, concepts, names, i, named, ordered=ORDERED_PAIRS),
            ):
                if row is not None:
                    running = list(map(add, running, row))
            prefix.append(running)
        best = [-1e9] * size
        for lo, hi in _spans(tokens):
            # max() keeps the best so far unless a part's sum is higher, as `>` did.
            best = list(map(max, best, map(sub, prefix[hi], prefix[lo])))
        return {label: sigmoid(best[i] + self.intercept[i]) for i, label in enumerate(self.labels)}

    def concepts_of(self, text: str) -> list[tuple[str, list[str]]]:
        """Each word as the reader sees it, with its concepts (for the operator)."""
        tokens = [
            t
            for t in words(text, self.spelling, self.symbols, self.fillers, digits=True)
            if t != EOS
        ]
        return [(t, names_of(self.lexicon.bits(t), self.names)) for t in tokens]

    def model_data(self) -> dict[str, Any] | None:
        """The trained classifier as plain data, for a cache."""
        if not self.intercept:
            return None
        # Only the weights kept (sparse): a third of the numbers to read back at start-up.
        data = {
            "intercept": [round(v, 6) for v in self.intercept],
            "sparse": {
                f: [[i for i, v in enumerate(row) if v], [round(v, 6) for v in row if v]]
                for f, row in sorted(self.weights.items())
            },
        }
        data["labels"] = list(self.labels)
        data["known"] = sorted(self.lexicon.known)  # so a warm start tokenises no stories
        data["rare"] = list(self.rare)
        return data


def _spans(tokens: Sequence[str]) -> Iterable[tuple[int, int]]:
    """The parts a message is read in: each sentence (long ones in overlapping parts of
    SPAN words), and the whole message when it is short enough to be one story."""
    n = len(tokens)
    if len(tokens) - tokens.count(EOS) <= WHOLE:
        yield 0, n
    start = 0
    for i, token in enumerate(tokens):
        if token == EOS or i == n - 1:
            end = i + 1
            if end - start <= SPAN:
                yield start, end
            else:
                for lo in range(start, end - SPAN // 2, SPAN // 2):
                    yield lo, min(end, lo + SPAN)
            start = end


def anchored(
    rules: Sequence[Rule], names: Sequence[str], rare: Sequence[str]
) -> dict[int, tuple[int, ...]]:
    """Concept bit -> the indexes of the rules to look at when that concept is in a message:
    each rule under the concept of its mask that is rarest (``rare``: names, rarest first;
    a concept not in it counts as rarest of all, and without ``rare`` the lowest bit)."""
    rank = {1 << names.index(n): i for i, n in enumerate(rare) if n in names}
    out: dict[int, list[int]] = {}
    for index, rule in enumerate(rules):
        bits = [1 << b for b in range(rule.mask.bit_length()) if rule.mask >> b & 1]
        if not bits:
            continue
        anchor = min(bits, key=lambda b: rank.get(b, -1))
        out.setdefault(anchor, []).append(index)
    return {bit: tuple(indexes) for bit, indexes in out.items()}


def decide(
    fired: Mapping[str, str],
    probs: Mapping[str, float],
    age: str | None,
    labels: Sequence[str],
    *,
    tick_at: float = TICK_AT,
    rule_floor: float = RULE_FLOOR,
) -> Reading:
    """Combine the parts: a pattern ticks; the classifier ticks from TICK_AT and suggests
    from ASK_AT; one person at most (the likeliest); the age band when one is stated.
    ``tick_at`` and ``rule_floor``: other thresholds, to measure them (tests/sealed/crossval.py)."""
    ticked: dict[str, str] = {}
    doubted: list[tuple[float, str]] = []
    weak_self = ""
    # "ik werk in een woongroep en zoek een training": a blocking pattern keeps its option
    # from being ticked or asked, whatever the other patterns or the classifier say.
    blocked = {code.removeprefix(BLOCK_PREFIX) for code in fired if code.startswith(BLOCK_PREFIX)}
    for code, rule in fired.items():
        if code in blocked or code.startswith(BLOCK_PREFIX):
            continue
        option = code.removeprefix(ABOUT_PREFIX)
        p = probs.get(code)
        if option == SELF and p is not None and SELF_FLOOR <= p < rule_floor:
            weak_self = f"{rule} (classifier p={p:.2f}; no one else named)"
            continue
        if p is not None and p < rule_floor:
            # The classifier, taught by everyday examples too, all but rules it out ("ik
            # moet mn moeder terugbetalen voor mn fiets"): only worth a "did you mean".
            doubted.append((p, code))
            continue
        ticked[option] = rule if p is None else f"{rule} (classifier p={p:.2f})"
    for code, p in probs.items():
        option = code.removeprefix(ABOUT_PREFIX)
        if p >= tick_at and option not in ticked and code not in blocked:
            ticked[option] = f"classifier p={p:.2f}"
    roles = [r for r in ROLES if r in ticked]
    if len(roles) > 1:
        # One person at most. A pattern beats the classifier; between patterns, a
        # professional's self-description beats someone named, who beats the writer's "I"
        # ("ik ben mentor en mijn leerling ...", "mijn zus ... ik weet niet wat ik moet doen").
        by_pattern = fired_roles(fired)
        keep = max(
            roles,
            key=lambda r: (
                r in by_pattern,
                ROLE_ORDER.get(r, 0) if r in by_pattern else 0,
                probs.get(ABOUT_PREFIX + r, 0),
            ),
        )
        for role in roles:
            if role != keep:
                del ticked[role]
    if (
        weak_self
        and not roles
        and not any(probs.get(ABOUT_PREFIX + r, 0) >= ASK_AT for r in ROLES if r != SELF)
    ):
        ticked[SELF] = weak_self
    if age is not None:
        ticked[age] = "age"
    unsure = [
        (p, c)
        for c, p in probs.items()
        if ASK_AT <= p < tick_at and c not in ticked and c not in blocked
    ]
    maybe = sorted(
        ((p, c) for p, c in {*unsure, *doubted} if c.startswith(SIGNAL_PREFIX)),
        reverse=True,
    )
    order = {code.removeprefix(ABOUT_PREFIX): i for i, code in enumerate(labels)}
    options = tuple(sorted(ticked, key=lambda c: order.get(c, len(order))))
    return Reading(options, tuple(code for _, code in maybe[:MAX_MAYBE]), ticked)


def fired_roles(fired: Mapping[str, str]) -> set[str]:
    return {c.removeprefix(ABOUT_PREFIX) for c in fired if c.startswith(ABOUT_PREFIX)}


# ------------------------------------------------------------------ building


def label_codes(content: Content) -> tuple[str, ...]:
    """The codes the classifier learns: every signal named in the examples or patterns,
    then who it is about."""
    signals: set[str] = set()
    for examples in content.situation_examples.values():
        for example in (*examples.train, *examples.heldout):
            signals.update(m for m in example.means if m.startswith(SIGNAL_PREFIX))
    for pattern in content.situation_concepts.patterns:
        if pattern.means.startswith(SIGNAL_PREFIX):
            signals.add(pattern.means)
    return (*sorted(signals), *(ABOUT_PREFIX + r for r in ROLES))


def training_set(content: Content) -> list[tuple[str, frozenset[str]]]:
    """(text, codes) for every training example. (Not the option labels: a label is
    understood by its own words, and texts can then change without training again.)"""
    rows: list[tuple[str, frozenset[str]]] = []
    for examples in content.situation_examples.values():
        for example in examples.train:
            codes = set(example.means)
            if example.about:
                codes.add(ABOUT_PREFIX + example.about)
            rows.append((example.say, frozenset(codes)))
    return rows


def sources(content: Content) -> list[Any]:
    """Everything the reader is made from, as JSON-ready data (for a digest)."""
    rows = [[text, sorted(codes)] for text, codes in training_set(content)]
    return [
        {"c": SITUATION_C, "ordered_pairs": ORDERED_PAIRS, "weight_kept": WEIGHT_KEPT},
        content.situation_concepts.model_dump(mode="json"),
        content.crisis_concepts.spelling,
        content.crisis_concepts.fillers,
        content.crisis_concepts.emoji,
        rows,
        label_codes(content),
    ]


def reader_for(
    content: Content, model: Mapping[str, Any] | None = None, *, trained: bool = True
) -> Reader:
    """Build the reader for this content: the classifier from ``model`` (data of
    :meth:`Reader.model_data` for the same sources) or trained here."""
    crisis_words = content.crisis_concepts
    problems: list[tuple[str, tuple[str | int, ...], str]] = []
    spelling: dict[str, tuple[str, ...]] = {}
    # The crisis detector's spelling list, then this reader's own ("have to" -> must).
    typed_meant = {**crisis_words.spelling, **content.situation_concepts.spelling}
    # Normalised as this reader reads a message (digits stay digits), not as the crisis
    # detector folds them into letters: else no Arabizi spelling with a digit ("ma 3am",
    # "l7chich", "y9tel") could ever match here.
    for typed, meant in typed_meant.items():
        key = normalise(typed)
        value = tuple(normalise(meant).split())
        if key and key.count(" ") <= 1 and value:
            spelling[key] = value
    fillers = frozenset(w for f in crisis_words.fillers for w in Typed.of(f).tokens)
    symbols = {ord(s): f" {m} " for s, m in crisis_words.emoji.items() if len(s) == 1}
    concepts = content.situation_concepts
    names = [*concepts.concepts, "eos"]
    index = {name: 1 << bit for bit, name in enumerate(names)}
    entries: dict[str, int] = {}
    for name, per_lang in concepts.concepts.items():
        for lang, members in per_lang.items():
            for i, member in enumerate(members):
                norm = norm_word(member, digits=True)
                if not norm or " " in norm.rstrip("*"):
                    where = ("concepts", name, lang, i)
                    problems.append(("situation-concepts", where, f"'{member}' must be one word"))
                    continue
                entries[norm] = entries.get(norm, 0) | index[name]
    rules: list[Rule] = []
    negation = index.get("not", 0)
    for i, pattern in enumerate(concepts.patterns):
        needed = [c for item in pattern.all for c in re.split(r"[&|]", item)]
        unknown = [c for c in (*needed, *pattern.unless) if c not in index]
        if unknown:
            message = f"unknown concept(s): {', '.join(unknown)}"
            problems.append(("situation-concepts", ("patterns", i), message))
            continue
        name = pattern.name or "+".join(pattern.all)
        # "ik hoef geen drugs te brengen": a "not" just before or inside cancels, unless
        # the pattern says "not" itself ("hij betaalt niet").
        says_not = "not" in needed
        unless = bits_of(index, pattern.unless) | (0 if says_not else negation)
        for combination in itertools.product(*(item.split("|") for item in pattern.all)):
            rule = Rule(
                f"pattern {'no ' if pattern.blocks else ''}{pattern.means}: {name}",
                BLOCK_PREFIX + pattern.means if pattern.blocks else pattern.means,
                "sure",
                tuple(bits_of(index, item.split("&")) for item in combination),
                pattern.order,
                pattern.window + WINDOW_SLACK,
                unless,
                negation=negation,
                eos=index["eos"],
                gap=max(PHRASE_GAP, pattern.window + WINDOW_SLACK - len(combination)),
                before=NOT_BEFORE,
                after=pattern.after,
                unless_before=pattern.before,
            )
            if not rule.mask:
                # The reader looks at a rule only when a concept it needs is in the message
                # (:func:`anchored`): a rule that needs none would silently never count.
                message = "needs no concept, so it would never be tried: name one in `all`"
                problems.append(("situation-concepts", ("patterns", i, "all"), message))
                break
            rules.append(rule)
    if model is not None:
        known = known_words(model) | fillers
    else:
        known = {
            w
            for text, _ in training_set(content)
            for w in words(text, spelling, symbols, fillers, digits=True)
        } | fillers
    not_ages = _words_of(concepts.not_ages)
    age_words = _words_of(concepts.ages)
    their_ages = _words_of(concepts.their_ages)
    my_ages = _words_of(concepts.my_ages)
    reader = Reader(
        spelling,
        symbols,
        fillers,
        Lexicon.build(entries, known),
        tuple(names),
        tuple(rules),
        label_codes(content),
        {},
        (),
        age_words,
        not_ages,
        index["eos"],
        tuple(problems),
        their_ages,
        my_ages=my_ages,
        not_ages_before=_words_of(concepts.not_ages_before),
    )
    labels = reader.labels
    if model is not None:
        # A serving process builds from content without its examples, which then names
        # only the patterns' codes: the cached labels (of the same digest) must hold them.
        cached = tuple(str(code) for code in model.get("labels", ()))
        if not set(labels) <= set(cached) or cached[-len(ROLES) :] != labels[-len(ROLES) :]:
            raise ValueError("the cached reader has other labels")
        labels = cached
        reader = dataclasses.replace(reader, labels=labels)
        weights, intercept = sparse_from_data(model, len(labels))
        rare = tuple(str(n) for n in model.get("rare", ()))
        return dataclasses.replace(
            reader,
            weights=weights,
            intercept=intercept,
            rare=rare,
            anchors=anchored(reader.rules, reader.names, rare),
        )
    rows = training_set(content)
    if rows and trained and len(labels) > len(ROLES):
        mask = (1 << len(names)) - 1
        feats = []
        seen = [0] * len(names)  # stories each concept is in
        for text, _ in rows:
            tokens = words(text, spelling, symbols, fillers, digits=True)
            bits = [reader.lexicon.bits(t) & mask for t in tokens]
            feats.append(features(tokens, bits, names, chars=False, ordered=ORDERED_PAIRS))
            present = 0
            for b in bits:
                present |= b
            for i in range(len(names)):
                seen[i] += present >> i & 1
        targets = [[int(code in codes) for code in labels] for _, codes in rows]
        dense, intercept = train(feats, targets, c=SITUATION_C)
    else:
        return dataclasses.replace(reader, anchors=anchored(reader.rules, reader.names, ()))
    kept: dict[str, array[float]] = {}
    for f, row in dense.items():
        if any(abs(w) >= WEIGHT_KEPT for w in row):
            kept[f] = array("f", [w if abs(w) >= WEIGHT_KEPT else 0.0 for w in row])
    rare = tuple(sorted(names, key=lambda n: (seen[names.index(n)], n)))
    return dataclasses.replace(
        reader,
        weights=kept,
        intercept=tuple(intercept),
        rare=rare,
        anchors=anchored(reader.rules, reader.names, rare),
    )


def sparse_from_data(
    data: Mapping[str, Any], labels: int
) -> tuple[dict[str, array[float]], tuple[float, ...]]:
    """Read :meth:`Reader.model_data` (weights kept sparse: label indexes and values) into
    a row of ``labels`` weights per feature; raise ValueError when it is not such data."""
    intercept = tuple(float(v) for v in data["intercept"])
    if len(intercept) != labels:
        raise ValueError("wrong number of labels")
    weights: dict[str, array[float]] = {}
    for f, (indexes, values) in dict(data["sparse"]).items():
        if (
            not isinstance(f, str)
            or len(indexes) != len(values)
            or not all(isinstance(i, int) and 0 <= i < labels for i in indexes)
        ):
            raise ValueError("a weight row of the wrong size")
        row = array("f", [0.0] * labels)
        for i, v in zip(indexes, values, strict=True):
            row[i] = float(v)
        weights[sys.intern(f)] = row
    return weights, intercept
