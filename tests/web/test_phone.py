"""The page on a phone: Chromium at 360 px with a touch screen, on the shipped content.

Every tappable element is at least 44 × 44 px (measured, not read from the CSS); axe-core
finds nothing serious on the opening screen, a multiple-choice question and the handoff,
in Dutch and in Arabic; each service is a card of its own with large "Bel" and "Chat"
buttons, right to left in Arabic; options show an empty or ticked box, "Klaar" stands
apart, and a touch leaves no hover colour; the language is chosen before "Begin".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from flows import Content, load_content
from flows.loader import default_content_dir
from testkit.browser import launched, missing_reason
from tests.web.conftest import start_web

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

if missing_reason() is None:
    from playwright.async_api import Browser, BrowserContext, Page, expect
else:  # pragma: no cover - the fixtures skip (or fail under CI) with the reason
    Browser = BrowserContext = Page = Any

SMALLEST = 44  # px, both ways: WCAG 2.5.5 (AAA), and what the issue asks of every target
QUESTION = ".baken-chat__message--bot:has(.baken-chat__answers)"

# Everything a finger can hit: links, buttons, form fields, anything focusable.
TAPPABLE = """() => {
  const selector = "a[href], button, input, textarea, select, [role=button], [tabindex]";
  return Array.from(document.querySelectorAll(selector)).map((e) => {
    const r = e.getBoundingClientRect();
    const what = e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " "
      + JSON.stringify((e.textContent || e.id || "").trim().slice(0, 30));
    return { what: what, width: r.width, height: r.height,
             shown: r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden" };
  }).filter((t) => t.shown);
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched() as browser:
        yield browser


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shipped() -> AsyncIterator[str]:
    """The web chat on the shipped content (all its languages), on 127.0.0.1."""
    _, url, server = await start_web(BAKEN_CONTENT_DIR=str(default_content_dir()))
    yield url
    await server.close()


async def phone(browser: Browser, lang: str, **options: Any) -> BrowserContext:
    """A phone: 360 × 740, a touch screen (no hover), its language the page's own."""
    context = await browser.new_context(
        viewport={"width": 360, "height": 740}, has_touch=True, locale=lang, **options
    )
    context.set_default_timeout(10_000)
    return context


class Walk:
    """One person on the page, from the opening screen to the service cards."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def question(self) -> Any:
        return self.page.locator(QUESTION).last

    async def press(self, button: Any) -> None:
        """Press and wait for the reply (a new bubble, or the question replaced)."""
        before = await self.page.locator(".baken-chat__message").count()
        await button.click()
        await expect(self.page.locator(".baken-chat__message")).not_to_have_count(before)

    async def begin(self) -> None:
        await self.page.locator("#begin").click()
        await expect(self.question()).to_be_visible()

    async def to_multiple_choice(self) -> None:
        """Safe to chat, no danger, the first age: the first multiple-choice question."""
        await self.begin()
        await self.press(self.question().locator(".baken-chat__answers button").nth(0))
        await self.press(self.question().locator(".baken-chat__answers button").nth(1))
        await self.press(self.question().locator(".baken-chat__answers button").nth(0))
        await expect(self.question().locator("button.baken-chat__option").first).to_be_visible()

    async def tick_first(self) -> None:
        option = self.question().locator("button.baken-chat__option").first
        await option.click()
        await expect(self.question().locator("button.baken-chat__option").first).to_have_attribute(
            "aria-pressed", "true"
        )

    async def to_cards(self) -> None:
        """From a multiple-choice question on: "Klaar" at each, else the first answer."""
        for _ in range(12):
            if await self.page.locator(".baken-chat__card").count():
                return
            question = self.question()
            done = question.locator("button.baken-chat__submit--first")
            if await done.count():
                await self.press(done)
            else:
                await self.press(question.locator(".baken-chat__answers button").first)
        await expect(self.page.locator(".baken-chat__card").first).to_be_visible()


async def too_small(page: Page) -> tuple[list[dict[str, Any]], list[str]]:
    """Every tappable element shown now, and those under 44 × 44 px."""
    found: list[dict[str, Any]] = await page.evaluate(TAPPABLE)
    small = [
        f"{t['what']}: {t['width']:.0f} × {t['height']:.0f}"
        for t in found
        if t["width"] < SMALLEST - 0.5 or t["height"] < SMALLEST - 0.5
    ]
    return found, small


# ---------------------------------------------------------------- tap targets


@pytest.mark.parametrize("lang", ["nl", "ar"])
async def test_every_tappable_element_is_at_least_44_px(
    browser: Browser, shipped: str, lang: str
) -> None:
    """Opening screen, a question, a multiple-choice question with a tick, the crisis
    screen (a phone number inside a sentence) and the handoff with its cards and the
    summary: every link, button and field measures at least 44 × 44 px."""
    context = await phone(browser, lang)
    try:
        me = Walk(await context.new_page())
        await me.page.goto(f"{shipped}/?lang={lang}&start=zelf")
        seen: dict[str, list[str]] = {}
        kinds: set[str] = set()

        async def measure(moment: str) -> None:
            found, small = await too_small(me.page)
            kinds.update(t["what"].split(" ", 1)[0] for t in found)
            if small:
                seen[moment] = small

        await expect(me.page.locator("#begin")).to_be_visible()
        await measure("opening screen")
        await me.to_multiple_choice()
        await me.tick_first()
        await measure("multiple choice")
        await me.page.locator("#text").fill("ik wil dood")
        await me.page.locator("#text").press("Enter")
        await expect(
            me.page.locator(".baken-chat__message--bot a.baken-chat__tel").last
        ).to_be_visible()
        await measure("crisis")
        await me.press(me.question().locator(".baken-chat__answers button").first)
        await me.to_cards()
        await expect(me.page.locator(".baken-chat__copy")).to_be_visible()
        await measure("handoff")
        assert seen == {}
        # Not passing for want of targets: each kind was there and measured.
        for kind in (
            "a.baken-chat__exit",
            "button.baken-chat__begin",
            "button.baken-chat__option",
            "a.baken-chat__tel",
            "a.baken-chat__call",
            "a.baken-chat__open",
            "button.baken-chat__copy",
            "textarea",
        ):
            assert any(k == kind or k.startswith(kind) for k in kinds), (kind, sorted(kinds))
        assert me.problems == []
    finally:
        await context.close()


# ---------------------------------------------------------------- axe-core


@pytest.mark.parametrize("lang", ["nl", "ar"])
async def test_axe_finds_nothing_serious_at_360_px(
    browser: Browser, shipped: str, lang: str
) -> None:
    """axe-core at 360 px: the opening screen, a multiple-choice question with a tick and
    the handoff with the service cards, in Dutch and in Arabic."""
    from axe_playwright_python.async_playwright import Axe

    # Only this context may run axe's script despite the page's CSP.
    context = await phone(browser, lang, bypass_csp=True)
    axe = Axe()
    found: dict[str, list[str]] = {}
    try:
        me = Walk(await context.new_page())

        async def check(moment: str) -> None:
            results = await axe.run(me.page)
            serious = [
                f"{v['id']} ({v['impact']}): {v['help']}"
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if serious:
                found[moment] = serious

        await me.page.goto(f"{shipped}/?lang={lang}&start=zelf")
        await expect(me.page.locator("#begin")).to_be_visible()
        await check("opening screen")
        await me.to_multiple_choice()
        await me.tick_first()
        await check("multiple choice")
        await me.to_cards()
        await check("handoff")
        assert me.problems == []
    finally:
        await context.close()
    assert found == {}


# ---------------------------------------------------------------- what is on the page


@pytest.mark.parametrize("lang", ["nl", "ar"])
async def test_one_card_per_service_with_large_call_and_chat_buttons(
    browser: Browser, shipped: str, content: Content, lang: str
) -> None:
    """Each service its own card: a heading with its name, what it is, open or not, a
    "Bel" button that calls (tel:) and a "Chat" button that opens the chat in a new tab.
    In Arabic every card reads right to left, the number inside it left to right. The
    copy instruction stands right above the text to copy."""
    context = await phone(browser, lang)
    try:
        me = Walk(await context.new_page())
        await me.page.goto(f"{shipped}/?lang={lang}&start=zelf")
        await me.to_multiple_choice()
        await me.tick_first()
        await me.to_cards()
        cards = me.page.locator(".baken-chat__card")
        count = await cards.count()
        assert count >= 2
        names = [await cards.nth(i).get_by_role("heading").inner_text() for i in range(count)]
        assert len(set(names)) == count  # one card per service
        fier = me.page.locator(".baken-chat__card", has=me.page.locator("a[href='/go/fier']"))
        await expect(fier).to_have_count(1)
        chat = fier.locator("a.baken-chat__open")
        await expect(chat).to_have_attribute("target", "_blank")
        await expect(chat).to_have_attribute("rel", "noopener noreferrer")
        calls = me.page.locator(".baken-chat__card a.baken-chat__call")
        assert await calls.count() >= 1
        href = await calls.first.get_attribute("href")
        assert href is not None
        assert href.startswith("tel:")
        assert href[4:].lstrip("+").isdigit()
        statuses = me.page.locator(".baken-chat__card .baken-chat__hours")
        assert await statuses.count() == count  # open now or not, on every card
        direction = "rtl" if lang == "ar" else "ltr"
        for i in range(count):
            card = cards.nth(i)
            assert await card.evaluate("c => getComputedStyle(c).direction") == direction
        number = calls.first.locator(".baken-chat__number")
        assert await number.evaluate("n => getComputedStyle(n).direction") == "ltr"
        if lang == "ar":  # a card's heading starts at the right
            heading = await cards.first.get_by_role("heading").bounding_box()
            box = await cards.first.bounding_box()
            assert heading is not None
            assert box is not None
            assert box["x"] + box["width"] - (heading["x"] + heading["width"]) < 40
        # The copy instruction right after the last card, right above the text to copy.
        instruction = content.text(lang, "system.summary_intro")
        summary = me.page.locator(".baken-chat__message--bot:has(pre)")
        above = summary.locator("xpath=preceding-sibling::*[1]/*[last()]")
        await expect(above).to_have_class("baken-chat__say")
        await expect(above).to_contain_text(instruction.split(".")[0])
        await expect(summary.locator(".baken-chat__copy")).to_be_visible()
        assert me.problems == []
    finally:
        await context.close()


async def test_options_show_a_box_and_klaar_stands_apart(browser: Browser, shipped: str) -> None:
    """Each option has a visible box, empty or ticked (and aria-pressed); "Klaar" is not
    an option and looks different; touching an option leaves no hover colour on the
    others, so an unticked option never looks ticked."""
    context = await phone(browser, "nl")
    try:
        me = Walk(await context.new_page())
        await me.page.goto(f"{shipped}/?start=zelf")
        await me.to_multiple_choice()
        options = me.question().locator("button.baken-chat__option")
        assert await options.count() >= 3
        for i in range(await options.count()):
            await expect(options.nth(i)).to_have_attribute("aria-pressed", "false")
        box = await options.first.evaluate(
            "b => { const s = getComputedStyle(b, '::before');"
            " return [s.content, s.width, s.borderTopWidth, s.borderTopStyle]; }"
        )
        content, width, border, style = box
        assert content != "none"
        assert width != "0px"
        assert border != "0px"
        assert style == "solid"
        await me.tick_first()
        ticked = me.question().locator('button[aria-pressed="true"]')
        await expect(ticked).to_have_count(1)
        tick = await ticked.evaluate("b => getComputedStyle(b, '::after').content")
        assert tick != "none"  # the tick mark is drawn
        done = me.question().locator("button.baken-chat__submit--first")
        await expect(done).to_have_text("Klaar")
        assert await done.get_attribute("aria-pressed") is None

        def look(locator: Any) -> Any:
            return locator.evaluate(
                "b => { const s = getComputedStyle(b);"
                " return [s.backgroundColor, s.color, s.boxShadow, s.textDecorationLine]; }"
            )

        plain = await look(options.nth(2))
        assert (await look(done))[0] != plain[0]  # Klaar is filled, options are not
        # A finger on an unticked option (a touch screen: the pointer stays there).
        await options.nth(1).hover()
        assert await look(options.nth(1)) == plain
        assert await look(ticked) != plain
        assert me.problems == []
    finally:
        await context.close()


async def test_the_language_is_chosen_on_the_opening_screen(browser: Browser, shipped: str) -> None:
    """Before "Begin": every language in its own name; choosing Polish shows the opening
    screen in Polish (a campaign's code kept), nothing is stored, and "Begin" starts a
    Polish conversation."""
    context = await phone(browser, "nl")
    try:
        me = Walk(await context.new_page())
        await me.page.goto(f"{shipped}/?start=zelf")
        languages = me.page.locator("#intro nav a")
        assert await languages.count() == 7
        await expect(me.page.locator('#intro nav a[aria-current="page"]')).to_have_text(
            "Nederlands"
        )
        await me.page.locator("#intro nav").get_by_role("link", name="Polski").click()
        await expect(me.page.locator("html")).to_have_attribute("lang", "pl")
        assert "start=zelf" in me.page.url
        await expect(me.page.locator('#intro nav a[aria-current="page"]')).to_have_text("Polski")
        assert await me.page.evaluate("sessionStorage.length") == 0
        await me.begin()
        await expect(me.page.locator("html")).to_have_attribute("lang", "pl")
        first = me.question().locator(".baken-chat__answers button").first
        await expect(first).not_to_have_text("Ja, het is veilig")
        assert me.problems == []
    finally:
        await context.close()
