"""Conversation keys: an HMAC-SHA256 of the channel's address, never the address itself.

A plain hash of a Telegram chat id is not anonymous (the id space is small enough
to try every id), so the key is keyed with a secret. Without
BAKEN_SESSION_SECRET a random secret is made per process: fine for one
process, and rotating the secret simply lets old sessions expire.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


class SessionKeys:
    """Turns a channel's address of a conversation into an opaque key."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def key(self, channel: str, address: str | int) -> str:
        """The key of the conversation at ``address`` in ``channel`` (a chat id, a token).

        32 hex characters, not reversible without the secret. The channel's name is part
        of it, so two channels' addresses never share a conversation.
        """
        message = f"{channel}:{address}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]
