"""The content a process serves, and reloading it without a restart.

:class:`ContentHolder` keeps the engine on the current content; :func:`install_reload`
reloads it on ``SIGHUP`` and, with ``--watch``, whenever a content file changes.
Invalid content is refused with the same messages as ``baken content check``; the
old content keeps serving.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections.abc import Iterable
from pathlib import Path

from bot.channels import channel_texts as texts
from bot.derived import DerivedCache, ParsedFiles, build_engine
from bot.logs import get_logger
from flows.content import Content
from flows.loader import ContentError, Problem, read_content

log = get_logger("baken.content")


def read(
    directory: Path,
    channel_texts: Iterable[str] = texts.ALL,
    *,
    today: dt.date | None = None,
    cache: DerivedCache | None = None,
) -> tuple[Content | None, list[Problem]]:
    """Read a content folder as a running baken does: judged today, with every channel's
    texts; with ``cache``, files parsed before (same bytes) are not parsed again."""
    parsed = ParsedFiles(cache) if cache is not None else None
    found = read_content(
        directory,
        today=today or dt.date.today(),
        channel_texts=channel_texts,
        channels=texts.CHANNELS,
        parsed=parsed,
    )
    if parsed is not None:
        parsed.save()
    return found


class ContentHolder:
    """The engine on the current content; :meth:`reload` swaps in new content when valid."""

    def __init__(
        self,
        directory: Path,
        channel_texts: Iterable[str] = texts.ALL,
        cache: DerivedCache | None = None,
    ) -> None:
        self.directory = directory
        self.channel_texts = tuple(channel_texts)
        self.cache = cache or DerivedCache()
        content, problems = read(directory, self.channel_texts, cache=self.cache)
        if content is None:
            raise ContentError(problems)
        self.engine = build_engine(content, self.cache)
        self._stamp = self._mtimes()

    def reload(self) -> tuple[bool, list[Problem]]:
        """Load the content again. Invalid content is refused and the old content keeps serving.

        Safe to run in a worker thread: the new engine is built completely, then replaces
        the old one in a single assignment, so each turn sees one or the other.
        """
        self._stamp = self._mtimes()
        content, problems = read(self.directory, self.channel_texts, cache=self.cache)
        if content is None:
            return False, problems
        if content.version != self.engine.version:
            self.engine = build_engine(content, self.cache, self.engine.readers)
        return True, problems

    def changed(self) -> bool:
        """True when a content file changed since the last (re)load."""
        return self._mtimes() != self._stamp

    def _mtimes(self) -> tuple[tuple[str, float], ...]:
        return tuple(sorted((str(p), p.stat().st_mtime) for p in self.directory.rglob("*.yaml")))


def install_reload(holder: ContentHolder, *, watch: bool) -> asyncio.Task[None] | None:
    """Reload content on SIGHUP, and (with ``watch``) when a content file changes."""

    async def reload() -> None:
        # Reading and validating takes about half a second: do it off the event loop, so
        # replies keep flowing; only the swap of the engine happens here.
        ok, problems = await asyncio.to_thread(holder.reload)
        if ok:
            log.info(
                "content_loaded",
                version=holder.engine.version,
                warnings=sum(p.severity == "warning" for p in problems),
            )
        else:
            for problem in problems:
                if problem.severity == "error":
                    log.error("content_refused", problem=str(problem))

    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[None]] = set()

    def on_signal() -> None:
        task = loop.create_task(reload())
        running.add(task)
        task.add_done_callback(running.discard)

    if hasattr(signal, "SIGHUP"):
        loop.add_signal_handler(signal.SIGHUP, on_signal)
    if not watch:
        return None

    async def poll() -> None:
        while True:
            await asyncio.sleep(1.0)
            if holder.changed():
                await reload()

    return loop.create_task(poll())
