"""Retries towards the Bot API: faults injected by the stand-in, the real PTB Bot on top.

Every test runs over both transports: baken's aiohttp one and PTB's httpx one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels.telegram.request import RetryingRequest, repeatable
from bot.channels.telegram.transport import AiohttpRequest
from testkit.botapi import StandinBotAPI

CHAT = 4242
TRANSPORT = "aiohttp"


@pytest.fixture(params=["aiohttp", "httpx"], autouse=True)
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which HTTP transport the test's bot uses."""
    monkeypatch.setattr(f"{__name__}.TRANSPORT", request.param)
    return str(request.param)


def _transport(**timeouts: float) -> BaseRequest:
    if TRANSPORT == "aiohttp":
        return AiohttpRequest(**timeouts)
    return HTTPXRequest(**timeouts)


def _bot(api: StandinBotAPI, *, honour: bool = True, attempts: int = 4) -> Bot:
    request = RetryingRequest(
        _transport(read_timeout=0.5, connect_timeout=1.0),
        attempts=attempts,
        backoff=0.01,
        honour_retry_after=honour,
    )
    return Bot(api.token, base_url=api.base_url, request=request)


@pytest.fixture
async def bot(botapi: StandinBotAPI, transport: str) -> AsyncIterator[Bot]:
    """A PTB Bot whose requests go through RetryingRequest, with short timeouts."""
    async with _bot(botapi) as bot:
        yield bot


def test_which_methods_may_be_repeated() -> None:
    """Sending shows something; edits, deletes and settings may safely happen twice."""
    assert not repeatable("sendMessage")
    assert not repeatable("copyMessage")
    assert repeatable("editMessageText")
    assert repeatable("deleteMessages")
    assert repeatable("answerCallbackQuery")


@pytest.mark.parametrize("fault", ["500", "502", "503", "reset", "malformed"])
async def test_send_is_retried_when_telegram_did_not_act(
    botapi: StandinBotAPI, bot: Bot, fault: str
) -> None:
    """5xx, a dropped connection or a broken body: sent again, and shown exactly once."""
    botapi.inject("sendMessage", fault, times=2)
    message = await bot.send_message(CHAT, "hallo")
    assert message.text == "hallo"
    assert botapi.sent_texts(CHAT) == ["hallo"]
    assert [c.fault for c in botapi.calls_of("sendMessage")] == [fault, fault, None]


async def test_a_send_that_timed_out_is_not_sent_again(botapi: StandinBotAPI, bot: Bot) -> None:
    """Telegram got it but the answer was late: repeating would show it twice, so no retry."""
    botapi.inject("sendMessage", "timeout", delay=2.0)
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "één keer")
    assert botapi.sent_texts(CHAT) == ["één keer"]
    assert len(botapi.calls_of("sendMessage")) == 1


async def test_repeatable_calls_are_retried_after_a_timeout(
    botapi: StandinBotAPI, bot: Bot
) -> None:
    """An edit or delete that timed out is simply done again."""
    first = await bot.send_message(CHAT, "een")
    await bot.send_message(CHAT, "twee")
    botapi.inject("deleteMessages", "timeout", delay=2.0)
    assert await bot.delete_messages(CHAT, [first.message_id])
    assert [c.fault for c in botapi.calls_of("deleteMessages")] == ["timeout", None]
    assert [m["text"] for m in botapi.messages(CHAT)] == ["twee"]


async def test_retry_after_is_honoured(botapi: StandinBotAPI, bot: Bot) -> None:
    """429 with retry_after=1: the next try comes at least a second later."""
    botapi.inject("sendMessage", "429", retry_after=1)
    await bot.send_message(CHAT, "geduld")
    first, second = botapi.calls_of("sendMessage")
    assert first.fault == "429"
    assert second.at - first.at >= 1.0
    assert botapi.sent_texts(CHAT) == ["geduld"]


async def test_429_is_left_to_the_rate_limiter_when_it_is_on(
    botapi: StandinBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without honour_retry_after the 429 reaches PTB (and its send scheduler) as RetryAfter."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    botapi.inject("sendMessage", "429", retry_after=2)
    async with _bot(botapi, honour=False) as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "x")
    assert caught.value.retry_after == dt.timedelta(seconds=2)
    assert len(botapi.calls_of("sendMessage")) == 1


async def test_gives_up_after_the_last_attempt(botapi: StandinBotAPI) -> None:
    """A Bot API that keeps failing: three tries, then the error reaches the caller."""
    async with _bot(botapi, attempts=3) as bot:
        botapi.inject("*", "500", times=10)
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT, "x")
    assert len(botapi.calls_of("sendMessage")) == 3
    assert botapi.sent_texts(CHAT) == []


async def test_no_retries_once_stopping(botapi: StandinBotAPI) -> None:
    """During shutdown every call is tried once, so stopping never waits on backoff."""
    request = RetryingRequest(_transport(), backoff=5.0)
    async with Bot(botapi.token, base_url=botapi.base_url, request=request) as bot:
        request.stop_retrying()
        botapi.inject("sendMessage", "500")
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT, "x")
    assert len(botapi.calls_of("sendMessage")) == 1


async def test_a_refused_connection_is_retried_even_for_a_send(botapi: StandinBotAPI) -> None:
    """Nothing listens: the request surely never arrived, so even a send is tried again."""
    retries: list[tuple[str, str]] = []
    request = RetryingRequest(
        _transport(connect_timeout=1.0),
        attempts=3,
        backoff=0.01,
        on_retry=lambda method, reason: retries.append((method, reason)),
    )
    bot = Bot(botapi.token, base_url="http://127.0.0.1:9/bot", request=request)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT, "x")
    finally:
        await request.shutdown()
    assert [method for method, _ in retries] == ["sendMessage", "sendMessage"]


async def test_numbers_and_keyboards_arrive_as_they_are(botapi: StandinBotAPI, bot: Bot) -> None:
    """The body carries the chat id as a number and the keyboard as an object."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="ja.0")]])
    sent = await bot.send_message(CHAT, "vraag", reply_markup=keyboard)
    assert sent.reply_markup == keyboard
    [call] = botapi.calls_of("sendMessage")
    assert call.params["chat_id"] == CHAT
    assert botapi.messages(CHAT)[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Ja"
