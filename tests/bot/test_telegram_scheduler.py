"""The send scheduler: who goes first, and no faster than Telegram allows.

The calls are PTB's callbacks at the rate-limiter seam: plain coroutines that record
when they ran. Time is only checked from below (a loaded machine can make the
scheduler slower, never faster); orders are checked exactly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from bot.channels.telegram.scheduler import SendScheduler
from bot.conversation import Priority
from testkit.botapi import StandinBotAPI

Callback = Callable[[], Awaitable[bool]]


@pytest.fixture
async def scheduler() -> Any:
    made: list[SendScheduler] = []

    def make(**options: Any) -> SendScheduler:
        made.append(SendScheduler(**options))
        return made[-1]

    yield make
    for one in made:
        await one.shutdown()


def recorder(log: list[str], name: str) -> Callback:
    async def send() -> bool:
        log.append(name)
        return True

    return send


async def call(s: SendScheduler, chat: int, priority: Priority, send: Callback) -> Any:
    return await s.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, priority)


async def test_a_crisis_reply_overtakes_the_queue(scheduler: Any) -> None:
    """Ten people wait; a crisis reply queued last goes first, then someone new, then the rest."""
    s = scheduler(rate=20, chat_rate=100)
    order: list[str] = []
    waiting = [
        asyncio.create_task(call(s, 100 + i, Priority.REST, recorder(order, f"rest{i}")))
        for i in range(10)
    ]
    await asyncio.sleep(0)  # all ten are queued
    new = asyncio.create_task(call(s, 200, Priority.NEW, recorder(order, "new")))
    crisis = asyncio.create_task(call(s, 300, Priority.CRISIS, recorder(order, "crisis")))
    await asyncio.gather(*waiting, new, crisis)
    assert order[0] == "rest0"  # already released before the others were queued
    assert order[1:3] == ["crisis", "new"]
    assert order[3:] == [f"rest{i}" for i in range(1, 10)]


async def test_never_faster_than_the_overall_rate(scheduler: Any) -> None:
    """Releases are at least 1/rate apart, whatever the chats: no second holds more than rate."""
    s = scheduler(rate=50, chat_rate=1000)
    await asyncio.gather(*(call(s, i, Priority.REST, recorder([], "x")) for i in range(40)))
    times = [t for t, _ in s.released]
    assert len(times) == 40
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / 50 - 1e-3


async def test_one_chat_gets_a_burst_then_its_own_pace(scheduler: Any) -> None:
    """A chat's first calls go at once; after its burst, one per 1/chat_rate seconds."""
    s = scheduler(rate=1000, chat_rate=10, chat_burst=3)
    done: list[float] = []

    async def send() -> bool:
        done.append(time.monotonic())
        return True

    started = time.monotonic()
    for _ in range(5):
        await call(s, 7, Priority.REST, send)
    assert done[4] - started >= 2 / 10 - 0.02  # calls 4 and 5 waited for the chat's bucket


async def test_a_busy_chat_does_not_hold_up_another(scheduler: Any) -> None:
    """A chat waiting for its own pace stays out of the overall queue meanwhile."""
    s = scheduler(rate=1000, chat_rate=1, chat_burst=1)
    order: list[str] = []
    await call(s, 1, Priority.REST, recorder(order, "first"))
    slow = asyncio.create_task(call(s, 1, Priority.CRISIS, recorder(order, "again")))
    await call(s, 2, Priority.REST, recorder(order, "other"))
    assert order == ["first", "other"]
    await slow
    assert order == ["first", "other", "again"]


async def test_hurry_moves_a_chats_queued_calls_to_the_front(scheduler: Any) -> None:
    """A crisis sentence from a person whose welcome still waits: the welcome goes first."""
    s = scheduler(rate=20, chat_rate=100)
    order: list[str] = []
    tasks = [
        asyncio.create_task(call(s, 100 + i, Priority.NEW, recorder(order, f"new{i}")))
        for i in range(8)
    ]
    await asyncio.sleep(0)
    s.hurry(107)
    await asyncio.gather(*tasks)
    assert "new7" in order[:2]  # at most the one already released goes before it


async def test_429_pauses_everything_then_tries_again_once(
    scheduler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RetryAfter: every release waits retry_after; the refused call is made again, once."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # retry_after as a timedelta, as in baken
    s = scheduler(rate=1000, chat_rate=1000)
    tries: list[float] = []

    async def refused_once() -> bool:
        tries.append(time.monotonic())
        if len(tries) == 1:
            raise RetryAfter(dt.timedelta(seconds=1))
        return True

    assert await call(s, 5, Priority.REST, refused_once)
    assert len(tries) == 2
    assert tries[1] - tries[0] >= 1.0 - 0.02
    later: list[float] = []

    async def other() -> bool:
        later.append(time.monotonic())
        return True

    await call(s, 6, Priority.REST, other)
    assert later[0] >= tries[1]


async def test_calls_without_a_chat_go_at_once(scheduler: Any) -> None:
    """Answering a button is not a message: it never waits for the queue."""
    s = scheduler(rate=0.01, chat_rate=0.01, chat_burst=1)
    await call(s, 9, Priority.REST, recorder([], "uses the only slot for 100 s"))
    async with asyncio.timeout(30):
        answered = await s.process_request(
            recorder([], "answer"), (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, None
        )
    assert answered


async def test_with_real_ptb_priorities_pass_as_rate_limit_args(botapi: StandinBotAPI) -> None:
    """Through PTB: the bot's calls carry the priority, and the Bot API sees the crisis first."""
    from telegram.ext import ExtBot

    s = SendScheduler(rate=10, chat_rate=100)
    bot: Bot = ExtBot(botapi.token, base_url=botapi.base_url, rate_limiter=s)
    await bot.initialize()
    try:
        sends = [
            bot.send_message(1000 + i, f"rest {i}", rate_limit_args=int(Priority.REST))
            for i in range(6)
        ]
        tasks = [asyncio.create_task(send) for send in sends]
        await asyncio.sleep(0.01)
        crisis = asyncio.create_task(
            bot.send_message(2000, "113", rate_limit_args=int(Priority.CRISIS))
        )
        await asyncio.gather(*tasks, crisis)
    finally:
        await bot.shutdown()
    texts = [c.params["text"] for c in botapi.calls_of("sendMessage")]
    assert texts.index("113") <= 2


async def test_quiet_chats_are_forgotten(scheduler: Any) -> None:
    """No chat id stays in the scheduler once its chat is quiet (it sweeps while idle too)."""
    s = scheduler(rate=1000, chat_rate=100, chat_burst=1)
    s.turns.sweep_seconds = 0.05
    await call(s, 11, Priority.REST, recorder([], "a"))
    s.hurry(12)
    assert s.chats_known() == 2
    s.turns.hurry_seconds = 0.0
    s.hurry(12)  # the crisis mark ends at once now
    for _ in range(100):
        if s.chats_known() == 0:
            break
        await asyncio.sleep(0.02)
    assert s.chats_known() == 0
