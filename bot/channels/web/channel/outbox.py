"""The numbered frames of one conversation kept for its page (:class:`Outbox`), and the
core's ``to`` for one turn (:class:`Page`)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from bot.channels.web.channel.protocol import (
    OUTBOX_FRAMES,
    Sink,
    dumps,
)


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
