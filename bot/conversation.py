"""The conversation core: what every channel needs, in one place.

A channel (Telegram, the web chat, the terminal) turns what a person did into an
:class:`Incoming` and calls :meth:`Conversations.receive`. For each one, the core:

1. **orders** it behind the earlier ones of the same conversation (:class:`Lanes`);
   different conversations run side by side;
2. **drops duplicates**: a delivery id seen before (across workers, where the store
   is shared) is not answered twice; it is marked in the same write as the step it made
   (``SessionStore.transact_once``), so a worker killed mid-turn leaves it to the retry;
3. **steps** the engine: load the session, ``Engine.step``, save it, atomically
   (:meth:`Conversations.step`); when the store is down it still answers crisis,
   help and stop, and shows the emergency screen otherwise;
4. **hands the outputs to the channel** (:class:`Channel`): messages to ``show``,
   the outcome of a button press to ``settle``, an erase to ``erase``;
5. **remembers** the ids of what the channel says it showed, so that erase can find
   them later (only for channels that can delete messages);
6. never lets a bug reach the person as silence: the emergency screen instead.

The core knows conversations only by an opaque key (an HMAC made by
:class:`bot.keys.SessionKeys`) and a channel only through its ``to`` value, which it
hands back untouched. Update ids, chat ids, callback data, message-age limits and
batch sizes belong to the channels.

It also decides **priority** (:class:`Priority`): a crisis reply or an erase first,
then the first reply to someone new, then the rest. Channels with a send limit
(Telegram) apply it; others ignore it.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.figures import FIGURES_ONLY, Figures
from bot.logs import get_logger
from bot.metrics import Metrics
from bot.serving import ContentHolder
from bot.stores.base import DuplicateDeliveryError, SessionStore
from flows import (
    Answered,
    Choice,
    Count,
    Engine,
    Event,
    Handoff,
    Message,
    Output,
    Stale,
    Text,
    Wipe,
)
from flows.content import DEFAULT_LANG
from flows.session import Session
from flows.understanding.crisis import Verdict
from flows.wording import PARAGRAPH

A = TypeVar("A", contravariant=True)

log = get_logger("baken.conversation")


class Priority(enum.IntEnum):
    """Who waits least when a channel has to queue: lower goes first (never 0: falsy)."""

    CRISIS = 1  # a crisis reply, or an erase
    NEW = 2  # the first reply to someone new
    REST = 3  # everyone already in a conversation


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did, as a channel hands it to the core.

    ``key``: the conversation (an HMAC, never a raw id). ``kind``: what it was, for
    the aggregate metrics (``text``, ``button``, ``command``, …). ``delivery``: the
    channel's id of this delivery, to drop duplicates (None: never a duplicate).
    ``shown``: ids of the person's own messages, erased with the conversation.
    ``note``: a text key the channel wants shown before the answer (for example
    "I only read text and buttons"). ``quick_exit``: the person left in a hurry (the web
    page's quick exit), counted apart from an ordinary erase. ``judged``: the crisis
    verdict a channel already took on this event's text, or on more of it (the web page
    judges before its limits, so a crisis passes them, then keeps the first 4,096
    characters); the core then does not judge again unless its readers changed.
    """

    key: str
    event: Event
    kind: str = "text"
    delivery: str | None = None
    shown: tuple[int, ...] = ()
    note: str | None = None
    quick_exit: bool = False
    judged: Judged | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """What a channel needs to know to render one reply (never who it is for)."""

    lang: str
    priority: Priority = Priority.REST


@dataclass(frozen=True, slots=True)
class Reply:
    """One engine step's outputs, and which shown messages an erase must delete."""

    outputs: tuple[Output, ...]
    erase: tuple[int, ...] = ()
    missed: bool = False  # some shown messages were too old to erase any more
    degraded: bool = False  # answered without a session (store down, or a bug)
    lang: str | None = None  # the conversation's language after the step
    new: bool = False  # there was no conversation before this step

    @property
    def wiped(self) -> bool:
        return any(isinstance(o, Wipe) for o in self.outputs)

    @property
    def priority(self) -> Priority:
        for output in self.outputs:
            if isinstance(output, Wipe) or (isinstance(output, Message) and output.urgent):
                return Priority.CRISIS
        return Priority.NEW if self.new else Priority.REST


def with_note(outputs: tuple[Output, ...], note: str) -> tuple[Output, ...]:
    """The note as the first paragraph of the reply's first message (one message per turn)."""
    for i, output in enumerate(outputs):
        if isinstance(output, Message):
            if output.copyable or output.replaces:
                break
            parts = (note, *output.parts) if output.parts else ()
            text = f"{note}{PARAGRAPH}{output.text}"
            joined = Message(text, output.buttons, output.links, parts=parts)
            return (*outputs[:i], joined, *outputs[i + 1 :])
    return (Message(note), *outputs)


@dataclass(frozen=True)
class Judged:
    """The crisis detector's verdict on a turn's typed text, and the digest of the readers
    that gave it. A turn is judged once, before it waits for its lane (a crisis hurries it);
    its step reuses the verdict unless a reload brought other readers meanwhile. Only the
    digest is kept, not the readers: turns waiting in a peak must not keep the readers of
    an old content resident after a reload."""

    verdict: Verdict
    digest: str

    def by(self, engine: Engine) -> Verdict | None:
        """The verdict, when ``engine`` judges with readers of the same sources; else None."""
        return self.verdict if engine.readers.digest == self.digest else None


def verdict_of(judged: Judged | None, engine: Engine) -> Verdict | None:
    """The verdict a turn was judged with, when ``engine`` may reuse it (else None: the
    engine judges the text itself)."""
    return judged.by(engine) if judged is not None else None


class ConversationGoneError(Exception):
    """Raised by a channel: the person can no longer be reached (blocked, closed).

    The core stops rendering this reply; nothing is logged as an error.
    """


class Channel(Protocol[A]):
    """What the core needs from a channel. ``to`` is the channel's own per-turn value.

    ``remembers``: the channel can delete shown messages later, so the core keeps
    their ids in the session (Telegram); False when erasing needs no ids (a web page
    clears itself, a terminal cannot). ``erase_window``: seconds after which a shown
    message can no longer be deleted (None: no limit); older ids are dropped, and the
    erase is told that something was missed.
    """

    @property
    def name(self) -> str:
        """The channel's name ("telegram", "web", "console"): texts may have a variant for
        it (``key@name`` in content/texts)."""
        ...

    @property
    def remembers(self) -> bool: ...

    @property
    def erase_window(self) -> int | None: ...

    def hurry(self, to: A) -> None:
        """A crisis sentence or an erase arrived: send this conversation's queued replies first.

        Called before the turn waits for the earlier turns of its conversation.
        """

    async def acknowledge(self, to: A) -> None:
        """The person's action arrived and is not a duplicate (stop a spinner, …)."""

    async def show(self, to: A, message: Message, turn: Turn) -> Sequence[int]:
        """Show one message; return the ids of what was shown (empty if none)."""

    async def settle(self, to: A, outcome: Answered | Stale, turn: Turn) -> None:
        """Mark the pressed message: what was chosen, or that the press was stale."""

    async def erase(
        self, to: A, ids: Sequence[int], notice: str, turn: Turn, *, missed: bool = False
    ) -> None:
        """Delete these shown messages (all the channel can), then show ``notice``.

        ``missed``: some shown messages were already too old to delete. Say honestly in
        the notice when something could not be erased.
        """


class Lanes:
    """One turn per conversation at a time, in arrival order; conversations side by side.

    ``asyncio.Lock`` wakes its waiters first in, first out, so turns of one key run
    in the order their ``hold`` was entered. A lane exists only while a turn of its
    conversation is running or waiting, so memory stays bounded.
    """

    def __init__(self) -> None:
        self._lanes: dict[str, _Lane] = {}

    def __len__(self) -> int:
        """Conversations with turns in flight (0 when idle)."""
        return len(self._lanes)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.waiting += 1
        try:
            async with lane.lock:
                yield
        finally:
            lane.waiting -= 1
            if lane.waiting == 0:
                del self._lanes[key]


class _Lane:
    __slots__ = ("lock", "waiting")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


class Conversations:
    """The core. One per process, shared by its channels; holds no conversation itself."""

    def __init__(
        self,
        holder: ContentHolder,
        store: SessionStore,
        *,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.holder = holder
        self.store = store
        self.metrics = metrics if metrics is not None else Metrics()
        self.clock = clock
        self.lanes = Lanes()
        self.figures = Figures()
        self._seq = itertools.count(1)

    def now(self) -> int:
        """The time for the next event, in whole seconds (the engine reads no clock)."""
        return int(self.clock())

    def text(self, lang: str, key: str) -> str:
        """A content text in ``lang`` (falls back to Dutch)."""
        return self.holder.engine.content.text(lang, key)

    # ------------------------------------------------------------ a whole turn

    async def receive(self, channel: Channel[A], to: A, incoming: Incoming) -> Reply | None:
        """Handle one incoming completely: order, duplicates, step, show, remember.

        Returns the reply (None for a duplicate, or when the turn could not finish).
        Never raises, except cancellation. Call it without awaiting anything first:
        the lane is entered at once, so turns keep the order of the calls. A crisis
        sentence or an erase first hurries the conversation's queued replies, so it does
        not wait behind them.
        """
        judged = incoming.judged
        if verdict_of(judged, self.holder.engine) is None:  # none, or by other readers
            judged = self._judge(incoming.event)
        if self._urgent(incoming.event, judged):
            channel.hurry(to)
        async with self.lanes.hold(incoming.key):
            if incoming.delivery is not None and not await self.unseen(incoming.delivery):
                self.metrics.update("duplicate")
                return None
            try:
                await channel.acknowledge(to)
                return await self._turn(channel, to, incoming, judged)
            except asyncio.CancelledError:
                raise
            except DuplicateDeliveryError:  # another worker applied it while we stepped
                self.metrics.update("duplicate")
                return None
            except ConversationGoneError:
                return None
            except Exception as exc:
                self.error("update", exc)
                await self.emergency(channel, to)
                return None

    async def _turn(
        self, channel: Channel[A], to: A, incoming: Incoming, judged: Judged | None = None
    ) -> Reply:
        started = time.perf_counter()
        seen = incoming.shown if channel.remembers else ()
        reply = await self.step(
            incoming.key,
            incoming.event,
            seen,
            keep_for=channel.erase_window,
            channel=channel.name,
            quick_exit=incoming.quick_exit,
            delivery=incoming.delivery,
            judged=judged,
        )
        # Counted once stepped (a duplicate proves itself only there), before anything shows.
        self.metrics.update(incoming.kind)
        self.metrics.step(time.perf_counter() - started)
        turn = Turn(reply.lang or DEFAULT_LANG, reply.priority)
        shown: list[int] = []
        outputs = reply.outputs
        if incoming.note is not None and not reply.wiped:
            outputs = with_note(outputs, self.text(turn.lang, incoming.note))
        try:
            for output in outputs:
                if isinstance(output, Message):
                    shown += await channel.show(to, output, turn)
                elif isinstance(output, Answered | Stale):
                    await channel.settle(to, output, turn)
                elif isinstance(output, Wipe):
                    await channel.erase(to, reply.erase, output.notice, turn, missed=reply.missed)
        finally:
            if shown and channel.remembers and not reply.wiped:
                await self.remember(incoming.key, shown, keep_for=channel.erase_window)
        return reply

    async def emergency(self, channel: Channel[A], to: A) -> None:
        """Last resort after a bug: the emergency screen (112, 113, Fier), without a session."""
        try:
            engine = self.holder.engine.speaking_on(channel.name)
            outputs = engine.without_session(Choice(at=self.now(), data=""))
            turn = Turn(DEFAULT_LANG, Priority.CRISIS)
            for output in outputs:
                if isinstance(output, Message):
                    await channel.show(to, output, turn)
        except asyncio.CancelledError:
            raise
        except ConversationGoneError:
            return
        except Exception as exc:  # nothing more we can do; never raise from here
            self.metrics.error("update", exc)
            log.error("emergency_failed", error=type(exc).__name__, seq=next(self._seq))

    async def forget(self, key: str, delivery: str | None = None) -> bool:
        """Drop a conversation at once (the person blocked the bot), in its turn.

        False when the delivery was a duplicate (nothing done).
        """
        async with self.lanes.hold(key):
            if delivery is not None and not await self.first_time(delivery):
                return False
            try:
                await self.store.delete(key)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # it expires by itself
                self.error("store", exc)
            return True

    # ------------------------------------------------------------ the parts

    async def step(
        self,
        key: str,
        event: Event,
        seen: Sequence[int] = (),
        *,
        keep_for: int | None = None,
        channel: str = "",
        quick_exit: bool = False,
        delivery: str | None = None,
        judged: Judged | None = None,
    ) -> Reply:
        """Load, step and save the conversation ``key``; ``seen``: shown ids to remember.

        ``keep_for``: the channel's erase window in seconds; older ids are dropped.
        ``channel``: the channel's name, for its text variants and the figures.
        ``quick_exit``: an erase by quick exit (counted apart).
        ``delivery``: marked as handled in the same write as the session (a worker that
        dies before the write leaves it to the retry); :class:`DuplicateDeliveryError`
        when another worker applied it first.
        ``judged``: the crisis verdict on the event's text, taken before the turn waited
        (see :meth:`receive`); used when the engine still has the readers that gave it.
        When the store cannot be reached (or the engine fails), the reply comes from
        ``Engine.without_session``: crisis, help, privacy and stop still work.
        """
        engine = self.holder.engine.speaking_on(channel)
        verdict = verdict_of(judged, engine)

        def change(session: Session | None) -> tuple[Session | None, Reply]:
            new, outputs = engine.step(session, event, verdict=verdict)
            erase: tuple[int, ...] = ()
            missed = False
            if any(isinstance(o, Wipe) for o in outputs):
                if session is not None and keep_for is not None:
                    session = session.without_messages_before(event.at - keep_for)
                before = session.message_ids() if session else []
                missed = session.messages.lost if session else False
                erase = tuple(sorted({*before, *seen}))
            elif new is not None and seen:
                new = new.with_messages(seen, event.at)
                if keep_for is not None:
                    new = new.without_messages_before(event.at - keep_for)
            current = new or session
            lang = current.lang if current is not None else None
            return new, Reply(outputs, erase, missed, lang=lang, new=session is None)

        try:
            if delivery is None:
                reply = await self.store.transact(key, change)
            else:
                reply = await self.store.transact_once(key, change, delivery)
        except (asyncio.CancelledError, DuplicateDeliveryError):
            raise
        except Exception as exc:  # storage down, or a bug: the person still gets an answer
            self.error("step", exc)
            outputs = self._without_session(event, channel, judged)
            erase = tuple(seen) if any(isinstance(o, Wipe) for o in outputs) else ()
            reply = Reply(outputs, erase, degraded=True)
        self._count(reply, channel, quick_exit)
        return reply

    async def remember(self, key: str, ids: Iterable[int], *, keep_for: int | None = None) -> None:
        """Remember ids of shown messages, so erase can delete them later.

        ``keep_for``: the channel's erase window; ids shown before it are dropped.
        """
        wanted = [i for i in ids if i]
        if not wanted:
            return
        now = self.now()

        def change(session: Session | None) -> tuple[Session | None, None]:
            if session is None:
                return None, None
            session = session.with_messages(wanted, now)
            if keep_for is not None:
                session = session.without_messages_before(now - keep_for)
            return session, None

        try:
            await self.store.transact(key, change)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error("remember", exc)

    async def unseen(self, delivery: str) -> bool:
        """True unless the delivery was handled before (see ``SessionStore.unseen``).
        When the store cannot say: True."""
        try:
            return await self.store.unseen(delivery)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error("store", exc)
            return True

    async def first_time(self, delivery: str) -> bool:
        """True the first time a delivery id is seen. When the store cannot say: True.

        Answering a redelivered message twice is better than not answering at all.
        """
        try:
            return await self.store.first_time(delivery)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error("store", exc)
            return True

    def error(self, where: str, exc: BaseException) -> None:
        """Count and log an error: its type, where, and a sequence number; nothing else."""
        self.metrics.error(where, exc)
        name = type(exc).__name__
        if where == "update":
            log.error("update_failed", error=name, seq=next(self._seq))
        else:
            log.warning("runtime_error", where=where, error=name, seq=next(self._seq))

    def _judge(self, event: Event) -> Judged | None:
        """The crisis verdict on a typed message, asked once per turn (None for anything
        else, or when the detector failed: the step then asks again)."""
        if not isinstance(event, Text):
            return None
        engine = self.holder.engine
        try:
            return Judged(engine.crisis(event.text), engine.readers.digest)
        except Exception as exc:  # pragma: no cover - never let this stop a turn
            self.error("update", exc)
            return None

    def _urgent(self, event: Event, judged: Judged | None = None) -> bool:
        try:
            engine = self.holder.engine
            verdict = verdict_of(judged, engine)
            return engine.urgent(event, verdict=verdict)
        except Exception as exc:  # pragma: no cover - never let this stop a turn
            self.error("update", exc)
            return False

    def _without_session(
        self, event: Event, channel: str = "", judged: Judged | None = None
    ) -> tuple[Output, ...]:
        engine = self.holder.engine
        verdict = verdict_of(judged, engine)
        try:
            return engine.speaking_on(channel).without_session(event, verdict=verdict)
        except Exception as exc:  # pragma: no cover - last line of defence
            self.error("without_session", exc)
        try:  # the plain texts, without the channel's variants
            return engine.without_session(event, verdict=verdict)
        except Exception as exc:  # pragma: no cover
            self.error("without_session", exc)
            return ()

    def _count(self, reply: Reply, channel: str, quick_exit: bool) -> None:
        """The step's counts: the operators' counters and the published figures."""
        outputs = reply.outputs
        try:
            content = self.holder.engine.content
            for name, labels in self.figures.of_step(
                content,
                outputs,
                channel=channel,
                lang=reply.lang or DEFAULT_LANG,
                quick_exit=quick_exit,
                new=reply.new,
            ):
                self.metrics.figure(name, labels)
        except Exception as exc:  # pragma: no cover - counting never stops a turn
            self.error("step", exc)
        for output in outputs:
            if isinstance(output, Count):
                if output.metric not in FIGURES_ONLY:
                    self.metrics.count(output.metric, output.label)
            elif isinstance(output, Handoff):
                for service in output.services:
                    self.metrics.count("handoff", service)
