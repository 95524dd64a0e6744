"""The only place logging is configured. JSON lines to stderr (pretty on a terminal).

Privacy first, at every level including DEBUG:

- baken's own events (structlog, loggers named ``baken.*``) keep only allow-listed
  fields (:data:`ALLOWED_FIELDS`).
- Records from other libraries (python-telegram-bot, httpx, aiohttp, redis, asyncio,
  warnings, …) may carry update contents or the bot token in their message or its
  arguments (PTB logs whole updates at CRITICAL, request parameters at DEBUG, and
  exceptions with their update when no error handler is set). So their arguments
  are never formatted, and their message template is kept only when it is one of
  :data:`SAFE_TEMPLATES` (fixed strings read in the libraries' source); any other
  becomes the event ``library_log``. What remains is the logger name, the level,
  that event and the exception type.
- Exceptions are logged as their type only (``error``): no traceback, no message,
  no local variables (no ``dict_tracebacks``, no rich tracebacks). Uncaught
  exceptions (``sys.excepthook``) go the same way.
- Other libraries log at INFO at most, and httpx/httpcore (request URLs contain the
  token) and a few chatty ones at WARNING; ``BAKEN_LOG_LEVEL=DEBUG`` only makes
  baken's own loggers more verbose.
- A last redaction processor scrubs every string value: bot tokens, e-mail
  addresses, phone numbers and long digit runs (ids) — a second line of defence.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from types import TracebackType
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

# Message templates of other libraries that are shown as they are (their arguments
# never are). Fixed strings from the libraries' source; anything else, including
# messages built with f-strings, becomes ``library_log``.
SAFE_TEMPLATES = frozenset(
    {
        # python-telegram-bot
        "Application started",
        "Application is stopping. This might take a moment.",
        "Application.stop() complete",
        "Application received stop signal via `stop_running`. Shutting down.",
        "Error while parsing updates! Received data was %r",
        "Exception happened while polling for updates.",
        "No error handlers are registered, logging exception.",
        "Rate limit hit after maximum of %d retries",
        "Rate limit hit. Retrying after %f seconds",
        "Updater stopped unexpectedly. Pulled updates will be ignored and pulled again on restart.",
        "No polling cleanup callback defined. The last fetched updates may be "
        "fetched again on the next polling start.",
        'Can not load invalid JSON data: "%s"',
        # asyncio
        "Task exception was never retrieved",
        "Unclosed client session",
        "Unclosed connector",
        # aiohttp
        "Error handling request",
    }
)
LIBRARY_EVENT = "library_log"
OWN_LOGGERS = "baken"

_TRUSTED = frozenset({"timestamp", "level"})
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{6,}\d(?!\w)")
_LONG_NUMBER = re.compile(r"\d{5,}")


def redact(text: str) -> str:
    """Remove bot tokens, e-mail addresses, phone numbers and long digit runs."""
    text = _TOKEN.sub("[token]", text)
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[number]", text)
    return _LONG_NUMBER.sub("[number]", text)


def foreign_event(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A record from another library: its template if known to be safe, else ``library_log``."""
    record = event_dict.get("_record")
    if event_dict.get("_from_structlog", True) or record is None:
        return event_dict
    template = record.msg if isinstance(record.msg, str) else None
    event_dict["event"] = template if template in SAFE_TEMPLATES else LIBRARY_EVENT
    return event_dict


def allow_listed(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Keep only known fields."""
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


def drop_exc_info(
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


def configure(level: str = "INFO", stream: Any = None) -> None:
    """Configure structlog and the standard library once, for the whole process."""
    stream = stream or sys.stderr
    pretty = hasattr(stream, "isatty") and stream.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
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
        # Other libraries' arguments are never formatted into their message.
        use_get_message=False,
        processors=[
            foreign_event,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            drop_exc_info,
            allow_listed,
            redacted,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    wanted = logging.getLevelName(level)
    # Other libraries at INFO at most: their DEBUG logs carry request parameters.
    root.setLevel(max(logging.INFO, wanted))
    logging.getLogger(OWN_LOGGERS).setLevel(wanted)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for name in ("httpx", "httpcore", "hpack", "transitions", "redis", "apscheduler"):
        logging.getLogger(name).setLevel(max(logging.WARNING, wanted))
    # python-telegram-bot logs request parameters and whole updates at DEBUG.
    for name in ("telegram", "telegram.ext", "asyncio", "aiohttp", "aiohttp.access"):
        logging.getLogger(name).setLevel(max(logging.INFO, wanted))
    logging.captureWarnings(True)
    sys.excepthook = _uncaught


def _uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """An uncaught exception: its type only, never its message or traceback."""
    get_logger().critical("uncaught_exception", error=kind.__name__)


def get_logger(name: str = "baken") -> Any:
    """A structlog logger."""
    return structlog.get_logger(name)
