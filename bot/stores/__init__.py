"""Session stores: where sessions live between messages (memory, Redis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.stores.base import SessionStore, StoreUnavailableError
from bot.stores.memory import MemoryStore

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["MemoryStore", "SessionStore", "StoreUnavailableError", "make_store"]


def make_store(settings: Settings) -> SessionStore:
    """The store the settings ask for.

    For now always the in-memory store (one process); the Redis store
    (``BAKEN_REDIS_URL``) plugs in here.
    """
    return MemoryStore(settings.BAKEN_SESSION_TTL)
