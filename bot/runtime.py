"""The host loop shared by every channel: load session -> engine.step -> save -> outputs.

Channels turn their updates into engine events and call :meth:`Runtime.handle`;
they render the outputs and report back the ids of messages they sent, so that
erase can find them. When the store cannot be reached, the engine still
answers crisis, help and stop without a session.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.stores.base import SessionStore
from flows import Engine, Event, Output, Wipe
from flows.loader import Problem, read_content
from flows.session import Session

CountHook = Callable[[str, str], None]
ErrorHook = Callable[[str, BaseException], None]


class ContentHolder:
    """The engine on the current content; :meth:`reload` swaps in new content when valid."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        content, problems = read_content(directory)
        if content is None:
            from flows.loader import ContentError

            raise ContentError(problems)
        self.engine = Engine(content)
        self._stamp = self._mtimes()

    def reload(self) -> tuple[bool, list[Problem]]:
        """Load the content again. Invalid content is refused and the old content keeps serving.

        Safe to run in a worker thread: the new engine is built completely, then replaces
        the old one in a single assignment, so each update sees one or the other.
        """
        self._stamp = self._mtimes()
        content, problems = read_content(self.directory)
        if content is None:
            return False, problems
        if content.version != self.engine.version:
            self.engine = Engine(content)
        return True, problems

    def changed(self) -> bool:
        """True when a content file changed since the last (re)load."""
        return self._mtimes() != self._stamp

    def _mtimes(self) -> tuple[tuple[str, float], ...]:
        return tuple(sorted((str(p), p.stat().st_mtime) for p in self.directory.rglob("*.yaml")))


@dataclass(frozen=True, slots=True)
class Reply:
    """What to show, and which earlier messages to delete (when the outputs erase)."""

    outputs: tuple[Output, ...]
    erase: tuple[int, ...] = ()
    degraded: bool = False
    lang: str | None = None  # the conversation's language, for texts a channel adds itself


class Runtime:
    """Runs one event at a time for one session key; different keys may run concurrently."""

    def __init__(
        self,
        holder: ContentHolder,
        store: SessionStore,
        *,
        clock: Callable[[], float] = time.time,
        on_count: CountHook | None = None,
        on_error: ErrorHook | None = None,
    ) -> None:
        self.holder = holder
        self.store = store
        self.clock = clock
        self._on_count = on_count
        self._on_error = on_error

    def now(self) -> int:
        return int(self.clock())

    async def handle(self, key: str, event: Event, seen: Sequence[int] = ()) -> Reply:
        """Step the conversation ``key`` with ``event``; ``seen`` are message ids to remember."""
        engine = self.holder.engine

        def change(session: Session | None) -> tuple[Session | None, tuple[Reply, Session | None]]:
            new, outputs = engine.step(session, event)
            wipe = any(isinstance(o, Wipe) for o in outputs)
            erase: tuple[int, ...] = ()
            if wipe:
                before = session.message_ids() if session else []
                erase = tuple(sorted({*before, *seen}))
            elif new is not None and seen:
                new = new.with_messages(seen)
            current = new or session
            lang = current.lang if current is not None else None
            return new, (Reply(outputs, erase, lang=lang), session)

        try:
            reply, _ = await self.store.transact(key, change)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # storage down, or a bug: the person still gets an answer
            self._error("step", exc)
            outputs = self._without_session(event)
            erase = tuple(seen) if any(isinstance(o, Wipe) for o in outputs) else ()
            reply = Reply(outputs, erase, degraded=True)
        self._count(reply.outputs)
        return reply

    def _without_session(self, event: Event) -> tuple[Output, ...]:
        try:
            return self.holder.engine.without_session(event)
        except Exception as exc:  # pragma: no cover - last line of defence
            self._error("without_session", exc)
            return ()

    async def remember(self, key: str, ids: Iterable[int]) -> None:
        """Remember message ids the channel sent, so erase can delete them later."""
        wanted = [i for i in ids if i]
        if not wanted:
            return

        def change(session: Session | None) -> tuple[Session | None, None]:
            return (session.with_messages(wanted) if session else None), None

        try:
            await self.store.transact(key, change)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._error("remember", exc)

    def _count(self, outputs: Iterable[Output]) -> None:
        if self._on_count is None:
            return
        from flows import Count, Handoff

        for output in outputs:
            if isinstance(output, Count):
                self._on_count(output.metric, output.label)
            elif isinstance(output, Handoff):
                for service in output.services:
                    self._on_count("handoff", service)

    def _error(self, where: str, exc: BaseException) -> None:
        if self._on_error is not None:
            self._on_error(where, exc)
