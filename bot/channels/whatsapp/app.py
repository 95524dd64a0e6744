"""``baken whatsapp``: the Cloud API's webhook (aiohttp) around the WhatsApp channel.

Routes:

- ``GET /whatsapp``: Meta's verification handshake. With ``hub.mode=subscribe`` and
  ``hub.verify_token`` equal to ``WHATSAPP_VERIFY_TOKEN`` (``hmac.compare_digest``) the
  answer is ``hub.challenge`` (**200**); anything else is **403**.
- ``POST /whatsapp``: one notification. Checks, in this order: a body of at most 1 MiB
  (**413**), read within 10 seconds (**408**), then ``X-Hub-Signature-256`` against the
  HMAC-SHA256 of the raw body with ``WHATSAPP_APP_SECRET`` (constant-time compare;
  missing or wrong: **403**, and the body is never parsed); then JSON (**400**). An
  accepted notification is answered **200** at once and its messages are handled in
  tasks of their own (Meta sends a notification again when the answer is slow);
  statuses and everything else in it are ignored.
- ``GET /healthz`` and ``GET /metrics``: see :mod:`bot.monitoring`; keep them off the
  public internet (README, "Put it on WhatsApp").

Nothing about a request is logged: no access log, no addresses, no bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.channels.whatsapp.graph import GraphClient
from bot.channels.whatsapp.pacing import BUDGET, Pacer
from bot.conversation import Conversations
from bot.host import build_host
from bot.lifecycle import until_stopped
from bot.logs import get_logger
from bot.metrics import Metrics
from bot.monitoring import add_monitoring
from bot.serving import ContentHolder, install_reload
from bot.settings import Settings
from bot.stores import SessionStore
from bot.webhooks import MAX_BODY, read_body

PATH = "/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

log = get_logger("baken.whatsapp")


def signature(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def build_whatsapp_app(
    channel: WhatsAppChannel,
    *,
    app_secret: str,
    verify_token: str,
    phone_number_id: str,
) -> web.Application:
    """The aiohttp application of ``baken whatsapp`` around ``channel``."""
    if not (app_secret and verify_token and phone_number_id):
        raise ValueError("the app secret, the verify token and the phone number id are required")
    secret = app_secret.encode()
    token = verify_token.encode()
    metrics = channel.metrics

    async def verify(request: web.Request) -> web.Response:
        query = request.query
        given = query.get("hub.verify_token", "").encode("utf-8", "surrogateescape")
        challenge = query.get("hub.challenge", "")
        if (
            query.get("hub.mode") == "subscribe"
            and hmac.compare_digest(given, token)
            and _CHALLENGE.match(challenge)
        ):
            return web.Response(text=challenge, content_type="text/plain")
        return web.Response(status=403, text="", content_type="text/plain")

    async def notification(request: web.Request) -> web.Response:
        status = await _accept(request)
        metrics.webhook(status)
        return web.Response(status=status, text="", content_type="text/plain")

    async def _accept(request: web.Request) -> int:
        body = await read_body(request)
        if isinstance(body, int):
            return body  # too large, or too slow
        given = request.headers.get(SIGNATURE_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, signature(secret, body).encode()):
            return 403  # unsigned or forged: never parsed
        try:
            data = json.loads(body)
        except ValueError:  # also bad UTF-8
            return 400
        channel.receive(data, phone_number_id)
        return 200

    async def background(app: web.Application) -> AsyncIterator[None]:
        await channel.client.start()
        yield
        await channel.finish()
        await channel.pacer.close()
        await channel.client.close()

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_get(PATH, verify)
    app.router.add_post(PATH, notification)
    add_monitoring(app, health=channel.core.store.ping, metrics=metrics)
    app.cleanup_ctx.append(background)
    return app


# ---------------------------------------------------------------- building and running


@dataclass
class WhatsApp:
    """Everything :func:`build` made, for running, testing and benchmarking."""

    app: web.Application
    channel: WhatsAppChannel
    core: Conversations
    store: SessionStore
    metrics: Metrics
    holder: ContentHolder


def settings_problems(settings: Settings) -> list[str]:
    """Why ``baken whatsapp`` cannot start with these settings ([] when it can)."""
    return [
        f"{name} is not set"
        for name in (
            "WHATSAPP_TOKEN",
            "WHATSAPP_APP_SECRET",
            "WHATSAPP_VERIFY_TOKEN",
            "WHATSAPP_PHONE_NUMBER_ID",
        )
        if not getattr(settings, name)
    ]


def build(
    settings: Settings,
    *,
    store: SessionStore | None = None,
    holder: ContentHolder | None = None,
    metrics: Metrics | None = None,
    pacer: Pacer | None = None,
    clock: Callable[[], float] = time.time,
) -> WhatsApp:
    """The WhatsApp webhook on the settings' content and store; nothing opens until it runs."""
    problems = settings_problems(settings)
    if problems:
        raise ValueError("; ".join(problems))
    token, secret, verify = (
        settings.WHATSAPP_TOKEN,
        settings.WHATSAPP_APP_SECRET,
        settings.WHATSAPP_VERIFY_TOKEN,
    )
    phone_number_id = settings.WHATSAPP_PHONE_NUMBER_ID
    assert token is not None
    assert secret is not None
    assert verify is not None
    assert phone_number_id is not None
    host = build_host(settings, store=store, holder=holder, metrics=metrics, clock=clock)
    client = GraphClient(
        api_url=settings.WHATSAPP_API_URL,
        phone_number_id=phone_number_id,
        token=token.get_secret_value(),
    )
    if pacer is None:  # with Redis, one budget for the number, shared by every worker
        budget = host.store.budget(BUDGET, settings.WHATSAPP_RATE, 1)
        pacer = Pacer(rate=settings.WHATSAPP_RATE, budget=budget)
    channel = WhatsAppChannel(host.core, host.keys, client, pacer)
    app = build_whatsapp_app(
        channel,
        app_secret=secret.get_secret_value(),
        verify_token=verify.get_secret_value(),
        phone_number_id=phone_number_id,
    )
    return WhatsApp(app, channel, host.core, host.store, host.metrics, host.holder)


async def serve_whatsapp(wa: WhatsApp, *, host: str, port: int, watch: bool = False) -> None:
    """``baken whatsapp`` until SIGINT or SIGTERM; turns in flight finish first."""
    reload_task = install_reload(wa.holder, watch=watch)
    runner = web.AppRunner(wa.app, access_log=None, shutdown_timeout=5.0)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        log.info("whatsapp_listening", mode="whatsapp", host=host, port=bound)
        await until_stopped()
        log.info("stopping", mode="whatsapp")
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
        if reload_task is not None:
            reload_task.cancel()
        await wa.store.close()


def run(settings: Settings, *, host: str, port: int, watch: bool = False) -> int:
    """``baken whatsapp``: the webhook until stopped; say what went wrong (an exit status)."""
    problems = settings_problems(settings)
    if problems:
        sys.stderr.write(
            f"baken whatsapp: {'; '.join(problems)}. WhatsApp is off until an organisation "
            "switches it on (README: 'Put it on WhatsApp').\n"
        )
        return 2
    wa = build(settings)
    try:
        asyncio.run(serve_whatsapp(wa, host=host, port=port, watch=watch))
    except OSError as exc:
        sys.stderr.write(f"baken whatsapp: {exc.strerror or type(exc).__name__}\n")
        return 1
    return 0
