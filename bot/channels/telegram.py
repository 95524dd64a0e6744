"""The Telegram channel (issue 4): not built yet. `baken chat` works without it."""

from __future__ import annotations

from bot.settings import Settings


def run_polling(settings: Settings, *, watch: bool = False) -> int:
    """Long polling on Telegram."""
    raise SystemExit("baken run: the Telegram channel is not built yet; use `baken chat`")


def run_webhook(settings: Settings, *, host: str, port: int, watch: bool = False) -> int:
    """Webhook server for Telegram."""
    raise SystemExit("baken webhook: the Telegram channel is not built yet; use `baken chat`")
