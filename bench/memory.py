"""Memory per conversation: 100,000 live sessions in the memory store.

Sessions are realistic: each is a reachable situation of the shipped flow, with
a typical range of remembered message ids. Resident memory is read from
/proc/self/statm before and after (Linux); tracemalloc gives the Python heap.
"""

from __future__ import annotations

import asyncio
import gc
import os
import tracemalloc
from dataclasses import dataclass

from bot.derived import build_engine
from bot.keys import SessionKeys
from bot.stores.memory import MemoryStore
from flows import load_content
from flows.loader import default_content_dir
from testkit.walk import situations


@dataclass(frozen=True)
class MemoryFigures:
    sessions: int
    rss_bytes_per_session: float
    heap_bytes_per_session: float
    json_bytes_median: int
    json_bytes_max: int


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(count: int = 100_000) -> MemoryFigures:
    engine = build_engine(load_content(default_content_dir()))
    examples = [
        s.session.with_messages(range(100, 100 + 12 + i % 30))
        for i, s in enumerate(situations(engine))
    ]
    sizes = sorted(len(s.to_json()) for s in examples)
    keys = SessionKeys(b"bench")
    store = MemoryStore(ttl=7200, max_sessions=count + 1)

    async def fill() -> None:
        for i in range(count):
            session = examples[i % len(examples)]
            await store.transact(keys.key("bench", i), lambda _, s=session: (s, None))

    # Resident memory without tracemalloc (it adds its own overhead), then the Python heap.
    gc.collect()
    rss0 = _rss()
    asyncio.run(fill())
    gc.collect()
    rss1 = _rss()
    assert len(store) == count
    store = MemoryStore(ttl=7200, max_sessions=count + 1)
    gc.collect()
    tracemalloc.start()
    heap0 = tracemalloc.get_traced_memory()[0]
    asyncio.run(fill())
    gc.collect()
    heap1 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return MemoryFigures(
        count, (rss1 - rss0) / count, (heap1 - heap0) / count, sizes[len(sizes) // 2], sizes[-1]
    )


if __name__ == "__main__":
    print(measure())
