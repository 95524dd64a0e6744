"""One token bucket, on a clock the caller hands in.

Used for Telegram's per-chat limit (:mod:`bot.channels.telegram.scheduler`) and the web
chat's typing and pressing limits (:mod:`bot.channels.web.channel`). The clock is a plain
``() -> seconds`` callable, so a test moves time forward instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable

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
