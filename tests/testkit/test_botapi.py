"""The stand-in Bot API, driven by the real python-telegram-bot over 127.0.0.1."""

import asyncio
import datetime as dtm
import itertools
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from testkit.botapi import SECRET_HEADER, Call, StandinBotAPI, parse_html

REPO = Path(__file__).resolve().parents[2]
CHAT = 4242


@pytest.fixture
async def bot(botapi: StandinBotAPI) -> AsyncIterator[Bot]:
    """A real PTB Bot pointed at the stand-in."""
    async with Bot(
        botapi.token, base_url=botapi.base_url, base_file_url=botapi.base_file_url
    ) as bot:
        yield bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


async def test_get_me_answers_the_bot_behind_the_token(botapi: StandinBotAPI, bot: Bot) -> None:
    """getMe names the bot; its id is the token's numeric prefix, as on Telegram."""
    me = await bot.get_me()
    assert me.id == int(botapi.token.split(":")[0])
    assert me.is_bot
    assert me.username == "baken_standin_bot"
    assert [c.method for c in botapi.calls] == ["getMe", "getMe"]  # initialize + ours


async def test_send_message_returns_a_full_message(botapi: StandinBotAPI, bot: Bot) -> None:
    """sendMessage answers a Message with a new id, the bot as sender and the keyboard."""
    first = await bot.send_message(CHAT, "Hallo", reply_markup=keyboard("ja", "nee"))
    second = await bot.send_message(CHAT, "Nog iets")
    other = await bot.send_message(CHAT + 1, "Elders")

    assert isinstance(first, Message)
    assert first.message_id < second.message_id < other.message_id
    assert first.chat.id == CHAT
    assert first.chat.type == "private"
    assert first.from_user is not None
    assert first.from_user.id == botapi.me["id"]
    assert first.text == "Hallo"
    assert first.reply_markup == keyboard("ja", "nee")
    assert abs(first.date.timestamp() - time.time()) < 5
    assert botapi.sent_texts(CHAT) == ["Hallo", "Nog iets"]
    assert [m["text"] for m in botapi.messages(CHAT)] == ["Hallo", "Nog iets"]
    call = botapi.calls_of("sendMessage")[0]
    assert call.params["chat_id"] == CHAT  # form values decoded back to their JSON types
    assert call.params["text"] == "Hallo"
    assert call.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "nee"


async def test_private_chats_share_one_counter_with_gaps(botapi: StandinBotAPI, bot: Bot) -> None:
    """Users' messages and the bot's, in every private chat, come from one counter with gaps.

    So two conversations at once interleave, and no chat's ids are consecutive.
    """
    update = botapi.text_update(CHAT, "hoi")
    first = update["message"]["message_id"]
    sent = await bot.send_message(CHAT, "dag", reply_to_message_id=first)
    elsewhere = botapi.text_update(CHAT + 1, "hallo")["message"]["message_id"]
    later = await bot.send_message(CHAT, "nog iets")
    assert first < sent.message_id < elsewhere < later.message_id
    ids = [botapi.text_update(CHAT, str(n))["message"]["message_id"] for n in range(50)]
    gaps = {b - a for a, b in itertools.pairwise(ids)}
    assert min(gaps) >= 1
    assert len(gaps) > 1, "some ids are skipped, as other chats and failed sends do"
    group = [botapi.group_text_update(-42, str(n))["message"]["message_id"] for n in range(3)]
    assert group == [1, 2, 3], "groups count on their own"
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "hoi"
    assert [m["text"] for m in botapi.messages(CHAT)][:3] == ["hoi", "dag", "nog iets"]


async def test_long_poll_returns_as_soon_as_an_update_is_pushed(
    botapi: StandinBotAPI, bot: Bot
) -> None:
    """A waiting getUpdates wakes up on push_update instead of running out its timeout."""
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await botapi.wait_for("getUpdates")
    assert not poll.done()
    pushed = botapi.push_update(botapi.text_update(CHAT, "help"))

    updates = await asyncio.wait_for(poll, 5)
    assert time.monotonic() - started < 5
    assert [u.update_id for u in updates] == [pushed["update_id"]]
    assert updates[0].message is not None
    assert updates[0].message.text == "help"
    assert updates[0].effective_user is not None
    assert updates[0].effective_user.id == CHAT


async def test_offset_confirms_updates(botapi: StandinBotAPI, bot: Bot) -> None:
    """Updates below offset are forgotten; unconfirmed ones come again; limit is honoured."""
    ids = [botapi.push_update(botapi.text_update(CHAT, f"m{i}"))["update_id"] for i in range(3)]
    assert ids == sorted(set(ids))

    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates()] == ids  # nothing confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert botapi.pending_updates == 0


async def test_allowed_updates_filters_and_persists(botapi: StandinBotAPI, bot: Bot) -> None:
    """allowed_updates limits what getUpdates returns, also in later calls without it."""
    botapi.push_update(botapi.text_update(CHAT, "tekst"))
    botapi.push_update(botapi.my_chat_member_update(CHAT, "private", "kicked"))
    only = await bot.get_updates(allowed_updates=["my_chat_member"])
    assert [u.my_chat_member is not None for u in only] == [True]
    assert len(await bot.get_updates()) == 1
    assert len(await bot.get_updates(allowed_updates=[])) == 2


async def test_webhook_set_blocks_get_updates_with_409(botapi: StandinBotAPI, bot: Bot) -> None:
    """While a webhook is set, getUpdates is a Conflict, as on Telegram."""
    assert await bot.set_webhook(
        "https://example.invalid/hook", secret_token="s3cret", allowed_updates=["message"]
    )
    info = await bot.get_webhook_info()
    assert info.url == "https://example.invalid/hook"
    assert info.allowed_updates == ("message",)
    assert botapi.webhook["secret_token"] == "s3cret"

    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    assert botapi.violations[-1].error_code == 409

    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == ()


async def test_second_poller_ends_the_first_with_409(botapi: StandinBotAPI, bot: Bot) -> None:
    """Two pollers at once: the older gets 'terminated by other getUpdates request'."""
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await botapi.wait_for("getUpdates")
    async with Bot(botapi.token, base_url=botapi.base_url) as second:  # a second instance
        assert await second.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getupdates"):
        await asyncio.wait_for(first, 5)


async def test_post_webhook_sends_the_update_with_the_secret(botapi: StandinBotAPI) -> None:
    """post_webhook POSTs the update JSON with the secret header set by setWebhook."""
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=200 if request.headers.get(SECRET_HEADER) else 403)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        async with Bot(botapi.token, base_url=botapi.base_url) as bot:
            await bot.set_webhook(url, secret_token="geheim")
        update = botapi.text_update(CHAT, "via webhook")
        assert await botapi.post_webhook(None, update) == 200
        assert await botapi.post_webhook(url, update, secret=None) == 403
    finally:
        await runner.cleanup()
    assert received[0] == ("geheim", update)
    assert received[1][0] is None


async def test_delete_messages_removes_them_from_the_chat(botapi: StandinBotAPI, bot: Bot) -> None:
    """deleteMessage(s) remove messages from what the user sees; over 100 ids is refused."""
    user = botapi.text_update(CHAT, "van de gebruiker")["message"]["message_id"]
    one, two, three = [
        (await bot.send_message(CHAT, t)).message_id for t in ("een", "twee", "drie")
    ]
    assert await bot.delete_messages(CHAT, [user, two, 99_999_999])  # unknown ids are skipped
    assert [m["text"] for m in botapi.messages(CHAT)] == ["een", "drie"]
    assert await bot.delete_message(CHAT, three)
    assert [m["message_id"] for m in botapi.messages(CHAT)] == [one]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(CHAT, three)
    with pytest.raises(BadRequest, match=r"(?i)too many messages"):
        await bot.delete_messages(CHAT, list(range(1, 102)))
    assert botapi.sent_texts(CHAT) == ["een", "twee", "drie"]  # a record of what was sent


async def test_429_raises_retry_after(
    botapi: StandinBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An injected 429 carries parameters.retry_after, which PTB turns into RetryAfter."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB 22 warns on int retry_after otherwise
    botapi.inject("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "te snel")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert botapi.faults_served == 1
    assert botapi.calls_of("sendMessage")[0].fault == "429"
    assert botapi.messages(CHAT) == []  # a refused call changes nothing
    await bot.send_message(CHAT, "nu wel")  # the fault was for one call only
    assert botapi.sent_texts(CHAT) == ["nu wel"]


@pytest.mark.parametrize(("fault", "text"), [("500", "Internal Server Error"), ("502", "502")])
async def test_server_errors_become_network_errors(
    botapi: StandinBotAPI, bot: Bot, fault: str, text: str
) -> None:
    """5xx answers (JSON or nginx HTML) surface as NetworkError in PTB."""
    botapi.inject("*", fault, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match=text):
            await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "x")
    assert botapi.faults_served == 2


async def test_malformed_json_and_reset(botapi: StandinBotAPI, bot: Bot) -> None:
    """A 200 that is not JSON and a dropped connection both reach PTB as errors."""
    botapi.inject("getMe", "malformed")
    with pytest.raises(TelegramError, match="Invalid server response"):
        await bot.get_me()
    botapi.inject("getMe", "reset")
    with pytest.raises(NetworkError, match="RemoteProtocolError"):
        await bot.get_me()
    assert (await bot.get_me()).username == "baken_standin_bot"
    assert [c.fault for c in botapi.calls_of("getMe")] == [None, "malformed", "reset", None]


async def test_timeout_acts_but_answers_too_late(botapi: StandinBotAPI, bot: Bot) -> None:
    """'timeout' sends the message yet holds the answer: the client sees TimedOut."""
    botapi.inject("sendMessage", "timeout", delay=30)
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "kwam toch aan", read_timeout=0.3)
    assert time.monotonic() - started < 5
    assert botapi.sent_texts(CHAT) == ["kwam toch aan"]


async def test_slow_delays_then_answers(botapi: StandinBotAPI, bot: Bot) -> None:
    """'slow' waits before acting and then answers normally."""
    botapi.inject("sendMessage", "slow", delay=0.3)
    started = time.monotonic()
    message = await bot.send_message(CHAT, "traag")
    assert time.monotonic() - started >= 0.3
    assert message.text == "traag"


async def test_calls_in_flight_per_chat(botapi: StandinBotAPI, bot: Bot) -> None:
    """A held answer counts as in flight for its chat until answered; then it is activity."""
    assert botapi.in_flight(CHAT) == 0
    assert botapi.last_call(CHAT) is None
    assert botapi.last_activity(CHAT) is None
    botapi.inject("sendMessage", "slow", delay=0.5)
    sending = asyncio.create_task(bot.send_message(CHAT, "traag"))
    await asyncio.sleep(0.2)
    assert botapi.in_flight(CHAT) == 1
    assert botapi.in_flight(CHAT + 1) == 0
    await sending
    assert botapi.in_flight(CHAT) == 0
    last, ended = botapi.last_call(CHAT), botapi.last_activity(CHAT)
    assert last is not None
    assert (last.method, last.fault) == ("sendMessage", "slow")
    assert ended is not None
    assert ended >= last.at


async def test_text_limits(botapi: StandinBotAPI, bot: Bot) -> None:
    """1..4096 characters after entity parsing; more or nothing is a Bad Request."""
    await bot.send_message(CHAT, "é" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "<b> </b>", parse_mode="HTML")
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert [v.description for v in botapi.violations] == [
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
    ]
    assert len(botapi.messages(CHAT)) == 2


async def test_callback_data_over_64_bytes_is_refused(botapi: StandinBotAPI, bot: Bot) -> None:
    """callback_data is limited to 64 bytes (not characters)."""
    await bot.send_message(CHAT, "ok", reply_markup=keyboard("x" * 64))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "te lang", reply_markup=keyboard("é" * 33))
    assert botapi.violations[-1].method == "sendMessage"
    assert botapi.sent_texts(CHAT) == ["ok"]


async def test_unknown_chats_and_blocked_users(botapi: StandinBotAPI, bot: Bot) -> None:
    """Unknown group ids are 'chat not found'; a user who blocked the bot is Forbidden."""
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-100123, "hallo")
    botapi.my_chat_member_update(CHAT, "private", "kicked")
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(CHAT, "hallo")
    botapi.command_update(CHAT, "/start")  # writing again unblocks
    await bot.send_message(CHAT, "welkom terug")


async def test_wrong_token_and_unknown_method(botapi: StandinBotAPI, bot: Bot) -> None:
    """A token not configured is 401 (InvalidToken); an unknown method is 404."""
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("999:WRONG", base_url=botapi.base_url):
            pass
    assert (botapi.violations[-1].error_code, botapi.violations[-1].description) == (
        401,
        "Unauthorized",
    )
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": CHAT})
    assert botapi.calls[-1].method == "sendTelepathy"


async def test_callback_query_round_trip(botapi: StandinBotAPI, bot: Bot) -> None:
    """A button press carries the bot's message; it can be answered once; edits stick."""
    sent = await bot.send_message(CHAT, "Kies", reply_markup=keyboard("a", "b"))
    update = Update.de_json(botapi.callback_update(CHAT, "b"), bot)
    query = update.callback_query
    assert query is not None
    assert query.data == "b"
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="oké")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)

    edited = await bot.edit_message_text("Gekozen: b", CHAT, sent.message_id)
    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    assert botapi.messages(CHAT)[0]["text"] == "Gekozen: b"
    assert "reply_markup" not in botapi.messages(CHAT)[0]  # edit without markup drops it
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Gekozen: b", CHAT, sent.message_id)
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard("c"))
    assert botapi.messages(CHAT)[0]["reply_markup"] == keyboard("c").to_dict()

    await bot.delete_message(CHAT, sent.message_id)
    gone = Update.de_json(botapi.callback_update(CHAT, "c", message_id=sent.message_id), bot)
    assert gone.callback_query is not None
    assert gone.callback_query.message is not None
    assert not gone.callback_query.message.is_accessible


async def test_html_is_parsed_into_entities(botapi: StandinBotAPI, bot: Bot) -> None:
    """HTML texts are stored as the user sees them; broken HTML is refused like Telegram."""
    sent = await bot.send_message(
        CHAT, 'Bel <b>112</b> &amp; <a href="https://example.org">lees</a>', parse_mode="HTML"
    )
    assert sent.text == "Bel 112 & lees"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 4, 3),
        ("text_link", 10, 4),
    ]
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(CHAT, "a < b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "div"'):
        await bot.send_message(CHAT, "<div>x</div>", parse_mode="HTML")
    assert parse_html('<pre><code class="language-py">x</code></pre>')[1] == [
        {"type": "pre", "offset": 0, "length": 1, "language": "py"}
    ]
    assert parse_html("😀<i>x</i>")[1] == [{"type": "italic", "offset": 2, "length": 1}]


async def test_commands_per_scope_and_language(botapi: StandinBotAPI, bot: Bot) -> None:
    """Commands are kept per scope and language, like Telegram."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand("start", "Begin")], scope=scope, language_code="nl")
    await bot.set_my_commands([BotCommand("help", "Help")])
    assert await bot.get_my_commands(scope=scope, language_code="nl") == (
        BotCommand("start", "Begin"),
    )
    assert await bot.get_my_commands() == (BotCommand("help", "Help"),)
    assert botapi.commands({"type": "all_private_chats"}, "nl")[0]["command"] == "start"
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])
    assert await bot.delete_my_commands(scope=scope, language_code="nl")
    assert await bot.get_my_commands(scope=scope, language_code="nl") == ()


async def test_other_methods(botapi: StandinBotAPI, bot: Bot) -> None:
    """Chat actions, reply keyboards, leaving groups, close and logOut answer like Telegram."""
    assert await bot.send_chat_action(CHAT, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(CHAT, "dancing")
    await bot.send_message(CHAT, "Kies", reply_markup=ReplyKeyboardMarkup([["Ja", "Nee"]]))
    assert botapi.keyboard(CHAT) == {"keyboard": [[{"text": "Ja"}, {"text": "Nee"}]]}
    botapi.group_text_update(-100777, "hoi groep")
    assert await bot.leave_chat(-100777)
    with pytest.raises(Forbidden, match=r"(?i)not a member of the supergroup"):
        await bot.send_message(-100777, "nog hier?")
    assert await bot.close()
    assert await bot.log_out()


async def test_messages_older_than_48_hours_cannot_be_deleted(
    botapi: StandinBotAPI, bot: Bot
) -> None:
    """After 48 hours deleteMessages skips a message (True, but it stays); deleteMessage refuses."""
    old = (await bot.send_message(CHAT, "oud")).message_id
    botapi.age(CHAT, 48 * 3600 + 1)
    new = (await bot.send_message(CHAT, "nieuw")).message_id
    assert await bot.delete_messages(CHAT, [old, new])
    assert [m["text"] for m in botapi.messages(CHAT)] == ["oud"]
    with pytest.raises(BadRequest, match=r"(?i)can't be deleted"):
        await bot.delete_message(CHAT, old)


async def test_builders_make_updates_ptb_understands(
    botapi: StandinBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every builder yields an update PTB parses into the expected objects, ids unique."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # durations as timedelta, without warnings
    canary = botapi.user(
        777,
        first_name="CANARY_FIRST",
        last_name="CANARY_LAST",
        username="canary_user",
        language_code="en",
    )
    first = botapi.text_update(777, "hallo", user=canary)
    raw = [
        first,
        botapi.command_update(777, "/start", "src_qr", user=canary),
        botapi.contact_update(777, "+31600000001", user=canary),
        botapi.location_update(777, 52.1, 5.1),
        botapi.sticker_update(777),
        botapi.photo_update(777, caption="foto"),
        botapi.voice_update(777, duration=4),
        botapi.edited_message_update(777, "hallo!", message_id=first["message"]["message_id"]),
        botapi.group_text_update(-55, "/help@baken_standin_bot"),
        botapi.my_chat_member_update(-100555, "supergroup", "administrator"),
        botapi.channel_post_update(-100999, "nieuws", username="kanaal"),
    ]
    updates = [Update.de_json(u, bot) for u in raw]
    assert len({u.update_id for u in updates}) == len(updates)
    text, command, contact, location, sticker, photo, voice, edited, group, member, post = updates
    assert text.effective_user is not None
    assert text.effective_user.to_dict() == canary
    assert text.effective_chat is not None
    assert text.effective_chat.first_name == "CANARY_FIRST"
    assert command.message is not None
    assert command.message.text == "/start src_qr"
    assert command.message.parse_entities(["bot_command"])
    assert contact.message is not None
    assert contact.message.contact is not None
    assert contact.message.contact.user_id == 777
    assert location.message is not None
    assert location.message.location is not None
    assert location.message.location.latitude == 52.1
    assert sticker.message is not None
    assert sticker.message.sticker is not None
    assert photo.message is not None
    assert photo.message.caption == "foto"
    assert len(photo.message.photo) == 3
    assert voice.message is not None
    assert voice.message.voice is not None
    assert voice.message.voice.duration == dtm.timedelta(seconds=4)
    assert edited.edited_message is not None
    assert edited.edited_message.message_id == first["message"]["message_id"]
    assert edited.edited_message.text == "hallo!"
    assert group.message is not None
    assert group.message.chat.type == "group"
    assert group.message.entities[0].length == len("/help@baken_standin_bot")
    assert member.my_chat_member is not None
    assert member.my_chat_member.new_chat_member.status == "administrator"
    assert post.channel_post is not None
    assert post.channel_post.sender_chat is not None
    assert post.channel_post.chat.username == "kanaal"
    ids = [m["message_id"] for m in botapi.messages(777)]
    assert len(ids) == 7
    assert ids == sorted(set(ids))

    file = await bot.get_file(voice.message.voice.file_id)
    assert file.file_path is not None
    assert file.file_path.startswith(botapi.base_file_url)
    assert (await file.download_as_bytearray()).startswith(b"standin file")


async def test_json_bodies_are_accepted(botapi: StandinBotAPI) -> None:
    """Clients that post JSON (not PTB's form data) get the same answers."""
    async with aiohttp.ClientSession() as session:
        url = f"{botapi.base_url}{botapi.token}/sendMessage"
        async with session.post(url, json={"chat_id": str(CHAT), "text": "json"}) as reply:
            body = await reply.json()
        async with session.get(f"{botapi.base_url}{botapi.token}/getme") as reply:
            me = await reply.json()
    assert body["ok"] is True
    assert body["result"]["chat"]["id"] == CHAT
    assert me["result"]["username"] == "baken_standin_bot"
    assert botapi.sent_texts(CHAT) == ["json"]


async def test_wait_for_predicate_and_timeout(botapi: StandinBotAPI, bot: Bot) -> None:
    """wait_for waits for a count of matching calls and says what it saw on timeout."""

    def to_chat(call: Call) -> bool:
        return call.method == "sendMessage" and call.params.get("chat_id") == CHAT

    waiting = asyncio.create_task(botapi.wait_for(to_chat, count=2))
    await bot.send_message(CHAT, "1")
    await bot.send_message(CHAT + 1, "x")
    assert not waiting.done()
    await bot.send_message(CHAT, "2")
    calls = await asyncio.wait_for(waiting, 5)
    assert [c.params["text"] for c in calls] == ["1", "2"]
    with pytest.raises(TimeoutError, match="deleteMessage"):
        await botapi.wait_for("deleteMessage", timeout=0.05)


async def test_application_polls_and_replies(botapi: StandinBotAPI) -> None:
    """A real PTB Application runs its polling loop against the stand-in."""

    async def shout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        assert update.message.text is not None
        await update.message.reply_text(update.message.text.upper())

    app = (
        ApplicationBuilder()
        .token(botapi.token)
        .base_url(botapi.base_url)
        .base_file_url(botapi.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, shout))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=5))
        botapi.push_update(botapi.text_update(CHAT, "hallo"))
        await botapi.wait_for("sendMessage")
        await app.updater.stop()
        await app.stop()
    assert botapi.sent_texts(CHAT) == ["HALLO"]
    assert botapi.calls_of("deleteWebhook")  # PTB clears any webhook before polling
    assert botapi.pending_updates == 0  # PTB confirmed the update on stop


async def test_own_process_with_control_api() -> None:
    """`python -m testkit.botapi` prints READY and serves the Bot and control APIs."""
    token = "5555:PROCESS"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "testkit.botapi",
        "--port",
        "0",
        "--token",
        token,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        assert line.startswith("READY http://127.0.0.1:")
        root = line.removeprefix("READY ")
        async with aiohttp.ClientSession() as http:
            queued = [
                {"build": "text_update", "args": {"chat_id": CHAT, "text": "via control"}},
                {"message": botapi_free_message(CHAT)},
            ]
            async with http.post(f"{root}/_control/updates", json=queued) as reply:
                assert (await reply.json())["result"]["queued"] == 2
            async with http.post(
                f"{root}/_control/inject", json={"method": "sendMessage", "fault": "500"}
            ) as reply:
                assert reply.status == 200

            async with Bot(token, base_url=f"{root}/bot") as bot:
                updates = await bot.get_updates()
                assert [u.message.text for u in updates if u.message] == ["via control", "raw"]
                with pytest.raises(NetworkError):
                    await bot.send_message(CHAT, "eerst fout")
                await bot.send_message(CHAT, "dan goed")

            async with http.get(f"{root}/_control/calls?method=sendMessage") as reply:
                stats = (await reply.json())["result"]
            assert stats["count"] == 2
            assert stats["faults_served"] == 1
            assert [c["fault"] for c in stats["recent"]] == ["500", None]
            async with http.get(f"{root}/_control/messages?chat_id={CHAT}") as reply:
                assert (await reply.json())["result"]["sent_texts"] == ["dan goed"]
            async with http.post(f"{root}/_control/reset") as reply:
                assert reply.status == 200
            async with http.get(f"{root}/_control/calls") as reply:
                assert (await reply.json())["result"]["total"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0


def botapi_free_message(chat_id: int) -> dict[str, object]:
    """A hand-written message, as a load generator without builders would send."""
    return {
        "message_id": 99,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Raw"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Raw"},
        "text": "raw",
    }


async def test_history_caps_memory() -> None:
    """With history=N only the newest N calls and messages per chat are kept."""
    async with StandinBotAPI(history=3) as api:
        async with Bot(api.token, base_url=api.base_url) as capped:
            for i in range(5):
                await capped.send_message(CHAT, str(i))
        assert [m["text"] for m in api.messages(CHAT)] == ["2", "3", "4"]
        assert len(api.calls) == 3
        assert api.counts["sendMessage"] == 5
