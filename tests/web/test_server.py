"""The web chat server over real HTTP and real WebSockets, without a browser.

Each test starts the real application (content, engine, store, channel) on a free
port of 127.0.0.1 and talks to it the way chat.js does (testkit.web.PageSocket).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.channels.web.channel import MAX_TEXT, OUTBOX_FRAMES, OUTBOX_SECONDS, Limits
from bot.stores import MemoryStore
from flows.loader import default_content_dir
from testkit.counting import counting
from testkit.web import E2E_CONTENT, PageSocket, new_token
from tests.web.conftest import Serve

SAFE = "Kun je nu veilig chatten? Kijkt er niemand mee?"
DANGER = "Ben jij of is iemand anders nu in gevaar?"
ROLE = "Over wie gaat het?"
ERASED = "Het gesprek is gestopt."
CRISIS = "ik wil dood"
Pages = Callable[..., PageSocket]


def frame_types(frames: list[dict[str, object]]) -> list[object]:
    return [f["t"] for f in frames]


async def get(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, dict(response.headers), await response.text()


# ---------------------------------------------------------------- the page and its headers


async def test_the_page_is_strict_about_what_it_loads_and_keeps(serve: Serve) -> None:
    """The page: CSP self only with the socket's address, no referrer, no caching, no cookie."""
    _, url = await serve()
    status, headers, page = await get(f"{url}/", **{"Accept-Language": "nl-NL,nl;q=0.9"})
    assert status == 200
    host = url.removeprefix("http://")
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert f"connect-src ws://{host} wss://{host};" in csp
    assert "base-uri 'none'" in csp
    assert "form-action 'none'" in csp
    assert csp.endswith("frame-ancestors 'none'")
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Set-Cookie" not in headers
    assert '<html lang="nl" dir="ltr">' in page
    assert "Snel weg" in page
    # Everything the page loads comes from its own origin.
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page)
    others = ("https://www.google", "?lang=")  # quick exit, and the languages: links, not loads
    assert all(a.startswith("/static/") for a in loaded if not a.startswith(others))
    assert 'href="https://www.google.com/"' in page  # the quick exit, also without JavaScript


async def test_every_response_carries_the_headers(serve: Serve) -> None:
    """Static files may be cached; everything else, errors included, is no-store."""
    _, url = await serve()
    _, page_headers, page = await get(f"{url}/")
    js = re.search(r'src="(/static/chat\.js\?v=\w+)"', page)
    assert js is not None
    for path, cached in [
        (js.group(1), True),
        ("/static/chat.css", True),
        ("/static/nothing.js", False),
        ("/healthz", False),
        ("/metrics", False),
        ("/no-such-page", False),
        ("/ws", False),  # no Origin: refused
        ("/favicon.ico", False),
    ]:
        status, headers, _ = await get(f"{url}{path}")
        assert headers["Content-Security-Policy"] == page_headers["Content-Security-Policy"], path
        assert headers["Referrer-Policy"] == "no-referrer", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert "Set-Cookie" not in headers, path
        if cached:
            assert status == 200
            assert headers["Cache-Control"].startswith("public"), path
        else:
            assert headers["Cache-Control"] == "no-store", path
    status, headers, _ = await get(f"{url}/static/chat.js")
    assert headers["Content-Type"].startswith("text/javascript")


def page_config(page: str) -> dict[str, Any]:
    start = page.index('<script type="application/json" id="config">') + 44
    found: dict[str, Any] = json.loads(page[start : page.index("</script>", start)])
    return found


async def test_the_page_is_modules_of_one_version_and_numbers_from_content(
    serve: Serve,
) -> None:
    """chat.js imports its modules with its own version (a page never mixes two releases),
    and the short numbers the page makes tappable (112, 113) come from the content."""
    _, url = await serve()
    _, _, page = await get(f"{url}/")
    assert '<script type="module" src="/static/chat.js?v=' in page
    version = re.search(r'src="/static/chat\.js\?v=(\w+)"', page)
    assert version is not None
    _, _, main = await get(f"{url}/static/chat.js?v={version.group(1)}")
    imported = re.findall(r'from "\./(\w+)\.js\?v=(\w+)"', main)
    assert {name for name, _ in imported} == {"exit", "phones", "render", "socket"}
    assert {v for _, v in imported} == {version.group(1)}
    for name, _ in imported:
        status, headers, _ = await get(f"{url}/static/{name}.js")
        assert status == 200
        assert headers["Content-Type"].startswith("text/javascript")
    assert page_config(page)["short_numbers"] == ["112", "113"]


async def test_the_browsers_language_is_only_suggested(serve: Serve) -> None:
    """The page is Dutch unless ?lang= asks otherwise; the best of the browser's languages
    that the content speaks is only suggested (the page offers it in the conversation)."""
    _, url = await serve()
    _, _, page = await get(f"{url}/", **{"Accept-Language": "de-DE,en;q=0.8,nl;q=0.5"})
    assert '<html lang="nl" dir="ltr">' in page
    assert "Snel weg" in page
    assert page_config(page)["suggest"] == "en"
    _, _, page = await get(f"{url}/?lang=en", **{"Accept-Language": "en"})
    assert '<html lang="en" dir="ltr">' in page
    assert "Quick exit" in page
    assert page_config(page)["suggest"] is None  # already English
    _, _, page = await get(f"{url}/", **{"Accept-Language": "fr;q=1, *;q=0.1"})
    assert '<html lang="nl" dir="ltr">' in page
    assert page_config(page)["suggest"] is None


async def test_partner_sites_may_frame_it_when_configured(serve: Serve) -> None:
    """BAKEN_WEB_FRAME_ANCESTORS goes into frame-ancestors; behind TLS only wss:// is listed."""
    _, url = await serve(BAKEN_WEB_FRAME_ANCESTORS="https://school.example.nl 'self'")
    _, headers, _ = await get(f"{url}/", **{"X-Forwarded-Proto": "https"})
    csp = headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors https://school.example.nl 'self'")
    assert "X-Frame-Options" not in headers
    host = url.removeprefix("http://")
    assert f"connect-src wss://{host};" in csp


async def test_a_forged_host_header_is_refused(serve: Serve) -> None:
    """A Host that could break the CSP header is answered 400."""
    _, url = await serve()
    status, headers, _ = await get(f"{url}/", Host="evil.example; script-src *")
    assert status == 400
    assert "script-src *" not in headers["Content-Security-Policy"]


# ---------------------------------------------------------------- who may connect


@pytest.mark.parametrize("origin", [None, "https://evil.example", "null"])
async def test_other_origins_cannot_open_the_socket(serve: Serve, origin: str | None) -> None:
    """A page on another site (or none) gets 403 and no socket."""
    chat, url = await serve()
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{url}/ws", headers=headers)
    assert refused.value.status == 403
    assert chat.metrics.value("baken_web_refused_total", reason="origin") == 1


async def test_configured_origins_may_connect(serve: Serve, pages: Pages) -> None:
    """BAKEN_WEB_ORIGINS lets a proxy's public origin in (when it rewrites Host)."""
    _, url = await serve(BAKEN_WEB_ORIGINS="https://chat.example.org")
    page = pages(url, origin="https://chat.example.org")
    assert (await page.connect())["t"] == "ready"


async def test_the_connection_cap_says_busy_and_recovers(serve: Serve, pages: Pages) -> None:
    """Past BAKEN_WEB_MAX_CONNECTIONS a socket gets "busy" and 1013; later it works again."""
    chat, url = await serve(BAKEN_WEB_MAX_CONNECTIONS=2)
    first, second, third = pages(url), pages(url), pages(url)
    await first.connect()
    await second.connect()
    assert (await third.connect())["t"] == "busy"
    await third.closed()
    assert third.close_code == 1013
    await first.close()
    for _ in range(50):
        if len(chat.channel.tabs) < 2:
            break
        await asyncio.sleep(0.02)
    again = pages(url)
    assert (await again.connect())["t"] == "ready"
    assert chat.metrics.value("baken_web_refused_total", reason="full") == 1


# ---------------------------------------------------------------- a conversation


async def test_a_conversation_over_the_socket(serve: Serve, pages: Pages) -> None:
    """Begin, press, type: numbered frames 1, 2, 3… without gaps; each action is confirmed."""
    chat, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    assert page.texts()[-1].endswith(SAFE)
    assert page.shown[0]["t"] == "ui"
    assert page.shown[0]["texts"]["exit"] == "Snel weg"  # type: ignore[index]
    await page.turn(page.press("Ja, het is veilig"))
    assert page.shown[-2] == {
        "n": page.shown[-2]["n"],
        "t": "chosen",
        "labels": ["Ja, het is veilig"],
    }
    assert page.texts()[-1] == ROLE
    await page.turn(page.say("over mij"))
    assert page.texts()[-1] == DANGER
    await page.turn(page.say("zebra-kanarie 0612345678"))
    numbers = [f["n"] for f in page.shown]
    assert numbers == list(range(1, len(numbers) + 1))
    got = [f["id"] for f in page.frames if f["t"] == "got"]
    assert len(got) == 4
    assert page.pending == {}
    # What the person typed never comes back from the server.
    assert not any("zebra-kanarie" in json.dumps(f) for f in page.frames)
    assert chat.metrics.value("baken_updates_total", type="text") == 2
    assert chat.metrics.value("baken_updates_total", type="button") == 1
    assert chat.metrics.value("baken_updates_total", type="command") == 1


async def test_a_suggested_language_is_offered_first_and_not_switched_to(
    serve: Serve, pages: Pages
) -> None:
    """The browser's language arrives with "Begin": the first question stays Dutch, with a
    button in that language first; pressing it shows the opening again in that language."""
    _, url = await serve(BAKEN_CONTENT_DIR=str(default_content_dir()))
    page = pages(url)
    await page.connect()
    await page.turn(page.start(suggest="en"))
    assert page.texts()[-1].startswith("Hoi!")
    assert page.labels()[0] == "English"
    await page.turn(page.press("English"))
    assert page.texts()[-1].startswith("Hi!")
    assert "English" not in page.labels()


async def test_a_typed_command_works_as_on_telegram(serve: Serve, pages: Pages) -> None:
    """/help shows the help screen; typing "stop" erases."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    await page.turn(page.say("/help"))
    assert any("112" in t for t in page.texts()[-1:])
    await page.turn(page.say("stop"))
    assert page.shown[-1]["t"] == "erased"


async def test_multiple_choice_updates_in_place(serve: Serve, pages: Pages) -> None:
    """A toggle comes back as the same question with ticks, marked "replaces"."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start("zelf"))
    await page.turn(page.press("Ja, het is veilig"))
    await page.turn(page.press("Nee"))
    [toggled] = await page.turn(page.press("Iemand bepaalt wat ik moet doen"))
    assert toggled["replaces"] is True
    ticked = [b for row in toggled["buttons"] for b in row if b.get("on")]
    assert ticked == [
        {
            "label": "Iemand bepaalt wat ik moet doen",
            "data": ticked[0]["data"],
            "on": True,
            "box": True,
        }
    ]
    # The other options have an empty box; Klaar ends the question and has none.
    buttons = {b["label"]: b for row in toggled["buttons"] for b in row}
    assert buttons["Ik moet geld geven of een schuld betalen"].get("box") is True
    assert "on" not in buttons["Ik moet geld geven of een schuld betalen"]
    assert buttons["Klaar"].get("submit") is True
    assert "box" not in buttons["Klaar"]
    assert "box" not in buttons["Stop en wis"]
    assert "✅" not in json.dumps(toggled["buttons"], ensure_ascii=False)
    reply = await page.turn(page.press("Klaar"))
    assert reply[0] == {
        "n": reply[0]["n"],
        "t": "chosen",
        "labels": ["Iemand bepaalt wat ik moet doen", "Klaar"],
    }


async def test_a_change_of_language_sends_the_pages_words(serve: Serve, pages: Pages) -> None:
    """Choosing English: a "ui" frame in English comes before the English question."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    await page.turn(page.press("Taal / Language"))
    reply = await page.turn(page.press("English"))
    kinds = frame_types(reply)
    assert kinds.index("ui") < kinds.index("msg")
    ui = reply[kinds.index("ui")]
    assert ui["lang"] == "en"
    assert ui["texts"]["exit"] == "Quick exit"  # type: ignore[index]


async def test_the_handoff_links_and_summary(serve: Serve, pages: Pages) -> None:
    """The handoff shows Chat met Fier as a link and the summary as copyable text."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start("zelf"))
    for label in ["Ja, het is veilig", "Nee", "Ik moet geld geven of een schuld betalen"]:
        await page.turn(page.press(label))
    for label in ["Klaar", "Jonger dan 16", "Verder"]:
        await page.turn(page.press(label))
    links = [link["url"] for f in page.messages() for link in f["links"]]
    assert "/go/fier" in links  # counted, then on to https://www.chatmetfier.nl (test_go.py)
    # Each service is a card of its own, naming its link by its place among the links.
    [handoff] = [f for f in page.messages() if f.get("parts")]
    cards = [p for p in handoff["parts"] if p["t"] == "card"]
    assert len({c["service"] for c in cards}) == len(cards) >= 2
    fier = next(c for c in cards if c["service"] == "fier")
    assert handoff["links"][fier["link"]]["url"] == "/go/fier"
    assert fier["chat"] is True
    phone = next(c for c in cards if c["phone"])
    assert phone["tel"] == phone["phone"].replace("-", "").replace(" ", "")
    assert all(c["open"] in (True, False, None) and c["status"] for c in cards)
    copyable = [f for f in page.messages() if f["copyable"]]
    assert copyable
    assert "Ik ben jonger dan 16." in copyable[-1]["text"]


# ---------------------------------------------------------------- limits and bad frames


async def test_a_crisis_sentence_is_answered_at_once(serve: Serve, pages: Pages) -> None:
    """Typed first, or past the rate limit: 113 comes back all the same."""
    chat, url = await serve(limits=Limits(text_burst=1, text_per_second=0.001))
    page = pages(url)
    await page.connect()
    reply = await page.turn(page.say(CRISIS))
    assert "113" in reply[-1]["text"]
    await page.turn(page.say("nog iets"))  # the crisis sentence took no token; this does
    await page.say("nog meer")
    await page.wait(lambda f: f.get("code") == "too_fast")
    reply = await page.turn(page.say(CRISIS))
    assert "113" in reply[-1]["text"]
    assert chat.metrics.value("baken_crisis_interrupts_total", kind="suicide") == 2


async def test_a_typed_message_is_judged_once_on_the_web(serve: Serve, pages: Pages) -> None:
    """The page's tab judges a typed message before its limits (a crisis passes them) and
    hands that verdict to the core, which does not judge again: once per message, crisis
    or not; a message over the limit that is no crisis is refused after its one reading."""
    chat, url = await serve()
    chat.holder.engine, judged = counting(chat.holder.engine)
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    for text in ("hallo, mn baas houdt mijn paspoort", CRISIS):
        judged.clear()
        reply = await page.turn(page.say(text))
        assert len(judged) == 1, text
    assert "113" in reply[-1]["text"]
    judged.clear()
    await page.say("a" * (MAX_TEXT + 1))
    assert (await page.wait(lambda f: f.get("t") == "error"))["code"] == "too_long"
    assert len(judged) == 1


async def test_a_crisis_at_the_end_of_a_too_long_message_is_answered(
    serve: Serve, pages: Pages
) -> None:
    """A message over the limit is read up to twice the limit for a crisis: one told at the
    end of a long story gets 113, though the conversation keeps only its first part."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    story = "ik ga morgen naar school en daarna naar de sport met mijn vrienden. " * 64
    long = f"{story}ik wil dood"
    assert MAX_TEXT < len(long) < 2 * MAX_TEXT
    assert CRISIS not in long[:MAX_TEXT]
    reply = await page.turn(page.say(long))
    assert "113" in reply[-1]["text"]


async def test_typing_too_fast_is_refused_politely(serve: Serve, pages: Pages) -> None:
    """Past the burst, a typed message gets "too_fast" with its id; the socket stays open."""
    chat, url = await serve(limits=Limits(text_burst=2, text_per_second=0.001))
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    await page.turn(page.say("hallo"))
    await page.turn(page.say("hallo"))
    action = await page.say("hallo")
    refused = await page.wait(lambda f: f.get("t") == "error")
    assert refused == {"t": "error", "code": "too_fast", "id": action}
    await page.turn(page.press("Ja, het is veilig"))  # buttons have their own limit
    assert chat.metrics.value("baken_web_refused_total", reason="too_fast") == 1


async def test_text_length_limit(serve: Serve, pages: Pages) -> None:
    """4,096 characters are read; 4,097 get "too_long" and the socket stays open."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    action = await page.say("a" * (MAX_TEXT + 1))
    assert (await page.wait(lambda f: f.get("t") == "error"))["code"] == "too_long"
    assert action not in page.pending
    await page.turn(page.say("b" * MAX_TEXT))


@pytest.mark.parametrize(
    "raw",
    [
        "no json",
        "[1, 2]",
        '{"t": "hello"}',
        '{"v": 2, "t": "hello", "token": null, "have": null}',
        '{"v": 1, "t": "dance"}',
        '{"v": 1, "t": "hello", "token": "short", "have": 0}',
        '{"v": 1, "t": "hello", "token": null, "have": -1}',
        '{"v": 1, "t": "ack", "n": "3"}',
        '{"v": 1, "t": "press", "id": "x.1", "data": "' + "d" * 65 + '"}',
        '{"v": 1, "t": "text", "id": "bad id!", "text": "hoi"}',
        '{"v": 1, "t": "text", "id": "x.2", "text": 5}',
        b"\x00\x01binary",
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays(
    serve: Serve, pages: Pages, raw: str | bytes
) -> None:
    """Every malformed frame is answered with a clear error; the conversation goes on."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    mark = len(page.frames)
    await page.send_raw(raw)
    error = await page.wait(lambda f: f.get("t") == "error", after=mark)
    assert error["code"] == "bad_frame"
    if isinstance(raw, str) and '"t": "hello"' in raw:
        await page.hello()  # a refused hello left the socket without its conversation
        await page.wait(lambda f: f.get("t") == "ready", after=mark)
    await page.turn(page.press("Ja, het is veilig"))


async def test_an_action_before_hello_is_refused(serve: Serve, pages: Pages) -> None:
    """An action on a socket that did not say which conversation: "no_conversation"."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.send({"v": 1, "t": "text", "id": "x.1", "text": "hoi"})
    error = await page.wait(lambda f: f.get("t") == "error")
    assert error == {"t": "error", "code": "no_conversation", "id": "x.1"}


async def test_too_many_bad_frames_close_the_socket(serve: Serve, pages: Pages) -> None:
    """A socket that only sends garbage is closed (1008) after Limits.bad_frames."""
    _, url = await serve(limits=Limits(bad_frames=3))
    page = pages(url)
    await page.connect()
    for _ in range(3):
        await page.send_raw("garbage")
    await page.closed()
    assert page.close_code == 1008


async def test_a_huge_frame_closes_only_that_socket(serve: Serve, pages: Pages) -> None:
    """Over 64 KiB is not a message a page sends: closed with 1009; the server is fine."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.send_raw("x" * 70_000)
    await page.closed()
    assert page.close_code == 1009
    other = pages(url)
    await other.connect()
    await other.turn(other.start())


async def test_a_repeated_action_is_answered_once(serve: Serve, pages: Pages) -> None:
    """The same action id twice (sent again after a reconnect): one answer, two "got"s."""
    chat, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    frame = {"v": 1, "t": "press", "id": "again.1", "data": page.button("Ja, het is veilig")}
    mark = len(page.shown)
    await page.send(frame)
    await page.send(frame)
    for _ in range(100):
        if sum(f.get("t") == "got" for f in page.frames) >= 3:
            break
        await asyncio.sleep(0.02)
    assert sum(f.get("t") == "got" for f in page.frames) == 3  # start, and the press twice
    assert [f["t"] for f in page.shown[mark:]] == ["chosen", "msg"]
    assert chat.metrics.value("baken_updates_total", type="duplicate") == 1


# ---------------------------------------------------------------- reconnects


async def test_a_reconnect_resends_exactly_what_is_missing(serve: Serve, pages: Pages) -> None:
    """The page had frames up to n; after a reconnect it gets n+1… once, in order."""
    chat, url = await serve()
    page = pages(url, auto_ack=False)
    await page.connect()
    await page.turn(page.start())
    await page.turn(page.press("Ja, het is veilig"))
    kept = page.have
    assert kept >= 4
    await page.drop()
    # The page says it has less than it got: the frames after that come again.
    page.have = 2
    page.shown = page.shown[:2]
    ready = await page.connect(have=2)
    assert ready == {"t": "ready", "next": 3, "lost": False}
    await page.wait_shown(lambda f: f["n"] == kept, after=0)
    assert [f["n"] for f in page.shown] == list(range(1, kept + 1))
    assert chat.metrics.value("baken_web_resumed_total", how="outbox") == 1


async def test_a_reply_during_a_cut_arrives_after_the_reconnect(serve: Serve, pages: Pages) -> None:
    """The server closes the socket while a turn runs: its reply waits, then arrives once."""
    chat, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    before = page.have
    for tab in list(chat.channel.tabs):
        tab.sink.close(1001)
    await page.press("Ja, het is veilig")  # may or may not reach the server before the close
    await page.closed()
    await page.connect()
    await page.wait_shown(lambda f: f["t"] == "msg" and f["text"] == ROLE)
    numbers = [f["n"] for f in page.shown]
    assert numbers == list(range(1, len(numbers) + 1))
    assert page.have > before
    assert page.texts().count(ROLE) == 1
    assert page.pending == {}


async def test_acknowledged_frames_are_dropped(serve: Serve, pages: Pages) -> None:
    """The outbox keeps only what the page has not acknowledged."""
    chat, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    [box] = chat.channel.boxes.values()
    for _ in range(100):
        if not box.frames:
            break
        await asyncio.sleep(0.02)
    assert not box.frames


async def test_the_outbox_is_bounded_in_size_and_time(serve: Serve, pages: Pages) -> None:
    """At most OUTBOX_FRAMES frames, and nothing older than OUTBOX_SECONDS, on this worker."""
    chat, url = await serve(limits=Limits(press_burst=1000, press_per_second=1000.0))
    now = [1000.0]
    chat.channel.clock = lambda: now[0]
    page = pages(url, auto_ack=False)
    await page.connect()
    await page.turn(page.start())
    while page.have <= OUTBOX_FRAMES + 5:
        await page.turn(page.press("Hulp nu"))
        await page.turn(page.press("Verder met het gesprek"))
    [box] = chat.channel.boxes.values()
    assert len(box.frames) == OUTBOX_FRAMES
    await page.drop()
    # Too far behind: the frames are gone, so the question is asked again.
    page.have = 1
    ready = await page.connect(have=1)
    assert ready["lost"] is True
    await page.drop()
    now[0] += OUTBOX_SECONDS + 1
    chat.channel.sweep()
    assert chat.channel.boxes == {}


async def test_another_worker_asks_the_question_again(serve: Serve, pages: Pages) -> None:
    """Sessions are shared but outboxes are not: the new worker re-asks, without a choice."""
    store = MemoryStore(7200)
    _, first_url = await serve(store=store)
    second, second_url = await serve(store=store)
    page = pages(first_url, auto_ack=False)
    await page.connect()
    await page.turn(page.start())
    await page.turn(page.press("Ja, het is veilig"))
    await page.drop()
    moved = pages(second_url, token=page.token)
    moved.have = page.have
    ready = await moved.connect()
    assert ready == {"t": "ready", "next": page.have + 1, "lost": True}
    asked = await moved.wait_shown(lambda f: f["t"] == "msg")
    assert asked["n"] == page.have + 2  # a "ui" frame first, with the page's words
    assert asked["text"] == ROLE
    assert not any(f["t"] == "chosen" for f in moved.shown)
    assert second.metrics.value("baken_web_resumed_total", how="lost") == 1


async def test_a_reloaded_page_gets_the_current_question(serve: Serve, pages: Pages) -> None:
    """After a reload the page shows nothing (have: null): the question is asked again."""
    _, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    await page.turn(page.press("Ja, het is veilig"))
    token = page.token
    await page.close()
    again = pages(url, token=token)
    ready = await again.connect(have=None)
    assert ready["lost"] is True
    asked = await again.wait_shown(lambda f: f["t"] == "msg")
    assert asked["text"] == ROLE
    assert again.shown[0]["t"] == "ui"


async def test_the_same_conversation_in_two_tabs(serve: Serve, pages: Pages) -> None:
    """A duplicated tab takes the conversation over; the old one is closed with 4001."""
    _, url = await serve()
    first = pages(url)
    await first.connect()
    await first.turn(first.start())
    second = pages(url, token=first.token)
    await second.connect(have=None)  # a duplicated tab loads the page anew: it shows nothing
    await second.wait_shown(lambda f: f["t"] == "msg")
    await first.closed()
    assert first.close_code == 4001
    await second.turn(second.press("Ja, het is veilig"))


# ---------------------------------------------------------------- erase


async def test_stop_erases_the_server_side(serve: Serve, pages: Pages) -> None:
    """Stop en wis: the session is deleted, the page is told, the outbox is dropped."""
    chat, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    assert len(chat.store) == 1  # type: ignore[arg-type]
    reply = await page.turn(page.press("Stop en wis"))
    assert reply[-1] == {"n": reply[-1]["n"], "t": "erased", "text": ERASED}
    assert len(chat.store) == 0  # type: ignore[arg-type]
    for _ in range(100):
        if not chat.channel.boxes:
            break
        await asyncio.sleep(0.02)
    assert chat.channel.boxes == {}


@pytest.mark.parametrize("how", ["exit frame", "close code only"])
async def test_quick_exit_leaves_nothing_on_the_server(
    serve: Serve, pages: Pages, how: str
) -> None:
    """The exit frame then close 4000, or the close alone: session and outbox gone."""
    chat, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    await page.turn(page.press("Ja, het is veilig"))
    if how == "exit frame":
        await page.exit()
    await page.close(4000)
    for _ in range(200):
        if len(chat.store) == 0 and not chat.channel.boxes:  # type: ignore[arg-type]
            break
        await asyncio.sleep(0.02)
    assert len(chat.store) == 0  # type: ignore[arg-type]
    assert chat.channel.boxes == {}
    assert chat.metrics.value("baken_conversation_events_total", metric="erase", label="stop") == 1


async def test_a_plain_close_keeps_the_conversation(serve: Serve, pages: Pages) -> None:
    """The network went (close 1000/1006): nothing is erased; the page can come back."""
    chat, url = await serve()
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    await page.close(1000)
    for _ in range(500):  # the server has seen the close
        if chat.metrics.value("baken_web_connections") == 0:
            break
        await asyncio.sleep(0.02)
    assert chat.metrics.value("baken_web_connections") == 0
    await chat.channel.finish()  # and any turn it started is over
    assert len(chat.store) == 1  # type: ignore[arg-type]


# ---------------------------------------------------------------- operators


async def test_campaign_codes_are_counted_in_aggregate(serve: Serve, pages: Pages) -> None:
    """?start=poster_school (the page sends it with Begin) is one count, nothing more."""
    chat, url = await serve(BAKEN_CONTENT_DIR=default_content_dir())
    page = pages(url)
    await page.connect()
    await page.turn(page.start("poster_school"))
    counted = chat.metrics.value
    assert counted("baken_conversation_events_total", metric="campaign", label="poster_school") == 1
    await page.turn(page.start("<script>"))
    assert (
        chat.metrics.value("baken_conversation_events_total", metric="entry", label="direct") == 1
    )  # an impossible code is no code


async def test_watch_restarts_open_pages_on_new_content(
    serve: Serve, pages: Pages, tmp_path: Path
) -> None:
    """--watch: after a content edit every open page gets "reload" with the new words."""
    content = tmp_path / "content"
    shutil.copytree(E2E_CONTENT, content)
    chat, url = await serve(BAKEN_CONTENT_DIR=content, watch=True)
    page = pages(url)
    await page.connect()
    await page.turn(page.start())
    idle = pages(url)
    await idle.connect()
    dutch = content / "texts" / "nl.yaml"
    dutch.write_text(dutch.read_text().replace('exit: "Snel weg"', 'exit: "Nu weg"'))
    ok, _ = await asyncio.to_thread(chat.holder.reload)
    assert ok
    reload = await page.wait(lambda f: f.get("t") == "reload", timeout=5)
    assert reload["texts"]["exit"] == "Nu weg"
    assert (await idle.wait(lambda f: f.get("t") == "reload", timeout=5))["lang"] == "nl"
    reply = await page.turn(page.start())  # what the page does on "reload"
    assert reply[0]["t"] == "ui"
    assert reply[0]["texts"]["exit"] == "Nu weg"  # type: ignore[index]


async def test_health_and_metrics(serve: Serve, pages: Pages) -> None:
    """/healthz is ok; /metrics counts open connections and carries no token."""
    _, url = await serve()
    assert (await get(f"{url}/healthz"))[0] == 200
    page = pages(url, token=new_token())
    await page.connect()
    await page.turn(page.start())
    _, _, metrics = await get(f"{url}/metrics")
    assert "baken_web_connections 1.0" in metrics
    assert page.token is not None
    assert page.token not in metrics
