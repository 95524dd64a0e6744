"""``GET /go/<service>``: a service link opened is counted and sent on, and nothing else.

The real web chat application on 127.0.0.1 with the real content, over real HTTP and a
real WebSocket (testkit.web.PageSocket talks as chat.js does).
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import pytest

from flows.loader import default_content_dir, load_content
from testkit.web import PageSocket
from tests.web.conftest import Serve

Pages = Callable[..., PageSocket]
CONTENT = default_content_dir()
TO_THE_HANDOFF = ("Ja, het is veilig", "Nee", "16 of 17", "Klaar", "Klaar", "Klaar")


async def fetch(url: str) -> tuple[int, dict[str, str], str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, allow_redirects=False) as response,
    ):
        return response.status, dict(response.headers), await response.text()


async def handoff_links(url: str, pages: Pages) -> list[str]:
    """Someone worried about a friend of 16 in Groningen, through to the services."""
    page = pages(url)
    await page.connect()
    await page.turn(page.start("iemand"))
    for label in TO_THE_HANDOFF:
        await page.turn(page.press(label))
    await page.turn(page.press("Nee, laat de hulp zien"))
    await page.turn(page.press("Provincie Groningen"))
    return [link["url"] for m in page.messages() for link in m["links"]]


async def test_a_link_is_counted_and_sent_on_without_a_trace(serve: Serve) -> None:
    """303 to the service's own address, no referrer, no cookie, no caching; one count."""
    chat, url = await serve(BAKEN_CONTENT_DIR=CONTENT)
    fier = load_content(CONTENT).services["fier"]
    status, headers, _ = await fetch(f"{url}/go/fier")
    assert status == 303
    assert headers["Location"] == fier.link
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers
    assert chat.metrics.value("baken_links_opened_total", service="fier") == 1
    await fetch(f"{url}/go/fier")
    assert chat.metrics.value("baken_links_opened_total", service="fier") == 2


@pytest.mark.parametrize("path", ["nobody_knows", "FIER", "%3Cscript%3Ealert(1)", "fier/x", ""])
async def test_an_unknown_service_is_404_and_not_echoed(serve: Serve, path: str) -> None:
    """Anything but a service id of the content: 404, a fixed text, nothing counted."""
    _, url = await serve(BAKEN_CONTENT_DIR=CONTENT)
    status, headers, body = await fetch(f"{url}/go/{path}")
    assert status == 404
    assert "Location" not in headers
    assert path.lower() not in body.lower() or not path
    assert "script" not in body
    page = (await fetch(f"{url}/metrics"))[2]
    assert "baken_links_opened_total{" not in page


async def test_the_page_links_services_through_go(serve: Serve, pages: Pages) -> None:
    """At a handoff every service button on the page is a /go/ link, and following it counts."""
    chat, url = await serve(BAKEN_CONTENT_DIR=CONTENT)
    links = await handoff_links(url, pages)
    assert "/go/fier" in links
    assert "/go/zorgcoordinator_groningen" in links
    assert all(link.startswith("/go/") for link in links)
    services = load_content(CONTENT).services
    for link in links:
        status, headers, _ = await fetch(url + link)
        assert (status, headers["Location"]) == (303, services[link.removeprefix("/go/")].link)
    assert chat.metrics.value("baken_links_opened_total", service="fier") == links.count("/go/fier")


async def test_operators_can_switch_it_off(serve: Serve, pages: Pages) -> None:
    """BAKEN_GO_LINKS=off: the buttons go to the services directly; /go/ still sends on
    (links given out earlier keep working) and counts nothing."""
    chat, url = await serve(BAKEN_CONTENT_DIR=CONTENT, BAKEN_GO_LINKS="off")
    links = await handoff_links(url, pages)
    assert links
    assert all(link.startswith("https://") for link in links)
    status, _, _ = await fetch(f"{url}/go/fier")
    assert status == 303
    assert chat.metrics.value("baken_links_opened_total", service="fier") == 0
