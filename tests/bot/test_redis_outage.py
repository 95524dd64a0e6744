"""Redis goes away mid-conversation: the bot keeps answering, and recovers by itself.

A real redis-server is killed (a crash) or frozen (a lost network: the
connection stays open but nothing answers) while a conversation runs through
the real runtime and engine. Crisis sentences still get 113, other messages
get the emergency screen, quickly; once Redis is back the same store object
works again.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.conversation import Conversations, Reply
from bot.keys import SessionKeys
from bot.serving import ContentHolder
from bot.settings import Settings
from bot.stores import StoreUnavailableError
from bot.stores.redis import RedisStore
from flows import Count, Message, Start
from flows.events import Choice, Command, Text
from testkit.redisserver import RedisServer

pytestmark = pytest.mark.redis

CRISIS = "ik wil dood"
# Seconds a reply may take while Redis is unreachable. The store gives up after 0.5 s
# (bot/stores/redis.py); this limit is wide so a loaded machine cannot fail it, and still
# catches a reply that waits for Redis without a timeout (redis-py's default: for ever).
FAST = 10.0


@pytest.fixture
async def store(redis_server: RedisServer) -> AsyncIterator[RedisStore]:
    store = RedisStore(redis_server.url, 600)
    yield store
    await store.close()


@pytest.fixture
def runtime(store: RedisStore) -> Conversations:
    return Conversations(ContentHolder(Settings().BAKEN_CONTENT_DIR), store)


def buttons(reply: Reply) -> list[str]:
    return [b.data for o in reply.outputs if isinstance(o, Message) for r in o.buttons for b in r]


def texts(reply: Reply) -> str:
    return "\n".join(o.text for o in reply.outputs if isinstance(o, Message))


async def timed(runtime: Conversations, key: str, event: Start | Choice | Text | Command) -> Reply:
    started = time.monotonic()
    reply = await runtime.step(key, event)
    assert time.monotonic() - started < FAST, "the reply waited too long for Redis"
    return reply


async def start_conversation(runtime: Conversations, key: str) -> list[str]:
    """/start and the first answer; returns the buttons of the question now open."""
    reply = await runtime.step(key, Start(at=runtime.now()))
    assert not reply.degraded
    reply = await runtime.step(key, Choice(at=runtime.now(), data=buttons(reply)[0]))
    assert not reply.degraded
    assert await runtime.store.load(key) is not None
    return buttons(reply)


def assert_crisis_answered(reply: Reply) -> None:
    assert Count("crisis", "suicide") in reply.outputs
    assert "113" in texts(reply)


async def test_redis_killed_mid_conversation(
    redis_server: RedisServer, runtime: Conversations, store: RedisStore
) -> None:
    """Crash: crisis gets 113, the rest the emergency screen; after a restart all works again."""
    key = SessionKeys().key("telegram", 31337)
    open_question = await start_conversation(runtime, key)

    redis_server.stop()

    reply = await timed(runtime, key, Text(at=runtime.now(), text=CRISIS))
    assert reply.degraded
    assert_crisis_answered(reply)

    event = Choice(at=runtime.now(), data=open_question[0])
    reply = await timed(runtime, key, event)
    assert reply.degraded
    assert Count("error", "no_session") in reply.outputs
    assert reply.outputs == runtime.holder.engine.without_session(event)
    assert "112" in texts(reply), "the emergency screen says how to get help now"

    reply = await timed(runtime, key, Command(at=runtime.now(), name="help"))
    assert reply.degraded
    assert Count("error", "no_session") not in reply.outputs, "help works without a session"

    started = time.monotonic()
    assert await store.ping() is False
    assert time.monotonic() - started < FAST

    redis_server.start()  # same port, empty: persistence is off

    assert await store.ping() is True
    await start_conversation(runtime, key)
    reply = await timed(runtime, key, Text(at=runtime.now(), text=CRISIS))
    assert not reply.degraded
    assert_crisis_answered(reply)


async def test_redis_frozen_mid_conversation(
    redis_server: RedisServer, runtime: Conversations, store: RedisStore
) -> None:
    """No answer at all from Redis (network gone): replies come within the timeout."""
    key = SessionKeys().key("telegram", 4711)
    await start_conversation(runtime, key)

    redis_server.pause()
    try:
        reply = await timed(runtime, key, Text(at=runtime.now(), text=CRISIS))
        assert reply.degraded
        assert_crisis_answered(reply)

        started = time.monotonic()
        assert await store.ping() is False
        assert time.monotonic() - started < FAST
    finally:
        redis_server.resume()

    assert await store.ping() is True
    reply = await timed(runtime, key, Start(at=runtime.now()))
    assert not reply.degraded


async def test_store_operations_fail_fast_and_plainly(
    redis_server: RedisServer, store: RedisStore
) -> None:
    """Without Redis, every call raises StoreUnavailableError; first_time says True."""
    key = SessionKeys().key("telegram", 1)
    redis_server.stop()
    for call in (store.load(key), store.delete(key), store.transact(key, lambda s: (s, None))):
        with pytest.raises(StoreUnavailableError):
            await call
    assert await store.first_time("telegram:99") is True, "a possible duplicate beats no answer"
