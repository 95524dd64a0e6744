"""The web chat adapter: frames from the page in, the core's outputs out as numbered frames.

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
    {"t": "got", "id": str}                the action arrived and was handled
    {"t": "error", "code": str, "id": str?}   a frame was refused; the socket stays open.
        Codes: ``bad_frame``, ``too_fast`` (typed too fast: send it again later),
        ``too_long`` (more than 4,096 characters), ``no_conversation`` (no hello yet)
    {"t": "busy"}                          too many connections; the socket closes (1013)
    {"t": "reload", "lang": str, "texts": {...}}   content changed (``baken web --watch``)

Numbered frames (``"n"``: 1, 2, 3, … per conversation) are the conversation itself.
They wait in the conversation's :class:`Outbox` until the page acknowledges them, and
are sent again after a reconnect, so each arrives exactly once and in order::

    {"n": int, "t": "ui", "lang": str, "texts": {...}}    the page's words in this language
    {"n": int, "t": "msg", "text": str, "buttons": [[{"label", "data", "on"?}]],
        "links": [{"label", "url"}], "replaces": bool, "copyable": bool}
        ``on``: a ticked option of a multiple-choice question (its label without the tick)
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

import asyncio
import json
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.channels.texts import WEB_TEXTS
from bot.conversation import Conversations, Incoming, Turn
from bot.keys import SessionKeys
from bot.logging import get_logger
from bot.tokenbucket import TokenBucket
from flows import Answered, Button, Choice, Command, Message, Resume, Stale, Start, Text
from flows.commands import deep_link, typed_event
from flows.events import Event

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

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
_ACTION_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
_LANG = re.compile(r"^[a-z]{2,3}$")

log = get_logger("baken.web")


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


class Outbox:
    """The numbered frames of one conversation that its page has not acknowledged yet.

    In this process's memory only, never written anywhere; bounded by ``OUTBOX_FRAMES``
    and ``OUTBOX_SECONDS``. ``floor``: every frame up to it is gone (acknowledged or
    dropped); the kept frames are ``floor + 1 … next - 1``.
    """

    __slots__ = ("ended", "floor", "frames", "key", "lang", "next", "sink", "touched")

    def __init__(self, key: str, now: float) -> None:
        self.key = key
        self.next = 1
        self.floor = 0
        self.frames: deque[tuple[int, float, str]] = deque()
        self.lang: str | None = None  # the language of the page's words, as last sent
        self.sink: Sink | None = None
        self.touched = now
        self.ended = False

    def push(self, frame: dict[str, Any], now: float) -> None:
        """Number a frame, keep it until acknowledged, and send it if a page is connected."""
        n = self.next
        self.next += 1
        text = dumps({"n": n, **frame})
        self.frames.append((n, now, text))
        while len(self.frames) > OUTBOX_FRAMES:
            self.floor = self.frames.popleft()[0]
        self.touched = now
        if self.sink is not None:
            self.sink.send(text)

    def tell(self, frame: dict[str, Any]) -> None:
        """An un-numbered frame for the connected page, if any (not kept)."""
        if self.sink is not None:
            self.sink.send(dumps(frame))

    def ack(self, n: int) -> None:
        while self.frames and self.frames[0][0] <= n:
            self.floor = self.frames.popleft()[0]
        self.floor = max(self.floor, min(n, self.next - 1))

    def can_fill(self, have: int | None) -> bool:
        """True when every frame after ``have`` is still here."""
        return have is not None and self.floor <= have <= self.next - 1

    def drop_older(self, deadline: float) -> None:
        while self.frames and self.frames[0][1] < deadline:
            self.floor = self.frames.popleft()[0]

    def clear(self) -> None:
        if self.frames:
            self.floor = self.frames[-1][0]
        self.frames.clear()


@dataclass(slots=True)
class Page:
    """The core's ``to`` for one turn: the conversation's outbox and the action answered."""

    box: Outbox
    action: str | None = None
    leaving: bool = False  # quick exit: the page is gone, keep nothing after the erase
    acknowledged: bool = False


class WebChannel:
    """The core's channel for every web page of this process, and their outboxes."""

    name = "web"
    remembers = False  # the page clears itself: no message ids are kept for erase
    erase_window = None

    def __init__(
        self,
        core: Conversations,
        keys: SessionKeys,
        *,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.core = core
        self.keys = keys
        self.limits = limits or Limits()
        self.clock = clock
        self.metrics = core.metrics
        self.boxes: dict[str, Outbox] = {}
        self.tabs: set[Tab] = set()
        self.turns: set[asyncio.Task[Any]] = set()
        self._texts: dict[tuple[str, str], dict[str, str]] = {}

    # ------------------------------------------------------------ the page's words

    def texts(self, lang: str) -> dict[str, str]:
        """The page's own words (``web.*``) in ``lang``, by their short names."""
        engine = self.core.holder.engine
        cache_key = (engine.version, lang)
        found = self._texts.get(cache_key)
        if found is None:
            if len(self._texts) > 64:
                self._texts.clear()
            found = {name: engine.content.text(lang, key) for name, key in WEB_TEXTS.items()}
            meta = engine.content.reviews.get(lang)
            found["dir"] = meta.direction if meta is not None else "ltr"
            self._texts[cache_key] = found
        return found

    def language(self, wanted: str | None) -> str | None:
        """``wanted`` when the content speaks it, else None."""
        languages = self.core.holder.engine.content.languages
        return wanted if wanted in languages else None

    # ------------------------------------------------------------ the core's calls

    def hurry(self, to: Page) -> None:
        """Frames go out at once; there is no queue to hurry."""

    async def acknowledge(self, to: Page) -> None:
        """Tell the page its action arrived, so it does not send it again."""
        if to.action is not None:
            to.box.tell({"t": "got", "id": to.action})
            to.acknowledged = True

    async def show(self, to: Page, message: Message, turn: Turn) -> Sequence[int]:
        """One bot message as a numbered frame (after the page's words, if the language changed)."""
        box = to.box
        now = self.clock()
        box.ended = False
        if box.lang != turn.lang:
            box.lang = turn.lang
            box.push({"t": "ui", "lang": turn.lang, "texts": self.texts(turn.lang)}, now)
        box.push(
            {
                "t": "msg",
                "text": message.text,
                "buttons": [[self._button(b) for b in row] for row in message.buttons],
                "links": [{"label": link.label, "url": link.url} for link in message.links],
                "replaces": message.replaces,
                "copyable": message.copyable,
            },
            now,
        )
        self.metrics.reply("sent")
        return ()

    def _button(self, button: Button) -> dict[str, Any]:
        """A button for the page; a ticked option says so (``on``) instead of a tick sign.

        The page draws its own tick and sets ``aria-pressed``, so a tick never depends on
        an emoji font and a screen reader says "pressed" rather than the emoji's name.
        """
        if button.selected:
            return {"label": button.label, "data": button.data, "on": True}
        return {"label": button.label, "data": button.data}

    async def settle(self, to: Page, outcome: Answered | Stale, turn: Turn) -> None:
        """Show what was chosen as the person's own bubble, or drop the old buttons."""
        if isinstance(outcome, Answered):
            to.box.push({"t": "chosen", "labels": list(outcome.labels)}, self.clock())
        else:
            to.box.push({"t": "stale"}, self.clock())

    async def erase(
        self, to: Page, ids: Sequence[int], notice: str, turn: Turn, *, missed: bool = False
    ) -> None:
        """Drop every frame not yet shown; the page clears itself and shows ``notice``."""
        box = to.box
        box.clear()
        box.lang = None
        box.push({"t": "erased", "text": notice}, self.clock())
        box.ended = True
        self.metrics.reply("deleted")

    # ------------------------------------------------------------ conversations

    def run(self, page: Page, incoming: Incoming, tab: Tab | None = None) -> None:
        """Hand an incoming to the core in a task of its own.

        A closing socket never cancels a turn (an erase must finish), and the core's lane
        is entered in the order the tasks were made.
        """
        if tab is not None:
            tab.in_flight += 1
        task = asyncio.get_running_loop().create_task(self._run(page, incoming, tab))
        self.turns.add(task)
        task.add_done_callback(self.turns.discard)

    async def _run(self, page: Page, incoming: Incoming, tab: Tab | None) -> None:
        box = page.box
        try:
            reply = await self.core.receive(self, page, incoming)
            if page.action is not None and not page.acknowledged:
                box.tell({"t": "got", "id": page.action})  # a duplicate, or a failed turn
            if reply is None and box.next == 1 and not page.leaving:
                # A duplicate of an action another worker answered, before this page got any
                # of it: ask for the current question, so the page is not left empty.
                resume = Resume(at=self.core.now())
                await self.core.receive(self, Page(box), Incoming(box.key, resume))
        finally:
            if tab is not None:
                tab.in_flight -= 1
            if page.leaving and box.sink is None:
                self.forget(box)

    def box(self, key: str) -> tuple[Outbox, bool]:
        """The outbox of a conversation on this worker; True when it was just made."""
        box = self.boxes.get(key)
        if box is not None:
            return box, False
        box = self.boxes[key] = Outbox(key, self.clock())
        return box, True

    def acked(self, box: Outbox, n: int) -> None:
        box.ack(n)
        if box.ended and not box.frames:
            self.forget(box)  # the page has the "erased" frame: nothing left to keep

    def forget(self, box: Outbox) -> None:
        if self.boxes.get(box.key) is box:
            del self.boxes[box.key]

    def sweep(self) -> None:
        """Drop frames older than ``OUTBOX_SECONDS``, and outboxes unused for that long."""
        now = self.clock()
        deadline = now - OUTBOX_SECONDS
        for key, box in list(self.boxes.items()):
            box.drop_older(deadline)
            if box.sink is None and box.touched < deadline:
                del self.boxes[key]

    def reload(self) -> None:
        """Content changed (``--watch``): every open page restarts its conversation."""
        for tab in list(self.tabs):
            box = tab.box
            lang = (box.lang if box is not None else None) or tab.lang
            if box is not None:
                box.lang = None
            tab.sink.send(dumps({"t": "reload", "lang": lang, "texts": self.texts(lang)}))

    async def finish(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait (a while) for the turns in flight, e.g. before the process stops."""
        if self.turns:
            await asyncio.wait(set(self.turns), timeout=timeout)

    def open(self, sink: Sink, lang: str | None = None) -> Tab:
        tab = Tab(self, sink, self.language(lang) or self.core.holder.engine.content.languages[0])
        self.tabs.add(tab)
        self.metrics.web_connection(+1)
        return tab


class Tab:
    """One open WebSocket: the page in one browser tab, and its limits."""

    __slots__ = (
        "bad",
        "box",
        "channel",
        "exit_seen",
        "in_flight",
        "lang",
        "presses",
        "salt",
        "sink",
        "typed",
    )

    def __init__(self, channel: WebChannel, sink: Sink, lang: str) -> None:
        limits = channel.limits
        self.channel = channel
        self.sink = sink
        self.lang = lang
        self.box: Outbox | None = None
        self.salt: str | None = None  # an HMAC of the token, for delivery ids
        self.typed = TokenBucket(limits.text_burst, limits.text_per_second, channel.clock)
        self.presses = TokenBucket(limits.press_burst, limits.press_per_second, channel.clock)
        self.bad = 0
        self.in_flight = 0
        self.exit_seen = False

    # ------------------------------------------------------------ frames in

    def receive(self, raw: str) -> None:
        """Handle one text frame from the page. Never raises."""
        try:
            frame = json.loads(raw)
        except ValueError:
            self.refuse("bad_frame")
            return
        if not isinstance(frame, dict) or frame.get("v") != PROTOCOL:
            self.refuse("bad_frame")
            return
        kind = frame.get("t")
        try:
            if kind == "hello":
                self._hello(frame)
            elif kind == "ack":
                self._ack(frame)
            elif kind in ("start", "press", "text", "exit"):
                self._act(kind, frame)
            else:
                self.refuse("bad_frame")
        except Exception as exc:  # a bug here must not close the person's chat
            self.channel.core.error("update", exc)
            self.refuse("bad_frame")

    def refuse(self, code: str, action: str | None = None) -> None:
        """Answer a refused frame with an error frame; too many bad ones close the socket."""
        self.channel.metrics.web_refused(code)
        frame: dict[str, Any] = {"t": "error", "code": code}
        if action is not None:
            frame["id"] = action
        self.sink.send(dumps(frame))
        if code == "bad_frame":
            self.bad += 1
            if self.bad >= self.channel.limits.bad_frames:
                self.sink.close(CLOSE_POLICY)

    def _hello(self, frame: dict[str, Any]) -> None:
        token, have = frame.get("token"), frame.get("have")
        lang = frame.get("lang")
        if isinstance(lang, str) and _LANG.match(lang):
            self.lang = self.channel.language(lang) or self.lang
        if not _int_or_none(have) or (token is not None and not _is_str(token, _TOKEN)):
            self.refuse("bad_frame")
            return
        self._detach()
        if token is None:
            self.sink.send(dumps({"t": "ready", "next": None, "lost": False}))
            return
        channel = self.channel
        key = channel.keys.key(CHANNEL, token)
        self.salt = channel.keys.key("web-delivery", token)
        box, new = channel.box(key)
        if box.sink is not None and box.sink is not self.sink:
            box.sink.close(CLOSE_TAKEN_OVER)  # the same token in another tab: the newest wins
        box.sink = self.sink
        self.box = box
        fresh = new and have == 0
        if fresh or box.can_fill(have):
            assert have is not None
            box.ack(have)
            self.sink.send(dumps({"t": "ready", "next": have + 1, "lost": False}))
            for _, _, text in box.frames:
                self.sink.send(text)
            if not fresh:
                channel.metrics.web_resumed("outbox")
            return
        box.clear()
        if have is not None and have >= box.next:
            box.next = have + 1
        box.floor = box.next - 1
        box.lang = None  # the page's words go again with the question
        self.sink.send(dumps({"t": "ready", "next": box.next, "lost": True}))
        channel.metrics.web_resumed("lost")
        event = Resume(at=channel.core.now())
        channel.run(Page(box), Incoming(key, event, kind="button"))

    def _ack(self, frame: dict[str, Any]) -> None:
        n = frame.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            self.refuse("bad_frame")
            return
        if self.box is not None:
            self.channel.acked(self.box, n)

    def _act(self, kind: str, frame: dict[str, Any]) -> None:
        action = frame.get("id")
        if not _is_str(action, _ACTION_ID):
            self.refuse("bad_frame")
            return
        assert isinstance(action, str)
        box, salt = self.box, self.salt
        if box is None or salt is None:
            self.refuse("no_conversation", action)
            return
        channel = self.channel
        at = channel.core.now()
        event: Event
        urgent = leaving = False
        if kind == "text":
            text = frame.get("text")
            if not isinstance(text, str):
                self.refuse("bad_frame", action)
                return
            engine = channel.core.holder.engine
            urgent = engine.crisis_kind(text[: MAX_TEXT * 2]) is not None
            if len(text) > MAX_TEXT and not urgent:
                self.refuse("too_long", action)
                return
            text = text[:MAX_TEXT]
            if not urgent and not self.typed.take():
                self.refuse("too_fast", action)
                return
            if not text.strip():
                box.tell({"t": "got", "id": action})
                return
            event = typed_event(text, at)  # a command typed as on Telegram, or text
            kind_name = "text" if isinstance(event, Text) else "command"
        elif kind == "press":
            data = frame.get("data")
            if not isinstance(data, str) or not data or len(data) > MAX_DATA:
                self.refuse("bad_frame", action)
                return
            if not self.presses.take():
                self.refuse("too_fast", action)
                return
            kind_name, event = "button", Choice(at=at, data=data)
        elif kind == "start":
            payload = frame.get("payload")
            lang = frame.get("lang")
            suggest = frame.get("suggest")
            if not self.presses.take():
                self.refuse("too_fast", action)
                return
            kind_name = "command"
            event = Start(
                at=at,
                payload=deep_link(payload),
                lang=channel.language(lang) if isinstance(lang, str) else None,
                suggest=channel.language(suggest) if isinstance(suggest, str) else None,
            )
        else:  # exit: never limited
            self.exit_seen = True
            kind_name, event, urgent = "command", Command(at=at, name="stop"), True
            leaving = True
        if self.in_flight >= channel.limits.turns_in_flight and not urgent:
            self.refuse("too_fast", action)
            return
        delivery = channel.keys.key("web-delivery", f"{salt}:{action}")
        page = Page(box, action, leaving=leaving)
        channel.run(page, Incoming(box.key, event, kind=kind_name, delivery=delivery), self)

    # ------------------------------------------------------------ the socket ends

    def closed(self, code: int | None) -> None:
        """The socket closed. Quick exit (4000) erases, unless its exit frame did already."""
        channel = self.channel
        channel.tabs.discard(self)
        channel.metrics.web_connection(-1)
        box = self.box
        self._detach()
        if box is None:
            return
        if code == CLOSE_EXIT and not self.exit_seen and not box.ended:
            event = Command(at=channel.core.now(), name="stop")
            channel.run(Page(box, leaving=True), Incoming(box.key, event, kind="command"))
        elif self.exit_seen and box.ended:
            channel.forget(box)  # quick exit: nothing to keep for a page that has left

    def _detach(self) -> None:
        box = self.box
        if box is not None and box.sink is self.sink:
            box.sink = None
            box.touched = self.channel.clock()
        self.box = None
        self.salt = None


def _int_or_none(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _is_str(value: object, pattern: re.Pattern[str]) -> bool:
    return isinstance(value, str) and pattern.match(value) is not None
