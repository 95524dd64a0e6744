"""Words a person who reads slowly can carry (issue 27, point 4).

The opening says little before the first real choice (who it is about), and no Dutch
sentence of the opening, the reflection or the handoff is longer than 15 words. The
counters are the content checker's own (flows.lint_texts), so what is counted here is what
`baken content check` counts.
"""

from __future__ import annotations

import re

import pytest

from bot.derived import build_engine
from flows import Content, Engine, Message, Text, Wipe, load_content
from flows.lint_texts import _SENTENCE_END, _WORD, MAX_LABEL
from flows.loader import DEFAULT_LANG, default_content_dir

AT = 1_795_528_800
MAX_OPENING_WORDS = 59  # "under 60 words before the first choice"
MAX_SENTENCE = 15  # Dutch, in the opening, the reflection and the handoff
MAX_SENTENCE_TRANSLATED = 18  # other languages: word counts differ a little by language

# Words and sentence ends in any script (the checker's own counter reads Latin letters).
_ANY_WORD = re.compile(r"[\w'’-]+")
_ANY_END = re.compile(r"(?<=[.!?…؟])\s+|\n+")

# Text keys (prefixes) of the opening, the reflection and the handoff.
IN_SCOPE = (
    "welcome.",
    "role.",
    "self.reflect.",
    "self.unsure.",
    "other.reflect.",
    "other.unsure",
    "pro.reflect.",
    "pro.unsure",
    "still_unsure.",
    "handoff.",
    "why.",
    "service.",
    "end.",
    "system.summary",
)

# The word each language tells people to type to erase, and to read what is kept.
OWN_WORDS = {
    "nl": ("stop", "privacy"),
    "en": ("stop", "privacy"),
    "pl": ("usuń", "prywatność"),
    "ro": ("șterge", "confidențialitate"),
    "bg": ("стоп", "поверителност"),
    "uk": ("стоп", "приватність"),
    "ar": ("امسح", "الخصوصية"),
}


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


@pytest.fixture(scope="module")
def engine(content: Content) -> Engine:
    return build_engine(content)


def words(text: str) -> int:
    return len(_WORD.findall(text))


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]


def opening(content: Content) -> list[str]:
    """The text keys read before the first real choice: the welcome (its texts, its buttons
    and the help/stop row under it), then the question that follows "yes, it is safe"."""
    flow = content.flows[content.default_flow]
    welcome = flow.states[flow.start]
    after = welcome.options[0].next
    assert isinstance(after, str)
    return [
        *welcome.texts(),
        *(option.label_key for option in welcome.options),
        "button.help",
        "button.stop",
        *flow.states[after].texts(),
    ]


def test_the_counters_count_words_and_sentences() -> None:
    """The counters can fail: the old opening sentence about codes has 16 words."""
    old = "Ik bewaar alleen codes, zoals welke knoppen je kiest, tot 2 uur na je laatste bericht."
    assert [words(s) for s in sentences(old)] == [16]
    assert [words(s) for s in sentences("Hoi! Ik ben baken.\n\nTyp stop.")] == [1, 3, 2]


def test_the_dutch_opening_is_under_60_words_before_the_first_choice(content: Content) -> None:
    """Before a person chooses who it is about, they read fewer than 60 words (it was 127 on
    the web page, with the page's own title and buttons: those are the page's part)."""
    counted = {key: words(content.text(DEFAULT_LANG, key)) for key in opening(content)}
    assert sum(counted.values()) <= MAX_OPENING_WORDS, counted


def test_no_long_dutch_sentence_in_the_opening_reflection_or_handoff(content: Content) -> None:
    """No Dutch sentence of the opening, the reflection and the handoff (the cards' lines
    too) has more than 15 words."""
    dutch = content.texts[DEFAULT_LANG]
    texts = {key: text for key, text in dutch.items() if key.startswith(IN_SCOPE)}
    texts |= {
        f"services.{s.id}.purpose": s.purpose[DEFAULT_LANG] for s in content.services.values()
    }
    assert len(texts) > 40  # the prefixes still name the texts
    long = {
        key: sentence
        for key, text in texts.items()
        for sentence in sentences(text)
        if words(sentence) > MAX_SENTENCE
    }
    assert long == {}


def test_not_a_criminal_only_after_a_sign_of_crime(engine: Engine) -> None:
    """ "Als iemand je dwingt, ben je geen crimineel" is said after drugs, stealing or a bank
    card, not to someone who chose only sex or a boss who keeps the ID."""
    line = engine.content.text(DEFAULT_LANG, "self.reflect.not_criminal")

    def reflection(signs: tuple[str, ...]) -> str:
        session = engine.new_session(AT, DEFAULT_LANG)
        session = session.with_answer("role", ("self",)).with_answer("self_age", ("u16",))
        session = session.with_answer("self_do", signs)
        _, outputs = engine.step(session.evolve(state="self_life"), Text(at=AT, text="Klaar"))
        return "\n".join(o.text for o in outputs if isinstance(o, Message))

    assert line not in reflection(("sig_sex",))
    assert line not in reflection(("sig_boss",))
    assert "Het is niet jouw schuld." in reflection(("sig_sex",))
    assert line in reflection(("sig_drugs",))
    assert line in reflection(("sig_sex", "sig_bank"))


def test_translations_keep_the_same_short_sentences(content: Content) -> None:
    """The translations of the opening, the reflection and the handoff are as plain: no
    sentence over 18 words in any language."""
    long = {
        (lang, key): sentence
        for lang in content.languages[1:]
        for key, text in content.texts[lang].items()
        if key.startswith(IN_SCOPE)
        for sentence in _ANY_END.split(text)
        if len(_ANY_WORD.findall(sentence)) > MAX_SENTENCE_TRANSLATED
    }
    assert long == {}


@pytest.mark.parametrize("lang", list(OWN_WORDS))
def test_each_language_names_its_own_words_and_they_work(engine: Engine, lang: str) -> None:
    """The help text tells people to type the language's own word for erase and privacy (not
    "stop" and "privacy" in Latin letters), and typing that word does it."""
    content = engine.content
    stop, privacy = OWN_WORDS[lang]
    assert stop in content.text(lang, "help.more")
    assert privacy in content.text(lang, "help.more")
    if lang not in ("nl", "en"):
        assert "privacy" not in content.text(lang, "help.more")
    session = engine.new_session(AT, lang)
    _, outputs = engine.step(session, Text(at=AT, text=stop))
    assert any(isinstance(o, Wipe) for o in outputs)
    _, outputs = engine.step(session, Text(at=AT, text=privacy))
    shown = "\n".join(o.text for o in outputs if isinstance(o, Message))
    assert content.text(lang, "privacy.never") in shown


def test_button_labels_fit_a_phone_in_every_language(content: Content) -> None:
    """Every answer button label, in every language, has at most 40 letters."""
    flow = content.flows[content.default_flow]
    keys = {o.label_key for s in flow.states.values() for o in s.options}
    long = {
        (lang, key): content.texts[lang][key]
        for lang in content.languages
        for key in keys
        if len(content.texts[lang].get(key, "")) > MAX_LABEL
    }
    assert long == {}
