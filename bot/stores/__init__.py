"""Session stores: where sessions live between messages (memory, Redis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.stores.base import DuplicateDeliveryError, SessionStore, StoreUnavailableError
from bot.stores.memory import MemoryStore

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "DuplicateDeliveryError",
    "MemoryStore",
    "SessionStore",
    "StoreConfigError",
    "StoreUnavailableError",
    "make_store",
]

MIN_SECRET_LENGTH = 32


class StoreConfigError(ValueError):
    """The settings do not allow a working store; the message says what to change."""


def make_store(settings: Settings) -> SessionStore:
    """The store the settings ask for: Redis when BAKEN_REDIS_URL is set, else memory.

    Several workers sharing Redis must compute the same session keys, so Redis
    needs BAKEN_SESSION_SECRET (a random per-process secret would give every
    worker different keys, and conversations would restart on each worker).
    """
    if settings.BAKEN_REDIS_URL is None:
        return MemoryStore(settings.BAKEN_SESSION_TTL)
    secret = settings.BAKEN_SESSION_SECRET
    if secret is None or len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
        raise StoreConfigError(
            "BAKEN_REDIS_URL is set, so sessions are shared between workers, and every worker "
            f"needs the same BAKEN_SESSION_SECRET of at least {MIN_SECRET_LENGTH} characters. "
            "Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))' "
            "and give every worker the same value."
        )
    from bot.stores.redis import RedisStore

    return RedisStore(
        settings.BAKEN_REDIS_URL,
        settings.BAKEN_SESSION_TTL,
        secret=secret.get_secret_value().encode("utf-8"),
    )
