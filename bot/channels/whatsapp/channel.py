"""The WhatsApp adapter: webhook messages in, Cloud API messages out, the core in between.

:meth:`WhatsAppChannel.receive` gets the messages of one accepted notification
(:func:`render.read_notification`) and hands each to the core in a task of its own, in
the order they came (the core's lane keeps that order per conversation). The core calls
back :meth:`show`, :meth:`settle` and :meth:`erase` with the per-turn :class:`Person`.

Decisions, deliberately made:

- **The number stays at the edge.** The conversation key is an HMAC of the ``wa_id``,
  the duplicate check an HMAC of the message id (Meta's ``wamid`` carries the number).
  The number itself lives only in the :class:`Person` of the turn, to address the
  replies, and is gone when the turn ends. It is never logged, counted or stored.
- **Nothing is edited or deleted**: WhatsApp lets a business do neither. A pressed
  question is answered by the next message; erase erases baken's session and says that
  the chat stays on the phone until the person deletes it (the ``@whatsapp`` texts).
- **Every send is paced and guarded** (:mod:`.pacing`, :mod:`.graph`): a failure is
  counted by its type and logged as Meta's error code; "stop sending to this person"
  ends the turn (``ConversationGoneError``).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.channels.whatsapp import render
from bot.channels.whatsapp.graph import GraphClient, GraphError, RecipientGoneError, reason
from bot.channels.whatsapp.pacing import Pacer
from bot.conversation import ConversationGoneError, Conversations, Incoming, Priority, Turn
from bot.keys import SessionKeys
from bot.logs import get_logger
from flows import Answered, Message, Stale

CHANNEL = "whatsapp"
_WA_ID = re.compile(r"^[0-9]{5,20}$")

log = get_logger("baken.whatsapp")


@dataclass(frozen=True, slots=True)
class Person:
    """Where one turn is answered: the number (for this turn only) and the key."""

    wa_id: str = field(repr=False)
    key: str


class WhatsAppChannel:
    """Turns webhook messages into incomings and the core's outputs into Cloud API calls."""

    name = CHANNEL
    remembers = False  # a business cannot delete messages on WhatsApp
    erase_window = None

    def __init__(
        self, core: Conversations, keys: SessionKeys, client: GraphClient, pacer: Pacer
    ) -> None:
        self.core = core
        self.keys = keys
        self.client = client
        self.pacer = pacer
        self.metrics = core.metrics
        self.turns: set[asyncio.Task[Any]] = set()
        self._seq = itertools.count(1)

    def words(self, lang: str) -> render.Words:
        text = self.core.text
        return render.Words(
            choose=text(lang, render.CHOOSE),
            more=text(lang, render.MORE),
            typed=text(lang, render.TYPED),
            open=text(lang, render.OPEN),
        )

    # ------------------------------------------------------------ messages in

    def receive(self, body: object, phone_number_id: str) -> int:
        """Start a turn for every message in an accepted notification; how many started."""
        engine = self.core.holder.engine
        try:
            found = render.read_notification(
                body,
                self.core.now(),
                phone_number_id=phone_number_id,
                is_crisis=lambda text: engine.crisis_kind(text) is not None,
            )
        except Exception as exc:  # a bug in reading: nothing to answer to
            self.core.error("update", exc)
            return 0
        started = 0
        for inbound in found:
            if not _WA_ID.match(inbound.wa_id):
                self.metrics.update("other")
                continue
            person = Person(inbound.wa_id, self.keys.key(CHANNEL, inbound.wa_id))
            incoming = Incoming(
                key=person.key,
                event=inbound.event,
                kind=inbound.kind,
                delivery=self.keys.key(f"{CHANNEL}-message", inbound.message_id),
                note=inbound.note,
            )
            task = asyncio.get_running_loop().create_task(self.core.receive(self, person, incoming))
            self.turns.add(task)
            task.add_done_callback(self.turns.discard)
            started += 1
        return started

    async def finish(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait (a while) for the turns in flight, e.g. before the process stops."""
        if self.turns:
            await asyncio.wait(set(self.turns), timeout=timeout)

    # ------------------------------------------------------------ the core's calls

    def hurry(self, to: Person) -> None:
        """A crisis sentence or an erase came in: this person's waiting replies go first."""
        self.pacer.hurry(to.key)

    async def acknowledge(self, to: Person) -> None:
        """Nothing to stop: WhatsApp shows no spinner for a pressed button."""

    async def show(self, to: Person, message: Message, turn: Turn) -> Sequence[int]:
        """Send one engine message as one or more Cloud API messages."""
        calls, dropped = render.render_message(message, self.words(turn.lang))
        for _ in range(dropped):
            log.error("button_data_too_long", seq=next(self._seq))
        for call in calls:
            await self._send(to, call, turn.priority)
        return ()

    async def settle(self, to: Person, outcome: Answered | Stale, turn: Turn) -> None:
        """Nothing: a sent message cannot be edited; the next message answers the press."""

    async def erase(
        self, to: Person, ids: Sequence[int], notice: str, turn: Turn, *, missed: bool = False
    ) -> None:
        """baken's session is gone; the notice (``system.erased@whatsapp``) says the chat
        stays on the phone until the person deletes it, and how."""
        for call in render.plain(notice):
            await self._send(to, call, Priority.CRISIS)

    async def _send(self, to: Person, call: render.JSON, priority: int) -> None:
        await self.pacer.turn(to.key, priority)
        try:
            await self.client.send(to.wa_id, call)
        except RecipientGoneError as exc:
            self.metrics.error("api", exc)
            log.info("api_recipient_gone", reason=reason(exc.code))
            raise ConversationGoneError from None
        except GraphError as exc:
            self.metrics.error("api", exc)
            log.warning(
                "api_failed", reason=reason(exc.code), status=exc.status, seq=next(self._seq)
            )
            return
        self.metrics.reply("sent")
