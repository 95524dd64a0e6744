"""Session stores: where sessions live between messages (memory, Redis)."""

from bot.stores.base import SessionStore, StoreUnavailableError
from bot.stores.memory import MemoryStore

__all__ = ["MemoryStore", "SessionStore", "StoreUnavailableError"]
