"""Faults the stand-in injects into the next calls of a method: 429 with ``retry_after``,
5xx, slow answers, timeouts, connection resets, malformed JSON (:meth:`Faults.inject`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from aiohttp import web

from testkit.botapi.shapes import (
    _NGINX_PAGE,
    FAULTS,
    JSON,
    BotAPIError,
    _error,
    _Fault,
)


class Faults:
    """Part of :class:`~testkit.botapi.server.StandinBotAPI`: injecting and serving faults."""

    def inject(
        self,
        method: str,
        fault: str,
        times: int = 1,
        *,
        retry_after: int = 3,
        delay: float | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any) with a fault.

        - ``"429"``: Too Many Requests with ``parameters.retry_after``; nothing happens.
        - ``"500"``: JSON Internal Server Error; ``"502"``/``"503"``: nginx HTML page.
        - ``"slow"``: wait ``delay`` seconds (default 1), then act and answer normally.
        - ``"timeout"``: act at once, hold the answer ``delay`` seconds (default 30), as when
          Telegram sent the message but the answer never arrived in time.
        - ``"reset"``: close the connection without an answer; nothing happens.
        - ``"malformed"``: 200 with a body that is not JSON; nothing happens.
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {sorted(FAULTS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if delay is None:
            delay = 30.0 if fault == "timeout" else 1.0
        key = method if method == "*" else self._canonical(method)
        self._faults.setdefault(key, deque()).append(_Fault(fault, times, retry_after, delay))

    def pending_faults(self, method: str) -> int:
        """Faults injected for ``method`` that no call has taken yet."""
        key = method if method == "*" else self._canonical(method)
        return sum(fault.remaining for fault in self._faults.get(key, ()))

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method) or self._faults.get("*")
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        self.faults_served += 1
        return fault

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _serve_fault(
        self, request: web.Request, method: str, params: JSON, fault: _Fault, bot: JSON
    ) -> web.StreamResponse:
        kind = fault.kind
        if kind == "slow":
            await self._pause(fault.delay)
        self._record(method, params, kind)
        if kind in ("slow", "timeout"):
            response = await self._answer(method, params, bot)
            if kind == "timeout":
                await self._pause(fault.delay)
            return response
        if kind == "429":
            return _error(
                BotAPIError(
                    429,
                    f"Too Many Requests: retry after {fault.retry_after}",
                    {"retry_after": fault.retry_after},
                )
            )
        if kind == "500":
            return _error(BotAPIError(500, "Internal Server Error"))
        if kind in ("502", "503"):
            reason = "Bad Gateway" if kind == "502" else "Service Temporarily Unavailable"
            page = _NGINX_PAGE.format(code=kind, reason=reason)
            return web.Response(status=int(kind), text=page, content_type="text/html")
        if kind == "malformed":
            return web.Response(
                body=b'{"ok":true,"result":{"message_id":', content_type="text/html"
            )
        # "reset": drop the connection; aiohttp then has nothing to write to.
        if request.transport is not None:
            request.transport.abort()
        raise web.HTTPException()
