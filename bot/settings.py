"""Settings from the environment and `.env` (pydantic-settings). Mirrored by `.env.example`.

:func:`web_problems` checks the settings an operator must choose before the web chat is
served to the public (README: "Put the web chat online").
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.loader import default_content_dir

MAX_TTL = 47 * 3600  # Telegram lets bots delete messages for 48 hours; erase must still work.
# Meta's Graph API, at the version baken was written and tested against.
WHATSAPP_GRAPH_API = "https://graph.facebook.com/v23.0"

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
    # Read by bot/derived.py (also outside Settings, for `baken content`); listed here so
    # that .env.example and the settings agree.
    BAKEN_CACHE_DIR: Path | None = None
    BAKEN_RATE_LIMIT: Literal["on", "off"] = "on"
    BAKEN_SESSION_SECRET: SecretStr | None = None
    BAKEN_SESSION_TTL: int = Field(default=2 * 3600, ge=60, le=MAX_TTL)
    BAKEN_REDIS_URL: str | None = None
    # The web chat (`baken web`): see README, "Put it on a website".
    BAKEN_WEB_PUBLIC_URL: str | None = None
    BAKEN_WEB_EXIT_URL: str = "https://www.google.com/"
    BAKEN_WEB_FRAME_ANCESTORS: str = "'none'"
    BAKEN_WEB_ORIGINS: str = ""
    BAKEN_WEB_MAX_CONNECTIONS: int = Field(default=2000, ge=1, le=100_000)
    # WhatsApp (`baken whatsapp`; README: "Put it on WhatsApp"). Off unless all four are set.
    WHATSAPP_TOKEN: SecretStr | None = None
    WHATSAPP_APP_SECRET: SecretStr | None = None
    WHATSAPP_VERIFY_TOKEN: SecretStr | None = None
    WHATSAPP_PHONE_NUMBER_ID: str | None = None
    WHATSAPP_API_URL: str = WHATSAPP_GRAPH_API
    # Messages a second to send (Meta: 80 per number, more once upgraded); with Redis, one
    # budget shared by every worker.
    WHATSAPP_RATE: float = Field(default=75.0, gt=0, le=1000)
    # Service links counted through GET /go/<service> (bot/golinks.py); "off": direct links.
    BAKEN_GO_LINKS: Literal["on", "off"] = "on"

    @model_validator(mode="before")
    @classmethod
    def _empty_web_is_unset(cls, data: Any) -> Any:
        # An empty line in .env (as .env.example ships them) means "not chosen": the default
        # applies on a laptop, and web_problems() asks for a choice behind a proxy.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (k in WEB_CHOICES and v == "")}
        return data

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
        "WHATSAPP_TOKEN",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("WHATSAPP_API_URL")
    @classmethod
    def _graph_api(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", value):
            raise ValueError("must be the Graph API's address, such as " + WHATSAPP_GRAPH_API)
        return value.rstrip("/")

    @field_validator("BAKEN_WEB_PUBLIC_URL")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        origin = value.strip().rstrip("/").lower()
        if not _ORIGIN.match(origin):
            raise ValueError(
                "must be the address people open, scheme and host only, such as "
                "https://chat.example.org (the chat is served at the root of its own address)"
            )
        return origin

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


# What an operator must choose before the web chat is served to the public.
WEB_CHOICES = ("BAKEN_WEB_PUBLIC_URL", "BAKEN_WEB_EXIT_URL", "BAKEN_WEB_FRAME_ANCESTORS")
_WHY = {
    "BAKEN_WEB_PUBLIC_URL": "the address people open, e.g. https://chat.example.org "
    "(the page's WebSocket and its Content-Security-Policy are made for it)",
    "BAKEN_WEB_EXIT_URL": "where quick exit sends the person: a neutral site that looks like "
    "ordinary browsing, e.g. https://www.google.com/",
    "BAKEN_WEB_FRAME_ANCESTORS": "which partner sites may show the chat in an <iframe>: none, "
    "self, or their https:// addresses",
}


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _local(host: str) -> bool:
    """This machine or a private network: plain http:// is a trial there, not a service."""
    if _loopback(host):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_private
    except ValueError:
        return False


def web_problems(settings: Settings, *, host: str) -> list[str]:
    """Why ``baken web --host host`` must not start with these settings ([] when it may).

    A worker serves the public when ``BAKEN_WEB_PUBLIC_URL`` is set or it listens on more
    than this machine (``--host 0.0.0.0`` in a container behind a proxy). Then the operator
    must have chosen the public address, the quick-exit site and the framing sites, and
    none may contradict another: a page that cannot connect, or a quick exit that leads
    back to the chat, must never be served.
    """
    public = settings.BAKEN_WEB_PUBLIC_URL
    if public is None and _loopback(host):
        return []  # a laptop, or a proxy on this machine during a trial: defaults are fine
    problems = [
        f"{name} is not set: choose {_WHY[name]}"
        for name in WEB_CHOICES
        if name not in settings.model_fields_set
    ]
    if public is None:
        return problems
    address = urlsplit(public)
    secure = address.scheme == "https"
    if not secure and not _local(address.hostname or ""):
        problems.append(
            f"BAKEN_WEB_PUBLIC_URL={public} is plain http:// on a public name: serve the chat "
            "over https:// (the proxy's TLS), or people's messages travel readable"
        )
    exit_host = urlsplit(settings.BAKEN_WEB_EXIT_URL).netloc.lower()
    if "BAKEN_WEB_EXIT_URL" in settings.model_fields_set and exit_host == address.netloc:
        problems.append(
            f"BAKEN_WEB_EXIT_URL={settings.BAKEN_WEB_EXIT_URL} is the chat's own address: "
            "quick exit must lead away from the chat, to a neutral site"
        )
    if secure and settings.BAKEN_WEB_EXIT_URL.startswith("http://"):
        problems.append(
            f"BAKEN_WEB_EXIT_URL={settings.BAKEN_WEB_EXIT_URL} is plain http://: a browser may "
            "stop a person leaving in a hurry with a warning page; use an https:// site"
        )
    plain = [a for a in settings.BAKEN_WEB_FRAME_ANCESTORS.split() if a.startswith("http://")]
    if secure and plain:
        problems.append(
            f"BAKEN_WEB_FRAME_ANCESTORS lists plain http:// sites ({' '.join(plain)}) while the "
            "chat is https://: a page without TLS can be changed on its way, the chat inside "
            "it too; allow only the partner's https:// address"
        )
    plain = [o for o in settings.BAKEN_WEB_ORIGINS.split() if o.startswith("http://")]
    if secure and plain:
        problems.append(
            f"BAKEN_WEB_ORIGINS lists plain http:// origins ({' '.join(plain)}) while the chat "
            "is https://: its page never has one; list https:// origins only (the public "
            "address itself needs no listing)"
        )
    return problems
