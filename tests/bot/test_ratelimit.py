"""One flood budget for all workers, kept in a real Redis, and the scheduler on it.

Telegram allows about 30 messages per second per bot in total; two workers
with a per-process limiter each would send twice that. These tests use higher
rates than Telegram's to stay short; the arithmetic is the same.

Time is only ever checked from below ("not sooner than the rate allows"): a busy
machine can make sending slower, never faster, so these cannot fail under load.
How fast it is goes in bench/ (``bench/flood.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.channels.telegram.ratelimit import make_scheduler
from bot.channels.telegram.scheduler import SendScheduler
from bot.settings import Settings
from bot.stores import MemoryStore
from bot.stores.redis import RedisStore, SharedBudget, connect
from testkit.botapi import StandinBotAPI
from testkit.redisserver import RedisServer

pytestmark = pytest.mark.redis


def most_in_any_window(times: list[float], window: float) -> int:
    """The largest number of events inside any interval of ``window`` seconds."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] > window:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[tuple[Any, Any]]:
    """Two Redis clients: two workers with their own connection pools."""
    first, second = connect(redis_url), connect(redis_url)
    yield first, second
    await first.aclose()
    await second.aclose()


async def sent_ok() -> bool:
    return True


async def test_a_quiet_budget_allows_a_burst_then_the_rate(
    clients: tuple[Any, Any], redis_prefix: str
) -> None:
    """After a quiet spell `burst` requests go at once, then one per 1/rate seconds."""
    redis, _ = clients
    budget = SharedBudget(redis, rate=50, burst=4, key=f"{redis_prefix}flood")
    started = time.monotonic()
    waits, slots = [], []  # slots: when each request may go, in seconds after the first
    for _ in range(6):
        wait = await budget.reserve()
        waits.append(wait)
        slots.append(time.monotonic() - started + wait)
    assert waits[:4] == [0, 0, 0, 0], "the burst goes at once"
    # Then one every 20 ms, never sooner (later only by the Redis round trips in between).
    assert slots[4] >= 0.02 - 0.002
    assert slots[5] >= 0.04 - 0.002
    value = await redis.get(budget.key)
    assert value.isdigit(), "the budget holds a time, nothing else"
    assert 0 < await redis.pttl(budget.key) <= 1000 + 6 * 20, "the key expires when idle"


async def test_two_workers_share_one_budget(clients: tuple[Any, Any], redis_prefix: str) -> None:
    """Two workers sending at once stay together within one rate, not one rate each."""
    rate, burst, each = 100, 5, 60
    budgets = [SharedBudget(c, rate=rate, burst=burst, key=f"{redis_prefix}flood") for c in clients]
    done: list[float] = []

    async def send(budget: SharedBudget) -> None:
        await budget.acquire()
        done.append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(*(send(b) for _ in range(each) for b in budgets))
    elapsed = time.monotonic() - started
    # Two per-process limiters would finish in (2 * 60 - 2 * 5) / (2 * 100) = 0.55 s; one
    # shared budget cannot finish before (2 * 60 - 5) / 100 = 1.15 s.
    assert elapsed >= (2 * each - burst) / rate - 0.05


async def test_ptb_bots_on_two_workers_send_at_most_the_shared_rate(
    clients: tuple[Any, Any], redis_prefix: str, botapi: StandinBotAPI
) -> None:
    """Real PTB bots with the scheduler on one shared budget: the Bot API sees one rate."""
    rate, each = 40, 30
    bots = [
        ExtBot(
            botapi.token,
            base_url=botapi.base_url,
            rate_limiter=SendScheduler(
                rate=rate,  # each worker alone would allow `rate`
                chat_rate=100,
                budget=SharedBudget(client, rate=rate, burst=1, key=f"{redis_prefix}flood"),
            ),
        )
        for client in clients
    ]
    for bot in bots:
        await bot.initialize()
    started = time.monotonic()
    try:
        await asyncio.gather(
            *(
                bot.send_message(chat_id=1000 + 100 * n + i, text="hoi")
                for i in range(each)
                for n, bot in enumerate(bots)
            )
        )
    finally:
        for bot in bots:
            await bot.shutdown()
    sent = [call.at for call in botapi.calls_of("sendMessage")]
    assert len(sent) == 2 * each
    # Each worker alone would allow 40/s: 80/s together, 60 messages in 0.75 s. Shared: not
    # before 1.45 s.
    assert max(sent) - started >= (2 * each - 1) / rate - 0.05


async def test_without_redis_messages_still_go_out(redis_server: RedisServer) -> None:
    """Redis down: messages go out under the worker's own spacing; the shared budget comes back."""
    redis = connect(redis_server.url)
    budget = SharedBudget(redis, rate=30, burst=1, key="baken:flood")
    now = [0.0]
    scheduler = SendScheduler(rate=1000, chat_rate=1000, budget=budget, clock=lambda: now[0])
    chat = {"chat_id": 42, "text": "113"}
    try:
        redis_server.stop()
        for _ in range(3):
            assert await scheduler.process_request(sent_ok, (), {}, "sendMessage", chat, 0)
        assert scheduler.unshared == 3

        redis_server.start()
        now[0] += 6  # the scheduler asks Redis again after 5 seconds
        assert await scheduler.process_request(sent_ok, (), {}, "sendMessage", chat, 0)
        assert scheduler.unshared == 3, "back on the shared budget once Redis answers"
        assert await redis.exists("baken:flood")
    finally:
        await scheduler.shutdown()
        await redis.aclose()


async def test_make_scheduler_follows_the_settings_and_the_store(redis_url: str) -> None:
    """Shared through Redis with the Redis store, per process with memory, none when off."""
    config = Settings(_env_file=None)  # type: ignore[call-arg]
    alone = make_scheduler(config, MemoryStore(60))
    assert isinstance(alone, SendScheduler)
    assert alone.turns.budget is None
    store = RedisStore(redis_url, 60)
    try:
        shared = make_scheduler(config, store)
        assert isinstance(shared, SendScheduler)
        assert isinstance(shared.turns.budget, SharedBudget)
        off = Settings(_env_file=None, BAKEN_RATE_LIMIT="off")  # type: ignore[call-arg]
        assert make_scheduler(off, store) is None
    finally:
        await store.close()
