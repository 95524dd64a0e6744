"""The one token bucket (``bot.tokenbucket``), on a fake clock: no test waits for time."""

from __future__ import annotations

import pytest

from bot.tokenbucket import TokenBucket


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_take_allows_the_burst_then_one_per_refill() -> None:
    """Three at once, then a fourth only after 1/rate seconds; a refusal takes nothing."""
    clock = FakeClock()
    bucket = TokenBucket(3, 0.5, clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 1.9
    assert not bucket.take()
    clock.now += 0.1
    assert bucket.take()
    assert not bucket.take()


def test_a_quiet_spell_refills_no_more_than_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, 1.0, clock)
    assert bucket.take()
    assert bucket.take()
    clock.now += 3600
    assert [bucket.take() for _ in range(3)] == [True, True, False]


def test_book_queues_callers_in_order() -> None:
    """Booking past the burst says how long each caller waits: one interval more each."""
    clock = FakeClock()
    bucket = TokenBucket(2, 4.0, clock)
    assert [bucket.book() for _ in range(5)] == [0.0, 0.0, 0.25, 0.5, 0.75]
    clock.now += 0.75  # the three booked ahead have come in: the next waits one interval
    assert bucket.book() == 0.25
    assert bucket.idle() == 0.0
    clock.now += 2.5
    assert bucket.idle() == 2.5


@pytest.mark.parametrize(("burst", "rate"), [(0, 1.0), (1, 0.0), (1, -1.0)])
def test_nonsense_limits_are_refused(burst: int, rate: float) -> None:
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(burst, rate, FakeClock())
