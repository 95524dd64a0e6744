"""Logging keeps nothing identifying, at every level: bot/logs.py.

Each test runs ``configure()`` for real and reads what reached the stream (or
stderr), or runs the privacy processors through ``structlog.testing.capture_logs``.
The error handler (type and sequence number only) is pinned in test_telegram.py.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs
from telegram import Update
from telegram.ext import ApplicationBuilder, TypeHandler

from bot.logs import (
    LIBRARY_EVENT,
    allow_listed,
    configure,
    drop_exc_info,
    get_logger,
    redact,
    redacted,
)
from testkit.botapi import StandinBotAPI

TOKEN = "7203948576:AAHx9-Zq_canarytokenABCDEFGHIJKLMNOP"
CHAT_ID = 987654321012
PHONE = "+31 6 4242 1717"
EMAIL = "canary.person@example.org"
NAME = "Canarina"
CANARIES = (TOKEN, str(CHAT_ID), PHONE, EMAIL, NAME, "Zonnebloemstraat")
UPDATE = {
    "update_id": 1,
    "message": {
        "chat": {"id": CHAT_ID, "first_name": NAME},
        "text": f"Ik woon Zonnebloemstraat 12, bel {PHONE} of mail {EMAIL}",
    },
}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure() changes process-wide state; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    hook = sys.excepthook
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
        sys.excepthook = hook
        logging.captureWarnings(False)
        structlog.reset_defaults()


def _configured(level: str) -> io.StringIO:
    stream = io.StringIO()
    configure(level, stream)
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _assert_clean(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, canary
    assert "Traceback" not in text


def test_redact_removes_tokens_emails_phone_numbers_and_ids() -> None:
    """The last line of defence, on its own."""
    text = redact(
        f"url https://api.telegram.org/bot{TOKEN}/sendMessage chat {CHAT_ID} "
        f"tel {PHONE} of 0612345678, mail {EMAIL}"
    )
    assert text == (
        "url https://api.telegram.org/bot[token]/sendMessage chat [number] "
        "tel [number] of [number], mail [email]"
    )
    assert redact("step 3 of 4, 12 seconds") == "step 3 of 4, 12 seconds"


def test_processors_keep_allowed_fields_and_redact_them() -> None:
    """Unknown fields vanish; allowed ones are scrubbed; exceptions become their type."""
    with capture_logs(processors=[drop_exc_info, allow_listed, redacted]) as logs:
        log = structlog.get_logger("baken.test")
        try:
            raise ValueError(f"chat {CHAT_ID} said {UPDATE}")
        except ValueError:
            log.exception(
                f"failed for {EMAIL}", chat_id=CHAT_ID, text=PHONE, name=NAME, reason=TOKEN
            )
    assert logs == [
        {
            "event": "failed for [email]",
            "error": "ValueError",
            "reason": "[token]",
            "log_level": "error",
        }
    ]


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_other_libraries_never_show_their_arguments_or_unknown_messages(
    restore_logging: None, level: str
) -> None:
    """PTB's CRITICAL whole-update logs, DEBUG parameters and no-error-handler logs stay empty."""
    stream = _configured(level)
    ptb = logging.getLogger("telegram.ext.Application")
    ptb.critical("Error while building CallbackContext for update %s. Will not run.", UPDATE)
    logging.getLogger("telegram.Bot").critical(
        "Error while parsing updates! Received data was %r", [UPDATE]
    )
    error = RuntimeError(f"boom {UPDATE}")
    ptb.error("No error handlers are registered, logging exception.", exc_info=error)
    logging.getLogger("telegram.Bot").debug(
        "Calling Bot API endpoint `%s` with parameters `%s`", "sendMessage", UPDATE
    )
    logging.getLogger("telegram.ext.Updater").warning(f"built with an f-string: {UPDATE}")
    logging.getLogger("httpx").info(f"HTTP Request: POST https://x/bot{TOKEN}/getUpdates")
    logging.getLogger("aiohttp.server").error("Error handling request", exc_info=error)
    logging.getLogger("asyncio").error(f"Task exception was never retrieved {UPDATE}")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)
        warnings.warn(f"a library warning about {UPDATE}", UserWarning, stacklevel=1)
    output = stream.getvalue()
    _assert_clean(output)
    events = [(e["logger"], e["level"], e["event"], e.get("error")) for e in _lines(stream)]
    assert events == [
        ("telegram.ext.Application", "critical", LIBRARY_EVENT, None),
        ("telegram.Bot", "critical", "Error while parsing updates! Received data was %r", None),
        (
            "telegram.ext.Application",
            "error",
            "No error handlers are registered, logging exception.",
            "RuntimeError",
        ),
        ("telegram.ext.Updater", "warning", LIBRARY_EVENT, None),
        ("aiohttp.server", "error", "Error handling request", "RuntimeError"),
        ("asyncio", "error", LIBRARY_EVENT, None),
        ("py.warnings", "warning", LIBRARY_EVENT, None),
    ]


def test_baken_events_at_debug_are_allow_listed_and_redacted(restore_logging: None) -> None:
    """DEBUG shows baken's own debug events, still without unknown fields or numbers."""
    stream = _configured("DEBUG")
    log = get_logger("baken.test")
    log.debug("looking", text=UPDATE["message"], chat_id=CHAT_ID, kind="text")
    log.info(f"sent to {CHAT_ID} mail {EMAIL}", method="sendMessage")
    try:
        raise KeyError(str(CHAT_ID))
    except KeyError:
        log.exception("failed", where="step")
    _assert_clean(stream.getvalue())
    assert [{k: v for k, v in e.items() if k != "timestamp"} for e in _lines(stream)] == [
        {"event": "looking", "kind": "text", "level": "debug", "logger": "baken.test"},
        {
            "event": "sent to [number] mail [email]",
            "method": "sendMessage",
            "level": "info",
            "logger": "baken.test",
        },
        {
            "event": "failed",
            "where": "step",
            "error": "KeyError",
            "level": "error",
            "logger": "baken.test",
        },
    ]


def test_json_lines_go_to_stderr_by_default(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a stream, configure() writes JSON lines to stderr and nothing to stdout."""
    configure("INFO")
    get_logger("baken.test").info("hello", count=3, text=PHONE)
    out, err = capsys.readouterr()
    assert out == ""
    entry = json.loads(err)
    assert entry["event"] == "hello"
    assert entry["count"] == 3
    assert "text" not in entry


def test_a_terminal_gets_pretty_lines_without_tracebacks(restore_logging: None) -> None:
    """On a TTY the console renderer is used; exceptions still show as their type only."""
    stream = _Terminal()
    configure("INFO", stream)
    try:
        raise ValueError(f"{UPDATE}")
    except ValueError:
        get_logger("baken.test").exception("failed", seq=1)
    output = stream.getvalue()
    _assert_clean(output)
    assert "failed" in output
    assert "ValueError" in output
    assert not output.lstrip().startswith("{")


def test_uncaught_exceptions_show_their_type_only(restore_logging: None) -> None:
    """sys.excepthook prints no traceback and no message."""
    stream = _configured("DEBUG")
    error = ValueError(f"{UPDATE}")
    sys.excepthook(type(error), error, error.__traceback__)
    _assert_clean(stream.getvalue())
    [entry] = _lines(stream)
    assert (entry["event"], entry["error"], entry["level"]) == (
        "uncaught_exception",
        "ValueError",
        "critical",
    )


async def test_real_ptb_without_error_handler_and_with_an_unreadable_update_leaks_nothing(
    restore_logging: None, botapi: StandinBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real PTB at DEBUG: its no-error-handler log, its whole-batch CRITICAL and its
    request logging (parameters, URLs with the token) show neither the update nor the token."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    stream = _configured("DEBUG")
    application = ApplicationBuilder().token(botapi.token).base_url(botapi.base_url).build()

    async def fail(update: object, context: object) -> None:
        raise ValueError(f"{UPDATE} {botapi.token}")

    application.add_handler(TypeHandler(Update, fail))
    async with application:
        chat_id = CHAT_ID
        user = botapi.user(chat_id, first_name=NAME, username="canarina_x")
        data = botapi.text_update(chat_id, str(UPDATE["message"]["text"]), user=user)  # type: ignore[index]
        await application.process_update(Update.de_json(data, application.bot))
        await application.bot.send_message(chat_id, f"to {NAME} at {PHONE}")
        botapi.push_update({"message": {"message_id": 1, "from": user, "text": EMAIL}})
        with pytest.raises(Exception):  # noqa: B017, PT011 - whichever error PTB raises
            await application.bot.get_updates(timeout=0)
    output = stream.getvalue()
    _assert_clean(output)
    assert botapi.token not in output
    events = {(e["logger"], e["event"], e.get("error")) for e in _lines(stream)}
    assert (
        "telegram.ext.Application",
        "No error handlers are registered, logging exception.",
        "ValueError",
    ) in events
    assert any(
        event == "Error while parsing updates! Received data was %r" for _, event, _ in events
    )


def test_no_traceback_renderer_is_ever_configured(restore_logging: None) -> None:
    """No dict_tracebacks, format_exc_info or rich tracebacks: they show local variables."""
    for stream in (io.StringIO(), _Terminal()):
        configure("DEBUG", stream)
        [handler] = logging.getLogger().handlers
        formatter = handler.formatter
        assert isinstance(formatter, structlog.stdlib.ProcessorFormatter)
        chain = [*structlog.get_config()["processors"], *formatter.processors]
        chain += list(formatter.foreign_pre_chain or ())
        names = " ".join(repr(p) for p in chain)
        for banned in ("dict_tracebacks", "ExceptionRenderer", "format_exc_info", "rich"):
            assert banned not in names
        renderer = formatter.processors[-1]
        if isinstance(renderer, structlog.dev.ConsoleRenderer):
            assert renderer.exception_formatter is structlog.dev.plain_traceback
