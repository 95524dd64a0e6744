"""One open WebSocket (:class:`Tab`): the frames of one browser tab in, checked and
limited, handed to the channel as the core's events."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from bot.channels.web.channel.outbox import Outbox, Page
from bot.channels.web.channel.protocol import (
    ACTION_ID,
    CHANNEL,
    CLOSE_EXIT,
    CLOSE_POLICY,
    CLOSE_TAKEN_OVER,
    LANG,
    MAX_DATA,
    MAX_TEXT,
    PROTOCOL,
    TOKEN,
    Limits,
    Sink,
    dumps,
    int_or_none,
    is_str,
)
from bot.conversation import Conversations, Incoming, Judged
from bot.keys import SessionKeys
from bot.metrics import Metrics
from bot.tokenbucket import TokenBucket
from flows import Choice, Command, Resume, Start, Text
from flows.commands import deep_link, typed_event
from flows.events import Event


class Host(Protocol):
    """What a tab needs of its channel (:class:`~bot.channels.web.channel.channel.WebChannel`)."""

    core: Conversations
    keys: SessionKeys
    limits: Limits
    clock: Callable[[], float]
    metrics: Metrics
    tabs: set[Tab]

    def language(self, wanted: str | None) -> str | None: ...
    def texts(self, lang: str) -> dict[str, str]: ...
    def box(self, key: str) -> tuple[Outbox, bool]: ...
    def acked(self, box: Outbox, n: int) -> None: ...
    def forget(self, box: Outbox) -> None: ...
    def run(self, page: Page, incoming: Incoming, tab: Tab | None = None) -> None: ...


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

    def __init__(self, channel: Host, sink: Sink, lang: str) -> None:
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
        if isinstance(lang, str) and LANG.match(lang):
            self.lang = self.channel.language(lang) or self.lang
        if not int_or_none(have) or (token is not None and not is_str(token, TOKEN)):
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
        if not is_str(action, ACTION_ID):
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
        judged: Judged | None = None
        if kind == "text":
            text = frame.get("text")
            if not isinstance(text, str):
                self.refuse("bad_frame", action)
                return
            engine = channel.core.holder.engine
            verdict = engine.crisis(text[: MAX_TEXT * 2])
            urgent = verdict.outcome != "no"
            if len(text) > MAX_TEXT and not urgent:
                self.refuse("too_long", action)
                return
            # Judged once, here: the core reads the first MAX_TEXT characters, but a crisis
            # anywhere in what was judged gets its answer, as the limits above let it pass.
            judged = Judged(verdict, engine.readers.digest)
            text = text[:MAX_TEXT]
            if not urgent and not self.typed.take():
                self.refuse("too_fast", action)
                return
            if not text.strip():
                box.tell({"t": "got", "id": action})
                return
            event = typed_event(text, at)  # a command typed as on Telegram, or text
            kind_name = "text" if isinstance(event, Text) else "command"
            if not isinstance(event, Text):
                judged = None
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
        incoming = Incoming(
            box.key, event, kind=kind_name, delivery=delivery, quick_exit=leaving, judged=judged
        )
        channel.run(page, incoming, self)

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
            incoming = Incoming(box.key, event, kind="command", quick_exit=True)
            channel.run(Page(box, leaving=True), incoming)
        elif self.exit_seen and box.ended:
            channel.forget(box)  # quick exit: nothing to keep for a page that has left

    def _detach(self) -> None:
        box = self.box
        if box is not None and box.sink is self.sink:
            box.sink = None
            box.touched = self.channel.clock()
        self.box = None
        self.salt = None
