"""WhatsApp and what it must never keep: the phone-number canary, and a crisis with Redis down.

The canary run: the real ``baken whatsapp`` talks with one person who gives away
everything: a unique phone number (``wa_id``, which Meta also puts inside every message id),
a profile name, a text with a phone number, a street and an e-mail address, a photo with a
caption, a shared contact (another number and name), a shared place, a forged notification,
a notification Meta sends again, a status, a crisis sentence, and finally ``stop``. Then
everything the process left behind is searched for every canary, in every written form (as
is, JSON-escaped, URL-encoded, lower case), and for the secrets: stdout and stderr, every
file in its working and temporary directories (both must stay empty), every Redis key,
value and TTL (while the conversation is stored and after stop), and ``/metrics``.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import aiohttp
import pytest

from testkit.cloudapi import StandinCloudAPI, notifications
from testkit.redisserver import RedisServer
from tests.e2e.test_canary import files_under, leaks, needles, redis_leaks
from tests.whatsapp.conftest import VERIFY_TOKEN, Person, launch

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

SESSION_SECRET = "whatsapp-canary-session-secret-0123456789abcdef"
TOKEN = "EAAGcanaryWhatsAppToken9q8w7e6r5t4y3u2i1o"
APP_SECRET = "canary-app-secret-5f2e9d"
WA_ID = "31648273915"
NAME = "Kwikstaartjé Zilvermeeuwsen"
PHONE = "06-48 27 39 15"
STREET = "Lindengracht 217"
EMAIL = "kwik.staart@voorbeeld-canary.nl"
TEXT = f"Bel me op {PHONE}, ik woon {STREET} in Haarlem, mail {EMAIL} ok?"
CAPTION = f"foto van {STREET}, vraag naar Kwikstaartjé"
CONTACT_PHONE = "+31658392741"
CONTACT_NAME = "Fenneke Duinroosvlinder"
LATITUDE = 51.987654
LONGITUDE = 5.912345
CRISIS = "ik wil er niet meer zijn, zegt Zilvermeeuwsen"
STORY = "mijn baas aan de Lindengracht houdt mijn paspoort en betaalt bijna niks"


def canaries(wamids: list[str]) -> tuple[str, ...]:
    return (
        WA_ID,
        f"+{WA_ID}",
        WA_ID[2:],  # the national number
        "0" + WA_ID[2:],
        NAME,
        "Kwikstaartjé",
        "Zilvermeeuwsen",
        PHONE,
        STREET,
        EMAIL,
        TEXT,
        CAPTION,
        CONTACT_PHONE,
        CONTACT_PHONE[3:],
        CONTACT_NAME,
        "Duinroosvlinder",
        str(LATITUDE),
        str(LONGITUDE),
        CRISIS,
        STORY,
        "Haarlem",
        "paspoort",
        *wamids,  # each carries the number
        TOKEN,
        APP_SECRET,
        SESSION_SECRET,
        VERIFY_TOKEN,
    )


async def converse(person: Person, api: StandinCloudAPI) -> list[str]:
    """The canary conversation; the message ids it sent."""
    wamids: list[str] = []
    original = api.notification

    def noting(wa_id: str, message: dict[str, object], *, name: str = NAME) -> dict[str, object]:
        body = original(wa_id, message, name=NAME)
        wamids.append(body["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
        return body

    api.notification = noting  # type: ignore[method-assign]
    try:
        await person.say("hoi")
        await person.say(TEXT, until=None)
        await person.say(STORY, until=None)
        await person.send(notifications.image(CAPTION))
        await person.send(notifications.contact(CONTACT_PHONE, CONTACT_NAME))
        await person.send(notifications.location(LATITUDE, LONGITUDE))
        forged = api.notification(WA_ID, notifications.text(TEXT))
        assert await api.post(person.baken.webhook, forged, secret="forged") == 403
        again = api.notification(WA_ID, notifications.text("privacy"))
        for _ in range(2):
            assert await api.post(person.baken.webhook, again) == 200
        status = notifications.status_notification(api.phone_number_id, WA_ID, "read")
        assert await api.post(person.baken.webhook, status) == 200
        await person.say(CRISIS, until=lambda c: "113" in c.text)
    finally:
        api.notification = original  # type: ignore[method-assign]
    return wamids


@pytest.mark.parametrize("store", ["memory", "redis"])
@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_no_phone_number_survives_anywhere(
    request: pytest.FixtureRequest, tmp_path: Path, store: str, level: str
) -> None:
    """Zero hits for every canary and secret in output, files, Redis and /metrics."""
    url = request.getfixturevalue("redis_server").url if store == "redis" else None
    cwd, tmpdir = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmpdir.mkdir()
    env = {"BAKEN_LOG_LEVEL": level, "BAKEN_SESSION_SECRET": SESSION_SECRET, "TMPDIR": str(tmpdir)}
    if url is not None:
        env["BAKEN_REDIS_URL"] = url
    found: list[str] = []
    async with StandinCloudAPI(token=TOKEN, app_secret=APP_SECRET) as api:
        baken = await launch(api, cwd, **env)
        try:
            person = Person(baken, WA_ID, NAME)
            wamids = await converse(person, api)
            search = needles(canaries(wamids))
            if url is not None:
                found += redis_leaks(url, search)  # while the conversation is stored
            async with aiohttp.ClientSession() as http, http.get(f"{baken.url}/metrics") as r:
                page = await r.text()
            found += leaks("/metrics", page, search)
            for value in re.findall(r'="([^"]*)"', page):
                if re.search(r"\d{5,}|\s", value):
                    found.append(f"/metrics label value {value!r}")
            await person.say("stop", until=lambda c: c.text.startswith("Het gesprek is gestopt."))
        finally:
            with contextlib.suppress(Exception):
                assert await baken.stop() == 0
    found += leaks("stdout", bytes(baken.stdout), search)
    found += leaks("stderr", bytes(baken.stderr), search)
    for directory in (cwd, tmpdir):
        for path in files_under(directory):
            found.append(f"file written: {path.relative_to(tmp_path)}")
            found += leaks(str(path), path.read_bytes(), search)
    if url is not None:
        found += redis_leaks(url, search)
    assert found == []
    assert baken.problems() == []
    assert api.violations() == []
    assert len(wamids) >= 8  # the run really went through every kind of message


async def test_a_crisis_is_answered_with_redis_down(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """Redis stops mid-conversation: the crisis sentence still gets 113 in the first reply,
    help and stop still work, and /healthz says the store is gone."""
    async with StandinCloudAPI() as api:
        baken = await launch(
            api, tmp_path, BAKEN_REDIS_URL=redis_server.url, BAKEN_SESSION_SECRET=SESSION_SECRET
        )
        try:
            person = Person(baken)
            await person.say("hoi")
            await person.press("Ja, het is veilig")
            redis_server.stop()
            calls = await person.say("ik wil dood", until=lambda c: "113" in c.text)
            assert "113" in calls[0].text
            calls = await Person(baken).say("ik wil dood", until=lambda c: "113" in c.text)
            assert "113" in calls[0].text  # someone new, too
            calls = await person.say("hulp", until=lambda c: c.text.startswith("Hulp nu"))
            assert any("112" in c.text and "113" in c.text for c in calls)
            async with aiohttp.ClientSession() as http, http.get(f"{baken.url}/healthz") as r:
                assert r.status == 503
        finally:
            assert await baken.stop() == 0
    assert api.violations() == []
    assert baken.problems() == []
