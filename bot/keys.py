"""Session keys: HMAC-SHA256 of the chat id, never the id itself.

A plain hash of a Telegram id is not anonymous (the id space is small enough
to try every id), so the key is keyed with a secret. Without
BAKEN_SESSION_SECRET a random secret is made per process: fine for one
process, and rotating the secret simply lets old sessions expire.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


class SessionKeys:
    """Turns a chat id into an opaque session key."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def key(self, chat_id: int) -> str:
        """The session key for this chat: 32 hex characters, not reversible without the secret."""
        mac = hmac.new(self._secret, str(chat_id).encode("ascii"), hashlib.sha256)
        return mac.hexdigest()[:32]
