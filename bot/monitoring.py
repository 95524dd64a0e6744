"""``GET /healthz`` and ``GET /metrics`` for the HTTP servers (webhook, web chat).

- ``/healthz``: **200** ``ok``, or **503** when the session store does not answer.
- ``/metrics``: the Prometheus text format (see :mod:`bot.metrics`).

Both are for an operator's own monitoring on 127.0.0.1; keep them off the public
internet (see README). Nothing about a request is logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.metrics import Metrics

HEALTH_TIMEOUT = 2.0

Health = Callable[[], Awaitable[bool]]


def add_monitoring(app: web.Application, *, health: Health, metrics: Metrics) -> None:
    """Add ``/healthz`` and ``/metrics`` to ``app``."""

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                ok = await health()
        except Exception:  # a store that raises is as unhealthy as one that says so
            ok = False
        if ok:
            return web.Response(status=200, text="ok", content_type="text/plain")
        return web.Response(status=503, text="store unavailable", content_type="text/plain")

    async def metrics_page(request: web.Request) -> web.Response:
        body, content_type = metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
