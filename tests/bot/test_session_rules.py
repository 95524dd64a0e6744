"""Session rules of the privacy promise: how long sessions live, and rotating the secret.

Real stores (memory, and Redis when there is one), the real runtime and engine on
the pinned e2e dialogue; only time is a fake clock for the memory store.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.conversation import Conversations
from bot.keys import SessionKeys
from bot.serving import ContentHolder
from bot.settings import MAX_TTL, Settings
from bot.stores import MemoryStore
from bot.stores.redis import RedisStore
from flows import Start

E2E_CONTENT = Path(__file__).resolve().parents[1] / "e2e" / "content"
CHAT_ID = 7_612_345_678


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_session_ttl_defaults_to_two_hours_and_never_exceeds_47() -> None:
    """BAKEN_SESSION_TTL: 7200 s unless set; above 47 hours it is refused, not capped."""
    assert settings().BAKEN_SESSION_TTL == 2 * 3600
    assert MAX_TTL == 47 * 3600
    assert settings(BAKEN_SESSION_TTL=MAX_TTL).BAKEN_SESSION_TTL == MAX_TTL
    with pytest.raises(ValidationError):
        settings(BAKEN_SESSION_TTL=MAX_TTL + 1)
    with pytest.raises(ValidationError):
        settings(BAKEN_SESSION_TTL=0)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_rotating_the_secret_orphans_old_sessions_until_they_expire() -> None:
    """After a new BAKEN_SESSION_SECRET a chat starts afresh; the old session just expires."""
    clock = _Clock()
    store = MemoryStore(7200, clock=clock)
    runtime = Conversations(ContentHolder(E2E_CONTENT), store, clock=clock)
    old, new = SessionKeys(secrets.token_bytes(32)), SessionKeys(secrets.token_bytes(32))
    await runtime.step(old.key("telegram", CHAT_ID), Start(at=runtime.now()))
    assert await store.load(old.key("telegram", CHAT_ID)) is not None
    assert old.key("telegram", CHAT_ID) != new.key("telegram", CHAT_ID)

    assert await store.load(new.key("telegram", CHAT_ID)) is None  # the new secret finds nothing
    await runtime.step(new.key("telegram", CHAT_ID), Start(at=runtime.now()))
    assert sorted(store.keys()) == sorted(
        [old.key("telegram", CHAT_ID), new.key("telegram", CHAT_ID)]
    )
    clock.now += 7200 + 1  # nobody can reach the old session; it expires on its own
    assert store.keys() == []


@pytest.mark.redis
async def test_rotating_the_secret_in_redis_leaves_only_expiring_keys(
    redis_url: str, redis_prefix: str
) -> None:
    """In Redis too: the old key is orphaned, and it carries its time to live."""
    old, new = SessionKeys(secrets.token_bytes(32)), SessionKeys(secrets.token_bytes(32))
    store = RedisStore(redis_url, 600, prefix=redis_prefix, secret=secrets.token_bytes(32))
    try:
        runtime = Conversations(ContentHolder(E2E_CONTENT), store)
        await runtime.step(old.key("telegram", CHAT_ID), Start(at=runtime.now()))
        assert await store.load(new.key("telegram", CHAT_ID)) is None
        names = [name async for name in store.redis.scan_iter(match=f"{redis_prefix}*")]
        assert names == [store.session_key(old.key("telegram", CHAT_ID)).encode()]
        assert 0 < await store.redis.ttl(names[0]) <= 600
        value = await store.redis.get(names[0])
        assert isinstance(value, bytes)
        assert str(CHAT_ID).encode() not in value
    finally:
        async for name in store.redis.scan_iter(match=f"{redis_prefix}*"):
            await store.redis.delete(name)
        await store.close()
