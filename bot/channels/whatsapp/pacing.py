"""Pacing what baken sends on WhatsApp: the Cloud API's throughput, each person's pair
rate, and a crisis reply first.

Meta lets one business phone number send 80 messages a second (more when upgraded), and
one person about one message every 6 seconds in the long run, with bursts of up to 45;
above that it answers with error 130429 or 131056 and the message is not sent. So:

- **per person**: a bucket of ``person_burst`` messages that refills at ``person_rate`` a
  second, waited for *before* a message joins the overall queue, so a busy conversation
  never holds up another; keyed by the conversation's HMAC key, never by a number, and
  forgotten once the bucket is full again;
- **overall**: at most ``rate`` messages a second, released one every ``1/rate`` seconds,
  the lowest :class:`~bot.conversation.Priority` first (a crisis reply or an erase, then
  the first reply to someone new, then the rest); with Redis, the ``rate`` is shared by
  every worker through the store's budget (``SessionStore.budget``), and when Redis cannot
  be reached each worker keeps its own spacing (a crisis reply matters more);
  :meth:`Pacer.hurry` moves a conversation's waiting messages to the front, for a person
  who writes a crisis sentence while an earlier reply to them still waits.

The same rules as Telegram's scheduler (``bot/channels/telegram/scheduler.py``), without
python-telegram-bot's rate-limiter interface; the retries after a refusal are the
client's (:mod:`bot.channels.whatsapp.graph`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from dataclasses import dataclass, field

from bot.conversation import Priority
from bot.stores.base import Budget
from bot.tokenbucket import Clock, SharedSlots, TokenBucket

RATE = 75.0  # messages a second from this worker (Cloud API: 80 per phone number)
PERSON_RATE = 1 / 6  # messages a second to one person in the long run (pair rate limit)
PERSON_BURST = 40  # messages to one person at once after a quiet spell (Meta: 45)
HURRY_SECONDS = 30.0
BUDGET = "wa-flood"  # the shared budget's name in the store


@dataclass(order=True)
class _Waiting:
    priority: int
    seq: int
    key: str = field(compare=False)
    ready: asyncio.Future[None] = field(compare=False)


class Pacer:
    """Waits each message's turn; see the module docstring."""

    def __init__(
        self,
        *,
        rate: float = RATE,
        person_rate: float = PERSON_RATE,
        person_burst: int = PERSON_BURST,
        budget: Budget | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.person_rate = person_rate
        self.person_burst = person_burst
        self.clock = clock
        self._interval = 1.0 / rate
        self._queue: list[_Waiting] = []
        self._seq = itertools.count()
        self._buckets: dict[str, TokenBucket] = {}
        self._hurried: dict[str, float] = {}
        self._next_slot = -math.inf
        self._dispatcher: asyncio.Task[None] | None = None
        self._shared = SharedSlots(budget, clock)
        self.released: list[int] = []  # priorities in the order released (bounded; tests)

    @property
    def unshared(self) -> int:
        """Releases without the shared budget (its store was unreachable)."""
        return self._shared.unshared

    def hurry(self, key: str) -> None:
        """This conversation's waiting and next messages go first for a while."""
        self._hurried[key] = self.clock() + HURRY_SECONDS
        changed = False
        for waiting in self._queue:
            if waiting.key == key and waiting.priority > Priority.CRISIS:
                waiting.priority = Priority.CRISIS
                changed = True
        if changed:
            heapq.heapify(self._queue)

    def people_known(self) -> int:
        """Conversations whose keys the pacer holds now (for the privacy tests)."""
        return len(self._buckets.keys() | self._hurried.keys())

    async def turn(self, key: str, priority: int = Priority.REST) -> None:
        """Wait until a message to conversation ``key`` may go."""
        now = self.clock()
        self._forget_quiet(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.person_burst, self.person_rate, self.clock)
            self._buckets[key] = bucket
        wait = bucket.book()
        # A crisis reply never waits for the pair limit: if Meta refuses it, the client retries.
        if wait > 0 and priority > Priority.CRISIS:
            await asyncio.sleep(wait)
        if self._hurried.get(key, -math.inf) > self.clock():
            priority = min(priority, Priority.CRISIS)
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._queue, _Waiting(priority, next(self._seq), key, ready))
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = loop.create_task(self._dispatch())
        await ready

    def _forget_quiet(self, now: float) -> None:
        full = self.person_burst / self.person_rate
        for key in [k for k, b in self._buckets.items() if now - b.stamp > full]:
            del self._buckets[key]
        for key in [k for k, until in self._hurried.items() if until < now]:
            del self._hurried[key]

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            wait = self._next_slot - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            await self._shared.wait()
            waiting = heapq.heappop(self._queue)  # the priority is decided now
            if waiting.ready.done():
                continue  # its sender was cancelled
            waiting.ready.set_result(None)
            self._next_slot = loop.time() + self._interval
            self.released.append(waiting.priority)
            if len(self.released) > 10_000:
                del self.released[:5_000]

    async def close(self) -> None:
        task, self._dispatcher = self._dispatcher, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for waiting in self._queue:
            if not waiting.ready.done():
                waiting.ready.cancel()
        self._queue.clear()
