"""WhatsApp's renderer: every message of the shipped dialogue fits WhatsApp's limits, in
every language, and every answer stays reachable (a button, a list row, or a typed word).

The limits are checked by the stand-in Cloud API's own rules (testkit/cloudapi/rules.py),
written from Meta's documentation apart from the renderer's.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.channels.whatsapp import limits, render
from bot.derived import build_engine
from flows import Button, Choice, Engine, Link, Message, Resume, Start, Text, load_content
from flows.loader import default_content_dir
from testkit.cloudapi import notifications, problems
from testkit.walk import situations

WORDS = render.Words(
    choose="Kies", more="Meer keuzes:", typed="Typ hulp of stop.", open="Open de website"
)
WA_ID = "31612345678"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_engine(load_content(default_content_dir())).speaking_on("whatsapp")


def sendable(message: Message, words: render.Words = WORDS) -> list[render.JSON]:
    calls, dropped = render.render_message(message, words)
    assert dropped == 0
    for call in calls:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": WA_ID}
        assert problems({**body, **call}) == [], call
    return calls


def reachable(calls: list[render.JSON]) -> set[str]:
    """Button data the person can send: ids of buttons and rows."""
    found: set[str] = set()
    for call in calls:
        action = call.get("interactive", {}).get("action", {})
        found |= {b["reply"]["id"] for b in action.get("buttons", [])}
        found |= {r["id"] for s in action.get("sections", []) for r in s["rows"]}
    return found


def shown(calls: list[render.JSON]) -> str:
    return "\n".join(
        c.get("text", {}).get("body", "") or c["interactive"]["body"]["text"] for c in calls
    )


def test_every_message_of_the_dialogue_fits_in_every_language(engine: Engine) -> None:
    """Every situation reachable by buttons, in each language: nothing Meta would refuse,
    every answer a button or row, help and stop a button or a typed word."""
    seen = 0
    for lang in engine.content.languages:
        for situation in situations(engine, limit=400):
            session = dataclasses.replace(situation.session, lang=lang)
            _, outputs = engine.step(session, Resume(at=1_764_000_000))
            for output in (*situation.outputs, *outputs):
                if not isinstance(output, Message):
                    continue
                calls = sendable(output, WORDS)
                seen += 1
                data = {b.data for row in output.buttons for b in row}
                missing = data - reachable(calls)
                assert missing <= render.TYPABLE, missing
                if missing:
                    assert WORDS.typed in shown(calls)
    assert seen > 1000


def test_crisis_answers_fit_from_the_first_message(engine: Engine) -> None:
    for sentence in ("ik wil dood", "ik word bedreigd en ben in gevaar"):
        _, outputs = engine.step(None, Text(at=1_764_000_000, text=sentence))
        calls = [c for o in outputs if isinstance(o, Message) for c in sendable(o)]
        assert any("113" in t or "112" in t for t in shown(calls).split("\n"))


def button(label: str, data: str | None = None, *, selected: bool = False) -> Button:
    return Button(label, data or label.lower()[:10], selected=selected, ticked=f"✅ {label}")


def test_three_short_answers_are_reply_buttons() -> None:
    message = Message("Ben je veilig?", ((button("Ja"), button("Nee")), (button("Hulp", "!help"),)))
    (call,) = sendable(message)
    assert call["interactive"]["type"] == "button"
    assert reachable([call]) == {"ja", "nee", "!help"}


def test_help_and_stop_make_way_for_the_answers_and_can_be_typed() -> None:
    rows = ((button("Ja"),), (button("Nee"),), (button("Hulp", "!help"), button("Stop", "!stop")))
    (call,) = sendable(Message("Ben je veilig?", rows))
    assert call["interactive"]["type"] == "button"
    assert reachable([call]) == {"ja", "nee"}
    assert call["interactive"]["body"]["text"] == f"Ben je veilig?\n\n{WORDS.typed}"


def test_more_options_become_a_list_with_long_labels_whole_below() -> None:
    long = "Ik werk voor een uitzendbureau dat mijn loon inhoudt"
    rows = (*((button(f"Optie {i}", f"o{i}"),) for i in range(5)), (button(long, "long"),))
    (call,) = sendable(Message("Wat klopt?", rows))
    action = call["interactive"]["action"]
    assert call["interactive"]["type"] == "list"
    last = action["sections"][0]["rows"][-1]
    assert len(last["title"]) <= limits.MAX_ROW_TITLE
    assert last["title"].endswith("…")
    assert last["description"] == long


def test_over_ten_options_drop_help_and_stop_first() -> None:
    answers = tuple((button(f"Optie {i}", f"o{i}"),) for i in range(9))
    rows = (*answers, (button("Hulp", "!help"), button("Stop", "!stop")))
    (call,) = sendable(Message("Wat klopt?", rows))
    assert reachable([call]) == {f"o{i}" for i in range(9)}
    assert WORDS.typed in call["interactive"]["body"]["text"]


def test_a_multiple_choice_question_is_sent_again_with_its_ticks() -> None:
    rows = tuple((button(f"Optie {i}", f"o{i}", selected=i == 1),) for i in range(5))
    rows += ((button("Klaar", "done"),),)
    (call,) = sendable(Message("Wat klopt?", rows, replaces=True))
    titles = [r["title"] for r in call["interactive"]["action"]["sections"][0]["rows"]]
    assert titles[1] == "✅ Optie 1"
    assert titles[-1] == "Klaar"


def test_a_long_text_goes_first_and_its_end_is_the_body() -> None:
    text = "\n\n".join(f"Alinea {i} " + "woord " * 60 for i in range(8))
    calls = sendable(Message(text, ((button("Ja"),),)))
    assert [c["type"] for c in calls][:-1] == ["text"] * (len(calls) - 1)
    assert calls[-1]["interactive"]["type"] == "button"
    assert shown(calls).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_links_become_url_buttons_after_the_text() -> None:
    links = (
        Link("Fier", "https://www.fier.nl/chat"),
        Link("Centrum tegen Kinderhandel en Mensenhandel", "https://www.ckm.nl"),
    )
    calls = sendable(Message("Hier kun je terecht.", (), links))
    assert [c["type"] for c in calls] == ["text", "interactive", "interactive"]
    params = [c["interactive"]["action"]["parameters"] for c in calls[1:]]
    assert params[0] == {"display_text": "Fier", "url": "https://www.fier.nl/chat"}
    assert params[1]["display_text"] == WORDS.open
    assert calls[2]["interactive"]["body"]["text"] == links[1].label


def test_a_copyable_summary_goes_alone() -> None:
    (call,) = sendable(Message("Samenvatting: ...", copyable=True))
    assert call == {"type": "text", "text": {"body": "Samenvatting: ...", "preview_url": False}}


# ---------------------------------------------------------------- incoming


def read(message: render.JSON, phone_number_id: str = "42") -> list[render.Inbound]:
    body = notifications.envelope("42", WA_ID, message, name="Kwikstaart")
    return render.read_notification(
        body, 7, phone_number_id=phone_number_id, is_crisis=lambda t: "dood" in t
    )


def test_text_buttons_and_rows_become_engine_events() -> None:
    assert read(notifications.text("hoi"))[0].event == Text(at=7, text="hoi")
    assert read(notifications.text("/start"))[0].event == Start(at=7)
    assert read(notifications.button_reply("ja.1", "Ja"))[0].event == Choice(at=7, data="ja.1")
    assert read(notifications.list_reply("o3", "Optie"))[0].event == Choice(at=7, data="o3")


def test_media_asks_again_unless_its_caption_is_a_crisis() -> None:
    (photo,) = read(notifications.image())
    assert (photo.event, photo.note) == (Resume(at=7), render.ONLY_TEXT)
    assert read(notifications.image("ik wil dood"))[0].event == Text(at=7, text="ik wil dood")
    (place,) = read(notifications.location(52.1, 5.1))
    assert (place.kind, place.event) == ("shared", Resume(at=7))


def test_reactions_statuses_and_other_numbers_are_not_read() -> None:
    assert read(notifications.reaction("wamid.x")) == []
    assert read(notifications.text("hoi"), phone_number_id="43") == []
    status = notifications.status_notification("42", WA_ID)
    assert render.read_notification(status, 7, phone_number_id="42", is_crisis=bool) == []
    for junk in (None, [], {"object": "page"}, {"object": "whatsapp_business_account", "entry": 5}):
        assert render.read_notification(junk, 7, phone_number_id="42", is_crisis=bool) == []


def test_the_profile_name_is_not_kept() -> None:
    (inbound,) = read(notifications.text("hoi"))
    assert "Kwikstaart" not in repr(inbound)
    assert WA_ID not in repr(inbound)


def test_several_messages_in_one_notification_keep_their_order() -> None:
    body = notifications.envelope("42", WA_ID, notifications.text("een"))
    value = body["entry"][0]["changes"][0]["value"]
    later = notifications.envelope("42", "31698765432", notifications.text("twee"))
    value["messages"].append(later["entry"][0]["changes"][0]["value"]["messages"][0])
    value["messages"].append({**value["messages"][0], "text": {"body": "drie"}, "id": "wamid.3"})
    found = render.read_notification(body, 7, phone_number_id="42", is_crisis=bool)
    assert [(i.wa_id, i.event) for i in found] == [
        (WA_ID, Text(at=7, text="een")),
        ("31698765432", Text(at=7, text="twee")),
        (WA_ID, Text(at=7, text="drie")),
    ]
