"""The report page in a real browser (Debian's Chromium): it loads nothing from anywhere,
axe-core finds no serious or critical violation, and it looks as the README shows.

The page is made from the made-up week of :mod:`tests.report.synthetic`. The screenshot is
written to tests/artifacts/; with ``BAKEN_UPDATE_SCREENSHOT=1`` also to
docs/report-nl.png, the README's picture.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.report.page import render
from bot.report.tables import build
from flows.loader import default_content_dir, load_content
from testkit.browser import launched
from tests.report.synthetic import FIRST, LAST, week

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
SCREENSHOT = REPO / "docs" / "report-nl.png"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with launched() as browser:
        yield browser


def write_report(tmp_path: Path, lang: str) -> Path:
    content = load_content(default_content_dir())
    page = render(
        build(week(), content, lang, FIRST, LAST), empty=content.text(lang, "report.none")
    )
    path = tmp_path / f"report-{lang}.html"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_report_loads_nothing_and_axe_finds_nothing_serious(
    browser: Any, tmp_path: Path, lang: str
) -> None:
    """Opened from a file: the only request is the file itself; no console errors (the
    page's own CSP is kept); then, with axe allowed in, no serious or critical violation."""
    from axe_playwright_python.async_playwright import Axe

    path = write_report(tmp_path, lang)
    context = await browser.new_context(viewport={"width": 1000, "height": 900})
    requests: list[str] = []
    problems: list[str] = []
    try:
        page = await context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await page.goto(path.as_uri())
        assert await page.locator("h1").inner_text() in ("Cijfers van baken", "Figures of baken")
        assert await page.locator("svg[role=img]").count() == 2
        assert requests == [path.as_uri()]
        assert problems == []
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=ARTIFACTS / f"report-{lang}.png", full_page=True)
        if lang == "nl" and os.environ.get("BAKEN_UPDATE_SCREENSHOT") == "1":
            # The top of the page: the first charts and tables (the README's picture).
            clip = {"x": 0, "y": 0, "width": 1000, "height": 2350}
            await page.screenshot(path=SCREENSHOT, full_page=True, clip=clip)
    finally:
        await context.close()
    checking = await browser.new_context(bypass_csp=True)  # only here may axe's script run
    try:
        page = await checking.new_page()
        await page.goto(path.as_uri())
        results = await Axe().run(page)
    finally:
        await checking.close()
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
