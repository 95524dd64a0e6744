"""The HTTP side of ``baken webhook`` (aiohttp): Telegram's updates in.

Routes:

- ``POST /telegram``: one update from Telegram. Checks, in this order, each answered
  at once without reading more than needed:
  the ``X-Telegram-Bot-Api-Secret-Token`` header against the secret
  (``hmac.compare_digest``; missing or wrong: **403**, nothing read or processed),
  ``Content-Type: application/json`` (**415**), a body of at most 1 MiB (**413**),
  read within 10 seconds (**408**), a JSON object with an integer ``update_id``
  (**400**). Then the update is handed to ``feed`` and answered **200** with an
  empty body (a JSON body would be taken by Telegram as a method call). Another
  method on this path: **405** (aiohttp's router).
- ``GET /healthz`` and ``GET /metrics``: see :mod:`bot.monitoring`. Keep them off
  the public internet (see README, "Put it on Telegram").

Nothing about a request is logged: no access log, no addresses, no bodies.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.metrics import Metrics
from bot.monitoring import Health, add_monitoring
from bot.webhooks import MAX_BODY, read_body

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name

Feed = Callable[[dict[str, Any]], Awaitable[None]]


def _reply(code: int, text: str = "") -> web.Response:
    return web.Response(status=code, text=text, content_type="text/plain")


def build_webhook_app(
    *,
    secret: str,
    feed: Feed,
    health: Health,
    metrics: Metrics,
    path: str = "/telegram",
) -> web.Application:
    """The aiohttp application; ``feed`` receives each accepted update as a dict."""
    if not secret:
        raise ValueError("a webhook secret is required")
    expected = secret.encode("utf-8")

    async def telegram(request: web.Request) -> web.Response:
        status = await _accept(request)
        metrics.webhook(status)
        return _reply(status)

    async def _accept(request: web.Request) -> int:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            return 403
        if request.content_type != "application/json":
            return 415
        body = await read_body(request)
        if isinstance(body, int):
            return body  # too large, or too slow
        try:
            data = json.loads(body)
        except ValueError:  # also bad UTF-8
            return 400
        if not isinstance(data, dict):
            return 400
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return 400
        await feed(data)
        return 200

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, telegram)
    add_monitoring(app, health=health, metrics=metrics)
    return app
