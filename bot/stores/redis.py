"""The Redis store: sessions shared by several workers (``BAKEN_REDIS_URL``).

Keys (``prefix`` defaults to ``baken:``):

- ``baken:s:<session key>``: one compact session JSON (:meth:`Session.to_json`),
  written together with its time to live in one command (``SET .. EX``).
- ``baken:u:<hmac of delivery id>``: "this message was handled", for 10 minutes; set by
  the same script that writes the session it changed (:meth:`RedisStore.transact_once`),
  or at once by :meth:`RedisStore.first_time` where no session is written.
- ``baken:flood`` (and other budgets): the time of the next free send slot
  (:meth:`RedisStore.budget`).

Nothing else is written by this store, and every key expires.

Two workers may handle the same conversation at once (a double tap, a
redelivered update). :meth:`RedisStore.transact` is optimistic: it reads the
value, runs the pure ``change`` and writes the result with a Lua
compare-and-set that succeeds only if the value is still what was read;
otherwise it reads again and re-runs ``change``. Comparing whole values is
enough: ``change`` depends on nothing but the value it is given, so if the
value is the same, so is the right result. Within one worker, transactions on
one key also queue behind a local lock, so retries only happen between workers.

When Redis cannot be reached every operation raises
:class:`~bot.stores.base.StoreUnavailableError` within about ``timeout``
seconds (no retries with back-off inside redis-py, which would stall replies
for seconds), so the runtime answers without a session. The connection pool
reconnects by itself once Redis is back: no restart needed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import re
import secrets
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.stores.base import (
    Change,
    DuplicateDeliveryError,
    SessionStore,
    StoreUnavailableError,
    T,
)
from flows.session import Session, SessionDecodeError

DEFAULT_TIMEOUT = 0.5  # seconds; a reply must not wait long for a Redis that is gone
SEEN_UPDATES_TTL = 600  # channels redeliver an unconfirmed message within minutes, not hours
MAX_CONNECTIONS = 32  # per worker; each command holds one for well under a millisecond
POOL_WAIT = 1.0  # seconds to wait for a free connection before giving up
MAX_ATTEMPTS = 32  # compare-and-set rounds before giving up (then the reply is degraded)

# Session keys come from SessionKeys (HMAC, hex). Refusing anything else keeps
# a raw chat id from ever becoming a Redis key by mistake.
_SESSION_KEY = re.compile(r"[0-9a-f]{16,64}")

# KEYS[1] the session key; KEYS[2], when given, the mark of the delivery this write
# applies. ARGV: [1] '1' if a value was read, else '0'; [2] the value read; [3] '1' to
# write [4], '0' to delete; [5] time to live in seconds; [6] the mark's time to live.
# Returns 1 when written, 0 when the value changed since it was read, -1 when the
# delivery is already marked (another worker applied it): then nothing is written.
_COMPARE_AND_SET = """
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[5])
else
  redis.call('DEL', KEYS[1])
end
if KEYS[2] then redis.call('SET', KEYS[2], '1', 'EX', ARGV[6]) end
return 1
"""

_R = TypeVar("_R")


def connect(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Redis:
    """A Redis client that fails fast: short timeouts and no retries inside redis-py.

    The pool is bounded: a peak of concurrent updates reuses up to
    MAX_CONNECTIONS connections (a command takes a fraction of a millisecond)
    instead of opening hundreds at once, which on a busy machine would make
    connecting itself time out. Stale connections (Redis restarted) are noticed
    and replaced when the pool hands them out, so recovery needs no retry here.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )
    return Redis.from_pool(pool)


async def guarded(call: Awaitable[_R]) -> _R:
    """Await a Redis call; any failure to reach or use Redis becomes StoreUnavailableError."""
    try:
        return await call
    except (RedisError, OSError, TimeoutError) as exc:
        raise StoreUnavailableError(type(exc).__name__) from exc


@dataclass
class _KeyLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class RedisStore(SessionStore):
    """Sessions in Redis, one key each, expiring ``ttl`` seconds after the last write.

    ``secret`` keys the HMAC of delivery ids (see :meth:`first_time`); every
    worker sharing a Redis needs the same one, as for session keys.
    """

    def __init__(
        self,
        url: str,
        ttl: int,
        *,
        prefix: str = "baken:",
        secret: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.ttl = ttl
        self.prefix = prefix
        self.redis = connect(url, timeout=timeout)
        self.conflicts = 0  # compare-and-set rounds lost to another worker (a metric)
        self._timeout = timeout
        self._secret = secret or secrets.token_bytes(32)
        self._cas = self.redis.register_script(_COMPARE_AND_SET)
        self._locks: dict[str, _KeyLock] = {}

    def session_key(self, key: str) -> str:
        """The Redis key of a session key."""
        if not _SESSION_KEY.fullmatch(key):
            raise ValueError("a session key must be an HMAC in hex (see bot.keys)")
        return f"{self.prefix}s:{key}"

    def update_key(self, delivery: str) -> str:
        """The Redis key that marks a delivery (``telegram:<update id>``) as handled.

        The id is HMAC-ed although it names no person: a raw update id could be
        matched (by its arrival time, visible in the remaining TTLs) to the session
        written in the same second, and Telegram knows whose update it was; that
        would lead from a person to their session without the secret.
        """
        mac = hmac.new(self._secret, b"delivery:" + delivery.encode(), hashlib.sha256)
        return f"{self.prefix}u:{mac.hexdigest()[:32]}"

    async def load(self, key: str) -> Session | None:
        raw = await guarded(self.redis.get(self.session_key(key)))
        return _decode(raw)

    async def transact(self, key: str, change: Change[T]) -> T:
        return await self._transact(key, change, None)

    async def transact_once(self, key: str, change: Change[T], delivery: str) -> T:
        """The write and the delivery's mark in one script: a worker killed before it
        leaves neither, so the page's or Telegram's retry is applied (once) by another."""
        return await self._transact(key, change, self.update_key(delivery))

    async def unseen(self, delivery: str) -> bool:
        """True unless a worker applied this delivery in the last 10 minutes (only looks;
        :meth:`transact_once` marks). When Redis cannot be reached: True."""
        try:
            return not await guarded(self.redis.exists(self.update_key(delivery)))
        except StoreUnavailableError:
            return True

    async def _transact(self, key: str, change: Change[T], mark: str | None) -> T:
        name = self.session_key(key)
        keys = [name] if mark is None else [name, mark]
        async with self._serialised(name):
            for attempt in range(MAX_ATTEMPTS):
                raw = await guarded(self.redis.get(name))
                new, result = change(_decode(raw))
                args: list[str | bytes | int] = [
                    "0" if raw is None else "1",
                    raw or b"",
                    "0" if new is None else "1",
                    "" if new is None else new.to_json(),
                    self.ttl,
                    SEEN_UPDATES_TTL,
                ]
                written = await guarded(self._cas(keys=keys, args=args))
                if written == -1:
                    raise DuplicateDeliveryError
                if written:
                    return result
                self.conflicts += 1
                # Another worker wrote in between: back off a little, with jitter.
                await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
        raise StoreUnavailableError("too many concurrent writes to one session")

    async def delete(self, key: str) -> None:
        await guarded(self.redis.delete(self.session_key(key)))

    async def first_time(self, delivery: str) -> bool:
        """True unless some worker marked this delivery in the last 10 minutes.

        When Redis cannot be reached this says True: answering a redelivered
        update twice is better than leaving someone in crisis unanswered.
        """
        try:
            fresh = await guarded(
                self.redis.set(self.update_key(delivery), b"1", nx=True, ex=SEEN_UPDATES_TTL)
            )
        except StoreUnavailableError:
            return True
        return bool(fresh)

    def budget(self, name: str, rate: float, burst: int) -> SharedBudget:
        """``rate`` sends per second (bursts of ``burst``) shared by every worker on this Redis."""
        return SharedBudget(self.redis, rate=rate, burst=burst, key=f"{self.prefix}{name}")

    async def ping(self) -> bool:
        """True when Redis answers within the timeout; False (never raises) otherwise."""
        try:
            async with asyncio.timeout(self._timeout * 2):
                return bool(await self.redis.ping())
        except (RedisError, OSError, TimeoutError):
            return False

    async def close(self) -> None:
        await self.redis.aclose()

    @asynccontextmanager
    async def _serialised(self, name: str) -> AsyncIterator[None]:
        """One transaction per key at a time in this worker; the lock is dropped when idle."""
        entry = self._locks.get(name)
        if entry is None:
            entry = self._locks[name] = _KeyLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[name]


# GCRA ("generic cell rate algorithm") as a reservation: the key holds the
# theoretical arrival time (TAT) of the next request, in microseconds of the
# Redis clock (so the workers' clocks do not matter). Each call books the next
# slot and returns how long to wait for it; `burst` calls pass at once after a
# quiet spell. KEYS[1] the budget; ARGV[1] microseconds per request;
# ARGV[2] burst tolerance in microseconds. The key expires when idle.
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tonumber(ARGV[2]) - now
if wait < 0 then wait = 0 end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return math.floor(wait)
"""


class SharedBudget:
    """``rate`` requests per second with bursts of ``burst``, for every worker on one Redis.

    One round trip per request, first come first served, no polling. The client is
    borrowed (the store's), not closed here.
    """

    def __init__(self, redis: Redis, *, rate: float, burst: int, key: str) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self.key = key
        self._interval = 1_000_000 / rate
        self._tolerance = (burst - 1) * self._interval
        self._reserve = redis.register_script(_RESERVE)

    async def reserve(self) -> float:
        """Book the next slot; seconds to wait for it. Raises StoreUnavailableError."""
        waited = await guarded(
            self._reserve(keys=[self.key], args=[self._interval, self._tolerance])
        )
        return int(waited) / 1_000_000

    async def acquire(self) -> None:
        """Wait for a slot. Raises StoreUnavailableError when Redis cannot be reached."""
        wait = await self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)


def _decode(raw: bytes | str | None) -> Session | None:
    if raw is None:
        return None
    try:
        return Session.from_json(raw)
    except SessionDecodeError:
        return None  # unreadable (an older format): start afresh; the next write replaces it
