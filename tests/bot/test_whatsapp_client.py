"""The WhatsApp channel's Graph API client and pacer, against the stand-in Cloud API.

The client sends over real HTTP to 127.0.0.1; its waits between attempts go to a list
instead of the clock, so no test sleeps for a backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.channels.whatsapp.graph import GraphClient, GraphError, RecipientGoneError
from bot.channels.whatsapp.pacing import Pacer
from bot.conversation import Priority
from bot.stores.base import StoreUnavailableError
from testkit.cloudapi import FAULTS, StandinCloudAPI

WA_ID = "31612345678"
HELLO = {"type": "text", "text": {"body": "Hoi", "preview_url": False}}


@pytest_asyncio.fixture
async def api() -> AsyncIterator[StandinCloudAPI]:
    async with StandinCloudAPI() as standin:
        yield standin


class Client:
    """A client on the stand-in whose waits are written down, not slept."""

    def __init__(self, api: StandinCloudAPI, **options: float) -> None:
        self.waits: list[float] = []

        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        self.graph = GraphClient(
            api_url=api.api_url,
            phone_number_id=api.phone_number_id,
            token=api.token,
            sleep=sleep,
            **options,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_a_refusal_that_sent_nothing_is_tried_again(api: StandinCloudAPI, fault: str) -> None:
    client = Client(api)
    api.inject(fault, times=2)
    await client.graph.send(WA_ID, HELLO)
    await client.graph.close()
    assert [c.text for c in api.sent(WA_ID)] == ["Hoi"]
    assert client.waits == [0.5, 1.0]  # backoff, doubling


async def test_the_retries_are_bounded(api: StandinCloudAPI) -> None:
    client = Client(api, max_retries=3, max_backoff=1.5)
    api.inject("server", times=10)
    with pytest.raises(GraphError) as failed:
        await client.graph.send(WA_ID, HELLO)
    await client.graph.close()
    assert (failed.value.code, failed.value.status) == (131000, 500)
    assert client.waits == [0.5, 1.0, 1.5]
    assert api.sent(WA_ID) == []


@pytest.mark.parametrize(("why", "code"), [("window", 131047), ("undeliverable", 131026)])
async def test_stop_sending_to_this_person(api: StandinCloudAPI, why: str, code: int) -> None:
    client = Client(api)
    api.block(WA_ID, why)
    with pytest.raises(RecipientGoneError) as gone:
        await client.graph.send(WA_ID, HELLO)
    await client.graph.close()
    assert gone.value.code == code
    assert client.waits == []  # never tried again


async def test_a_request_meta_refuses_is_not_tried_again(api: StandinCloudAPI) -> None:
    client = Client(api)
    with pytest.raises(GraphError) as refused:
        await client.graph.send(WA_ID, {"type": "text", "text": {"body": "x" * 4097}})
    await client.graph.close()
    assert refused.value.code == 100
    assert client.waits == []


async def test_a_wrong_token_is_not_tried_again(api: StandinCloudAPI) -> None:
    graph = GraphClient(api_url=api.api_url, phone_number_id=api.phone_number_id, token="wrong")
    with pytest.raises(GraphError) as refused:
        await graph.send(WA_ID, HELLO)
    await graph.close()
    assert refused.value.code == 190


# ---------------------------------------------------------------- pacing


async def test_a_crisis_reply_leaves_first() -> None:
    """Replies queued at the same moment: the crisis one is released first, then in order."""
    pacer = Pacer(rate=1000.0)
    order: list[str] = []

    async def send(key: str, priority: int) -> None:
        await pacer.turn(key, priority)
        order.append(key)

    turns = [send(f"k{i}", Priority.REST) for i in range(4)]
    turns.insert(2, send("crisis", Priority.CRISIS))
    turns.append(send("new", Priority.NEW))
    await asyncio.gather(*turns)
    await pacer.close()
    assert order == ["crisis", "new", "k0", "k1", "k2", "k3"]


async def test_hurry_moves_a_conversation_forward() -> None:
    pacer = Pacer(rate=1000.0)
    order: list[str] = []

    async def send(key: str) -> None:
        await pacer.turn(key, Priority.REST)
        order.append(key)

    tasks = [asyncio.create_task(send(k)) for k in ("a", "b", "c")]
    await asyncio.sleep(0)  # each task queues its message
    pacer.hurry("c")
    await asyncio.gather(*tasks)
    await pacer.close()
    assert order[0] == "c"


async def test_a_crisis_reply_never_waits_for_the_pair_limit() -> None:
    """With the person's bucket empty (the next message in 100 s), a crisis reply goes at
    once; any other waits its turn."""
    now = [1000.0]
    pacer = Pacer(rate=1000.0, person_rate=0.01, person_burst=1, clock=lambda: now[0])
    await pacer.turn("k")  # the one message the bucket holds
    await asyncio.wait_for(pacer.turn("k", Priority.CRISIS), 2.0)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pacer.turn("k", Priority.REST), 0.2)
    await pacer.close()


async def test_quiet_conversations_are_forgotten() -> None:
    """The pacer holds conversation keys only while they may still need pacing."""
    now = [1000.0]
    pacer = Pacer(rate=1000.0, person_rate=1.0, person_burst=3, clock=lambda: now[0])
    await pacer.turn("a")
    await pacer.turn("b")
    assert pacer.people_known() == 2
    now[0] += 11  # longer than a sweep (10 s) and than a bucket takes to fill up again
    await pacer.turn("c")
    assert pacer.people_known() == 1
    await pacer.close()


async def test_workers_share_the_number_s_budget_through_redis(
    redis_url: str, redis_prefix: str
) -> None:
    """Two pacers on one Redis: each release books a slot in the one shared budget."""
    from bot.stores.redis import RedisStore

    store = RedisStore(redis_url, 60, prefix=redis_prefix)
    try:
        pacers = [Pacer(rate=1000.0, budget=store.budget("wa-flood", 1000.0, 1)) for _ in "ab"]
        await asyncio.gather(*(p.turn(f"k{i}") for i, p in enumerate(pacers)))
        assert [p.unshared for p in pacers] == [0, 0]
        assert await store.redis.exists(f"{redis_prefix}wa-flood")  # the one shared slot
        for pacer in pacers:
            await pacer.close()
    finally:
        await store.close()


async def test_an_unreachable_budget_never_holds_a_reply_back() -> None:
    class Down:
        async def reserve(self) -> float:
            raise StoreUnavailableError

    pacer = Pacer(rate=1000.0, budget=Down())
    await pacer.turn("k", Priority.CRISIS)
    await pacer.turn("k", Priority.REST)
    assert pacer.unshared == 2
    await pacer.close()
