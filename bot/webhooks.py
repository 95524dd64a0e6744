"""The body of a webhook request, bounded in size and in time.

Telegram's and WhatsApp's webhooks read their posts the same way: a body over
``MAX_BODY`` bytes is refused (413) before or while it is read, and a sender that
trickles it in is cut off after ``BODY_TIMEOUT`` seconds (408).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

MAX_BODY = 1024 * 1024
BODY_TIMEOUT = 10.0


async def read_body(request: web.Request) -> bytes | int:
    """The request's body, or the HTTP status to answer instead (413 or 408)."""
    length = request.content_length
    if length is not None and length > MAX_BODY:
        return 413
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        return 413
    except TimeoutError:
        return 408
