"""WhatsApp is off by default: ``baken whatsapp`` names what is missing and does not start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.channels.whatsapp.app import run, settings_problems
from bot.settings import WHATSAPP_GRAPH_API, Settings

NAMES = (
    "WHATSAPP_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
)


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_off_until_all_four_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    assert settings_problems(settings()) == [f"{name} is not set" for name in NAMES]
    empty = settings(**dict.fromkeys(NAMES, ""))  # as .env.example ships them
    assert len(settings_problems(empty)) == 4
    on = settings(**dict.fromkeys(NAMES, "x"))
    assert settings_problems(on) == []
    assert on.WHATSAPP_API_URL == WHATSAPP_GRAPH_API
    assert WHATSAPP_GRAPH_API.startswith("https://graph.facebook.com/v")  # a pinned version


def test_the_command_refuses_to_start_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    assert run(settings(WHATSAPP_TOKEN="x"), host="127.0.0.1", port=0) == 2
    said = capsys.readouterr().err
    assert "WHATSAPP_APP_SECRET is not set" in said
    assert "Put it on WhatsApp" in said
    assert "WHATSAPP_TOKEN is not set" not in said


def test_the_api_address_must_be_one() -> None:
    with pytest.raises(ValidationError):
        settings(WHATSAPP_API_URL="graph.facebook.com")
    assert settings(WHATSAPP_API_URL="http://127.0.0.1:9/v23.0/").WHATSAPP_API_URL.endswith("v23.0")
