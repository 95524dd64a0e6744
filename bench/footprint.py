"""What a live Telegram conversation keeps in a `baken run` process, structure by structure.

    .venv/bin/python -m bench.footprint [--conversations 20000] [--updates 8]

A live conversation on the memory store leaves, in the real classes:

- its session in the memory store (key, expiry, JSON with the message ids kept for erase);
- the delivery id of each of its updates, kept to drop a redelivered update
  (``MemoryStore.first_time``, ten minutes);
- the token bucket of its chat in the send scheduler (only while it was active in the
  last few seconds: idle buckets are swept);
- a lane in the core (only while a turn runs: none for a conversation that waits).

Python heap bytes per conversation by tracemalloc, each structure filled on its own with
``conversations`` of them; not RSS (allocator slack and PTB's own garbage are another
matter, see BENCHMARKS.md section 3).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.channels.telegram.scheduler import SendScheduler
from bot.conversation import Lanes
from bot.derived import build_engine
from bot.keys import SessionKeys
from bot.stores.memory import MemoryStore
from flows import load_content
from flows.loader import default_content_dir
from flows.session import Session
from testkit.walk import situations

MESSAGES_KEPT = 12  # message ids of a conversation some turns in (erase deletes them all)


@dataclass(frozen=True)
class Footprint:
    conversations: int
    updates: int  # updates per conversation whose delivery ids are kept
    session: float  # bytes per conversation
    deliveries: float
    bucket: float
    lane: float

    @property
    def total(self) -> float:
        return self.session + self.deliveries + self.bucket + self.lane


def sample_sessions(limit: int = 200) -> list[Session]:
    """Realistic sessions: reachable situations of the shipped flow, with message ids."""
    engine = build_engine(load_content(default_content_dir()))
    out = []
    for i, situation in enumerate(situations(engine, limit=limit)):
        out.append(situation.session.with_messages(range(9000, 9000 + MESSAGES_KEPT + i % 4)))
    return out


async def _heap(fill: Callable[[], Awaitable[object]]) -> tuple[int, object]:
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    kept = await fill()
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before, kept


async def measure_async(
    conversations: int = 20_000, updates: int = 8, sessions: list[Session] | None = None
) -> Footprint:
    sessions = sessions or sample_sessions()
    keys = SessionKeys(b"footprint")
    chats = [5_000_000_000 + 7919 * i for i in range(conversations)]

    async def fill_sessions() -> object:
        store = MemoryStore(ttl=7200, max_sessions=conversations + 1)
        for i, chat in enumerate(chats):
            session = sessions[i % len(sessions)]
            await store.transact(keys.key("telegram", chat), lambda _, s=session: (s, None))
        return store

    async def fill_deliveries() -> object:
        store = MemoryStore(ttl=7200)
        update = 400_000_000
        for _ in range(updates):
            for _ in chats:
                update += 1
                await store.first_time(f"telegram:{update}")
        return store

    async def fill_buckets() -> object:
        scheduler = SendScheduler()
        for chat in chats:
            # The private step is the very structure measured: a chat's bucket.
            await scheduler.turns.own_turn(chat)
        return scheduler

    async def fill_lanes() -> object:
        lanes = Lanes()
        for chat in chats:
            async with lanes.hold(keys.key("telegram", chat)):
                pass
        return lanes

    tracemalloc.start()
    try:
        sizes = []
        for fill in (fill_sessions, fill_deliveries, fill_buckets, fill_lanes):
            size, kept = await _heap(fill)
            sizes.append(size / conversations)
            del kept
    finally:
        tracemalloc.stop()
    return Footprint(conversations, updates, *sizes)


def measure(conversations: int = 20_000, updates: int = 8) -> Footprint:
    return asyncio.run(measure_async(conversations, updates))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--updates", type=int, default=8)
    args = parser.parse_args()
    f = measure(args.conversations, args.updates)
    print(f, f"total {f.total:.0f} B")


if __name__ == "__main__":
    main()
