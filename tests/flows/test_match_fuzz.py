"""Fuzzing the text normaliser and the crisis matcher (hypothesis, bounded time).

Whatever a person types, ``normalise`` and the crisis matcher return quickly and never
raise; and a crisis phrase is still found when it is wrapped in other words, shouted,
stretched, or salted with invisible and accented characters.

``make test`` tries 150 examples per property; ``make fuzz`` (tests/fuzz.py) runs the
same properties round after round for a set time.
"""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import Engine
from flows.match import Typed, normalise

EXAMPLES = int(os.environ.get("BAKEN_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
anything = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Mn", "Zs", "So"]), max_size=200),
)
noise = st.text(alphabet="abcdefghijklmnopqrstuvwxyz 0123456789.,!?", max_size=40)


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
def test_crisis_matcher_never_raises_and_is_quick(engine: Engine, text: str) -> None:
    """Any text, including 4,096 characters of it: an answer, never a hang.

    The limit is wide so a loaded machine cannot fail it; the time per message is
    measured in bench/ (BENCHMARKS.md).
    """
    long = (text * (4096 // max(1, len(text)) + 1))[:4096]
    for candidate in (text, long):
        started = time.perf_counter()
        assert engine.crisis_kind(Typed.of(candidate)) in (None, "suicide", "danger")
        assert time.perf_counter() - started < 10.0


@st.composite
def disguised(draw: st.DrawFn, phrase: str) -> str:
    """The phrase in odd dress: case, stretched letters, invisible characters, accents."""
    out = []
    for ch in phrase:
        if ch.isalpha():
            if draw(st.booleans()):
                ch = ch.upper()
            if draw(st.integers(0, 5)) == 0:
                ch = ch * draw(st.integers(2, 4))
            if draw(st.integers(0, 5)) == 0:
                ch += draw(st.sampled_from(INVISIBLE))
            if draw(st.integers(0, 8)) == 0:
                ch += "\u0301"  # a combining accent
        out.append(ch)
    return "".join(out)


@FUZZ
@given(data=st.data())
def test_crisis_phrases_are_found_in_disguise(engine: Engine, data: st.DataObject) -> None:
    """Every crisis phrase, disguised and wrapped in other words, is still found."""
    crisis = engine.content.crisis
    kind = data.draw(st.sampled_from(["suicide", "danger"]))
    phrases = [p for lang in getattr(crisis, kind).values() for p in lang]
    phrase = data.draw(st.sampled_from(phrases))
    before, after = data.draw(noise), data.draw(noise)
    sentence = f"{before}. {data.draw(disguised(phrase))}! {after}"
    found = engine.crisis_kind(sentence)
    assert found is not None, sentence
    if kind == "suicide":
        assert found == "suicide"
