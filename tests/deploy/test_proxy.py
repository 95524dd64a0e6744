"""The web chat deployed as deploy/ says, with the real proxy: Debian's caddy running the
shipped Caddyfile (only its site address and upstream ports changed), two ``baken web``
workers sharing a real Redis, and Chromium opening the page through Caddy. Everything
listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.keys import SessionKeys
from bot.stores import make_store
from testkit.browser import launched
from testkit.browser import missing_reason as browser_missing
from testkit.caddy import CaddyProcess
from testkit.caddy import missing_reason as caddy_missing
from testkit.caddy import unavailable as caddy_unavailable
from testkit.redisserver import free_port
from testkit.web import WebProcess
from tests.web.conftest import web_settings
from tests.web.test_browser import (
    DANGER,
    EXIT_URL,
    FIER_LINK,
    ROLE,
    SAFE,
    SECRET,
    SITUATION,
    Person,
    new_context,
)

pytestmark = [
    pytest.mark.proxy,
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]

if browser_missing() is None:
    from playwright.async_api import Browser, expect
else:  # pragma: no cover - the browser fixture skips (or fails under CI) with the reason
    Browser = Any  # type: ignore[misc,assignment]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched() as browser:
        yield browser


async def connections(worker: WebProcess) -> float:
    """Open web chat sockets on this worker, from its /metrics (asked directly, not via Caddy)."""
    async with aiohttp.ClientSession() as http, http.get(f"{worker.url}/metrics") as response:
        text = await response.text()
    found = re.search(r"^baken_web_connections (\S+)$", text, re.MULTILINE)
    assert found is not None
    return float(found.group(1))


async def eventually_none(
    load: Callable[[], Awaitable[object]],
    timeout: float = 5.0,  # noqa: ASYNC109
) -> None:
    """Wait until ``load()`` gives None: server state that no event announces."""
    async with asyncio.timeout(timeout):
        while await load() is not None:  # noqa: ASYNC110 - polling another process's state
            await asyncio.sleep(0.05)


def addresses(text: str) -> set[str]:
    """Every ``127.0.0.1:<port>`` (and IPv6 loopback) mentioned in a log."""
    return set(re.findall(r"(?:127\.0\.0\.1|\[::1\]):\d+", text))


@contextlib.asynccontextmanager
async def behind_caddy(
    redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[list[WebProcess], CaddyProcess, str, int]]:
    """Two ``baken web`` workers on one Redis behind Caddy with the shipped Caddyfile: the
    workers, the proxy, its public URL and port. Everything still running is stopped after."""
    reason = caddy_missing()
    if reason is not None:
        caddy_unavailable(reason)
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    settings = {
        "BAKEN_REDIS_URL": redis_url,
        "BAKEN_WEB_PUBLIC_URL": public,
        "BAKEN_WEB_EXIT_URL": EXIT_URL,
        "BAKEN_WEB_FRAME_ANCESTORS": "none",
    }
    workers = [WebProcess(tmp_path, **settings) for _ in range(2)]
    for worker in workers:
        await worker.start()
    assert all(w.port is not None for w in workers)
    ports = {"web1": workers[0].port, "web2": workers[1].port, "bot1": 9, "bot2": 9}
    proxy = CaddyProcess(tmp_path, ports, port)  # type: ignore[arg-type]
    proxy.start()
    try:
        yield workers, proxy, public, port
    finally:
        proxy.stop()
        for worker in workers:
            if worker.proc is not None and worker.proc.returncode is None:
                await worker.stop()


async def to_the_danger_question(
    context: Any, public: str, workers: list[WebProcess]
) -> tuple[Person, WebProcess, WebProcess]:
    """A page through the proxy, answered up to the danger question: the page, the worker
    that holds its socket, and the other one."""
    me = Person(await context.new_page(), public)
    await me.open()
    await me.begin()
    await me.wait_for(SAFE)
    await me.press("Ja, het is veilig", then=ROLE)
    await me.press("Over mij", then=DANGER)
    [held] = [w for w in workers if await connections(w) == 1]
    [other] = [w for w in workers if w is not held]
    assert held.proc is not None
    return me, held, other


async def test_the_web_chat_through_caddy_survives_a_worker(
    browser: Browser, redis_url: str, tmp_path: Path
) -> None:
    """A conversation through Caddy: its worker is killed mid-conversation, the page goes on
    with the other (the current question asked again, nothing lost or shown twice) to the
    handoff; quick exit erases the session through the proxy; /healthz and /metrics are not
    served outside; baken's headers arrive intact; no log line names a visitor's address."""
    async with behind_caddy(redis_url, tmp_path) as (workers, proxy, public, port):
        store = make_store(web_settings(BAKEN_REDIS_URL=redis_url))
        context = await new_context(browser)
        try:
            me, held, other = await to_the_danger_question(context, public, workers)
            # Kill (SIGKILL: a crash) the worker that holds this page's socket.
            held.proc.kill()
            await held.proc.wait()
            await held.stop()
            # The question, asked again by the other worker.
            await expect(me.page.locator(".baken-chat__message--bot")).to_have_count(4)
            await me.wait_for(DANGER)
            assert await connections(other) == 1

            await me.press("Nee", then=SITUATION)
            await me.tick("Ik moet geld geven of een schuld betalen")
            await me.press("Klaar", then="Hoe oud")
            await me.press("Jonger dan 16", then="Zal ik laten zien")
            await me.press("Verder", then="Ik ben jonger dan 16.")
            fier = me.page.get_by_role("link", name="Chat met Fier")
            await expect(fier).to_have_attribute("href", FIER_LINK)

            bubbles = await me.bubbles()
            mine = [text for who, text in bubbles if who == "me"]
            assert mine == [
                "Ja, het is veilig",
                "Over mij",
                "Nee",
                "Ik moet geld geven of een schuld betalen\nKlaar",
                "Jonger dan 16",
                "Verder",
            ]
            said = [text for who, text in bubbles if who == "bot"]
            assert said.count(DANGER) == 2  # asked again by the other worker, once
            assert len(said) == len(set(said)) + 1  # nothing else shown twice
            assert (
                await me.page.locator(".baken-chat__message--bot .baken-chat__answers").count() == 1
            )

            # Quick exit, through the proxy: the session is gone from Redis.
            token = await me.token()
            assert token is not None
            key = SessionKeys(SECRET.encode()).key("web", token)
            assert await store.load(key) is not None
            await me.page.get_by_role("button", name="Snel weg").click()
            await me.page.wait_for_url(EXIT_URL)
            await eventually_none(lambda: store.load(key))

            # Everything went through Caddy; baken's own headers arrived unchanged.
            assert all(r.startswith(f"{public}/") or r == EXIT_URL for r in me.requests)
            assert me.sockets
            assert set(me.sockets) == {f"ws://127.0.0.1:{port}/ws"}
            assert me.responses
            for headers in me.responses:
                assert "default-src 'none'" in headers["content-security-policy"]
                assert "set-cookie" not in headers
            [page_headers, *_] = [
                h for h in me.responses if h.get("content-type", "").startswith("text/html")
            ]
            csp = page_headers["content-security-policy"]
            assert f"connect-src ws://127.0.0.1:{port} wss://127.0.0.1:{port};" in csp
            assert csp.endswith("frame-ancestors 'none'")
            assert page_headers["x-frame-options"] == "DENY"
            assert page_headers["referrer-policy"] == "no-referrer"
            assert page_headers["cache-control"] == "no-store"
            assert me.problems == []

            # Monitoring stays internal; a service link goes through (303 to the service).
            async with aiohttp.ClientSession() as http:
                link = f"{public}{FIER_LINK}"
                async with http.get(link, allow_redirects=False) as response:
                    assert response.status == 303
                    assert response.headers["Location"] == "https://www.chatmetfier.nl"
                for path in ("/healthz", "/metrics"):
                    async with http.get(f"{public}{path}") as response:
                        assert response.status == 404, path
                async with http.get(f"{other.url}/healthz") as response:
                    assert response.status == 200  # served to the network inside
                # Both workers gone: Caddy answers 502, and logs no line about that request.
                assert await other.stop() == 0
                async with http.get(
                    f"{public}/", headers={"User-Agent": "agent-canary"}
                ) as response:
                    assert response.status == 502
        finally:
            await context.close()
            await store.close()

    # No access line, and no address of a visitor, from Caddy or from baken.
    caddy_log = proxy.output()
    own = {f"127.0.0.1:{p}" for p in (port, *(w.port for w in workers))}
    assert addresses(caddy_log) <= own, caddy_log
    for word in ("remote_ip", "remote_addr", "client_ip", "agent-canary", "HeadlessChrome"):
        assert word not in caddy_log
    assert "handled request" not in caddy_log
    for worker in workers:
        logged = worker.stderr.decode(errors="replace") + worker.stdout.decode(errors="replace")
        assert addresses(logged) <= own, logged
        assert "Chrome" not in logged
    assert other.problems() == []


async def test_a_press_in_flight_when_its_worker_dies_is_taken_once(
    browser: Browser, redis_url: str, tmp_path: Path
) -> None:
    """The worker holding the page's socket is frozen (SIGSTOP), a button is pressed (the
    frame reaches the frozen worker and is never confirmed), then the worker is killed
    (SIGKILL): the page reconnects through Caddy to the other worker, the question is asked
    again, the press is sent again and taken once (the person's choice shown once, the
    next question once), and the conversation goes on to the end on the surviving worker."""
    async with behind_caddy(redis_url, tmp_path) as (workers, _, public, _):
        context = await new_context(browser)
        try:
            me, held, other = await to_the_danger_question(context, public, workers)
            held.signal(signal.SIGSTOP)
            await me.question().get_by_role("button", name="Nee", exact=True).click()
            await asyncio.sleep(0.5)  # the frame is in the frozen worker's socket, unconfirmed
            held.proc.kill()
            await held.proc.wait()
            await held.stop()

            await me.wait_for(SITUATION)
            assert await connections(other) == 1
            bubbles = await me.bubbles()
            mine = [text for who, text in bubbles if who == "me"]
            assert mine == ["Ja, het is veilig", "Over mij", "Nee"], "the press taken once"
            said = [text for who, text in bubbles if who == "bot"]
            assert said.count(DANGER) == 2  # asked again by the other worker, once
            assert sum(text.startswith(SITUATION) for text in said) == 1
            assert len(said) == len(set(said)) + 1  # nothing else shown twice

            await me.tick("Ik moet geld geven of een schuld betalen")
            await me.press("Klaar", then="Hoe oud")
            await me.press("Jonger dan 16", then="Zal ik laten zien")
            await me.press("Verder", then="Ik ben jonger dan 16.")
            assert me.problems == []
        finally:
            await context.close()
    assert other.problems() == []
