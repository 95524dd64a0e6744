"""baken's host side: channels (Telegram, console), session stores, settings, logging."""
