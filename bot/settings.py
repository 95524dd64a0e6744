"""Settings from the environment and `.env` (pydantic-settings). Mirrored by `.env.example`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.loader import default_content_dir

MAX_TTL = 47 * 3600  # Telegram lets bots delete messages for 48 hours; erase must still work.

# The web chat: what may stand in a CSP source list and in an Origin header.
_ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")
_ANCESTOR = re.compile(r"^('self'|https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?)$")
_EXIT_URL = re.compile(r"^https?://[^\s\"'<>\\]+$")


class Settings(BaseSettings):
    """Every setting baken reads. Names are the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    TELEGRAM_BOT_TOKEN: SecretStr | None = None
    TELEGRAM_API_BASE_URL: str = "https://api.telegram.org/bot"
    BAKEN_WEBHOOK_SECRET: SecretStr | None = None
    BAKEN_WEBHOOK_URL: str | None = None
    BAKEN_LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    BAKEN_CONTENT_DIR: Path = Field(default_factory=default_content_dir)
    BAKEN_RATE_LIMIT: Literal["on", "off"] = "on"
    BAKEN_SESSION_SECRET: SecretStr | None = None
    BAKEN_SESSION_TTL: int = Field(default=2 * 3600, ge=60, le=MAX_TTL)
    BAKEN_REDIS_URL: str | None = None
    # The web chat (`baken web`): see README, "Put it on a website".
    BAKEN_WEB_EXIT_URL: str = "https://www.google.com/"
    BAKEN_WEB_FRAME_ANCESTORS: str = "'none'"
    BAKEN_WEB_ORIGINS: str = ""
    BAKEN_WEB_MAX_CONNECTIONS: int = Field(default=2000, ge=1, le=100_000)

    @field_validator("BAKEN_LOG_LEVEL", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "TELEGRAM_BOT_TOKEN",
        "BAKEN_WEBHOOK_SECRET",
        "BAKEN_SESSION_SECRET",
        "BAKEN_WEBHOOK_URL",
        "BAKEN_REDIS_URL",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("BAKEN_WEB_EXIT_URL")
    @classmethod
    def _exit_url(cls, value: str) -> str:
        if not _EXIT_URL.match(value):
            raise ValueError("must be a whole web address starting with https:// (or http://)")
        return value

    @field_validator("BAKEN_WEB_FRAME_ANCESTORS")
    @classmethod
    def _frame_ancestors(cls, value: str) -> str:
        # 'none' and 'self' may come without their quotes (.env files often strip them).
        keywords = {"none": "'none'", "self": "'self'"}
        sources = [keywords.get(s.strip("'"), s) for s in value.split()]
        if sources in ([], ["'none'"]):
            return "'none'"
        bad = [s for s in sources if not _ANCESTOR.match(s)]
        if bad:
            raise ValueError(
                "must be 'none' (the default), or 'self' and/or site addresses such as "
                f"https://www.example.org, separated by spaces; not: {' '.join(bad)}"
            )
        return " ".join(sources)

    @field_validator("BAKEN_WEB_ORIGINS")
    @classmethod
    def _origins(cls, value: str) -> str:
        origins = value.replace(",", " ").split()
        bad = [o for o in origins if not _ORIGIN.match(o)]
        if bad:
            raise ValueError(
                "must be origins such as https://chat.example.org (scheme and host, no path), "
                f"separated by spaces or commas; not: {' '.join(bad)}"
            )
        return " ".join(o.lower() for o in origins)
