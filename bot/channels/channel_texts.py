"""The content text keys each channel uses itself, as data.

``baken content check`` and every content load require them in Dutch (like the
engine's own keys in :mod:`flows.texts`), so an operator who deletes one hears it
at once rather than a person seeing a missing text.
"""

from __future__ import annotations

# The channels a text may have a variant for (``key@telegram``): each channel's ``name``,
# handed to the content check by the host.
CHANNELS = ("telegram", "web", "console", "whatsapp")

# Telegram (bot/channels/telegram/): notes, erase, the pressed message, the command menu.
TELEGRAM_ONLY_TEXT = "channel.only_text"
TELEGRAM_SHARED_REMOVED = "channel.shared_removed"
TELEGRAM_EDITED = "channel.edited"
TELEGRAM_GROUP_LEAVE = "channel.group_leave"
TELEGRAM_ERASE_FAILED = "channel.erase_failed"
TELEGRAM_CHOSEN = "channel.chosen"
TELEGRAM_COPY = "channel.copy"
TELEGRAM_COMMANDS = {
    "start": "channel.command.start",
    "help": "channel.command.help",
    "stop": "channel.command.stop",
    "privacy": "channel.command.privacy",
    "language": "channel.command.language",
}
TELEGRAM = (
    TELEGRAM_ONLY_TEXT,
    TELEGRAM_SHARED_REMOVED,
    TELEGRAM_EDITED,
    TELEGRAM_GROUP_LEAVE,
    TELEGRAM_ERASE_FAILED,
    TELEGRAM_CHOSEN,
    TELEGRAM_COPY,
    *TELEGRAM_COMMANDS.values(),
)

# The web chat (bot/channels/web/): the page's own words, put into the page by the server
# and sent over the socket when the conversation's language changes.
WEB_TEXTS = {
    "title": "web.title",
    "intro": "web.intro",
    "start": "web.start",
    "exit": "web.exit",
    "exit_info": "web.exit_info",
    "input": "web.input",
    "send": "web.send",
    "copy": "web.copy",
    "copied": "web.copied",
    "you": "web.you",
    "bot": "web.bot",
    "offline": "web.offline",
    "too_fast": "web.too_fast",
    "error": "web.error",
    "noscript": "web.noscript",
    "call": "web.call",
    "call_free": "web.call_free",
    "chat": "web.chat",
    "site": "web.site",
    "languages": "web.languages",
}
WEB = tuple(WEB_TEXTS.values())

# WhatsApp (bot/channels/whatsapp/): the button that opens a list, the body of a second
# list, the line that says help and stop can be typed, a URL button's fallback label.
# It also says channel.only_text (TELEGRAM_ONLY_TEXT), which is true there too.
WHATSAPP_CHOOSE = "whatsapp.choose"
WHATSAPP_MORE = "whatsapp.more"
WHATSAPP_TYPED = "whatsapp.typed"
WHATSAPP_OPEN = "whatsapp.open"
WHATSAPP = (WHATSAPP_CHOOSE, WHATSAPP_MORE, WHATSAPP_TYPED, WHATSAPP_OPEN)

# Every channel's keys: what a content load requires besides the engine's.
ALL = (*TELEGRAM, *WEB, *WHATSAPP)
