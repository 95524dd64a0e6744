"""The other end-to-end figures: start-up, reload, RSS per conversation, webhook workers, burst.

Each function starts what it needs (stand-in, bot processes, a private redis-server)
on 127.0.0.1, runs a bounded load and stops everything again.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout

from bench.harness import (
    SECRET_HEADER,
    TOKEN,
    WEBHOOK_SECRET,
    Bot,
    LoadResult,
    Standin,
    drive,
    turn_over,
)
from bot.derived import build_engine

_chats = itertools.count(800_000_001, 100_000)
JSON = dict[str, Any]


# ---------------------------------------------------------------- start-up and content


@dataclass(frozen=True)
class StartupFigures:
    runs: int
    first_reply_s: float  # median: process start -> first question delivered
    content_load_ms: float  # median: load + validate + build the engine, in-process


def content_load_ms(rounds: int = 5) -> float:
    from bot.serving import ContentHolder
    from flows.loader import default_content_dir

    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        ContentHolder(default_content_dir())
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def _first_reply(standin: Standin) -> float:
    chat = next(_chats)
    await standin.queue(
        [{"build": "command_update", "args": {"chat_id": chat, "command": "/start"}}]
    )
    seen = int((await standin.calls(0))["total"])
    bot = Bot("baken-run", standin)
    started = time.monotonic()
    task = asyncio.create_task(bot.start())
    try:
        while time.monotonic() - started < 60:
            await asyncio.sleep(0.005)
            fresh, seen = await standin.new_calls(seen)
            for call in fresh:
                if call["params"].get("chat_id") == chat and turn_over(call) is not None:
                    return time.monotonic() - started
        raise TimeoutError("no first reply within 60 s")
    finally:
        await task
        await bot.stop()


async def startup_async(runs: int = 3) -> StartupFigures:
    samples = []
    async with Standin() as standin:
        for _ in range(runs):
            await standin.reset()
            samples.append(await _first_reply(standin))
    return StartupFigures(runs, statistics.median(samples), content_load_ms())


# ---------------------------------------------------------------- reload under load


@dataclass(frozen=True)
class ReloadFigures:
    updates: int
    reloads: int
    content_loaded: int
    errors: int
    incomplete: int
    rate: float


async def reload_async(users: int = 200, turns: int = 6, every: float = 2.0) -> ReloadFigures:
    async with Standin() as standin:
        bot = Bot("baken-run", standin)
        await bot.start()
        sent = 0
        load = asyncio.create_task(
            drive(standin, users=users, turns=turns, first_chat=next(_chats))
        )
        try:
            while not load.done():
                await asyncio.sleep(every)
                if not load.done():
                    bot.signal(signal.SIGHUP)
                    sent += 1
            result = await load
            await asyncio.sleep(0.3)  # let the last reload log
        finally:
            await bot.stop()
        loaded = sum(1 for e in bot.logs if e.get("event") == "content_loaded")
        return ReloadFigures(
            result.updates, sent, loaded, len(bot.problems()), result.incomplete, result.rate
        )


# ---------------------------------------------------------------- RSS per conversation


@dataclass(frozen=True)
class RssFigures:
    conversations: int
    bytes_per_conversation: float


async def rss_async(conversations: int = 3000, turns: int = 2) -> RssFigures:
    """VmRSS growth of `baken run` per live conversation (a /start and a press each)."""
    async with Standin() as standin:
        bot = Bot("baken-run", standin)
        await bot.start()
        try:
            # Warm up: imports, connection pool, first sessions, allocator arenas.
            await drive(
                standin, users=min(200, conversations), turns=turns, first_chat=next(_chats)
            )
            await asyncio.sleep(0.5)
            before = bot.rss()
            first = next(_chats)
            step = 500
            for base in range(0, conversations, step):
                n = min(step, conversations - base)
                await drive(standin, users=n, turns=turns, first_chat=first + base)
            await asyncio.sleep(0.5)
            after = bot.rss()
        finally:
            await bot.stop()
    return RssFigures(conversations, (after - before) / conversations)


# ---------------------------------------------------------------- Redis bytes per key


@dataclass(frozen=True)
class RedisFigures:
    sample: int
    bytes_per_key_median: float
    bytes_per_key_max: int


async def redis_bytes_async(url: str, sample: int = 500) -> RedisFigures:
    """MEMORY USAGE of realistic sessions written by RedisStore."""
    from bot.keys import SessionKeys
    from bot.stores.redis import RedisStore
    from flows import load_content
    from flows.loader import default_content_dir
    from testkit.walk import situations

    engine = build_engine(load_content(default_content_dir()))
    examples = [
        s.session.with_messages(range(100, 100 + 12 + i % 30))
        for i, s in enumerate(situations(engine))
    ]
    keys = SessionKeys(b"bench")
    store = RedisStore(url, 7200, prefix="baken-bench:", secret=b"bench")
    sizes = []
    try:
        for i in range(sample):
            session = examples[i % len(examples)]
            key = keys.key("bench", i)
            await store.transact(key, lambda _, s=session: (s, None))
            sizes.append(int(await store.redis.memory_usage(store.session_key(key))))
        for i in range(sample):
            await store.delete(keys.key("bench", i))
    finally:
        await store.close()
    sizes.sort()
    return RedisFigures(sample, statistics.median(sizes), sizes[-1])


# ---------------------------------------------------------------- webhook workers


@dataclass(frozen=True)
class WebhookFigures:
    workers: int
    rates: list[float]
    p99_ms: float
    incomplete: int
    errors: int

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


class Relay:
    """Telegram's side of a webhook: fetch queued updates, POST them to the workers in turn."""

    def __init__(self, standin: Standin, urls: list[str]) -> None:
        self.standin = standin
        self.urls = urls
        self.statuses: dict[int, int] = {}
        self._turn = itertools.cycle(range(len(urls)))
        self._task: asyncio.Task[None] | None = None
        self._http = ClientSession(timeout=ClientTimeout(total=30))
        self._inflight: set[asyncio.Task[None]] = set()

    async def _post(self, url: str, update: JSON) -> None:
        async with self._http.post(
            url, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
        ) as reply:
            await reply.read()
            self.statuses[reply.status] = self.statuses.get(reply.status, 0) + 1

    async def _run(self) -> None:
        offset = 0
        get = f"{self.standin.base_url}{TOKEN}/getUpdates"
        while True:
            async with self._http.post(get, json={"offset": offset, "timeout": 1}) as reply:
                updates = (await reply.json())["result"]
            for update in updates:
                offset = update["update_id"] + 1
                url = self.urls[next(self._turn)]
                task = asyncio.create_task(self._post(url, update))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)

    async def __aenter__(self) -> Relay:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, *self._inflight, return_exceptions=True)
        await self._http.close()


async def webhook_async(
    redis_url: str, workers: int, users: int = 200, turns: int = 6, rounds: int = 2
) -> WebhookFigures:
    rates: list[float] = []
    p99: list[float] = []
    incomplete = errors = 0
    # A new stand-in numbers its updates from the same first id again, and the workers
    # (rightly) ignore update ids Redis has seen: start from an empty Redis.
    from bot.stores.redis import connect

    client = connect(redis_url)
    await client.flushdb()
    await client.aclose()
    async with Standin() as standin:
        for _ in range(rounds):
            await standin.reset()
            bots = [
                Bot("baken-webhook", standin, env={"BAKEN_REDIS_URL": redis_url})
                for _ in range(workers)
            ]
            try:
                await asyncio.gather(*(b.start() for b in bots))
                urls = [f"http://127.0.0.1:{b.port}/telegram" for b in bots]
                async with Relay(standin, urls) as relay:
                    await drive(standin, users=5, turns=2, first_chat=next(_chats))
                    result: LoadResult = await drive(
                        standin, users=users, turns=turns, first_chat=next(_chats)
                    )
                errors += sum(n for s, n in relay.statuses.items() if s != 200)
            finally:
                for b in bots:
                    await b.stop()
            errors += sum(len(b.problems()) for b in bots)
            rates.append(result.rate)
            p99.append(result.p99_ms)
            incomplete += result.incomplete
    return WebhookFigures(workers, rates, statistics.median(p99), incomplete, errors)


# ---------------------------------------------------------------- burst with the rate limiter


@dataclass(frozen=True)
class PeakFigures:
    users: int
    crisis: int
    delivered: int  # users whose first reply arrived
    duplicates: int  # first replies or crisis replies that arrived more than once
    messages: int  # sendMessage calls in all
    peak_1s: int  # most sendMessage calls in any one second
    peak_calls_1s: int  # most calls to chats (send, edit, delete) in any one second
    last_first_reply_s: float  # when the last user got a first reply
    crisis_latencies_s: list[float]  # crisis sentence queued -> its 113 reply

    @property
    def crisis_p50(self) -> float:
        return _quantile(self.crisis_latencies_s, 0.5)

    @property
    def crisis_p99(self) -> float:
        return _quantile(self.crisis_latencies_s, 0.99)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    most = first = 0
    for last, at in enumerate(times):
        while times[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def _first_question() -> str:
    """The question that ends the first reply of the shipped flow."""
    from flows import load_content
    from flows.loader import default_content_dir

    return load_content(default_content_dir()).text("nl", "welcome.safe_question")


CRISIS_SENTENCES = ("ik wil dood", "ik wil er een eind aan maken", "ik word bedreigd")


async def peak_async(users: int = 1000, crisis: int = 20, after: float = 5.0) -> PeakFigures:
    """A peak under Telegram's limits: `users` send /start at once; `after` seconds later,
    `crisis` of them type a crisis sentence. `baken run` with the rate limiter on."""
    async with Standin(history=max(5_000, 6 * users)) as standin:
        bot = Bot("baken-run", standin, env={"BAKEN_RATE_LIMIT": "on"})
        await bot.start()
        try:
            first = next(_chats)
            chats = list(range(first, first + users))
            in_crisis = chats[:: max(1, users // crisis)][:crisis]
            seen = int((await standin.calls(0))["total"])
            started = time.monotonic()
            await standin.queue(
                [
                    {"build": "command_update", "args": {"chat_id": c, "command": "/start"}}
                    for c in chats
                ]
            )
            welcome = _first_question()
            first_reply: dict[int, list[float]] = {}
            crisis_sent: dict[int, float] = {}
            crisis_reply: dict[int, list[float]] = {}
            sends: list[float] = []
            chat_calls: list[float] = []
            wanted = set(chats)
            deadline = started + users / 10 + 60
            while time.monotonic() < deadline:
                if not crisis_sent and time.monotonic() >= started + after:
                    queued = time.monotonic()
                    await standin.queue(
                        [
                            {
                                "build": "text_update",
                                "args": {"chat_id": c, "text": CRISIS_SENTENCES[i % 3]},
                            }
                            for i, c in enumerate(in_crisis)
                        ]
                    )
                    crisis_sent = dict.fromkeys(in_crisis, queued)
                await asyncio.sleep(0.05)
                fresh, seen = await standin.new_calls(seen)
                for call in fresh:
                    chat = call["params"].get("chat_id")
                    if chat not in wanted:
                        continue
                    chat_calls.append(call["at"])
                    if call["method"] != "sendMessage":
                        continue
                    sends.append(call["at"])
                    text = str(call["params"].get("text", ""))
                    if chat in crisis_sent and ("113" in text or "112" in text):
                        crisis_reply.setdefault(chat, []).append(call["at"])
                    elif welcome in text:
                        first_reply.setdefault(chat, []).append(call["at"])
                done = len(first_reply) == users and len(crisis_reply) == len(in_crisis)
                if done and time.monotonic() > started + after + 3:
                    break
            await asyncio.sleep(2.0)  # anything sent twice would arrive now
            fresh, seen = await standin.new_calls(seen)
            for call in fresh:
                chat = call["params"].get("chat_id")
                if chat in wanted and call["method"] == "sendMessage":
                    sends.append(call["at"])
                    text = str(call["params"].get("text", ""))
                    if chat in crisis_sent and ("113" in text or "112" in text):
                        crisis_reply.setdefault(chat, []).append(call["at"])
                    elif welcome in text:
                        first_reply.setdefault(chat, []).append(call["at"])
        finally:
            await bot.stop()
    duplicates = sum(len(v) - 1 for v in first_reply.values()) + sum(
        len(v) - 1 for v in crisis_reply.values()
    )
    return PeakFigures(
        users=users,
        crisis=len(in_crisis),
        delivered=len(first_reply),
        duplicates=duplicates,
        messages=len(sends),
        peak_1s=_most_in_a_second(sends),
        peak_calls_1s=_most_in_a_second(chat_calls),
        last_first_reply_s=max((min(v) for v in first_reply.values()), default=started) - started,
        crisis_latencies_s=[
            min(crisis_reply[c]) - t for c, t in crisis_sent.items() if c in crisis_reply
        ],
    )


def with_redis(fn: Any) -> Any:
    """Run ``fn(url)`` against a private redis-server, started and killed here."""
    from testkit.redisserver import start_server

    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp))
        try:
            return fn(server.url)
        finally:
            server.stop()
