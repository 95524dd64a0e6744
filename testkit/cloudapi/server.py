"""The stand-in Cloud API: ``POST /{version}/{phone-number-id}/messages`` over real HTTP on
127.0.0.1, every request checked against the documented limits (:mod:`.rules`), faults on
demand, and notifications built and signed as Meta sends them (:mod:`.notifications`)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from testkit.cloudapi import notifications, rules

JSON = dict[str, Any]
DEFAULT_TOKEN = "standin-whatsapp-token"
DEFAULT_PHONE_NUMBER_ID = "109876543210987"
DEFAULT_APP_SECRET = "standin-app-secret-0123456789"
VERSION = "v23.0"

# What a fault answers: (HTTP status, Meta's error code); None: the connection is dropped.
FAULTS: dict[str, tuple[int, int] | None] = {
    "throughput": (400, 130429),  # Cloud API throughput reached
    "pair": (400, 131056),  # pair rate limit
    "too_many": (429, 4),  # application request limit
    "server": (500, 131000),  # something went wrong
    "unavailable": (503, 131016),  # service unavailable
    "drop": None,  # the connection closes without an answer: nothing was sent
}
# Answers for a person who cannot be written to any more.
GONE = {"window": 131047, "undeliverable": 131026, "stopped": 131050}


@dataclass(frozen=True)
class Call:
    """One request to ``/messages`` as the stand-in saw it."""

    at: float
    to: str
    body: JSON
    fault: str | None = None  # the injected fault it got, if any
    refused: tuple[str, ...] = ()  # the rules it broke (answered 400)

    @property
    def ok(self) -> bool:
        return self.fault is None and not self.refused

    @property
    def text(self) -> str:
        """What the person reads: a text's body, or an interactive message's body."""
        if self.body.get("type") == "text":
            return str(self.body.get("text", {}).get("body", ""))
        return str(self.body.get("interactive", {}).get("body", {}).get("text", ""))

    @property
    def kind(self) -> str:
        """``text``, ``button``, ``list`` or ``cta_url``."""
        if self.body.get("type") == "interactive":
            return str(self.body.get("interactive", {}).get("type"))
        return str(self.body.get("type", "text"))

    @property
    def options(self) -> dict[str, str]:
        """Title -> id of the reply buttons or list rows of this message."""
        interactive = self.body.get("interactive", {})
        action = interactive.get("action", {})
        if interactive.get("type") == "button":
            return {b["reply"]["title"]: b["reply"]["id"] for b in action.get("buttons", [])}
        if interactive.get("type") == "list":
            rows = [r for s in action.get("sections", []) for r in s.get("rows", [])]
            return {r.get("description") or r["title"]: r["id"] for r in rows}
        return {}


@dataclass
class _Waiter:
    predicate: Callable[[Call], bool]
    count: int
    found: list[Call] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class StandinCloudAPI:
    """Start it, point ``WHATSAPP_API_URL`` at :attr:`api_url`, assert on what it saw."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
        app_secret: str = DEFAULT_APP_SECRET,
        history: int | None = None,
    ) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.history = history
        self.calls: list[Call] = []
        self.count = 0  # messages accepted, never capped
        self.chats: dict[str, list[Call]] = defaultdict(list)
        self.gone: dict[str, int] = {}
        self._faults: list[str] = []
        self._waiters: list[_Waiter] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._seq = 0

    # ------------------------------------------------------------ lifecycle

    @property
    def api_url(self) -> str:
        """What ``WHATSAPP_API_URL`` should be."""
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=256 * 1024)
        app.router.add_post(f"/{VERSION}/{{phone}}/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> StandinCloudAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ faults and people

    def inject(self, fault: str, times: int = 1) -> None:
        """The next ``times`` requests get ``fault`` (a name in ``FAULTS``)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {sorted(FAULTS)}")
        self._faults += [fault] * times

    def block(self, wa_id: str, why: str = "window") -> None:
        """Messages to ``wa_id`` are refused from now on with the error of ``why``."""
        self.gone[wa_id] = GONE[why]

    # ------------------------------------------------------------ the endpoint

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token")
        if request.match_info["phone"] != self.phone_number_id:
            return _error(400, 100, "Unsupported post request: unknown phone number id")
        if request.content_type != "application/json":
            return _error(400, 100, "Content-Type must be application/json")
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(400, 100, "Invalid JSON")
        to = str(body.get("to", "")) if isinstance(body, dict) else ""
        if self._faults:
            fault = self._faults.pop(0)
            self._record(Call(time.monotonic(), to, body, fault=fault))
            answer = FAULTS[fault]
            if answer is None:
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=500)  # never reaches the client
            return _error(answer[0], answer[1], f"injected fault {fault}")
        broken = tuple(rules.problems(body))
        if broken:
            self._record(Call(time.monotonic(), to, body, refused=broken))
            return _error(400, 100, "Invalid parameter: " + "; ".join(broken))
        if to in self.gone:
            self._record(Call(time.monotonic(), to, body, fault="gone"))
            return _error(400, self.gone[to], "Recipient cannot be reached")
        call = Call(time.monotonic(), to, body)
        self.count += 1
        self._record(call)
        self.chats[to].append(call)
        if self.history is not None and len(self.chats[to]) > self.history:
            del self.chats[to][0]
        self._seq += 1
        reply = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": notifications.wamid(to, self._seq)}],
        }
        return web.json_response(reply)

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        if self.history is not None and len(self.calls) > self.history:
            del self.calls[: self.history // 2]
        for waiter in list(self._waiters):
            if waiter.predicate(call):
                waiter.found.append(call)
                if len(waiter.found) >= waiter.count:
                    waiter.done.set()

    # ------------------------------------------------------------ assertions

    def violations(self) -> list[Call]:
        """Requests refused for breaking a documented rule (a test wants none)."""
        return [c for c in self.calls if c.refused]

    def sent(self, wa_id: str) -> list[Call]:
        """Messages accepted for ``wa_id``, in order."""
        return list(self.chats.get(wa_id, []))

    async def wait_for(
        self,
        predicate: Callable[[Call], bool],
        count: int = 1,
        timeout: float = 15.0,  # noqa: ASYNC109
        *,
        since: int | None = None,
    ) -> list[Call]:
        """The first ``count`` calls matching ``predicate`` (from call number ``since``
        on, default: from now), waiting for them."""
        start = len(self.calls) if since is None else since
        waiter = _Waiter(predicate, count)
        waiter.found = [c for c in self.calls[start:] if predicate(c)]
        if len(waiter.found) >= count:
            return waiter.found[:count]
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter.done.wait()
        except TimeoutError:
            raise AssertionError(
                f"waited {timeout}s for {count} call(s); got {len(waiter.found)}; last calls: "
                f"{[(c.kind, c.text[:60], c.fault, c.refused) for c in self.calls[-5:]]}"
            ) from None
        finally:
            self._waiters.remove(waiter)
        return waiter.found[:count]

    # ------------------------------------------------------------ notifications

    def notification(self, wa_id: str, message: JSON, *, name: str = "Sam") -> JSON:
        """A ``messages`` notification for our phone number (see :mod:`.notifications`)."""
        return notifications.envelope(self.phone_number_id, wa_id, message, name=name)

    async def post(
        self,
        url: str,
        body: JSON | bytes,
        *,
        secret: str | None = None,
        signature: str | None = None,
        sign: bool = True,
    ) -> int:
        """POST a notification to baken's webhook, signed like Meta (with the app secret,
        another ``secret``, a given ``signature``, or unsigned); its HTTP status."""
        return await notifications.post(
            url,
            body,
            secret=self.app_secret if secret is None else secret,
            signature=signature,
            sign=sign,
        )


def _error(status: int, code: int, message: str) -> web.Response:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Standin"}
    return web.json_response({"error": error}, status=status)
