"""The webhook server's HTTP rules, over a real socket on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.channels.telegram.webhook import MAX_BODY, SECRET_HEADER, build_webhook_app
from bot.metrics import Metrics

SECRET = "s3cret-Token_ok"
UPDATE = {"update_id": 1, "message": {"message_id": 1}}


class Server:
    """The web app with a feed that records what it got and a switchable health."""

    def __init__(self) -> None:
        self.fed: list[dict[str, Any]] = []
        self.healthy: bool | None = True
        self.metrics = Metrics()
        self.app = build_webhook_app(
            secret=SECRET, feed=self._feed, health=self._health, metrics=self.metrics
        )

    async def _feed(self, data: dict[str, Any]) -> None:
        self.fed.append(data)

    async def _health(self) -> bool:
        if self.healthy is None:
            raise ConnectionError("store down")
        return self.healthy


@pytest.fixture
async def server() -> AsyncIterator[tuple[Server, str, ClientSession]]:
    """The app listening on 127.0.0.1, its root URL and a client."""
    web = Server()
    test_server = TestServer(web.app, host="127.0.0.1")
    await test_server.start_server()
    async with ClientSession() as client:
        yield web, str(test_server.make_url("")), client
    await test_server.close()


async def post(
    client: ClientSession,
    url: str,
    body: bytes,
    *,
    secret: str | None = SECRET,
    content_type: str = "application/json",
) -> int:
    headers = {"Content-Type": content_type}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with client.post(f"{url}/telegram", data=body, headers=headers) as reply:
        await reply.read()
        return reply.status


async def test_an_update_with_the_right_secret_is_fed(
    server: tuple[Server, str, ClientSession],
) -> None:
    """200 with an empty body (a JSON body would be a method call to Telegram)."""
    web, url, client = server
    async with client.post(
        f"{url}/telegram",
        json=UPDATE,
        headers={SECRET_HEADER: SECRET},
    ) as reply:
        assert reply.status == 200
        assert await reply.read() == b""
    assert web.fed == [UPDATE]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1], "ü" * 5])
async def test_a_missing_or_wrong_secret_is_403_and_nothing_is_fed(
    server: tuple[Server, str, ClientSession], secret: str | None
) -> None:
    """Without the exact secret: 403, the body is not even read."""
    web, url, client = server
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with client.post(f"{url}/telegram", json=UPDATE, headers=headers) as reply:
        assert reply.status == 403
    assert web.fed == []
    assert web.metrics.value("baken_webhook_requests_total", status="403") == 1


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"not json", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"update_id": "1"}', "application/json", 400),
        (b'{"update_id": true}', "application/json", 400),
        (b'{"message": {}}', "application/json", 400),
        (json.dumps(UPDATE).encode(), "text/plain", 415),
        (json.dumps(UPDATE).encode(), "application/x-www-form-urlencoded", 415),
    ],
)
async def test_bodies_that_are_not_an_update(
    server: tuple[Server, str, ClientSession], body: bytes, content_type: str, status: int
) -> None:
    """Not JSON, not an object, no integer update_id: 400; another content type: 415."""
    web, url, client = server
    assert await post(client, url, body, content_type=content_type) == status
    assert web.fed == []


async def test_oversized_bodies_are_413(server: tuple[Server, str, ClientSession]) -> None:
    """Over 1 MiB: 413, whether the length is announced or the body is streamed."""
    web, url, client = server
    big = b'{"update_id": 1, "x": "' + b"a" * MAX_BODY + b'"}'
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with client.post(f"{url}/telegram", data=io.BytesIO(big), headers=headers) as reply:
        assert reply.status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(0, len(big), 65536):
            yield big[:65536]

    async with client.post(f"{url}/telegram", data=chunks(), headers=headers) as reply:
        assert reply.status == 413
    assert web.fed == []


async def test_other_methods_are_405(server: tuple[Server, str, ClientSession]) -> None:
    """GET or PUT on the update path: 405."""
    _, url, client = server
    for method in ("GET", "PUT", "DELETE"):
        async with client.request(method, f"{url}/telegram") as reply:
            assert reply.status == 405


async def test_healthz_follows_the_store(server: tuple[Server, str, ClientSession]) -> None:
    """200 while the store answers; 503 when it says no or raises."""
    web, url, client = server
    async with client.get(f"{url}/healthz") as reply:
        assert (reply.status, await reply.text()) == (200, "ok")
    for state in (False, None):
        web.healthy = state
        async with client.get(f"{url}/healthz") as reply:
            assert reply.status == 503


async def test_metrics_page(server: tuple[Server, str, ClientSession]) -> None:
    """Prometheus text format with baken's counters."""
    web, url, client = server
    web.metrics.update("text")
    web.metrics.count("handoff", "fier")
    web.metrics.count("crisis", "suicide")
    await post(client, url, b"{}", secret="nope")
    async with client.get(f"{url}/metrics") as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/plain")
        page = await reply.text()
    assert 'baken_updates_total{type="text"} 1.0' in page
    assert 'baken_handoffs_total{service="fier"} 1.0' in page
    assert 'baken_crisis_interrupts_total{kind="suicide"} 1.0' in page
    assert 'baken_webhook_requests_total{status="403"} 1.0' in page


async def test_a_slow_body_gets_408_and_does_not_block_others(
    server: tuple[Server, str, ClientSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that sends its body slowly is cut off; other requests are answered meanwhile.

    No stopwatch: the fast request must be answered while every slow one is still
    waiting for its 408 (a server blocked by them would answer it only after).
    """
    monkeypatch.setattr("bot.webhooks.BODY_TIMEOUT", 3.0)
    web, url, client = server
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    slow = []
    for _ in range(20):  # more slow clients than a small worker pool would have
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            (
                "POST /telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"{SECRET_HEADER}: {SECRET}\r\nContent-Length: 100\r\n\r\n"
                '{"update_id": '
            ).encode()
        )
        await writer.drain()
        slow.append((reader, writer))
    assert await post(client, url, json.dumps(UPDATE).encode()) == 200
    for reader, _ in slow:
        with pytest.raises(TimeoutError):  # not answered yet: still within its 3 seconds
            await asyncio.wait_for(reader.readline(), 0.001)
    for reader, writer in slow:
        status = await asyncio.wait_for(reader.readline(), 5)
        assert status.startswith(b"HTTP/1.1 408")
        writer.close()
    assert web.fed == [UPDATE]


async def test_a_burst_of_concurrent_posts_is_answered_quickly(
    server: tuple[Server, str, ClientSession],
) -> None:
    """200 concurrent POSTs (100 updates, each twice): all 200, each fed, none stuck.

    The limit is wide on purpose (a loaded 2-core machine must not fail it); the speed
    itself is measured in bench/ (the webhook workers run).
    """
    web, url, client = server
    bodies = [json.dumps({"update_id": i % 100, "message": {"message_id": i}}) for i in range(200)]
    started = time.monotonic()
    statuses = await asyncio.gather(*(post(client, url, b.encode()) for b in bodies))
    assert statuses == [200] * 200
    assert time.monotonic() - started < 60
    assert sorted(u["update_id"] for u in web.fed) == sorted(i % 100 for i in range(200))
