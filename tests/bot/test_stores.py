"""The session store contract, run against every store (memory and a real Redis).

One test class, parametrised over the stores (as aiogram tests its FSM
storages), pins what the runtime relies on: transact semantics, expiry, update
de-duplication, and that nothing identifying is ever kept. Redis-only
behaviour (two workers, compare-and-set) follows in its own class.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import redis as sync_redis

from bot.conversation import Conversations
from bot.keys import SessionKeys
from bot.serving import ContentHolder
from bot.settings import Settings
from bot.stores import DuplicateDeliveryError, MemoryStore, SessionStore
from bot.stores.redis import SEEN_UPDATES_TTL, RedisStore
from flows import Message, Start
from flows.events import Choice, Text
from flows.session import Session

KEY = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def session(updated: int = 1000, state: str = "ask_safe") -> Session:
    return Session(
        flow="triage", state=state, lang="nl", version="0fbbacde", started=1000, updated=updated
    )


def bump(current: Session | None) -> tuple[Session | None, int]:
    """One step: count up ``updated``; the result is the value before."""
    base = current or session(updated=0)
    return dataclasses.replace(base, updated=base.updated + 1), base.updated


@dataclass
class FakeClock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    """One store plus what a test needs to look inside it and let time pass."""

    store: SessionStore
    advance: Callable[[float], Awaitable[None]]
    # every stored key -> (value, seconds to live or None when it never expires)
    dump: Callable[[], Awaitable[dict[str, tuple[str, float | None]]]]


@dataclass
class Stores:
    """Opens stores of one kind; closes them after the test."""

    kind: str
    redis_url: str | None = None
    prefix: str = "baken:"
    clock: FakeClock = field(default_factory=FakeClock)
    opened: list[SessionStore] = field(default_factory=list)

    def open(self, ttl: int = 60, secret: bytes | None = None) -> Harness:
        if self.kind == "memory":
            memory = MemoryStore(ttl, clock=self.clock)
            self.opened.append(memory)

            async def advance_clock(seconds: float) -> None:
                self.clock.now += seconds

            async def dump_memory() -> dict[str, tuple[str, float | None]]:
                live = memory.keys()
                return {k: (memory.raw(k) or "", memory.expires_in(k)) for k in live}

            return Harness(memory, advance_clock, dump_memory)

        assert self.redis_url is not None
        store = RedisStore(self.redis_url, ttl, prefix=self.prefix, secret=secret)
        self.opened.append(store)

        async def dump_redis() -> dict[str, tuple[str, float | None]]:
            found: dict[str, tuple[str, float | None]] = {}
            async for name in store.redis.scan_iter(match=f"{self.prefix}*"):
                value = await store.redis.get(name)
                pttl = await store.redis.pttl(name)
                found[name.decode()] = (
                    (value or b"").decode(),
                    None if pttl < 0 else pttl / 1000,
                )
            return found

        return Harness(store, asyncio.sleep, dump_redis)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def stores(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[Stores]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    opener = Stores(request.param, url, redis_prefix)
    yield opener
    for store in opener.opened:
        if isinstance(store, RedisStore):
            async for name in store.redis.scan_iter(match=f"{redis_prefix}*"):
                await store.redis.delete(name)
        await store.close()


class TestSessionStore:
    """Every store keeps sessions the same way."""

    async def test_an_unknown_key_has_no_session(self, stores: Stores) -> None:
        """A conversation nobody started loads as None."""
        store = stores.open().store
        assert await store.load(KEY) is None

    async def test_transact_saves_what_change_returns(self, stores: Stores) -> None:
        """The session change returns is what the next load sees; keys do not mix."""
        store = stores.open().store
        saved = session(state="ask_who").with_answer("ask_who", ("self",)).with_messages([5, 6])
        result = await store.transact(KEY, lambda current: (saved, current))
        assert result is None
        assert await store.load(KEY) == saved
        assert await store.load(OTHER) is None

    async def test_change_sees_the_current_session_and_its_result_comes_back(
        self, stores: Stores
    ) -> None:
        """Each transact starts from what the previous one saved."""
        store = stores.open().store
        assert [await store.transact(KEY, bump) for _ in range(3)] == [0, 1, 2]
        loaded = await store.load(KEY)
        assert loaded is not None
        assert loaded.updated == 3

    async def test_change_returning_none_deletes(self, stores: Stores) -> None:
        """A conversation that ended (None) is gone, not kept empty."""
        harness = stores.open()
        await harness.store.transact(KEY, lambda _: (session(), None))
        await harness.store.transact(KEY, lambda _: (None, None))
        assert await harness.store.load(KEY) is None
        assert await harness.dump() == {}

    async def test_delete_forgets_only_that_session(self, stores: Stores) -> None:
        """/stop erases one conversation."""
        store = stores.open().store
        await store.transact(KEY, lambda _: (session(), None))
        await store.transact(OTHER, lambda _: (session(), None))
        await store.delete(KEY)
        await store.delete(KEY)  # deleting twice is fine
        assert await store.load(KEY) is None
        assert await store.load(OTHER) == session()

    async def test_sessions_expire_ttl_after_the_last_write(self, stores: Stores) -> None:
        """Every write starts the time to live again; after it the session is gone."""
        harness = stores.open(ttl=1)
        store = harness.store
        await store.transact(KEY, bump)
        await harness.advance(0.6)
        await store.transact(KEY, bump)
        await harness.advance(0.6)
        assert await store.load(KEY) is not None, "a write must restart the time to live"
        await harness.advance(0.6)
        assert await store.load(KEY) is None
        assert await harness.dump() == {}
        assert await store.transact(KEY, bump) == 0, "an expired conversation starts afresh"

    async def test_first_time_is_true_once_per_update(self, stores: Stores) -> None:
        """A redelivered update is recognised and skipped."""
        store = stores.open().store
        assert await store.first_time("telegram:4242")
        assert not await store.first_time("telegram:4242")
        assert await store.first_time("telegram:4243")

    async def test_a_delivery_written_once_is_seen_after(self, stores: Stores) -> None:
        """The core's way: look (``unseen``), then step and mark in one write
        (``transact_once``); the same delivery again is seen and not applied."""
        store = stores.open().store
        delivery = "web-delivery:77aa"
        assert await store.unseen(delivery)
        assert await store.transact_once(KEY, bump, delivery) == 0
        assert not await store.unseen(delivery)
        assert not await store.first_time(delivery)
        loaded = await store.load(KEY)
        assert loaded is not None
        assert loaded.updated == 1

    async def test_concurrent_steps_of_one_conversation_lose_nothing(self, stores: Stores) -> None:
        """Many updates of one person at once: every step lands."""
        store = stores.open().store
        results = await asyncio.gather(*(store.transact(KEY, bump) for _ in range(50)))
        assert sorted(results) == list(range(50))
        loaded = await store.load(KEY)
        assert loaded is not None
        assert loaded.updated == 50

    async def test_values_hold_exactly_what_session_to_json_writes(self, stores: Stores) -> None:
        """Stored values are session JSON and nothing more; every key expires within the TTL."""
        harness = stores.open(ttl=120)
        store = harness.store
        await store.transact(KEY, lambda _: (session().with_answer("ask_who", ("self",)), None))
        await store.transact(OTHER, bump)
        await store.first_time("telegram:77")
        dumped = await harness.dump()
        assert dumped, "nothing was stored"
        for name, (value, ttl) in dumped.items():
            assert ttl is not None, f"{name} never expires"
            if name.endswith((KEY, OTHER)):
                assert 0 < ttl <= 120
                assert Session.from_json(value).to_json() == value
            else:  # the only other kind of key: "update handled", for 10 minutes
                assert 0 < ttl <= SEEN_UPDATES_TTL
                assert value == "1"

    async def test_nothing_identifying_is_kept(self, stores: Stores) -> None:
        """A whole conversation leaves no chat id, user id, update id or text in the store."""
        chat_id = 7_700_000_000 + secrets.randbelow(99_999_999)
        update_id = 880_000_000 + secrets.randbelow(9_999_999)
        canary_text = f"mijn adres is Canarystraat {secrets.randbelow(999)} en ik wil dood"
        secret = secrets.token_bytes(32)
        harness = stores.open(ttl=600, secret=secret)
        keys = SessionKeys(secret)
        key = keys.key("telegram", chat_id)
        runtime = Conversations(ContentHolder(Settings().BAKEN_CONTENT_DIR), harness.store)

        assert await harness.store.first_time(f"telegram:{update_id}")
        reply = await runtime.step(key, Start(at=runtime.now()), seen=[chat_id % 1000 + 1])
        buttons = [b for o in reply.outputs if isinstance(o, Message) for r in o.buttons for b in r]
        await runtime.step(key, Choice(at=runtime.now(), data=buttons[0].data))
        reply = await runtime.step(key, Text(at=runtime.now(), text=canary_text))
        assert not reply.degraded
        await runtime.remember(key, [chat_id % 1000 + 2])

        dumped = await harness.dump()
        assert any(name.endswith(key) for name in dumped), "the session was not stored"
        forbidden = [str(chat_id), str(update_id), "Canarystraat", "ik wil dood", "adres"]
        for name, (value, _) in dumped.items():
            for canary in forbidden:
                assert canary not in name
                assert canary not in value
            assert re.fullmatch(r"(.*[su]:)?[0-9a-f]{32}", name), name


@pytest.mark.redis
class TestRedisStore:
    """What only the shared store has to show: two workers, conflicts, key names."""

    @pytest.fixture
    async def two_workers(
        self, redis_url: str, redis_prefix: str
    ) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
        secret = secrets.token_bytes(32)
        first = RedisStore(redis_url, 60, prefix=redis_prefix, secret=secret)
        second = RedisStore(redis_url, 60, prefix=redis_prefix, secret=secret)
        yield first, second
        async for name in first.redis.scan_iter(match=f"{redis_prefix}*"):
            await first.redis.delete(name)
        await first.close()
        await second.close()

    async def test_two_workers_lose_no_step(
        self, two_workers: tuple[RedisStore, RedisStore]
    ) -> None:
        """Two workers (two connection pools) stepping one conversation at once lose nothing."""
        first, second = two_workers
        rounds = 200
        results = await asyncio.gather(
            *(worker.transact(KEY, bump) for _ in range(rounds) for worker in (first, second))
        )
        assert sorted(results) == list(range(2 * rounds)), "a step was lost or applied twice"
        loaded = await first.load(KEY)
        assert loaded is not None
        assert loaded.updated == 2 * rounds
        assert first.conflicts + second.conflicts > 0, "the workers never raced: test is vacuous"

    async def test_a_write_in_between_makes_change_run_again(
        self, two_workers: tuple[RedisStore, RedisStore], redis_url: str
    ) -> None:
        """When another worker writes between read and write, change re-runs on its value."""
        store, _ = two_workers
        await store.transact(KEY, lambda _: (session(updated=10), None))
        seen: list[int] = []
        other = sync_redis.Redis.from_url(redis_url)

        def change(current: Session | None) -> tuple[Session | None, None]:
            assert current is not None
            seen.append(current.updated)
            if len(seen) == 1:  # another worker steps the conversation right now
                other.set(store.session_key(KEY), session(updated=20).to_json(), ex=60)
            return dataclasses.replace(current, updated=current.updated + 1), None

        try:
            await store.transact(KEY, change)
        finally:
            other.close()
        assert seen == [10, 20]
        loaded = await store.load(KEY)
        assert loaded is not None
        assert loaded.updated == 21

    async def test_workers_with_one_secret_agree_on_updates(
        self, two_workers: tuple[RedisStore, RedisStore]
    ) -> None:
        """An update handled by one worker is skipped by the other."""
        first, second = two_workers
        assert await first.first_time("telegram:5150")
        assert not await second.first_time("telegram:5150")

    async def test_a_delivery_is_marked_only_with_the_write_it_made(
        self, two_workers: tuple[RedisStore, RedisStore]
    ) -> None:
        """A worker that looked at a delivery and died before its write leaves it to the
        other worker's try, which applies it once; after that write, both call it seen."""
        first, second = two_workers
        delivery = "web-delivery:0a1b2c"
        assert await first.unseen(delivery)  # the first worker looks... and is killed
        assert await second.unseen(delivery), "a look is not a claim"
        assert await second.transact_once(KEY, bump, delivery) == 0
        assert not await first.unseen(delivery)
        assert not await second.unseen(delivery)
        loaded = await first.load(KEY)
        assert loaded is not None
        assert loaded.updated == 1

    async def test_a_delivery_applied_by_two_workers_at_once_is_written_once(
        self, two_workers: tuple[RedisStore, RedisStore]
    ) -> None:
        """Both workers passed the look; the second write finds the mark, writes nothing."""
        first, second = two_workers
        delivery = "web-delivery:3d4e5f"
        assert await first.unseen(delivery)
        assert await second.unseen(delivery)
        outcomes = await asyncio.gather(
            first.transact_once(KEY, bump, delivery),
            second.transact_once(KEY, bump, delivery),
            return_exceptions=True,
        )
        assert sorted(map(type, outcomes), key=str) == sorted(
            [int, DuplicateDeliveryError], key=str
        )
        loaded = await first.load(KEY)
        assert loaded is not None
        assert loaded.updated == 1, "applied twice"

    async def test_keys_are_prefixed_hmacs(
        self, two_workers: tuple[RedisStore, RedisStore]
    ) -> None:
        """Keys are `<prefix>s:<hmac>` and `<prefix>u:<hmac>`; a raw chat id is refused."""
        store, _ = two_workers
        assert store.session_key(KEY) == f"{store.prefix}s:{KEY}"
        assert re.fullmatch(
            re.escape(store.prefix) + r"u:[0-9a-f]{32}", store.update_key("telegram:12345")
        )
        assert "12345" not in store.update_key("telegram:12345")
        with pytest.raises(ValueError, match="HMAC"):
            await store.load("123456789")
