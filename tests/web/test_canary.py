"""The web chat's canary test: nothing identifying survives anywhere `baken web` writes.

The real ``baken web`` (at DEBUG and INFO, with the memory store and with a private
Redis) talks with one page that gives away everything: a unique conversation token,
a user agent, a source address of its own (127.0.0.2), action ids, typed texts with a
phone number, an e-mail address and a street, a text over the length limit, a bad
frame, a forged button, an unknown campaign code, a refused origin, a crisis
sentence, service links opened through ``/go/`` (with a referrer, a cookie and a query
of canaries, and an unknown service named by a canary), and then quick exit.

Then everything the process left behind is searched for every canary, as is, JSON-
escaped, URL-encoded and in lower case: its stdout and stderr, every file in its
working and temporary directories (both must stay empty), every Redis key and value
(while the conversation is stored, and after quick exit: none left) and /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
import pytest
import redis

from bot.keys import SessionKeys
from testkit.web import PageSocket, WebProcess

pytestmark = [pytest.mark.e2e]

SECRET = "canary-web-session-secret-5f1e-0123456789abcdef"
TOKEN = "KanarieToken_x7Qw9eR2tY5uI8oP3aS"
AGENT = "KanarieBrowser/9.7 (Zilvermeeuw OS)"
SOURCE = "127.0.0.2"
PAGE_ID = "kanariepagina7"
PHONE = "06-48 27 39 15"
EMAIL = "kwik.staart@voorbeeld-canary.nl"
STREET = "Lindengracht 217"
TEXT = f"Bel me op {PHONE}, mail {EMAIL}, ik woon {STREET} kwikstaartje"
LONG = "zilvermeeuwsen " * 300
CAMPAIGN = "kanarie_campagne_q1"
FORGED = "kanarie.forged9"
ORIGIN = "https://kanarie-origin.example"
CRISIS = "ik wil dood, zegt Duinroosvlinder"
GO_REFERER = "https://kanarie-verwijzer.example/pagina"
GO_COOKIE = "kanariekoekje=Boomklever42"
GO_QUERY = "wie=Goudvinkje"
GO_UNKNOWN = "kanarie_dienst"

CANARIES = (
    TOKEN,
    AGENT,
    "Zilvermeeuw OS",
    SOURCE,
    PAGE_ID,
    PHONE,
    PHONE.replace("-", "").replace(" ", ""),
    EMAIL,
    STREET,
    TEXT,
    "kwikstaartje",
    "zilvermeeuwsen",
    CAMPAIGN,
    FORGED,
    "kanarie-origin",
    "Duinroosvlinder",
    "kanarie-verwijzer",
    "Boomklever42",
    "Goudvinkje",
    GO_UNKNOWN,
    SECRET,
)


def _forms(value: str) -> set[str]:
    forms = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        quote(value),
        quote(value, safe=""),
        quote_plus(value),
    }
    return {form.lower() for form in forms}


NEEDLES = {form: canary for canary in CANARIES for form in _forms(canary)}


def leaks(where: str, data: str | bytes) -> list[str]:
    text = (data.decode("utf-8", "replace") if isinstance(data, bytes) else data).lower()
    return [f"{where}: {NEEDLES[form]!r}" for form in NEEDLES if form in text]


def redis_state(url: str) -> tuple[list[str], list[str]]:
    """(leaks, session keys) in the whole keyspace; keys without a TTL are leaks too."""
    found: list[str] = []
    sessions: list[str] = []
    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(count=1000):
            name = key.decode("utf-8", "replace")
            if ":s:" in name:
                sessions.append(name)
            found += leaks(f"redis key {name}", key)
            if client.ttl(key) < 0:
                found.append(f"redis key {name}: no TTL")
            if client.type(key) == b"string":
                found += leaks(f"redis value {name}", client.get(key) or b"")
    finally:
        client.close()
    return found, sessions


async def converse(url: str) -> None:
    """One page that gives away everything, then leaves by quick exit."""
    connector = aiohttp.TCPConnector(local_addr=(SOURCE, 0))
    async with aiohttp.ClientSession(connector=connector, headers={"User-Agent": AGENT}) as http:
        async with http.get(f"{url}/?start={CAMPAIGN}") as response:
            assert response.status == 200
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(f"{url}/ws", headers={"Origin": ORIGIN})
        page = PageSocket(url, token=TOKEN, session=http)
        page.page = PAGE_ID
        await page.connect(have=0)
        await page.turn(page.start(CAMPAIGN))
        await page.turn(page.press("Ja, het is veilig"))
        await page.turn(page.say(TEXT))
        await page.say(LONG)
        await page.wait(lambda f: f.get("code") == "too_long")
        await page.send_raw(f'{{"v": 1, "t": "text", "id": "{PAGE_ID}", "text": 7}}')
        await page.wait(lambda f: f.get("id") == PAGE_ID)
        await page.turn(page.act("press", data=FORGED))
        reply = await page.turn(page.say(CRISIS))
        assert "113" in reply[-1]["text"]
        await open_links(url, http)


async def open_links(url: str, http: aiohttp.ClientSession) -> None:
    """A service link opened (303, counted) and an unknown one (404), with canaries in the
    referrer, a cookie and the query: nothing of them comes back or is kept."""
    sent = {"Referer": GO_REFERER, "Cookie": GO_COOKIE}
    for path, status in ((f"/go/fier?{GO_QUERY}", 303), (f"/go/{GO_UNKNOWN}?{GO_QUERY}", 404)):
        async with http.get(url + path, headers=sent, allow_redirects=False) as response:
            assert response.status == status
            assert "Set-Cookie" not in response.headers
            assert response.headers["Referrer-Policy"] == "no-referrer"
            answer = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            answer += await response.text()
            assert leaks(f"GET {path}", answer) == []


async def stop_by_quick_exit(url: str) -> None:
    page = PageSocket(url, token=TOKEN)
    page.page = PAGE_ID + "b"
    await page.connect(have=None)
    await page.wait_shown(lambda f: f["t"] == "msg")
    await page.exit()
    await page.close(4000)


@pytest.mark.parametrize("store", ["memory", "redis"])
@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_no_canary_survives_anywhere(
    request: pytest.FixtureRequest, tmp_path: Path, level: str, store: str
) -> None:
    """Zero hits for every canary in output, files, Redis and /metrics; quick exit leaves
    no session in Redis."""
    redis_url = request.getfixturevalue("redis_server").url if store == "redis" else None
    cwd, tmpdir = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmpdir.mkdir()
    env: dict[str, Any] = {
        "BAKEN_LOG_LEVEL": level,
        "BAKEN_SESSION_SECRET": SECRET,
        "TMPDIR": str(tmpdir),
    }
    if redis_url is not None:
        env["BAKEN_REDIS_URL"] = redis_url
    server = WebProcess(cwd, **env)
    found: list[str] = []
    await server.start()
    try:
        await converse(server.url)
        if redis_url is not None:
            stored, sessions = redis_state(redis_url)
            found += stored
            key = SessionKeys(SECRET.encode()).key("web", TOKEN)
            assert [s.endswith(key) for s in sessions] == [True]
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as r:
            found += leaks("/metrics", await r.text())
        await stop_by_quick_exit(server.url)
        if redis_url is not None:
            for _ in range(100):
                stored, sessions = redis_state(redis_url)
                if not sessions:
                    break
                await asyncio.sleep(0.05)
            assert sessions == []
            found += stored
    finally:
        with contextlib.suppress(Exception):
            assert await server.stop() == 0
    found += leaks("stdout", bytes(server.stdout))
    found += leaks("stderr", bytes(server.stderr))
    for directory in (cwd, tmpdir):
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            found.append(f"file written: {path.relative_to(tmp_path)}")
    assert found == []
    assert server.problems() == []
