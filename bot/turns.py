"""Whose message goes next: one queue for a channel's sends, a crisis first.

Both senders that talk to a rate-limited API use it: Telegram's scheduler
(:mod:`bot.channels.telegram.scheduler`) and WhatsApp's pacer
(:mod:`bot.channels.whatsapp.pacing`). Each adds only what its API needs (python-telegram-
bot's rate-limiter interface and 429 retries; WhatsApp's pair rate limit).

- **per conversation** (:meth:`Turns.own_turn`): a bucket of ``burst`` sends that refills
  at ``own_rate`` a second, waited for *before* a send joins the overall queue, so a busy
  conversation never holds up another. The buckets are keyed by whatever the channel
  passes (a chat id, an HMAC key), in process memory only, and dropped within
  ``SWEEP_SECONDS`` of a conversation going quiet, also while nothing is sent.
- **overall** (:meth:`Turns.overall_turn`): at most ``rate`` sends a second, spaced
  evenly, the lowest :class:`~bot.conversation.Priority` first (a crisis reply or an
  erase, then the first reply to someone new, then the rest), first come first served
  within one; shared by every worker through the store's budget when there is one
  (:class:`~bot.tokenbucket.SharedSlots`). The priority is decided at the moment of
  release, so :meth:`Turns.hurry` still moves a waiting send forward.
- :meth:`Turns.pause` holds every release (the API said "too many").
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.conversation import Priority
from bot.stores.base import Budget
from bot.tokenbucket import Clock, SharedSlots, TokenBucket

HURRY_SECONDS = 30.0  # how long a conversation keeps the front of the queue after hurry()
SWEEP_SECONDS = 10.0  # how often quiet conversations' buckets are forgotten
KEEP_RELEASED = 1_000  # entries of `released` kept (for tests; about 100 KB at most)

Key = TypeVar("Key", bound=Hashable)


@dataclass(order=True)
class _Waiting(Generic[Key]):
    priority: int
    seq: int
    key: Key = field(compare=False)
    ready: asyncio.Future[None] = field(compare=False)


class Turns(Generic[Key]):
    """Per-conversation buckets and one priority queue; see the module docstring.

    ``clock``: the time of the buckets, of hurry and of the shared budget's pause (tests pass
    a fake one). The overall spacing runs on the event loop's clock, since it sleeps.
    """

    def __init__(
        self,
        *,
        rate: float,
        own_rate: float,
        burst: int,
        budget: Budget | None,
        clock: Clock,
        hurry_seconds: float = HURRY_SECONDS,
        sweep_seconds: float = SWEEP_SECONDS,
    ) -> None:
        if rate <= 0 or own_rate <= 0 or burst < 1:
            raise ValueError("rates must be positive and the burst at least 1")
        self.own_rate = own_rate
        self.burst = burst
        self.clock = clock
        self.hurry_seconds = hurry_seconds
        self.sweep_seconds = sweep_seconds
        self._interval = 1.0 / rate
        self.budget = budget  # the send budget all workers share (None: this worker alone)
        self._shared = SharedSlots(budget, clock)
        self._queue: list[_Waiting[Key]] = []
        self._seq = itertools.count()
        self._buckets: dict[Key, TokenBucket] = {}
        self._hurried: dict[Key, float] = {}
        self._swept = -math.inf
        self._next_slot = -math.inf
        self._paused_until = -math.inf
        self._wake: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self.released: list[tuple[float, int]] = []  # (loop time, priority); bounded

    @property
    def unshared(self) -> int:
        """Releases without the shared budget (its store was unreachable)."""
        return self._shared.unshared

    def held(self) -> set[Key]:
        """The conversations this worker holds a key of now (for the privacy tests)."""
        return self._buckets.keys() | self._hurried.keys()

    def waiting(self) -> int:
        """Sends queued for their overall turn."""
        return len(self._queue)

    def hurry(self, key: Key) -> None:
        """A conversation's waiting and next sends go first for a while (a crisis is coming)."""
        self._hurried[key] = self.clock() + self.hurry_seconds
        changed = False
        for waiting in self._queue:
            if waiting.key == key and waiting.priority > Priority.CRISIS:
                waiting.priority = Priority.CRISIS
                changed = True
        if changed:
            heapq.heapify(self._queue)

    def pause(self, seconds: float) -> None:
        """Release nothing for ``seconds`` (the API refused a send as too many)."""
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds)

    async def own_turn(self, key: Key, *, wait: bool = True) -> None:
        """Take a send from this conversation's bucket; wait until it is there, unless
        ``wait`` is False (booked all the same, so later sends still keep their pace)."""
        now = self.clock()
        if now - self._swept > self.sweep_seconds:
            self._forget_quiet(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.burst, self.own_rate, self.clock)
        seconds = bucket.book()  # booked now, so the next send waits behind this one
        if seconds > 0 and wait:
            await asyncio.sleep(seconds)

    async def overall_turn(self, key: Key, priority: int) -> None:
        """Join the overall queue and wait to be released."""
        self.start()
        loop = asyncio.get_running_loop()
        if self._hurried.get(key, -math.inf) > self.clock():
            priority = min(priority, Priority.CRISIS)
        ready: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._queue, _Waiting(priority, next(self._seq), key, ready))
        assert self._wake is not None
        self._wake.set()
        await ready

    def start(self) -> None:
        """Start releasing (on the running loop), unless that has begun already."""
        if self._dispatcher is None or self._dispatcher.done():
            self._wake = asyncio.Event()
            self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch())

    async def close(self) -> None:
        """Stop releasing; sends still waiting fail with CancelledError."""
        task, self._dispatcher = self._dispatcher, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for waiting in self._queue:
            if not waiting.ready.done():
                waiting.ready.cancel()
        self._queue.clear()

    def _forget_quiet(self, now: float) -> None:
        """Drop the buckets of conversations that are quiet again: no key stays longer than
        needed."""
        self._swept = now
        full = self.burst / self.own_rate
        for key in [k for k, b in self._buckets.items() if now - b.stamp > full]:
            del self._buckets[key]
        for key in [k for k, until in self._hurried.items() if until < now]:
            del self._hurried[key]

    async def _dispatch(self) -> None:
        """Release the most urgent waiting send, one every 1/rate seconds."""
        loop = asyncio.get_running_loop()
        assert self._wake is not None
        while True:
            if not self._queue:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.sweep_seconds)
                if not self._queue:
                    self._forget_quiet(self.clock())
                continue
            wait = max(self._next_slot, self._paused_until) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            await self._shared.wait()
            while self._queue:  # priority is decided now, at the moment of release
                waiting = heapq.heappop(self._queue)
                if waiting.ready.done():
                    continue  # its sender was cancelled
                waiting.ready.set_result(None)
                now = loop.time()
                self._next_slot = now + self._interval
                self.released.append((now, waiting.priority))
                if len(self.released) > KEEP_RELEASED:
                    del self.released[: KEEP_RELEASED // 2]
                break
