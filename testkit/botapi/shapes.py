"""The Bot API's shapes and rules as the stand-in needs them: calls, errors, users, chat
members, Telegram HTML and its entities, reply markup checks, JSON answers."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

JSON = dict[str, Any]

DEFAULT_TOKEN: Final = "123456789:AAStandin-Token_For-Tests-Only-00000000"
FAULTS: Final = frozenset({"429", "500", "502", "503", "timeout", "slow", "reset", "malformed"})
MAX_TEXT_LENGTH: Final = 4096
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_DELETE_IDS: Final = 100
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"

# Telegram leaves these update types out unless allowed_updates names them.
_NOT_BY_DEFAULT: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_ALL_UPDATE_TYPES: Final = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_DEFAULT_ALLOWED: Final = _ALL_UPDATE_TYPES - _NOT_BY_DEFAULT

# Form-encoded values are JSON for everything but plain strings (see PTB's RequestParameter);
# these parameters are always strings, so "123" stays "123".
_STRING_PARAMS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "inline_message_id",
        "action",
        "language_code",
        "description",
        "short_description",
        "name",
        "title",
        "emoji",
        "data",
        "file_id",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "phone_number",
        "first_name",
        "last_name",
        "address",
        "query",
    }
)
_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_ACTIONS: Final = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_RE: Final = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE: Final = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BOT_COMMAND_RE: Final = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_HTML_TAG_RE: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>")
_HTML_ATTR_RE: Final = re.compile(
    r"""([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"""
)
_HTML_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NGINX_PAGE: Final = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_AUTO: Final[Any] = object()


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API call as the stand-in received it.

    ``at`` is ``time.monotonic()`` when the stand-in acted on the call; ``fault`` names the
    injected fault that answered it, or is None for a normal answer.
    """

    method: str
    params: dict[str, Any]
    at: float
    fault: str | None = None


@dataclass(frozen=True, slots=True)
class Violation:
    """A call the stand-in refused the way Telegram would (400, 401, 403, 404, 409)."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str
    at: float


class BotAPIError(Exception):
    """An error answer: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


DELETE_WINDOW = 48 * 3600  # seconds after which a bot can no longer delete a message


def _deletable(message: JSON) -> bool:
    """Bots may delete a message in a private chat for 48 hours after it was sent."""
    return time.time() - int(message.get("date", 0)) < DELETE_WINDOW


def _bad(what: str) -> BotAPIError:
    return BotAPIError(400, f"Bad Request: {what}")


@dataclass(slots=True)
class _Fault:
    kind: str
    remaining: int
    retry_after: int
    delay: float


@dataclass(slots=True)
class _Waiter:
    predicate: Callable[[Call], bool]
    count: int
    matched: list[Call]
    future: asyncio.Future[None]


@dataclass(slots=True)
class _Chat:
    info: JSON
    user: JSON | None = None
    next_message_id: int = 1
    messages: dict[int, JSON] = field(default_factory=dict)
    sent_texts: list[str] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    keyboard: JSON | None = None
    bot_status: str = "member"


def make_user(
    user_id: int,
    *,
    first_name: str = "Alex",
    last_name: str | None = "Tester",
    username: str | None = _AUTO,
    language_code: str | None = "nl",
    is_bot: bool = False,
) -> JSON:
    """Build a Bot API User; a field given as None is left out, as Telegram does."""
    user: JSON = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name is not None:
        user["last_name"] = last_name
    if username is _AUTO:
        username = f"user{user_id}"
    if username is not None:
        user["username"] = username
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Turn Telegram HTML into (visible text, entities), or raise 400 like Telegram does."""
    out: list[str] = []
    entities: list[JSON] = []
    stack: list[tuple[str, JSON, int]] = []
    offset = 0  # in UTF-16 code units, as entity offsets are
    pos = 0
    while True:
        lt = text.find("<", pos)
        chunk = html.unescape(text[pos:] if lt < 0 else text[pos:lt])
        out.append(chunk)
        offset += _utf16_len(chunk)
        if lt < 0:
            break
        at_byte = len(text[:lt].encode())
        match = _HTML_TAG_RE.match(text, lt)
        if match is None:
            raise _bad(
                f"can't parse entities: Unexpected end of name token at byte offset {at_byte}"
            )
        closing, name, raw_attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        pos = match.end()
        if closing:
            if not stack or stack[-1][0] != name:
                raise _bad(f"can't parse entities: Unexpected end tag at byte offset {at_byte}")
            _, attrs, start = stack.pop()
            _close_html_entity(name, attrs, start, offset, stack, entities)
            continue
        attrs = {
            m.group(1).lower(): next((g for g in m.group(2, 3, 4) if g is not None), "")
            for m in _HTML_ATTR_RE.finditer(raw_attrs)
        }
        if name not in _HTML_ENTITY_TYPES or (
            name == "span" and attrs.get("class") != "tg-spoiler"
        ):
            raise _bad(
                f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {at_byte}'
            )
        stack.append((name, attrs, offset))
    if stack:
        raise _bad(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_html_entity(
    name: str, attrs: JSON, start: int, end: int, stack: list[Any], entities: list[JSON]
) -> None:
    if end <= start:
        return  # Telegram drops empty entities
    entity: JSON = {"type": _HTML_ENTITY_TYPES[name], "offset": start, "length": end - start}
    if name == "a":
        href = attrs.get("href")
        if not href:
            return
        entity["url"] = href
    elif name == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][1]["language"] = language.removeprefix("language-")
            return
    elif name == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    elif name == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    entities.append(entity)


def _bot_command_entities(text: str) -> list[JSON]:
    """Entities a Telegram client adds for /commands typed in a message."""
    entities = []
    for match in _BOT_COMMAND_RE.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group()),
            }
        )
    return entities


def _check_reply_markup(markup: Any) -> JSON | None:
    """Validate a reply_markup like Telegram and return it as a dict."""
    if markup is None:
        return None
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            raise _bad("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        for row in rows:
            for button in row:
                _check_inline_button(button)
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse reply keyboard markup JSON object")
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise _bad('can\'t parse keyboard button: Field "text" must be of type String')
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise _bad("can't parse reply keyboard markup JSON object")
    return markup


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise _bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise _bad("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
            raise _bad(f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol")


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise _bad(f"invalid {what} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    if value is None:
        raise _bad(f"{what} is empty")
    raise _bad(f"invalid {what} specified")


def _decode_form_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS or not value:
        return value
    first = value[0]
    if first in '[{"-' or first.isdigit() or value in ("true", "false", "null"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _response(status: int, payload: Any) -> web.Response:
    return web.Response(status=status, body=_dumps(payload), content_type="application/json")


def _ok(result: Any, description: str | None = None) -> web.Response:
    payload: JSON = {"ok": True, "result": result}
    if description:
        payload["description"] = description
    return _response(200, payload)


def _error(error: BotAPIError) -> web.Response:
    payload: JSON = {"ok": False, "error_code": error.code, "description": error.description}
    if error.parameters:
        payload["parameters"] = error.parameters
    return _response(error.code, payload)


def _update_type(update: JSON) -> str:
    return next((key for key in update if key != "update_id"), "")


def _chat_member(user: JSON, status: str) -> JSON:
    """A ChatMember of the given status with the fields Telegram always sends."""
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=False,
            can_restrict_members=False,
            can_promote_members=False,
            can_change_info=False,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
        )
    elif status == "restricted":
        member.update(
            {
                "is_member": True,
                "until_date": 0,
                **dict.fromkeys(
                    (
                        "can_send_messages",
                        "can_send_audios",
                        "can_send_documents",
                        "can_send_photos",
                        "can_send_videos",
                        "can_send_video_notes",
                        "can_send_voice_notes",
                        "can_send_polls",
                        "can_send_other_messages",
                        "can_add_web_page_previews",
                        "can_change_info",
                        "can_invite_users",
                        "can_pin_messages",
                        "can_manage_topics",
                    ),
                    False,
                ),
            }
        )
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in ("member", "left"):
        raise ValueError(f"unknown chat member status {status!r}")
    return member
