"""The floor: a bare python-telegram-bot app with no logic at all.

It answers as the comparison in BENCHMARKS.md defines it:

- a message (``/start`` or text): one ``sendMessage`` with a two-button keyboard;
- a button press: ``answerCallbackQuery`` and one ``sendMessage`` with that keyboard.

baken makes about as many calls per update or a few more (it also marks the pressed
question), so the benchmark compares **Bot API calls per second**, not updates.
It is built like PTB's defaults for a busy bot (a pool of 128 connections, 256
concurrent updates, no rate limiter, no job queue), on PTB's own HTTP transport
(httpx), or with ``BARE_TRANSPORT=aiohttp`` on baken's, to tell the transport's share
from baken's own. Run it as baken is run::

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/bot \\
        .venv/bin/python -m bench.bare_bot

It logs one JSON line ``{"event": "polling"}`` on stderr when it is ready.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest, HTTPXRequest

# About as long as a question of the shipped flow, with the same kind of keyboard.
TEXT = (
    "Waar gaat het over?\n\n"
    "Kies wat het beste past. Je kunt altijd stoppen; niets wordt bewaard als je dat niet wilt."
)
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Ja", callback_data="q:ja"),
            InlineKeyboardButton("Nee", callback_data="q:nee"),
        ]
    ]
)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer every update with baken's calls, and nothing else."""
    bot = context.bot
    query = update.callback_query
    if query is not None:
        await bot.answer_callback_query(query.id)
        if query.message is not None:
            await bot.send_message(query.message.chat.id, TEXT, reply_markup=KEYBOARD)
        return
    if update.effective_chat is not None:
        await bot.send_message(update.effective_chat.id, TEXT, reply_markup=KEYBOARD)


def build(token: str, base_url: str, transport: str = "httpx") -> Application:  # type: ignore[type-arg]
    """The bare Application: one handler; PTB's httpx transport, or baken's aiohttp one."""
    request: BaseRequest
    if transport == "aiohttp":
        from bot.channels.telegram.transport import AiohttpRequest

        request = AiohttpRequest(connection_pool_size=128, read_timeout=10.0, pool_timeout=5.0)
        updates: BaseRequest = AiohttpRequest(connection_pool_size=1, read_timeout=10.0)
    else:
        request = HTTPXRequest(
            connection_pool_size=128,
            read_timeout=10.0,
            write_timeout=10.0,
            connect_timeout=5.0,
            pool_timeout=5.0,
        )
        updates = HTTPXRequest(connection_pool_size=1, read_timeout=10.0)
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .request(request)
        .get_updates_request(updates)
        .job_queue(None)
        .concurrent_updates(256)
        .build()
    )
    application.add_handler(TypeHandler(Update, answer))
    return application


async def main() -> None:
    application = build(
        os.environ["TELEGRAM_BOT_TOKEN"],
        os.environ["TELEGRAM_API_BASE_URL"],
        os.environ.get("BARE_TRANSPORT", "httpx"),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=30)
        print('{"event": "polling"}', file=sys.stderr, flush=True)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(main())
