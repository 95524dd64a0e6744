"""The content a process serves, and reloading it without a restart.

:class:`ContentHolder` keeps the engine on the current content; :func:`install_reload`
reloads it on ``SIGHUP`` and, with ``--watch``, whenever a content file changes.
Invalid content is refused with the same messages as ``baken content check``; the
old content keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import datetime as dt
import gc
import signal
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.channels import channel_texts as texts
from bot.derived import DerivedCache, ParsedFiles, build_readers
from bot.logs import get_logger
from flows import Engine
from flows.content import Content, Locator
from flows.loader import ContentError, Problem, read_content
from flows.understanding.readers import Readers, digest_of

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


def served(content: Content) -> Content:
    """``content`` without what only its checks and the readers' training needed: the text
    of every file, kept to find a problem's line, and the example messages (megabytes;
    the readers are built from the whole content, see :func:`serving_engine`)."""
    return dataclasses.replace(
        content,
        locator=Locator({}, content.locator.display),
        crisis_examples={},
        situation_examples={},
        crisis_fresh={},
    )


def serving_engine(
    content: Content, cache: DerivedCache, previous: Readers | None = None
) -> Engine:
    """The engine a process serves: readers from the whole ``content`` (by its digest),
    the rest on :func:`served` content."""
    return Engine(served(content), build_readers(content, cache, previous))


def load_engine(
    directory: Path,
    channel_texts: Iterable[str],
    cache: DerivedCache,
    current: Engine | None = None,
) -> tuple[Engine | None, list[Problem]]:
    """Read the content folder and make the engine a process serves on it (None when the
    content is invalid); ``current``, the engine serving now, when the content did not
    change, and its readers when their sources did not.

    When the readers' data is in the cache (a warm start), the example messages are let go
    *before* the readers are made from it: their memory (megabytes of small objects) is
    then reused for the readers' own instead of staying resident beside them. Only the
    digest needs the examples, and only training the readers does, which a cache file of
    the right digest that is damaged after all calls for: the folder is then read again
    and the readers trained (:func:`serving_engine`)."""
    content, problems = read(directory, channel_texts, cache=cache)
    if content is None:
        return None, problems
    if current is not None and content.version == current.version:
        return current, problems
    previous = current.readers if current is not None else None
    digest = digest_of(content)
    if previous is None or previous.digest != digest:
        data = cache.load(digest)
        if data is not None:
            content = served(content)  # the only reference: the examples are freed here
            readers = Readers.from_derived(content, data, digest)
            del data
            if readers is not None:
                return Engine(content, readers), problems
            # Damaged after all: never train on the content without its examples (that
            # would load scikit-learn for nothing); read the folder again and train.
            content, problems = read(directory, channel_texts, cache=cache)
            if content is None:
                return None, problems
    return serving_engine(content, cache, previous), problems


def release_memory() -> None:
    """Hand the memory that loading used and freed back to the system: the parser's and
    the readers' temporary objects leave the C allocator's heap large, and the resident
    size of a worker would stay at that high-water mark. Only with glibc; else nothing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return


# A serving process allocates (and frees) many short-lived objects per reply. With Python's
# default of a young collection every 700 allocations, the objects of turns in flight
# survive into the old generations, and a worker holding thousands of open connections
# then spends long pauses in full collections over all of them (bench/web.py: 10,000 web
# sockets, 20 full collections of up to 1.3 s). Objects freed by their reference count,
# nearly all of them, are unaffected; only garbage in cycles waits longer.
GC_THRESHOLDS = (50_000, 20, 100)


def settle_heap() -> None:
    """Once a serving process has loaded its content: the objects alive now (modules, the
    content, the engine) are kept out of every later garbage collection (``gc.freeze``),
    and collections come less often (:data:`GC_THRESHOLDS`). A reload lets the old
    content be collected again (:func:`install_reload` unfreezes). The memory the
    collection freed goes back to the system (:func:`release_memory`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    release_memory()


@contextlib.contextmanager
def _uncollected() -> Iterator[None]:
    """Loading content makes hundreds of thousands of objects and next to no cyclic
    garbage; meanwhile the garbage collector would walk every object of the process a few
    times (a tenth of a second of a start). It waits until the load is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze_imports() -> None:
    """In a process about to serve, before it loads its content: what the imports made
    lives as long as the process, so it is kept out of every later collection
    (``gc.freeze``); :func:`settle_heap` then has only the content to look at."""
    gc.freeze()


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
        with _uncollected():
            engine, problems = load_engine(directory, self.channel_texts, self.cache)
            if engine is None:
                raise ContentError(problems)
            self.engine = engine
        self._stamp = self._mtimes()
        release_memory()

    def reload(self) -> tuple[bool, list[Problem]]:
        """Load the content again. Invalid content is refused and the old content keeps serving."""
        self._stamp = self._mtimes()
        engine, problems = self.prepare()
        if engine is None:
            return False, problems
        self.engine = engine
        release_memory()
        return True, problems

    def prepare(self) -> tuple[Engine | None, list[Problem]]:
        """The engine on the content as it is now (None when it is invalid), built completely
        without touching the one serving; the current one when the content did not change.
        Safe in a worker thread; :func:`install_reload` swaps the result in on the loop."""
        return load_engine(self.directory, self.channel_texts, self.cache, self.engine)

    def stamp(self) -> None:
        """Note the files as they are now: :meth:`changed` is about later edits."""
        self._stamp = self._mtimes()

    def changed(self) -> bool:
        """True when a content file changed since the last (re)load."""
        return self._mtimes() != self._stamp

    def _mtimes(self) -> tuple[tuple[str, float], ...]:
        return tuple(sorted((str(p), p.stat().st_mtime) for p in self.directory.rglob("*.yaml")))


# While a reload runs in its thread, the loop's thread waits at most this long for the
# interpreter lock after each of its socket calls (Python's default is 5 ms: with a busy
# reload thread, every reply would wait that long several times over).
RELOAD_SWITCH_INTERVAL = 0.0005


@contextlib.contextmanager
def _yielding() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, RELOAD_SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def install_reload(holder: ContentHolder, *, watch: bool) -> asyncio.Task[None] | None:
    """Reload content on SIGHUP, and (with ``watch``) when a content file changes."""

    one_at_a_time = asyncio.Lock()

    async def reload() -> None:
        # Reading, checking and building take a few tenths of a second of Python: done in a
        # worker thread, so replies keep flowing on the old engine; the new one is swapped in
        # here, on the loop, in one assignment (a turn sees one engine or the other).
        async with one_at_a_time:  # a burst of signals reloads one after the other
            holder.stamp()
            with _yielding():
                engine, problems = await asyncio.to_thread(holder.prepare)
            if engine is None:
                for problem in problems:
                    if problem.severity == "error":
                        log.error("content_refused", problem=str(problem))
                return
            if engine is not holder.engine:
                gc.unfreeze()  # the old content may be collected now (see settle_heap)
            holder.engine = engine
            log.info(
                "content_loaded",
                version=engine.version,
                warnings=sum(p.severity == "warning" for p in problems),
            )

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
