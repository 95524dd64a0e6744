"""One scheduler for everything sent to Telegram: a crisis first, within Telegram's limits.

Telegram lets a bot send about 30 messages a second in all, and about one a second to
one chat (short bursts are tolerated); above that it answers 429 and the bot waits.
In a peak every message waits its turn, so the order of the queue decides who waits:

- **overall**: at most ``rate`` calls to chats per second, spaced evenly (28/s by
  default: a sliding second never sees more than 28, with room for jitter on the way
  to Telegram); shared by every worker through the store's budget (Redis) when there
  is one;
- **per chat**: a bucket of ``chat_burst`` calls that refills at ``chat_rate`` a second,
  waited for *before* a call joins the overall queue, so a busy chat never holds up
  another;
- **priority**: the overall queue releases the lowest :class:`~bot.conversation.Priority`
  first (a crisis reply or an erase, then the first reply to someone new, then the
  rest), first come first served within one. :meth:`SendScheduler.hurry` moves a chat's
  waiting calls to the front, for a person who writes a crisis sentence while an earlier
  reply to them is still queued.
- **429**: a ``RetryAfter`` pauses every release for ``retry_after`` seconds and the
  call is made again in its place (a 429 means nothing was sent, so nothing shows twice).

Calls without a chat (answering a button, commands, webhook settings) go at once:
they are not messages. The per-chat buckets are keyed by the chat id, in process memory
only, and dropped within seconds of a chat going quiet (see PRIVACY.md). The queue, the
buckets and hurry are :class:`bot.turns.Turns`, shared with WhatsApp's pacer. Plug it in with
``ExtBot(rate_limiter=SendScheduler(...))`` and pass the priority as ``rate_limit_args``
of each call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.conversation import Priority
from bot.logs import get_logger
from bot.stores.base import Budget
from bot.tokenbucket import Clock
from bot.turns import Turns

RATE = 28.0  # calls to chats per second, in all (Telegram: about 30)
CHAT_RATE = 1.0  # calls per second to one chat, in the long run
CHAT_BURST = 3  # calls to one chat that may go at once after a quiet spell
MAX_RETRIES = 5  # times a call is made again after a 429

Result = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, Result]]

log = get_logger("baken.telegram")


class SendScheduler(BaseRateLimiter[int]):
    """Priorities under Telegram's limits; see the module docstring."""

    def __init__(
        self,
        *,
        rate: float = RATE,
        chat_rate: float = CHAT_RATE,
        chat_burst: int = CHAT_BURST,
        budget: Budget | None = None,
        max_retries: int = MAX_RETRIES,
        clock: Clock = time.monotonic,
    ) -> None:
        """``clock``: the time of the per-chat buckets, of hurry and of the pause after the
        shared budget was unreachable (the event loop's clock; tests pass a fake one). The
        overall spacing runs on the event loop's clock, since it sleeps."""
        self.max_retries = max_retries
        self.turns: Turns[int | str] = Turns(
            rate=rate, own_rate=chat_rate, burst=chat_burst, budget=budget, clock=clock
        )

    @property
    def unshared(self) -> int:
        """Releases without the shared budget (its store was unreachable)."""
        return self.turns.unshared

    @property
    def released(self) -> list[tuple[float, int]]:
        """(time, priority) of each release, in order (for tests; bounded)."""
        return self.turns.released

    # ------------------------------------------------------------ PTB's interface

    async def initialize(self) -> None:
        """Start releasing calls (PTB calls this when the bot starts)."""
        self.turns.start()

    async def shutdown(self) -> None:
        """Stop releasing; calls still waiting fail with CancelledError."""
        await self.turns.close()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat = data.get("chat_id")
        if chat is None:
            return await callback(*args, **kwargs)
        priority = Priority.REST if rate_limit_args is None else int(rate_limit_args)
        for attempt in range(self.max_retries + 1):
            await self.turns.own_turn(chat)
            await self.turns.overall_turn(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.max_retries:
                    raise
                wait = exc.retry_after
                seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
                self.turns.pause(seconds)
                log.info("api_flood_wait", method=endpoint, seconds=seconds, attempt=attempt + 1)
                priority = min(priority, Priority.CRISIS)  # it waited once already
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------ hurry

    def hurry(self, chat: int | str) -> None:
        """A chat's waiting and next calls go first for a while (a crisis is coming)."""
        self.turns.hurry(chat)

    def waiting(self) -> int:
        """Calls queued for their overall turn."""
        return self.turns.waiting()

    def chats_known(self) -> int:
        """Chats whose ids the scheduler holds now (for the privacy tests)."""
        return len(self.turns.held())
