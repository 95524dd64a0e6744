"""End to end: the real `baken run` / `baken webhook` as subprocesses, over real HTTP.

The stand-in Bot API (testkit/botapi/) listens on 127.0.0.1; baken reaches it
through TELEGRAM_API_BASE_URL, exactly as it would reach Telegram. One polling and one
webhook process serve the whole package (they are slow to start); each test talks in
its own chat, so tests do not see each other. Waiting is always for a recorded Bot API
call (``wait_for``), never a sleep.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from testkit.botapi import Call, StandinBotAPI
from testkit.processes import LoggedProcess, clean_environment

REPO = Path(__file__).resolve().parents[2]
E2E_CONTENT = Path(__file__).resolve().parent / "content"
WEBHOOK_SECRET = "e2e-Webhook_secret-0123456789"
JSON = dict[str, Any]
Predicate = Callable[[Call], bool]

_chat_ids = itertools.count(610_000_001)


def new_chat_id() -> int:
    """A private chat id no other test uses."""
    return next(_chat_ids)


class Baken(LoggedProcess):
    """One `baken run` or `baken webhook` process and what it logged."""

    def __init__(self, mode: str, api: StandinBotAPI, cwd: Path, **env: str) -> None:
        super().__init__(f"baken {mode}")
        self.mode = mode
        self.api = api
        self.cwd = cwd
        self.env = env

    def _environment(self) -> dict[str, str]:
        env = clean_environment(
            TELEGRAM_BOT_TOKEN=self.api.token,
            TELEGRAM_API_BASE_URL=self.api.base_url,
            BAKEN_RATE_LIMIT="off",
            BAKEN_SESSION_SECRET="e2e-session-secret",
            BAKEN_LOG_LEVEL="INFO",
            # A fixed dialogue, so content edits do not break channel tests (see content/).
            BAKEN_CONTENT_DIR=str(E2E_CONTENT),
            PTB_TIMEDELTA="true",
        )
        if self.mode == "webhook":
            env["BAKEN_WEBHOOK_SECRET"] = WEBHOOK_SECRET
        env.update(self.env)
        return env

    async def start(self) -> None:
        args = ["run"] if self.mode == "polling" else ["webhook", "--port", "0"]
        await self.spawn(["-m", "bot", *args], cwd=self.cwd, env=self._environment())
        ready = await self.wait_log("polling" if self.mode == "polling" else "webhook_listening")
        if self.mode == "webhook":
            self.port = int(ready["port"])

    async def deliver(self, update: JSON, *, secret: str | None = WEBHOOK_SECRET) -> int:
        """Hand an update to baken the way its mode receives them; the webhook's status."""
        if self.mode == "polling":
            self.api.push_update(update)
            return 200
        return await self.api.post_webhook(f"{self.url}/telegram", update, secret=secret)


def has_answer_buttons(call: Call) -> bool:
    return "callback_data" in json.dumps(call.params.get("reply_markup") or {})


class Chat:
    """One person in a private chat with the bot."""

    def __init__(self, baken: Baken, chat_id: int | None = None, *, lang: str = "nl") -> None:
        self.baken = baken
        self.api = baken.api
        self.id = chat_id or new_chat_id()
        self.user = self.api.user(self.id, language_code=lang)

    def _to_me(self, mark: float, until: Predicate | None, method: str) -> Predicate:
        def predicate(call: Call) -> bool:
            return (
                call.at >= mark
                and call.fault in (None, "slow", "timeout")  # the others did nothing
                and call.method == method
                and call.params.get("chat_id") == self.id
                and (until is None or until(call))
            )

        predicate.__name__ = f"{method}_to_{self.id}"
        return predicate

    async def turn(
        self,
        update: JSON,
        *,
        until: Predicate | None = has_answer_buttons,
        method: str = "sendMessage",
        count: int = 1,
    ) -> list[Call]:
        """Deliver an update, then wait for ``count`` matching calls to this chat."""
        mark = time.monotonic()
        assert await self.baken.deliver(update) == 200
        return await self.api.wait_for(self._to_me(mark, until, method), count, timeout=15)

    async def start(self, payload: str | None = None, **wait: Any) -> list[Call]:
        return await self.turn(
            self.api.command_update(self.id, "/start", payload, user=self.user), **wait
        )

    async def say(self, text: str, **wait: Any) -> list[Call]:
        return await self.turn(self.api.text_update(self.id, text, user=self.user), **wait)

    async def command(self, command: str, arg: str | None = None, **wait: Any) -> list[Call]:
        return await self.turn(
            self.api.command_update(self.id, command, arg, user=self.user), **wait
        )

    async def press(self, label: str, **wait: Any) -> list[Call]:
        """Press the newest button with this label."""
        data, message_id = self.button(label)
        return await self.turn(self.callback(data, message_id), **wait)

    def callback(self, data: str, message_id: int | None = None) -> JSON:
        return self.api.callback_update(self.id, data, message_id=message_id, user=self.user)

    def button(self, label: str) -> tuple[str, int]:
        """(callback data, message id) of the newest visible button with this label."""
        for message in reversed(self.api.messages(self.id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        return button["callback_data"], message["message_id"]
        raise AssertionError(f"no button {label!r}; chat: {self.bot_messages()}")

    def messages(self) -> list[JSON]:
        """What the person sees now, oldest first."""
        return self.api.messages(self.id)

    def bot_messages(self) -> list[JSON]:
        bot_id = self.api.me["id"]
        return [m for m in self.messages() if m.get("from", {}).get("id") == bot_id]

    def answer_buttons(self) -> list[list[str]]:
        """Labels of the answer buttons on each visible bot message that has any."""
        out = []
        for message in self.bot_messages():
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            labels = [b["text"] for row in rows for b in row if "callback_data" in b]
            if labels:
                out.append(labels)
        return out

    def link_urls(self) -> list[str]:
        """Addresses of the link buttons on the visible bot messages."""
        return [
            button["url"]
            for message in self.bot_messages()
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
            if "url" in button
        ]

    def sent(self) -> list[str]:
        """Every text the bot sent to this chat, as sent (edits not applied)."""
        return self.api.sent_texts(self.id)

    def said(self) -> list[str]:
        """The paragraphs of every text sent, in order (a turn is one message of paragraphs)."""
        return paragraphs(self.sent())


def paragraphs(texts: list[str]) -> list[str]:
    """Texts cut into their paragraphs, in order."""
    return [p for text in texts for p in text.split("\n\n")]


def ends_with(text: str) -> Predicate:
    """A sent message whose last paragraph is ``text`` (the question a turn ends with)."""

    def predicate(call: Call) -> bool:
        sent = str(call.params.get("text", ""))
        return sent == text or sent.endswith(f"\n\n{text}")

    predicate.__name__ = f"ends_with_{text[:20]!r}"
    return predicate


# ---------------------------------------------------------------- fixtures


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def api() -> AsyncIterator[StandinBotAPI]:
    """The stand-in Bot API shared by the package's long-running bots."""
    async with StandinBotAPI() as standin:
        yield standin


async def _launch(mode: str, api: StandinBotAPI, cwd: Path, **env: str) -> Baken:
    process = Baken(mode, api, cwd, **env)
    try:
        await process.start()
    except BaseException:
        await process.stop()
        raise
    return process


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def polling(
    api: StandinBotAPI, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Baken]:
    """`baken run` against the stand-in, for the whole package."""
    process = await _launch("polling", api, tmp_path_factory.mktemp("polling"))
    yield process
    assert await process.stop() == 0
    assert process.problems() == []


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def webhook(
    api: StandinBotAPI, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Baken]:
    """`baken webhook --port 0` (no BAKEN_WEBHOOK_URL) for the whole package."""
    process = await _launch("webhook", api, tmp_path_factory.mktemp("webhook"))
    yield process
    assert await process.stop() == 0
    assert process.problems() == []


@pytest.fixture(params=["polling", "webhook"])
def baken(request: pytest.FixtureRequest) -> Baken:
    """Each test using this runs once against `baken run` and once against `baken webhook`."""
    process: Baken = request.getfixturevalue(request.param)
    return process


@pytest.fixture
def chat(baken: Baken) -> Chat:
    """A new person talking to the bot."""
    return Chat(baken)


@pytest.fixture
def launch(
    tmp_path: Path,
) -> Callable[..., Any]:
    """Start an extra baken process for one test (stopped by the test)."""

    async def start(mode: str, api: StandinBotAPI, **env: str) -> Baken:
        return await _launch(mode, api, tmp_path, **env)

    return start
