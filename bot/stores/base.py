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
from typing import Protocol, TypeVar

from flows.session import Session

T = TypeVar("T")
Change = Callable[[Session | None], tuple[Session | None, T]]


class StoreUnavailableError(Exception):
    """The store cannot be reached; the caller answers without a session."""


class DuplicateDeliveryError(Exception):
    """``transact_once``: another worker applied this delivery first; nothing was written."""


class Budget(Protocol):
    """So many sends per second, shared by every worker (see ``SessionStore.budget``)."""

    async def reserve(self) -> float:
        """Book the next slot; seconds to wait for it. Raises StoreUnavailableError."""


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
    async def first_time(self, delivery: str) -> bool:
        """True the first time a delivery id is seen (across workers, where shared).

        ``delivery`` is a channel's id for one incoming message (``telegram:<update
        id>``); stores that keep it outside the process keep an HMAC of it. Never raises
        because the store is unreachable: then it says True, since answering a
        redelivered message twice is better than not answering.
        """

    async def unseen(self, delivery: str) -> bool:
        """True unless ``delivery`` was handled before: the check before a turn.

        A store that marks deliveries only with the session they changed
        (:meth:`transact_once`) only looks here, so a worker that dies between this check
        and its write leaves the delivery to the next try. By default the same as
        :meth:`first_time` (it marks now): within one process a crash loses all anyway.
        """
        return await self.first_time(delivery)

    async def transact_once(self, key: str, change: Change[T], delivery: str) -> T:
        """:meth:`transact`, and mark ``delivery`` as handled in the same atomic write.

        Raises :class:`DuplicateDeliveryError` (nothing written) when it was marked since
        :meth:`unseen` said True. By default plain :meth:`transact` (:meth:`unseen` marked it).
        """
        del delivery
        return await self.transact(key, change)

    def budget(self, name: str, rate: float, burst: int) -> Budget | None:
        """A send budget shared by every worker on this store; None when not shared."""
        del name, rate, burst
        return None

    async def ping(self) -> bool:
        """True when the store works; False (never an exception) within about a second if not."""
        return True

    async def close(self) -> None:  # noqa: B027 - most stores have nothing to close
        """Release connections."""
