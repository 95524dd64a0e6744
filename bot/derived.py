"""Data derived from content (the trained readers), cached on disk by the content digest.

Training the readers takes seconds and scikit-learn; a process whose content did not
change reads the trained weights back instead, so it starts in well under a second and
never imports the training libraries. A cache file is plain JSON (never pickle), names
its format and digest, and is trusted only when both match; a corrupt or foreign file is
ignored with a warning. A folder that cannot be written (a read-only image) only means
building in memory at every start.

The folder: ``BAKEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/baken``, else ``~/.cache/baken``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from bot.logs import get_logger
from flows import Engine
from flows.content import Content
from flows.understanding.readers import FORMAT, Readers, digest_of

log = get_logger("baken.derived")
PREFIX = "readers-"
KEEP = 4  # cache files kept: the current content and a few before it (a rollback is quick)


def default_cache_dir() -> Path:
    """Where derived data lives unless ``BAKEN_CACHE_DIR`` says otherwise."""
    named = os.environ.get("BAKEN_CACHE_DIR")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "baken"


class DerivedCache:
    """Trained readers as JSON files, one per content digest."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else default_cache_dir()

    def _path(self, digest: str) -> Path:
        return self.directory / f"{PREFIX}{digest}.json"

    def load(self, digest: str) -> dict[str, Any] | None:
        """The data cached for ``digest``, or None (missing, unreadable, corrupt, foreign)."""
        path = self._path(digest)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("derived_cache_unreadable", error=type(exc).__name__)
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("derived_cache_ignored", reason="not json")
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            log.warning("derived_cache_ignored", reason="another format")
            return None
        if data.get("digest") != digest:
            log.warning("derived_cache_ignored", reason="another content version")
            return None
        return data

    def save(self, data: dict[str, Any]) -> bool:
        """Write ``data`` (atomically: a reader sees the old file or the whole new one).
        False when the folder cannot be written; that is not an error."""
        digest = str(data.get("digest", ""))
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(data, out, ensure_ascii=False, separators=(",", ":"))
                os.replace(tmp, self._path(digest))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("derived_cache_not_written", error=type(exc).__name__)
            return False
        self._prune(digest)
        return True

    def _prune(self, keep: str) -> None:
        """Remove all but the newest few cache files (never the one just written)."""
        try:
            files = sorted(
                self.directory.glob(f"{PREFIX}*.json"),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
            for old in files[KEEP:]:
                if old != self._path(keep):
                    old.unlink(missing_ok=True)
        except OSError:
            pass


def build_readers(content: Content, cache: DerivedCache) -> Readers:
    """The readers for ``content``: from the cache when it holds them, else trained here
    and written to the cache for the next process."""
    digest = digest_of(content)
    data = cache.load(digest)
    readers = Readers.build(content, data)
    if readers.trained:
        derived = readers.derived()
        cache.save(derived)
        # Built again from the data as written (weights rounded to six digits), so that
        # this process reads text exactly as every later one that starts from the cache.
        readers = dataclasses.replace(Readers.build(content, derived), trained=True)
    return readers


def build_engine(content: Content, cache: DerivedCache | None = None) -> Engine:
    """An engine on ``content`` whose readers come from (or go to) the cache."""
    return Engine(content, build_readers(content, cache or DerivedCache()))
