"""The floor: a bare python-telegram-bot app that answers like baken, with no logic.

It makes the same Bot API calls per update as baken does on the shipped flow:

- a message (``/start`` or text): three ``sendMessage``, the last with an inline keyboard
  (baken's welcome, privacy line and first question);
- a button press: ``answerCallbackQuery``, ``editMessageText`` (the pressed message
  loses its buttons and shows the choice) and one ``sendMessage`` with a keyboard.

It is built like baken's bot (same connection pool, 256 concurrent updates, no
rate limiter, no job queue), so the difference in throughput is baken's own cost:
engine step, session store, rendering, logging. Run it as baken is run::

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
from telegram.request import HTTPXRequest

# About as long as a question of the shipped flow, with the same kind of keyboard.
TEXT = (
    "<b>Waar gaat het over?</b>\n"
    "Kies wat het beste past. Je kunt altijd stoppen; niets wordt bewaard als je dat niet wilt."
)
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Werk", callback_data="q:1")],
        [InlineKeyboardButton("Wonen", callback_data="q:2")],
        [InlineKeyboardButton("Geld", callback_data="q:3")],
        [
            InlineKeyboardButton("Terug", callback_data="!back"),
            InlineKeyboardButton("Stop", callback_data="!stop"),
        ],
    ]
)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer every update with baken's calls, and nothing else."""
    bot = context.bot
    query = update.callback_query
    if query is not None:
        await bot.answer_callback_query(query.id)
        message = query.message
        if message is not None:
            await bot.edit_message_text(
                f"{TEXT}\n\n→ {query.data}",
                chat_id=message.chat.id,
                message_id=message.message_id,
                parse_mode="HTML",
            )
            await bot.send_message(message.chat.id, TEXT, parse_mode="HTML", reply_markup=KEYBOARD)
        return
    if update.effective_chat is not None:
        # baken's /start is three messages: welcome, privacy, first question.
        chat_id = update.effective_chat.id
        await bot.send_message(chat_id, TEXT, parse_mode="HTML")
        await bot.send_message(chat_id, TEXT, parse_mode="HTML")
        await bot.send_message(chat_id, TEXT, parse_mode="HTML", reply_markup=KEYBOARD)


def build(token: str, base_url: str) -> Application:  # type: ignore[type-arg]
    """The bare Application: baken's transport settings, one handler."""
    request = HTTPXRequest(
        connection_pool_size=128,
        read_timeout=10.0,
        write_timeout=10.0,
        connect_timeout=5.0,
        pool_timeout=5.0,
    )
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .request(request)
        .job_queue(None)
        .concurrent_updates(256)
        .build()
    )
    application.add_handler(TypeHandler(Update, answer))
    return application


async def main() -> None:
    application = build(os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_BASE_URL"])
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
