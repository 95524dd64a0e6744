"""The stand-in server itself: listening, recording calls, waiting for them, answering
over HTTP, and delivering updates by long polling or webhook. The other concerns are
mixed in from their own modules (chats, updates, methods, faults, control)."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import ClientSession, web

from testkit.botapi.chats import Chats
from testkit.botapi.control import Control
from testkit.botapi.delivery import Delivery
from testkit.botapi.faults import Faults
from testkit.botapi.methods import Methods
from testkit.botapi.shapes import (
    _DEFAULT_ALLOWED,
    DEFAULT_TOKEN,
    JSON,
    BotAPIError,
    Call,
    Violation,
    _bad,
    _Chat,
    _decode_form_value,
    _error,
    _Fault,
    _ok,
    _Waiter,
)
from testkit.botapi.updates import UpdateBuilders


class StandinBotAPI(Delivery, Chats, UpdateBuilders, Methods, Faults, Control):
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
