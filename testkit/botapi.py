"""A stand-in Telegram Bot API server for tests and benchmarks.

It speaks the Bot API over real HTTP on 127.0.0.1, so the real python-telegram-bot
(``Bot(token, base_url=api.base_url)`` or ``ApplicationBuilder().base_url(api.base_url)``)
talks to it exactly as it would to Telegram: no mocks, the fake sits at the network seam.

What it does:

- answers the methods baken uses with Bot API 9.x shapes (``getMe``, ``getUpdates`` with real
  long polling, webhooks, ``sendMessage``, edits, deletes, callback answers, commands, ...) and
  rejects what Telegram rejects (text over 4096 characters, callback data over 64 bytes,
  unknown chats, broken HTML) with the same ``Bad Request: ...`` answers;
- records every call (:class:`Call`) and every rejection (:class:`Violation`) and keeps the
  visible messages of every chat, so tests can assert what a user would see;
- builds realistic updates (text, commands, button presses, contacts, locations, media,
  groups, channels, membership changes) and delivers them by long polling or webhook;
- injects faults (429 with ``retry_after``, 5xx, slow answers, timeouts, connection resets,
  malformed JSON) into the next calls of a method;
- numbers messages as Telegram does in private chats: from **one counter shared by every
  private chat**, with small random gaps (other chats, failed sends), so concurrent
  conversations interleave and no chat's ids are consecutive; groups and channels count
  on their own;
- lets a bot delete messages only within **48 hours** of their ``date``:
  ``deleteMessages`` skips older ones (as it skips unknown ones), ``deleteMessage`` refuses
  them; :meth:`StandinBotAPI.age` moves a chat's messages into the past.

In a test::

    async with StandinBotAPI() as api:
        bot = telegram.Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        api.push_update(api.text_update(42, "hallo"))
        ...
        await api.wait_for("sendMessage")
        assert api.sent_texts(42) == ["..."]

On its own, as the peer of a load generator::

    python -m testkit.botapi --port 0 --token 123456:TEST

prints ``READY http://127.0.0.1:PORT`` and serves until SIGINT or SIGTERM. The JSON control
API lives under ``/_control/``: ``POST updates`` (a list of updates, or of
``{"build": "text_update", "args": {...}}``), ``GET calls?method=X&limit=N``, ``GET
messages?chat_id=N``, ``POST reset`` and ``POST inject`` (the arguments of :meth:`inject`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import itertools
import json
import random
import re
import signal
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import ClientSession, ClientTimeout, web

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


class StandinBotAPI:
    """The stand-in server: start it, point PTB at :attr:`base_url`, assert on what it saw.

    ``token`` is one token or several (the first is :attr:`token`); only these are accepted.
    ``history`` caps the calls and the messages per chat kept in memory (None keeps all),
    for long benchmark runs; counts in :attr:`counts` are never capped.
    """

    def __init__(
        self,
        token: str | Iterable[str] = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "baken_standin_bot",
        bot_first_name: str = "Baken",
        history: int | None = None,
        id_gaps: int = 3,
        seed: int = 20261201,
    ) -> None:
        tokens = [token] if isinstance(token, str) else list(token)
        if not tokens:
            raise ValueError("at least one token is needed")
        self.token: str = tokens[0]
        self._bots: dict[str, JSON] = {}
        for index, tok in enumerate(tokens):
            prefix = tok.split(":", 1)[0]
            bot_id = int(prefix) if prefix.isdigit() else 100_000_000 + index
            username = bot_username if index == 0 else f"{bot_username}{index + 1}"
            self._bots[tok] = {
                "id": bot_id,
                "is_bot": True,
                "first_name": bot_first_name,
                "username": username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
                "has_topics_enabled": False,
                "allows_users_to_create_topics": False,
            }
        self._host = host
        self._port = port
        self._history = history
        self._id_gaps = id_gaps  # private chats: up to this many ids skipped between messages
        self._seed = seed
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._stopping = asyncio.Event()
        # getUpdates has no entry function: it is the one method that waits (see _answer).
        self._methods: dict[str, tuple[str, Callable[[JSON, JSON], Any] | None]] = {
            "getupdates": ("getUpdates", None)
        }
        for name in (
            "getMe",
            "sendMessage",
            "editMessageText",
            "editMessageReplyMarkup",
            "answerCallbackQuery",
            "deleteMessage",
            "deleteMessages",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "leaveChat",
            "sendChatAction",
            "setWebhook",
            "deleteWebhook",
            "getWebhookInfo",
            "getFile",
            "close",
            "logOut",
        ):
            self._methods[name.lower()] = (name, getattr(self, f"_m_{name}"))
        self._update_ids = itertools.count(700_000_001)
        self._ids = itertools.count(1)
        self._waiters: list[_Waiter] = []
        self._pollers: set[asyncio.Future[str]] = set()
        self.reset()

    # ----------------------------------------------------------------- lifecycle

    def reset(self) -> None:
        """Forget all calls, updates, chats, webhooks, commands and pending faults."""
        self._wake_pollers("stop")
        keep = self._history
        self._calls: deque[Call] = deque(maxlen=keep)
        self._by_method: dict[str, deque[Call]] = defaultdict(lambda: deque(maxlen=keep))
        self.counts: dict[str, int] = defaultdict(int)
        self.violations: deque[Violation] = deque(maxlen=keep)
        self.faults_served = 0
        self._faults: dict[str, deque[_Fault]] = {}
        self._in_flight: dict[int, int] = {}
        self._last_call: dict[int, Call] = {}
        self._last_activity: dict[int, float] = {}
        self._queue: deque[tuple[int, str, JSON]] = deque()
        self._allowed: frozenset[str] = _DEFAULT_ALLOWED
        self._chats: dict[int, _Chat] = {}
        self._usernames: dict[str, int] = {}
        self._private_ids = 0
        self._gaps = random.Random(self._seed)
        self._callbacks: dict[str, int] = {}
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._files: dict[str, JSON] = {}
        self.webhook: JSON = {}

    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_control/updates", self._control_updates)
        app.router.add_get("/_control/calls", self._control_calls)
        app.router.add_get("/_control/messages", self._control_messages)
        app.router.add_post("/_control/reset", self._control_reset)
        app.router.add_post("/_control/inject", self._control_inject)
        self._stopping.clear()
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Wake every waiting poll and delayed answer, then close the server."""
        self._stopping.set()
        self._wake_pollers("stop")
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> StandinBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """What PTB takes as ``base_url``; it appends ``<token>/<method>``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What PTB takes as ``base_file_url``."""
        return f"{self.url}/file/bot"

    @property
    def me(self) -> JSON:
        """The bot user behind :attr:`token`, as getMe answers it."""
        return self._bots[self.token]

    # ----------------------------------------------------------------- recording

    @property
    def calls(self) -> list[Call]:
        """Every recorded call, oldest first."""
        return list(self._calls)

    def calls_of(self, method: str) -> list[Call]:
        """The recorded calls of one method (e.g. ``"sendMessage"``), oldest first."""
        return list(self._by_method.get(self._canonical(method), ()))

    def sent_texts(self, chat_id: int) -> list[str]:
        """Texts the bot sent to a chat, as the user saw them (HTML parsed), in order."""
        chat = self._chats.get(chat_id)
        return list(chat.sent_texts) if chat else []

    def messages(self, chat_id: int) -> list[JSON]:
        """Visible messages of a chat (user's and bot's, deleted ones gone), oldest first."""
        chat = self._chats.get(chat_id)
        return list(chat.messages.values()) if chat else []

    def keyboard(self, chat_id: int) -> JSON | None:
        """The reply keyboard the user currently sees in a chat, if any."""
        chat = self._chats.get(chat_id)
        return chat.keyboard if chat else None

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list set for a scope and language (empty when none)."""
        return list(self._commands.get(self._commands_key(scope, language_code), []))

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by getUpdates."""
        return len(self._queue)

    async def wait_for(
        self,
        what: str | Callable[[Call], bool],
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the asked-for API; asyncio.timeout inside
    ) -> list[Call]:
        """Wait until ``count`` recorded calls match a method name or predicate.

        Returns every matching call so far (at least ``count``); raises TimeoutError
        saying what was seen instead.
        """
        if isinstance(what, str):
            method = self._canonical(what)

            def predicate(call: Call) -> bool:
                return call.method == method

            label = method
        else:
            predicate, label = what, getattr(what, "__name__", repr(what))
        matched = [call for call in self._calls if predicate(call)]
        if len(matched) >= count:
            return matched
        waiter = _Waiter(predicate, count, matched, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter.future
        except TimeoutError:
            seen = [call.method for call in list(self._calls)[-20:]]
            raise TimeoutError(
                f"waited {timeout}s for {count} call(s) of {label}, got {len(matched)}; "
                f"last calls: {seen}"
            ) from None
        finally:
            self._waiters.remove(waiter)
        return waiter.matched

    def _canonical(self, method: str) -> str:
        entry = self._methods.get(method.lower())
        return entry[0] if entry else method

    def _record(self, method: str, params: JSON, fault: str | None = None) -> Call:
        call = Call(method, params, time.monotonic(), fault)
        self._calls.append(call)
        self._last_call[self.chat_of_call(params)] = call
        self._by_method[method].append(call)
        self.counts[method] += 1
        if self._waiters:
            for waiter in self._waiters:
                if waiter.future.done():
                    continue
                try:
                    hit = waiter.predicate(call)
                except Exception as exc:
                    waiter.future.set_exception(exc)
                    continue
                if hit:
                    waiter.matched.append(call)
                    if len(waiter.matched) >= waiter.count:
                        waiter.future.set_result(None)
        return call

    def _violate(self, method: str, params: JSON, error: BotAPIError) -> None:
        self.violations.append(
            Violation(method, params, error.code, error.description, time.monotonic())
        )

    # ----------------------------------------------------------------- faults

    def inject(
        self,
        method: str,
        fault: str,
        times: int = 1,
        *,
        retry_after: int = 3,
        delay: float | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any) with a fault.

        - ``"429"``: Too Many Requests with ``parameters.retry_after``; nothing happens.
        - ``"500"``: JSON Internal Server Error; ``"502"``/``"503"``: nginx HTML page.
        - ``"slow"``: wait ``delay`` seconds (default 1), then act and answer normally.
        - ``"timeout"``: act at once, hold the answer ``delay`` seconds (default 30), as when
          Telegram sent the message but the answer never arrived in time.
        - ``"reset"``: close the connection without an answer; nothing happens.
        - ``"malformed"``: 200 with a body that is not JSON; nothing happens.
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {sorted(FAULTS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if delay is None:
            delay = 30.0 if fault == "timeout" else 1.0
        key = method if method == "*" else self._canonical(method)
        self._faults.setdefault(key, deque()).append(_Fault(fault, times, retry_after, delay))

    def pending_faults(self, method: str) -> int:
        """Faults injected for ``method`` that no call has taken yet."""
        key = method if method == "*" else self._canonical(method)
        return sum(fault.remaining for fault in self._faults.get(key, ()))

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method) or self._faults.get("*")
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        self.faults_served += 1
        return fault

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _serve_fault(
        self, request: web.Request, method: str, params: JSON, fault: _Fault, bot: JSON
    ) -> web.StreamResponse:
        kind = fault.kind
        if kind == "slow":
            await self._pause(fault.delay)
        self._record(method, params, kind)
        if kind in ("slow", "timeout"):
            response = await self._answer(method, params, bot)
            if kind == "timeout":
                await self._pause(fault.delay)
            return response
        if kind == "429":
            return _error(
                BotAPIError(
                    429,
                    f"Too Many Requests: retry after {fault.retry_after}",
                    {"retry_after": fault.retry_after},
                )
            )
        if kind == "500":
            return _error(BotAPIError(500, "Internal Server Error"))
        if kind in ("502", "503"):
            reason = "Bad Gateway" if kind == "502" else "Service Temporarily Unavailable"
            page = _NGINX_PAGE.format(code=kind, reason=reason)
            return web.Response(status=int(kind), text=page, content_type="text/html")
        if kind == "malformed":
            return web.Response(
                body=b'{"ok":true,"result":{"message_id":', content_type="text/html"
            )
        # "reset": drop the connection; aiohttp then has nothing to write to.
        if request.transport is not None:
            request.transport.abort()
        raise web.HTTPException()

    # ----------------------------------------------------------------- HTTP

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = {}
        if request.query_string:
            for key, value in request.query.items():
                params[key] = _decode_form_value(key, value)
        if not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise _bad("can't parse JSON object")
            params.update(body)
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": len(value.file.read()),
                }
            else:
                params[key] = _decode_form_value(key, str(value))
        return params

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        bot = self._bots.get(request.match_info["token"])
        try:
            params = await self._read_params(request)
        except BotAPIError as error:
            self._violate(name, {}, error)
            return _error(error)
        if bot is None:
            error = BotAPIError(401, "Unauthorized")
            self._violate(name, params, error)
            return _error(error)
        entry = self._methods.get(name.lower())
        if entry is None:
            self._record(name, params)
            error = BotAPIError(404, "Not Found")
            self._violate(name, params, error)
            return _error(error)
        method = entry[0]
        chat_id = self.chat_of_call(params)
        self._in_flight[chat_id] = self._in_flight.get(chat_id, 0) + 1
        try:
            if self._faults:
                fault = self._take_fault(method)
                if fault is not None:
                    return await self._serve_fault(request, method, params, fault, bot)
            self._record(method, params)
            return await self._answer(method, params, bot)
        finally:
            self._last_activity[chat_id] = time.monotonic()
            remaining = self._in_flight.pop(chat_id, 0) - 1
            if remaining > 0:  # (after a reset() mid-call there is nothing to count down)
                self._in_flight[chat_id] = remaining

    def chat_of_call(self, params: JSON) -> int:
        """The chat a call is about (0 when none): ``chat_id``, or the chat of a button press."""
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int):
            return chat_id
        return self._callbacks.get(str(params.get("callback_query_id", "")), 0)

    def in_flight(self, chat_id: int) -> int:
        """Calls about this chat that arrived and are not answered yet (delayed or slow)."""
        return self._in_flight.get(chat_id, 0)

    def last_call(self, chat_id: int) -> Call | None:
        """The latest call about this chat (``answerCallbackQuery`` included), if any."""
        return self._last_call.get(chat_id)

    def last_activity(self, chat_id: int) -> float | None:
        """When the stand-in last answered (or gave up on) a call about this chat."""
        return self._last_activity.get(chat_id)

    async def _answer(self, method: str, params: JSON, bot: JSON) -> web.Response:
        """Act on a recorded call and build its answer."""
        function = self._methods[method.lower()][1]
        try:
            if function is None:
                result = await self._get_updates(params)
            else:
                result = function(params, bot)
        except BotAPIError as error:
            self._violate(method, params, error)
            return _error(error)
        if isinstance(result, tuple):
            return _ok(*result)
        return _ok(result)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] not in self._bots:
            return _error(BotAPIError(401, "Unauthorized"))
        path = request.match_info["path"]
        for info in self._files.values():
            if info["file_path"] == path:
                return web.Response(body=info["content"], content_type="application/octet-stream")
        return _error(BotAPIError(404, "Not Found"))

    # ----------------------------------------------------------------- updates

    def push_update(self, update: JSON) -> JSON:
        """Queue an update for getUpdates (an update_id is added when missing)."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self._queue.append((update["update_id"], _update_type(update), update))
        self._wake_pollers("update")
        return update

    def _wake_pollers(self, reason: str) -> None:
        for poller in self._pollers:
            if not poller.done():
                poller.set_result(reason)

    def _collect(self, limit: int) -> list[JSON]:
        allowed = self._allowed
        batch = []
        for _, kind, update in self._queue:
            if kind in allowed:
                batch.append(update)
                if len(batch) >= limit:
                    break
        return batch

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook.get("url"):
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset", 0), "offset")
        limit = min(max(_as_int(params.get("limit", 100), "limit"), 1), 100)
        try:
            timeout = min(max(float(params.get("timeout") or 0), 0.0), 50.0)
        except (TypeError, ValueError):
            raise _bad("invalid timeout specified") from None
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        queue = self._queue
        if offset > 0:
            while queue and queue[0][0] < offset:
                queue.popleft()
        elif offset < 0:
            while len(queue) > -offset:
                queue.popleft()
        # Telegram ends an older long poll when a newer one arrives.
        self._wake_pollers("conflict")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._collect(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._stopping.is_set():
                return batch
            poller: asyncio.Future[str] = loop.create_future()
            self._pollers.add(poller)
            try:
                reason = await asyncio.wait_for(poller, remaining)
            except TimeoutError:
                return []
            finally:
                self._pollers.discard(poller)
            if reason == "conflict":
                raise BotAPIError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )

    def _set_allowed(self, allowed: Any) -> None:
        if isinstance(allowed, str):
            allowed = json.loads(allowed)
        if allowed is None:
            return
        self._allowed = frozenset(allowed) if allowed else _DEFAULT_ALLOWED

    async def post_webhook(
        self, url: str | None, update: JSON, *, secret: str | None = _AUTO
    ) -> int:
        """POST an update to a webhook as Telegram does and return the HTTP status.

        ``url=None`` uses the URL from setWebhook; ``secret`` defaults to the secret_token
        from setWebhook (None sends no secret header).
        """
        target = url or self.webhook.get("url")
        if not target:
            raise ValueError("no webhook url given and none set with setWebhook")
        if secret is _AUTO:
            secret = self.webhook.get("secret_token")
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        async with self._session.post(target, data=_dumps(update), headers=headers) as reply:
            await reply.read()
            return reply.status

    # ----------------------------------------------------------------- chats

    def user(self, user_id: int, **fields: Any) -> JSON:
        """Build a Bot API User (see :func:`make_user`)."""
        return make_user(user_id, **fields)

    def _chat(self, chat_id: int, chat_type: str | None = None, user: JSON | None = None) -> _Chat:
        """The chat with this id, created on first sight from its id or the given type."""
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type is None:
                if chat_id > 0:
                    chat_type = "private"
                elif str(chat_id).startswith("-100"):
                    chat_type = "supergroup"
                else:
                    chat_type = "group"
            info: JSON = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                user = user or make_user(chat_id)
                for key in ("first_name", "last_name", "username"):
                    if key in user:
                        info[key] = user[key]
            else:
                kind = {"channel": "Channel", "group": "Group"}.get(chat_type, "Supergroup")
                info["title"] = f"{kind} {abs(chat_id)}"
            chat = _Chat(info, user if chat_type == "private" else None)
            self._chats[chat_id] = chat
        return chat

    def _chat_for_bot(self, value: Any) -> _Chat:
        """Resolve a chat_id parameter as Telegram does for the bot's own calls."""
        if isinstance(value, str) and value.startswith("@"):
            chat_id = self._usernames.get(value[1:].lower())
            if chat_id is None:
                raise _bad("chat not found")
        else:
            chat_id = _as_int(value, "chat_id")
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id <= 0:
                raise _bad("chat not found")
            chat = self._chat(chat_id)
        if chat.bot_status != "member":
            kind = chat.info["type"]
            if kind == "private":
                raise BotAPIError(403, "Forbidden: bot was blocked by the user")
            if chat.bot_status == "kicked":
                raise BotAPIError(403, f"Forbidden: bot was kicked from the {kind} chat")
            raise BotAPIError(403, f"Forbidden: bot is not a member of the {kind} chat")
        return chat

    def _store(self, chat: _Chat, message: JSON) -> None:
        chat.messages[message["message_id"]] = message
        if self._history is not None and len(chat.messages) > self._history:
            del chat.messages[next(iter(chat.messages))]
            del chat.sent_texts[: -self._history]

    def _default_user(self, chat: _Chat) -> JSON:
        if chat.user is not None:
            return chat.user
        return make_user(555_000_111)

    def _new_message_id(self, chat: _Chat) -> int:
        """The next message id: one shared counter with gaps for private chats, as Telegram."""
        if chat.info["type"] != "private":
            message_id = chat.next_message_id
            chat.next_message_id += 1
            return message_id
        self._private_ids += 1 + (self._gaps.randint(0, self._id_gaps) if self._id_gaps else 0)
        return self._private_ids

    def age(self, chat_id: int, seconds: float) -> None:
        """Move every message of a chat ``seconds`` into the past (for the 48-hour rule)."""
        chat = self._chats[chat_id]
        for message in chat.messages.values():
            message["date"] = int(message["date"] - seconds)

    def _user_message(
        self, chat_id: int, user: JSON | None, chat_type: str | None = None, **content: Any
    ) -> JSON:
        """Register a message the user sent and return it."""
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chat(chat_id, chat_type, user)
        elif user is not None and chat.info["type"] == "private":
            chat.user = user
        sender = user or self._default_user(chat)
        if chat.info["type"] == "private":
            chat.bot_status = "member"  # writing to a bot again unblocks it
        message_id = self._new_message_id(chat)
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.info,
            "date": int(time.time()),
        }
        text = content.get("text")
        if text is not None and "entities" not in content:
            entities = _bot_command_entities(text)
            if entities:
                content["entities"] = entities
        message.update(content)
        self._store(chat, message)
        return dict(message)  # a snapshot: later edits change the chat, not this update

    def _update(self, kind: str, payload: JSON) -> JSON:
        return {"update_id": next(self._update_ids), kind: payload}

    def _new_file(self, folder: str, extension: str, size: int) -> tuple[str, str]:
        number = next(self._ids)
        file_id = f"AgACAgQAAxkBAAI{number:06d}standin"
        unique = f"AQAD{number:06d}"
        self._files[file_id] = {
            "file_unique_id": unique,
            "file_size": size,
            "file_path": f"{folder}/file_{number}.{extension}",
            "content": f"standin file {number}\n".encode().ljust(size, b"\0"),
        }
        return file_id, unique

    # ----------------------------------------------------------------- update builders

    def text_update(self, chat_id: int, text: str, *, user: JSON | None = None) -> JSON:
        """A private (or any) chat message with text; /commands get bot_command entities."""
        return self._update("message", self._user_message(chat_id, user, text=text))

    def command_update(
        self, chat_id: int, command: str, payload: str | None = None, *, user: JSON | None = None
    ) -> JSON:
        """A /command message, e.g. ``command_update(42, "/start", "abc")``."""
        if not command.startswith("/"):
            command = f"/{command}"
        text = command if payload is None else f"{command} {payload}"
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
        message = self._user_message(chat_id, user, text=text, entities=[entity])
        return self._update("message", message)

    def callback_update(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user: JSON | None = None,
    ) -> JSON:
        """A button press on a bot message (default: the latest with an inline keyboard)."""
        chat = self._chat(chat_id)
        if message_id is None:
            bot_ids = {bot["id"] for bot in self._bots.values()}
            for candidate in reversed(chat.messages.values()):
                if candidate.get("from", {}).get("id") in bot_ids and "reply_markup" in candidate:
                    message_id = candidate["message_id"]
                    break
            else:
                raise ValueError(f"chat {chat_id} has no bot message with an inline keyboard")
        stored = chat.messages.get(message_id)
        if stored is None:  # deleted or never sent: Telegram gives an InaccessibleMessage
            message: JSON = {"chat": chat.info, "message_id": message_id, "date": 0}
        else:
            message = dict(stored)
        query_id = f"{abs(chat_id) % 10**9}{next(self._ids):010d}"
        self._callbacks[query_id] = chat_id
        query = {
            "id": query_id,
            "from": user or self._default_user(chat),
            "message": message,
            "chat_instance": str(-(abs(chat_id) * 7919 + 1_000_003)),
            "data": data,
        }
        return self._update("callback_query", query)

    def contact_update(
        self,
        chat_id: int,
        phone_number: str = "+31612345678",
        *,
        user: JSON | None = None,
        own: bool = True,
    ) -> JSON:
        """A shared contact; ``own=True`` is the user's own number (with user_id)."""
        chat = self._chat(chat_id, user=user)
        sender = user or self._default_user(chat)
        contact: JSON = {"phone_number": phone_number}
        if own:
            contact["first_name"] = sender["first_name"]
            if "last_name" in sender:
                contact["last_name"] = sender["last_name"]
            contact["user_id"] = sender["id"]
        else:
            contact["first_name"] = "Sam"
        return self._update("message", self._user_message(chat_id, user, contact=contact))

    def location_update(
        self,
        chat_id: int,
        latitude: float = 52.3676,
        longitude: float = 4.9041,
        *,
        user: JSON | None = None,
    ) -> JSON:
        """A shared location (default: Amsterdam)."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._update("message", self._user_message(chat_id, user, location=location))

    def sticker_update(self, chat_id: int, emoji: str = "👍", *, user: JSON | None = None) -> JSON:
        """A regular sticker."""
        file_id, unique = self._new_file("stickers", "webp", 2048)
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "StandinStickers",
            "file_size": 2048,
        }
        return self._update("message", self._user_message(chat_id, user, sticker=sticker))

    def photo_update(
        self, chat_id: int, caption: str | None = None, *, user: JSON | None = None
    ) -> JSON:
        """A photo in three sizes, optionally with a caption."""
        sizes = []
        for width, height, size in ((90, 67, 1200), (320, 240, 15000), (1280, 960, 98000)):
            file_id, unique = self._new_file("photos", "jpg", size)
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique,
                    "file_size": size,
                    "width": width,
                    "height": height,
                }
            )
        content: JSON = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._update("message", self._user_message(chat_id, user, **content))

    def voice_update(self, chat_id: int, duration: int = 3, *, user: JSON | None = None) -> JSON:
        """A voice note."""
        size = 1600 * duration
        file_id, unique = self._new_file("voice", "oga", size)
        voice = {
            "file_id": file_id,
            "file_unique_id": unique,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": size,
        }
        return self._update("message", self._user_message(chat_id, user, voice=voice))

    def group_text_update(self, group_chat_id: int, text: str, *, user: JSON | None = None) -> JSON:
        """A text message in a group (``-100...`` ids are supergroups)."""
        if group_chat_id >= 0:
            raise ValueError("group chat ids are negative")
        return self._update("message", self._user_message(group_chat_id, user, text=text))

    def my_chat_member_update(
        self,
        chat_id: int,
        chat_type: str = "private",
        new_status: str = "kicked",
        *,
        old_status: str | None = None,
        user: JSON | None = None,
    ) -> JSON:
        """The bot's own membership changed (``kicked`` in private = blocked by the user)."""
        chat = self._chat(chat_id, chat_type, user)
        if old_status is None:
            if new_status in ("kicked", "left"):
                old_status = "member"
            else:
                old_status = "kicked" if chat_type == "private" else "left"
        chat.bot_status = new_status if new_status in ("kicked", "left") else "member"
        bot = self.me
        bot_user = {key: bot[key] for key in ("id", "is_bot", "first_name", "username")}
        member = {
            "chat": chat.info,
            "from": user or self._default_user(chat),
            "date": int(time.time()),
            "old_chat_member": _chat_member(bot_user, old_status),
            "new_chat_member": _chat_member(bot_user, new_status),
        }
        return self._update("my_chat_member", member)

    def edited_message_update(
        self,
        chat_id: int,
        text: str,
        *,
        message_id: int | None = None,
        user: JSON | None = None,
    ) -> JSON:
        """The user edited a text message (default: their latest one)."""
        chat = self._chat(chat_id, user=user)
        sender = user or self._default_user(chat)
        if message_id is None:
            message_id = next(
                (
                    m["message_id"]
                    for m in reversed(chat.messages.values())
                    if m.get("from", {}).get("id") == sender["id"] and "text" in m
                ),
                None,
            )
        stored = chat.messages.get(message_id) if message_id is not None else None
        if stored is None:
            raise ValueError(f"chat {chat_id} has no such user message to edit")
        stored["text"] = text
        stored["edit_date"] = int(time.time())
        entities = _bot_command_entities(text)
        if entities:
            stored["entities"] = entities
        else:
            stored.pop("entities", None)
        return self._update("edited_message", dict(stored))

    def channel_post_update(
        self, channel_chat_id: int, text: str, *, username: str | None = None
    ) -> JSON:
        """A post in a channel the bot is in (no ``from``; ``sender_chat`` is the channel)."""
        chat = self._chat(channel_chat_id, "channel")
        if username is not None:
            chat.info["username"] = username
            self._usernames[username.lower()] = channel_chat_id
        message_id = self._new_message_id(chat)
        message = {
            "message_id": message_id,
            "sender_chat": chat.info,
            "chat": chat.info,
            "date": int(time.time()),
            "text": text,
        }
        self._store(chat, message)
        return self._update("channel_post", dict(message))

    # ----------------------------------------------------------------- methods

    def _m_getMe(self, params: JSON, bot: JSON) -> JSON:
        return bot

    def _text_and_entities(self, params: JSON, key: str = "text") -> tuple[str, list[JSON]]:
        text = params.get(key)
        if text is None or text == "":
            raise _bad("message text is empty")
        if not isinstance(text, str):
            text = str(text)
        parse_mode = params.get("parse_mode")
        entities: list[JSON] = []
        if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
            text, entities = parse_html(text)
        elif params.get("entities"):
            entities = params["entities"]
            if isinstance(entities, str):
                entities = json.loads(entities)
        if not text.strip():
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        return text, entities

    def _m_sendMessage(self, params: JSON, bot: JSON) -> JSON:
        chat = self._chat_for_bot(params.get("chat_id"))
        text, entities = self._text_and_entities(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        reply_to = None
        reply = params.get("reply_parameters")
        if isinstance(reply, str):
            reply = json.loads(reply)
        if isinstance(reply, dict):
            reply_to = chat.messages.get(_as_int(reply.get("message_id"), "message_id"))
            if reply_to is None and not reply.get("allow_sending_without_reply"):
                raise _bad("message to be replied not found")
        message_id = self._new_message_id(chat)
        message: JSON = {
            "message_id": message_id,
            "from": {key: bot[key] for key in ("id", "is_bot", "first_name", "username")},
            "chat": chat.info,
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = {
                k: v for k, v in reply_to.items() if k != "reply_to_message"
            }
        message["text"] = text
        if entities:
            message["entities"] = entities
        if params.get("protect_content"):
            message["has_protected_content"] = True
        if markup is not None:
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
            elif "keyboard" in markup:
                chat.keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.keyboard = None
        self._store(chat, message)
        chat.sent_texts.append(text)
        return message

    def _editable(self, params: JSON, bot: JSON) -> tuple[_Chat, JSON] | None:
        """The stored bot message an edit targets; None for inline messages."""
        if params.get("inline_message_id"):
            return None
        chat = self._chat_for_bot(params.get("chat_id"))
        if params.get("message_id") is None:
            raise _bad("message identifier is not specified")
        message = chat.messages.get(_as_int(params.get("message_id"), "message_id"))
        if message is None:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != bot["id"]:
            raise _bad("message can't be edited")
        return chat, message

    def _m_editMessageText(self, params: JSON, bot: JSON) -> Any:
        text, entities = self._text_and_entities(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        target = self._editable(params, bot)
        if target is None:
            return True
        _, message = target
        if (
            message.get("text") == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        if entities:
            message["entities"] = entities
        else:
            message.pop("entities", None)
        self._set_inline_markup(message, markup)
        message["edit_date"] = int(time.time())
        return dict(message)

    def _m_editMessageReplyMarkup(self, params: JSON, bot: JSON) -> Any:
        markup = _check_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        target = self._editable(params, bot)
        if target is None:
            return True
        _, message = target
        if message.get("reply_markup") == markup:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._set_inline_markup(message, markup)
        message["edit_date"] = int(time.time())
        return dict(message)

    @staticmethod
    def _set_inline_markup(message: JSON, markup: JSON | None) -> None:
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _m_answerCallbackQuery(self, params: JSON, bot: JSON) -> bool:
        query_id = params.get("callback_query_id")
        if not query_id:
            raise _bad("query_id is empty")
        if self._callbacks.pop(str(query_id), None) is None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        return True

    def _m_deleteMessage(self, params: JSON, bot: JSON) -> bool:
        chat = self._chat_for_bot(params.get("chat_id"))
        if params.get("message_id") is None:
            raise _bad("message identifier is not specified")
        message_id = _as_int(params.get("message_id"), "message_id")
        message = chat.messages.get(message_id)
        if message is None:
            raise _bad("message to delete not found")
        if not _deletable(message):
            raise _bad("message can't be deleted for everyone")
        del chat.messages[message_id]
        chat.deleted.add(message_id)
        return True

    def _m_deleteMessages(self, params: JSON, bot: JSON) -> bool:
        chat = self._chat_for_bot(params.get("chat_id"))
        ids = params.get("message_ids")
        if isinstance(ids, str):
            ids = json.loads(ids)
        if not isinstance(ids, list) or not ids:
            raise _bad("message identifiers are not specified")
        if len(ids) > MAX_DELETE_IDS:
            raise _bad("too many messages to delete")
        for raw in ids:
            message_id = _as_int(raw, "message_ids")
            message = chat.messages.get(message_id)
            if message is not None and _deletable(message):  # others are skipped, silently
                del chat.messages[message_id]
                chat.deleted.add(message_id)
        return True

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        if isinstance(scope, str):
            scope = json.loads(scope)
        scope = scope or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _m_setMyCommands(self, params: JSON, bot: JSON) -> bool:
        commands = params.get("commands")
        if isinstance(commands, str):
            commands = json.loads(commands)
        if not isinstance(commands, list):
            raise _bad("commands must be an array")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise _bad("invalid language code specified")
        key = self._commands_key(params.get("scope"), language)
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _m_getMyCommands(self, params: JSON, bot: JSON) -> list[JSON]:
        return self.commands(params.get("scope"), params.get("language_code") or "")

    def _m_deleteMyCommands(self, params: JSON, bot: JSON) -> bool:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands.pop(key, None)
        return True

    def _m_leaveChat(self, params: JSON, bot: JSON) -> bool:
        chat = self._chat_for_bot(params.get("chat_id"))
        if chat.info["type"] == "private":
            raise _bad("chat member status can't be changed in private chats")
        chat.bot_status = "left"
        return True

    def _m_sendChatAction(self, params: JSON, bot: JSON) -> bool:
        self._chat_for_bot(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _m_setWebhook(self, params: JSON, bot: JSON) -> tuple[bool, str]:
        url = params.get("url") or ""
        if not url:
            self.webhook = {}
            return True, "Webhook was deleted"
        if not str(url).startswith(("https://", "http://")):
            raise _bad("invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._queue.clear()
        webhook: JSON = {"url": url, "max_connections": int(params.get("max_connections") or 40)}
        if secret is not None:
            webhook["secret_token"] = secret
        if params.get("ip_address"):
            webhook["ip_address"] = params["ip_address"]
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
            webhook["allowed_updates"] = sorted(self._allowed)
        self.webhook = webhook
        self._wake_pollers("conflict")
        return True, "Webhook was set"

    def _m_deleteWebhook(self, params: JSON, bot: JSON) -> tuple[bool, str]:
        if params.get("drop_pending_updates"):
            self._queue.clear()
        if not self.webhook:
            return True, "Webhook is already deleted"
        self.webhook = {}
        return True, "Webhook was deleted"

    def _m_getWebhookInfo(self, params: JSON, bot: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        for key in ("max_connections", "ip_address", "allowed_updates"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info

    def _m_getFile(self, params: JSON, bot: JSON) -> JSON:
        file_id = params.get("file_id")
        info = self._files.get(str(file_id))
        if info is None:
            raise _bad("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": info["file_unique_id"],
            "file_size": info["file_size"],
            "file_path": info["file_path"],
        }

    def _m_close(self, params: JSON, bot: JSON) -> bool:
        return True

    def _m_logOut(self, params: JSON, bot: JSON) -> bool:
        return True

    # ----------------------------------------------------------------- control API

    _BUILDERS: Final = frozenset(
        {
            "text_update",
            "command_update",
            "callback_update",
            "contact_update",
            "location_update",
            "sticker_update",
            "photo_update",
            "voice_update",
            "group_text_update",
            "my_chat_member_update",
            "edited_message_update",
            "channel_post_update",
        }
    )

    async def _control_updates(self, request: web.Request) -> web.Response:
        body = await request.json()
        items = body.get("updates", []) if isinstance(body, dict) else body
        ids = []
        try:
            for item in items:
                if "build" in item:
                    if item["build"] not in self._BUILDERS:
                        raise ValueError(f"unknown builder {item['build']!r}")
                    item = getattr(self, item["build"])(**item.get("args", {}))
                ids.append(self.push_update(item)["update_id"])
        except (TypeError, ValueError) as exc:
            return _response(400, {"ok": False, "description": str(exc)})
        return _ok({"queued": len(ids), "update_ids": ids})

    async def _control_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        limit = int(request.query.get("limit", "50"))
        calls = self.calls_of(method) if method else list(self._calls)
        recent = (
            [
                {"method": c.method, "params": c.params, "at": c.at, "fault": c.fault}
                for c in calls[-limit:]
            ]
            if limit > 0
            else []
        )
        result = {
            "total": sum(self.counts.values()),
            "counts": dict(self.counts),
            "count": self.counts.get(self._canonical(method), 0) if method else None,
            "faults_served": self.faults_served,
            "violations": len(self.violations),
            "pending_updates": len(self._queue),
            "recent": recent,
        }
        return _ok(result)

    async def _control_messages(self, request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        return _ok({"messages": self.messages(chat_id), "sent_texts": self.sent_texts(chat_id)})

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return _ok(True)

    async def _control_inject(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            self.inject(
                body.get("method", "*"),
                str(body["fault"]),
                int(body.get("times", 1)),
                retry_after=int(body.get("retry_after", 3)),
                delay=body.get("delay"),
            )
        except (KeyError, ValueError) as exc:
            return _response(400, {"ok": False, "description": str(exc)})
        return _ok(True)


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


# --------------------------------------------------------------------- own process


async def _serve(args: argparse.Namespace) -> None:
    api = StandinBotAPI(
        args.token or [DEFAULT_TOKEN],
        host=args.host,
        port=args.port,
        history=args.history or None,
    )
    await api.start()
    print(f"READY {api.url}", flush=True)  # noqa: T201
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await api.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the stand-in in this process until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m testkit.botapi", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", action="append", help="accepted token (repeatable)")
    parser.add_argument(
        "--history", type=int, default=1000, help="calls and messages per chat kept (0: all)"
    )
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
