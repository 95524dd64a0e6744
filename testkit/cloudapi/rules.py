"""What the Cloud API accepts in ``POST /{phone-number-id}/messages``, written from Meta's
documentation (messages reference, interactive messages), independently of baken's own
``bot/channels/whatsapp/limits.py``: a mistake there is caught here.

:func:`problems` answers a request body with every rule it breaks (empty: accepted).
"""

from __future__ import annotations

import re
from typing import Any

TEXT_BODY = 4096
INTERACTIVE_BODY = 1024
BUTTONS = 3
BUTTON_TITLE = 20
BUTTON_ID = 256
ROWS = 10
SECTIONS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
ROW_ID = 200
SECTION_TITLE = 24
LIST_BUTTON = 20
CTA_DISPLAY_TEXT = 20
FOOTER = 60
_WA_ID = re.compile(r"^\+?[0-9]{5,20}$")

JSON = dict[str, Any]


def _text(value: object, name: str, limit: int, found: list[str], *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        found.append(f"{name}: required, a non-empty string")
    elif len(value) > limit:
        found.append(f"{name}: {len(value)} characters, at most {limit}")


def problems(body: object) -> list[str]:
    """Every documented rule ``body`` breaks."""
    found: list[str] = []
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    if body.get("messaging_product") != "whatsapp":
        found.append("messaging_product: must be 'whatsapp'")
    if body.get("recipient_type", "individual") != "individual":
        found.append("recipient_type: only 'individual'")
    to = body.get("to")
    if not isinstance(to, str) or not _WA_ID.match(to):
        found.append("to: a phone number or wa_id")
    kind = body.get("type", "text")
    if kind == "template":
        found.append("type: baken must never send a template")
    elif kind == "text":
        text = body.get("text")
        if not isinstance(text, dict):
            found.append("text: required")
        else:
            _text(text.get("body"), "text.body", TEXT_BODY, found)
    elif kind == "interactive":
        _interactive(body.get("interactive"), found)
    else:
        found.append(f"type: {kind!r} is not one baken sends")
    return found


def _interactive(value: object, found: list[str]) -> None:
    if not isinstance(value, dict):
        found.append("interactive: required")
        return
    body = value.get("body")
    body_text = body.get("text") if isinstance(body, dict) else None
    _text(body_text, "body.text", INTERACTIVE_BODY, found)
    footer = value.get("footer")
    if footer is not None:
        footer_text = footer.get("text") if isinstance(footer, dict) else None
        _text(footer_text, "footer.text", FOOTER, found)
    action = value.get("action")
    if not isinstance(action, dict):
        found.append("action: required")
        return
    kind = value.get("type")
    if kind == "button":
        _buttons(action, found)
    elif kind == "list":
        _list(action, found)
    elif kind == "cta_url":
        parameters = action.get("parameters")
        if action.get("name") != "cta_url" or not isinstance(parameters, dict):
            found.append("action: name 'cta_url' with parameters")
            return
        _text(parameters.get("display_text"), "display_text", CTA_DISPLAY_TEXT, found)
        url = parameters.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            found.append("url: an http(s) address")
    else:
        found.append(f"interactive.type: {kind!r} is not one baken sends")


def _buttons(action: JSON, found: list[str]) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= BUTTONS:
        found.append(f"buttons: 1 to {BUTTONS}")
        return
    ids: set[str] = set()
    titles: set[str] = set()
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if not isinstance(reply, dict) or button.get("type") != "reply":
            found.append("buttons: each {type: reply, reply: {id, title}}")
            continue
        _text(reply.get("id"), "button id", BUTTON_ID, found)
        _text(reply.get("title"), "button title", BUTTON_TITLE, found)
        ids.add(str(reply.get("id")))
        titles.add(str(reply.get("title")))
    if len(ids) < len(buttons) or len(titles) < len(buttons):
        found.append("buttons: ids and titles must be unique")


def _list(action: JSON, found: list[str]) -> None:
    _text(action.get("button"), "list button", LIST_BUTTON, found)
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= SECTIONS:
        found.append(f"sections: 1 to {SECTIONS}")
        return
    rows = 0
    ids: set[str] = set()
    for section in sections:
        if not isinstance(section, dict) or not isinstance(section.get("rows"), list):
            found.append("sections: each with rows")
            continue
        if len(sections) > 1 or "title" in section:
            _text(section.get("title"), "section title", SECTION_TITLE, found)
        for row in section["rows"]:
            rows += 1
            if not isinstance(row, dict):
                found.append("rows: objects")
                continue
            _text(row.get("id"), "row id", ROW_ID, found)
            _text(row.get("title"), "row title", ROW_TITLE, found)
            _text(row.get("description"), "row description", ROW_DESCRIPTION, found, required=False)
            ids.add(str(row.get("id")))
    if not 1 <= rows <= ROWS:
        found.append(f"rows: {rows}, 1 to {ROWS} in all")
    if len(ids) < rows:
        found.append("rows: ids must be unique")
