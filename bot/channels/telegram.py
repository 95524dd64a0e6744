"""The Telegram channel: python-telegram-bot's Application around baken's engine.

Run it with ``baken run`` (long polling) or ``baken webhook`` (aiohttp server, see
:mod:`bot.web`). Build it in code with :func:`build` (or :func:`build_application`),
and the webhook server with :func:`webhook_app`::

    tbot = build(settings, store=MemoryStore(7200), webhook=True)
    app = webhook_app(tbot)          # aiohttp web.Application
    async with tbot.application:
        await tbot.application.start()
        ...

How an update travels: Telegram -> (getUpdates | POST /telegram) -> the
Application's update queue -> :class:`OrderedUpdateProcessor` -> one
``TypeHandler`` -> :meth:`TelegramChannel.handle` -> :func:`telegram_render.classify`
-> ``Runtime.handle`` (engine step, session store) -> Bot API calls.

Decisions, deliberately made:

- **No PTB state.** No ``ConversationHandler``, no persistence, no
  ``user_data``/``chat_data``/``bot_data`` (never touched), no arbitrary callback
  data, no job queue. The session lives in baken's store under
  ``SessionKeys.key(chat_id)``; no raw id is a key anywhere, in memory either.
- **Order and duplicates.** Updates of one chat run one at a time, in arrival order;
  different chats run concurrently (:class:`OrderedUpdateProcessor`, keyed by the
  HMAC session key; a chat's lock exists only while it has updates in flight, so
  memory stays bounded). An ``update_id`` the store has seen before
  (``SessionStore.first_time``, shared across workers where the store is) is
  ignored. When the store cannot answer, the update is handled anyway: a rare
  duplicate is better than a lost message.
- **Buttons are answered at once** (``answerCallbackQuery`` before the engine
  step), so the spinner stops even when the store is slow.
- **Edit or send** (see :mod:`bot.channels.telegram_render`): the pressed message
  keeps its text, loses its answer buttons and shows the choice (``→ label``);
  a multiple-choice toggle edits the keyboard in place; everything else is a new
  message. A failed edit is not fatal: the chat goes on with new messages.
- **Erase** (/stop, the stop button, the safe word): ``deleteMessages`` in batches
  of at most 100 over every message id the session remembered (the person's and
  the bot's) plus the incoming one, then one neutral line (``system.erased``,
  operators may change it). If a batch fails, the line says so honestly and how
  to delete the chat by hand (``channel.erase_failed``). Nothing after it is
  remembered.
- **Groups, supergroups, channels**: no triage; leave, with at most one neutral
  line (groups only, once per chat).
- **Flood control and retries.** ``AIORateLimiter(max_retries=3)`` honours 429s
  unless ``BAKEN_RATE_LIMIT=off``; 5xx and transport errors are retried with
  backoff by :class:`~bot.channels.telegram_request.RetryingRequest`, which never
  repeats a ``sendMessage`` that may have arrived (see there).
- **One unreadable update never blocks the bot** (:class:`BakenBot`): it is skipped
  with its error type logged, where PTB would log the raw batch and fetch it forever.
  The bot is built here (``base_url`` from ``TELEGRAM_API_BASE_URL``, the retrying
  request, the rate limiter) and handed to ``ApplicationBuilder().bot()``.
- **Never crash in front of a person.** Every Bot API call is guarded; a bug in
  handling one update is logged (exception type and a sequence number only) and
  the person gets the emergency screen (112, 113, Fier). The PTB error handler
  logs the same, so PTB never logs an update itself.
- **Commands** are registered for private chats in Dutch, English and a default
  (Dutch): /start, /help, /stop, /privacy and /taal (/lang in English).
- **Webhook registration** only when ``BAKEN_WEBHOOK_URL`` is set: with the secret
  and ``allowed_updates`` = message, edited_message, callback_query, my_chat_member.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import re
import signal
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from telegram import (
    Bot,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ExtBot, TypeHandler
from telegram.ext import BaseUpdateProcessor as _BaseUpdateProcessor
from telegram.request import HTTPXRequest

from bot.channels import telegram_render as render
from bot.channels.telegram_request import RetryingRequest
from bot.keys import SessionKeys
from bot.logging import get_logger
from bot.metrics import Metrics
from bot.ratelimit import make_rate_limiter
from bot.runtime import ContentHolder, Reply, Runtime
from bot.settings import Settings
from bot.stores import SessionStore, make_store
from bot.web import build_web_app
from flows import Choice, Count, Engine, Message, Output, Wipe
from flows.loader import DEFAULT_LANG

T = TypeVar("T")
TgApplication = Application[Any, Any, Any, Any, Any, Any]

MAX_CONCURRENT_UPDATES = 256
POLL_TIMEOUT = dt.timedelta(seconds=30)
WEBHOOK_MAX_CONNECTIONS = 40
# Groups recently left: updates already on their way from one group get no second line
# and no second leaveChat. Bounded in size and time; a group that adds the bot again
# later is left again.
LEFT_MEMORY = 1024
LEFT_SECONDS = 120.0
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

log = get_logger("baken.telegram")


# ---------------------------------------------------------------- ordering


class OrderedUpdateProcessor(_BaseUpdateProcessor):
    """Concurrent across chats, in order within one chat.

    PTB starts one task per update in arrival order; each takes the lock of its
    chat's lane before running. ``asyncio.Lock`` wakes waiters first-in first-out
    and nothing awaits between a task's start and its lock request, so one chat's
    updates run in the order they came. A lane is dropped as soon as no update of
    that chat is in flight. Lanes are keyed by the HMAC session key, never by a
    raw id. Updates without a chat run at once.

    PTB's semaphore (``max_concurrent_updates``) is taken before the lane lock, so a
    chat with very many updates in flight holds that many slots while they wait their
    turn; 256 slots leave ample room, and Telegram hands out at most 100 updates per
    poll (or ``max_connections`` webhook requests) at a time.
    """

    def __init__(self, key_of: Any, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._key_of = key_of
        self._lanes: dict[str, _Lane] = {}

    @property
    def lanes(self) -> int:
        """Chats with updates in flight (for tests: 0 when idle)."""
        return len(self._lanes)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key_of(update)
        if key is None:
            await coroutine
            return
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.waiting += 1
        try:
            async with lane.lock:
                await coroutine
        finally:
            lane.waiting -= 1
            if lane.waiting == 0:
                del self._lanes[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release; the Application waits for running updates itself."""


class _Lane:
    __slots__ = ("lock", "waiting")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


# ---------------------------------------------------------------- the bot


class BakenBot(ExtBot[Any]):
    """PTB's bot, except that one unreadable update never blocks polling.

    PTB parses a whole ``getUpdates`` batch at once: a single update it cannot read
    makes the batch fail, logs the raw batch (names and texts) at CRITICAL and fetches
    the same batch again, for ever. Here each update is checked on its own; one that
    cannot be read is replaced by an empty update with the same ``update_id``, so
    polling moves past it and the channel ignores it. Only its error type is logged.
    """

    __slots__ = ("_on_unreadable",)

    def __init__(
        self, *args: Any, on_unreadable: Callable[[BaseException], None], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._on_unreadable = on_unreadable

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return [kept for item in result if (kept := self._readable(item)) is not None]
        return result

    def _readable(self, item: Any) -> Any:
        try:
            Update.de_json(item, self)
        except Exception as exc:
            self._on_unreadable(exc)
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if isinstance(update_id, int) and not isinstance(update_id, bool):
                return {"update_id": update_id}
            return None
        return item


# ---------------------------------------------------------------- the channel


class _GoneError(Exception):
    """The person blocked the bot (or the chat is gone): stop sending for this update."""


class TelegramChannel:
    """Turns updates into engine events and engine outputs into Bot API calls."""

    def __init__(self, runtime: Runtime, keys: SessionKeys, metrics: Metrics) -> None:
        self.runtime = runtime
        self.keys = keys
        self.metrics = metrics
        self._seq = itertools.count(1)
        self._left: OrderedDict[str, float] = OrderedDict()

    # ------------------------------------------------------------ PTB hooks

    def order_key(self, update: object) -> str | None:
        """The lane of an update for :class:`OrderedUpdateProcessor`: its session key."""
        if not isinstance(update, Update):
            return None
        chat_id = render.chat_id_of(update)
        return self.keys.key(chat_id) if chat_id is not None else None

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

    def on_runtime_error(self, where: str, exc: BaseException) -> None:
        """The store or the engine failed; the runtime answered without a session."""
        self.metrics.error(where, exc)
        log.warning("runtime_error", where=where, error=type(exc).__name__, seq=next(self._seq))

    # ------------------------------------------------------------ handling

    @property
    def engine(self) -> Engine:
        """The engine on the current content (it changes when content is reloaded)."""
        return self.runtime.holder.engine

    def text(self, lang: str, key: str) -> str:
        """A content text (falls back to Dutch)."""
        return self.engine.content.text(lang, key)

    async def handle(self, update: Update, bot: Bot) -> None:
        """Handle one update completely; never raises."""
        action: render.Action = render.Ignore()
        try:
            engine = self.engine
            kind, action = render.classify(
                update,
                self.runtime.now(),
                is_crisis=lambda text: engine.crisis_kind(text) is not None,
                languages=engine.content.languages,
            )
            if not await self._first_time(update.update_id):
                self.metrics.update("duplicate")
                return
            self.metrics.update(kind)
            await self._act(bot, action)
        except asyncio.CancelledError:
            raise
        except _GoneError:
            return
        except Exception as exc:
            self.metrics.error("update", exc)
            log.error("update_failed", error=type(exc).__name__, seq=next(self._seq))
            if isinstance(action, render.Converse):
                await self._emergency(bot, action.chat_id)

    async def _first_time(self, update_id: int) -> bool:
        try:
            return await self.runtime.store.first_time(update_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.on_runtime_error("store", exc)
            return True

    async def _act(self, bot: Bot, action: render.Action) -> None:
        if isinstance(action, render.Converse):
            await self._converse(bot, action)
        elif isinstance(action, render.Leave):
            await self._leave(bot, action)
        elif isinstance(action, render.Forget):
            await self.runtime.store.delete(self.keys.key(action.chat_id))
        elif action.query_id is not None:
            await self._answer(bot, action.query_id)

    async def _answer(self, bot: Bot, query_id: str) -> None:
        await self.call_api("answerCallbackQuery", bot.answer_callback_query(query_id))

    async def _leave(self, bot: Bot, action: render.Leave) -> None:
        if action.query_id is not None:
            await self._answer(bot, action.query_id)
        if self._recently_left(self.keys.key(action.chat_id)):
            return
        if action.notice:
            line = self.text(action.lang or DEFAULT_LANG, render.GROUP_LEAVE)
            try:
                await self._send_plain(bot, action.chat_id, line)
            except _GoneError:
                return
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

    async def _converse(self, bot: Bot, action: render.Converse) -> None:
        chat_id = action.chat_id
        key = self.keys.key(chat_id)
        if action.query_id is not None:
            await self._answer(bot, action.query_id)
        if action.delete:
            await self._delete(bot, chat_id, action.delete)
        started = time.perf_counter()
        reply = await self.runtime.handle(key, action.event, seen=action.seen)
        self.metrics.step(time.perf_counter() - started)
        lang = reply.lang or DEFAULT_LANG
        outputs: Sequence[Output] = reply.outputs
        wiped = any(isinstance(o, Wipe) for o in outputs)
        sent: list[int] = []
        try:
            if action.note is not None and not wiped:
                sent += await self._send_plain(bot, chat_id, self.text(lang, action.note))
            if action.pressed is not None and not wiped and isinstance(action.event, Choice):
                outputs = await self._settle(
                    bot, chat_id, action.pressed, action.event, outputs, lang
                )
            for output in outputs:
                if isinstance(output, Message):
                    sent += await self._send_message(bot, chat_id, output, lang)
                elif isinstance(output, Wipe):
                    await self._erase(bot, chat_id, reply, output, lang)
        finally:
            if sent and not wiped:
                await self.runtime.remember(key, sent)

    async def _settle(
        self,
        bot: Bot,
        chat_id: int,
        pressed: render.Pressed,
        event: Choice,
        outputs: Sequence[Output],
        lang: str,
    ) -> Sequence[Output]:
        """Update the pressed message; returns the outputs still to send."""
        first = next((i for i, o in enumerate(outputs) if isinstance(o, Message)), None)
        if first is not None:
            message = outputs[first]
            assert isinstance(message, Message)
            in_place = render.replace_in_place(
                pressed, message, copy_label=self.text(lang, render.COPY)
            )
            if in_place is not None and await self._edit(bot, chat_id, in_place):
                return [*outputs[:first], *outputs[first + 1 :]]
        accepted = not any(isinstance(o, Count) and o.metric == "stale" for o in outputs)
        languages = self.engine.content.languages
        edit = render.settle_press(
            pressed,
            event.data,
            accepted=accepted,
            chosen_template=self.text(lang, render.CHOSEN),
            selected_templates={self.text(code, "button.selected") for code in languages},
        )
        if edit is not None:
            await self._edit(bot, chat_id, edit)
        return outputs

    async def _erase(self, bot: Bot, chat_id: int, reply: Reply, wipe: Wipe, lang: str) -> None:
        complete = True
        for batch in render.erase_batches(reply.erase):
            done = await self.call_api("deleteMessages", bot.delete_messages(chat_id, batch))
            if done:
                self.metrics.reply("deleted", len(batch))
            else:
                complete = False
        notice = wipe.notice
        if not complete:
            notice = f"{notice}\n\n{self.text(lang, render.ERASE_FAILED)}"
        await self._send_plain(bot, chat_id, notice)

    async def _delete(self, bot: Bot, chat_id: int, ids: Sequence[int]) -> None:
        for batch in render.erase_batches(ids):
            if await self.call_api("deleteMessages", bot.delete_messages(chat_id, batch)):
                self.metrics.reply("deleted", len(batch))

    async def _emergency(self, bot: Bot, chat_id: int) -> None:
        """Last resort after a bug: the emergency screen, without a session."""
        try:
            outputs = self.engine.without_session(Choice(at=self.runtime.now(), data=""))
            for output in outputs:
                if isinstance(output, Message):
                    await self._send_message(bot, chat_id, output, DEFAULT_LANG)
        except Exception as exc:  # nothing more we can do; never raise from here
            self.metrics.error("update", exc)
            log.error("emergency_failed", error=type(exc).__name__, seq=next(self._seq))

    # ------------------------------------------------------------ Bot API calls

    async def _send_message(self, bot: Bot, chat_id: int, message: Message, lang: str) -> list[int]:
        calls, dropped = render.render_message(message, copy_label=self.text(lang, render.COPY))
        for _ in dropped:
            log.error("callback_data_too_long", seq=next(self._seq))
        return await self._send_all(bot, chat_id, calls)

    async def _send_plain(self, bot: Bot, chat_id: int, text: str) -> list[int]:
        return await self._send_all(bot, chat_id, render.plain(text))

    async def _send_all(
        self, bot: Bot, chat_id: int, calls: Sequence[render.Outgoing]
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
                ),
            )
            if sent is not None:
                ids.append(sent.message_id)
                self.metrics.reply("sent")
        return ids

    async def _edit(self, bot: Bot, chat_id: int, edit: render.Edit) -> bool:
        if edit.text is None:
            call: Awaitable[Any] = bot.edit_message_reply_markup(
                chat_id, edit.message_id, reply_markup=edit.reply_markup
            )
        else:
            call = bot.edit_message_text(
                edit.text,
                chat_id,
                edit.message_id,
                entities=edit.entities or None,
                reply_markup=edit.reply_markup,
                link_preview_options=_NO_PREVIEW,
            )
        done = await self.call_api("editMessage", call, not_modified_ok=True)
        if done is not None:
            self.metrics.reply("edited")
        return done is not None

    async def call_api(
        self, method: str, call: Awaitable[T], *, not_modified_ok: bool = False
    ) -> T | None:
        """Await one Bot API call; failures are logged (type only) and give None.

        Raises :class:`_GoneError` when the person blocked the bot, so the rest of the
        reply is not attempted.
        """
        try:
            return await call
        except Forbidden as exc:
            self.metrics.error("api", exc)
            log.info("api_forbidden", method=method)
            if method in ("sendMessage", "editMessage"):
                raise _GoneError from None
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


# ---------------------------------------------------------------- building


@dataclass
class TelegramBot:
    """Everything :func:`build` made, for running, testing and benchmarking."""

    application: TgApplication
    channel: TelegramChannel
    request: RetryingRequest
    runtime: Runtime
    store: SessionStore
    metrics: Metrics
    holder: ContentHolder
    settings: Settings

    @property
    def processor(self) -> OrderedUpdateProcessor:
        processor = self.application.update_processor
        assert isinstance(processor, OrderedUpdateProcessor)
        return processor


def _file_url(base_url: str) -> str:
    """The file URL that goes with a Bot API base URL (``.../bot`` -> ``.../file/bot``)."""
    if base_url.endswith("/bot"):
        return base_url[: -len("bot")] + "file/bot"
    return "https://api.telegram.org/file/bot"


def build(
    settings: Settings,
    *,
    store: SessionStore | None = None,
    holder: ContentHolder | None = None,
    metrics: Metrics | None = None,
    webhook: bool = False,
    read_timeout: float = 10.0,
    backoff: float = 0.5,
) -> TelegramBot:
    """The PTB Application wired to baken: the one handler, ordering, rate limits, retries.

    ``webhook=True`` builds it without an updater: feed it updates yourself (see
    :func:`webhook_app`). Nothing touches the network until the Application is
    initialised.
    """
    if settings.TELEGRAM_BOT_TOKEN is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    token = settings.TELEGRAM_BOT_TOKEN.get_secret_value()
    holder = holder or ContentHolder(settings.BAKEN_CONTENT_DIR)
    store = store or make_store(settings)
    metrics = metrics or Metrics()
    secret = settings.BAKEN_SESSION_SECRET
    keys = SessionKeys(secret.get_secret_value().encode() if secret else None)
    channel: TelegramChannel | None = None

    def runtime_error(where: str, exc: BaseException) -> None:
        if channel is not None:
            channel.on_runtime_error(where, exc)

    runtime = Runtime(holder, store, on_count=metrics.count, on_error=runtime_error)
    channel = TelegramChannel(runtime, keys, metrics)
    limited = settings.BAKEN_RATE_LIMIT == "on"
    request = RetryingRequest(
        HTTPXRequest(
            connection_pool_size=128,
            read_timeout=read_timeout,
            write_timeout=read_timeout,
            connect_timeout=5.0,
            pool_timeout=5.0,
        ),
        backoff=backoff,
        honour_retry_after=not limited,
    )
    bot = BakenBot(
        token,
        base_url=settings.TELEGRAM_API_BASE_URL,
        base_file_url=_file_url(settings.TELEGRAM_API_BASE_URL),
        request=request,
        arbitrary_callback_data=False,
        # Shared through Redis when sessions are (several workers, one budget of 30/s).
        rate_limiter=make_rate_limiter(settings, store, AIORateLimiter(max_retries=3)),
        on_unreadable=channel.on_unreadable,
    )
    builder: Any = (
        ApplicationBuilder()
        .bot(bot)
        .job_queue(None)
        .concurrent_updates(OrderedUpdateProcessor(channel.order_key))
    )
    if webhook:
        builder = builder.updater(None)
    application: TgApplication = builder.build()
    application.add_handler(TypeHandler(Update, channel.on_update))
    application.add_error_handler(channel.on_error)
    return TelegramBot(application, channel, request, runtime, store, metrics, holder, settings)


def build_application(
    settings: Settings, *, store: SessionStore | None = None, webhook: bool = False
) -> TgApplication:
    """Just the PTB Application of :func:`build`."""
    return build(settings, store=store, webhook=webhook).application


def webhook_app(tbot: TelegramBot) -> web.Application:
    """The aiohttp app of ``baken webhook`` for this bot (POST /telegram, /healthz, /metrics)."""
    secret = tbot.settings.BAKEN_WEBHOOK_SECRET
    if secret is None:
        raise ValueError("BAKEN_WEBHOOK_SECRET is not set")
    application = tbot.application

    async def feed(data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, application.bot)
        except Exception as exc:  # an update PTB cannot read: retrying will not help
            tbot.channel.on_unreadable(exc)
            return
        await application.update_queue.put(update)

    return build_web_app(
        secret=secret.get_secret_value(),
        feed=feed,
        health=tbot.store.ping,
        metrics=tbot.metrics,
    )


async def register(tbot: TelegramBot, *, webhook: bool) -> None:
    """Set the command menus; in webhook mode, register BAKEN_WEBHOOK_URL when set."""
    bot = tbot.application.bot
    content = tbot.holder.engine.content
    menus = render.bot_commands(content.text, content.languages, DEFAULT_LANG)
    for code, commands in menus:
        await tbot.channel.call_api(
            "setMyCommands",
            bot.set_my_commands(
                commands, scope=BotCommandScopeAllPrivateChats(), language_code=code
            ),
        )
    url = tbot.settings.BAKEN_WEBHOOK_URL
    if webhook and url:
        secret = tbot.settings.BAKEN_WEBHOOK_SECRET
        assert secret is not None
        await bot.set_webhook(
            url,
            secret_token=secret.get_secret_value(),
            allowed_updates=list(render.ALLOWED_UPDATES),
            max_connections=WEBHOOK_MAX_CONNECTIONS,
        )
        log.info("webhook_registered")


# ---------------------------------------------------------------- running


def _check_webhook_settings(settings: Settings) -> str | None:
    secret = settings.BAKEN_WEBHOOK_SECRET
    if secret is None:
        return (
            "BAKEN_WEBHOOK_SECRET is not set. Choose a random secret of 1-256 characters "
            "A-Z a-z 0-9 _ - (for example: openssl rand -hex 32)."
        )
    if not _SECRET.match(secret.get_secret_value()):
        return "BAKEN_WEBHOOK_SECRET may only hold 1-256 characters A-Z a-z 0-9 _ -."
    url = settings.BAKEN_WEBHOOK_URL
    if url and not url.startswith("https://"):
        return "BAKEN_WEBHOOK_URL must start with https:// (Telegram only calls HTTPS webhooks)."
    return None


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def serve_polling(tbot: TelegramBot, *, watch: bool = False) -> None:
    """Long polling until SIGINT or SIGTERM."""
    from bot.cli import install_reload

    application = tbot.application
    reload_task = install_reload(tbot.holder, watch=watch)
    try:
        async with application:
            await register(tbot, webhook=False)
            await application.start()
            updater = application.updater
            assert updater is not None
            await updater.start_polling(
                poll_interval=0.0,
                timeout=POLL_TIMEOUT,
                allowed_updates=list(render.ALLOWED_UPDATES),
                drop_pending_updates=False,
                error_callback=tbot.channel.on_polling_error,
            )
            log.info("polling", mode="polling")
            await _until_stopped()
            log.info("stopping", mode="polling")
            tbot.request.stop_retrying()  # finish what is in flight, but quickly
            await updater.stop()
            await application.stop()
    finally:
        if reload_task is not None:
            reload_task.cancel()
        await tbot.store.close()


async def serve_webhook(tbot: TelegramBot, *, host: str, port: int, watch: bool = False) -> None:
    """The webhook server until SIGINT or SIGTERM."""
    from bot.cli import install_reload

    application = tbot.application
    reload_task = install_reload(tbot.holder, watch=watch)
    runner = web.AppRunner(
        webhook_app(tbot), access_log=None, handler_cancellation=True, shutdown_timeout=5.0
    )
    try:
        async with application:
            await register(tbot, webhook=True)
            await application.start()
            await runner.setup()
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound = runner.addresses[0][1] if runner.addresses else port
            log.info("webhook_listening", mode="webhook", host=host, port=bound)
            await _until_stopped()
            log.info("stopping", mode="webhook")
            tbot.request.stop_retrying()  # finish what is in flight, but quickly
            await runner.cleanup()  # no new updates first, then finish the queued ones
            await application.stop()
    finally:
        if runner.server is not None:  # stopped early by an error
            await runner.cleanup()
        if reload_task is not None:
            reload_task.cancel()
        await tbot.store.close()


def _run(command: str, main: Any) -> int:
    # PTB 22 reports durations as timedelta only when asked; baken reads none, but this
    # keeps deprecation warnings out of the logs.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        asyncio.run(main)
    except InvalidToken:
        print(  # noqa: T201 - an operator's error at start
            f"baken {command}: Telegram refused TELEGRAM_BOT_TOKEN. Copy the token from "
            "@BotFather again (README: 'Put it on Telegram').",
            file=sys.stderr,
        )
        return 2
    except TelegramError as exc:
        print(  # noqa: T201
            f"baken {command}: could not reach the Bot API ({type(exc).__name__}). Check the "
            "network and TELEGRAM_API_BASE_URL.",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"baken {command}: {exc.strerror or type(exc).__name__}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


def run_polling(settings: Settings, *, watch: bool = False) -> int:
    """``baken run``: long polling on Telegram. Returns the exit status."""
    tbot = build(settings)
    return _run("run", serve_polling(tbot, watch=watch))


def run_webhook(settings: Settings, *, host: str, port: int, watch: bool = False) -> int:
    """``baken webhook``: the webhook server. Returns the exit status."""
    problem = _check_webhook_settings(settings)
    if problem is not None:
        print(f"baken webhook: {problem}", file=sys.stderr)  # noqa: T201
        return 2
    tbot = build(settings, webhook=True)
    return _run("webhook", serve_webhook(tbot, host=host, port=port, watch=watch))
