"""The JSON control API under ``/_control/``, for a load generator in another process:
``POST updates``, ``GET calls``, ``GET messages``, ``POST reset``, ``POST inject``."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from testkit.botapi.shapes import (
    _ok,
    _response,
)


class Control:
    """Part of :class:`~testkit.botapi.server.StandinBotAPI`: the ``/_control/`` handlers."""

    _BUILDERS: Final = frozenset(
        {
            "text_update",
            "command_update",
            "callback_update",
            "contact_update",
            "location_update",
            "sticker_update",
            "photo_update",
            "voice_update",
            "group_text_update",
            "my_chat_member_update",
            "edited_message_update",
            "channel_post_update",
        }
    )

    async def _control_updates(self, request: web.Request) -> web.Response:
        body = await request.json()
        items = body.get("updates", []) if isinstance(body, dict) else body
        ids = []
        try:
            for item in items:
                if "build" in item:
                    if item["build"] not in self._BUILDERS:
                        raise ValueError(f"unknown builder {item['build']!r}")
                    item = getattr(self, item["build"])(**item.get("args", {}))
                ids.append(self.push_update(item)["update_id"])
        except (TypeError, ValueError) as exc:
            return _response(400, {"ok": False, "description": str(exc)})
        return _ok({"queued": len(ids), "update_ids": ids})

    async def _control_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        limit = int(request.query.get("limit", "50"))
        calls = self.calls_of(method) if method else list(self._calls)
        recent = (
            [
                {"method": c.method, "params": c.params, "at": c.at, "fault": c.fault}
                for c in calls[-limit:]
            ]
            if limit > 0
            else []
        )
        result = {
            "total": sum(self.counts.values()),
            "counts": dict(self.counts),
            "count": self.counts.get(self._canonical(method), 0) if method else None,
            "faults_served": self.faults_served,
            "violations": len(self.violations),
            "pending_updates": len(self._queue),
            "recent": recent,
        }
        return _ok(result)

    async def _control_messages(self, request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        return _ok({"messages": self.messages(chat_id), "sent_texts": self.sent_texts(chat_id)})

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return _ok(True)

    async def _control_inject(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            self.inject(
                body.get("method", "*"),
                str(body["fault"]),
                int(body.get("times", 1)),
                retry_after=int(body.get("retry_after", 3)),
                delay=body.get("delay"),
            )
        except (KeyError, ValueError) as exc:
            return _response(400, {"ok": False, "description": str(exc)})
        return _ok(True)
