"""baken's own small client for the Cloud API's ``POST /{phone-number-id}/messages``.

Why not pywa, the best kept WhatsApp library for Python: its client is built on httpx
with no retries of its own, and its webhook side wants FastAPI, Flask or Starlette with
uvicorn (or a hand-made bridge), while baken's servers are aiohttp; it also reads every
notification into objects, the person's profile name included, which baken must drop
unread. baken needs one call (send a message) with retries that never send twice, so
this module is that call on the aiohttp session baken already has (aiohttp parses HTTP
in C; see ``bench/PROFILE.md`` for what the HTTP client costs a busy bot).

What it does:

- one ``ClientSession`` with a bounded pool of keep-alive connections (:meth:`start`,
  :meth:`close`), a timeout for connecting and one for the answer;
- **retries** with exponential backoff (bounded: ``max_retries`` times, at most
  ``max_backoff`` seconds a wait) when nothing was sent: a connection that failed or was
  dropped before an answer, HTTP 429 and 5xx, and the error codes Meta documents as
  "try again later" (throughput and pair rate limits, service unavailable);
- **no retry** after a timeout waiting for the answer: the message may have gone out,
  and a message shown twice is worse than one that did not arrive;
- the error codes that mean "stop sending to this person" (outside the 24-hour window,
  undeliverable, the person stopped messages from this business) raise
  :class:`RecipientGoneError`; the channel ends the turn and sends nothing more.

Nothing about a request is logged here; the person's number travels only in the body.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

JSON = dict[str, Any]

# Graph API error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
RETRY_CODES = frozenset(
    {
        1,  # API unknown (temporary)
        2,  # API service: temporarily unavailable
        4,  # application request limit reached
        80007,  # WhatsApp Business Account rate limit
        130429,  # Cloud API throughput reached
        131016,  # service unavailable
        131056,  # pair rate limit: too many messages to the same person in a short time
    }
)
STOP_CODES = frozenset(
    {
        131026,  # undeliverable (not on WhatsApp, an old app, or the business is blocked)
        131047,  # re-engagement: more than 24 hours since the person last wrote
        131050,  # the person stopped messages from this business
    }
)
# Meta's codes as words for the logs (a closed list; a number of 5+ digits would be redacted).
REASONS = {
    0: "network",
    4: "app_rate_limit",
    100: "invalid_parameter",
    190: "access_token",
    130429: "throughput",
    131000: "meta_error",
    131016: "service_unavailable",
    131026: "undeliverable",
    131047: "outside_24_hours",
    131050: "stopped_by_person",
    131056: "pair_rate_limit",
}


def reason(code: int) -> str:
    """A word for Meta's error ``code`` (``other`` for codes baken does not name)."""
    return REASONS.get(code, "other")


# Failures after which the request surely did not reach Meta (see the Telegram transport).
_NOT_ARRIVED = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)


class GraphError(Exception):
    """A message was not sent. ``code``: Meta's error code, or the HTTP status, or 0."""

    def __init__(self, code: int, status: int = 0) -> None:
        super().__init__(f"Graph API error {code} (HTTP {status})")
        self.code = code
        self.status = status


class RecipientGoneError(GraphError):
    """Meta says: stop sending to this person (see ``STOP_CODES``)."""


class GraphClient:
    """Sends messages for one business phone number; see the module docstring."""

    def __init__(
        self,
        *,
        api_url: str,
        phone_number_id: str,
        token: str,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        pool: int = 64,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = f"{api_url.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=connect_timeout, sock_read=read_timeout
        )
        self._pool = pool
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self.retried = 0  # requests made again, in all (for tests and benchmarks)

    async def start(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool, keepalive_timeout=30.0)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds before attempt ``attempt + 1``: Retry-After when given, else backoff."""
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after.strip()), self.max_backoff)
        return min(self.backoff * 2.0**attempt, self.max_backoff)

    async def send(self, to: str, message: JSON) -> None:
        """Send ``message`` (a Cloud API message without its recipient) to ``to``.

        Raises :class:`RecipientGoneError` or :class:`GraphError` when it was not sent.
        """
        if self._session is None or self._session.closed:
            await self.start()
        assert self._session is not None
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        payload.update(message)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        for attempt in range(self.max_retries + 1):
            retry_after: str | None = None
            try:
                async with self._session.post(self.url, data=body, headers=self._headers) as reply:
                    status = reply.status
                    retry_after = reply.headers.get("Retry-After")
                    answer = await reply.read()
            except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
                if isinstance(exc, aiohttp.ConnectionTimeoutError):
                    error = GraphError(0)  # never connected: nothing was sent
                else:
                    raise GraphError(0) from None  # it may have been sent: never twice
            except _NOT_ARRIVED:
                error = GraphError(0)
            except aiohttp.ClientError:
                raise GraphError(0) from None
            else:
                if 200 <= status < 300:
                    return
                code = _code(answer) or status
                if code in STOP_CODES:
                    raise RecipientGoneError(code, status)
                if not (status == 429 or status >= 500 or code in RETRY_CODES):
                    raise GraphError(code, status)
                error = GraphError(code, status)
            if attempt == self.max_retries:
                raise error
            self.retried += 1
            await self._sleep(self.wait(attempt, retry_after))
        raise AssertionError("unreachable")  # pragma: no cover


def _code(answer: bytes) -> int:
    """Meta's error code in an error answer, 0 when there is none."""
    try:
        data = json.loads(answer)
    except ValueError:
        return 0
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else 0
