"""The Telegram adapter: updates in, Bot API calls out, the conversation core in between.

:meth:`TelegramChannel.handle` gets every update from python-telegram-bot. It asks
:func:`render.classify` what the update is; a private conversation becomes an
:class:`~bot.conversation.Incoming` for the core (key: an HMAC of the chat id;
delivery: the update id), and the core calls back :meth:`acknowledge`, :meth:`show`,
:meth:`settle` and :meth:`erase` with the per-turn :class:`Chat`. Groups are left,
and a person who blocks the bot is forgotten, without a conversation.

Decisions, deliberately made (more in :mod:`bot.channels.telegram.render`):

- **Buttons are answered at once** (``answerCallbackQuery`` first thing in the turn),
  so the spinner stops even when the store is slow.
- **Edit or send**: after a press the pressed message keeps its text, loses its answer
  buttons and shows the choice (``→ label``); a multiple-choice toggle edits the
  keyboard in place; everything else is a new message. A failed edit is not fatal.
- **Erase**: ``deleteMessages`` in batches of at most 100 over every message id the
  conversation remembered (the person's and the bot's); then one neutral line. If a
  batch fails, the line says so honestly and how to delete the chat by hand.
- **Every Bot API call is guarded**: failures are logged as their type and count in
  the metrics; a person who blocked the bot ends the turn (``ConversationGoneError``).
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import Bot, LinkPreviewOptions, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels.telegram import render
from bot.channels.telegram.scheduler import SendScheduler
from bot.conversation import ConversationGoneError, Conversations, Incoming, Priority, Turn
from bot.golinks import through_go
from bot.keys import SessionKeys
from bot.logs import get_logger
from flows import Answered, Message, Stale
from flows.content import DEFAULT_LANG

T = TypeVar("T")

CHANNEL = "telegram"
# Bots may delete messages for 48 hours; a few minutes less, for clocks that differ.
ERASE_WINDOW = 48 * 3600 - 300
# Groups recently left: updates already on their way from one group get no second line
# and no second leaveChat. Bounded in size and time; a group that adds the bot again
# later is left again.
LEFT_MEMORY = 1024
LEFT_SECONDS = 120.0
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

log = get_logger("baken.telegram")


@dataclass(frozen=True, slots=True)
class Chat:
    """Where one turn is answered: the bot, the chat, and what the person pressed."""

    bot: Bot
    chat_id: int
    query_id: str | None = None
    pressed: render.Pressed | None = None
    delete_now: tuple[int, ...] = ()  # shared contacts and places, deleted unread


class TelegramChannel:
    """Turns updates into incomings for the core and the core's outputs into Bot API calls."""

    name = "telegram"
    remembers = True  # Telegram lets bots delete messages, so erase needs their ids
    erase_window = ERASE_WINDOW
    go_base: str | None = None  # service links through <BAKEN_WEB_PUBLIC_URL>/go/<service>

    def __init__(
        self, core: Conversations, keys: SessionKeys, scheduler: SendScheduler | None = None
    ) -> None:
        self.core = core
        self.keys = keys
        self.scheduler = scheduler
        self.metrics = core.metrics
        self._seq = itertools.count(1)
        self._left: OrderedDict[str, float] = OrderedDict()

    def text(self, lang: str, key: str) -> str:
        """A content text (falls back to Dutch)."""
        return self.core.text(lang, key)

    # ------------------------------------------------------------ PTB hooks

    async def on_update(self, update: Update, context: Any) -> None:
        """The one PTB handler: every update comes through here."""
        await self.handle(update, context.bot)

    async def on_error(self, update: object, context: Any) -> None:
        """PTB's error handler: the exception type and a sequence number, nothing else."""
        error = getattr(context, "error", None)
        name = type(error).__name__ if error is not None else "unknown"
        if isinstance(error, BaseException):
            self.metrics.error("update" if update is not None else "api", error)
        if update is None:
            log.warning("telegram_error", error=name, seq=next(self._seq))
        else:
            log.error("update_failed", error=name, seq=next(self._seq))

    def on_polling_error(self, error: TelegramError) -> None:
        """getUpdates failed; PTB's updater retries with its own backoff."""
        self.metrics.error("api", error)
        log.warning("polling_error", error=type(error).__name__, seq=next(self._seq))

    def on_unreadable(self, exc: BaseException) -> None:
        """An update PTB cannot read arrived; it is skipped."""
        self.metrics.error("update", exc)
        log.warning("update_unreadable", error=type(exc).__name__, seq=next(self._seq))

    # ------------------------------------------------------------ updates in

    async def handle(self, update: Update, bot: Bot) -> None:
        """Handle one update completely; never raises.

        A conversation goes to the core without awaiting anything first, so the core's
        lane keeps the order in which PTB started the updates (one task per update, in
        arrival order; with no persistence, PTB does not suspend before this handler).
        """
        engine = self.core.holder.engine
        try:
            kind, action = render.classify(
                update,
                self.core.now(),
                is_crisis=lambda text: engine.crisis_kind(text) is not None,
                languages=engine.content.languages,
            )
        except Exception as exc:  # a bug in reading the update: nothing to answer to
            self.core.error("update", exc)
            return
        delivery = f"{CHANNEL}:{update.update_id}"
        if isinstance(action, render.Converse):
            chat = Chat(bot, action.chat_id, action.query_id, action.pressed, action.delete)
            incoming = Incoming(
                key=self.keys.key(CHANNEL, action.chat_id),
                event=action.event,
                kind=kind,
                delivery=delivery,
                shown=action.seen,
                note=action.note,
            )
            await self.core.receive(self, chat, incoming)
            return
        if isinstance(action, render.Forget):
            forgotten = await self.core.forget(self.keys.key(CHANNEL, action.chat_id), delivery)
            self.metrics.update(kind if forgotten else "duplicate")
            return
        try:
            if not await self.core.first_time(delivery):
                self.metrics.update("duplicate")
                return
            self.metrics.update(kind)
            if isinstance(action, render.Leave):
                await self._leave(bot, action)
            elif action.query_id is not None:
                await self._answer(bot, action.query_id)
        except ConversationGoneError:
            return
        except Exception as exc:
            self.core.error("update", exc)

    async def _answer(self, bot: Bot, query_id: str) -> None:
        await self.call_api("answerCallbackQuery", bot.answer_callback_query(query_id))

    async def _leave(self, bot: Bot, action: render.Leave) -> None:
        if action.query_id is not None:
            await self._answer(bot, action.query_id)
        if self._recently_left(self.keys.key(CHANNEL, action.chat_id)):
            return
        if action.notice:
            line = self.text(action.lang or DEFAULT_LANG, render.GROUP_LEAVE)
            await self._send_all(bot, action.chat_id, render.plain(line))
        if await self.call_api("leaveChat", bot.leave_chat(action.chat_id)) is not None:
            self.metrics.reply("left")

    def _recently_left(self, key: str) -> bool:
        """True when this chat was left moments ago; otherwise note that it is left now."""
        now = time.monotonic()
        left = self._left
        while left and (len(left) > LEFT_MEMORY or next(iter(left.values())) < now):
            left.popitem(last=False)
        if key in left:
            return True
        left[key] = now + LEFT_SECONDS
        return False

    # ------------------------------------------------------------ the core's calls

    def hurry(self, to: Chat) -> None:
        """A crisis sentence or an erase came in: this chat's queued replies go first."""
        if self.scheduler is not None:
            self.scheduler.hurry(to.chat_id)

    async def acknowledge(self, to: Chat) -> None:
        """Stop the button's spinner; delete a shared contact or place unread."""
        if to.query_id is not None:
            await self._answer(to.bot, to.query_id)
        if to.delete_now:
            await self._delete(to.bot, to.chat_id, to.delete_now, Priority.CRISIS)

    async def show(self, to: Chat, message: Message, turn: Turn) -> Sequence[int]:
        """Send one message (or, for a multiple-choice toggle, edit the pressed one)."""
        if self.go_base is not None:
            message = through_go(message, self.go_base)
        if message.replaces and to.pressed is not None:
            in_place = render.replace_in_place(
                to.pressed, message, copy_label=self.text(turn.lang, render.COPY)
            )
            if in_place is not None and await self._edit(to.bot, to.chat_id, in_place, turn):
                return []
        calls, dropped = render.render_message(
            message, copy_label=self.text(turn.lang, render.COPY)
        )
        for _ in dropped:
            log.error("callback_data_too_long", seq=next(self._seq))
        return await self._send_all(to.bot, to.chat_id, calls, turn.priority)

    async def settle(self, to: Chat, outcome: Answered | Stale, turn: Turn) -> None:
        """The pressed message loses its answer buttons and, when answered, shows the choice."""
        if to.pressed is None:
            return
        labels = outcome.labels if isinstance(outcome, Answered) else ()
        edit = render.settle_press(
            to.pressed, labels, chosen_template=self.text(turn.lang, render.CHOSEN)
        )
        if edit is not None:
            await self._edit(to.bot, to.chat_id, edit, turn)

    async def erase(
        self, to: Chat, ids: Sequence[int], notice: str, turn: Turn, *, missed: bool = False
    ) -> None:
        """Delete every remembered message in batches of 100; say so when some stayed."""
        complete = not missed
        for batch in render.erase_batches(ids):
            call = to.bot.delete_messages(to.chat_id, batch, **self._limits(to.bot, turn.priority))
            done = await self.call_api("deleteMessages", call)
            if done:
                self.metrics.reply("deleted", len(batch))
            else:
                complete = False
        if not complete:
            notice = f"{notice}\n\n{self.text(turn.lang, render.ERASE_FAILED)}"
        await self._send_all(to.bot, to.chat_id, render.plain(notice), turn.priority)

    # ------------------------------------------------------------ Bot API calls

    @staticmethod
    def _limits(bot: Bot, priority: int) -> dict[str, Any]:
        """The priority for the scheduler (PTB refuses it when there is no rate limiter)."""
        return {"rate_limit_args": int(priority)} if getattr(bot, "rate_limiter", None) else {}

    async def _delete(self, bot: Bot, chat_id: int, ids: Sequence[int], priority: int) -> None:
        for batch in render.erase_batches(ids):
            call = bot.delete_messages(chat_id, batch, **self._limits(bot, priority))
            if await self.call_api("deleteMessages", call):
                self.metrics.reply("deleted", len(batch))

    async def _send_all(
        self,
        bot: Bot,
        chat_id: int,
        calls: Sequence[render.Outgoing],
        priority: int = Priority.REST,
    ) -> list[int]:
        ids: list[int] = []
        for call in calls:
            sent = await self.call_api(
                "sendMessage",
                bot.send_message(
                    chat_id,
                    call.text,
                    entities=call.entities or None,
                    reply_markup=call.reply_markup,
                    link_preview_options=_NO_PREVIEW,
                    **self._limits(bot, priority),
                ),
            )
            if sent is not None:
                ids.append(sent.message_id)
                self.metrics.reply("sent")
        return ids

    async def _edit(self, bot: Bot, chat_id: int, edit: render.Edit, turn: Turn) -> bool:
        limits = self._limits(bot, turn.priority)
        if edit.text is None:
            call: Awaitable[Any] = bot.edit_message_reply_markup(
                chat_id, edit.message_id, reply_markup=edit.reply_markup, **limits
            )
        else:
            call = bot.edit_message_text(
                edit.text,
                chat_id,
                edit.message_id,
                entities=edit.entities or None,
                reply_markup=edit.reply_markup,
                link_preview_options=_NO_PREVIEW,
                **limits,
            )
        done = await self.call_api("editMessage", call, not_modified_ok=True)
        if done is not None:
            self.metrics.reply("edited")
        return done is not None

    async def call_api(
        self, method: str, call: Awaitable[T], *, not_modified_ok: bool = False
    ) -> T | None:
        """Await one Bot API call; failures are logged (type only) and give None.

        Raises :class:`~bot.conversation.ConversationGoneError` when the person blocked the
        bot, so the rest of the reply is not attempted.
        """
        try:
            return await call
        except Forbidden as exc:
            self.metrics.error("api", exc)
            log.info("api_forbidden", method=method)
            if method in ("sendMessage", "editMessage"):
                raise ConversationGoneError from None
            return None
        except BadRequest as exc:
            if not_modified_ok and "not modified" in str(exc).lower():
                return True  # type: ignore[return-value]  # the edit is already there
            self.metrics.error("api", exc)
            log.warning("api_failed", method=method, error=type(exc).__name__)
            return None
        except TelegramError as exc:
            self.metrics.error("api", exc)
            log.warning("api_failed", method=method, error=type(exc).__name__)
            return None
