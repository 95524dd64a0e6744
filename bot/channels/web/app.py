"""The HTTP side of ``baken web`` (aiohttp): the page, its files, its WebSocket, monitoring.

Routes:

- ``GET /``: the chat page (``static/index.html`` with the page's words in the visitor's
  language: ``?lang=`` when the content has it, else Dutch; the browser's
  ``Accept-Language`` is only offered, as a button in that language on the first
  question). ``?start=<code>`` is read by the page itself and sent with "Begin", like
  Telegram's ``/start <code>``. Never cached.
- ``GET /static/chat.css``, ``/static/chat.js`` (and the modules it imports): the page's
  only files, from this package
  (the page links them with ``?v=<hash>`` so a new version is fetched at once).
- ``GET /ws``: the WebSocket (see :mod:`bot.channels.web.channel` for the frames). The
  ``Origin`` must be the page's own (the ``Host`` it was served from), ``BAKEN_WEB_PUBLIC_URL``
  or one of ``BAKEN_WEB_ORIGINS`` (**403** otherwise). Beyond ``BAKEN_WEB_MAX_CONNECTIONS`` open
  sockets a new one gets a ``busy`` frame and is closed (1013); the page tries again.
- ``GET /go/<service>``: a service link opened, counted, and sent on (303) to the
  service (see :mod:`bot.golinks`).
- ``GET /healthz``, ``GET /metrics``: see :mod:`bot.monitoring`; keep them off the
  internet (the README's proxy snippets pass on only ``/``, ``/static/`` and ``/ws``).

Every response carries a strict Content-Security-Policy (self only; the WebSocket's
address listed explicitly, from ``BAKEN_WEB_PUBLIC_URL`` when set, else from ``Host``;
``frame-ancestors`` from ``BAKEN_WEB_FRAME_ANCESTORS``),
``Referrer-Policy: no-referrer``, ``X-Content-Type-Options: nosniff``, a
``Permissions-Policy`` that switches off what the page does not use, and
``Cache-Control: no-store`` for everything but the two static files. No cookie is ever
set. Nothing about a request is logged: no access log, no addresses, no user agents,
no tokens (the token travels inside the socket, never in a URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

from bot.channels.web.channel import (
    CLOSE_BUSY,
    CLOSE_GOING_AWAY,
    MAX_FRAME_BYTES,
    MAX_TEXT,
    PROTOCOL,
    Limits,
    WebChannel,
    dumps,
)
from bot.conversation import Conversations
from bot.golinks import add_go_links
from bot.host import build_host
from bot.lifecycle import until_stopped
from bot.logs import get_logger
from bot.metrics import Metrics
from bot.monitoring import add_monitoring
from bot.serving import ContentHolder, install_reload, settle_heap
from bot.settings import Settings
from bot.stores import SessionStore
from flows.content import DEFAULT_LANG
from flows.wording import language_name

HEARTBEAT = 30.0  # seconds between pings; a socket that does not answer is closed
SWEEP_EVERY = 5.0  # seconds between outbox clean-ups
WATCH_EVERY = 0.5  # seconds between checks for new content (--watch)
STATIC = {
    "chat.css": "text/css",
    "chat.js": "text/javascript",  # the page's module; it imports the four below
    "socket.js": "text/javascript",
    "render.js": "text/javascript",
    "phones.js": "text/javascript",
    "exit.js": "text/javascript",
}
PERMISSIONS = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

log = get_logger("baken.web")


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    version: str


def _assets() -> tuple[str, dict[str, Asset]]:
    """The page template and the static files, read once from the package."""
    folder = resources.files("bot.channels.web") / "static"
    template = (folder / "index.html").read_text(encoding="utf-8")
    bodies = {name: (folder / name).read_bytes() for name in STATIC}
    # The modules import each other as "./name.js?v={{version}}": one version for all of
    # them, so a page never mixes the modules of two releases.
    scripts = b"".join(body for name, body in sorted(bodies.items()) if name.endswith(".js"))
    version = hashlib.sha256(scripts).hexdigest()[:12]
    assets = {}
    for name, content_type in STATIC.items():
        body = bodies[name]
        if name.endswith(".js"):
            assets[name] = Asset(
                body.replace(b"{{version}}", version.encode()), content_type, version
            )
        else:
            assets[name] = Asset(body, content_type, hashlib.sha256(body).hexdigest()[:12])
    return template, assets


def page_language(request: web.Request, languages: tuple[str, ...]) -> str:
    """``?lang=`` when the content has it, else Dutch. The browser's language is only ever
    suggested (:func:`suggested_language`), never switched to."""
    wanted = request.query.get("lang", "").lower()
    return wanted if wanted in languages else DEFAULT_LANG


def suggested_language(request: web.Request, languages: tuple[str, ...], page: str) -> str | None:
    """The best of ``Accept-Language`` that the content speaks, when it is not ``page``:
    offered first in the conversation (a button in its own name), not kept anywhere."""
    offers: list[tuple[float, int, str]] = []
    for i, part in enumerate(request.headers.get("Accept-Language", "").split(",")[:16]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-", 1)[0].lower()
        if primary in languages and quality > 0:
            offers.append((-quality, i, primary))
    best = min(offers)[2] if offers else None
    return best if best != page else None


def language_links(request: web.Request, channel: WebChannel, lang: str) -> str:
    """The opening screen's languages, each in its own name: links to this page in that
    language (a campaign's ``?start=`` kept), the page's own marked as current."""
    content = channel.core.holder.engine.content
    start = request.query.get("start")
    items = []
    for code in content.languages:
        name = content.texts.get(code, {}).get(f"language.{code}") or language_name(code)
        query = {"lang": code, **({"start": start} if start else {})}
        direction = channel.texts(code)["dir"]
        current = ' aria-current="page"' if code == lang else ""
        items.append(
            f'<li><a href="?{html.escape(urlencode(query), quote=True)}" lang="{code}" '
            f'hreflang="{code}" dir="{direction}"{current}>{html.escape(name)}</a></li>'
        )
    return "".join(items)


def render_page(template: str, values: dict[str, str]) -> str:
    """Fill ``{{name}}`` placeholders with HTML-escaped values."""
    return _PLACEHOLDER.sub(lambda m: html.escape(values[m.group(1)], quote=True), template)


def script_json(data: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/json">`` block: no ``<`` can end it early."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


class Connection:
    """One aiohttp WebSocket as a :class:`~bot.channels.web.channel.Sink`.

    Frames are queued and written by one short-lived task at a time, so they leave in
    the order they were queued, whoever queued them. A failed write drops the rest:
    numbered frames are still in the outbox and go again after the reconnect.
    """

    __slots__ = ("_closing", "_queue", "_writer", "ws")

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self._queue: deque[str] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._closing: int | None = None

    def send(self, text: str) -> None:
        if self._closing is not None or self.ws.closed:
            return
        self._queue.append(text)
        self._wake()

    def close(self, code: int) -> None:
        if self._closing is None:
            self._closing = code
            self._wake()

    def _wake(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        try:
            while self._queue:
                text = self._queue.popleft()
                await self.ws.send_str(text)
            if self._closing is not None:
                await self.ws.close(code=self._closing)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            self._queue.clear()  # the socket is gone; the outbox keeps what matters
        finally:
            self._writer = None
        if self._queue or (self._closing is not None and not self.ws.closed):
            self._wake()


@dataclass(frozen=True)
class Policy:
    """What the settings say about the page's headers and who may connect."""

    exit_url: str
    frame_ancestors: str
    origins: frozenset[str]
    max_connections: int
    public_url: str | None = None  # BAKEN_WEB_PUBLIC_URL: the page's address, whatever Host says
    go_links: bool = True  # BAKEN_GO_LINKS: service links counted through /go/<service>

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        public = settings.BAKEN_WEB_PUBLIC_URL
        origins = set(settings.BAKEN_WEB_ORIGINS.split())
        if public is not None:
            origins.add(public)
        return cls(
            exit_url=settings.BAKEN_WEB_EXIT_URL,
            frame_ancestors=settings.BAKEN_WEB_FRAME_ANCESTORS,
            origins=frozenset(origins),
            max_connections=settings.BAKEN_WEB_MAX_CONNECTIONS,
            public_url=public,
            go_links=settings.BAKEN_GO_LINKS == "on",
        )

    def csp(self, request: web.Request) -> str:
        host = request.host if _HOST.match(request.host) else ""
        forwarded = request.headers.get("X-Forwarded-Proto", "").lower()
        secure = request.secure or forwarded == "https"
        if self.public_url is not None:  # the socket the page opens, even if a proxy rewrote Host
            scheme, _, host = self.public_url.partition("://")
            secure = scheme == "https"
        if not host:
            sockets = "'none'"
        elif secure:
            sockets = f"wss://{host}"
        else:
            sockets = f"ws://{host} wss://{host}"
        return (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src {sockets}; base-uri 'none'; form-action 'none'; "
            f"frame-ancestors {self.frame_ancestors}"
        )

    def origin_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin", "").lower()
        if not origin:
            return False
        if origin in self.origins:
            return True
        host = request.host.lower()
        return bool(_HOST.match(host)) and origin in (f"http://{host}", f"https://{host}")


def build_web_app(channel: WebChannel, policy: Policy, *, watch: bool = False) -> web.Application:
    """The aiohttp application of ``baken web`` around ``channel``."""
    template, assets = _assets()
    core = channel.core
    refuse = channel.metrics.web_refused

    async def index(request: web.Request) -> web.Response:
        if not _HOST.match(request.host):
            refuse("host")
            return web.Response(status=400, text="bad Host header", content_type="text/plain")
        content = core.holder.engine.content
        languages = tuple(content.languages)
        lang = page_language(request, languages)
        texts = channel.texts(lang)
        config = {
            "v": PROTOCOL,
            "lang": lang,
            "suggest": suggested_language(request, languages, lang),
            "exit": policy.exit_url,
            "max": MAX_TEXT,
            "short_numbers": channel.short_numbers(),
        }
        values = {
            **{f"t_{name}": text for name, text in texts.items()},
            "lang": lang,
            "dir": texts["dir"],
            "exit_url": policy.exit_url,
            "css": f"/static/chat.css?v={assets['chat.css'].version}",
            "js": f"/static/chat.js?v={assets['chat.js'].version}",
            "max": str(MAX_TEXT),
        }
        page = render_page(template, values)
        page = page.replace("<!--config-->", script_json({**config, "texts": texts}), 1)
        page = page.replace("<!--languages-->", language_links(request, channel, lang), 1)
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    async def static(request: web.Request) -> web.Response:
        asset = assets.get(request.match_info["name"])
        if asset is None:
            raise web.HTTPNotFound()
        return web.Response(
            body=asset.body,
            content_type=asset.content_type,
            charset="utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def favicon(request: web.Request) -> web.Response:
        return web.Response(status=204)  # no icon: a neutral tab, and no 404 noise

    async def socket(request: web.Request) -> web.StreamResponse:
        if not policy.origin_allowed(request):
            refuse("origin")
            return web.Response(status=403, text="origin not allowed", content_type="text/plain")
        ws = web.WebSocketResponse(
            heartbeat=HEARTBEAT, max_msg_size=MAX_FRAME_BYTES, compress=False
        )
        await ws.prepare(request)
        if len(channel.tabs) >= policy.max_connections:
            refuse("full")
            await ws.send_str(dumps({"t": "busy"}))
            await ws.close(code=CLOSE_BUSY)
            return ws
        connection = Connection(ws)
        tab = channel.open(connection)
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    tab.receive(message.data)
                elif message.type is WSMsgType.BINARY:
                    tab.refuse("bad_frame")
                else:  # an error (e.g. a frame over the size limit): aiohttp closes
                    refuse("too_long")
                    break
        finally:
            tab.closed(ws.close_code)
        return ws

    async def headers(request: web.Request, response: web.StreamResponse) -> None:
        h = response.headers
        h["Content-Security-Policy"] = policy.csp(request)
        h["Referrer-Policy"] = "no-referrer"
        h["X-Content-Type-Options"] = "nosniff"
        h["Permissions-Policy"] = PERMISSIONS
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        if policy.frame_ancestors == "'none'":
            h["X-Frame-Options"] = "DENY"
        if not (request.path.startswith("/static/") and response.status == 200):
            h["Cache-Control"] = "no-store"
        h.popall("Set-Cookie", None)

    async def background(app: web.Application) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_every(SWEEP_EVERY, channel.sweep))]
        if watch:
            tasks.append(asyncio.create_task(_watch(channel)))
        yield
        for task in tasks:
            task.cancel()

    async def goodbye(app: web.Application) -> None:
        # Before aiohttp waits for open requests: every page is told to reconnect (to
        # another worker, or to this one once it is back), and turns in flight finish.
        for tab in list(channel.tabs):
            tab.sink.close(CLOSE_GOING_AWAY)
        await channel.finish()

    app = web.Application(client_max_size=16 * 1024)
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/ws", socket)
    add_monitoring(app, health=core.store.ping, metrics=core.metrics)
    add_go_links(app, holder=core.holder, metrics=core.metrics, counting=policy.go_links)
    app.on_response_prepare.append(headers)
    app.cleanup_ctx.append(background)
    app.on_shutdown.append(goodbye)
    return app


async def _every(seconds: float, work: Callable[[], None]) -> None:
    while True:
        await asyncio.sleep(seconds)
        work()


async def _watch(channel: WebChannel) -> None:
    """``--watch``: when the content changes, every open page starts again on it."""
    holder = channel.core.holder
    version = holder.engine.version
    while True:
        await asyncio.sleep(WATCH_EVERY)
        if holder.engine.version != version:
            version = holder.engine.version
            channel.reload()


# ---------------------------------------------------------------- building and running


@dataclass
class WebChat:
    """Everything :func:`build` made, for running, testing and benchmarking."""

    app: web.Application
    channel: WebChannel
    core: Conversations
    store: SessionStore
    metrics: Metrics
    holder: ContentHolder
    settings: Settings


def build(
    settings: Settings,
    *,
    store: SessionStore | None = None,
    holder: ContentHolder | None = None,
    metrics: Metrics | None = None,
    limits: Limits | None = None,
    watch: bool = False,
    clock: Callable[[], float] = time.time,
) -> WebChat:
    """The web chat on the settings' content and store; nothing is opened until it runs."""
    host = build_host(settings, store=store, holder=holder, metrics=metrics, clock=clock)
    channel = WebChannel(host.core, host.keys, limits=limits)
    if settings.BAKEN_GO_LINKS == "on":
        channel.go_base = ""  # the page's own server
    app = build_web_app(channel, Policy.of(settings), watch=watch)
    return WebChat(app, channel, host.core, host.store, host.metrics, host.holder, settings)


async def serve_web(chat: WebChat, *, host: str, port: int, watch: bool = False) -> None:
    """``baken web`` until SIGINT or SIGTERM: open sockets are closed (1001), turns finish."""
    reload_task = install_reload(chat.holder, watch=watch)
    settle_heap()
    runner = web.AppRunner(chat.app, access_log=None, shutdown_timeout=5.0)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        log.info("web_listening", mode="web", host=host, port=bound)
        await until_stopped()
        log.info("stopping", mode="web")
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
        if reload_task is not None:
            reload_task.cancel()
        await chat.store.close()
