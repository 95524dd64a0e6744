"""Which flood control the Telegram channel gets (``BAKEN_RATE_LIMIT``).

On (the default): one :class:`~bot.channels.telegram.scheduler.SendScheduler` per
process. With the Redis store its overall budget is shared by every worker on that
Redis (``SessionStore.budget``: a GCRA bucket in one key, on Redis's clock), so N
workers behind one webhook together stay under Telegram's 30 messages a second
instead of sending N × 30. Off: nothing, for load tests against a stand-in.
"""

from __future__ import annotations

from bot.channels.telegram.scheduler import RATE, SendScheduler
from bot.settings import Settings
from bot.stores.base import SessionStore

BUDGET = "flood"


def make_scheduler(settings: Settings, store: SessionStore) -> SendScheduler | None:
    """The scheduler for the bot: shared through the store when it can be; None when off."""
    if settings.BAKEN_RATE_LIMIT == "off":
        return None
    return SendScheduler(budget=store.budget(BUDGET, RATE, 1))
