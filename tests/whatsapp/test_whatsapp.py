"""``baken whatsapp`` as a person, Meta and a stranger see it, over real HTTP.

A person reaches every handoff of the shipped dialogue by buttons and list rows; a crisis
sentence gets 112/113 in the first reply; forged and unsigned notifications are refused
and never run; statuses and duplicates are answered once or not at all; faults of the
Cloud API are retried, and a person Meta says is out of reach ends the turn quietly.
Every request baken made had to pass the stand-in's documented limits (checked when the
package's process stops: ``api.violations() == []``).
"""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from bot.derived import build_engine
from flows import Handoff, load_content
from flows.loader import default_content_dir
from testkit.cloudapi import Call, notifications
from testkit.walk import situations
from tests.whatsapp.conftest import VERIFY_TOKEN, Person, WhatsAppBaken, is_question

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

SAFE = "Kun je nu veilig chatten? Kijkt er niemand mee?"


def handoff_paths() -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """For every service a handoff offers: the shortest button path to it (and its deep link)."""
    engine = build_engine(load_content(default_content_dir()))
    found: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for situation in situations(engine):
        if situation.session.answer("_crisis"):
            continue  # reached after a crisis screen, which no button path shows
        for output in situation.outputs:
            if isinstance(output, Handoff):
                for service in output.services:
                    known = found.get(service)
                    if known is None or len(situation.presses) < len(known[1]):
                        found[service] = (situation.payload, situation.presses)
    return found


PATHS = handoff_paths()


def is_card(call: Call) -> bool:
    return call.kind == "cta_url"


async def metric(baken: WhatsAppBaken, name: str, **labels: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{baken.url}/metrics") as reply:
        page = await reply.text()
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{name}\{{{wanted}\}} ([0-9.e+]+)$", page, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@pytest.mark.parametrize("service", sorted(PATHS))
async def test_a_person_reaches_every_handoff(baken: WhatsAppBaken, service: str) -> None:
    """Buttons and list rows all the way to the service cards, each a URL button."""
    person = Person(baken)
    payload, presses = PATHS[service]
    before = await metric(baken, "baken_handoffs_total", service=service)
    await person.say(f"/start {payload}" if payload else "hoi")
    for label in presses[:-1]:
        await person.press(label)
    calls = await person.press(presses[-1], until=is_card)
    assert any(is_card(c) for c in calls)
    assert await metric(baken, "baken_handoffs_total", service=service) == before + 1


async def test_the_first_message_says_what_whatsapp_cannot_promise(baken: WhatsAppBaken) -> None:
    """Before the person types anything of their own: the number, the phone, stop."""
    person = Person(baken)
    await person.say("hoi")
    first = "\n".join(person.texts())
    assert "WhatsApp laat mij je telefoonnummer zien" in first
    assert "Je berichten blijven op je telefoon" in first
    question = person.question()
    assert SAFE in question.text
    assert list(question.options) == ["Ja, het is veilig", "Nee, nu niet", "Taal / Language"]
    assert question.text.endswith("Typ hulp voor hulp nu. Typ stop om te stoppen en te wissen.")


@pytest.mark.parametrize("sentence", ["ik wil dood", "ik wil er niet meer zijn"])
async def test_a_crisis_sentence_gets_113_at_once(baken: WhatsAppBaken, sentence: str) -> None:
    """As the very first message, and in the middle of a conversation."""
    person = Person(baken)
    calls = await person.say(sentence, until=lambda c: "113" in c.text)
    assert "113" in calls[0].text  # the first message baken sends is the crisis answer
    other = Person(baken)
    await other.say("hoi")
    await other.press("Ja, het is veilig")
    calls = await other.say(sentence, until=lambda c: "113" in c.text)
    assert "113" in calls[0].text


async def test_typed_help_and_stop_always_work(baken: WhatsAppBaken) -> None:
    person = Person(baken)
    await person.say("hoi")
    calls = await person.say("hulp", until=lambda c: "112" in c.text)
    assert "113" in calls[0].text
    calls = await person.say("stop", until=lambda c: "telefoon" in c.text)
    erased = calls[-1].text
    assert erased.startswith("Het gesprek is gestopt.")
    assert "Verwijderen" in erased
    assert "Archiveren" in erased


async def test_forged_and_unsigned_notifications_are_refused_and_never_run(
    baken: WhatsAppBaken,
) -> None:
    """403 without a signature, with a wrong one, or signed with another secret."""
    api = baken.api
    person = Person(baken)
    forged = api.notification(person.wa_id, notifications.text("ik wil dood"))
    assert await api.post(baken.webhook, forged, sign=False) == 403
    assert await api.post(baken.webhook, forged, signature="sha256=" + "0" * 64) == 403
    assert await api.post(baken.webhook, forged, signature="sha1=abc") == 403
    assert await api.post(baken.webhook, forged, secret="another-app-secret") == 403
    assert await api.post(baken.webhook, b"not json at all", sign=False) == 403
    assert await api.post(baken.webhook, b"not json at all") == 400  # signed, then parsed
    # The same person goes on; had a forged message run, its crisis answer would be first.
    await person.say("hoi")
    assert not any("113" in text for text in person.texts())
    assert SAFE in person.question().text


async def test_a_notification_delivered_again_is_answered_once(baken: WhatsAppBaken) -> None:
    api = baken.api
    person = Person(baken)
    body = api.notification(person.wa_id, notifications.text("hoi"))
    statuses = await asyncio.gather(*(api.post(baken.webhook, body) for _ in range(4)))
    assert statuses == [200] * 4
    await person.say("privacy", until=lambda c: "Meta" in c.text)
    assert sum(SAFE in text for text in person.texts()) == 1


async def test_statuses_reactions_and_other_numbers_get_no_answer(baken: WhatsAppBaken) -> None:
    api = baken.api
    person = Person(baken)
    status = notifications.status_notification(api.phone_number_id, person.wa_id, "read")
    assert await api.post(baken.webhook, status) == 200
    reaction = api.notification(person.wa_id, notifications.reaction("wamid.x"))
    assert await api.post(baken.webhook, reaction) == 200
    other = notifications.envelope("999", person.wa_id, notifications.text("ik wil dood"))
    assert await api.post(baken.webhook, other) == 200
    await person.say("hoi")
    assert sum(SAFE in t for t in person.texts()) == 1
    assert not any("113" in t for t in person.texts())


async def test_a_photo_asks_the_question_again(baken: WhatsAppBaken) -> None:
    person = Person(baken)
    await person.say("hoi")
    calls = await person.send(notifications.image())
    assert calls[-1].text.startswith("Ik kan alleen tekst en knoppen lezen.")
    assert SAFE in calls[-1].text


async def test_the_verification_handshake(baken: WhatsAppBaken) -> None:
    """Meta's GET with the verify token gets the challenge back; anything else 403."""
    url = baken.webhook
    good = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    async with aiohttp.ClientSession() as http:
        async with http.get(url, params=good) as reply:
            assert (reply.status, await reply.text()) == (200, "1158201444")
        for wrong in (
            {**good, "hub.verify_token": "wrong"},
            {**good, "hub.mode": "unsubscribe"},
            {k: v for k, v in good.items() if k != "hub.verify_token"},
            {**good, "hub.challenge": "<script>"},
        ):
            async with http.get(url, params=wrong) as reply:
                assert reply.status == 403
        async with http.get(f"{baken.url}/healthz") as reply:
            assert reply.status == 200


@pytest.mark.parametrize(
    "fault", ["throughput", "pair", "too_many", "server", "unavailable", "drop"]
)
async def test_cloud_api_faults_are_retried(baken: WhatsAppBaken, fault: str) -> None:
    """Throughput and pair limits, 429, 5xx and a dropped connection: the reply still
    arrives, once."""
    api = baken.api
    person = Person(baken)
    api.inject(fault)
    await person.say("hoi")
    assert sum(SAFE in text for text in person.texts()) == 1
    assert any(c.fault == fault for c in api.calls)  # it did get in the way


async def test_a_person_out_of_reach_ends_the_turn_quietly(baken: WhatsAppBaken) -> None:
    """Meta's "stop sending to this person": nothing more is tried, nothing crashes."""
    api = baken.api
    person = Person(baken)
    api.block(person.wa_id, "window")
    mark = len(api.calls)
    body = api.notification(person.wa_id, notifications.text("hoi"))
    assert await api.post(baken.webhook, body) == 200
    await api.wait_for(lambda c: c.to == person.wa_id and c.fault == "gone", since=mark)
    gone = await baken.wait_log("api_recipient_gone")
    assert gone["reason"] == "outside_24_hours"
    await Person(baken).say("hoi")  # and the next person is answered as ever
    assert [c.fault for c in api.calls[mark:] if c.to == person.wa_id] == ["gone"]


async def test_no_question_ever_broke_a_limit(baken: WhatsAppBaken) -> None:
    assert baken.api.violations() == []
    assert all(is_question(c) or c.kind in ("text", "cta_url") for c in baken.api.calls)


async def test_in_another_language_the_whatsapp_texts_come_in_it(baken: WhatsAppBaken) -> None:
    """The language list is a WhatsApp list too; the privacy and erase texts follow."""
    person = Person(baken)
    await person.say("hoi")
    await person.press("Taal / Language")
    await person.press("English")
    calls = await person.say("privacy", until=lambda c: "Meta" in c.text)
    assert any("WhatsApp belongs to Meta" in c.text for c in calls)
    calls = await person.say("stop", until=lambda c: c.text.startswith("The chat has stopped."))
    assert "Choose Delete" in calls[-1].text
