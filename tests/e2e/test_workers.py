"""Two `baken webhook` workers behind one URL, sharing one real redis-server.

Updates of one conversation are posted alternately to each worker: the person must see
exactly what they see with a single worker. Then the redis-server is killed mid-
conversation: crisis sentences are still answered with 113 by both workers and
``/healthz`` says 503; once Redis is back on the same port, health is 200 again and
conversations work without restarting the workers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
import pytest_asyncio

from testkit.botapi import Call, StandinBotAPI
from testkit.redisserver import RedisServer
from tests.e2e.conftest import Baken, Chat, _launch
from tests.e2e.test_faults import ERASED

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.asyncio(loop_scope="package")]

SESSION_SECRET = "workers-session-secret-0123456789-abcdef"
LABELS = ("Ja, het is veilig", "Over mij", "Nee", "Weet ik niet", "Sla over", "Verder")
CRISIS = "ik wil dood"


@pytest_asyncio.fixture(loop_scope="package")
async def workers(
    api: StandinBotAPI, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[list[Baken]]:
    """Two webhook workers on one private redis-server."""
    env = {"BAKEN_REDIS_URL": redis_server.url, "BAKEN_SESSION_SECRET": SESSION_SECRET}
    started: list[Baken] = []
    try:
        for name in ("worker-a", "worker-b"):
            started.append(await _launch("webhook", api, tmp_path_factory.mktemp(name), **env))
        yield started
    finally:
        statuses = [await worker.stop() for worker in started]
    assert statuses == [0, 0]
    for worker in started:
        assert worker.problems() == []


async def health(worker: Baken) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{worker.url}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as reply,
    ):
        return reply.status


async def wait_health(workers: list[Baken], status: int, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while True:
        statuses = [await health(w) for w in workers]
        if statuses == [status] * len(workers):
            return
        assert time.monotonic() < deadline, f"/healthz {statuses}, expected {status}"
        await asyncio.sleep(0.2)


async def conversation(chat: Chat, workers: list[Baken]) -> list[str]:
    """Start, presses to the handoff, stop; each update to the next worker in turn."""
    turn = 0

    def next_worker() -> None:
        nonlocal turn
        chat.baken = workers[turn % len(workers)]
        turn += 1

    next_worker()
    await chat.start()
    for label in LABELS:
        next_worker()
        await chat.press(label)
    visible = [m["text"] for m in chat.bot_messages()]
    next_worker()
    await chat.press("Stop en wis", until=lambda call: call.params.get("text") == ERASED)
    assert [m["text"] for m in chat.messages()] == [ERASED]
    return visible


def sent_113(chat: Chat) -> Callable[[Call], bool]:
    def predicate(call: Call) -> bool:
        return "113" in str(call.params.get("text", ""))

    return predicate


async def test_one_conversation_alternating_between_two_workers(
    webhook: Baken, workers: list[Baken], redis_server: RedisServer
) -> None:
    """Alternate workers: the same answers as one worker; Redis down: 113 and 503; back: 200."""
    reference = Chat(webhook)
    expected = await conversation(reference, [webhook])
    chat = Chat(workers[0])
    assert await conversation(chat, workers) == expected
    assert chat.sent() == reference.sent()

    # Mid-conversation, Redis dies.
    chat = Chat(workers[0])
    await chat.start()
    chat.baken = workers[1]
    await chat.press("Ja, het is veilig")
    redis_server.stop()
    for worker in workers:
        chat.baken = worker
        calls = await chat.say(CRISIS, until=sent_113(chat))
        assert "113" in calls[-1].params["text"]
    await wait_health(workers, 503)

    # Redis is back on the same port: health and conversations recover without a restart.
    redis_server.start()
    await wait_health(workers, 200)
    again = Chat(workers[1])
    assert await conversation(again, workers) == expected
    assert again.sent() == reference.sent()
