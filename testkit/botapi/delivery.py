"""Delivering updates to the bot: the queue, ``getUpdates`` with real long polling and
``allowed_updates``, and webhooks (``POST`` to the bot's address with the secret header)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientSession, ClientTimeout

from testkit.botapi.shapes import (
    _AUTO,
    _DEFAULT_ALLOWED,
    JSON,
    SECRET_HEADER,
    BotAPIError,
    _as_int,
    _bad,
    _dumps,
    _update_type,
)


class Delivery:
    """Part of :class:`~testkit.botapi.server.StandinBotAPI`: updates to the bot."""

    # ----------------------------------------------------------------- updates

    def push_update(self, update: JSON) -> JSON:
        """Queue an update for getUpdates (an update_id is added when missing)."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self._queue.append((update["update_id"], _update_type(update), update))
        self._wake_pollers("update")
        return update

    def _wake_pollers(self, reason: str) -> None:
        for poller in self._pollers:
            if not poller.done():
                poller.set_result(reason)

    def _collect(self, limit: int) -> list[JSON]:
        allowed = self._allowed
        batch = []
        for _, kind, update in self._queue:
            if kind in allowed:
                batch.append(update)
                if len(batch) >= limit:
                    break
        return batch

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook.get("url"):
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset", 0), "offset")
        limit = min(max(_as_int(params.get("limit", 100), "limit"), 1), 100)
        try:
            timeout = min(max(float(params.get("timeout") or 0), 0.0), 50.0)
        except (TypeError, ValueError):
            raise _bad("invalid timeout specified") from None
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        queue = self._queue
        if offset > 0:
            while queue and queue[0][0] < offset:
                queue.popleft()
        elif offset < 0:
            while len(queue) > -offset:
                queue.popleft()
        # Telegram ends an older long poll when a newer one arrives.
        self._wake_pollers("conflict")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._collect(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._stopping.is_set():
                return batch
            poller: asyncio.Future[str] = loop.create_future()
            self._pollers.add(poller)
            try:
                reason = await asyncio.wait_for(poller, remaining)
            except TimeoutError:
                return []
            finally:
                self._pollers.discard(poller)
            if reason == "conflict":
                raise BotAPIError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )

    def _set_allowed(self, allowed: Any) -> None:
        if isinstance(allowed, str):
            allowed = json.loads(allowed)
        if allowed is None:
            return
        self._allowed = frozenset(allowed) if allowed else _DEFAULT_ALLOWED

    async def post_webhook(
        self, url: str | None, update: JSON, *, secret: str | None = _AUTO
    ) -> int:
        """POST an update to a webhook as Telegram does and return the HTTP status.

        ``url=None`` uses the URL from setWebhook; ``secret`` defaults to the secret_token
        from setWebhook (None sends no secret header).
        """
        target = url or self.webhook.get("url")
        if not target:
            raise ValueError("no webhook url given and none set with setWebhook")
        if secret is _AUTO:
            secret = self.webhook.get("secret_token")
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        async with self._session.post(target, data=_dumps(update), headers=headers) as reply:
            await reply.read()
            return reply.status
