"""Fuzzing the text normaliser and the crisis detector (hypothesis, bounded time).

Whatever a person types, ``normalise`` and the crisis detector return quickly and never
raise; and a crisis sentence is still caught when it is wrapped in other words, shouted,
stretched, salted with invisible characters, given a typo, a filler word or an emoji.

``make test`` tries 150 examples per property; ``make fuzz`` (tests/fuzz.py) runs the
same properties round after round for a set time.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Container

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flows import Engine
from flows.match import normalise
from flows.understanding.crisis import KINDS
from flows.understanding.crisis_check import caught, heldout

EXAMPLES = int(os.environ.get("BAKEN_FUZZ_EXAMPLES", "150"))
# Under CI the examples are drawn from a fixed seed, so that a run is repeatable and a red
# run names a defect of the change, not of the draw; ``make fuzz`` draws new ones each round
# (what it finds is fixed, as "powieisc" and "hoi . <crisis> ! hoi" were).
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI") == "true" and "BAKEN_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
# Emoji that do not change what a sentence means (laughing ones do: "ik ga dood 😂").
EMOJI = ("😭", "😢", "😞", "😔", "🥺", "💔", "🙏", "❤️", "😡", "😩")
# Words people put in anywhere; none of them is a "not", a joke or a game word.
FILLERS = ("echt", "gewoon", "zo", "really", "just", "like", "ff", "eigenlijk", "nu")
# People who write Polish, Romanian, Bulgarian, Ukrainian or Arabic in the Netherlands mix in
# Dutch and English fillers, and their own. Not "nu" in Romanian: there it means "not".
NATIVE_FILLERS = {
    "pl": ("naprawde", "serio", "kurde"),
    "ro": ("chiar", "serios", "doar"),
    "bg": ("наистина", "просто", "реално"),
    "uk": ("реально", "просто", "чесно"),
    "ar": ("يعني", "والله", "wallah"),
}


def fillers(lang: str) -> tuple[str, ...]:
    dutch_english = tuple(f for f in FILLERS if not (lang == "ro" and f == "nu"))
    return dutch_english + NATIVE_FILLERS.get(lang, ())


_DOUBLE = re.compile(r"(.)\1")
anything = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Mn", "Zs", "So"]), max_size=200),
)
neutral = st.lists(st.sampled_from(["hoi", "hey", "dus", "zeg", "so", "well", "ok"]), max_size=3)


@FUZZ
@given(text=anything)
def test_normalise_never_raises_and_is_stable(text: str) -> None:
    """Plain lowercase words separated by single spaces; normalising twice changes nothing."""
    norm = normalise(text)
    assert norm == norm.strip()
    assert "  " not in norm
    assert all(c.isalnum() or c == " " for c in norm)
    assert normalise(norm) == norm


@FUZZ
@given(text=anything)
def test_crisis_detector_never_raises_and_is_quick(engine: Engine, text: str) -> None:
    """Any text, including 4,096 characters of it: a verdict, never a hang.

    The limit is wide so a loaded machine cannot fail it; the time per message is
    measured in bench/ (BENCHMARKS.md).
    """
    long = (text * (4096 // max(1, len(text)) + 1))[:4096]
    for candidate in (text, long):
        started = time.perf_counter()
        verdict = engine.crisis(candidate)
        assert time.perf_counter() - started < 10.0
        assert verdict.outcome in ("sure", "possible", "no")
        assert verdict.kind in (None, "suicide", "danger", "both")
        assert (verdict.kind is None) == (verdict.outcome == "no")
        if len(candidate.strip()) > 12 and verdict.outcome != "no":  # names rules, not text
            assert candidate.strip() not in verdict.reason


def _positives(engine: Engine) -> list[tuple[str, str, str]]:
    return [(e.text, e.kind, e.lang) for e in heldout(engine.content) if e.kind != "none"]


@st.composite
def disguised(draw: st.DrawFn, sentence: str) -> str:
    """The sentence in odd dress: case, stretched letters, invisible characters."""
    out = []
    for ch in sentence:
        if ch.isalpha():
            if draw(st.booleans()):
                ch = ch.upper()
            if draw(st.integers(0, 5)) == 0:
                ch = ch * draw(st.integers(2, 4))
            if draw(st.integers(0, 5)) == 0:
                ch += draw(st.sampled_from(INVISIBLE))
        out.append(ch)
    return "".join(out)


@st.composite
def mutated(draw: st.DrawFn, sentence: str, lang: str = "nl", real: Container[str] = ()) -> str:
    """One change a person makes while typing: a filler word, a typo in a long word, an
    emoji, or a sentence around it. ``real``: words a slip must not make (a slip that
    makes another real word, "powiesic" -> "powiesci", a novel, is that word, no typo)."""
    words = sentence.split()
    change = draw(st.sampled_from(["filler", "typo", "emoji", "wrapped"]))
    if change == "filler" and len(words) > 1:
        at = draw(st.integers(1, len(words) - 1))
        words.insert(at, draw(st.sampled_from(fillers(lang))))
    elif change == "typo":
        long = [i for i, w in enumerate(words) if len(w) >= 8 and w.isalpha()]
        if long:
            i = draw(st.sampled_from(long))
            w = words[i]
            j = draw(st.integers(2, len(w) - 2))
            kind = draw(st.sampled_from(["swap", "drop", "double"]))
            if kind == "swap":
                w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            elif kind == "drop":
                w = w[:j] + w[j + 1 :]
            else:
                w = w[:j] + w[j] + w[j:]
            # A slip that makes two equal letters meet ("suicidal" -> "suiidal") is two
            # typos once repeated letters are folded; one typo is what this tests.
            slip = kind == "double" or not _DOUBLE.search(w) or _DOUBLE.search(words[i])
            if slip and w not in real:
                words[i] = w
    elif change == "emoji":
        at = draw(st.integers(0, len(words)))
        words.insert(at, draw(st.sampled_from(EMOJI)))
    else:
        before, after = draw(neutral), draw(neutral)
        words = [*before, ".", *words, "!", *after]
    return " ".join(words)


@FUZZ
@given(data=st.data())
def test_held_out_crisis_sentences_survive_disguise(engine: Engine, data: st.DataObject) -> None:
    """Every held-out crisis sentence, disguised, is still answered with its number(s)."""
    sentence, kind, _ = data.draw(st.sampled_from(_positives(engine)))
    text = data.draw(disguised(sentence))
    assert caught(kind, engine.crisis(text)), text


@FUZZ
@given(data=st.data())
def test_held_out_crisis_sentences_survive_typing(engine: Engine, data: st.DataObject) -> None:
    """Every held-out crisis sentence with a filler word, a typo in a long word, an emoji,
    or other sentences around it, is still answered with its number(s)."""
    sentence, kind, lang = data.draw(st.sampled_from(_positives(engine)))
    text = data.draw(mutated(sentence, lang, engine.readers.crisis.lexicon.exact))
    assume(text != sentence)
    assert caught(kind, engine.crisis(text)), text


@FUZZ
@given(data=st.data())
def test_crisis_phrases_are_found_in_disguise(engine: Engine, data: st.DataObject) -> None:
    """Every sure phrase of phrases/crisis.yaml, disguised and wrapped, is still sure."""
    crisis = engine.content.crisis
    kind = data.draw(st.sampled_from(KINDS))
    phrases = [p for lang in getattr(crisis, kind).values() for p in lang]
    phrase = data.draw(st.sampled_from(phrases))
    before, after = " ".join(data.draw(neutral)), " ".join(data.draw(neutral))
    sentence = f"{before}. {data.draw(disguised(phrase))}! {after}"
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "sure", sentence
    assert kind in verdict.kinds, sentence
