"""Two workers' conversation cores on one real Redis, given the same press at once.

A web page sends a press again after its worker died; both workers may pass the look
(``SessionStore.unseen``) before either has written. Exactly one applies the press; the
other drops it, and the operators' counters say one press and one duplicate, not two
presses.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from bot.conversation import Conversations, Incoming
from bot.keys import SessionKeys
from bot.serving import ContentHolder
from bot.stores.redis import RedisStore
from flows import Start, Text
from flows.loader import default_content_dir
from tests.bot.test_conversation import Screen

pytestmark = [pytest.mark.redis]

KEYS = SessionKeys(b"k" * 32)
ROUNDS = 40
KIND = "button"


@pytest.fixture(scope="module")
def holder() -> ContentHolder:
    return ContentHolder(default_content_dir())


@pytest.fixture
async def cores(
    holder: ContentHolder, redis_url: str, redis_prefix: str
) -> AsyncIterator[tuple[Conversations, Conversations]]:
    secret = secrets.token_bytes(32)
    stores = [RedisStore(redis_url, 60, prefix=redis_prefix, secret=secret) for _ in range(2)]
    yield Conversations(holder, stores[0]), Conversations(holder, stores[1])
    async for name in stores[0].redis.scan_iter(match=f"{redis_prefix}*"):
        await stores[0].redis.delete(name)
    for store in stores:
        await store.close()


async def test_a_press_given_to_two_workers_at_once_is_counted_once(
    cores: tuple[Conversations, Conversations],
) -> None:
    first, second = cores
    screens = (Screen(), Screen())
    for n in range(ROUNDS):
        key = KEYS.key("web", f"page-{n}")
        await first.receive(screens[0], "page", Incoming(key, Start(at=first.now())))
        delivery = f"web-delivery:{n:04x}"
        press = Text(at=first.now(), text="hallo")
        await asyncio.gather(
            first.receive(screens[0], "page", Incoming(key, press, kind=KIND, delivery=delivery)),
            second.receive(screens[1], "page", Incoming(key, press, kind=KIND, delivery=delivery)),
        )

    def total(kind: str) -> float:
        return sum(c.metrics.value("baken_updates_total", type=kind) for c in cores)

    assert total("duplicate") == ROUNDS
    assert total(KIND) == ROUNDS, "a press dropped as a duplicate was also counted as a press"
