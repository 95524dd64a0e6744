"""The text keys the engine itself uses, as data (``baken content check`` requires them).

A data-only module, so that :mod:`flows.lint` can check them without importing the
engine. Channels declare their own keys (see ``bot/channels/channel_texts.py``) and the host
hands them to the loader.
"""

from __future__ import annotations

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

SYSTEM_TEXTS = (
    "button.help",
    "button.stop",
    "button.resume",
    "button.restart",
    "button.check_yes",
    "button.check_no",
    "button.selected",
    "system.stale",
    "system.not_understood",
    "system.did_you_mean",
    "system.none_of_these",
    "system.content_updated",
    "system.erased",
    "system.choose_language",
    "system.unknown_command",
    "system.summary_intro",
    "help.now",  # the last resort of a screen that would otherwise say nothing
    "service.open_now",
    "service.always_open",
    "service.closed_now",
    "service.hours_unknown",
    "service.phone",
    "service.phone_free",
    "service.email",
    "service.languages",
    "service.interpreter",
    "service.other_language",
    "day.today",
    "day.tomorrow",
    *(f"day.{d}" for d in DAYS),
)
