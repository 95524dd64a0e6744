"""Data derived from content (the trained readers), cached on disk by the content digest.

Training the readers takes seconds and scikit-learn; a process whose content did not
change reads the trained weights back instead, so it starts in well under a second and
never imports the training libraries. A cache file is plain JSON (never pickle), names
its format and digest, and is trusted only when both match; a corrupt or foreign file is
ignored with a warning. The weights in it are packed (:func:`pack`): their numbers as
little-endian arrays in base64, read back without a Python object per number. A folder
that cannot be written (a read-only image) only means building in memory at every start.

The folder: ``BAKEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/baken``, else ``~/.cache/baken``.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import os
import sys
import tempfile
from array import array
from collections.abc import Iterator, Mapping, MutableMapping
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
        try:
            return unpack(data)
        except (KeyError, TypeError, ValueError, OverflowError):
            log.warning("derived_cache_ignored", reason="damaged")
            return None

    def save(self, data: dict[str, Any]) -> bool:
        """Write ``data`` (atomically: a reader sees the old file or the whole new one).
        False when the folder cannot be written; that is not an error."""
        digest = str(data.get("digest", ""))
        if not self.write(self._path(digest), pack(data)):
            return False
        self._prune(digest)
        return True

    def write(self, path: Path, data: dict[str, Any]) -> bool:
        """Write ``data`` as JSON to ``path`` in the folder, atomically; False when the
        folder cannot be written."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(data, out, ensure_ascii=False, separators=(",", ":"))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("derived_cache_not_written", error=type(exc).__name__)
            return False
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


# The parts of the readers' data packed in a cache file: a mapping of feature -> numbers
# (the crisis weights, a row per feature) and of feature -> [label indexes, numbers] (the
# situation reader's sparse weights). As JSON lists they were 14 MiB of small Python
# objects alive while the readers were built, and 7 MiB of a worker's resident memory.
ROWS = ("crisis", "weights")
SPARSE = ("situation", "sparse")
_LITTLE = sys.byteorder == "little"


def _b64(numbers: array[Any]) -> str:
    if not _LITTLE:
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return base64.b64encode(numbers.tobytes()).decode("ascii")


def _unb64(typecode: str, text: str) -> array[Any]:
    numbers = array(typecode)
    numbers.frombytes(base64.b64decode(text, validate=True))
    if not _LITTLE:
        numbers.byteswap()
    return numbers


def _offsets(offsets: Any, features: Any, size: int) -> list[int]:
    if not isinstance(features, list) or not isinstance(offsets, list):
        raise TypeError("packed features or offsets are not lists")
    if len(offsets) != len(features) + 1 or offsets[0] != 0 or offsets[-1] != size:
        raise ValueError("packed offsets do not fit")
    if any(not isinstance(o, int) or o < p for p, o in itertools.pairwise(offsets)):
        raise ValueError("packed offsets do not rise")
    return offsets


def pack(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` (readers' derived data) as a cache file holds it: the weights packed (see
    :data:`ROWS`, :data:`SPARSE`); a part of another shape is kept as it is."""
    out = dict(data)
    packed = []
    for (section, key), packer in ((ROWS, _pack_rows), (SPARSE, _pack_sparse)):
        part = out.get(section)
        if not isinstance(part, Mapping) or not isinstance(part.get(key), Mapping):
            continue
        try:
            done = packer(part[key])
        except (TypeError, ValueError, OverflowError):
            continue  # not numbers as expected: written as plain JSON
        out[section] = {**part, key: done}
        packed.append(f"{section}.{key}")
    out["packed"] = packed
    return out


def unpack(data: dict[str, Any]) -> dict[str, Any]:
    """The data :func:`pack` wrote, as the readers take it (the numbers as arrays); raise
    ValueError, TypeError or KeyError when it is damaged."""
    packed = data.pop("packed", [])
    if not isinstance(packed, list):
        raise TypeError("packed is not a list")
    for (section, key), unpacker in ((ROWS, _unpack_rows), (SPARSE, _unpack_sparse)):
        if f"{section}.{key}" in packed:
            part = data[section]
            part[key] = unpacker(part[key])
    return data


def _pack_rows(rows: Mapping[str, Any]) -> dict[str, Any]:
    values = array("d")
    offsets = [0]
    for row in rows.values():
        values.extend(row)
        offsets.append(len(values))
    return {"features": list(rows), "offsets": offsets, "values": _b64(values)}


def _unpack_rows(part: Mapping[str, Any]) -> dict[str, array[float]]:
    values = _unb64("d", part["values"])
    features = part["features"]
    at = _offsets(part["offsets"], features, len(values))
    return {f: values[at[i] : at[i + 1]] for i, f in enumerate(features)}


def _pack_sparse(rows: Mapping[str, Any]) -> dict[str, Any]:
    indexes = array("H")
    values = array("d")
    offsets = [0]
    for which, numbers in rows.values():
        if len(which) != len(numbers):
            raise ValueError("a sparse row of two lengths")
        indexes.extend(which)
        values.extend(numbers)
        offsets.append(len(values))
    return {
        "features": list(rows),
        "offsets": offsets,
        "indexes": _b64(indexes),
        "values": _b64(values),
    }


def _unpack_sparse(part: Mapping[str, Any]) -> dict[str, tuple[array[int], array[float]]]:
    indexes = _unb64("H", part["indexes"])
    values = _unb64("d", part["values"])
    if len(indexes) != len(values):
        raise ValueError("packed indexes and values differ in length")
    features = part["features"]
    at = _offsets(part["offsets"], features, len(values))
    return {
        f: (indexes[at[i] : at[i + 1]], values[at[i] : at[i + 1]]) for i, f in enumerate(features)
    }


PARSED = "parsed-files.json"  # the content files as parsed, by the digest of their bytes
PARSED_FORMAT = 1


class ParsedFiles(MutableMapping[str, str]):
    """What each content file parsed into (JSON text, see ``flows/parsed.py``), by the
    digest of the file's bytes: read from one cache file, and written back with only the
    files of the last load when a file was parsed anew. Parsing the YAML is most of the
    time a content load takes."""

    def __init__(self, cache: DerivedCache) -> None:
        self.path = cache.directory / PARSED
        self.cache = cache
        self.known = self._read()
        self.used: dict[str, str] = {}

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("derived_cache_ignored", reason="parsed files unreadable")
            return {}
        fits = isinstance(data, dict) and data.get("format") == PARSED_FORMAT
        files = data.get("files") if fits else None
        if not isinstance(files, dict):
            log.warning("derived_cache_ignored", reason="another format")
            return {}
        return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}

    def __getitem__(self, key: str) -> str:
        found = self.known[key]
        self.used[key] = found
        return found

    def __setitem__(self, key: str, value: str) -> None:
        self.used[key] = value

    def __delitem__(self, key: str) -> None:
        self.used.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)

    def save(self) -> None:
        """Keep the files of the last load (only when one was parsed anew)."""
        if self.used.keys() == self.known.keys():
            self.used = {}
            return
        self.cache.write(self.path, {"format": PARSED_FORMAT, "files": self.used})
        self.known, self.used = self.used, {}


def build_readers(
    content: Content, cache: DerivedCache, previous: Readers | None = None
) -> Readers:
    """The readers for ``content``: ``previous`` when they were built from the same sources
    (an edit of texts or flows), else from the cache when it holds them, else trained here
    and written to the cache for the next process."""
    digest = digest_of(content)
    if previous is not None and previous.digest == digest:
        return previous
    data = cache.load(digest)
    readers = Readers.build(content, data, digest)
    if readers.trained:
        derived = readers.derived()
        cache.save(derived)
        # Built again from the data as written (weights rounded to six digits), so that
        # this process reads text exactly as every later one that starts from the cache.
        readers = dataclasses.replace(Readers.build(content, derived, digest), trained=True)
    return readers


def build_engine(
    content: Content, cache: DerivedCache | None = None, previous: Readers | None = None
) -> Engine:
    """An engine on ``content`` whose readers come from ``previous`` (the same sources), or
    from (or go to) the cache."""
    return Engine(content, build_readers(content, cache or DerivedCache(), previous))
