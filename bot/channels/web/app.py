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
- ``GET /ws``: the WebSocket (see :mod:`bot.channels.web.channel` for the frames), served
  by :mod:`bot.channels.web.sockets` beside aiohttp on the same port (:class:`WebServer`).
  The ``Origin`` must be the page's own (the ``Host`` it was served from),
  ``BAKEN_WEB_PUBLIC_URL`` or one of ``BAKEN_WEB_ORIGINS`` (**403** otherwise). Beyond
  ``BAKEN_WEB_MAX_CONNECTIONS`` open sockets a new one gets a ``busy`` frame and is closed
  (1013); the page tries again. A message over 64 KiB closes the socket (1009).
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
set. Every response but the WebSocket's says ``Connection: close``: each request comes on a
connection of its own, whose first line says whether it is the WebSocket's (see
:mod:`bot.channels.web.sockets`). Nothing about a request is logged: no access log, no
addresses, no user agents, no tokens (the token travels inside the socket, never in a URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.channels.web.channel import (
    CLOSE_BUSY,
    CLOSE_GOING_AWAY,
    MAX_FRAME_BYTES,
    MAX_TEXT,
    PROTOCOL,
    Limits,
    Tab,
    WebChannel,
    dumps,
)
from bot.channels.web.sockets import CLOSE_SECONDS, Head, Hub, Peer, WebSocket
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

HEARTBEAT = 30.0  # a silent socket is pinged within this, and cut if it stays silent
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
NO_STORE = ("Cache-Control", "no-store")
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
        forwarded = request.headers.get("X-Forwarded-Proto", "")
        return self.csp_for(request.host, forwarded, secure=request.secure)

    def csp_for(self, host: str, forwarded: str, *, secure: bool = False) -> str:
        """The Content-Security-Policy for a request to ``host`` (its ``Host`` header);
        ``forwarded``: its ``X-Forwarded-Proto``."""
        host = host if _HOST.match(host) else ""
        secure = secure or forwarded.lower() == "https"
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

    def origin_allowed(self, origin: str, host: str) -> bool:
        """May a page at ``origin`` open the socket of a server reached as ``host``?"""
        origin = origin.lower()
        if not origin:
            return False
        if origin in self.origins:
            return True
        host = host.lower()
        return bool(_HOST.match(host)) and origin in (f"http://{host}", f"https://{host}")

    def headers(self, csp: str) -> list[tuple[str, str]]:
        """The headers of every response (Cache-Control aside)."""
        headers = [
            ("Content-Security-Policy", csp),
            ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff"),
            ("Permissions-Policy", PERMISSIONS),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Resource-Policy", "same-origin"),
        ]
        if self.frame_ancestors == "'none'":
            headers.append(("X-Frame-Options", "DENY"))
        return headers


class Sockets:
    """The chat's side of :mod:`bot.channels.web.sockets`: who may open a socket, the
    :class:`~bot.channels.web.channel.Tab` behind each, and aiohttp for the rest."""

    def __init__(self, channel: WebChannel, policy: Policy, http: web.Server) -> None:
        self.channel = channel
        self.policy = policy
        self._http = http

    def http(self) -> asyncio.Protocol:
        return self._http()

    def refusal(self, head: Head) -> tuple[int, str] | None:
        if self.policy.origin_allowed(head.get("origin"), head.get("host")):
            return None
        self.channel.metrics.web_refused("origin")
        return 403, "origin not allowed"

    def headers(self, head: Head | None) -> list[tuple[str, str]]:
        host, forwarded = (head.get("host"), head.get("x-forwarded-proto")) if head else ("", "")
        return [*self.policy.headers(self.policy.csp_for(host, forwarded)), NO_STORE]

    def open(self, socket: WebSocket) -> Peer | None:
        channel = self.channel
        if len(channel.tabs) >= self.policy.max_connections:
            channel.metrics.web_refused("full")
            socket.send(dumps({"t": "busy"}))
            socket.close(CLOSE_BUSY)
            return None
        return channel.open(socket)

    def binary(self, peer: Peer) -> None:
        assert isinstance(peer, Tab)
        peer.refuse("bad_frame")

    def too_big(self) -> None:
        self.channel.metrics.web_refused("too_long")


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

    async def headers(request: web.Request, response: web.StreamResponse) -> None:
        h = response.headers
        for name, value in policy.headers(policy.csp(request)):
            h[name] = value
        if not (request.path.startswith("/static/") and response.status == 200):
            h[NO_STORE[0]] = NO_STORE[1]
        h.popall("Set-Cookie", None)
        # One request per connection: its first line decides whether it is the WebSocket's.
        # (This hook runs after aiohttp chose its Connection header: both are set here.)
        response.force_close()
        h["Connection"] = "close"

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


class WebServer:
    """``baken web``'s port: the WebSocket (:mod:`bot.channels.web.sockets`) and aiohttp
    for everything else, on one listening socket."""

    def __init__(self, chat: WebChat, *, heartbeat: float = HEARTBEAT) -> None:
        self.chat = chat
        self.heartbeat = heartbeat
        self.runner = web.AppRunner(chat.app, access_log=None, shutdown_timeout=5.0)
        self.hub: Hub | None = None
        self.server: asyncio.Server | None = None
        self.port = 0
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: a free port); returns the port."""
        await self.runner.setup()
        assert self.runner.server is not None
        sockets = Sockets(self.chat.channel, Policy.of(self.chat.settings), self.runner.server)
        self.hub = Hub(sockets, max_message=MAX_FRAME_BYTES, heartbeat=self.heartbeat)
        self.server = await asyncio.get_running_loop().create_server(self.hub, host, port)
        self.port = self.server.sockets[0].getsockname()[1]
        self._heartbeat = asyncio.create_task(self.hub.heartbeat())
        return self.port

    async def close(self) -> None:
        """Stop listening; every page is told to reconnect (1001) and turns in flight
        finish (the app's on_shutdown); then the sockets close. A WebSocket handshake
        that ends meanwhile is answered 503."""
        if self.hub is not None:
            self.hub.stop()
        if self.server is not None:
            self.server.close()
        await self.runner.cleanup()
        if self.hub is not None:
            await self.hub.drain(CLOSE_SECONDS)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self.server is not None:
            with contextlib.suppress(TimeoutError):  # (3.12 waits for every connection)
                await asyncio.wait_for(self.server.wait_closed(), CLOSE_SECONDS)


async def serve_web(chat: WebChat, *, host: str, port: int, watch: bool = False) -> None:
    """``baken web`` until SIGINT or SIGTERM: open sockets are closed (1001), turns finish."""
    reload_task = install_reload(chat.holder, watch=watch)
    settle_heap()
    server = WebServer(chat)
    try:
        bound = await server.start(host, port)
        log.info("web_listening", mode="web", host=host, port=bound)
        await until_stopped()
        log.info("stopping", mode="web")
    finally:
        with contextlib.suppress(Exception):
            await server.close()
        if reload_task is not None:
            reload_task.cancel()
        await chat.store.close()
