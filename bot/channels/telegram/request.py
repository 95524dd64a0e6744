"""Retries towards the Bot API that never send a reply twice.

:class:`RetryingRequest` wraps PTB's ``HTTPXRequest`` at the HTTP seam, where the
status code and the transport error are still visible. What is retried, with
exponential backoff and jitter (at most ``attempts`` tries in all):

- **5xx answers** (500, 502, 503, 504): Telegram (or its front proxy) did not carry
  out the call. Retried for every method.
- **The request surely did not arrive** (connect error or timeout, no free pooled
  connection, a write that failed): retried for every method. Both transports are
  read: httpx's errors and aiohttp's (:func:`~bot.channels.telegram.transport.surely_not_arrived`).
- **The server closed the connection without any answer** (``RemoteProtocolError``)
  and **a 200 whose body is not JSON**: in practice a keep-alive connection that
  was already closed, or a broken proxy, before Telegram acted; the stand-in Bot API
  models both as "nothing happened". Retried for every method.
- **The answer did not come in time** (read timeout, read error): Telegram had the
  whole request and may well have acted. Retried only for calls that are safe to
  repeat (edits, deletes, answering a button, leaving, settings): repeating
  ``sendMessage`` could show the same message twice. So a send that timed out is
  *not* repeated; the person most likely got it, and we only lose its id for erase.
  That is the deliberate trade: a duplicate is certain harm (it looks like a second
  message, in a chat someone else may read), a loss is unlikely. Read timeouts are
  generous so this is rare.
- **429 Too Many Requests**: left to the send scheduler (which pauses every release
  for ``retry_after``, see :mod:`bot.channels.telegram.scheduler`) when it is on.
  With ``BAKEN_RATE_LIMIT=off`` this layer honours ``retry_after`` itself, so a 429
  never loses a reply.

``getUpdates`` is never wrapped: PTB's updater has its own retry loop. Once the
process is stopping (:meth:`RetryingRequest.stop_retrying`), nothing is retried any
more, so a shutdown while the Bot API is unreachable does not take minutes.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.channels.telegram.transport import surely_not_arrived
from bot.logs import get_logger

# Methods that may be sent again without showing the person anything twice.
_NOT_REPEATABLE_PREFIXES = ("send", "copy", "forward")
_NOT_ARRIVED = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
)
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0

RetryHook = Callable[[str, str], None]


def repeatable(method: str) -> bool:
    """True when calling this Bot API method twice shows nothing twice."""
    return not method.lower().startswith(_NOT_REPEATABLE_PREFIXES)


def _arrived_maybe(exc: BaseException) -> bool:
    """False when the request surely never reached the server (or was cut off unprocessed)."""
    cause = exc.__cause__
    return not (isinstance(cause, _NOT_ARRIVED) or surely_not_arrived(cause))


def _retry_after(payload: bytes) -> float | None:
    try:
        doc = json.loads(payload)
        value = doc["parameters"]["retry_after"]
    except (ValueError, KeyError, TypeError):
        return None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _is_json_object(payload: bytes) -> bool:
    body = payload.strip()
    return body.startswith(b"{") and body.endswith(b"}")


class RetryingRequest(BaseRequest):
    """A ``BaseRequest`` that retries another one; see the module docstring for what and when."""

    def __init__(
        self,
        inner: BaseRequest,
        *,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        honour_retry_after: bool = False,
        on_retry: RetryHook | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._inner = inner
        self._attempts = attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._honour_retry_after = honour_retry_after
        self._on_retry = on_retry
        self._retrying = True
        self._log = get_logger("baken.telegram")

    def stop_retrying(self) -> None:
        """From now on every call is tried once (the process is shutting down)."""
        self._retrying = False

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    def _delay(self, attempt: int) -> float:
        base = min(self._max_backoff, self._backoff * 2.0 ** (attempt - 1))
        return float(base * random.uniform(0.75, 1.25))

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self._attempts or not self._retrying
            try:
                code, payload = await self._inner.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,  # type: ignore[arg-type]
                    write_timeout=write_timeout,  # type: ignore[arg-type]
                    connect_timeout=connect_timeout,  # type: ignore[arg-type]
                    pool_timeout=pool_timeout,  # type: ignore[arg-type]
                )
            except (TimedOut, NetworkError) as exc:
                if last or (_arrived_maybe(exc) and not repeatable(api_method)):
                    raise
                reason = type(exc.__cause__ or exc).__name__
                delay = self._delay(attempt)
            else:
                if code in _RETRY_STATUSES and not last:
                    reason, delay = str(code), self._delay(attempt)
                elif code == 429 and self._honour_retry_after and not last:
                    wait = _retry_after(payload)
                    if wait is None or wait > MAX_RETRY_AFTER:
                        return code, payload
                    reason, delay = "429", wait + 0.1
                elif 200 <= code <= 299 and not _is_json_object(payload) and not last:
                    reason, delay = "malformed", self._delay(attempt)
                else:
                    return code, payload
            self._log.info(
                "api_retry", method=api_method, attempt=attempt, reason=reason, seconds=delay
            )
            if self._on_retry is not None:
                self._on_retry(api_method, reason)
            await asyncio.sleep(delay)
