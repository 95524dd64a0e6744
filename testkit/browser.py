"""A real browser for the web chat tests: Debian's Chromium driven by Playwright.

Playwright's own browser download is not used (and not reachable here): the tests
launch ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` installs it),
or the program named by ``BAKEN_TEST_CHROMIUM``. Without it the browser tests skip
with the reason, except under CI (``CI=true``), where they fail: there, they are
mandatory (as the Redis tests are, see :mod:`testkit.redisserver`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from testkit.redisserver import under_ci

ENV_PROGRAM = "BAKEN_TEST_CHROMIUM"
DEFAULT_PROGRAM = "/usr/bin/chromium"
# The network is closed here: without these Chromium keeps trying Google's hosts
# (updates, sync, field trials). --no-sandbox: the tests may run as root.
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-domain-reliability",
)


def chromium() -> str | None:
    """The Chromium program to launch, or None when there is none."""
    named = os.environ.get(ENV_PROGRAM)
    if named:
        return named if Path(named).exists() else None
    if Path(DEFAULT_PROGRAM).exists():
        return DEFAULT_PROGRAM
    return shutil.which("chromium")


def unavailable(reason: str) -> None:
    """Skip (on a laptop) or fail (under CI) because the browser tests cannot run."""
    import pytest

    if under_ci():
        pytest.fail(f"{reason} (CI=true: browser tests are mandatory; .ci/run installs chromium)")
    pytest.skip(reason)


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if chromium() is None:
        return (
            f"needs Chromium: apt-get install chromium (or set {ENV_PROGRAM} to a Chromium "
            "program); Playwright's own browser download is not used"
        )
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "needs Playwright: pip install -e '.[dev]'"
    return None


@asynccontextmanager
async def launched() -> AsyncIterator[Any]:
    """A headless Chromium for a test module (a Playwright ``Browser``); skips, or fails
    under CI, with the reason when there is none."""
    reason = missing_reason()
    if reason is not None:
        unavailable(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=list(ARGS))
        try:
            yield browser
        finally:
            await browser.close()
