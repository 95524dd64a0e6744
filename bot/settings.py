"""Settings from the environment and `.env` (pydantic-settings). Mirrored by `.env.example`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.loader import default_content_dir

MAX_TTL = 47 * 3600  # Telegram lets bots delete messages for 48 hours; erase must still work.


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
