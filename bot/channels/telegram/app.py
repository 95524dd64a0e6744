"""python-telegram-bot's Application, wired to the conversation core: build, register, run.

``baken run`` (long polling) and ``baken webhook`` (aiohttp server, see
:mod:`bot.channels.telegram.webhook`) start here. Build it in code with :func:`build`,
and the webhook server with :func:`webhook_app`::

    tbot = build(settings, store=MemoryStore(7200), webhook=True)
    app = webhook_app(tbot)          # aiohttp web.Application
    async with tbot.application:
        await tbot.application.start()
        ...

How an update travels: Telegram -> (getUpdates | POST /telegram) -> the Application's
update queue -> one ``TypeHandler`` -> :meth:`TelegramChannel.handle` ->
:func:`render.classify` -> :meth:`Conversations.receive` (order, duplicates, engine
step, session store) -> the channel's Bot API calls.

Decisions, deliberately made:

- **No PTB state.** No ``ConversationHandler``, no persistence, no
  ``user_data``/``chat_data``/``bot_data`` (never touched), no arbitrary callback
  data, no job queue. The session lives in baken's store under an HMAC of the chat
  id; no raw id is a key anywhere, in memory either.
- **Order and duplicates** are the core's (:mod:`bot.conversation`): PTB runs updates
  concurrently (up to ``MAX_CONCURRENT_UPDATES``), one task per update in arrival
  order, and the handler enters the core's lane before it awaits anything.
- **Flood control and retries.** One :class:`~bot.channels.telegram.scheduler.SendScheduler`
  for everything sent (unless ``BAKEN_RATE_LIMIT=off``): Telegram's overall and per-chat
  limits, shared through Redis when sessions are, crisis replies first, 429s honoured;
  5xx and transport errors are retried with backoff by
  :class:`~bot.channels.telegram.request.RetryingRequest`, which never repeats a
  ``sendMessage`` that may have arrived (see there).
- **One unreadable update never blocks the bot** (:class:`BakenBot`): it is skipped
  with its error type logged, where PTB would log the raw batch and fetch it forever.
- **Never crash in front of a person.** A bug in handling one update is logged
  (exception type and a sequence number only) and the person gets the emergency
  screen (112, 113, Fier). The PTB error handler logs the same, so PTB never logs an
  update itself.
- **Commands** are registered for private chats in Dutch, English and a default
  (Dutch): /start, /help, /stop, /privacy and /taal (/lang in English).
- **Webhook registration** only when ``BAKEN_WEBHOOK_URL`` is set: with the secret
  and ``allowed_updates`` = message, edited_message, callback_query, my_chat_member.
- **Exit codes and messages for operators** are the command line's (:mod:`bot.cli`):
  this module raises, it never prints.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import BotCommandScopeAllPrivateChats, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ExtBot,
    SimpleUpdateProcessor,
    TypeHandler,
)

from bot.channels.telegram import render
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.ratelimit import make_scheduler
from bot.channels.telegram.request import RetryingRequest
from bot.channels.telegram.transport import AiohttpRequest
from bot.conversation import Conversations
from bot.host import build_host
from bot.lifecycle import until_stopped
from bot.logs import get_logger
from bot.metrics import Metrics
from bot.serving import ContentHolder, install_reload, settle_heap
from bot.settings import Settings
from bot.stores import SessionStore
from flows.content import DEFAULT_LANG

if TYPE_CHECKING:
    from aiohttp import web

TgApplication = Application[Any, Any, Any, Any, Any, Any]

# Updates handled at once. In a peak most of them wait for their turn to send; they must
# all be inside the handler, so that a crisis sentence arriving later can reach the core
# (and hurry that person's queued replies) instead of queueing behind a thousand /starts.
MAX_CONCURRENT_UPDATES = 4096
POLL_TIMEOUT = dt.timedelta(seconds=30)
WEBHOOK_MAX_CONNECTIONS = 40
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

log = get_logger("baken.telegram")


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


# ---------------------------------------------------------------- building


@dataclass
class TelegramBot:
    """Everything :func:`build` made, for running, testing and benchmarking."""

    application: TgApplication
    channel: TelegramChannel
    request: RetryingRequest
    core: Conversations
    store: SessionStore
    metrics: Metrics
    holder: ContentHolder
    settings: Settings


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
    clock: Callable[[], float] = time.time,
) -> TelegramBot:
    """The PTB Application wired to baken: the one handler, ordering, rate limits, retries.

    ``webhook=True`` builds it without an updater: feed it updates yourself (see
    :func:`webhook_app`). Nothing touches the network until the Application is
    initialised.
    """
    if settings.TELEGRAM_BOT_TOKEN is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    token = settings.TELEGRAM_BOT_TOKEN.get_secret_value()
    host = build_host(settings, store=store, holder=holder, metrics=metrics, clock=clock)
    scheduler = make_scheduler(settings, host.store)
    channel = TelegramChannel(host.core, host.keys, scheduler)
    if settings.BAKEN_GO_LINKS == "on" and settings.BAKEN_WEB_PUBLIC_URL is not None:
        channel.go_base = settings.BAKEN_WEB_PUBLIC_URL  # counted by the web chat's /go/
    limited = settings.BAKEN_RATE_LIMIT == "on"
    request = RetryingRequest(
        AiohttpRequest(
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
        # Long polling holds one connection open for POLL_TIMEOUT; its own small pool.
        get_updates_request=AiohttpRequest(
            connection_pool_size=1, read_timeout=read_timeout, pool_timeout=5.0
        ),
        arbitrary_callback_data=False,
        # Shared through Redis when sessions are (several workers, one budget of 30/s).
        rate_limiter=scheduler,
        on_unreadable=channel.on_unreadable,
    )
    builder: Any = (
        ApplicationBuilder()
        .bot(bot)
        .job_queue(None)
        .concurrent_updates(SimpleUpdateProcessor(MAX_CONCURRENT_UPDATES))
    )
    if webhook:
        builder = builder.updater(None)
    application: TgApplication = builder.build()
    application.add_handler(TypeHandler(Update, channel.on_update))
    application.add_error_handler(channel.on_error)
    return TelegramBot(
        application, channel, request, host.core, host.store, host.metrics, host.holder, settings
    )


def build_application(
    settings: Settings, *, store: SessionStore | None = None, webhook: bool = False
) -> TgApplication:
    """Just the PTB Application of :func:`build`."""
    return build(settings, store=store, webhook=webhook).application


def webhook_app(tbot: TelegramBot) -> web.Application:
    """The aiohttp app of ``baken webhook`` for this bot (POST /telegram, /healthz, /metrics)."""
    from bot.channels.telegram.webhook import build_webhook_app  # not needed for polling

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

    return build_webhook_app(
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
    # All languages at once: one round trip before polling starts, not one per language.
    await asyncio.gather(
        *(
            tbot.channel.call_api(
                "setMyCommands",
                bot.set_my_commands(
                    commands, scope=BotCommandScopeAllPrivateChats(), language_code=code
                ),
            )
            for code, commands in menus
        )
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


def webhook_settings_problem(settings: Settings) -> str | None:
    """What is wrong with the webhook settings, for an operator; None when they are fine."""
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


async def serve_polling(tbot: TelegramBot, *, watch: bool = False) -> None:
    """Long polling until SIGINT or SIGTERM."""
    application = tbot.application
    reload_task = install_reload(tbot.holder, watch=watch)
    settle_heap()
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
            await until_stopped()
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
    from aiohttp import web  # here: baken run (polling) serves no web pages

    application = tbot.application
    reload_task = install_reload(tbot.holder, watch=watch)
    settle_heap()
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
            await until_stopped()
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
