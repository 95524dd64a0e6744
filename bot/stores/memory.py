"""The in-memory store: the default for one process.

Bounded and O(1) per operation: entries sit in insertion order of their last
write, and since every entry has the same time to live, the oldest is always
the first to expire.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from bot.stores.base import Change, SessionStore, T
from flows.session import Session, SessionDecodeError

DEFAULT_MAX_SESSIONS = 500_000
SEEN_UPDATES_TTL = 600  # channels redeliver an unconfirmed message within minutes, not hours


class MemoryStore(SessionStore):
    """Sessions as JSON strings in a dict, expiring after ``ttl`` seconds."""

    def __init__(
        self,
        ttl: int,
        *,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._max = max_sessions
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        # Deliveries seen: a set of their hashes, and per whole second of expiry the hashes
        # to drop then (a few dozen bytes per update instead of a string, a float and an
        # ordered-dict node: a live conversation leaves one per update for ten minutes).
        self._seen: set[int] = set()
        self._expiring: deque[tuple[int, list[int]]] = deque()

    def __len__(self) -> int:
        self._expire()
        return len(self._data)

    def _expire(self) -> None:
        now = self._clock()
        data = self._data
        while data:
            key, (deadline, _) = next(iter(data.items()))
            if deadline > now:
                break
            del data[key]
        while len(data) > self._max:
            data.popitem(last=False)

    async def load(self, key: str) -> Session | None:
        self._expire()
        entry = self._data.get(key)
        if entry is None:
            return None
        try:
            return Session.from_json(entry[1])
        except SessionDecodeError:
            del self._data[key]
            return None

    async def transact(self, key: str, change: Change[T]) -> T:
        # One event loop, and `change` is synchronous: nothing can interleave here.
        session = await self.load(key)
        new, result = change(session)
        if new is None:
            self._data.pop(key, None)
        else:
            self._data[key] = (self._clock() + self.ttl, new.to_json())
            self._data.move_to_end(key)
        return result

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def first_time(self, delivery: str) -> bool:
        now = self._clock()
        seen, expiring = self._seen, self._expiring
        while expiring and expiring[0][0] <= now:
            seen.difference_update(expiring.popleft()[1])
        # A 64-bit hash of the id (SipHash, keyed per process): at a sustained 1,000 updates
        # a second, a new update shares one with a kept one about once in a thousand years
        # (and is then taken for a redelivery, unanswered; the person sends it again).
        mark = hash(delivery)
        if mark in seen:
            return False
        seen.add(mark)
        deadline = math.ceil(now + SEEN_UPDATES_TTL)  # kept 0-1 s longer: whole seconds
        if expiring and expiring[-1][0] == deadline:
            expiring[-1][1].append(mark)
        else:
            expiring.append((deadline, [mark]))
        return True

    def keys(self) -> list[str]:
        """Live keys (for tests that scan what is kept)."""
        self._expire()
        return list(self._data)

    def expires_in(self, key: str) -> float | None:
        """Seconds until this key expires, None when absent (for tests that check every TTL)."""
        self._expire()
        entry = self._data.get(key)
        return entry[0] - self._clock() if entry else None

    def raw(self, key: str) -> str | None:
        """The stored JSON (for tests that scan what is kept)."""
        entry = self._data.get(key)
        return entry[1] if entry else None
