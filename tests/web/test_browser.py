"""The web chat in a real browser: Debian's Chromium, driven as a person would use it.

Each test serves the real application (the same ``build`` as ``baken web``) on a
free port of 127.0.0.1 in this process, so it can also look at the server's side
(the session store, the outboxes) and close sockets from there; one test runs the
real ``baken web`` command. Nothing here reaches another host: the neutral site that
quick exit goes to is answered by the browser's own routing.

Screenshots land in tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.channels.web.app import WebChat
from bot.derived import build_engine
from bot.keys import SessionKeys
from flows import load_content
from flows.loader import default_content_dir
from testkit.browser import launched, missing_reason
from testkit.tcpproxy import TcpProxy
from testkit.walk import path_to_handoff
from testkit.web import WebProcess
from tests.web.conftest import start_web

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

if missing_reason() is None:
    from playwright.async_api import Browser, BrowserContext, Page, expect
else:  # pragma: no cover - the fixtures skip (or fail under CI) with the reason
    Browser = BrowserContext = Page = Any

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SECRET = "web-test-session-secret-0123456789abcdef"
EXIT_URL = "https://www.google.com/"
BEFORE_URL = "https://before.example/"
SAFE = "Kun je nu veilig chatten? Kijkt er niemand mee?"
ROLE = "Over wie gaat het?"
DANGER = "Ben jij of is iemand anders nu in gevaar?"
SITUATION = "Wat gebeurt er?"
ERASED = "Het gesprek is gestopt."
CRISIS = "ik wil dood"
FIER_LINK = "/go/fier"  # counted on this server, then on to https://www.chatmetfier.nl


# ---------------------------------------------------------------- fixtures


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the module."""
    async with launched() as browser:
        yield browser


@pytest_asyncio.fixture(loop_scope="module")
async def site() -> AsyncIterator[tuple[WebChat, str]]:
    """The web chat on the fixed end-to-end dialogue, served on 127.0.0.1."""
    chat, url, server = await start_web()
    yield chat, url
    await server.close()


async def new_context(browser: Browser, width: int = 360, **options: Any) -> BrowserContext:
    options.setdefault("locale", "nl-NL")
    context = await browser.new_context(
        viewport={"width": width, "height": 740 if width < 600 else 800}, **options
    )
    context.set_default_timeout(10_000)
    # The only pages of other sites a test visits, answered here: nothing leaves 127.0.0.1.
    for address, body in ((EXIT_URL, "neutral site"), (BEFORE_URL, "the page before")):
        await context.route(address, answer(body))
    return context


def answer(body: str) -> Callable[[Any], Any]:
    """A route handler that answers with a small HTML page of its own."""

    async def fulfill(route: Any) -> None:
        await route.fulfill(body=f"<p>{body}</p>", content_type="text/html")

    return fulfill


@pytest_asyncio.fixture(loop_scope="module")
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    made = await new_context(browser)
    yield made
    await made.close()


class Person:
    """One person in one browser tab, and everything the page did meanwhile."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.requests: list[str] = []
        self.sockets: list[str] = []
        self.problems: list[str] = []
        self.responses: list[dict[str, str]] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", lambda ws: self.sockets.append(ws.url))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.problems.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )

        async def keep(response: Any) -> None:
            if response.url.startswith(url):
                self.responses.append(await response.all_headers())

        page.on("response", keep)

    async def open(self, query: str = "") -> None:
        await self.page.goto(f"{self.url}/{query}")
        await expect(self.page.locator("#exit")).to_be_visible()

    def question(self) -> Any:
        return self.page.locator(".baken-chat__message--bot:has(.baken-chat__answers)").last

    async def begin(self) -> None:
        await self.page.get_by_role("button", name="Begin", exact=True).click()
        await expect(self.question()).to_be_visible()

    async def press(self, label: str, then: str | None = None) -> None:
        before = await self.page.locator(".baken-chat__message").count()
        await self.question().get_by_role("button", name=label, exact=True).click()
        if then is not None:
            await self.wait_for(then)
        else:
            await expect(self.page.locator(".baken-chat__message")).not_to_have_count(before)

    async def tick(self, label: str) -> None:
        """Tick an option of a multiple-choice question (the question is updated in place)."""
        option = self.question().get_by_role("button", name=label, exact=True)
        await option.click()
        await expect(
            self.question().get_by_role("button", name=label, exact=True)
        ).to_have_attribute("aria-pressed", "true")

    async def type(self, text: str, then: str | None = None) -> None:
        box = self.page.get_by_label("Typ je bericht")
        await box.fill(text)
        await box.press("Enter")
        if then is not None:
            await self.wait_for(then)

    async def wait_for(self, text: str) -> None:
        await expect(self.page.locator(".baken-chat__message--bot").last).to_contain_text(text)

    async def bubbles(self) -> list[tuple[str, str]]:
        """(who, text) of every bubble on the page, in order."""
        found = await self.page.eval_on_selector_all(
            ".baken-chat__message",
            "els => els.map(e => ["
            "e.classList.contains('baken-chat__message--mine') ? 'me' : 'bot', "
            "e.querySelector('p, pre') ? e.querySelector('p, pre').innerText : ''])",
        )
        return [(who, text) for who, text in found]

    async def token(self) -> str | None:
        value = await self.page.evaluate("sessionStorage.getItem('baken')")
        return value if isinstance(value, str) else None

    async def shot(self, name: str) -> None:
        await self.page.wait_for_timeout(500)  # let the smooth scroll end
        ARTIFACTS.mkdir(exist_ok=True)
        await self.page.screenshot(path=ARTIFACTS / f"{name}.png")


async def person(context: BrowserContext, url: str) -> Person:
    return Person(await context.new_page(), url)


def session_key(token: str) -> str:
    return SessionKeys(SECRET.encode()).key("web", token)


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait until ``check()`` holds: server state that no event announces."""
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - polling state another task changes
            await asyncio.sleep(0.02)


# ---------------------------------------------------------------- whole conversations


@pytest.mark.parametrize("width", [360, 1280])
async def test_a_whole_conversation_to_chat_met_fier(
    browser: Browser, site: tuple[WebChat, str], width: int
) -> None:
    """Begin with a campaign link, press, type, tick two options, reach Chat met Fier.

    The choices show as the person's own bubbles, ticks are visible, the link opens
    chatmetfier.nl in a new tab without a referrer, the summary can be copied, phone
    numbers are large "Bel" buttons on the service's card. Screenshots at this width go
    to tests/artifacts/.
    """
    _, url = site
    context = await new_context(browser, width)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    me = await person(context, url)
    name = f"{width}px"
    await me.open("?start=zelf")
    await me.shot(f"{name}-1-start")
    await me.begin()
    await me.wait_for(SAFE)
    await me.press("Ja, het is veilig", then=DANGER)  # the link said "about me"
    await me.shot(f"{name}-2-question")
    await me.type("nee", then=SITUATION)
    await me.tick("Ik moet geld geven of een schuld betalen")
    await me.tick("Iemand bepaalt wat ik moet doen")
    await expect(me.question().locator('[aria-pressed="true"]')).to_have_count(2)
    await me.shot(f"{name}-3-ticks")
    await me.press("Klaar", then="Hoe oud")
    await me.press("Jonger dan 16", then="Zal ik laten zien")
    await me.press("Verder", then="Ik ben jonger dan 16.")
    await me.shot(f"{name}-4-handoff")
    fier = me.page.get_by_role("link", name="Chat met Fier")
    await expect(fier).to_have_attribute("href", FIER_LINK)
    await expect(fier).to_have_attribute("target", "_blank")
    await expect(fier).to_have_attribute("rel", "noopener noreferrer")
    await expect(me.page.locator('a[href="tel:08000432"]')).to_have_text("Bel gratis 0800-0432")
    summary = me.page.locator(".baken-chat__message--bot pre")
    await expect(summary).to_contain_text("Ik ben jonger dan 16.")
    await me.page.get_by_role("button", name="Kopieer de tekst").click()
    await expect(me.page.get_by_role("button", name="Gekopieerd")).to_be_visible()
    copied = await me.page.evaluate("navigator.clipboard.readText()")
    assert "Ik ben jonger dan 16." in copied
    await me.shot(f"{name}-5-copied")

    bubbles = await me.bubbles()
    mine = [text for who, text in bubbles if who == "me"]
    assert mine == [
        "Ja, het is veilig",
        "nee",
        "Iemand bepaalt wat ik moet doen\nIk moet geld geven of een schuld betalen\nKlaar",
        "Jonger dan 16",
        "Verder",
    ]
    said = [text for who, text in bubbles if who == "bot"]
    assert len(said) == len(set(said))  # nothing shown twice
    assert (
        await me.page.locator(".baken-chat__message--bot .baken-chat__answers").count() == 1
    )  # only the newest question
    assert me.problems == []
    await context.close()


async def test_a_crisis_sentence_gets_113_at_once(context: BrowserContext, site: Any) -> None:
    """Typed as the very first thing, before Begin: 113 with a tappable number at once."""
    _, url = site
    me = await person(context, url)
    await me.open()
    await me.type(CRISIS, then="Bel nu 113")
    await expect(me.page.locator('a[href="tel:113"]').first).to_be_visible()
    await expect(me.page.get_by_role("link", name="113 Zelfmoordpreventie")).to_be_visible()
    assert await me.page.locator('a[href="tel:113.nl"]').count() == 0
    assert (await me.bubbles())[0] == ("me", CRISIS)
    await me.shot("360px-crisis")
    assert me.problems == []


async def test_the_page_loads_nothing_from_elsewhere_and_sets_no_cookie(
    context: BrowserContext, site: Any
) -> None:
    """Every request goes to the chat's own origin; the CSP is on every response; no cookie."""
    _, url = site
    me = await person(context, url)
    await me.open("?start=iemand")
    await me.begin()
    await me.press("Ja, het is veilig", then=DANGER)
    await me.press("Hulp nu", then="112")
    await me.page.reload()
    await expect(me.page.locator(".baken-chat__message--bot")).to_have_count(1)
    assert me.requests
    assert all(r.startswith(f"{url}/") for r in me.requests), me.requests
    ws_url = url.replace("http://", "ws://")
    assert me.sockets
    assert all(s == f"{ws_url}/ws" for s in me.sockets)
    assert me.responses
    for headers in me.responses:
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
        assert "set-cookie" not in headers
    assert await context.cookies() == []
    assert await me.page.evaluate("document.cookie") == ""
    assert me.problems == []  # no CSP violation, no script error


async def test_a_reloaded_page_shows_the_current_question(
    context: BrowserContext, site: Any
) -> None:
    """The tab keeps its token: after a reload the conversation goes on where it was."""
    _, url = site
    me = await person(context, url)
    await me.open()
    await me.begin()
    await me.press("Ja, het is veilig", then=ROLE)
    token = await me.token()
    await me.page.reload()
    await me.wait_for(ROLE)
    assert await me.token() == token
    await expect(me.page.locator("#intro")).to_be_hidden()
    await me.press("Over mij", then=DANGER)


# ---------------------------------------------------------------- leaving and erasing


@pytest.mark.parametrize("how", ["button", "escape"])
async def test_quick_exit_leaves_nothing_behind(
    context: BrowserContext, site: tuple[WebChat, str], how: str
) -> None:
    """Snel weg (or Escape while typing): a neutral site, nothing on the page, in storage
    or on the server, and the back button does not show the conversation."""
    chat, url = site
    me = await person(context, url)
    await me.page.goto(BEFORE_URL)
    await me.open()
    await me.begin()
    await me.press("Ja, het is veilig", then=ROLE)
    token = await me.token()
    assert token is not None
    key = session_key(token)
    assert await chat.store.load(key) is not None
    if how == "button":
        await me.page.get_by_role("button", name="Snel weg").click()
    else:
        await me.page.get_by_label("Typ je bericht").fill("ik typ iets")
        await me.page.keyboard.press("Escape")
    await me.page.wait_for_url(EXIT_URL)
    await eventually(lambda: not chat.channel.boxes)
    assert await chat.store.load(key) is None
    await me.page.go_back()
    assert me.page.url == BEFORE_URL
    assert "Kijkt er niemand mee" not in await me.page.content()
    # The same tab, back on the chat: nothing of the conversation, no token.
    await me.open()
    assert await me.token() is None
    await expect(me.page.locator(".baken-chat__message")).to_have_count(0)
    await expect(me.page.locator("#intro")).to_be_visible()


async def test_the_page_is_empty_the_moment_quick_exit_is_pressed(
    context: BrowserContext, site: Any
) -> None:
    """The page clears itself before it navigates: nothing left even while leaving is slow.

    A listener that runs right after the quick-exit handler, in the same click, reports
    what is left of the page then (through the console: nothing waits for the page).
    """
    _, url = site
    me = await person(context, url)
    await me.open()
    await me.begin()
    seen: list[str] = []
    me.page.on("console", lambda message: seen.append(message.text))
    await me.page.evaluate(
        "window.addEventListener('click', () => console.log('left: ' + JSON.stringify("
        "[document.body.children.length, sessionStorage.length, document.title])))"
    )
    await me.page.get_by_role("button", name="Snel weg").click()
    await me.page.wait_for_url(EXIT_URL)
    assert 'left: [0,0,""]' in seen


async def test_stop_and_erase_clears_page_and_server(
    context: BrowserContext, site: tuple[WebChat, str]
) -> None:
    """Stop en wis: the session is gone on the server, the page is empty and says so."""
    chat, url = site
    me = await person(context, url)
    await me.open()
    await me.begin()
    await me.press("Ja, het is veilig", then=ROLE)
    token = await me.token()
    assert token is not None
    await me.question().get_by_role("button", name="Stop en wis").click()
    await expect(me.page.locator("#status")).to_have_text(ERASED)
    await expect(me.page.locator(".baken-chat__message")).to_have_count(0)
    await expect(me.page.locator("#intro")).to_be_visible()
    assert await me.token() is None
    assert await chat.store.load(session_key(token)) is None
    await eventually(lambda: not chat.channel.boxes)
    await me.begin()  # a new conversation, with a new token
    assert await me.token() not in (None, token)


# ---------------------------------------------------------------- reconnects


async def test_a_server_side_close_loses_nothing_and_duplicates_nothing(
    context: BrowserContext, site: tuple[WebChat, str]
) -> None:
    """The server closes every socket; a press made meanwhile is sent again and answered once."""
    chat, url = site
    me = await person(context, url)
    await me.open()
    await me.begin()
    await me.press("Ja, het is veilig", then=ROLE)
    for tab in list(chat.channel.tabs):
        tab.sink.close(1001)
    await me.press("Over mij", then=DANGER)
    await me.press("Nee", then=SITUATION)
    bubbles = await me.bubbles()
    assert [t for w, t in bubbles if w == "me"] == ["Ja, het is veilig", "Over mij", "Nee"]
    said = [t for w, t in bubbles if w == "bot"]
    assert len(said) == len(set(said)) == 4


async def test_taking_the_network_away_mid_turn_loses_nothing(
    browser: Browser, site: tuple[WebChat, str]
) -> None:
    """The reply is lost on the way and the link dies: after the reconnect the outbox sends
    exactly what the page missed, once."""
    chat, url = site
    proxy = TcpProxy(int(url.rsplit(":", 1)[1]))
    await proxy.start()
    context = await new_context(browser)
    try:
        me = await person(context, proxy.url)
        await me.open()
        await me.begin()
        await me.press("Ja, het is veilig", then=ROLE)
        proxy.hold()
        await me.question().get_by_role("button", name="Over mij", exact=True).click()
        # The server answered (its frames wait for an acknowledgement that cannot come).
        await eventually(lambda: any(box.frames for box in chat.channel.boxes.values()))
        assert await me.page.locator(".baken-chat__message--bot", has_text=DANGER).count() == 0
        proxy.cut()
        await me.wait_for(DANGER)
        await me.press("Nee", then=SITUATION)
        bubbles = await me.bubbles()
        assert [t for w, t in bubbles if w == "me"] == ["Ja, het is veilig", "Over mij", "Nee"]
        said = [t for w, t in bubbles if w == "bot"]
        assert len(said) == len(set(said)) == 4
        assert chat.metrics.value("baken_web_resumed_total", how="outbox") >= 1
    finally:
        await context.close()
        await proxy.close()


# ---------------------------------------------------------------- accessibility


async def test_axe_finds_nothing_serious(browser: Browser, site: Any) -> None:
    """axe-core: no serious or critical violation at the start, at a question with ticks,
    after a crisis answer and at the handoff."""
    from axe_playwright_python.async_playwright import Axe

    _, url = site
    # Only this context may run axe's script despite the page's CSP.
    context = await new_context(browser, bypass_csp=True)
    axe = Axe()
    found: dict[str, list[str]] = {}

    async def check(moment: str) -> None:
        results = await axe.run(me.page)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[moment] = serious

    try:
        me = await person(context, url)
        await me.open("?start=zelf")
        await check("start")
        await me.begin()
        await me.press("Ja, het is veilig", then=DANGER)
        await me.press("Nee", then=SITUATION)
        await me.tick("Iemand bepaalt wat ik moet doen")
        await check("question with a tick")
        await me.type(CRISIS, then="113")
        await check("crisis")
        await me.press("Verder met het gesprek", then=SITUATION)
        await me.press("Klaar", then="Hoe oud")
        await me.press("Jonger dan 16", then="Zal ik laten zien")
        await me.press("Verder", then="Ik ben jonger dan 16.")
        await check("handoff")
    finally:
        await context.close()
    assert found == {}


async def test_it_works_with_the_keyboard_alone(context: BrowserContext, site: Any) -> None:
    """Tab to Begin, Enter; the new question takes the focus; focus is always visible."""
    _, url = site
    me = await person(context, url)
    await me.open()
    keyboard = me.page.keyboard
    for _ in range(10):
        await keyboard.press("Tab")
        if await me.page.evaluate("document.activeElement.id") == "begin":
            break
    outline = await me.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    await keyboard.press("Enter")
    await me.wait_for(SAFE)
    focused = await me.page.evaluate("document.activeElement.textContent")
    assert focused == "Ja, het is veilig"
    await keyboard.press("Enter")
    await me.wait_for(ROLE)
    assert await me.page.evaluate("document.activeElement.textContent") == "Over mij"
    await keyboard.press("Tab")
    await keyboard.press("Enter")  # the second answer: about someone else
    await me.wait_for(DANGER)
    assert ("me", "Over iemand die ik ken") in await me.bubbles()
    # A ticked option keeps the focus where it was.
    await keyboard.press("Tab")
    await keyboard.press("Enter")  # "Nee"
    await me.wait_for(SITUATION)
    await keyboard.press("Tab")
    await keyboard.press("Enter")
    await expect(me.question().locator('[aria-pressed="true"]')).to_have_count(1)
    focused = await me.page.evaluate("document.activeElement.getAttribute('aria-pressed')")
    assert focused == "true"


async def test_the_page_follows_the_conversations_language(
    context: BrowserContext, site: Any
) -> None:
    """Switching to English changes <html lang> and the page's own words."""
    _, url = site
    me = await person(context, url)
    await me.open()
    assert await me.page.evaluate("document.documentElement.lang") == "nl"
    await me.begin()
    await me.press("Taal / Language", then="Welke taal wil je?")
    await me.press("English", then="Is it safe")
    assert await me.page.evaluate("document.documentElement.lang") == "en"
    await expect(me.page.get_by_role("button", name="Quick exit")).to_be_visible()
    await expect(me.page.get_by_label("Type your message")).to_be_visible()
    paragraph = me.page.locator(".baken-chat__message p").first
    assert await paragraph.get_attribute("dir") == "auto"
    assert await me.page.get_by_label("Type your message").get_attribute("dir") == "auto"
    assert await me.page.locator("[role=log][aria-live=polite]").count() == 1


@pytest_asyncio.fixture(loop_scope="module")
async def shipped() -> AsyncIterator[str]:
    """The web chat on the shipped content (all its languages)."""
    _, url, server = await start_web(BAKEN_CONTENT_DIR=str(default_content_dir()))
    yield url
    await server.close()


async def test_a_polish_browser_is_offered_polish_first(browser: Browser, shipped: str) -> None:
    """Accept-Language: pl is a suggestion: the page and the opening stay Dutch, with a
    "Polski" button first; pressing it turns the conversation and the page Polish."""
    context = await new_context(browser, locale="pl-PL")
    try:
        me = await person(context, shipped)
        await me.open()
        assert await me.page.evaluate("document.documentElement.lang") == "nl"
        await me.begin()
        first = me.question().locator(".baken-chat__answers button").first
        await expect(first).to_have_text("Polski")
        await me.press("Polski")
        await expect(me.page.locator("html")).to_have_attribute("lang", "pl")
        await expect(me.question().locator(".baken-chat__answers button").first).not_to_have_text(
            "Polski"
        )
        assert me.problems == []
    finally:
        await context.close()


async def test_arabic_reads_right_to_left(browser: Browser, shipped: str) -> None:
    """?lang=ar: the page is right to left, bubbles of baken on the right, paragraphs rtl,
    phone numbers left to right inside them; axe finds nothing serious."""
    from axe_playwright_python.async_playwright import Axe

    context = await new_context(browser, bypass_csp=True)
    try:
        me = await person(context, shipped)
        await me.open("?lang=ar")
        page = me.page
        assert await page.evaluate("document.documentElement.dir") == "rtl"
        assert await page.evaluate("document.documentElement.lang") == "ar"
        await page.locator("#begin").click()
        await expect(me.question()).to_be_visible()
        bubble = me.question()
        box = await bubble.bounding_box()
        assert box is not None
        width = await page.evaluate("document.documentElement.clientWidth")
        assert box["x"] + box["width"] > width - 30  # starts at the right edge
        assert box["x"] > 20
        direction = await bubble.locator("p").first.evaluate("p => getComputedStyle(p).direction")
        assert direction == "rtl"
        await page.locator("#text").fill("ik wil dood")
        await page.locator("#text").press("Enter")
        number = page.locator(".baken-chat__message--bot a.baken-chat__tel").last
        await expect(number).to_be_visible()
        assert await number.get_attribute("dir") == "ltr"
        await me.shot("arabic-360")
        results = await Axe().run(page)
        violations = results.response["violations"]
        serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == []
        assert me.problems == []
    finally:
        await context.close()


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Bel 112.", ["112"]),
        ("Bel nu 113. Of chat op 113.nl.", ["113"]),
        ("Bellen: 0800-0113 (gratis)", ["08000113"]),
        ("Bellen: 0800 5151", ["08005151"]),
        ("Bel 0900-8844 of 088-1234567.", ["09008844", "0881234567"]),
        ("Bellen: 033 448 11 86", ["0334481186"]),
        ("Vanuit het buitenland: +31 70 333 44 44", ["+31703334444"]),
        ("Voor jongeren van 8 tot 18 jaar. Ben je 16 of 17?", []),
        ("Tot 2 uur na je laatste bericht, open om 09:00 in 2026.", []),
        ("Meld het op www.meldmisdaadanoniem.nl/113 of v1.12", []),
    ],
)
async def test_phone_numbers_become_tappable(
    context: BrowserContext, site: Any, text: str, numbers: list[str]
) -> None:
    """Dutch numbers in a text become tel: links; ages, times, years and addresses do not."""
    _, url = site
    me = await person(context, url)
    await me.open()
    # The module itself, as the page loads it (no test hook on window), with the short
    # numbers the server took from the content.
    parts = await me.page.evaluate(
        """async text => {
            const config = JSON.parse(document.getElementById("config").textContent);
            const phones = await import(document.querySelector("script[type=module]").src
                .replace("/chat.js", "/phones.js"));
            return phones.phoneParts(text, config.short_numbers);
        }""",
        text,
    )
    assert "".join(p[0] for p in parts) == text
    assert [p[1] for p in parts if p[1]] == numbers


# ---------------------------------------------------------------- the real command


async def test_baken_web_serves_the_shipped_dialogue(browser: Browser, tmp_path: Path) -> None:
    """`baken web` itself, shipped content: a poster's QR code link, the shortest path to
    Chat met Fier with a crisis sentence on the way, counted as a campaign, clean logs."""
    engine = build_engine(load_content(default_content_dir()))
    path = path_to_handoff(engine, "fier")
    crisis = engine.content.text("nl", "crisis.suicide")
    resume = engine.content.text("nl", "button.resume")
    server = WebProcess(tmp_path, BAKEN_CONTENT_DIR=str(default_content_dir()))
    await server.start()
    context = await new_context(browser)
    try:
        me = await person(context, server.url)
        await me.open("?start=poster_school")
        await me.begin()
        for i, label in enumerate(path.presses):
            if i == len(path.presses) // 2:
                await me.type(CRISIS, then=crisis.split(".")[0])
                await me.press(resume)
            await me.press(label)
        await expect(me.page.get_by_role("link", name="Chat met Fier")).to_have_attribute(
            "href", FIER_LINK
        )
        metrics = await (await me.page.request.get(f"{server.url}/metrics")).text()
        assert 'label="poster_school",metric="campaign"' in metrics
        assert me.problems == []
    finally:
        await context.close()
        assert await server.stop() == 0
    assert server.problems() == []
