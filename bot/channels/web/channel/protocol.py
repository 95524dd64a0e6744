"""The web chat's protocol: the frames between the page and the server, the close codes,
the limits, and the checks of what a page sends.

The web chat adapter turns frames from the page into the core's events, and the core's
outputs into numbered frames.

One WebSocket per browser tab (:class:`Tab`) carries JSON text frames. The page makes a
random conversation token (128 bits or more, base64url) when the person first does
something, keeps it in ``sessionStorage`` only, and sends it in ``hello``; the session
key is ``SessionKeys.key("web", token)``, and the raw token is dropped as soon as the
``hello`` is handled. Everything else is the core's (:mod:`bot.conversation`).

Frames, protocol version 1
==========================

From the page (every frame has ``"v": 1``; unknown fields are ignored)::

    {"t": "hello", "token": str | null, "have": int | null, "lang": str?}
        First frame on every socket, and again when the page makes its token. ``have``:
        the last numbered frame the page shows (0: none yet; null: the page was
        reloaded and shows nothing of the conversation).
    {"t": "ack", "n": int}                 every numbered frame up to n has arrived
    {"t": "start", "id": str, "payload": str | null, "lang": str?, "suggest": str?}
                                   "Begin" (/start); suggest: the browser's language, offered
    {"t": "press", "id": str, "data": str}                            a button
    {"t": "text",  "id": str, "text": str}                            typed text
    {"t": "exit",  "id": str}              quick exit: erase now (then the page leaves)

``id`` (``[A-Za-z0-9._-]``, at most 40) names one action of one page load; an action
sent again after a reconnect keeps its id, and the core drops it as a duplicate (the
delivery id is an HMAC of the token and the id, never the token itself).

From the server. Un-numbered frames are about this socket only::

    {"t": "ready", "next": int | null, "lost": bool}  answer to hello: the next numbered
        frame will be ``next``; ``lost``: frames the page did not have are gone (another
        worker, or too late), so the current question is asked again
    {"t": "got", "id": str}                the action was handled (its step saved, or a
        duplicate, or refused by a failure): the page stops sending it; sent after the
        turn's numbered frames, so a worker that dies mid-turn leaves it to be sent again
    {"t": "error", "code": str, "id": str?}   a frame was refused; the socket stays open.
        Codes: ``bad_frame``, ``too_fast`` (typed too fast: send it again later),
        ``too_long`` (more than 4,096 characters), ``no_conversation`` (no hello yet)
    {"t": "busy"}                          too many connections; the socket closes (1013)
    {"t": "reload", "lang": str, "texts": {...}}   content changed (``baken web --watch``)

Numbered frames (``"n"``: 1, 2, 3, … per conversation) are the conversation itself.
They wait in the conversation's :class:`Outbox` until the page acknowledges them, and
are sent again after a reconnect, so each arrives exactly once and in order::

    {"n": int, "t": "ui", "lang": str, "texts": {...}}    the page's words in this language
    {"n": int, "t": "msg", "text": str, "buttons": [[{"label", "data", "on"?, "box"?,
        "submit"?}]], "links": [{"label", "url"}], "replaces": bool, "copyable": bool,
        "parts"?: [{"t": "text", "text": str} | {"t": "card", ...}]}
        ``on``: a ticked option of a multiple-choice question (its label without the tick);
        ``box``: an option of one, ticked or not (the page draws a box); ``submit``: a button
        that ends one ("Klaar"). ``parts``: when the message holds service cards, its texts
        and cards in order (``text`` says the same as plain text). A card: ``service``,
        ``name``, ``purpose``, ``why``, ``status``, ``open`` (true, false, or null: not
        known), ``phone`` (as written), ``tel`` (digits to dial), ``free``, ``link`` (the
        place of its chat or website in ``links``, or null), ``chat`` (the link is a chat),
        ``details`` (e-mail, languages, interpreter).
    {"n": int, "t": "chosen", "labels": [str]}            a press was taken: show the choice
    {"n": int, "t": "stale"}                              a press was old: drop its buttons
    {"n": int, "t": "erased", "text": str}                erased: clear the page, say this

Close codes: 4000 from the page means quick exit (the server erases the conversation if
its ``exit`` frame did not arrive first); 4001 from the server means another tab took the
conversation over; 1013: too many connections, try again later; 1001: the server stops.

Decisions, deliberately made:

- **The outbox lives in this process's memory only** (:class:`Outbox`): at most
  ``OUTBOX_FRAMES`` frames for at most ``OUTBOX_SECONDS``, dropped on erase and when the
  page has acknowledged them. It is never written anywhere. When it cannot fill the gap
  (another worker, a reload, too late), the page is told ``lost`` and the engine asks the
  current question again (a :class:`Resume`), so the person is never stuck.
- **Nothing the person typed comes back**: the page shows its own words; the server
  sends only the engine's texts.
- **Limits**: typed text is rate limited per socket (a crisis sentence never is) and at
  most 4,096 characters; presses have a looser limit; bad frames get an ``error`` frame
  and the socket stays open, up to ``Limits.bad_frames`` of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

PROTOCOL = 1
CHANNEL = "web"
OUTBOX_FRAMES = 50
OUTBOX_SECONDS = 120.0
MAX_TEXT = 4096  # as on Telegram
MAX_DATA = 64  # button data, as Telegram's callback data
MAX_FRAME_BYTES = 64 * 1024  # 4,096 characters JSON-escaped fit easily
CLOSE_EXIT = 4000
CLOSE_TAKEN_OVER = 4001
CLOSE_BUSY = 1013
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008

TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
ACTION_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
LANG = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-socket limits (tests tighten them)."""

    text_burst: int = 6  # typed messages at once…
    text_per_second: float = 1 / 3  # …then one every three seconds
    press_burst: int = 30
    press_per_second: float = 3.0
    bad_frames: int = 50  # then the socket is closed (1008)
    turns_in_flight: int = 16  # per socket; more is refused as too fast


class Sink(Protocol):
    """One open socket as the channel sees it (:mod:`bot.channels.web.app` makes them)."""

    def send(self, text: str) -> None:
        """Queue one text frame; frames leave in the order queued. Never raises."""

    def close(self, code: int) -> None:
        """Close after the frames already queued."""


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def int_or_none(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def is_str(value: object, pattern: re.Pattern[str]) -> bool:
    return isinstance(value, str) and pattern.match(value) is not None
