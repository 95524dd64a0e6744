"""Erase in busy times: 50 conversations at once, their message ids interleaved, all erased.

The stand-in numbers the messages of every private chat from one counter, with gaps,
as Telegram does; so no chat's ids are consecutive, and each chat's ids are mixed
with 49 others'. Each person has a conversation of more than 60 messages (typed
texts, a sticker, commands, button presses), then sends /stop.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.e2e.conftest import Baken, Chat, ends_with

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="package")]

ERASED = "Het gesprek is gestopt."
PEOPLE = 50
RESUME = "Verder met het gesprek"


async def converse(chat: Chat) -> set[int]:
    """A long conversation; returns every message id the chat ever had."""
    api = chat.api
    ever: set[int] = set()
    await chat.start()
    turn = 0
    while len(chat.messages()) < 62:
        turn += 1
        kind = turn % 4
        if kind == 0:
            await chat.turn(api.sticker_update(chat.id, user=chat.user))
        elif kind == 1:
            await chat.command("/help")
        elif kind == 2:
            await chat.press(RESUME)
        else:
            await chat.say(f"iets anders {turn}")
        ever |= {m["message_id"] for m in chat.messages()}
    return ever


async def test_fifty_interleaved_conversations_are_each_erased_completely(webhook: Baken) -> None:
    """/stop deletes every message of that chat and none of another; nothing left but one line."""
    chats = [Chat(webhook) for _ in range(PEOPLE)]
    histories = await asyncio.gather(*(converse(chat) for chat in chats))
    api = webhook.api
    ids = {chat.id: {m["message_id"] for m in chat.messages()} for chat in chats}
    assert all(len(seen) >= 60 for seen in ids.values())
    everything = [i for seen in ids.values() for i in seen]
    assert len(everything) == len(set(everything)), "ids are unique across private chats"
    spans = sorted((min(seen), max(seen)) for seen in ids.values())
    assert any(a_hi > b_lo for (_, a_hi), (b_lo, _) in itertools.pairwise(spans)), (
        "the conversations' ids interleave"
    )

    await asyncio.gather(*(chat.command("/stop", until=ends_with(ERASED)) for chat in chats))
    for chat, ever in zip(chats, histories, strict=True):
        assert [m["text"] for m in chat.messages()] == [ERASED], "nothing left but the notice"
        deleted = {
            i
            for call in api.calls_of("deleteMessages")
            if call.params.get("chat_id") == chat.id
            for i in call.params["message_ids"]
        }
        assert ids[chat.id] <= deleted, "every message of the chat was deleted"
        assert ever <= deleted | {m["message_id"] for m in chat.messages()}
        others = set().union(*(seen for other, seen in ids.items() if other != chat.id))
        assert not deleted & others, "no id of another chat was sent to this chat's erase"
