"""Pacing what baken sends on WhatsApp: the Cloud API's throughput, each person's pair
rate, and a crisis reply first.

Meta lets one business phone number send 80 messages a second (more when upgraded), and
one person about one message every 6 seconds in the long run, with bursts of up to 45;
above that it answers with error 130429 or 131056 and the message is not sent. So:

- **per person**: a bucket of ``person_burst`` messages that refills at ``person_rate`` a
  second, waited for *before* a message joins the overall queue, so a busy conversation
  never holds up another; keyed by the conversation's HMAC key, never by a number, and
  forgotten once the bucket is full again;
- **overall**: at most ``rate`` messages a second, released one every ``1/rate`` seconds,
  the lowest :class:`~bot.conversation.Priority` first (a crisis reply or an erase, then
  the first reply to someone new, then the rest); with Redis, the ``rate`` is shared by
  every worker through the store's budget (``SessionStore.budget``), and when Redis cannot
  be reached each worker keeps its own spacing (a crisis reply matters more);
  :meth:`Pacer.hurry` moves a conversation's waiting messages to the front, for a person
  who writes a crisis sentence while an earlier reply to them still waits.

The queue, the buckets and hurry are :class:`bot.turns.Turns`, shared with Telegram's
scheduler (``bot/channels/telegram/scheduler.py``); the retries after a refusal are the
client's (:mod:`bot.channels.whatsapp.graph`).
"""

from __future__ import annotations

import time

from bot.conversation import Priority
from bot.stores.base import Budget
from bot.tokenbucket import Clock
from bot.turns import Turns

RATE = 75.0  # messages a second from this worker (Cloud API: 80 per phone number)
PERSON_RATE = 1 / 6  # messages a second to one person in the long run (pair rate limit)
PERSON_BURST = 40  # messages to one person at once after a quiet spell (Meta: 45)
BUDGET = "wa-flood"  # the shared budget's name in the store


class Pacer:
    """Waits each message's turn; see the module docstring."""

    def __init__(
        self,
        *,
        rate: float = RATE,
        person_rate: float = PERSON_RATE,
        person_burst: int = PERSON_BURST,
        budget: Budget | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.turns: Turns[str] = Turns(
            rate=rate, own_rate=person_rate, burst=person_burst, budget=budget, clock=clock
        )

    @property
    def unshared(self) -> int:
        """Releases without the shared budget (its store was unreachable)."""
        return self.turns.unshared

    def hurry(self, key: str) -> None:
        """This conversation's waiting and next messages go first for a while."""
        self.turns.hurry(key)

    def people_known(self) -> int:
        """Conversations whose keys the pacer holds now (for the privacy tests)."""
        return len(self.turns.held())

    async def turn(self, key: str, priority: int = Priority.REST) -> None:
        """Wait until a message to conversation ``key`` may go. A crisis reply never waits
        for the pair limit: if Meta refuses it, the client retries."""
        await self.turns.own_turn(key, wait=priority > Priority.CRISIS)
        await self.turns.overall_turn(key, priority)

    async def close(self) -> None:
        await self.turns.close()
