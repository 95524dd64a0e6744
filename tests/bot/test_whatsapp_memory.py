"""The phone number is kept no longer than its turn: checked inside a running WhatsApp app.

The app (``bot.channels.whatsapp.app.build``) serves on 127.0.0.1 in this process, against
the stand-in Cloud API; a notification is posted, signed, over real HTTP. Once the reply is
sent, no object of the process holds the number: no ``Person``, no string with it, and the
pacer knows the conversation only by its HMAC key.
"""

from __future__ import annotations

import gc

from aiohttp import web

from bot.channels.whatsapp.app import build
from bot.channels.whatsapp.channel import Person
from bot.settings import Settings
from bot.stores.memory import MemoryStore
from testkit.cloudapi import StandinCloudAPI, notifications

WA_ID = "31687654329"


def strings_with(needle: str) -> list[str]:
    return [o for o in gc.get_objects() if isinstance(o, str) and needle in o and o is not needle]


async def test_no_person_outlives_the_turn() -> None:
    async with StandinCloudAPI() as api:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            WHATSAPP_TOKEN=api.token,
            WHATSAPP_APP_SECRET=api.app_secret,
            WHATSAPP_VERIFY_TOKEN="verify",
            WHATSAPP_PHONE_NUMBER_ID=api.phone_number_id,
            WHATSAPP_API_URL=api.api_url,
        )
        store = MemoryStore(3600)
        wa = build(settings, store=store)
        runner = web.AppRunner(wa.app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            mark = len(api.calls)
            body = api.notification(WA_ID, notifications.text("ik wil dood"), name="Kwik")
            assert await api.post(f"http://127.0.0.1:{port}/whatsapp", body) == 200
            del body
            await api.wait_for(lambda c: c.to == WA_ID and "113" in c.text, since=mark)
            await wa.channel.finish()
            assert wa.channel.turns == set()
            gc.collect()
            assert [o for o in gc.get_objects() if isinstance(o, Person)] == []
            assert wa.channel.pacer.people_known() == 1
            assert all(WA_ID not in key for key in wa.channel.pacer.turns.held())
            assert len(store) == 1
            # Delivery ids are kept as 64-bit hashes (ints); session keys as HMAC strings.
            assert all(WA_ID not in str(key) for key in [*store._data, *store._seen])
        finally:
            await runner.cleanup()
    api.calls.clear()
    api.chats.clear()
    gc.collect()
    assert strings_with(WA_ID) == []
