"""The content baken ships: plain language, honest services, and what people type.

These tests pin what a reader notices: short Dutch messages, no blame or
"why"-questions, button labels that fit a phone, a summary in the right voice
per path, services that state only verified facts, and typed words (labels,
youth language, crisis sentences) that are understood.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.derived import build_engine
from flows import (
    Button,
    Choice,
    Command,
    Content,
    Count,
    Engine,
    Message,
    Session,
    Start,
    Text,
    load_content,
)
from flows.lint_texts import MAX_LABEL, average_words
from flows.loader import DEFAULT_LANG, default_content_dir, read_content

AT = 1_795_528_800  # 2026-11-24 15:00, Amsterdam
MAX_AVERAGE_WORDS = 12  # per message, Dutch: short plain sentences (B1)
MAX_PARAGRAPHS = 3


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


@pytest.fixture(scope="module")
def engine(content: Content) -> Engine:
    return build_engine(content)


def flow_text_keys(content: Content) -> Iterator[tuple[str, str]]:
    """(where, text key) of every text a flow or screen shows."""
    for name, flow in content.flows.items():
        for state_name, state in flow.states.items():
            where = f"{name}.{state_name}"
            for key in state.texts():
                yield where, key
            for option in state.options:
                yield f"{where}.{option.id}", option.label_key
                if option.summary:
                    yield f"{where}.{option.id}.summary", option.summary
            if state.handoff:
                for ref in state.handoff.refs():
                    if ref.why:
                        yield f"{where}.{ref.id}.why", ref.why
    for screen_name in type(content.screens).model_fields:
        for key in getattr(content.screens, screen_name).say:
            yield f"screens.{screen_name}", key


def test_content_check_has_no_warnings() -> None:
    """`baken content check` passes without a single warning."""
    _, problems = read_content(default_content_dir())
    assert [str(p) for p in problems] == []


def test_every_shipped_translation_records_its_dutch_source(content: Content) -> None:
    """Each shipped translation records the Dutch text it was made from (texts/sources/), and
    that is today's Dutch text: stale translations are detected from the start, and none is
    shipped. A new language file needs `baken content mark-current LANG` once."""
    dutch = content.texts[DEFAULT_LANG]
    unrecorded: dict[str, list[str]] = {}
    stale: dict[str, list[str]] = {}
    for lang in content.languages[1:]:
        recorded = content.sources.get(lang, {})
        keys = [key for key in content.texts[lang] if key in dutch]
        unrecorded[lang] = [key for key in keys if key not in recorded]
        stale[lang] = [key for key in keys if recorded.get(key, dutch[key]) != dutch[key]]
    assert {lang: keys for lang, keys in unrecorded.items() if keys} == {}, (
        "translations without a recorded Dutch source: run `baken content mark-current LANG`"
    )
    assert {lang: keys for lang, keys in stale.items() if keys} == {}


def test_dutch_messages_average_under_twelve_words(content: Content) -> None:
    """Every Dutch text a flow or screen shows averages under 12 words a sentence."""
    dutch = content.texts[DEFAULT_LANG]
    long = {
        key: round(average_words(dutch[key]), 1)
        for _, key in flow_text_keys(content)
        if average_words(dutch[key]) >= MAX_AVERAGE_WORDS
    }
    assert long == {}


def test_service_purposes_are_short(content: Content) -> None:
    """The line under each service's name is short too, in every language."""
    long = {
        (service.id, lang): text
        for service in content.services.values()
        for lang, text in service.purpose.items()
        if average_words(text) >= MAX_AVERAGE_WORDS
    }
    assert long == {}


def test_at_most_three_paragraphs(content: Content) -> None:
    """No message has more than three paragraphs."""
    crowded = {
        (lang, key)
        for lang, texts in content.texts.items()
        for _, key in flow_text_keys(content)
        if key in texts and len(re.split(r"\n\s*\n", texts[key].strip())) > MAX_PARAGRAPHS
    }
    assert crowded == set()


def test_no_why_questions(content: Content) -> None:
    """Nobody is asked "why": it sounds like blame."""
    asking_why = {
        (lang, key)
        for lang, texts in content.texts.items()
        for key, text in texts.items()
        if re.search(r"\b(waarom|why)\b[^.!]*\?", text, re.IGNORECASE)
    }
    assert asking_why == set()


def test_button_labels_fit_a_phone(content: Content) -> None:
    """Every answer button label is short enough to show whole."""
    too_long = {
        (lang, option.label_key): texts[option.label_key]
        for lang, texts in content.texts.items()
        for flow in content.flows.values()
        for state in flow.states.values()
        for option in state.options
        if option.label_key in texts and len(texts[option.label_key]) > MAX_LABEL
    }
    assert too_long == {}


def test_summary_speaks_in_the_voice_of_each_path(content: Content) -> None:
    """On the self path the summary says "I", about someone else "he or she", for
    professionals "the young person": each path uses its own summary sentences."""
    flow = content.flows[content.default_flow]
    wrong = []
    for state_name, state in flow.states.items():
        path = state_name.split("_", 1)[0]
        if path not in {"self", "other", "pro"}:
            continue
        for option in state.options:
            if option.summary and not option.summary.startswith(f"summary.{path}."):
                wrong.append((state_name, option.id, option.summary))
    assert wrong == []
    dutch = content.texts[DEFAULT_LANG]
    assert dutch["summary.self.age16_17"] == "Ik ben 16 of 17."
    assert dutch["summary.other.age16_17"] == "Het gaat om iemand van 16 of 17."


def test_every_service_states_only_verified_facts(content: Content) -> None:
    """Each service has a source and a date; opening hours only when verified."""
    for service in content.services.values():
        assert service.source, service.id
        assert service.verified_on is not None, service.id
        assert (service.hours is not None) == service.hours_verified, service.id
        assert service.chat_hours is None or service.chat_hours_verified, service.id


def test_fier_chat_hours_are_not_claimed(content: Content) -> None:
    """Fier's chat hours could not be verified: the bot points to the website."""
    fier = content.services["fier"]
    assert fier.chat_url == "https://www.chatmetfier.nl"
    assert fier.hours is None
    assert not fier.hours_verified


def at_state(engine: Engine, state: str, lang: str, answers: dict[str, tuple[str, ...]]) -> Session:
    session = engine.new_session(AT, lang)
    for question, chosen in answers.items():
        session = session.with_answer(question, chosen)
    return Session(
        flow=session.flow,
        state=state,
        lang=lang,
        version=session.version,
        started=AT,
        updated=AT,
        answers=session.answers,
    )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_typing_a_label_chooses_that_option(engine: Engine, content: Content, lang: str) -> None:
    """Typing a button's label (instead of tapping it) chooses that button, and is
    never mistaken for a crisis there (elsewhere "Iemand bedreigt mij of mijn familie"
    gets the check "Ben je nu in gevaar?" with 112)."""
    flow = content.flows[content.default_flow]
    language_words = {w.casefold() for words in content.intents.language.values() for w in words}
    # A language's own name typed anywhere switches to it at once: the same result.
    language_words |= {content.text(c, f"language.{c}").casefold() for c in content.languages}
    missed = []
    for state_name, state in flow.states.items():
        for option in state.options:
            label = content.text(lang, option.label_key)
            session = at_state(engine, state_name, lang, {"role": ("self",)})
            if label.casefold() in language_words:
                continue  # "English" typed anywhere opens the language menu: same result
            after, outputs = engine.step(session, Text(at=AT, text=label))
            assert not any(isinstance(o, Count) and "crisis" in o.metric for o in outputs), label
            assert after is not None
            if option.id not in after.answer(state_name):
                missed.append((state_name, label))
    assert missed == []


@pytest.mark.parametrize(
    ("state", "typed", "option"),
    [
        ("welcome", "jep", "safe_yes"),
        ("welcome", "jaaa", "safe_yes"),
        ("welcome", "nee nu niet", "safe_no"),
        ("danger", "nee", "danger_no"),
        ("self_age", "ik ben 15", "u16"),
        ("self_age", "16 jaar", "age16_17"),
        ("self_do", "idk", "dontknow"),
        ("self_do", "weet nie", "dontknow"),
        ("self_do", "kweenie", "dontknow"),
        ("self_do", "drugs", "sig_drugs"),
        ("self_life", "loverboy", "sig_lover"),
        ("self_region", "stad groningen", "groningen"),
        ("self_region", "delfzijl", "groningen"),
        ("self_reflect", "ik twijfel", "reflect_unsure"),
        ("feedback", "beetje", "helped_bit"),
    ],
)
def test_what_young_people_type(engine: Engine, state: str, typed: str, option: str) -> None:
    """Everyday words and youth spelling choose the right option."""
    session = at_state(engine, state, "nl", {"role": ("self",)})
    after, _ = engine.step(session, Text(at=AT, text=typed))
    assert after is not None
    assert option in after.answer(state)


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("ik wil dooood", "suicide"),
        ("ik wil gwn dood", "suicide"),
        ("zelfmoort", "suicide"),
        ("ik zie het niet meer zitten", "suicide"),
        ("ik kras mezelf soms", "suicide"),
        ("kms", "suicide"),
        ("i wanna die", "suicide"),
        ("ze hebben een mes", "danger"),
        ("hij slaat me", "danger"),
        ("im trapped", "danger"),
        ("ik moet drugs brengen", None),
        ("mijn baas houdt mijn paspoort", None),
        ("ik ben doodmoe", None),
        # A "not" in an earlier clause does not cancel the crisis clause after it (a second
        # reader's finding: a wider look back for "not" had made these "no").
        ("ik kan niet meer wil dood", "suicide"),
        ("ik hou het niet vol wil zelfmoord plegen", "suicide"),
        ("nie wytrzymam chcę umrzeć", "suicide"),
        ("не витримую хочу померти", "suicide"),
        ("مش قادر بدي انتحر", "suicide"),
        # Typed in a last read, in the reader's own words: a time between "thinking of it"
        # and the jump had put the words too far apart for every rule.
        ("ik denk erover om vanavond van de brug te springen", "suicide"),
        # "I don't want to die", with the little word between: not a crisis.
        ("nu vreau sa mor, vreau doar ajutor", None),
        ("не искам да умра", None),
    ],
)
def test_crisis_language(engine: Engine, typed: str, kind: str | None) -> None:
    """Suicidal and self-harm language goes to 113, danger now to 112, ordinary
    answers to neither."""
    assert engine.crisis_kind(typed) == kind


@pytest.mark.parametrize("path", ["self", "other", "pro"])
def test_living_in_care_alone_is_no_sign(engine: Engine, content: Content, path: str) -> None:
    """Living in a care home is a risk, not a sign: on its own it gets "not sure yet",
    never "this can be exploitation"."""
    question = f"{path}_life"
    ticked = engine.step(
        at_state(engine, question, "nl", {"role": (path,)}),
        Text(at=AT, text=content.text("nl", f"signal.{'me' if path == 'self' else 'them'}.care")),
    )[0]
    assert ticked is not None
    assert ticked.answer(question) == ("sig_care",)
    after, _ = engine.step(ticked, Text(at=AT, text="klaar"))
    assert after is not None
    if path == "other":  # then the signs a parent sees first: a risk too, no sign
        after, _ = engine.step(after, Text(at=AT, text="Een tweede telefoon"))
        assert after is not None
        assert after.answer("other_seen") == ("sig_phone2",)
        after, _ = engine.step(after, Text(at=AT, text="klaar"))
        assert after is not None
    assert after.state == f"{path}_unsure"


@pytest.mark.parametrize(
    ("channel", "present", "absent"),
    [
        ("telegram", ["in de cloud van Telegram", "zelf verwijderen in Telegram"], ["browser"]),
        ("web", ["privévenster", "deze chat op de pagina"], ["Telegram"]),
        ("console", [], ["Telegram", "browser"]),
    ],
)
def test_privacy_speaks_of_the_channel_it_is_read_on(
    engine: Engine, channel: str, present: list[str], absent: list[str]
) -> None:
    """Texts with a variant per channel (``key@channel``): Telegram's cloud is only named on
    Telegram, the browser's history only on the web page, the terminal gets neither and no
    empty paragraph."""
    on = engine.speaking_on(channel)
    session = on.new_session(AT)
    for typed in ("privacy", "nee"):  # the privacy screen; the not-safe advice (welcome)
        _, outputs = on.step(session, Text(at=AT, text=typed))
        said = "\n".join(o.text for o in outputs if isinstance(o, Message))
        assert "\n\n\n" not in said
        assert not said.startswith("\n")
        if typed == "privacy":
            for words in present:
                assert words in said, (channel, words)
        for words in absent:
            assert words not in said, (channel, words)
    assert engine.speaking_on(channel) is on  # made once


def test_a_suggested_language_is_offered_never_switched(engine: Engine) -> None:
    """An app's or browser's language is a button in that language on the first question;
    the conversation stays Dutch until it is pressed, and then the whole opening is shown in
    that language. A suggestion of the language already spoken, or of one the content does
    not have, adds nothing."""
    session, outputs = engine.step(None, Start(at=AT, suggest="en"))
    assert session is not None
    assert session.lang == "nl"
    question = [o for o in outputs if isinstance(o, Message)][-1]
    assert question.buttons[0] == (Button("English", "!lang.en"),)
    session, outputs = engine.step(session, Choice(at=AT, data="!lang.en"))
    assert session is not None
    assert session.lang == "en"
    said = "\n".join(o.text for o in outputs if isinstance(o, Message))
    assert said.startswith("Hi!")
    assert "safe to chat" in said
    for suggest in ("nl", "xx", None):
        _, plain = engine.step(None, Start(at=AT, suggest=suggest))
        question = [o for o in plain if isinstance(o, Message)][-1]
        assert all(not b.data.startswith("!lang.") for row in question.buttons for b in row)


LANGUAGES = ("nl", "en", "pl", "ro", "bg", "uk", "ar")
OWN_NAMES = {
    "nl": "Nederlands",
    "en": "English",
    "pl": "Polski",
    "ro": "Română",
    "bg": "Български",
    "uk": "Українська",
    "ar": "العربية",
}


def test_seven_languages_each_in_its_own_name(content: Content, engine: Engine) -> None:
    """Every language has a texts file that says what it is (draft until a native speaker
    has read it); the menu lists each in its own name; Arabic is right to left."""
    assert set(content.languages) == set(LANGUAGES)
    for code in LANGUAGES:
        assert content.reviews[code].review in ("source", "draft", "reviewed")
        assert content.reviews[code].direction == ("rtl" if code == "ar" else "ltr")
    session = at_state(engine, "role", "pl", {})
    _, outputs = engine.step(session, Command(at=AT, name="lang"))
    menu = [o for o in outputs if isinstance(o, Message)][-1]
    labels = [b.label for row in menu.buttons for b in row]
    assert [label for label in labels if label in OWN_NAMES.values()] == [
        OWN_NAMES[code] for code in content.languages
    ]


@pytest.mark.parametrize("code", LANGUAGES)
def test_typing_a_languages_own_name_switches_from_a_question(engine: Engine, code: str) -> None:
    """Typing "Polski", "Українська" or "العربية" at any question switches to that language and
    asks the same question again in it."""
    start = "en" if code == "nl" else "nl"
    session = at_state(engine, "role", start, {})
    new, outputs = engine.step(session, Text(at=AT, text=OWN_NAMES[code]))
    assert new is not None
    assert new.lang == code
    assert new.state == "role"
    question = [o for o in outputs if isinstance(o, Message)][-1]
    assert question.text == engine.content.text(code, "role.question")


def test_arabic_keeps_numbers_and_addresses_left_to_right(engine: Engine) -> None:
    """In Arabic, 113, 113.nl and phone numbers are isolated runs (U+2066 ... U+2069), so they
    read left to right inside right-to-left text, on Telegram as on the web."""
    session = at_state(engine, "role", "ar", {})
    _, outputs = engine.step(session, Text(at=AT, text="ik wil dood"))
    said = "\n".join(o.text for o in outputs if isinstance(o, Message))
    assert "\u2066113.nl\u2069" in said
    assert "113" in said
