"""Parsed YAML as JSON text, so that a host can keep what a content file parsed into.

Parsing YAML is most of the time of loading the content; a host may keep each file's
parsed value by the digest of the file's bytes (see ``bot/derived.py``) and hand it back
to :func:`flows.loader.read_content`, which then parses only the files that changed.
The values are what the loader's safe YAML reading gives: dicts with string keys, lists,
strings, numbers, booleans, None and dates. JSON has no dates, so a date is written as a
one-key object whose key no YAML file holds.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

_DATE = "\x00date"
_DATETIME = "\x00datetime"


def _default(value: object) -> object:
    if isinstance(value, dt.datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {_DATE: value.isoformat()}
    raise TypeError(f"not plain YAML data: {type(value).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if _DATE in obj:
            return dt.date.fromisoformat(obj[_DATE])
        if _DATETIME in obj:
            return dt.datetime.fromisoformat(obj[_DATETIME])
    return obj


def encode(value: Any) -> str:
    """A parsed file's value as JSON text (dates kept as dates by :func:`decode`)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def decode(text: str) -> Any:
    """The value :func:`encode` wrote; a new object on every call (callers may change it)."""
    return json.loads(text, object_hook=_hook)
