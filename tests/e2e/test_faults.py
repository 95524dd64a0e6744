"""Bot API faults during whole conversations: nothing lost, nothing sent twice, in order.

Each test runs the same conversation twice, in two chats: once undisturbed, once with
faults injected by the stand-in. The person in the second chat must see exactly what
the person in the first saw.
"""

from __future__ import annotations

import pytest

from testkit.botapi import StandinBotAPI
from tests.e2e.conftest import Baken, Chat

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

ERASED = "Het gesprek is gestopt."


async def conversation(chat: Chat, before: dict[str, list[tuple[str, str, int]]]) -> list[str]:
    """Start, five presses to the handoff, then stop; inject ``before[step]`` faults first.

    Returns the texts of the visible bot messages just before the stop.
    """

    def inject(step: str) -> None:
        for method, fault, times in before.get(step, []):
            chat.api.inject(method, fault, times, retry_after=1)

    inject("start")
    await chat.start()
    for label in ("Ja, het is veilig", "Over mij", "Nee", "Weet ik niet", "Sla over", "Verder"):
        inject(label)
        await chat.press(label)
    visible = [m["text"] for m in chat.bot_messages()]
    inject("stop")
    await chat.press("Stop en wis", until=lambda call: call.params.get("text") == ERASED)
    assert [m["text"] for m in chat.messages()] == [ERASED]
    return visible


async def test_429_retry_after_is_honoured(baken: Baken) -> None:
    """A 429 on sendMessage and on an edit: waited out, then sent once."""
    reference = Chat(baken)
    expected = await conversation(reference, {})
    chat = Chat(baken)
    faults = {
        "start": [("sendMessage", "429", 1)],
        "Over mij": [("editMessageText", "429", 1)],
    }
    assert await conversation(chat, faults) == expected
    assert chat.sent() == reference.sent()
    sends = [c for c in chat.api.calls_of("sendMessage") if c.params.get("chat_id") == chat.id]
    refused = next(i for i, c in enumerate(sends) if c.fault == "429")
    assert sends[refused + 1].at - sends[refused].at >= 1.0
    assert sends[refused + 1].params["text"] == sends[refused].params["text"]


async def test_server_errors_and_dropped_connections_are_retried(baken: Baken) -> None:
    """500/502/503 and connection resets on every kind of call: retried, shown once."""
    reference = Chat(baken)
    expected = await conversation(reference, {})
    chat = Chat(baken)
    faults = {
        "start": [("sendMessage", "500", 2)],
        "Ja, het is veilig": [("answerCallbackQuery", "503", 1), ("editMessageText", "502", 1)],
        "Over mij": [("sendMessage", "reset", 1)],
        "Nee": [("sendMessage", "502", 1)],
        "Sla over": [("sendMessage", "malformed", 1)],
        "stop": [("deleteMessages", "500", 1)],
    }
    served = chat.api.faults_served
    assert await conversation(chat, faults) == expected
    assert chat.sent() == reference.sent()
    assert chat.api.faults_served - served == 8
    assert not [v for v in chat.api.violations if v.params.get("chat_id") == chat.id]


async def test_rate_limiter_on(launch) -> None:
    """With BAKEN_RATE_LIMIT=on (the default), the send scheduler honours the 429."""
    async with StandinBotAPI() as api:
        baken = await launch("polling", api, BAKEN_RATE_LIMIT="on")
        try:
            reference = Chat(baken)
            expected = await conversation(reference, {})
            chat = Chat(baken)
            faults = {"start": [("sendMessage", "429", 1)], "Nee": [("sendMessage", "429", 1)]}
            assert await conversation(chat, faults) == expected
            assert chat.sent() == reference.sent()
            sends = [c for c in api.calls_of("sendMessage") if c.params.get("chat_id") == chat.id]
            for i, call in enumerate(sends):
                if call.fault == "429":
                    assert sends[i + 1].at - call.at >= 1.0
            assert any(e.get("event") == "api_flood_wait" for e in baken.logs)
        finally:
            assert await baken.stop() == 0
        assert baken.problems() == []


async def _channel_turns(api: StandinBotAPI, chat_id: int, faults: list[tuple[str, str, float]]):
    """/start then "hallo" through the real channel (read timeout 1 s), with faults first."""
    from telegram import Update

    from bot.channels.telegram.app import build
    from bot.stores import MemoryStore
    from tests.bot.test_telegram import settings_for

    tbot = build(
        settings_for(api), store=MemoryStore(3600), webhook=True, read_timeout=1.0, backoff=0.01
    )
    await tbot.application.initialize()
    try:
        bot = tbot.application.bot
        user = api.user(chat_id)
        for method, fault, delay in faults:
            api.inject(method, fault, 1, delay=delay)
        for raw in (
            api.command_update(chat_id, "/start", user=user),
            api.text_update(chat_id, "hallo", user=user),
        ):
            await tbot.channel.handle(Update.de_json(raw, bot), bot)
        return tbot.metrics
    finally:
        await tbot.application.shutdown()


async def test_a_send_whose_answer_times_out_is_not_sent_again() -> None:
    """The documented trade (telegram/request.py): shown once, never twice; the rest follows."""
    async with StandinBotAPI() as reference_api:
        await _channel_turns(reference_api, 4_300_001, [])
        expected = reference_api.sent_texts(4_300_001)
    async with StandinBotAPI() as api:
        await _channel_turns(api, 4_300_001, [("sendMessage", "timeout", 1.3)])
        assert api.sent_texts(4_300_001) == expected  # the timed-out one arrived, once
        sends = api.calls_of("sendMessage")
        assert [c.fault for c in sends].count("timeout") == 1
        assert len(sends) == len(expected)


async def test_slow_answers_arrive_once_in_order() -> None:
    """Answers slower than usual but within the read timeout: nothing lost or repeated."""
    async with StandinBotAPI() as reference_api:
        await _channel_turns(reference_api, 4_300_002, [])
        expected = reference_api.sent_texts(4_300_002)
    async with StandinBotAPI() as api:
        faults = [("sendMessage", "slow", 0.5), ("*", "slow", 0.3), ("sendMessage", "slow", 0.5)]
        await _channel_turns(api, 4_300_002, faults)
        assert api.sent_texts(4_300_002) == expected
        assert len(api.calls_of("sendMessage")) == len(expected)
