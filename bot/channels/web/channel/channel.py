"""The web chat's channel for the conversation core: one per process, for every open
page; it turns the core's outputs into numbered frames in each conversation's outbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from bot.channels.channel_texts import WEB_TEXTS
from bot.channels.web.channel.outbox import Outbox, Page
from bot.channels.web.channel.protocol import (
    OUTBOX_SECONDS,
    Limits,
    Sink,
    dumps,
)
from bot.channels.web.channel.tab import Tab
from bot.conversation import Conversations, Incoming, Turn
from bot.golinks import through_go
from bot.keys import SessionKeys
from flows import Answered, Button, Card, Message, Resume, Stale


class WebChannel:
    """The core's channel for every web page of this process, and their outboxes."""

    name = "web"
    remembers = False  # the page clears itself: no message ids are kept for erase
    erase_window = None
    go_base: str | None = None  # service links through /go/<service> at this base ("": here)

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

    def short_numbers(self) -> list[str]:
        """The content's phone numbers of fewer than five digits (112, 113): the page makes
        a number this short tappable only when it stands alone, so they come from here."""
        services = self.core.holder.engine.content.services.values()
        phones = (phone for s in services for phone in (s.phone, *s.phone_alt) if phone)
        return sorted({p for p in phones if p.isdigit() and len(p) < 5})

    def language(self, wanted: str | None) -> str | None:
        """``wanted`` when the content speaks it, else None."""
        languages = self.core.holder.engine.content.languages
        return wanted if wanted in languages else None

    # ------------------------------------------------------------ the core's calls

    def hurry(self, to: Page) -> None:
        """Frames go out at once; there is no queue to hurry."""

    async def acknowledge(self, to: Page) -> None:
        """Nothing yet: the page hears ``got`` once the turn is saved (:meth:`_run`).

        Until then the action is the page's to send again: a worker killed between here and
        its write leaves a press that another worker must apply (the store marks the
        delivery with that write, so it is applied once).
        """

    async def show(self, to: Page, message: Message, turn: Turn) -> Sequence[int]:
        """One bot message as a numbered frame (after the page's words, if the language changed)."""
        if self.go_base is not None:
            message = through_go(message, self.go_base)
        box = to.box
        now = self.clock()
        box.ended = False
        if box.lang != turn.lang:
            box.lang = turn.lang
            box.push({"t": "ui", "lang": turn.lang, "texts": self.texts(turn.lang)}, now)
        frame: dict[str, Any] = {
            "t": "msg",
            "text": message.text,
            "buttons": [[self._button(b) for b in row] for row in message.buttons],
            "links": [{"label": link.label, "url": link.url} for link in message.links],
            "replaces": message.replaces,
            "copyable": message.copyable,
        }
        if message.parts:
            # A card names its link by its place in "links" (the page shows it on the card
            # and not again under the message), so the links are written in one place only.
            urls = [link.url for link in message.links]
            frame["parts"] = [_part(part, urls) for part in message.parts]
        box.push(frame, now)
        self.metrics.reply("sent")
        return ()

    def _button(self, button: Button) -> dict[str, Any]:
        """A button for the page; a ticked option says so (``on``) instead of a tick sign.

        The page draws its own box and tick and sets ``aria-pressed``, so a tick never
        depends on an emoji font and a screen reader says "pressed" or "not pressed" rather
        than the emoji's name. ``box``: an option of a multiple-choice question (an empty box
        until ticked); ``submit``: a button that ends one ("Klaar").
        """
        found: dict[str, Any] = {"label": button.label, "data": button.data}
        if button.selected:
            found["on"] = True
        if button.tickable:
            found["box"] = True
        if button.submit:
            found["submit"] = True
        return found

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
            if page.action is not None:  # saved, a duplicate, or a failed turn: not again
                box.tell({"t": "got", "id": page.action})
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


def _part(part: str | Card, urls: list[str]) -> dict[str, Any]:
    """A text or a service card of a message, for the page; ``urls``: the message's links."""
    if isinstance(part, str):
        return {"t": "text", "text": part}
    return {
        "t": "card",
        "service": part.service,
        "name": part.name,
        "purpose": part.purpose,
        "why": part.why,
        "status": part.status,
        "open": part.open,
        "phone": part.phone,
        "tel": _tel(part.phone),
        "free": part.free,
        "link": urls.index(part.link.url) if part.link and part.link.url in urls else None,
        "chat": part.chat,
        "details": list(part.details),
    }


def _tel(phone: str) -> str | None:
    """The number to dial for a ``tel:`` address (digits, and a leading +), or None."""
    digits = "".join(c for c in phone if c.isdigit())
    if not digits:
        return None
    return f"+{digits}" if phone.strip().startswith("+") else digits
