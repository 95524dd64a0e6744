"""One scheduler for everything sent to Telegram: a crisis first, within Telegram's limits.

Telegram lets a bot send about 30 messages a second in all, and about one a second to
one chat (short bursts are tolerated); above that it answers 429 and the bot waits.
In a peak every message waits its turn, so the order of the queue decides who waits:

- **overall**: at most ``rate`` calls to chats per second, spaced evenly (28/s by
  default: a sliding second never sees more than 28, with room for jitter on the way
  to Telegram); shared by every worker through the store's budget (Redis) when there
  is one;
- **per chat**: a bucket of ``chat_burst`` calls that refills at ``chat_rate`` a second,
  waited for *before* a call joins the overall queue, so a busy chat never holds up
  another;
- **priority**: the overall queue releases the lowest :class:`~bot.conversation.Priority`
  first (a crisis reply or an erase, then the first reply to someone new, then the
  rest), first come first served within one. :meth:`SendScheduler.hurry` moves a chat's
  waiting calls to the front, for a person who writes a crisis sentence while an earlier
  reply to them is still queued.
- **429**: a ``RetryAfter`` pauses every release for ``retry_after`` seconds and the
  call is made again in its place (a 429 means nothing was sent, so nothing shows twice).

Calls without a chat (answering a button, commands, webhook settings) go at once:
they are not messages. The per-chat buckets are keyed by the chat id, in process memory
only, and dropped within seconds of a chat going quiet (see PRIVACY.md). Plug it in with
``ExtBot(rate_limiter=SendScheduler(...))`` and pass the priority as ``rate_limit_args``
of each call.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.conversation import Priority
from bot.logs import get_logger
from bot.stores.base import Budget
from bot.tokenbucket import Clock, SharedSlots, TokenBucket

RATE = 28.0  # calls to chats per second, in all (Telegram: about 30)
CHAT_RATE = 1.0  # calls per second to one chat, in the long run
CHAT_BURST = 3  # calls to one chat that may go at once after a quiet spell
MAX_RETRIES = 5  # times a call is made again after a 429
HURRY_SECONDS = 30.0  # how long a chat's calls keep the front of the queue after hurry()
SWEEP_SECONDS = 10.0  # how often quiet chats' buckets are forgotten

Result = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, Result]]

log = get_logger("baken.telegram")


@dataclass(order=True)
class _Waiting:
    priority: int
    seq: int
    chat: int | str = field(compare=False)
    ready: asyncio.Future[None] = field(compare=False)


class SendScheduler(BaseRateLimiter[int]):
    """Priorities under Telegram's limits; see the module docstring."""

    def __init__(
        self,
        *,
        rate: float = RATE,
        chat_rate: float = CHAT_RATE,
        chat_burst: int = CHAT_BURST,
        budget: Budget | None = None,
        max_retries: int = MAX_RETRIES,
        clock: Clock = time.monotonic,
    ) -> None:
        """``clock``: the time of the per-chat buckets, of hurry and of the pause after the
        shared budget was unreachable (the event loop's clock; tests pass a fake one). The
        overall spacing runs on the event loop's clock, since it sleeps."""
        if rate <= 0 or chat_rate <= 0 or chat_burst < 1:
            raise ValueError("rates must be positive and the burst at least 1")
        self.rate = rate
        self.chat_rate = chat_rate
        self.chat_burst = chat_burst
        self.max_retries = max_retries
        self.clock = clock
        self._interval = 1.0 / rate
        self._budget = budget
        self._shared = SharedSlots(budget, clock)
        self._queue: list[_Waiting] = []
        self._seq = itertools.count()
        self._buckets: dict[int | str, TokenBucket] = {}
        self._hurried: dict[int | str, float] = {}
        self._swept = -math.inf
        self._next_slot = -math.inf
        self._paused_until = -math.inf
        self._wake: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self.released: list[tuple[float, int]] = []  # (time, priority), for tests; bounded

    @property
    def unshared(self) -> int:
        """Releases without the shared budget (its store was unreachable)."""
        return self._shared.unshared

    # ------------------------------------------------------------ PTB's interface

    async def initialize(self) -> None:
        """Start releasing calls (PTB calls this when the bot starts)."""
        if self._dispatcher is None or self._dispatcher.done():
            self._wake = asyncio.Event()
            self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch())

    async def shutdown(self) -> None:
        """Stop releasing; calls still waiting fail with CancelledError."""
        task, self._dispatcher = self._dispatcher, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for waiting in self._queue:
            if not waiting.ready.done():
                waiting.ready.cancel()
        self._queue.clear()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat = data.get("chat_id")
        if chat is None:
            return await callback(*args, **kwargs)
        priority = Priority.REST if rate_limit_args is None else int(rate_limit_args)
        for attempt in range(self.max_retries + 1):
            await self._chat_turn(chat)
            await self._overall_turn(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.max_retries:
                    raise
                wait = exc.retry_after
                seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
                loop = asyncio.get_running_loop()
                self._paused_until = max(self._paused_until, loop.time() + seconds)
                log.info("api_flood_wait", method=endpoint, seconds=seconds, attempt=attempt + 1)
                priority = min(priority, Priority.CRISIS)  # it waited once already
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------ hurry

    def hurry(self, chat: int | str) -> None:
        """A chat's waiting and next calls go first for a while (a crisis is coming)."""
        self._hurried[chat] = self.clock() + HURRY_SECONDS
        changed = False
        for waiting in self._queue:
            if waiting.chat == chat and waiting.priority > Priority.CRISIS:
                waiting.priority = Priority.CRISIS
                changed = True
        if changed:
            heapq.heapify(self._queue)

    def waiting(self) -> int:
        """Calls queued for their overall turn."""
        return len(self._queue)

    def chats_known(self) -> int:
        """Chats whose ids the scheduler holds now (for the privacy tests)."""
        return len(self._buckets.keys() | self._hurried.keys())

    # ------------------------------------------------------------ the turns

    async def _chat_turn(self, chat: int | str) -> None:
        """Wait until this chat's bucket has a call to spare, and take it."""
        now = self.clock()
        if now - self._swept > SWEEP_SECONDS:
            self._forget_idle_chats(now)
        bucket = self._buckets.get(chat)
        if bucket is None:
            bucket = self._buckets[chat] = TokenBucket(self.chat_burst, self.chat_rate, self.clock)
        wait = bucket.book()  # booked now, so the chat's next call waits behind this one
        if wait > 0:
            await asyncio.sleep(wait)

    def _forget_idle_chats(self, now: float) -> None:
        """Drop the buckets of chats that are quiet again: no chat id stays longer than needed."""
        self._swept = now
        full = self.chat_burst / self.chat_rate
        for chat in [c for c, b in self._buckets.items() if now - b.stamp > full]:
            del self._buckets[chat]
        for chat in [c for c, until in self._hurried.items() if until < now]:
            del self._hurried[chat]

    async def _overall_turn(self, chat: int | str, priority: int) -> None:
        """Join the overall queue and wait to be released."""
        if self._dispatcher is None:
            await self.initialize()
        loop = asyncio.get_running_loop()
        if self._hurried.get(chat, -math.inf) > self.clock():
            priority = min(priority, Priority.CRISIS)
        ready: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._queue, _Waiting(priority, next(self._seq), chat, ready))
        assert self._wake is not None
        self._wake.set()
        await ready

    async def _dispatch(self) -> None:
        """Release the most urgent waiting call, one every 1/rate seconds."""
        loop = asyncio.get_running_loop()
        assert self._wake is not None
        while True:
            if not self._queue:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), SWEEP_SECONDS)
                if not self._queue:
                    self._forget_idle_chats(self.clock())
                continue
            wait = max(self._next_slot, self._paused_until) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            await self._shared.wait()
            while self._queue:  # priority is decided now, at the moment of release
                waiting = heapq.heappop(self._queue)
                if waiting.ready.done():
                    continue  # its caller was cancelled
                waiting.ready.set_result(None)
                now = loop.time()
                self._next_slot = now + self._interval
                self.released.append((now, waiting.priority))
                if len(self.released) > 100_000:
                    del self.released[:50_000]
                break
