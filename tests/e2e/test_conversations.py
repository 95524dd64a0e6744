"""Whole conversations through the real `baken run` and `baken webhook`, in both modes."""

from __future__ import annotations

import json

import pytest

from testkit.botapi import Call
from tests.e2e.conftest import Baken, Chat, ends_with

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

SAFE = "Kun je nu veilig chatten? Kijkt er niemand mee?"
DANGER = "Ben jij of is iemand anders nu in gevaar?"
SITUATION = "Wat gebeurt er? Je mag meer dan één knop kiezen. Druk daarna op Klaar."
STALE = "Die knop hoort bij een oudere vraag. Hier is de vraag van nu."
ONLY_TEXT = "Ik kan alleen tekst en knoppen lezen. Typ je antwoord, of kies een knop."
ERASED = "Het gesprek is gestopt."
PRIVACY_LAST = "Typ stop of druk op Stop en wis. Dan wis ik dit gesprek."


text_is = ends_with


def contains(part: str):
    def predicate(call: Call) -> bool:
        return part in str(call.params.get("text", ""))

    return predicate


async def test_deep_link_conversation_to_the_handoff(chat: Chat) -> None:
    """/start zelf, buttons, typed text and a multiple choice reach Fier, and read well after."""
    await chat.start("zelf")
    assert chat.said()[-1] == SAFE
    await chat.press("Ja, het is veilig")
    assert chat.said()[-1] == DANGER  # the deep link answered "who is it about"
    await chat.say("nee")  # typed instead of pressed
    assert chat.said()[-1] == SITUATION

    await chat.press("Ik moet geld geven of een schuld betalen", method="editMessageReplyMarkup")
    await chat.press("Iemand bepaalt wat ik moet doen", method="editMessageReplyMarkup")
    assert chat.answer_buttons()[-1][:3] == [
        "✅ Iemand bepaalt wat ik moet doen",
        "✅ Ik moet geld geven of een schuld betalen",
        "Ik moet seks hebben of foto's sturen",
    ]
    assert chat.said()[-1] == SITUATION  # toggles edited the question, sent nothing new
    await chat.press("Klaar")
    await chat.press("Jonger dan 16")
    await chat.press("Verder")  # "shall I show where to get help?"
    summary = next(
        c
        for c in chat.api.calls_of("sendMessage")
        if c.params.get("chat_id") == chat.id and c.params.get("entities")
    )
    assert summary.params["text"].startswith("Het gaat over mij.")
    assert "Ik ben jonger dan 16." in summary.params["text"]
    assert summary.params["entities"][0]["type"] == "code"
    await chat.press("Verder", until=text_is("Had je hier iets aan? Je mag dit overslaan."))
    await chat.press("Ja", until=contains("Fijn dat je dit hebt gedaan."))

    visible = [m["text"] for m in chat.bot_messages()]
    assert any(t.endswith(f"{SAFE}\n\n→ Ja, het is veilig") for t in visible)
    assert any(
        t.endswith(
            f"{SITUATION}\n\n→ Iemand bepaalt wat ik moet doen\n"
            "→ Ik moet geld geven of een schuld betalen\n→ Klaar"
        )
        for t in visible
    )
    assert any("Kindertelefoon" in t for t in visible)  # shown because under 16
    # Pressed questions lost their answer buttons; the one answered by typing keeps them
    # (pressing one later gets "that button belongs to an older question").
    assert chat.answer_buttons() == [
        ["Ja, nu gevaar", "Nee", "Hulp nu", "Stop en wis"],
        ["Opnieuw beginnen", "Hulp nu", "Stop en wis"],
    ]
    assert any("fier" in url for url in chat.link_urls())  # link buttons survive the presses
    assert chat.api.violations == type(chat.api.violations)()


async def test_every_button_press_is_answered_at_once(chat: Chat) -> None:
    """answerCallbackQuery comes first, before the answer to the press."""
    await chat.start()
    [reply] = await chat.press("Nee, nu niet", until=None)
    answers = [
        c
        for c in chat.api.calls_of("answerCallbackQuery")
        if c.at <= reply.at and c.params.get("callback_query_id", "").startswith(str(chat.id))
    ]
    assert len(answers) == 1


@pytest.mark.parametrize(
    "data",
    [
        "garbage",
        "x" * 64,
        "!lang.xx",
        "!nonsense",
        "0000.0.safe_yes",
        "{tag}.99.safe_yes",
        "{tag}.0.no_such_option",
        "{tag}.0.",
        "{tag}.-1.safe_yes",
        "é" * 32,
    ],
)
async def test_forged_callback_data_gets_a_gentle_answer(chat: Chat, data: str) -> None:
    """Unknown, forged or malformed data: 'that button is old', and the question again."""
    await chat.start()
    real, _ = chat.button("Ja, het is veilig")
    data = data.replace("{tag}", real.split(".")[0])
    await chat.turn(chat.callback(data), until=text_is(SAFE))
    assert chat.said()[-2:] == [STALE, SAFE]
    assert "garbage" not in " ".join(chat.said())


async def test_a_stale_button_on_an_old_message(chat: Chat) -> None:
    """A button of a question already answered does not change the answer."""
    await chat.start()
    data, old_question = chat.button("Ja, het is veilig")
    await chat.press("Ja, het is veilig")
    await chat.turn(chat.callback(data, old_question), until=text_is("Over wie gaat het?"))
    assert chat.said()[-2:] == [STALE, "Over wie gaat het?"]


async def test_a_press_on_a_deleted_message_still_works(chat: Chat) -> None:
    """Telegram sends an inaccessible message for very old or deleted ones; help still comes."""
    await chat.start()
    await chat.turn(chat.callback("!help", message_id=999), until=contains("112"))


async def test_non_text_messages_get_a_kind_note(chat: Chat) -> None:
    """Sticker, photo, voice: 'I only read text and buttons', then the question again."""
    await chat.start()
    api = chat.api
    for update in (
        api.sticker_update(chat.id, user=chat.user),
        api.photo_update(chat.id, caption="kijk", user=chat.user),
        api.voice_update(chat.id, user=chat.user),
    ):
        await chat.turn(update)
        assert chat.said()[-2:] == [ONLY_TEXT, SAFE]
    assert "kijk" not in " ".join(chat.said())


async def test_contact_and_location_are_deleted_at_once(chat: Chat) -> None:
    """A shared contact or location disappears from the chat; the bot says it needs neither."""
    await chat.start()
    api = chat.api
    for update in (
        api.contact_update(chat.id, "+31612345678", user=chat.user),
        api.location_update(chat.id, user=chat.user),
    ):
        shared_id = update["message"]["message_id"]
        await chat.turn(update)
        deletes = [c for c in api.calls_of("deleteMessages") if c.params.get("chat_id") == chat.id]
        assert deletes[-1].params["message_ids"] == [shared_id]
        assert shared_id not in [m["message_id"] for m in chat.messages()]
        assert chat.said()[-2].startswith("Ik heb dat bericht meteen gewist.")
    assert "+31612345678" not in json.dumps(chat.messages())


async def test_crisis_text_brings_113(chat: Chat) -> None:
    """A suicide sentence, from any state: 113, with a link; then back to the question."""
    await chat.start()
    await chat.press("Ja, het is veilig")
    calls = await chat.say("ik wil er niet meer zijn")
    assert "113" in chat.said()[-2]
    links = json.dumps(calls[-1].params.get("reply_markup"))
    assert "113" in links
    await chat.press("Verder met het gesprek", until=text_is("Over wie gaat het?"))


async def test_an_edited_crisis_sentence_brings_113(chat: Chat) -> None:
    """Editing a message into a crisis sentence is answered; other edits get a note."""
    await chat.start()
    api = chat.api
    await chat.say("hallo")
    await chat.turn(api.edited_message_update(chat.id, "hallo!", user=chat.user))
    assert chat.said()[-2:] == [
        "Ik lees geen aangepaste berichten. Stuur het als een nieuw bericht.",
        SAFE,
    ]
    await chat.turn(api.edited_message_update(chat.id, "ik wil dood", user=chat.user))
    assert "113" in chat.said()[-2]


async def test_commands_help_privacy_and_language(chat: Chat) -> None:
    """/help, /privacy and /taal en work mid-conversation."""
    await chat.start()
    await chat.command("/help")
    assert chat.said()[-1].startswith("Hulp nu:")
    await chat.command("/privacy", until=text_is(PRIVACY_LAST))
    await chat.command("/taal", "en", until=text_is("Is it safe to chat now? Is nobody watching?"))


async def test_the_apps_language_is_offered_not_switched_to(baken: Baken) -> None:
    """An English Telegram app: the opening stays Dutch with an "English" button first;
    pressing it shows the whole opening in English, without that button."""
    chat = Chat(baken, lang="en-GB")
    await chat.start()
    first = chat.bot_messages()[-1]
    assert first["text"].startswith("Hoi.")
    assert first["reply_markup"]["inline_keyboard"][0][0]["text"] == "English"
    await chat.press("English", until=ends_with("Is it safe to chat now? Is nobody watching?"))
    now = chat.bot_messages()[-1]
    assert now["text"].startswith("Hi.")
    labels = [b["text"] for row in now["reply_markup"]["inline_keyboard"] for b in row]
    assert "English" not in labels


async def test_stop_erases_everything_in_batches(chat: Chat) -> None:
    """/stop deletes the person's and the bot's messages, ≤100 per call; one line remains."""
    await chat.start()
    api = chat.api
    for i in range(60):
        assert (
            await chat.baken.deliver(api.text_update(chat.id, f"blabla {i}", user=chat.user)) == 200
        )
    await api.wait_for(
        lambda c: c.params.get("chat_id") == chat.id and ends_with(SAFE)(c), count=61
    )
    assert chat.said()[-121:] == [SAFE] + ["Dat begrijp ik niet goed. Kies een knop.", SAFE] * 60
    before = [m["message_id"] for m in chat.messages()]
    assert len(before) > 100
    stop = api.command_update(chat.id, "/stop", user=chat.user)
    await chat.turn(stop, until=text_is(ERASED))
    batches = [
        c.params["message_ids"]
        for c in api.calls_of("deleteMessages")
        if c.params.get("chat_id") == chat.id
    ]
    assert len(batches) >= 2
    assert all(len(b) <= 100 for b in batches)
    deleted = {i for b in batches for i in b}
    assert set(before) | {stop["message"]["message_id"]} <= deleted
    assert [m["text"] for m in chat.messages()] == [ERASED]


async def test_stop_button_and_safe_word(chat: Chat) -> None:
    """The stop button and typing 'stop' erase too."""
    await chat.start()
    await chat.press("Stop en wis", until=text_is(ERASED))
    assert [m["text"] for m in chat.messages()] == [ERASED]
    await chat.start()
    await chat.say("wis alles", until=text_is(ERASED))
    assert [m["text"] for m in chat.messages()] == [ERASED, ERASED]


async def test_a_repeated_update_id_is_handled_once(baken: Baken, chat: Chat) -> None:
    """Telegram may deliver an update twice; the second is ignored."""
    await chat.start()
    twice = chat.api.text_update(chat.id, "hallo", user=chat.user)
    assert await baken.deliver(twice) == 200
    assert await baken.deliver(twice) == 200
    await chat.say("privacy", until=text_is(PRIVACY_LAST))
    not_understood = [t for t in chat.said() if t.startswith("Dat begrijp ik niet")]
    assert len(not_understood) == 1


async def test_an_unreadable_update_does_not_block_the_bot(baken: Baken, chat: Chat) -> None:
    """An update python-telegram-bot cannot parse is skipped; the next one is answered."""
    assert await baken.deliver({"message": {"weird": True}}) == 200
    await chat.start()
    assert chat.said()[-1] == SAFE


async def test_updates_of_one_person_are_answered_in_order(chat: Chat) -> None:
    """A burst from one person: the answers come in the order of the messages."""
    await chat.start()
    api = chat.api
    burst = ["help", "privacy", "help", "privacy"]
    for text in burst:
        await chat.baken.deliver(
            api.text_update(chat.id, "hulp" if text == "help" else text, user=chat.user)
        )
    await api.wait_for(
        lambda c: c.params.get("chat_id") == chat.id and ends_with(PRIVACY_LAST)(c),
        count=2,
    )
    screens = [
        "help" if t.startswith("Hulp nu:") else "privacy"
        for t in chat.said()[3:]
        if t.startswith(("Hulp nu:", "Ik bewaar geen naam"))
    ]
    assert screens == burst


async def test_groups_supergroups_and_channels_are_left(baken: Baken) -> None:
    """No triage outside private chats: leave, with one neutral line in groups only."""
    api = baken.api
    shift = 0 if baken.mode == "polling" else 10  # distinct chats per mode
    group, invited = -4_000_001 - shift, -4_000_002 - shift
    supergroup, channel = -1_004_000_003 - shift, -1_004_000_004 - shift
    line = "Ik werk alleen in een chat met één persoon. Daarom ga ik uit deze groep. Dag!"

    def left(chat_id: int):
        def predicate(call: Call) -> bool:
            return call.method == "leaveChat" and call.params.get("chat_id") == chat_id

        return predicate

    assert await baken.deliver(api.group_text_update(group, "/start")) == 200
    await api.wait_for(left(group))
    assert api.sent_texts(group) == [line]

    as_admin = api.my_chat_member_update(supergroup, "supergroup", "administrator")
    assert await baken.deliver(as_admin) == 200
    await api.wait_for(left(supergroup))
    assert api.sent_texts(supergroup) == [line]

    as_member = api.my_chat_member_update(invited, "group", "member")
    assert await baken.deliver(as_member) == 200
    await api.wait_for(left(invited))
    assert api.sent_texts(invited) == [line]

    channel_admin = api.my_chat_member_update(channel, "channel", "administrator")
    assert await baken.deliver(channel_admin) == 200
    await api.wait_for(left(channel))
    assert api.sent_texts(channel) == []
