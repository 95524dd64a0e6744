"""The crisis detector in Polish, Romanian, Bulgarian, Ukrainian and Arabic, next to Dutch
and English: the ways of reading words that these languages need, pinned on the shipped
content. (Every held-out example of every language is checked in test_properties.py and
test_match_fuzz.py; these tests name the mechanisms.)"""

from __future__ import annotations

import pytest

from flows import Engine
from flows.understanding.crisis_check import caught
from flows.understanding.words import EOS, words


def test_two_typed_words_are_read_together_also_with_a_filler_between_them() -> None:
    """`spelling` reads "nu vreau" as "not want"; a filler between them does not undo that,
    and the filler is kept for the classifier."""
    spelling = {"nu vreau": ("not", "vreau")}
    assert words("nu vreau", spelling) == ["not", "vreau", EOS]
    assert words("nu chiar vreau", spelling, fillers=frozenset({"chiar"})) == [
        "not",
        "chiar",
        "vreau",
        EOS,
    ]
    assert words("nu chiar vreau", spelling) == ["nu", "chiar", "vreau", EOS]


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("ik ben nu in gevaar", "danger"),  # Dutch "nu" is "now", not Romanian "not"
        ("nu mai vreau sa traiesc", "suicide"),
        ("chce sie zabic", "suicide"),
        ("ще се самоубия", "suicide"),
        ("хочу померти", "suicide"),
        ("khochu pomerty", "suicide"),
        ("رح يقتلوني", "danger"),  # "me" written onto the verb
        ("والله بدي انتحر", "suicide"),  # "and" written onto the word
        ("ra7 ye2telni", "danger"),  # Arabizi
    ],
)
def test_a_crisis_in_each_language_gets_its_number(
    engine: Engine, sentence: str, kind: str
) -> None:
    """Short crisis sentences in each language, script and transliteration get 113 or 112."""
    assert caught(kind, engine.crisis(sentence)), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "nu vreau sa mor, vreau doar ajutor",  # Romanian "nu" is "not"
        "nie chce umierac, chce tylko pomocy",
        "umieram ze smiechu xD",
        "mor de ras",
        "батерията ми умря",
        "ця спека мене вбиває",
        "ميت من الضحك هههه",
        "المدير بيهدد يقص من راتبي",
        "szef grozi ze obetnie mi pensje",
    ],
)
def test_ordinary_sentences_in_each_language_are_no_crisis(engine: Engine, sentence: str) -> None:
    """Dying of laughter, a dead battery, "I don't want to die", a threat about wages: no
    crisis answer in any language."""
    assert engine.crisis(sentence).outcome == "no", sentence
