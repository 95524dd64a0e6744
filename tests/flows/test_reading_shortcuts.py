"""The readers' shortcuts for speed find exactly what the plain way finds.

Each shortcut (rules looked at only when anchored in the message, a weight looked up as a
feature is made, word pairs looked up only after a word that starts one) has a plain
counterpart that training or the operator's tools still use; these compare the two on
every example text shipped, to the last bit of each float.
"""

from __future__ import annotations

import dataclasses
from operator import add

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from flows import Content, Engine
from flows.match import Typed
from flows.understanding.classifier import features, sigmoid, word_features
from flows.understanding.crisis import Detector, decide, numbers
from flows.understanding.lexicon import Lexicon, _deletes, _tolerance
from flows.understanding.situation import ORDERED_PAIRS, Reader, _spans
from flows.understanding.words import EOS, ascii_words, words


@pytest.fixture(scope="module")
def stories(content: Content) -> list[str]:
    return [
        e.say
        for examples in content.situation_examples.values()
        for e in (*examples.train, *examples.heldout)
    ]


@pytest.fixture(scope="module")
def messages(content: Content, stories: list[str]) -> list[str]:
    """Crisis examples (training and held-out) and the stories."""
    out: list[str] = []
    for examples in content.crisis_examples.values():
        for part in (examples.train, examples.heldout):
            for kind in ("suicide", "danger", "both", "none"):
                out.extend(getattr(part, kind))
    return [*out, *stories]


def test_the_crisis_detector_looking_at_anchored_rules_finds_what_every_rule_finds(
    engine: Engine, messages: list[str]
) -> None:
    """Rules and their names, sure and possible, are the same as when every rule is tried."""
    detector = engine.readers.crisis
    assert detector.anchors
    every_rule = dataclasses.replace(detector, anchors={})
    differ = [t for t in messages if detector.evidence(t)[:2] != every_rule.evidence(t)[:2]]
    assert differ == []


def _crisis_tokens(detector: Detector, text: str) -> tuple[list[str], list[int]]:
    tokens = words(numbers(text), detector.spelling, detector.symbols, detector.fillers)
    mask = (1 << detector.concept_count) - 1
    return tokens, [detector.lexicon.bits(t) & mask for t in tokens]


def test_the_crisis_classifier_scores_as_its_features_say(
    engine: Engine, messages: list[str]
) -> None:
    """``Model.score`` (weights looked up as features are made) gives the very floats of
    summing the weights of :func:`features`, what the classifier was trained on: a word's
    own features (:func:`word_features`), then those of its context."""
    detector = engine.readers.crisis
    model = detector.model
    assert model is not None
    differ = []
    for text in messages:
        tokens, concepts = _crisis_tokens(detector, text)
        context = features(tokens, concepts, detector.names, context_only=True)
        per_word = []
        for token, feats in zip(tokens, context, strict=True):
            own, extra = model._sum(word_features(token)), model._sum(feats)
            per_word.append((own[0] + extra[0], own[1] + extra[1]))
        plain = model._windows(per_word, [t == EOS for t in tokens])
        if model.score(tokens, concepts, detector.names) != plain:
            differ.append(text)
    assert differ == []


def _plain_probabilities(reader: Reader, tokens: list[str]) -> dict[str, float]:
    """The situation classifier over :func:`features` (``chars=False``, its ORDERED_PAIRS), as
    trained."""
    mask = (1 << len(reader.names)) - 1
    concepts = [reader.lexicon.bits(t) & mask for t in tokens]
    size = len(reader.intercept)
    running = [0.0] * size
    prefix = [running]
    for feats in features(tokens, concepts, reader.names, chars=False, ordered=ORDERED_PAIRS):
        for f in feats:
            row = reader.weights.get(f)
            if row is not None:
                running = list(map(add, running, row))
        prefix.append(running)
    best = [-1e9] * size
    for lo, hi in _spans(tokens):
        for i in range(size):
            best[i] = max(best[i], prefix[hi][i] - prefix[lo][i])
    return {label: sigmoid(best[i] + reader.intercept[i]) for i, label in enumerate(reader.labels)}


def test_the_situation_classifier_scores_as_its_features_say(
    engine: Engine, stories: list[str]
) -> None:
    reader = engine.readers.situation
    differ = []
    for text in stories:
        tokens = words(text, reader.spelling, reader.symbols, reader.fillers, digits=True)
        per_token = [reader.lexicon.bits(t) for t in tokens]
        if reader._probabilities(tokens, per_token) != _plain_probabilities(reader, tokens):
            differ.append(text)
    assert differ == []


@pytest.mark.parametrize("digits", [False, True])
def test_word_pairs_looked_up_only_after_a_first_word_read_the_same(
    engine: Engine, messages: list[str], digits: bool
) -> None:
    """``words(..., firsts=...)`` reads every message as ``words`` without it, the full
    stops included; and a pair of the spelling table is still read as one meaning."""
    reader = engine.readers.situation
    spelling, symbols, fillers = reader.spelling, reader.symbols, reader.fillers
    pairs = [key for key in spelling if " " in key]
    assert pairs
    differ = []
    for text in [*messages, *pairs]:
        plain_stops: list[bool] = []
        quick_stops: list[bool] = []
        plain = words(text, spelling, symbols, fillers, digits=digits, stops=plain_stops)
        quick = words(
            text,
            spelling,
            symbols,
            fillers,
            digits=digits,
            stops=quick_stops,
            firsts=reader.firsts,
        )
        if (plain, plain_stops) != (quick, quick_stops):
            differ.append(text)
    assert differ == []


def test_the_crisis_verdict_without_the_classifier_where_it_cannot_count_is_the_same(
    engine: Engine, messages: list[str]
) -> None:
    """``assess`` leaves the classifier out when no possible rule and no signal concept
    could let it count; the verdict, reasons included, is what the whole evidence gives."""
    detector = engine.readers.crisis
    differ = [t for t in messages if detector.assess(t) != decide(*detector.evidence(t))]
    assert differ == []
    left_out = [t for t in messages if detector.evidence(t, needed=True)[2] == (0.0, 0.0)]
    assert left_out  # the shortcut is taken (stories without a word about dying, say)


def _typo_plainly(
    lexicon: Lexicon, token: str, by_start: dict[tuple[str, int], list[tuple[str, int]]]
) -> tuple[int, int]:
    """What ``Lexicon._typo_of`` stands for, the slow way: every word of the token's first
    letter (``by_start``: words by first letter and length), at most its tolerance apart,
    with a deletion variant in common."""
    found = giving = 0
    mine = _deletes(token, 2 if len(token) >= 8 else 1)
    for length in range(len(token) - 2, len(token) + 3):  # further is more than two slips
        for word, bits in by_start.get((token[0], length), ()):
            tol = _tolerance(word) if word in lexicon.exact else min(1, _tolerance(word))
            if not tol or OSA.distance(token, word) > tol:
                continue
            if not mine.isdisjoint(_deletes(word, tol)):
                if bits & ~lexicon.yields:
                    found |= bits
                else:
                    giving |= bits
    return found, giving


def _slips(word: str) -> list[str]:
    """One or two slips in a word: letters swapped, left out, changed, added."""
    return [
        word[0] + word[2] + word[1] + word[3:],
        word[:2] + word[3] + word[2] + word[4:],
        word[:-2] + word[-1] + word[-2],
        word[:1] + word[2:],
        word[:3] + word[4:],
        word[:-1],
        word[:2] + "x" + word[3:],
        word[:-1] + "q",
        word[:1] + "e" + word[1:],
        word[:-1] + "a" + word[-1],
        word + "s",
        word[:1] + "x" + word[2:-1] + "q",
    ]


@pytest.mark.parametrize("reader", ["crisis", "situation"])
def test_a_typo_is_found_among_the_words_it_is_looked_for_in(engine: Engine, reader: str) -> None:
    """Looking for a typo only under a word's first two letters, or its first and last
    two, finds what comparing it with every word of its first letter finds."""
    lexicon = getattr(engine.readers, reader).lexicon
    words_ = sorted(w for w in lexicon.fuzzy if len(w) >= 6)[::40]
    typed = sorted({t for w in words_ for t in _slips(w) if len(t) >= 5})
    assert len(typed) > 1000
    by_start: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for word, bits in lexicon.fuzzy.items():
        by_start.setdefault((word[0], len(word)), []).append((word, bits))
    differ = [t for t in typed if lexicon._typo_of(t) != _typo_plainly(lexicon, t, by_start)]
    assert differ == []
    assert any(lexicon._typo_of(t) != (0, 0) for t in typed)


@given(st.text(alphabet="abcdeklmoz 0123456789@$.,'-_!?", max_size=60))
def test_ascii_words_are_the_tokens_of_typed_text(text: str) -> None:
    """``ascii_words`` (and its shortcut when no digit is left) reads lowercase ASCII as
    ``Typed`` does: look-alike digits as letters, repeats folded."""
    assert ascii_words(text) == list(Typed.of(text).tokens)


def test_ordered_concept_pairs_keep_who_comes_first() -> None:
    """The situation reader's concept pairs keep the order of the words ("he pays me" and "I
    pay him" are different features); the crisis classifier's pairs do not."""
    names = ["they", "pay", "me"]
    tokens = ["hij", "betaalt", "mij"]
    concepts = [1, 2, 4]
    reverse = ["mij", "betaalt", "hij"]
    back = [4, 2, 1]

    def pairs(toks: list[str], bits: list[int], *, ordered: bool) -> set[str]:
        rows = features(toks, bits, names, chars=False, ordered=ordered)
        return {f for row in rows for f in row if f.startswith("p:")}

    assert pairs(tokens, concepts, ordered=True) == {"p:they>pay", "p:they>me", "p:pay>me"}
    assert pairs(reverse, back, ordered=True) == {"p:me>pay", "p:me>they", "p:pay>they"}
    assert pairs(tokens, concepts, ordered=False) == pairs(reverse, back, ordered=False)


def test_the_situation_reader_learnt_ordered_pairs_and_the_crisis_detector_unordered(
    engine: Engine,
) -> None:
    """What each classifier was trained on (its weights), not only what :func:`features` makes:
    the situation reader's concept pairs are ordered (``p:a>b``), the crisis detector's are not
    (``p:a|b``). A reader trained one way and scored the other would fail here."""
    situation = [f for f in engine.readers.situation.weights if f.startswith("p:")]
    model = engine.readers.crisis.model
    assert model is not None
    crisis = [f for f in model.weights if f.startswith("p:")]
    assert situation
    assert crisis
    assert all(">" in f and "|" not in f for f in situation)
    assert all("|" in f and ">" not in f for f in crisis)
