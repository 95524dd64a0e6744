"""A story typed in own words on the web page: understood as in `baken chat`.

The real `baken web` process on the shipped content, a page socket as the browser's
script uses it (the browser tests show the same frames on a real page).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.loader import default_content_dir
from testkit.web import PageSocket, WebProcess

pytestmark = [pytest.mark.e2e]


async def test_a_story_at_what_happens_is_ticked_on_the_web_page(tmp_path: Path) -> None:
    """The loverboy story at "Wat gebeurt er?": ticked and said, no "Kies een knop"."""
    server = WebProcess(tmp_path, BAKEN_CONTENT_DIR=str(default_content_dir()))
    await server.start()
    page = PageSocket(server.url)
    try:
        await page.connect()
        await page.turn(page.start())
        for label in ("Ja, het is veilig", "Over mij", "Nee", "Jonger dan 16"):
            await page.turn(page.press(label))
        reply = await page.turn(page.say("mijn vriendje wil dat ik met zijn vrienden naar bed ga"))
        said = " ".join(str(frame.get("text", "")) for frame in reply)
        assert "Ik heb aangevinkt:" in said
        assert "Ik moet seks hebben of foto's sturen" in said
        assert "Kies een knop" not in said
        assert "Klaar" in page.labels()
    finally:
        await page.close()
        await server.stop()
    assert server.problems() == []
