"""A stand-in Telegram Bot API server for tests and benchmarks.

It speaks the Bot API over real HTTP on 127.0.0.1, so the real python-telegram-bot
(``Bot(token, base_url=api.base_url)`` or ``ApplicationBuilder().base_url(api.base_url)``)
talks to it exactly as it would to Telegram: no mocks, the fake sits at the network seam.

What it does:

- answers the methods baken uses with Bot API 9.x shapes (``getMe``, ``getUpdates`` with real
  long polling, webhooks, ``sendMessage``, edits, deletes, callback answers, commands, ...) and
  rejects what Telegram rejects (text over 4096 characters, callback data over 64 bytes,
  unknown chats, broken HTML) with the same ``Bad Request: ...`` answers;
- records every call (:class:`Call`) and every rejection (:class:`Violation`) and keeps the
  visible messages of every chat, so tests can assert what a user would see;
- builds realistic updates (text, commands, button presses, contacts, locations, media,
  groups, channels, membership changes) and delivers them by long polling or webhook;
- injects faults (429 with ``retry_after``, 5xx, slow answers, timeouts, connection resets,
  malformed JSON) into the next calls of a method;
- numbers messages as Telegram does in private chats: from **one counter shared by every
  private chat**, with small random gaps (other chats, failed sends), so concurrent
  conversations interleave and no chat's ids are consecutive; groups and channels count
  on their own;
- lets a bot delete messages only within **48 hours** of their ``date``:
  ``deleteMessages`` skips older ones (as it skips unknown ones), ``deleteMessage`` refuses
  them; :meth:`StandinBotAPI.age` moves a chat's messages into the past.

In a test::

    async with StandinBotAPI() as api:
        bot = telegram.Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        api.push_update(api.text_update(42, "hallo"))
        ...
        await api.wait_for("sendMessage")
        assert api.sent_texts(42) == ["..."]

On its own, as the peer of a load generator::

    python -m testkit.botapi --port 0 --token 123456:TEST

prints ``READY http://127.0.0.1:PORT`` and serves until SIGINT or SIGTERM. The JSON control
API lives under ``/_control/``: ``POST updates`` (a list of updates, or of
``{"build": "text_update", "args": {...}}``), ``GET calls?method=X&limit=N``, ``GET
messages?chat_id=N``, ``POST reset`` and ``POST inject`` (the arguments of :meth:`inject`).
"""

from testkit.botapi.server import StandinBotAPI
from testkit.botapi.shapes import (
    DEFAULT_TOKEN,
    SECRET_HEADER,
    BotAPIError,
    Call,
    Violation,
    make_user,
    parse_html,
)

__all__ = [
    "DEFAULT_TOKEN",
    "SECRET_HEADER",
    "BotAPIError",
    "Call",
    "StandinBotAPI",
    "Violation",
    "make_user",
    "parse_html",
]
