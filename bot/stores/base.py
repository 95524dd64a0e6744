"""The session store interface.

A store keeps one compact JSON value per session key, each with a time to
live; expired sessions are gone, not archived. ``transact`` applies a pure
function to the stored session so that two workers handling the same
conversation never lose a step: an implementation may run the function more
than once (optimistic concurrency), which is safe because the engine is pure.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import TypeVar

from flows.session import Session

T = TypeVar("T")
Change = Callable[[Session | None], tuple[Session | None, T]]


class StoreUnavailableError(Exception):
    """The store cannot be reached; the caller answers without a session."""


class SessionStore(abc.ABC):
    """Where sessions live. Keys are opaque HMACs; values hold codes only."""

    ttl: int

    @abc.abstractmethod
    async def transact(self, key: str, change: Change[T]) -> T:
        """Load the session, apply ``change``, save the result (delete when None), atomically."""

    @abc.abstractmethod
    async def load(self, key: str) -> Session | None:
        """The stored session, or None."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Forget the session."""

    @abc.abstractmethod
    async def first_time(self, update_id: int) -> bool:
        """True the first time an update id is seen (across workers, where shared).

        Never raises because the store is unreachable: then it says True, since
        answering a redelivered update twice is better than not answering.
        """

    async def ping(self) -> bool:
        """True when the store works; False (never an exception) within about a second if not."""
        return True

    async def close(self) -> None:  # noqa: B027 - most stores have nothing to close
        """Release connections."""
