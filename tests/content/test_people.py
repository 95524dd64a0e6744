"""What five people ran into, one behaviour each, on the shipped content.

The whole conversations are golden files (tests/scenarios/five-*.yaml); these tests
pin the single behaviours they depend on, so a failure names what broke.
"""

from __future__ import annotations

import pytest

from flows import Content, Engine, Handoff, Message, Output, Session, Text

AT = 1_795_528_800  # 2026-11-24 15:00, Amsterdam


def at(engine: Engine, state: str, lang: str = "nl", **answers: tuple[str, ...]) -> Session:
    session = engine.new_session(AT, lang)
    for question, chosen in answers.items():
        session = session.with_answer(question, chosen)
    return session.evolve(state=state)


def texts(outputs: tuple[Output, ...]) -> str:
    return "\n".join(o.text for o in outputs if isinstance(o, Message))


def step(engine: Engine, session: Session, typed: str) -> tuple[Session, tuple[Output, ...]]:
    after, outputs = engine.step(session, Text(at=AT, text=typed))
    assert after is not None
    return after, outputs


@pytest.mark.parametrize(
    ("typed", "option"),
    [
        ("Westland", "elsewhere"),
        ("ik woon in delfzijl", "groningen"),
        ("mieszkam w Westland", "elsewhere"),
        ("bij ons in Den Haag", "elsewhere"),
        ("Ter Apel", "groningen"),
    ],
)
def test_a_town_answers_where_you_live(engine: Engine, typed: str, option: str) -> None:
    """A place name anywhere in the message answers the region question, in any language."""
    after, _ = step(engine, at(engine, "self_region", role=("self",)), typed)
    assert after.answer("self_region") == (option,)


def test_a_word_that_is_no_place_answers_nothing(engine: Engine) -> None:
    """Only listed names count: "echt" (also a town in Limburg) is left out on purpose."""
    after, _ = step(engine, at(engine, "self_region", role=("self",)), "echt geen idee man")
    assert after.answer("self_region") == ()


@pytest.mark.parametrize(("typed", "lang"), [("kan ik opnieuw beginnen?", "nl"), ("od nowa", "pl")])
def test_asking_to_start_again_starts_clean(engine: Engine, typed: str, lang: str) -> None:
    """After the end, "start again" is a clean start: the opening, earlier answers gone."""
    done = at(engine, "bye", lang, role=("self",), self_age=("u16",))
    after, outputs = step(engine, done, typed)
    assert after.state == engine.content.flows[engine.content.default_flow].start
    assert not after.answer("self_age")
    assert engine.content.text(lang, "welcome.safe_question") in texts(outputs)


def test_a_second_crisis_message_gets_shorter_words(engine: Engine, content: Content) -> None:
    """The second crisis screen of the same kind does not repeat the first word for word;
    113 is in both."""
    session = at(engine, "self_do", role=("self",))
    session, first = step(engine, session, "ik wil niet meer leven")
    session, second = step(engine, session, "ik wil echt niet meer leven")
    assert "113" in texts(first)
    assert "113" in texts(second)
    assert texts(second) != texts(first)
    assert content.text("nl", "crisis.again") in texts(second)


def test_after_a_crisis_the_end_asks_no_feedback(engine: Engine, content: Content) -> None:
    """After a crisis screen, the end says a word for now, not "did this help?"."""
    shown = at(engine, "self_handoff", role=("self",))
    after_crisis = shown.with_answer("_crisis", ("suicide",))
    with_crisis, outputs = step(engine, after_crisis, "verder")
    assert with_crisis.state == "bye_after_crisis"
    assert content.text("nl", "end.helped_question") not in texts(outputs)
    without, outputs = step(engine, shown, "verder")
    assert without.state == "feedback"


def handoff(engine: Engine, session: Session, typed: str) -> tuple[Handoff, str]:
    _, outputs = step(engine, session, typed)
    found = next(o for o in outputs if isinstance(o, Handoff))
    return found, texts(outputs)


def test_a_worker_whose_boss_keeps_the_passport_sees_labour_and_police_first(
    engine: Engine,
) -> None:
    session = at(
        engine, "self_region", "pl", role=("self",), self_age=("older",), self_do=("sig_boss",)
    )
    found, _ = handoff(engine, session, "Westland")
    assert found.services[:2] == ("arbeidsinspectie", "politie")


def test_a_professional_is_pointed_to_fier_and_keerpunt(engine: Engine) -> None:
    session = at(engine, "pro_region", role=("pro",), pro_age=("age16_17",), pro_do=("sig_drugs",))
    found, _ = handoff(engine, session, "Groningen")
    assert {"fier", "keerpunt"} <= set(found.services)


def test_interpreters_are_offered_only_to_who_reads_another_language(engine: Engine) -> None:
    answers = {"role": ("pro",), "pro_age": ("older",), "pro_do": ("sig_work",)}
    _, dutch = handoff(engine, at(engine, "pro_region", "nl", **answers), "Groningen")
    _, english = handoff(engine, at(engine, "pro_region", "en", **answers), "Groningen")
    assert "tolk" not in dutch
    assert "interpreter" in english


def test_a_website_is_not_said_to_be_open_day_and_night(engine: Engine, content: Content) -> None:
    """The Wegwijzer is a website: its card says no opening hours at all."""
    found, shown = handoff(engine, at(engine, "pro_region", role=("pro",)), "Amsterdam")
    assert "wegwijzer" in found.services
    card = next(c for c in shown.split("\n\n") if c.startswith("Wegwijzer"))
    assert content.text("nl", "service.always_open") not in card


def test_a_young_person_is_not_asked_about_the_perpetrators(engine: Engine) -> None:
    session = at(engine, "self_region", role=("self",), self_age=("u16",))
    _, shown = handoff(engine, session, "Groningen")
    assert "daders" not in shown


def test_a_story_after_the_age_question_notes_nothing_for_another_path(engine: Engine) -> None:
    """ "mijn vriend is 19" after the age was answered: no age kept for the other path's
    age question. What the story says for a later question of this path (gifts, and now
    "I must": sig_lover, read since round 6) is kept for it, and only then promised."""
    session = at(engine, "self_do", role=("self",), self_age=("u16",))
    after, outputs = step(
        engine, session, "mijn vriend is 19 hij geeft me dure dingen en nu moet ik mee"
    )
    assert after.answer("_noted") == ("sig_lover",)
    assert engine.content.text("nl", "understand.noted") in texts(outputs)
    session = at(engine, "self_do", role=("self",), self_age=("u16",))
    after, outputs = step(engine, session, "mijn vriend is 19 en hij haalt me op van school")
    assert after.answer("_noted") == ()
    assert engine.content.text("nl", "understand.noted") not in texts(outputs)
