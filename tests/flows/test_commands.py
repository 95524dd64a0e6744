"""One reading of typed commands, the same on every channel (``flows.commands``)."""

from __future__ import annotations

import pytest

from flows import Command, Start, Text
from flows.commands import deep_link, parse_command, typed_event

AT = 1_700_000_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/help", ("help", None)),
        ("/taal en", ("taal", "en")),
        ("/STOP@baken_standin_bot", ("stop", None)),
        ("/privacy   ", ("privacy", None)),
        ("  /help  ", ("help", None)),
        ("/ niet", None),
        ("geen /help", None),
        ("/wat?", None),
        ("/héllo", None),
        ("/stop@", None),
        ("/" + "a" * 65, None),
        ("", None),
    ],
)
def test_parse_command(text: str, expected: tuple[str, str | None] | None) -> None:
    """Commands are /name[@bot] [argument]; anything else is text."""
    assert parse_command(text) == expected


def test_a_typed_line_becomes_start_command_or_text() -> None:
    """/start carries its payload (and the suggested language); other commands their
    argument; anything else stays the text as typed."""
    assert typed_event("/start zelf", AT, suggest="en") == Start(
        at=AT, payload="zelf", suggest="en"
    )
    assert typed_event("/taal EN", AT) == Command(at=AT, name="taal", arg="EN")
    assert typed_event(" hallo /help ", AT) == Text(at=AT, text=" hallo /help ")


@pytest.mark.parametrize("payload", ["two words", "a" * 65, "é", "", None, 7])
def test_a_payload_that_cannot_be_a_deep_link_is_dropped(payload: object) -> None:
    """Only Telegram's deep-link alphabet (A-Z, a-z, 0-9, _ and -, at most 64) is kept."""
    assert deep_link(payload) is None
    if isinstance(payload, str) and payload:
        assert typed_event(f"/start {payload}", AT) == Start(at=AT, payload=None)


def test_a_deep_link_payload_is_kept() -> None:
    assert deep_link("poster_school-2") == "poster_school-2"
