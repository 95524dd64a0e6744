"""The Telegram channel in this process: the real Application against the stand-in Bot API.

The end-to-end tests (tests/e2e) run the real `baken run` and `baken webhook`; these
look inside: the session store, the metrics, the update processor, logs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from structlog.testing import capture_logs
from telegram import Update
from telegram.error import NetworkError

from bot.channels.telegram.app import TelegramBot, build, register
from bot.settings import Settings
from bot.stores import MemoryStore, SessionStore, StoreUnavailableError
from bot.stores.base import Change, T
from flows.session import Session
from testkit.botapi import Call, StandinBotAPI

CHAT = 31337


def settings_for(api: StandinBotAPI, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "BAKEN_RATE_LIMIT": "off",
        "BAKEN_SESSION_SECRET": "a-test-secret",
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class DownStore(SessionStore):
    """A store whose server is unreachable (a fake at the storage seam)."""

    ttl = 3600

    async def transact(self, key: str, change: Change[T]) -> T:
        raise StoreUnavailableError("down")

    async def load(self, key: str) -> Session | None:
        raise StoreUnavailableError("down")

    async def delete(self, key: str) -> None:
        raise StoreUnavailableError("down")

    async def first_time(self, delivery: str) -> bool:
        raise StoreUnavailableError("down")

    async def ping(self) -> bool:
        return False


async def _running(
    api: StandinBotAPI, store: SessionStore, clock: Any = time.time, **extra: Any
) -> TelegramBot:
    tbot = build(settings_for(api, **extra), store=store, webhook=True, backoff=0.01, clock=clock)
    await tbot.application.initialize()
    await tbot.application.start()
    return tbot


async def _stop(tbot: TelegramBot) -> None:
    await tbot.application.stop()
    await tbot.application.shutdown()


@pytest.fixture
async def tbot(
    botapi: StandinBotAPI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelegramBot]:
    """A started bot without updater (updates are put on its queue) and a memory store."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    bot = await _running(botapi, MemoryStore(3600))
    yield bot
    await _stop(bot)


async def deliver(tbot: TelegramBot, raw: dict[str, Any]) -> None:
    await tbot.application.update_queue.put(Update.de_json(raw, tbot.application.bot))


def to(chat_id: int, method: str = "sendMessage") -> Any:
    def predicate(call: Call) -> bool:
        return call.method == method and call.params.get("chat_id") == chat_id

    predicate.__name__ = f"{method}_to_{chat_id}"
    return predicate


def with_buttons(chat_id: int) -> Any:
    def predicate(call: Call) -> bool:
        return (
            call.method == "sendMessage"
            and call.params.get("chat_id") == chat_id
            and "callback_data" in str(call.params.get("reply_markup", ""))
        )

    return predicate


class SlowStore(MemoryStore):
    """A memory store whose first writes are slow (a fake at the storage seam)."""

    def __init__(self, slow_writes: int) -> None:
        super().__init__(3600)
        self.slow_writes = slow_writes

    async def transact(self, key: str, change: Change[T]) -> T:
        if self.slow_writes > 0:
            self.slow_writes -= 1
            for _ in range(20):  # a slow store yields many times: a naive runner would reorder
                await asyncio.sleep(0)
        return await super().transact(key, change)


async def test_updates_of_one_chat_are_answered_in_order_through_ptb(
    botapi: StandinBotAPI,
) -> None:
    """A burst on PTB's queue: one chat's turns keep their order; the core's lanes end empty.

    PTB runs updates concurrently; the handler enters the core's lane before it awaits
    anything, so the order of arrival is the order of the turns.
    """
    tbot = await _running(botapi, SlowStore(slow_writes=10))
    try:
        other = CHAT + 1
        await deliver(tbot, botapi.command_update(CHAT, "/start"))
        await deliver(tbot, botapi.command_update(other, "/start"))
        for command in ("help", "privacy", "help", "privacy", "help"):
            await deliver(tbot, botapi.command_update(CHAT, f"/{command}"))
            await deliver(tbot, botapi.command_update(other, f"/{command}"))
        await botapi.wait_for(to(CHAT), count=1 + 5)
        await botapi.wait_for(to(other), count=1 + 5)
    finally:
        await _stop(tbot)
    assert len(tbot.core.lanes) == 0
    screens = {"Hulp nu:": "help", "Ik bewaar alleen codes.": "privacy"}
    for chat in (CHAT, other):
        seen = [
            screen
            for text in botapi.sent_texts(chat)
            for start, screen in screens.items()
            if text.startswith(start)
        ]
        assert seen == ["help", "privacy", "help", "privacy", "help"]


async def test_sessions_keep_codes_only(botapi: StandinBotAPI, tbot: TelegramBot) -> None:
    """Typed text, names and the chat id never reach the store; the key is an HMAC."""
    user = botapi.user(CHAT, first_name="CANARYFIRST", username="canary_user")
    await deliver(tbot, botapi.command_update(CHAT, "/start", "zelf", user=user))
    await botapi.wait_for(with_buttons(CHAT))
    await deliver(tbot, botapi.text_update(CHAT, "bel me op 0612345678, Kerkstraat 1", user=user))
    await botapi.wait_for(with_buttons(CHAT), count=2)
    store = tbot.store
    assert isinstance(store, MemoryStore)
    [key] = store.keys()
    raw = store.raw(key) or ""
    for secret in (str(CHAT), "0612345678", "Kerkstraat", "CANARY", "canary_user"):
        assert secret not in key
        assert secret not in raw
    shown = Session.from_json(raw).message_ids()  # message ids, for erase
    assert len(shown) >= 3
    assert set(shown) <= {m["message_id"] for m in botapi.messages(CHAT)}


async def test_blocking_the_bot_forgets_the_session(
    botapi: StandinBotAPI, tbot: TelegramBot
) -> None:
    """my_chat_member 'kicked' in private: the session is deleted at once."""
    await deliver(tbot, botapi.command_update(CHAT, "/start"))
    await botapi.wait_for(with_buttons(CHAT))
    store = tbot.store
    assert isinstance(store, MemoryStore)
    assert len(store) == 1
    await deliver(tbot, botapi.my_chat_member_update(CHAT, "private", "kicked"))
    await deliver(tbot, botapi.group_text_update(-100, "sync"))  # processed after the kick
    await botapi.wait_for("leaveChat")
    assert len(store) == 0


async def test_store_down_still_answers(botapi: StandinBotAPI) -> None:
    """Without a store: crisis and the emergency screen still reach the person."""
    tbot = await _running(botapi, DownStore())
    try:
        await deliver(tbot, botapi.text_update(CHAT, "hallo"))
        await botapi.wait_for(to(CHAT))
        await deliver(tbot, botapi.text_update(CHAT, "ik wil dood"))
        await botapi.wait_for(to(CHAT), count=2)
    finally:
        await _stop(tbot)
    emergency, crisis = botapi.sent_texts(CHAT)
    assert emergency.startswith("Sorry, er ging iets mis")
    assert crisis.startswith("Ik maak me zorgen om je.")
    assert "113" in crisis
    page = tbot.metrics.render()[0].decode()
    assert 'baken_errors_total{type="StoreUnavailableError",where="step"}' in page


async def test_a_burst_in_a_group_gets_one_line_and_one_leave(
    botapi: StandinBotAPI, tbot: TelegramBot
) -> None:
    """No triage in groups: one neutral line, then the bot leaves; later updates do nothing."""
    for text in ("/start", "hallo?", "ik wil dood"):
        await deliver(tbot, botapi.group_text_update(-100777, text))
    await deliver(tbot, botapi.command_update(CHAT, "/start"))  # a private chat, to sync on
    await botapi.wait_for(with_buttons(CHAT))
    await botapi.wait_for("leaveChat")
    assert botapi.sent_texts(-100777) == [
        "Ik werk alleen in een chat met één persoon. Daarom ga ik uit deze groep. Dag!"
    ]
    assert len(botapi.calls_of("leaveChat")) == 1


async def test_metrics_count_without_saying_who(botapi: StandinBotAPI, tbot: TelegramBot) -> None:
    """Updates, crisis interrupts and ways in are counted; no id or text in any label."""
    await deliver(tbot, botapi.command_update(CHAT, "/start", "zelf"))
    await botapi.wait_for(with_buttons(CHAT))
    await deliver(tbot, botapi.text_update(CHAT, "ik wil dood"))
    await botapi.wait_for(lambda c: "113" in str(c.params.get("text", "")))
    await deliver(tbot, botapi.sticker_update(CHAT))
    await botapi.wait_for(with_buttons(CHAT), count=3)
    metrics = tbot.metrics
    assert metrics.value("baken_updates_total", type="command") == 1
    assert metrics.value("baken_updates_total", type="text") == 1
    assert metrics.value("baken_updates_total", type="non_text") == 1
    assert metrics.value("baken_crisis_interrupts_total", kind="suicide") == 1
    assert metrics.value("baken_conversation_events_total", metric="entry", label="zelf") == 1
    assert metrics.value("baken_step_seconds_count") == 3
    page = metrics.render()[0].decode()
    assert str(CHAT) not in page
    assert "dood" not in page


async def test_commands_are_registered_and_the_webhook_only_when_asked(
    botapi: StandinBotAPI,
) -> None:
    """Menus in nl, en and a default for private chats; setWebhook only with a URL."""
    plain = build(settings_for(botapi, BAKEN_WEBHOOK_SECRET="abc"), webhook=True)
    async with plain.application:
        await register(plain, webhook=True)
    assert botapi.calls_of("setWebhook") == []
    private = {"type": "all_private_chats"}
    assert [c["command"] for c in botapi.commands(private, "nl")] == [
        "start",
        "help",
        "stop",
        "privacy",
        "taal",
    ]
    assert botapi.commands(private, "en")[4]["command"] == "lang"
    assert botapi.commands(private, "")[1]["description"] == "Hulp nu: 112, 113 en Fier"

    hooked = build(
        settings_for(
            botapi,
            BAKEN_WEBHOOK_SECRET="abc_DEF-123",
            BAKEN_WEBHOOK_URL="https://bot.example/telegram",
        ),
        webhook=True,
    )
    async with hooked.application:
        await register(hooked, webhook=True)
    assert botapi.webhook == {
        "url": "https://bot.example/telegram",
        "max_connections": 40,
        "secret_token": "abc_DEF-123",
        "allowed_updates": ["callback_query", "edited_message", "message", "my_chat_member"],
    }


async def test_errors_are_logged_as_type_and_number_only(
    botapi: StandinBotAPI, tbot: TelegramBot
) -> None:
    """PTB's error handler path: the exception type and a sequence number, nothing else."""
    update = Update.de_json(botapi.text_update(CHAT, "geheim 0612345678"), tbot.application.bot)
    with capture_logs() as logs:
        await tbot.application.process_error(update, ValueError("geheim 0612345678"))
        await tbot.application.process_error(None, NetworkError("down"))
    assert [sorted(entry) for entry in logs] == [["error", "event", "log_level", "seq"]] * 2
    assert [(e["event"], e["error"]) for e in logs] == [
        ("update_failed", "ValueError"),
        ("telegram_error", "NetworkError"),
    ]
    assert logs[1]["seq"] == logs[0]["seq"] + 1


async def test_messages_older_than_48_hours_are_reported_not_erased(botapi: StandinBotAPI) -> None:
    """A conversation over two days: what is too old to delete is not tried, and /stop says so."""
    now = [time.time()]
    store = MemoryStore(40 * 3600)
    tbot = await _running(botapi, store, clock=lambda: now[0])

    async def remembered() -> None:
        """Wait until the session holds the newest message of the chat (the turn is over)."""
        newest = max(m["message_id"] for m in botapi.messages(CHAT))
        for _ in range(200):
            [key] = store.keys()
            session = await store.load(key)
            if session is not None and newest in session.message_ids():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the turn did not end")

    try:
        await deliver(tbot, botapi.command_update(CHAT, "/start"))
        await botapi.wait_for(with_buttons(CHAT))
        await remembered()
        old = {m["message_id"] for m in botapi.messages(CHAT)}
        for _ in range(2):  # two days pass, with a message each day (the session stays)
            now[0] += 25 * 3600
            botapi.age(CHAT, 25 * 3600)
            mark = len(botapi.calls_of("sendMessage"))
            await deliver(tbot, botapi.command_update(CHAT, "/help"))
            await botapi.wait_for(to(CHAT), count=mark + 1)
            await remembered()
        recent = {m["message_id"] for m in botapi.messages(CHAT)} - old
        await deliver(tbot, botapi.command_update(CHAT, "/stop"))
        await botapi.wait_for(lambda c: "Het gesprek is gestopt." in str(c.params.get("text")))
    finally:
        await _stop(tbot)
    tried = {i for c in botapi.calls_of("deleteMessages") for i in c.params["message_ids"]}
    assert recent <= tried
    assert not old & tried, "ids older than 48 hours are not sent to Telegram"
    notice = botapi.sent_texts(CHAT)[-1]
    assert notice.startswith("Het gesprek is gestopt.")
    assert "Niet alles kon ik wissen." in notice
    assert {m["message_id"] for m in botapi.messages(CHAT)} == old | {
        m["message_id"] for m in botapi.messages(CHAT) if m.get("text") == notice
    }
