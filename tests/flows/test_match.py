"""Typed text: normalising, crisis phrases, intents and option matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.match import Candidates, WholeMessage, match_option, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ik  wíl DOOOOD!!", "ik wil dod"),
        ("zelf\u200bmoord", "zelfmord"),
        ("ZELFMOORD", "zelfmord"),
        ("ik\u202e wil\u0000dood", "ik wil dod"),
        ("café", "cafe"),
        ("112", "112"),
        ("Chcę umrzeć, jestem mały", "chce umrzec jestem maly"),
        ("Vreau să mor", "vreau sa mor"),
        ("Искам да умра!!!", "искам да умра"),
        ("Я хочу поммммерти", "я хочу померти"),
        ("أُرِيدُ أَنْ أَمُوتَ", "اريد ان اموت"),
        ("أريـــد", "اريد"),
        ("١١٢", "112"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    """Case, accents, invisible characters, repeated letters and punctuation are folded,
    in every script people write to baken in (Latin, Cyrillic, Arabic)."""
    assert normalise(raw) == expected


@given(st.text(max_size=4096))
def test_normalise_never_raises(text: str) -> None:
    """Any text at all, up to Telegram's limit, is normalised without error."""
    normalise(text)


def test_whole_message_intents() -> None:
    """'stop' works alone or with a typo, but not inside a sentence."""
    stop = WholeMessage.build(["stop", "wis alles"])
    assert stop.matches("STOP!")
    assert stop.matches("wis alles")
    assert stop.matches("wis allles")
    assert not stop.matches("ik wil niet stoppen met praten")
    assert not stop.matches("")


CANDIDATES = Candidates.build(
    [("yes", ["Ja", "jep"]), ("no", ["Nee", "nope"]), ("dontknow", ["Weet ik niet", "geen idee"])]
)
ORDER = ["yes", "no", "dontknow"]


@pytest.mark.parametrize(
    ("typed", "sure"),
    [
        ("ja", "yes"),
        ("JAAA", "yes"),
        ("ja hoor", "yes"),
        ("nee hoor", "no"),
        ("jep", "yes"),
        ("geen idee", "dontknow"),
        ("weet ik nie", "dontknow"),
        ("2", "no"),
        ("3", "dontknow"),
    ],
)
def test_option_matching(typed: str, sure: str) -> None:
    """Labels, synonyms, numbers and small typos choose an option."""
    assert match_option(typed, CANDIDATES, ORDER).sure == sure


def test_unsure_matching_offers_candidates() -> None:
    """A partial answer is not taken; the likely options are offered instead."""
    found = match_option("weet niet", CANDIDATES, ORDER)
    assert found.sure is None or found.sure == "dontknow"
    assert match_option("banaan", CANDIDATES, ORDER).sure is None
    assert match_option("4", CANDIDATES, ORDER).sure is None
    assert match_option("", CANDIDATES, ORDER).maybe == ()


def test_numbers_beyond_the_buttons_match_synonyms() -> None:
    """'15' at a question with five buttons is not button 15: it can be an age synonym."""
    ages = Candidates.build([("u16", ["Jonger dan 16", "15"]), ("older", ["Ouder", "30"])])
    assert match_option("15", ages, ["u16", "older"]).sure == "u16"
    assert match_option("2", ages, ["u16", "older"]).sure == "older"
    assert match_option("99", ages, ["u16", "older"]).sure is None


def test_the_character_tables_never_change_with_what_is_typed() -> None:
    """The translate tables of both normalisers list every character they change from the
    start: nothing typed (not even which characters) is remembered in them."""
    from flows import match
    from flows.understanding import words as understanding_words

    before = (dict(match._MARKS), dict(understanding_words._INVISIBLE))
    text = "Zażółć gęślą jaźń ﻿ حياتي ж\u200bить \x07 ёлка 𝔡𝔢𝔞𝔡 ក្រោម"
    normalise(text)
    understanding_words.words(text, {})
    assert (dict(match._MARKS), dict(understanding_words._INVISIBLE)) == before
