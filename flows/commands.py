"""What a person types as a command (``/stop``, ``/help``, ``/start code``), read one way.

Every channel (Telegram, the web chat, the terminal and the golden scenarios) turns a typed
line into an engine event with :func:`typed_event`, so a command works the same wherever
it is typed. The rules are Telegram's, the strictest of the channels: a name of letters,
digits and ``_`` (at most 64), optionally followed by ``@botname``, then an argument.
``/start``'s argument is a deep-link payload and only kept when it could be one.
"""

from __future__ import annotations

import re

from flows.events import Command, Event, Start, Text

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@[A-Za-z0-9_]{3,64})?$")
# Telegram's deep-link alphabet and length (``t.me/bot?start=...``).
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def parse_command(text: str) -> tuple[str, str | None] | None:
    """``/name[@bot] [arg]`` -> (name in lower case, arg or None); None when it is not one."""
    parts = text.strip().split(None, 1)
    if not parts:
        return None
    match = _COMMAND.match(parts[0])
    if match is None:
        return None
    arg = parts[1].strip() if len(parts) > 1 else ""
    return match.group(1).lower(), arg or None


def deep_link(payload: object) -> str | None:
    """``payload`` when it is a possible deep-link payload, else None (never trusted further)."""
    return payload if isinstance(payload, str) and _PAYLOAD.match(payload) else None


def typed_event(text: str, at: int, *, suggest: str | None = None) -> Event:
    """A typed line as an event: :class:`Start`, :class:`Command` or :class:`Text`.

    ``suggest``: a language the person's app prefers, offered by ``/start`` (see
    :class:`Start`). The text of a :class:`Text` is ``text`` unchanged.
    """
    command = parse_command(text)
    if command is None:
        return Text(at=at, text=text)
    name, arg = command
    if name == "start":
        return Start(at=at, payload=deep_link(arg), suggest=suggest)
    return Command(at=at, name=name, arg=arg)
