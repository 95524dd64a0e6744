"""The only place logging is configured. JSON lines to stderr (pretty on a terminal).

Privacy first: events keep only allow-listed fields, and a last redaction
processor removes anything that looks like a bot token, a long number, a phone
number or an e-mail address. Standard-library loggers (python-telegram-bot,
httpx, aiohttp, …) go through the same processors.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Fields an event may carry. Anything else is dropped before rendering.
ALLOWED_FIELDS = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "logger",
        "error",
        "seq",
        "where",
        "count",
        "errors",
        "warnings",
        "version",
        "mode",
        "host",
        "port",
        "path",
        "status",
        "method",
        "states",
        "services",
        "problem",
        "seconds",
        "workers",
        "store",
        "update_type",
        "attempt",
        "retry_after",
        "kind",
        "reason",
    }
)

_TRUSTED = frozenset({"timestamp", "level", "logger"})
_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{6,}\d(?!\w)")
_LONG_NUMBER = re.compile(r"\d{5,}")


def redact(text: str) -> str:
    """Remove bot tokens, e-mail addresses, phone numbers and long digit runs."""
    text = _TOKEN.sub("[token]", text)
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[number]", text)
    return _LONG_NUMBER.sub("[number]", text)


def allow_listed(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Keep only known fields; standard-library records arrive with their message as `event`."""
    for key in list(event_dict):
        if key not in ALLOWED_FIELDS:
            del event_dict[key]
    return event_dict


def redacted(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The second line of defence: scrub every string value."""
    for key, value in event_dict.items():
        if key in _TRUSTED:
            continue
        if isinstance(value, str):
            event_dict[key] = redact(value)
        elif not isinstance(value, int | float | bool) and value is not None:
            event_dict[key] = redact(str(value))
    return event_dict


def configure(level: str = "INFO", stream: Any = None) -> None:
    """Configure structlog and the standard library once, for the whole process."""
    stream = stream or sys.stderr
    pretty = hasattr(stream, "isatty") and stream.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
        if pretty
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _drop_exc_info,
            allow_listed,
            redacted,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for name in ("httpx", "httpcore", "hpack", "transitions", "redis"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # python-telegram-bot logs request parameters and whole updates at DEBUG.
    for name in ("telegram", "telegram.ext", "apscheduler", "asyncio", "aiohttp.access"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))


def _drop_exc_info(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Tracebacks can show local variables and update contents: keep the exception type only."""
    exc = event_dict.pop("exc_info", None)
    event_dict.pop("stack_info", None)
    event_dict.pop("exception", None)
    if exc:
        if exc is True:
            exc = sys.exc_info()
        if isinstance(exc, BaseException):
            event_dict.setdefault("error", type(exc).__name__)
        elif isinstance(exc, tuple) and exc[0] is not None:
            event_dict.setdefault("error", exc[0].__name__)
    return event_dict


def get_logger(name: str = "baken") -> Any:
    """A structlog logger."""
    return structlog.get_logger(name)
