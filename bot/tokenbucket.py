"""One token bucket, on a clock the caller hands in.

Used for Telegram's per-chat limit (:mod:`bot.channels.telegram.scheduler`), WhatsApp's
per-person pacing (:mod:`bot.channels.whatsapp.pacing`) and the web chat's typing and
pressing limits (:mod:`bot.channels.web.channel`). The clock is a plain ``() -> seconds``
callable, so a test moves time forward instead of sleeping. :class:`SharedSlots` is the
send budget all workers share, as both senders ask it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from bot.stores.base import Budget, StoreUnavailableError

Clock = Callable[[], float]


class TokenBucket:
    """``burst`` tokens at once, refilled at ``rate`` tokens a second."""

    __slots__ = ("burst", "clock", "level", "rate", "stamp")

    def __init__(self, burst: float, rate: float, clock: Clock) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("the burst must be at least 1 and the rate positive")
        self.burst = float(burst)
        self.rate = rate
        self.clock = clock
        self.level = float(burst)
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.level = min(self.burst, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> bool:
        """Take a token when there is one (True); refuse otherwise (False), taking nothing."""
        self._refill()
        if self.level < 1:
            return False
        self.level -= 1
        return True

    def book(self) -> float:
        """Take a token now, even one not there yet: the seconds to wait before using it.

        Booking at once puts the next caller behind this one, so callers keep their order.
        """
        self._refill()
        self.level -= 1
        return -self.level / self.rate if self.level < 0 else 0.0

    def idle(self) -> float:
        """Seconds since the bucket was last used."""
        return self.clock() - self.stamp


SKIP_BUDGET = 5.0  # seconds without asking an unreachable shared budget


class SharedSlots:
    """Slots in the send budget every worker shares (``budget``; None: this worker alone).

    When the store cannot be reached, the budget is not asked for ``SKIP_BUDGET`` seconds:
    a reply, above all a crisis reply, matters more than perfect flood control; the worker's
    own spacing still applies, and a refusal by the API is retried anyway."""

    __slots__ = ("_budget", "_skip_until", "clock", "unshared")

    def __init__(self, budget: Budget | None, clock: Clock) -> None:
        self._budget = budget
        self.clock = clock
        self._skip_until = -math.inf
        self.unshared = 0  # releases without the shared budget (store unreachable)

    async def wait(self) -> None:
        """Book a slot in the shared budget and wait for it."""
        if self._budget is None:
            return
        if self.clock() < self._skip_until:
            self.unshared += 1
            return
        try:
            wait = await self._budget.reserve()
        except StoreUnavailableError:
            self._skip_until = self.clock() + SKIP_BUDGET
            self.unshared += 1
            return
        if wait > 0:
            await asyncio.sleep(wait)
