"""`baken webhook` as Telegram and strangers see it: secret, bodies, registration, health."""

from __future__ import annotations

import asyncio
import io
import re
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from testkit.botapi import SECRET_HEADER, StandinBotAPI
from tests.e2e.conftest import REPO, WEBHOOK_SECRET, Baken, Chat, ends_with

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

SAFE = "Kun je nu veilig chatten? Kijkt er niemand mee?"


async def test_missing_or_wrong_secret_is_refused_and_nothing_is_processed(
    webhook: Baken,
) -> None:
    """403 without the secret or with a wrong one; the forged update never runs."""
    chat = Chat(webhook)
    api = webhook.api
    forged = api.command_update(chat.id, "/start", "zelf", user=chat.user)
    assert await webhook.deliver(forged, secret=None) == 403
    assert await webhook.deliver(forged, secret="wrong") == 403
    assert await webhook.deliver(forged, secret=WEBHOOK_SECRET + "x") == 403
    # The same chat goes on; had the forged update been queued, it would have run first.
    await chat.say("hallo")
    texts = chat.sent()
    assert len(texts) == 1  # one welcome: the forged /start never ran
    assert texts[0].startswith("Hoi.")
    assert chat.said()[-1] == SAFE


async def test_a_burst_of_the_same_update_is_handled_once(webhook: Baken) -> None:
    """Five concurrent deliveries of one update: all accepted, one answer."""
    chat = Chat(webhook)
    api = webhook.api
    update = api.command_update(chat.id, "/start", user=chat.user)
    url = f"{webhook.url}/telegram"
    statuses = await asyncio.gather(
        *(api.post_webhook(url, update, secret=WEBHOOK_SECRET) for _ in range(5))
    )
    assert statuses == [200] * 5
    await chat.say("privacy", until=lambda c: "Typ stop" in str(c.params.get("text", "")))
    assert chat.said().count(SAFE) == 1


async def test_bodies_that_are_not_updates(webhook: Baken) -> None:
    """Non-JSON, other content types, oversized bodies and other methods get their status."""
    url = f"{webhook.url}/telegram"
    good = {SECRET_HEADER: WEBHOOK_SECRET}
    async with aiohttp.ClientSession() as http:

        async def status(data: object, content_type: str = "application/json") -> int:
            headers = {**good, "Content-Type": content_type}
            async with http.post(url, data=data, headers=headers) as reply:
                await reply.read()
                return reply.status

        assert await status(b"{not json") == 400
        assert await status(b'["update_id", 1]') == 400
        assert await status(b'{"update_id": 1}', "text/plain") == 415
        big = b'{"update_id": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}'
        assert await status(io.BytesIO(big)) == 413
        async with http.get(url) as reply:
            assert reply.status == 405
        async with http.get(f"{webhook.url}/healthz") as reply:
            assert (reply.status, await reply.text()) == (200, "ok")
        async with http.get(f"{webhook.url}/metrics") as reply:
            page = await reply.text()
    assert 'baken_webhook_requests_total{status="400"}' in page
    assert 'baken_webhook_requests_total{status="413"}' in page
    assert "baken_updates_total" in page
    assert re.search(r"\b61000\d{4}\b", page) is None  # no chat id of any e2e test


async def test_webhook_registration(launch) -> None:
    """With BAKEN_WEBHOOK_URL: setWebhook with the secret and only the update types handled."""
    async with StandinBotAPI() as api:
        baken = await launch("webhook", api, BAKEN_WEBHOOK_URL="https://baken.example.org/telegram")
        try:
            assert api.webhook == {
                "url": "https://baken.example.org/telegram",
                "max_connections": 40,
                "secret_token": WEBHOOK_SECRET,
                "allowed_updates": [
                    "callback_query",
                    "edited_message",
                    "message",
                    "my_chat_member",
                ],
            }
            chat = Chat(baken)
            update = api.command_update(chat.id, "/start", user=chat.user)
            # As Telegram would: with the secret it was given.
            assert await api.post_webhook(f"{baken.url}/telegram", update) == 200
            await api.wait_for(ends_with(SAFE))
            assert api.calls_of("getUpdates") == []
        finally:
            assert await baken.stop() == 0
        assert baken.problems() == []


async def test_webhook_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    """No BAKEN_WEBHOOK_SECRET: a clear message and exit status 2, before any network."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "webhook",
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "1:x", "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert "BAKEN_WEBHOOK_SECRET is not set" in err.decode()


async def test_a_burst_of_200_posts_each_update_answered_once(webhook: Baken) -> None:
    """200 concurrent POSTs: 50 people's /start, each delivered four times; one welcome each."""
    api = webhook.api
    chats = [Chat(webhook) for _ in range(50)]
    updates = [api.command_update(c.id, "/start", user=c.user) for c in chats]
    url = f"{webhook.url}/telegram"
    started = time.monotonic()
    statuses = await asyncio.gather(
        *(api.post_webhook(url, u, secret=WEBHOOK_SECRET) for u in updates * 4)
    )
    assert statuses == [200] * 200
    assert time.monotonic() - started < 60  # wide: a loaded machine must not fail it
    ids = {c.id for c in chats}
    await api.wait_for(
        lambda c: ends_with(SAFE)(c) and c.params.get("chat_id") in ids, 50, timeout=20
    )
    # One more update per chat, after all four copies: it is answered after them (one lane
    # per conversation), so a second welcome would be there before its answer.
    privacy = "Typ stop"
    await asyncio.gather(
        *(
            chat.command("/privacy", until=lambda c: privacy in str(c.params.get("text", "")))
            for chat in chats
        )
    )
    for chat in chats:
        assert chat.said().count(SAFE) == 1
