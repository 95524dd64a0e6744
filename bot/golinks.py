"""``GET /go/<service>``: a service link opened, counted without knowing who.

The web page's service buttons (and Telegram's, when ``BAKEN_WEB_PUBLIC_URL`` is set) point
to ``/go/<service id>`` on baken's own web server instead of the service's site. The
handler adds one to ``baken_links_opened_total{service}`` and answers **303** to the
service's address from the content (its chat, else its site, else its form), with
``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``. It reads nothing of the
request but the path: no address, no header, no query; it logs nothing and sets no
cookie. An unknown service gets **404** with a fixed text (the path is never echoed).

``BAKEN_GO_LINKS=off``: the buttons link to the services directly, and ``/go/`` still
redirects (links sent earlier keep working) but counts nothing.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bot.metrics import Metrics
from bot.serving import ContentHolder
from flows import Message
from flows.events import Card, Link

if TYPE_CHECKING:
    from aiohttp import web

PREFIX = "/go/"


def go_url(base: str, service: str) -> str:
    """The counted address of ``service``'s link: ``base`` is "" (the page's own server)
    or the public address of the web chat (``https://chat.example.org``)."""
    return f"{base.rstrip('/')}{PREFIX}{service}"


def _via(link: Link, base: str) -> Link:
    return dataclasses.replace(link, url=go_url(base, link.service)) if link.service else link


def through_go(message: Message, base: str) -> Message:
    """The message with its service links (and its cards' links) pointing to
    ``/go/<service>`` under ``base``."""
    if not any(link.service for link in message.links):
        return message
    parts = tuple(
        dataclasses.replace(part, link=_via(part.link, base))
        if isinstance(part, Card) and part.link is not None
        else part
        for part in message.parts
    )
    links = tuple(_via(link, base) for link in message.links)
    return dataclasses.replace(message, links=links, parts=parts)


def add_go_links(
    app: web.Application, *, holder: ContentHolder, metrics: Metrics, counting: bool = True
) -> None:
    """Add ``GET /go/{service}`` to ``app`` (``counting``: False when switched off)."""
    # Here, not at the top: baken run's Telegram channel rewrites links (through_go) but
    # serves no web pages, and aiohttp.web is a tenth of a second of its start-up.
    from aiohttp import web

    async def go(request: web.Request) -> web.Response:
        service = holder.engine.content.services.get(request.match_info["service"])
        url = service.link if service is not None else None
        if service is None or url is None:
            return web.Response(status=404, text="not found", content_type="text/plain")
        if counting:
            metrics.figure("baken_links_opened_total", {"service": service.id})
        return web.Response(
            status=303,
            headers={
                "Location": url,
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-store",
            },
        )

    app.router.add_get(PREFIX + "{service}", go, allow_head=False)
