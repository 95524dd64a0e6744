"""WhatsApp's documented limits on an outgoing message, as data (Cloud API, 2026).

Shared by the renderer (which never sends what does not fit) and the content check (which
warns for labels that do not fit). The stand-in Cloud API in ``testkit/cloudapi`` holds its
own copy, written from the documentation, so a mistake here is caught there.
"""

from __future__ import annotations

MAX_TEXT = 4096  # a text message's body
MAX_BODY = 1024  # an interactive message's body
MAX_BUTTONS = 3  # reply buttons on one message
MAX_BUTTON_TITLE = 20  # a reply button's title
MAX_BUTTON_ID = 256
MAX_ROWS = 10  # rows in one list message, over all its sections
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_LIST_BUTTON = 20  # the button that opens a list
MAX_CTA_TEXT = 20  # the display text of a URL button (cta_url)


def fits_button(label: str) -> bool:
    """Whether ``label`` fits a reply button as it is."""
    return 1 <= len(label) <= MAX_BUTTON_TITLE


def fits_row(label: str) -> bool:
    """Whether ``label`` fits a list row's title as it is (longer: shortened, whole below)."""
    return 1 <= len(label) <= MAX_ROW_TITLE


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word where possible, with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"
