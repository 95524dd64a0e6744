"""Hostile and odd updates, generated with hypothesis, through the real Telegram channel.

The real PTB Application (``bot.channels.telegram.build``) talks to the stand-in Bot API
over 127.0.0.1; each generated update is parsed as in ``baken webhook`` and handed to
the channel. Properties, for every sequence of updates:

- no exception escapes;
- every private text or button press from a person (first delivery) gets an answer, and
  a repeated ``update_id`` gets none;
- the person's own words are never sent back (a text of 8 characters or more that is
  not part of the content);
- every stored session reads back (``Session.from_json``) in a state the flow defines.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.channels.telegram.app import TelegramBot, build
from bot.stores import MemoryStore
from flows.session import Session
from testkit.botapi import Call, StandinBotAPI
from tests.bot.test_telegram import settings_for

JSON = dict[str, Any]
CHATS = (4_200_001, 4_200_002, 4_200_003)
GROUP = -1_001_234_567
CHANNEL = -1_009_876_543
UPDATE_IDS = itertools.count(900_000_000, 10)  # shared: the store remembers ids across examples
ANSWERING = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery")

ODD = (
    "\u200b\u200c\u200d\u2060\ufeff",  # zero-width
    "\u202e\u202d\u200f\u200e\u2066\u2069",  # right-to-left and isolates
    "\x00\x01\x07\x1b[31m\x7f",  # control characters
    "🙂🔥👩‍👩‍👧‍👦🏳️‍🌈🇳🇱",  # emoji, with joiners and flags
    "{0} {} %s %d %(x)s {{x}} $x ${x}",  # format strings
    "<b>vet</b> <a href='https://x'>x</a> <script>alert(1)</script> &amp; &lt;",  # HTML
    "*bold* _it_ `code` [l](https://x) ||s||",  # Markdown
)
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(ODD),
    st.lists(st.sampled_from(ODD), min_size=1, max_size=4).map("".join),
    st.sampled_from((*ODD, "a", "ik wil dood ")).map(lambda s: (s * 4096)[:4096]),
    st.sampled_from(["ik wil dood", "zelfmoord", "ik ben in gevaar", "stop", "help"]),
)
KINDS = (
    "text",
    "command",
    "press",
    "press_forged",
    "press_inline",
    "edited",
    "channel_post",
    "from_bot",
    "group_text",
    "my_chat_member",
    "chat_member",
    "bad_entities",
    "duplicate",
    "sticker",
)
specs = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(CHATS),
        texts,
        st.integers(min_value=0, max_value=10**6),
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture
async def tbot(
    botapi: StandinBotAPI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelegramBot]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    bot = build(settings_for(botapi), store=MemoryStore(3600), webhook=True, backoff=0.01)
    await bot.application.initialize()
    yield bot
    await bot.application.shutdown()


def content_strings(tbot: TelegramBot) -> list[str]:
    content = tbot.holder.engine.content
    found = [t for lang in content.texts.values() for t in lang.values()]
    found += [s.model_dump_json() for s in content.services.values()]
    return found


class Sender:
    """Builds the update of a spec; remembers what was sent for duplicates."""

    def __init__(self, api: StandinBotAPI) -> None:
        self.api = api
        self.sent: list[JSON] = []

    def build(self, kind: str, chat: int, text: str, number: int) -> tuple[JSON, bool, str | None]:
        """(update, whether a private person's text or press that needs an answer, text)."""
        api = self.api
        user = api.user(chat, language_code="nl")
        if not text.strip():  # Telegram never delivers an empty or blank text
            text = "." + text
        if kind == "duplicate" and self.sent:
            return copy.deepcopy(self.sent[number % len(self.sent)]), False, None
        needs, typed = False, None
        if kind in ("text", "duplicate"):
            update, needs, typed = api.text_update(chat, text, user=user), True, text
        elif kind == "command":
            command = ("/start", "/help", "/stop", "/privacy", "/taal", "/x")[number % 6]
            update, needs = api.command_update(chat, command, text[:64] or None, user=user), True
        elif kind == "press":
            buttons = [
                (b["callback_data"], m["message_id"])
                for m in api.messages(chat)
                for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
                if "callback_data" in b
            ]
            data, message_id = buttons[number % len(buttons)] if buttons else ("x", number % 50)
            update = api.callback_update(chat, data, message_id=message_id, user=user)
            needs = True
        elif kind == "press_forged":
            data = (text.encode()[:64].decode(errors="ignore")) or str(number)
            update = api.callback_update(chat, data, message_id=number % 50 + 1, user=user)
            needs = True
        elif kind == "press_inline":  # from an inline message: no message, no chat
            update = {
                "callback_query": {
                    "id": str(number),
                    "from": user,
                    "chat_instance": "1",
                    "inline_message_id": "AAAA" + str(number),
                    "data": text[:64] or "x",
                }
            }
        elif kind == "edited":
            try:
                update = api.edited_message_update(chat, text or ".", user=user)
                needs = True
            except ValueError:
                update = api.text_update(chat, text, user=user)
                needs, typed = True, text
        elif kind == "channel_post":
            update = api.channel_post_update(CHANNEL, text or ".")
        elif kind == "from_bot":
            bot_user = api.user(chat + 7, is_bot=True)
            update = api.text_update(chat + 7, text or ".", user=bot_user)
        elif kind == "group_text":
            update = api.group_text_update(GROUP, text or ".", user=user)
        elif kind == "my_chat_member":
            status = ("kicked", "member", "left")[number % 3]
            chat_type = ("private", "group", "supergroup")[number % 3]
            target = chat if chat_type == "private" else GROUP
            update = api.my_chat_member_update(target, chat_type, status, user=user)
        elif kind == "chat_member":
            update = api.my_chat_member_update(GROUP, "supergroup", "member", user=user)
            update["chat_member"] = update.pop("my_chat_member")
        elif kind == "bad_entities":
            update = api.text_update(chat, text, user=user)
            update["message"]["entities"] = [
                {"type": "bot_command", "offset": number % 5000, "length": number % 300 + 1},
                {"type": "text_link", "offset": 0, "length": 10**6, "url": "https://x"},
            ]
            needs, typed = True, text
        else:  # sticker
            update, needs = api.sticker_update(chat, user=user), True
        update = {**update, "update_id": next(UPDATE_IDS) - (number % 3) * 3}  # out of order
        self.sent.append(copy.deepcopy(update))
        return update, needs, typed


def answers_to(calls: list[Call], chat: int, update: JSON) -> list[Call]:
    query = (update.get("callback_query") or {}).get("id")
    return [
        c
        for c in calls
        if c.method in ANSWERING
        and c.fault is None
        and (
            c.params.get("chat_id") == chat
            or (query and c.params.get("callback_query_id") == query)
        )
    ]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=specs)
async def test_hostile_updates(
    tbot: TelegramBot, botapi: StandinBotAPI, specs: list[tuple[str, int, str, int]]
) -> None:
    """No exception escapes; people get answers, never their own words; sessions stay valid."""
    botapi.reset()
    bot = tbot.application.bot
    sender = Sender(botapi)
    strings = content_strings(tbot)
    flow = tbot.holder.engine.content.flows[tbot.holder.engine.content.default_flow]
    seen_ids: set[int] = set()
    typed: list[str] = []
    for kind, chat, text, number in specs:
        raw, needs_answer, words = sender.build(kind, chat, text, number)
        if words is not None:
            typed.append(words)
        before = len(botapi.calls)
        update = Update.de_json(copy.deepcopy(raw), bot)  # as baken webhook reads it
        await tbot.channel.handle(update, bot)  # never raises, by contract
        new = botapi.calls[before:]
        first = raw["update_id"] not in seen_ids
        seen_ids.add(raw["update_id"])
        answers = answers_to(new, chat, raw)
        if not first:
            assert answers == [], f"update {kind} handled twice"
        elif needs_answer:
            assert answers, f"no answer to {kind} {text[:40]!r}"
    sent = [
        str(c.params.get("text", ""))
        for c in botapi.calls
        if c.method in ("sendMessage", "editMessageText")
    ]
    for words in typed:
        core = words.strip()
        if len(core) >= 8 and not any(core in s for s in strings):
            assert not any(core in s for s in sent), f"echoed {core[:40]!r}"
    store = tbot.store
    assert isinstance(store, MemoryStore)
    for chat in CHATS:
        raw_session = store.raw(tbot.channel.keys.key("telegram", chat))
        if raw_session is not None:
            assert Session.from_json(raw_session).state in flow.states
