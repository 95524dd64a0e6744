"""The numbered frames of one conversation kept for its page (:class:`Outbox`), and the
core's ``to`` for one turn (:class:`Page`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.channels.web.channel.protocol import (
    OUTBOX_FRAMES,
    Sink,
    dumps,
)

Frame = tuple[int, float, str]  # number, when pushed, the frame's text


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
        # A list, not a deque: an empty deque already takes 760 bytes, and at most
        # OUTBOX_FRAMES are kept (usually one or two: the page acknowledges each turn).
        self.frames: list[Frame] = []
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
        if len(self.frames) > OUTBOX_FRAMES:
            self._drop(len(self.frames) - OUTBOX_FRAMES)
        self.touched = now
        if self.sink is not None:
            self.sink.send(text)

    def tell(self, frame: dict[str, Any]) -> None:
        """An un-numbered frame for the connected page, if any (not kept)."""
        if self.sink is not None:
            self.sink.send(dumps(frame))

    def ack(self, n: int) -> None:
        self._drop(_leading(self.frames, lambda kept: kept[0] <= n))
        self.floor = max(self.floor, min(n, self.next - 1))

    def can_fill(self, have: int | None) -> bool:
        """True when every frame after ``have`` is still here."""
        return have is not None and self.floor <= have <= self.next - 1

    def drop_older(self, deadline: float) -> None:
        self._drop(_leading(self.frames, lambda kept: kept[1] < deadline))

    def _drop(self, count: int) -> None:
        """Drop the oldest ``count`` frames."""
        if count:
            self.floor = self.frames[count - 1][0]
            del self.frames[:count]

    def clear(self) -> None:
        if self.frames:
            self.floor = self.frames[-1][0]
        self.frames.clear()


def _leading(frames: list[Frame], test: Callable[[Frame], bool]) -> int:
    """How many frames from the oldest on pass ``test``."""
    count = 0
    for kept in frames:
        if not test(kept):
            break
        count += 1
    return count


@dataclass(slots=True)
class Page:
    """The core's ``to`` for one turn: the conversation's outbox and the action answered."""

    box: Outbox
    action: str | None = None
    leaving: bool = False  # quick exit: the page is gone, keep nothing after the erase
