"""Behaviour of the engine on a small fixed flow: what a person would notice."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot.derived import build_engine
from flows import (
    Answered,
    Choice,
    Command,
    Count,
    End,
    Engine,
    Event,
    Handoff,
    Message,
    Output,
    Resume,
    Session,
    Stale,
    Start,
    Text,
    Timeout,
    Wipe,
    load_content,
)
from flows.hours import AMSTERDAM
from tests.flows.mini import FLOW, make_content

TUESDAY_10 = int(dt.datetime(2026, 11, 24, 10, 0, tzinfo=AMSTERDAM).timestamp())
SATURDAY_10 = int(dt.datetime(2026, 11, 28, 10, 0, tzinfo=AMSTERDAM).timestamp())
CHRISTMAS_10 = int(dt.datetime(2026, 12, 25, 10, 0, tzinfo=AMSTERDAM).timestamp())


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return build_engine(load_content(make_content(tmp_path_factory.mktemp("mini"))))


def texts(outputs: tuple[Output, ...]) -> list[str]:
    """The paragraphs shown, in order (a turn's texts come as paragraphs of one message)."""
    return [p for o in outputs if isinstance(o, Message) for p in o.text.split("\n\n")]


def messages(outputs: tuple[Output, ...]) -> list[Message]:
    return [o for o in outputs if isinstance(o, Message)]


def buttons(outputs: tuple[Output, ...]) -> dict[str, str]:
    """Label -> data of the last message with buttons."""
    found: dict[str, str] = {}
    for o in outputs:
        if isinstance(o, Message) and o.buttons:
            found = {b.shown: b.data for row in o.buttons for b in row}
    return found


class Conversation:
    """Drives the engine like a person: press labels, type text."""

    def __init__(self, engine: Engine, at: int = TUESDAY_10, lang: str | None = None) -> None:
        self.engine = engine
        self.at = at
        self.lang = lang
        self.session: Session | None = None
        self.outputs: tuple[Output, ...] = ()

    def send(self, event: Event) -> tuple[Output, ...]:
        self.session, self.outputs = self.engine.step(self.session, event)
        return self.outputs

    def start(self, payload: str | None = None) -> tuple[Output, ...]:
        return self.send(Start(at=self.at, payload=payload, lang=self.lang))

    def press(self, label: str) -> tuple[Output, ...]:
        return self.send(Choice(at=self.at, data=buttons(self.outputs)[label]))

    def type(self, text: str) -> tuple[Output, ...]:
        return self.send(Text(at=self.at, text=text))


def test_start_asks_the_first_question_with_help_and_stop(mini: Engine) -> None:
    """The first screen introduces itself and asks, with answer buttons plus help and stop."""
    chat = Conversation(mini)
    out = chat.start()
    assert texts(out) == ["Hallo test.", "Wil je verder?"]
    assert list(buttons(out)) == ["Ja", "Nee", "Hulp nu", "Stop en wis"]
    assert Count("entry", "direct") in out
    assert chat.session is not None
    assert chat.session.state == "ask"


def test_deep_link_skips_the_question_it_answers(mini: Engine) -> None:
    """/start zelf presets 'who', so that question is never asked."""
    chat = Conversation(mini)
    out = chat.start("zelf")
    assert Count("entry", "zelf") in out
    out = chat.press("Ja")
    assert texts(out) == ["Wat gebeurt er?"]


@pytest.mark.parametrize(
    ("payload", "count"),
    [("poster", Count("campaign", "poster")), ("tv-2027", Count("campaign", "other"))],
)
def test_campaign_codes_only_count_in_aggregate(mini: Engine, payload: str, count: Count) -> None:
    """Known campaign codes are counted by name; any other code only as 'other'."""
    out = Conversation(mini).start(payload)
    assert count in out
    assert (
        all(payload not in str(o) for o in out if not isinstance(o, Count))
        or count.label == payload
    )


def test_multi_choice_toggles_in_place_and_submits(mini: Engine) -> None:
    """Pressing a sign marks it (same message updated), pressing again unmarks, Klaar submits."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    chat.press("Over mij")
    out = chat.press("Geld")
    assert out[-1].replaces if isinstance(out[-1], Message) else False
    assert "✅ Geld" in buttons(out)
    [ticked] = [b for m in messages(out) for row in m.buttons for b in row if b.selected]
    assert (ticked.label, ticked.shown) == ("Geld", "✅ Geld")  # the tick is a flag
    out = chat.press("✅ Geld")
    assert "Geld" in buttons(out)
    chat.press("Seks")
    chat.press("Geld")
    out = chat.press("Klaar")
    assert chat.session is not None
    assert chat.session.answer("signs") == ("money", "sex", "done")
    assert chat.session.state == "handoff_young"


def test_handoff_ranks_services_by_condition_and_builds_a_summary(mini: Engine) -> None:
    """Money chosen: the office is offered with its reason; the summary uses chosen options only."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    chat.press("Over mij")
    chat.press("Geld")
    out = chat.press("Klaar")
    handoff = next(o for o in out if isinstance(o, Handoff))
    assert handoff.services == ("test_open", "test_office")
    assert handoff.summary == "Ik wil verder. Het gaat over mij. Het gaat over geld."
    copy = [o for o in out if isinstance(o, Message) and o.copyable]
    assert [m.text for m in copy] == [handoff.summary]
    office = next(t for t in texts(out) if t.startswith("Kantoor"))
    assert "Omdat het over geld gaat." in office
    assert "Nu open." in office
    assert "0800-0000 (gratis)" in office
    assert texts(out)[:2] == ["Dank je.", "Hier is hulp."]
    assert next(iter(buttons(out))) == "Verder"
    assert "Talen: Nederlands, Polski" in office
    assert "tolk" not in office  # in Dutch, no interpreter is needed
    assert not any("je taal misschien niet" in t for t in texts(out))  # Dutch is spoken


def test_a_handoff_says_when_no_service_speaks_the_language(mini: Engine) -> None:
    """Languages come only from services.yaml (with their source). In English, where no
    service shown lists English, the handoff says so and points to the language lines."""
    chat = Conversation(mini, lang="en")
    chat.start()
    chat.press("Yes")
    chat.press("About me")
    chat.press("Money")
    out = chat.press("Done")
    office = next(t for t in texts(out) if t.startswith("Office"))
    assert "Languages: Nederlands, Polski\nYou can ask for an interpreter." in office
    always = next(t for t in texts(out) if t.startswith("Always Open"))
    assert "Languages" not in always  # nothing verified: nothing said
    assert "Does this help speak your language? I do not always know." in "\n".join(texts(out))


def test_one_message_per_turn(mini: Engine) -> None:
    """A turn's texts are paragraphs of one message with its buttons; the handoff is two.

    The service cards share one message with a web button each; the summary to copy is
    the second message, with the question's buttons. Every service's phone is in the text.
    """
    chat = Conversation(mini)
    out = chat.start()
    [first] = messages(out)
    assert first.text == "Hallo test.\n\nWil je verder?"
    assert first.buttons
    chat.press("Ja")
    chat.press("Over mij")
    chat.press("Geld")
    out = chat.press("Klaar")
    cards, summary = messages(out)
    assert [link.url for link in cards.links] == [
        "https://example.org/open",
        "https://example.org/chat",
    ]
    assert "0800-0000" in cards.text
    assert not cards.buttons
    assert summary.copyable
    assert summary.buttons
    out = chat.type("ik wil dood")
    [crisis] = messages(out)
    assert "113" in crisis.text
    assert crisis.links
    assert crisis.buttons


def test_condition_picks_the_other_branch(mini: Engine) -> None:
    """About a friend: the other handoff, without summary."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    chat.press("Over een vriend")
    out = chat.press("Klaar")
    handoff = next(o for o in out if isinstance(o, Handoff))
    assert handoff.services == ("test_office",)
    assert not any(isinstance(o, Message) and o.copyable for o in out)


def test_a_text_with_when_is_said_only_after_that_answer(tmp_path: Path) -> None:
    """A line of `say:` with `when` is said only when that answer was chosen: "you are not a
    criminal" after a sign of crime, never to someone who chose nothing like it."""
    flow = FLOW.replace(
        "    say: [t.info]\n",
        "    say:\n      - t.info\n      - {text: end.bye, when: {signs: [money]}}\n",
    )
    engine = build_engine(load_content(make_content(tmp_path, flow)))
    for sign, said in (("Geld", True), ("Seks", False)):
        chat = Conversation(engine)
        chat.start()
        chat.press("Ja")
        chat.press("Over mij")
        chat.press(sign)
        out = texts(chat.press("Klaar"))
        assert "Dank je." in out
        assert ("Goed dat je dit hebt gedaan." in out) is said, (sign, out)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (TUESDAY_10, "Nu open."),
        (SATURDAY_10, "Nu dicht. Weer open: maandag 09:00."),
        (CHRISTMAS_10, "Nu dicht. Weer open: maandag 09:00."),
    ],
)
def test_opening_hours_in_amsterdam_time_with_holidays(
    mini: Engine, at: int, expected: str
) -> None:
    """Open now, or when it opens next; Christmas (a Friday in 2026) counts as closed."""
    chat = Conversation(mini, at=at)
    chat.start()
    chat.press("Ja")
    chat.press("Over een vriend")
    out = chat.press("Klaar")
    office = next(t for t in texts(out) if t.startswith("Kantoor"))
    assert expected in office


@pytest.mark.parametrize(
    "data",
    [
        "",
        "garbage",
        "!nonsense",
        "0000.0.yes",
        "{tag}.99.yes",
        "{tag}.1.yes",
        "{tag}.0.nope",
        "{tag}.0.yes.extra",
        "yes.00000000",
        "yes.",
        "no.{yes-tag}",
        "x" * 5000,
        "{tag}.-1.yes",
    ],
)
def test_forged_or_stale_buttons_get_a_gentle_reply_and_the_question(
    mini: Engine, data: str
) -> None:
    """Anything but a current button: a kind word, the current question again, state unchanged."""
    chat = Conversation(mini)
    chat.start()
    before = chat.session
    yes_tag = buttons(chat.outputs)["Ja"].rpartition(".")[2]
    data = data.replace("{tag}", mini.version[:4]).replace("{yes-tag}", yes_tag)
    out = chat.send(Choice(at=TUESDAY_10, data=data))
    assert Stale() in out
    assert not any(isinstance(o, Answered) for o in out)
    assert texts(out) == [
        "Die knop hoort bij een oudere vraag. Hier is de vraag van nu.",
        "Wil je verder?",
    ]
    assert chat.session is not None
    assert before is not None
    assert chat.session.state == before.state
    assert chat.session.answers == before.answers


def test_global_buttons_work_from_old_messages(mini: Engine) -> None:
    """Help pressed on an old message still helps, then 'Verder' returns to the question."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    out = chat.send(Choice(at=TUESDAY_10, data="!help"))
    assert any("112" in t for t in texts(out))
    assert out[0] == Answered(("Hulp nu",))
    out = chat.press("Verder met het gesprek")
    assert out[0] == Answered(("Verder met het gesprek",))
    assert texts(out) == ["Over wie gaat het?"]


def test_a_press_says_what_was_chosen_first(mini: Engine) -> None:
    """A press yields Answered with the labels chosen, before any message; a toggle does not."""
    chat = Conversation(mini)
    chat.start()
    out = chat.press("Ja")
    assert out[0] == Answered(("Ja",))
    chat.press("Over mij")
    out = chat.press("Geld")
    assert not any(isinstance(o, Answered | Stale) for o in out)  # a tick, not an answer
    chat.press("Seks")
    out = chat.press("Klaar")
    assert Answered(("Geld", "Seks", "Klaar")) in out
    assert out.index(Answered(("Geld", "Seks", "Klaar"))) < min(
        i for i, o in enumerate(out) if isinstance(o, Message)
    )
    typed = Conversation(mini)
    typed.start()
    assert not any(isinstance(o, Answered) for o in typed.type("ja"))  # typed: own words


def test_none_of_these_is_answered_with_its_own_label(mini: Engine) -> None:
    """'Nee, iets anders' under 'did you mean' asks again and says that label was chosen."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    chat.type("over")  # close to both options: "did you mean"
    out = chat.press("Nee, iets anders")
    assert out[0] == Answered(("Nee, iets anders",))
    assert texts(out) == ["Over wie gaat het?"]


def test_a_reload_keeps_open_buttons_valid(tmp_path: Path, mini: Engine) -> None:
    """New content that leaves a question alone: its open buttons still work.

    Only a button whose option changed meaning (its label) is stale.
    """
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    open_question = chat.outputs
    edited = make_content(tmp_path / "a", FLOW.replace("Wil je verder?", "x"))
    texts_nl = edited / "texts" / "nl.yaml"
    texts_nl.write_text(
        texts_nl.read_text(encoding="utf-8").replace('hello: "Hallo test."', 'hello: "Hoi."'),
        encoding="utf-8",
    )
    chat.engine = build_engine(load_content(edited))
    assert chat.engine.version != mini.version
    chat.outputs = open_question
    out = chat.press("Over mij")
    assert out[0] == Answered(("Over mij",))
    assert texts(out) == ["Wat gebeurt er?"]

    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    open_question = chat.outputs
    renamed = make_content(tmp_path / "b")
    texts_nl = renamed / "texts" / "nl.yaml"
    texts_nl.write_text(
        texts_nl.read_text(encoding="utf-8").replace('me: "Over mij"', 'me: "Over iemand"'),
        encoding="utf-8",
    )
    chat.engine = build_engine(load_content(renamed))
    chat.outputs = open_question
    out = chat.press("Over mij")
    assert Stale() in out
    assert texts(out)[-1] == "Over wie gaat het?"


@pytest.mark.parametrize(
    ("sentence", "number"),
    [
        ("ik wil dood", "113"),
        ("Ik wil d00d!!", "113"),
        ("ik denk aan zelfmord", "113"),
        ("i want to kill myself", "113"),
        ("ik word bedreigd", "112"),
        ("hij slaat me", "112"),
    ],
)
def test_crisis_interrupts_and_the_conversation_can_resume(
    mini: Engine, sentence: str, number: str
) -> None:
    """A crisis sentence gets 113 or 112 at once; 'Verder' brings back the question."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    out = chat.type(sentence)
    assert any(number in t for t in texts(out))
    assert Count("crisis", "suicide" if number == "113" else "danger") in out
    assert all(m.urgent for m in messages(out))  # sent before anyone else's reply
    out = chat.press("Verder met het gesprek")
    assert texts(out) == ["Over wie gaat het?"]
    assert not any(m.urgent for m in messages(out))


def test_resume_asks_the_question_again_without_a_choice(mini: Engine) -> None:
    """A channel that could not take what the person did asks for the question again:
    nothing is marked as chosen or stale, and nothing is urgent."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    out = chat.send(Resume(at=chat.at))
    assert texts(out) == ["Over wie gaat het?"]
    assert not [o for o in out if isinstance(o, Answered | Stale)]
    assert not any(m.urgent for m in messages(out))


def test_a_possible_crisis_asks_with_the_number_already_shown(mini: Engine) -> None:
    """Not sure: one short check with 113 in it. 'Ja' shows the crisis screen; after
    'Verder' the question is back, with the earlier answer kept."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    out = chat.type("ik hou het niet meer vol")
    assert Count("crisis_check", "suicide") in out
    assert all(m.urgent for m in messages(out))
    assert any("113" in t for t in texts(out))
    assert set(buttons(out)) >= {"Ja", "Nee, ga verder"}
    out = chat.press("Ja")
    assert Count("crisis", "suicide") in out
    assert any("113" in t for t in texts(out))
    out = chat.press("Verder met het gesprek")
    assert texts(out) == ["Over wie gaat het?"]
    assert chat.session is not None
    assert chat.session.answer("ask") == ("yes",)


def test_no_at_the_check_goes_back_to_the_question(mini: Engine) -> None:
    """'Nee' at the check: back to the question they were at, answers kept, no screen."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    before = chat.session
    out = chat.type("hij staat voor de deur")
    assert Count("crisis_check", "danger") in out
    assert any("112" in t for t in texts(out))
    out = chat.press("Nee, ga verder")
    assert Count("crisis_check", "no") in out
    assert texts(out) == ["Over wie gaat het?"]
    assert chat.session is not None
    assert before is not None
    assert chat.session.state == before.state
    assert chat.session.answers == before.answers


def test_both_kinds_show_both_numbers(mini: Engine) -> None:
    """Suicidal words and danger now in one message: 113 and 112 on the screen."""
    chat = Conversation(mini)
    chat.start()
    out = chat.type("hij slaat me en ik wil dood")
    assert Count("crisis", "both") in out
    shown = "\n".join(texts(out))
    assert "113" in shown
    assert "112" in shown


@pytest.mark.parametrize("data", ["!crisis.suicide", "!crisis.danger", "!crisis.both", "!crisis.x"])
def test_yes_at_the_check_works_from_anywhere(mini: Engine, data: str) -> None:
    """The check's 'Ja' is a global button: with or without a session, storage down too."""
    number = {"!crisis.danger": "112"}.get(data, "113")
    _, out = mini.step(None, Choice(at=TUESDAY_10, data=data))
    assert any(number in t for t in texts(out))
    assert any(number in t for t in texts(mini.without_session(Choice(at=TUESDAY_10, data=data))))


def test_ordinary_words_are_no_crisis(mini: Engine) -> None:
    """Ordinary messages with crisis-looking words leave the conversation where it was."""
    for sentence in [
        "ik ben doodmoe",
        "mijn batterij is dood",
        "ik ga dood van het lachen",
        "die toets was killing",
        "ik moet drugs brengen",
        "hij slaat de bal",
    ]:
        assert mini.crisis(sentence).outcome == "no", sentence


@pytest.mark.parametrize("sentence", ["ik wil dood lol", "i want to die haha 😂"])
def test_a_crisis_said_laughing_still_gets_the_check(mini: Engine, sentence: str) -> None:
    """A cry for help is often masked with "lol": it gets the check with 113, not silence.
    Hyperbole ("ik ga dood van het lachen", "im dead 😂") gets nothing."""
    verdict = mini.crisis(sentence)
    assert verdict.outcome == "possible"
    assert verdict.kind == "suicide"
    for ordinary in ["ik ga dood van het lachen 😂", "im dead 😂😂", "mn moeder vermoordt me haha"]:
        assert mini.crisis(ordinary).outcome == "no", ordinary


def test_crisis_before_any_start_is_answered(mini: Engine) -> None:
    """The very first message can be a crisis; it is answered, not a welcome."""
    session, out = mini.step(None, Text(at=TUESDAY_10, text="ik wil niet meer leven"))
    assert any("113" in t for t in texts(out))
    assert session is not None


@pytest.mark.parametrize(
    "event",
    [
        Text(at=TUESDAY_10, text="stop"),
        Text(at=TUESDAY_10, text="Stopp"),
        Command(at=TUESDAY_10, name="stop"),
        Choice(at=TUESDAY_10, data="!stop"),
    ],
)
def test_stop_erases_and_ends(mini: Engine, event: Text | Command | Choice) -> None:
    """The safe word, /stop and the button all wipe the chat and end the session."""
    chat = Conversation(mini)
    chat.start()
    out = chat.send(event)
    assert chat.session is None
    assert any(isinstance(o, Wipe) for o in out)
    assert isinstance(out[-1], End)


def test_a_sentence_containing_stop_is_not_a_stop(mini: Engine) -> None:
    """Only the whole message is an intent: 'ik wil niet stoppen' does not erase."""
    chat = Conversation(mini)
    chat.start()
    out = chat.type("ik wil niet stoppen met praten")
    assert chat.session is not None
    assert not any(isinstance(o, Wipe) for o in out)


def test_language_switch_keeps_the_place(mini: Engine) -> None:
    """/taal en asks the current question again in English; /taal alone offers a choice."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    out = chat.send(Command(at=TUESDAY_10, name="taal"))
    assert set(buttons(out)) == {"Nederlands", "English"}
    out = chat.press("English")
    assert texts(out) == ["Who is it about?"]
    out = chat.press("About me")
    assert texts(out) == ["What is happening?"]


@pytest.mark.parametrize(
    ("typed", "state"),
    [
        ("ja", "who"),
        ("JA!!", "who"),
        ("jaa hoor", "who"),
        ("1", "who"),
        ("2", "finish"),
        ("nee", "finish"),
    ],
)
def test_typed_answers_match_options(mini: Engine, typed: str, state: str) -> None:
    """Young people type instead of tapping: labels, numbers and near-misses all work."""
    chat = Conversation(mini)
    chat.start()
    chat.type(typed)
    assert chat.session is not None
    assert chat.session.state == state


def test_synonyms_and_typos_at_a_question(mini: Engine) -> None:
    """A synonym from the phrase list chooses the option; so does a small typo."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    chat.press("Over mij")
    out = chat.type("poen")
    assert "✅ Geld" in buttons(out)
    out = chat.type("Klaaar")
    assert chat.session is not None
    assert chat.session.state == "handoff_young"


def test_unsure_text_asks_back_with_buttons(mini: Engine) -> None:
    """When unsure, baken asks 'Bedoel je …?' with the likely options and a way out."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    out = chat.type("over m")
    assert texts(out) == ["Bedoel je een van deze?"]
    assert "Over mij" in buttons(out)
    assert "Nee, iets anders" in buttons(out)
    out = chat.press("Over mij")
    assert texts(out) == ["Wat gebeurt er?"]


def test_typed_text_is_never_echoed_or_kept(mini: Engine) -> None:
    """Whatever is typed, no output and no stored session contains it."""
    chat = Conversation(mini)
    chat.start()
    canary = "Mijn naam is Zoë Canarybird 0612345678 Kerkstraat 12"
    outputs = chat.type(canary)
    chat.press("Ja")
    outputs += chat.type(canary)
    assert "Canarybird" not in repr(outputs)
    assert chat.session is not None
    assert "Canarybird" not in chat.session.to_json()
    assert "0612345678" not in chat.session.to_json()


def test_unknown_command_is_answered(mini: Engine) -> None:
    """An unknown command gets a short answer and the question again."""
    chat = Conversation(mini)
    chat.start()
    out = chat.send(Command(at=TUESDAY_10, name="hack", arg="rm -rf"))
    assert texts(out) == ["Dat commando ken ik niet.", "Wil je verder?"]


def test_timeout_ends_without_a_message(mini: Engine) -> None:
    """A timed-out conversation ends silently: a message popping up could betray someone."""
    chat = Conversation(mini)
    chat.start()
    out = chat.send(Timeout(at=TUESDAY_10 + 7200))
    assert out == (End(),)
    assert chat.session is None


def test_without_session_still_helps() -> None:
    """Storage down: crisis, help and stop work; anything else gets the emergency screen."""
    engine = build_engine(load_content(Path(__file__).parents[2] / "content"))
    crisis = engine.without_session(Text(at=TUESDAY_10, text="ik wil dood"))
    assert any("113" in t for t in texts(crisis))
    check = engine.without_session(Text(at=TUESDAY_10, text="ik trek het niet meer"))
    assert Count("crisis_check", "suicide") in check
    assert any("113" in t for t in texts(check))
    stop = engine.without_session(Command(at=TUESDAY_10, name="stop"))
    assert any(isinstance(o, Wipe) for o in stop)
    other = engine.without_session(Text(at=TUESDAY_10, text="hallo"))
    assert Count("error", "no_session") in other
    assert any("112" in t for t in texts(other))


def test_new_content_keeps_a_conversation_whose_state_still_exists(
    tmp_path: Path, mini: Engine
) -> None:
    """After a reload the conversation goes on where it was when its state still exists."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    changed = make_content(tmp_path, FLOW.replace("Wil je verder?", "x"))
    (changed / "texts" / "nl.yaml").write_text(
        (changed / "texts" / "nl.yaml")
        .read_text(encoding="utf-8")
        .replace('who: "Over wie gaat het?"', 'who: "Over wie gaat dit?"'),
        encoding="utf-8",
    )
    chat.engine = build_engine(load_content(changed))
    assert chat.engine.version != mini.version
    out = chat.type("ja")  # not an answer here; the question comes back, in the new words
    assert texts(out)[-1] == "Over wie gaat dit?"
    assert chat.session is not None
    assert chat.session.version == chat.engine.version


def test_new_content_restarts_gracefully_when_the_state_is_gone(
    tmp_path: Path, mini: Engine
) -> None:
    """When the state was removed, the person is told and starts again; nothing crashes."""
    chat = Conversation(mini)
    chat.start()
    chat.press("Ja")
    chat.press("Over mij")
    flow = FLOW.replace("  signs:", "  tekens:").replace("{signs: [money]}", "{tekens: [money]}")
    chat.engine = build_engine(load_content(make_content(tmp_path, flow)))
    out = chat.send(Choice(at=TUESDAY_10, data=buttons(chat.outputs)["Geld"]))
    assert texts(out)[0] == "Dit programma is net vernieuwd. We beginnen opnieuw."
    assert chat.session is not None
    assert chat.session.state == "ask"


def test_session_stays_small(mini: Engine) -> None:
    """A long conversation with many remembered messages stores well under 1 KiB."""
    chat = Conversation(mini)
    chat.start()
    for _ in range(20):
        chat.press("Ja")
        chat.press("Over mij")
        chat.press("Geld")
        chat.press("Seks")
        chat.press("Klaar")
        chat.press("Verder")
        chat.press("Nog een keer")
    assert chat.session is not None
    session = chat.session.with_messages(range(1, 400)).with_messages(range(500, 900, 3))
    assert len(session.to_json().encode()) <= 1024
    assert Session.from_json(session.to_json()) == session


def test_sessions_are_values(mini: Engine) -> None:
    """Stepping never changes the session passed in."""
    session, _ = mini.step(None, Start(at=TUESDAY_10))
    assert session is not None
    frozen = dataclasses.replace(session)
    mini.step(session, Text(at=TUESDAY_10, text="ja"))
    assert session == frozen


RESTART_FLOW = FLOW.replace(
    "      - {id: again, label: t.again, next: ask, count: true}",
    "      - {id: again, label: t.again, restart: true}",
).replace(
    "services: [test_open, {id: test_office, when: {signs: [money]}, why: t.why}]",
    "services: [test_open, {id: test_office, when: {signs: [money]}, why: t.why}, test_office,"
    " test_open]",
)


def test_restart_forgets_earlier_answers_and_duplicates_are_shown_once(tmp_path: Path) -> None:
    """A restart option starts clean; a service matched twice gets one card."""
    engine = build_engine(load_content(make_content(tmp_path, RESTART_FLOW)))
    chat = Conversation(engine)
    chat.start()
    chat.press("Ja")
    chat.press("Over mij")
    chat.press("Geld")
    out = chat.press("Klaar")
    handoff = next(o for o in out if isinstance(o, Handoff))
    assert handoff.services == ("test_open", "test_office")
    chat.press("Verder")
    out = chat.press("Nog een keer")
    assert texts(out) == ["Hallo test.", "Wil je verder?"]
    assert chat.session is not None
    assert dict(chat.session.answers) == {}


def test_typing_a_language_name_switches_at_once(mini: Engine) -> None:
    """'English' typed at a question switches the language without a menu; at the opening
    question the whole opening is shown again, in the new language."""
    chat = Conversation(mini)
    chat.start()
    out = chat.type("English")
    assert texts(out) == ["Hello test.", "Do you want to go on?"]
    out = chat.type("nederlands")
    assert texts(out)[-1] == "Wil je verder?"
    assert len(texts(out)) == 2
    chat.press("Ja")
    out = chat.type("English")
    assert texts(out) == ["Who is it about?"]


def office_card(tmp_path: Path, old: str, new: str) -> str:
    """The office's card at the handoff, after replacing ``old`` by ``new`` in services.yaml."""
    root = make_content(tmp_path)
    services = root / "services.yaml"
    text = services.read_text(encoding="utf-8")
    assert old in text
    services.write_text(text.replace(old, new), encoding="utf-8")
    chat = Conversation(build_engine(load_content(root)))
    chat.start()
    chat.press("Ja")
    chat.press("Over een vriend")
    out = chat.press("Klaar")
    return next(t for t in texts(out) if t.startswith("Kantoor"))


def test_service_cards_show_email(tmp_path: Path) -> None:
    """A service with an e-mail address shows it on its card."""
    office = office_card(
        tmp_path,
        "    phone_free: true\n    hours:\n      mon:",
        "    phone_free: true\n    email: hulp@example.org\n    hours:\n      mon:",
    )
    assert "\nMailen: hulp@example.org\n" in office


def test_no_website_means_no_website_hint(tmp_path: Path) -> None:
    """A service reached only by phone or e-mail is not told to 'see the website'."""
    office = office_card(
        tmp_path,
        '    chat_url: https://example.org/chat\n    phone: "0800-0000"\n'
        '    phone_free: true\n    hours:\n      mon: ["09:00-17:00"]\n'
        '      tue: ["09:00-17:00"]\n      wed: ["09:00-17:00"]\n'
        '      thu: ["09:00-17:00"]\n      fri: ["09:00-17:00"]\n'
        "    hours_verified: true\n",
        '    phone: "0800-0000"\n    phone_free: true\n',
    )
    assert office.startswith("Kantoor\nOp werkdagen.\nBellen: 0800-0000 (gratis)\nTalen:")


@pytest.mark.parametrize(
    ("text", "isolated"),
    [
        ("Bel 0800-0113.", "Bel \u20660800-0113\u2069."),
        ("chat op 113.nl.", "chat op \u2066113.nl\u2069."),
        (
            "+31 70 333 44 44 of info@comensha.nl",
            "\u2066+31 70 333 44 44\u2069 of \u2066info@comensha.nl\u2069",
        ),
        ("open 9:00 - 17:00", "open 9:00 - 17:00"),
        ("open 9.00 - 17.00 uur", "open 9.00 - 17.00 uur"),
        ("Bel 112 of 113", "Bel 112 of 113"),
    ],
)
def test_right_to_left_isolates_numbers_and_addresses_only(text: str, isolated: str) -> None:
    """In a right-to-left language, phone numbers and addresses become isolated left-to-right
    runs; times and short numbers stay as they are, and a sentence's full stop stays out."""
    from flows.wording import _LTR_RUN

    assert _LTR_RUN.sub(lambda m: f"\u2066{m.group(0)}\u2069", text) == isolated
