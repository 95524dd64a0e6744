"""Webhook notifications as Meta sends them to ``POST /whatsapp``: built, signed, posted.

A message id (``wamid``) is base64 of bytes that carry the sender's phone number, as
Meta's do: a bot that keeps message ids keeps phone numbers, and the canary test sees it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import aiohttp

JSON = dict[str, Any]
SIGNATURE_HEADER = "X-Hub-Signature-256"
WABA_ID = "102938475610293"
_seq = itertools.count(1)


def wamid(wa_id: str, seq: int | None = None) -> str:
    """A message id in Meta's shape: the phone number inside, in base64."""
    n = next(_seq) if seq is None else seq
    raw = b"\x15\x02\x00\x11\x18\x0b" + wa_id.encode() + b"\x15\x02\x00\x12\x18\x14"
    raw += f"{n:020X}".encode()
    return "wamid." + base64.b64encode(raw).decode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def envelope(phone_number_id: str, wa_id: str, message: JSON, *, name: str = "Sam") -> JSON:
    """A notification with one message from ``wa_id`` (whose profile name is ``name``)."""
    message = {"from": wa_id, "id": wamid(wa_id), "timestamp": str(int(time.time())), **message}
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "3197010254321",
                                "phone_number_id": phone_number_id,
                            },
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }


def status_notification(phone_number_id: str, wa_id: str, status: str = "delivered") -> JSON:
    """A status notification (sent, delivered, read, failed) about a message to ``wa_id``."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "3197010254321", "phone_number_id": phone_number_id},
        "statuses": [
            {
                "id": wamid(wa_id),
                "status": status,
                "timestamp": str(int(time.time())),
                "recipient_id": wa_id,
            }
        ],
    }
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [change]}]}


# ---------------------------------------------------------------- messages


def text(body: str) -> JSON:
    return {"type": "text", "text": {"body": body}}


def button_reply(reply_id: str, title: str) -> JSON:
    reply = {"id": reply_id, "title": title}
    return {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": reply}}


def list_reply(row_id: str, title: str) -> JSON:
    reply = {"id": row_id, "title": title}
    return {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": reply}}


def image(caption: str | None = None) -> JSON:
    part: JSON = {"mime_type": "image/jpeg", "sha256": "abc", "id": "1234567890"}
    if caption is not None:
        part["caption"] = caption
    return {"type": "image", "image": part}


def location(latitude: float, longitude: float) -> JSON:
    return {"type": "location", "location": {"latitude": latitude, "longitude": longitude}}


def contact(phone: str, name: str) -> JSON:
    card = {"name": {"formatted_name": name, "first_name": name}, "phones": [{"phone": phone}]}
    return {"type": "contacts", "contacts": [card]}


def reaction(to_message: str, emoji: str = "👍") -> JSON:
    return {"type": "reaction", "reaction": {"message_id": to_message, "emoji": emoji}}


async def post(
    url: str,
    body: JSON | bytes,
    *,
    secret: str,
    signature: str | None = None,
    sign: bool = True,
) -> int:
    """POST ``body`` to ``url`` as Meta does; the HTTP status."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if sign:
        headers[SIGNATURE_HEADER] = signature or globals()["signature"](secret, raw)
    async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=headers) as reply:
        await reply.read()
        return reply.status
