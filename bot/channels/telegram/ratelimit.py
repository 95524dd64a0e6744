"""Flood control towards Telegram, shared by every worker through Redis.

Telegram lets a bot send about 30 messages per second in total. PTB's
``AIORateLimiter`` keeps one process under that, but N workers behind one
webhook each keep their own count and together send up to N × 30 per second;
Telegram then answers 429 and stops the bot for a while, in the middle of a
peak. So the budget is shared: :class:`SharedBudget` is a GCRA token bucket
in one Redis key (``SessionStore.budget``, see :mod:`bot.stores.redis`), and
:class:`SharedRateLimiter` (a PTB ``BaseRateLimiter``)
takes a token from it before each call, inside a per-process
``AIORateLimiter`` that still applies the per-group limits and handles 429.

When Redis is unreachable, the shared budget is skipped for a few seconds at a
time and the per-process limiter alone applies: a reply, above all a crisis
reply, matters more than perfect flood control, and a 429 is retried anyway.

Plug it in (what :func:`make_rate_limiter` does)::

    budget = store.budget("flood", rate=30, burst=30)
    limiter = SharedRateLimiter(budget, AIORateLimiter(max_retries=2))
    ApplicationBuilder().rate_limiter(limiter)...
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.constants import FloodLimit
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.settings import Settings
from bot.stores.base import Budget, SessionStore, StoreUnavailableError

TELEGRAM_RATE = float(FloodLimit.MESSAGES_PER_SECOND)  # 30 per second per bot
SKIP_AFTER_FAILURE = 5.0  # seconds without asking an unreachable Redis

Result = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, Result]]


class SharedRateLimiter(BaseRateLimiter[int]):
    """PTB rate limiter: the per-process ``local`` limiter plus one shared token per message.

    Like ``AIORateLimiter``'s overall limit, the shared token is taken only for
    calls with a ``chat_id`` (messages, edits, deletes), not for, say,
    ``answerCallbackQuery``; paid broadcasts are left to ``local``. A retry
    after a 429 takes a new token. ``rate_limit_args`` means what it means for
    ``local`` (the number of retries for ``AIORateLimiter``).
    """

    __slots__ = ("_budget", "_local", "_pause", "_skip_until", "unshared")

    def __init__(
        self,
        budget: Budget,
        local: BaseRateLimiter[int] | None = None,
        *,
        pause: float = SKIP_AFTER_FAILURE,
    ) -> None:
        self._budget = budget
        self._local: BaseRateLimiter[int] = local or AIORateLimiter()
        self._pause = pause  # seconds without asking Redis after it failed
        self._skip_until = -math.inf
        self.unshared = 0  # requests sent without a shared token (Redis unreachable)

    async def initialize(self) -> None:
        await self._local.initialize()

    async def shutdown(self) -> None:
        await self._local.shutdown()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        if data.get("chat_id") is None or data.get("allow_paid_broadcast"):
            return await self._local.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

        async def with_shared_token(*call_args: Any, **call_kwargs: Any) -> Result:
            await self._take_token()
            return await callback(*call_args, **call_kwargs)

        return await self._local.process_request(
            with_shared_token, args, kwargs, endpoint, data, rate_limit_args
        )

    async def _take_token(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() < self._skip_until:
            self.unshared += 1
            return
        try:
            wait = await self._budget.reserve()
            if wait > 0:
                await asyncio.sleep(wait)
        except StoreUnavailableError:
            self._skip_until = loop.time() + self._pause
            self.unshared += 1


def make_rate_limiter(
    settings: Settings, store: SessionStore, local: BaseRateLimiter[int] | None = None
) -> BaseRateLimiter[int] | None:
    """The limiter for the Telegram Application: None when BAKEN_RATE_LIMIT=off.

    With the Redis store the budget is shared by all workers on that Redis;
    with the memory store (one process) the per-process ``local`` limiter is
    all there is (default ``AIORateLimiter()``).
    """
    if settings.BAKEN_RATE_LIMIT == "off":
        return None
    budget = store.budget("flood", TELEGRAM_RATE, int(TELEGRAM_RATE))
    if budget is not None:
        return SharedRateLimiter(budget, local)
    return local or AIORateLimiter()
