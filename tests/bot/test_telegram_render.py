"""The pure half of the Telegram channel: updates to actions, outputs to Bot API calls.

Updates are built by the stand-in Bot API's builders (no server needed) and parsed by the
real python-telegram-bot, so these are the shapes Telegram sends.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from telegram import InlineKeyboardButton, MessageEntity, Update

from bot.channels.telegram import render
from bot.channels.telegram.render import Converse, Forget, Ignore, Leave, Pressed
from flows import Button, Choice, Command, Link, Message, Resume, Start, Text
from testkit.botapi import StandinBotAPI

AT = 1_790_000_000
CHAT = 4242


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> StandinBotAPI:
    """The stand-in's update builders (the server is not started)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # voice durations as timedelta, no warning
    return StandinBotAPI()


def parse(raw: dict[str, Any]) -> Update:
    update = Update.de_json(raw, None)
    assert update is not None
    return update


def classify(raw: dict[str, Any], crisis: str = "ik wil dood") -> tuple[str, render.Action]:
    return render.classify(
        parse(raw), AT, is_crisis=lambda text: crisis in text.lower(), languages=("nl", "en")
    )


# ---------------------------------------------------------------- incoming


def test_text_becomes_a_text_event_and_is_remembered_for_erase(api: StandinBotAPI) -> None:
    """Typed text goes to the engine as Text; its message id is kept for erase."""
    raw = api.text_update(CHAT, "ik weet het niet")
    kind, action = classify(raw)
    assert kind == "text"
    assert action == Converse(
        CHAT, Text(at=AT, text="ik weet het niet"), seen=(raw["message"]["message_id"],)
    )


def test_start_with_deep_link_and_app_language(api: StandinBotAPI) -> None:
    """/start zelf is a Start with the payload; the app's language is only suggested (offered
    first, never switched to), and only when the content speaks it."""
    english = api.user(CHAT, language_code="en-GB")
    _, action = classify(api.command_update(CHAT, "/start", "zelf", user=english))
    assert isinstance(action, Converse)
    assert action.event == Start(at=AT, payload="zelf", suggest="en")
    _, other = classify(
        api.command_update(CHAT + 1, "/start", user=api.user(5, language_code="tlh"))
    )
    assert isinstance(other, Converse)
    assert other.event == Start(at=AT, payload=None)


def test_other_commands_become_command_events(api: StandinBotAPI) -> None:
    """/help, /stop, /taal en ... reach the engine as Command events."""
    kind, action = classify(api.command_update(CHAT, "/taal", "en"))
    assert kind == "command"
    assert isinstance(action, Converse)
    assert action.event == Command(at=AT, name="taal", arg="en")


@pytest.mark.parametrize("builder", ["sticker_update", "photo_update", "voice_update"])
def test_non_text_gets_the_only_text_note_and_the_question_again(
    api: StandinBotAPI, builder: str
) -> None:
    """A sticker, photo or voice note: a kind note, then the current question (Resume)."""
    raw = getattr(api, builder)(CHAT)
    kind, action = classify(raw)
    assert kind == "non_text"
    assert action == Converse(
        CHAT,
        Resume(at=AT),
        seen=(raw["message"]["message_id"],),
        note=render.ONLY_TEXT,
    )


def test_a_crisis_caption_is_answered_as_a_crisis(api: StandinBotAPI) -> None:
    """A photo captioned with a crisis sentence goes to the engine as that text."""
    _, action = classify(api.photo_update(CHAT, caption="Ik wil dood"))
    assert isinstance(action, Converse)
    assert action.event == Text(at=AT, text="Ik wil dood")
    assert action.note is None


@pytest.mark.parametrize("builder", ["contact_update", "location_update"])
def test_contact_and_location_are_deleted_at_once(api: StandinBotAPI, builder: str) -> None:
    """A shared contact or location is deleted, not remembered, and answered with a note."""
    raw = getattr(api, builder)(CHAT)
    kind, action = classify(raw)
    assert kind == "shared"
    assert action == Converse(
        CHAT,
        Resume(at=AT),
        note=render.SHARED_REMOVED,
        delete=(raw["message"]["message_id"],),
    )


def test_edited_messages(api: StandinBotAPI) -> None:
    """An edit is answered as a crisis when it is one; otherwise with a note and the question."""
    api.text_update(CHAT, "hoi")
    _, crisis = classify(api.edited_message_update(CHAT, "ik wil dood"))
    assert isinstance(crisis, Converse)
    assert crisis.event == Text(at=AT, text="ik wil dood")
    kind, plain = classify(api.edited_message_update(CHAT, "hallo"))
    assert kind == "edited"
    assert plain == Converse(CHAT, Resume(at=AT), note=render.EDITED)


def test_groups_and_channels_are_left(api: StandinBotAPI) -> None:
    """Group messages and being added anywhere but a private chat: leave; one line in groups."""
    assert classify(api.group_text_update(-100777, "/start"))[1] == Leave(
        -100777, notice=True, lang="nl"
    )
    added = api.my_chat_member_update(-555, "group", "member")
    assert classify(added) == ("member", Leave(-555, notice=True, lang="nl"))
    admin = api.my_chat_member_update(-100999, "channel", "administrator")
    assert classify(admin) == ("member", Leave(-100999, notice=False, lang="nl"))
    post = api.channel_post_update(-100998, "nieuws")
    assert classify(post) == ("channel", Leave(-100998, notice=False))
    removed = api.my_chat_member_update(-556, "group", "left")
    assert classify(removed) == ("member", Ignore())


def test_blocking_the_bot_forgets_the_session(api: StandinBotAPI) -> None:
    """my_chat_member 'kicked' in a private chat means: blocked; the session is dropped."""
    assert classify(api.my_chat_member_update(CHAT, "private", "kicked")) == (
        "member",
        Forget(CHAT),
    )
    assert classify(api.my_chat_member_update(CHAT, "private", "member"))[1] == Ignore()


def test_button_press_carries_the_pressed_message(api: StandinBotAPI) -> None:
    """A press: the data (untrusted) as Choice, the query to answer, and the pressed message."""
    api._chat(CHAT).messages[9] = {  # a bot message with a keyboard, as sendMessage stores it
        "message_id": 9,
        "from": api.me,
        "chat": api._chat(CHAT).info,
        "date": AT,
        "text": "Kies",
        "reply_markup": {"inline_keyboard": [[{"text": "Ja", "callback_data": "ab.1.ja"}]]},
    }
    raw = api.callback_update(CHAT, "ab.1.ja")
    kind, action = classify(raw)
    assert kind == "button"
    assert isinstance(action, Converse)
    assert action.event == Choice(at=AT, data="ab.1.ja")
    assert action.query_id == raw["callback_query"]["id"]
    assert action.pressed == Pressed(
        9, "Kies", (), ((InlineKeyboardButton("Ja", callback_data="ab.1.ja"),),)
    )


def test_press_on_a_deleted_message_has_no_pressed_message(api: StandinBotAPI) -> None:
    """A button on a message Telegram no longer has (InaccessibleMessage): no edit."""
    api.text_update(CHAT, "hoi")
    _, action = classify(api.callback_update(CHAT, "!help", message_id=77))
    assert isinstance(action, Converse)
    assert action.pressed is None
    assert action.event == Choice(at=AT, data="!help")


def test_service_messages_are_ignored(api: StandinBotAPI) -> None:
    """Pins, timers and other service messages need no answer."""
    raw = {
        "update_id": 1,
        "message": {
            "message_id": 3,
            "date": AT,
            "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "X"},
            "message_auto_delete_timer_changed": {"message_auto_delete_time": 86400},
        },
    }
    assert classify(raw) == ("service", Ignore())


# ---------------------------------------------------------------- outgoing


def test_keyboard_links_first_then_answers() -> None:
    """Link buttons open URLs; answer buttons carry the engine's data; help/stop last."""
    message = Message(
        "Kies",
        buttons=((Button("Ja", "ab.1.ja"),), (Button("Hulp", "!help"), Button("Stop", "!stop"))),
        links=(Link("Fier", "https://fier.nl"), Link("Bel", "tel:112")),
    )
    calls, dropped = render.render_message(message)
    assert dropped == ()
    [call] = calls
    assert call.text == "Kies"
    assert call.reply_markup is not None
    rows = [
        [(b.text, b.url, b.callback_data) for b in row] for row in call.reply_markup.inline_keyboard
    ]
    assert rows == [
        [("Fier", "https://fier.nl", None)],
        [("Ja", None, "ab.1.ja")],
        [("Hulp", None, "!help"), ("Stop", None, "!stop")],
    ]


def test_callback_data_over_64_bytes_is_left_out() -> None:
    """Telegram refuses callback data over 64 bytes; such a button is dropped and reported."""
    long = "ab.1." + "é" * 30
    calls, dropped = render.render_message(Message("Kies", ((Button("x", long),),)))
    assert dropped == (long,)
    assert calls[0].reply_markup is None


def test_copyable_summary_is_code_with_a_copy_button() -> None:
    """The summary is monospace (one tap copies) and has a copy button when short enough."""
    calls, _ = render.render_message(
        Message("Het gaat over mij. 🙂", copyable=True), copy_label="Kopieer"
    )
    [call] = calls
    assert call.entities == (MessageEntity(MessageEntity.CODE, 0, render.utf16_len(call.text)),)
    assert call.entities[0].length == len(call.text) + 1  # the emoji is two UTF-16 units
    assert call.reply_markup is not None
    button = call.reply_markup.inline_keyboard[0][0]
    assert button.copy_text is not None
    assert button.copy_text.text == call.text


def test_long_texts_are_split_with_the_keyboard_on_the_last_piece() -> None:
    """Over 4096 characters: several messages, split at line breaks."""
    text = "\n".join(["regel " * 100] * 20)
    calls, _ = render.render_message(Message(text, ((Button("Ja", "ab.1.ja"),),)))
    assert len(calls) > 1
    assert all(len(c.text) <= render.MAX_TEXT for c in calls)
    assert [c.reply_markup is not None for c in calls] == [False] * (len(calls) - 1) + [True]


def _pressed(*rows: tuple[tuple[str, str], ...], text: str = "Wat gebeurt er?") -> Pressed:
    keyboard = tuple(
        tuple(
            InlineKeyboardButton(label, url=value)
            if value.startswith("https://")
            else InlineKeyboardButton(label, callback_data=value)
            for label, value in row
        )
        for row in rows
    )
    return Pressed(7, text, (), keyboard)


def test_settle_press_appends_the_choice_and_keeps_links() -> None:
    """After a press the question shows '→ label'; answer buttons go, link buttons stay."""
    pressed = _pressed(
        (("Bel 112", "https://112.nl"),),
        (("Ja", "ab.1.ja"),),
        (("Nee", "ab.1.nee"),),
        (("Hulp nu", "!help"), ("Stop", "!stop")),
        text="Ben je in gevaar?",
    )
    edit = render.settle_press(pressed, ["Nee"], chosen_template="→ {label}")
    assert edit is not None
    assert edit.text == "Ben je in gevaar?\n\n→ Nee"
    assert edit.reply_markup is not None
    assert [[b.text for b in row] for row in edit.reply_markup.inline_keyboard] == [["Bel 112"]]


def test_settle_press_lists_every_label_chosen() -> None:
    """Pressing 'Klaar' shows what was ticked (as the engine says), one line each."""
    pressed = _pressed(
        (("✅ Geld", "money.1a2b3c4d"),),
        (("Drugs", "drugs.1a2b3c4d"),),
        (("✅ Controle", "control.1a2b3c4d"),),
        (("Klaar", "done.1a2b3c4d"),),
        (("Hulp nu", "!help"),),
    )
    edit = render.settle_press(pressed, ["Geld", "Controle", "Klaar"], chosen_template="→ {label}")
    assert edit is not None
    assert edit.text == "Wat gebeurt er?\n\n→ Geld\n→ Controle\n→ Klaar"
    assert edit.reply_markup is None


def test_a_stale_press_only_loses_the_buttons() -> None:
    """A button of an older question: no '→', just no buttons any more."""
    pressed = _pressed((("Ja", "ja.00000000"),))
    edit = render.settle_press(pressed, [], chosen_template="→ {label}")
    assert edit == render.Edit(7, None, (), None)
    assert render.settle_press(_pressed(), ["Ja"], chosen_template="→ {label}") is None


def test_toggle_edits_in_place_only_on_the_same_question() -> None:
    """A multiple-choice toggle replaces the keyboard of the pressed question, nothing else."""
    toggled = Message("Wat gebeurt er?", ((Button("✅ Geld", "ab.5.money"),),), replaces=True)
    edit = render.replace_in_place(_pressed((("Geld", "ab.5.money"),)), toggled)
    assert edit is not None
    assert edit.text is None
    assert edit.reply_markup is not None
    assert edit.reply_markup.inline_keyboard[0][0].text == "✅ Geld"
    other = _pressed((("Geld", "ab.5.money"),), text="Bedoel je een van deze?")
    assert render.replace_in_place(other, toggled) is None
    assert render.replace_in_place(_pressed(), Message("Wat gebeurt er?")) is None


def test_erase_batches_of_at_most_100() -> None:
    """deleteMessages takes at most 100 ids: 250 ids make batches of 100, 100 and 50."""
    batches = render.erase_batches([*range(250, 0, -1), 3, 0, -1])
    assert [len(b) for b in batches] == [100, 100, 50]
    assert batches[0][0] == 1
    assert sorted(i for b in batches for i in b) == list(range(1, 251))


def test_command_menus_per_language() -> None:
    """Menus for everyone (Dutch), Dutch and English; the language command is /taal or /lang."""
    menus = render.bot_commands(lambda lang, key: f"{lang}:{key}", ["nl", "en"], "nl")
    assert [code for code, _ in menus] == [None, "nl", "en"]
    names = {code: [c.command for c in commands] for code, commands in menus}
    assert names["nl"] == ["start", "help", "stop", "privacy", "taal"]
    assert names["en"] == ["start", "help", "stop", "privacy", "lang"]
    assert menus[2][1][1].description == "en:channel.command.help"


def test_channel_texts_are_required_by_the_content_check(tmp_path: Path) -> None:
    """Every text the channel shows is required, so content without one is refused."""
    from bot.channels import channel_texts as texts
    from bot.serving import read
    from flows.loader import default_content_dir

    used = {
        render.ONLY_TEXT,
        render.SHARED_REMOVED,
        render.EDITED,
        render.GROUP_LEAVE,
        render.ERASE_FAILED,
        render.CHOSEN,
        render.COPY,
        *render.COMMAND_TEXTS.values(),
    }
    assert used <= set(texts.ALL)
    copy = tmp_path / "content"
    shutil.copytree(default_content_dir(), copy)
    dutch = copy / "texts" / "nl.yaml"
    dutch.write_text(dutch.read_text().replace("  copy: ", "  kopie: "), encoding="utf-8")
    content, problems = read(copy)
    assert content is None
    assert any("'channel.copy' is missing" in str(p) for p in problems)


def test_split_text_keeps_everything() -> None:
    """Splitting loses no words."""
    text = "a" * 5000 + "\n" + "b c " * 2000
    pieces = render.split_text(text)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
    assert render.split_text("  ") == []
