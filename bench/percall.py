"""Timing one reader in this process: what building it leaves allocated, and single calls.

Shared by :mod:`bench.crisis` and :mod:`bench.situation`.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def built(make: Callable[[], T]) -> tuple[T, int, float]:
    """``make()``, with what it leaves allocated (bytes, by tracemalloc) and its seconds."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    value = make()
    seconds = time.perf_counter() - started
    gc.collect()
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return value, size, seconds


def long_messages(texts: list[str], count: int) -> list[str]:
    """About ``count`` of the texts, each repeated to about 4,096 characters (the longest
    a Telegram message can be)."""
    return [(t + " ") * (4096 // (len(t) + 1)) for t in texts[:: max(1, len(texts) // count)]]


def timed(call: Callable[[str], object], cases: list[str], times: int) -> list[int]:
    """Nanoseconds of each single call, ``times`` rounds over the cases, sorted."""
    samples: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(times):
        for text in cases:
            t0 = clock()
            call(text)
            samples.append(clock() - t0)
    return sorted(samples)
