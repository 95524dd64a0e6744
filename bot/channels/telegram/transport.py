"""The Bot API's HTTP transport on aiohttp: PTB's ``BaseRequest`` without httpx.

Profiles of a busy bot put four fifths of its time in the HTTP client (see
``bench/PROFILE.md``). aiohttp, already a dependency for the webhook and web servers,
parses HTTP in C; used for the Bot API it does the same work for less CPU.

What it does, as PTB's ``HTTPXRequest`` does:

- one ``ClientSession`` with a bounded pool of keep-alive connections, made in
  :meth:`initialize` and closed in :meth:`shutdown`;
- parameters as one JSON document, numbers and nested objects as they are (files,
  which baken never sends, as multipart);
- PTB's timeouts: ``pool`` + ``connect`` (waiting for a pooled connection and
  connecting), ``read`` (each read of the answer; PTB adds the long-poll time for
  ``getUpdates``); aiohttp has no write timeout, and baken's bodies are small;
- failures become PTB's ``TimedOut`` (timeouts) or ``NetworkError`` (the rest), with the
  aiohttp exception as ``__cause__`` so that :mod:`~bot.channels.telegram.request`
  can tell a request that surely never arrived (:func:`surely_not_arrived`) from one
  that may have been carried out.

Nothing about a request is logged here.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# Failures after which Telegram surely did not act on the request: it never reached the
# server, or the server closed the connection without answering (a stale keep-alive
# connection, or a proxy in between that dropped it) — as httpx's equivalents are read.
_NOT_ARRIVED = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)


def surely_not_arrived(cause: BaseException | None) -> bool:
    """True when an aiohttp failure means the request was not carried out."""
    if isinstance(cause, aiohttp.SocketTimeoutError):  # the answer did not come in time
        return False
    return isinstance(cause, _NOT_ARRIVED)


class AiohttpRequest(BaseRequest):
    """PTB's ``BaseRequest`` on an aiohttp session; see the module docstring."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 128,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout  # kept for PTB's interface; see _timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size, limit_per_host=self._pool_size, keepalive_timeout=30.0
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                skip_auto_headers=("User-Agent",),
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _timeout(
        self, read: object, write: object, connect: object, pool: object
    ) -> aiohttp.ClientTimeout:
        def value(given: object, default: float | None) -> float | None:
            if isinstance(given, DefaultValue):
                return default
            return None if given is None else float(given)  # type: ignore[arg-type]

        del write  # no write timeout in aiohttp; see the module docstring
        read_s = value(read, self._read_timeout)
        connect_s = value(connect, self._connect_timeout)
        pool_s = value(pool, self._pool_timeout)
        waiting = None if connect_s is None or pool_s is None else connect_s + pool_s
        return aiohttp.ClientTimeout(
            total=None, connect=waiting, sock_connect=connect_s, sock_read=read_s
        )

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
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        options: dict[str, Any] = {"timeout": timeout}
        if request_data is not None and request_data.contains_files:
            form = aiohttp.FormData()
            for name, text in request_data.json_parameters.items():
                form.add_field(name, text)
            for name, part in (request_data.multipart_data or {}).items():
                filename, content, mimetype = part[0], part[1], part[2] if len(part) > 2 else None
                form.add_field(name, content, filename=filename, content_type=mimetype)
            options["data"] = form
        elif request_data is not None and request_data.parameters:
            # The parameters as they are (numbers, nested objects), one JSON document.
            body = json.dumps(request_data.parameters, ensure_ascii=False, separators=(",", ":"))
            options["data"] = body.encode("utf-8")
            options["headers"] = {"Content-Type": "application/json"}
        try:
            async with self._session.request(method, url, **options) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
