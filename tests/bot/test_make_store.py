"""make_store: memory by default, Redis when BAKEN_REDIS_URL is set, and then a shared secret."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.stores import MemoryStore, StoreConfigError, make_store
from bot.stores.redis import RedisStore

URL = "redis://127.0.0.1:1/0"  # never contacted: building a store does not connect
SECRET = "s" * 43


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_without_redis_url_sessions_live_in_memory() -> None:
    """One process, no configuration: the memory store with the configured TTL."""
    store = make_store(settings(BAKEN_SESSION_TTL=900))
    assert isinstance(store, MemoryStore)
    assert store.ttl == 900


async def test_redis_url_gives_a_redis_store() -> None:
    """BAKEN_REDIS_URL plus a secret: the shared store."""
    store = make_store(settings(BAKEN_REDIS_URL=URL, BAKEN_SESSION_SECRET=SECRET))
    try:
        assert isinstance(store, RedisStore)
        assert store.ttl == 7200
    finally:
        await store.close()


async def test_workers_with_the_same_settings_name_updates_alike() -> None:
    """Two workers built from the same settings compute the same update keys."""
    config = settings(BAKEN_REDIS_URL=URL, BAKEN_SESSION_SECRET=SECRET)
    first, second = make_store(config), make_store(config)
    try:
        assert isinstance(first, RedisStore)
        assert isinstance(second, RedisStore)
        assert first.update_key("telegram:10") == second.update_key("telegram:10")
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("secret", [None, "too-short"])
def test_redis_without_a_real_shared_secret_is_refused(secret: str | None) -> None:
    """Workers without one shared secret would each see different sessions: say so plainly."""
    with pytest.raises(StoreConfigError, match="BAKEN_SESSION_SECRET") as caught:
        make_store(settings(BAKEN_REDIS_URL=URL, BAKEN_SESSION_SECRET=secret))
    assert "secrets.token_urlsafe" in str(caught.value)
