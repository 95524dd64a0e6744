"""The canary test: nothing identifying survives anywhere a running baken writes.

The real ``baken run`` and ``baken webhook`` talk with one person who gives away
everything: unique ("canary") user id, username, first and last name, a text
with a phone number, a street address and an e-mail address, an edited message,
a shared contact (another canary number and name), a shared location (canary
coordinates), a forged button press, updates that cannot be read (a body that is
no JSON in webhook mode; an update PTB cannot parse in both modes), a message
in a group, a crisis sentence, and finally /stop.

Then everything the process left behind is searched for every canary, in the
ways it could be written (as is, JSON-escaped, URL-encoded, lower case), and for
the bot token and the secrets: its stdout and stderr, every file in its working
directory and its temporary directory (``TMPDIR``, both fresh and both must stay
empty), every Redis key, value and TTL (before and after /stop), and in webhook
mode the ``/metrics`` page (no label may carry a number or a text).

Every mode, level and store: eight runs of about two seconds each. The Redis
runs use a private ``redis-server`` (skipped without one, except under CI).
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
import pytest
import redis

from testkit.botapi import SECRET_HEADER, Call, StandinBotAPI
from tests.e2e.conftest import WEBHOOK_SECRET, Baken, Chat

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

TOKEN = "6138274950:AAF-canaryTokenSecretPart_9q8w7e6r5t"
SESSION_SECRET = "canary-session-secret-71b3c9-0123456789abcdef"
USER_ID = 7_431_985_226
GROUP_ID = -1_009_518_273_645
USERNAME = "kwikstaart_canary_x7"
FIRST = "Kwikstaartjé"
LAST = "Zilvermeeuwsen"
PHONE = "06-48 27 39 15"
STREET = "Lindengracht 217"
EMAIL = "kwik.staart@voorbeeld-canary.nl"
TEXT = f"Bel me op {PHONE}, ik woon {STREET} in Haarlem, mail {EMAIL} ok?"
EDITED = f"Of bel {PHONE} na zessen, vraag naar {FIRST}"
CONTACT_PHONE = "+31658392741"
CONTACT_FIRST = "Fenneke"
CONTACT_LAST = "Duinroosvlinder"
LATITUDE = 51.987654
LONGITUDE = 5.912345
FORGED = f"forged:{USER_ID}:{USERNAME}"
CRISIS = "ik wil er niet meer zijn, zegt Zilvermeeuwsen"
# A story the situation reader understands (its codes are kept, its words never).
STORY = f"ik ben {FIRST}, mijn baas aan de {STREET} houdt mijn paspoort en betaalt bijna niks"
ERASED = "Het gesprek is gestopt."

CANARIES = (
    str(USER_ID),
    str(GROUP_ID),
    str(GROUP_ID)[4:],  # the id of the group inside a supergroup id
    USERNAME,
    FIRST,
    LAST,
    PHONE,
    PHONE.replace("-", "").replace(" ", ""),
    STREET,
    EMAIL,
    TEXT,
    EDITED,
    CONTACT_PHONE,
    CONTACT_PHONE[3:],
    CONTACT_FIRST,
    CONTACT_LAST,
    str(LATITUDE),
    str(LONGITUDE),
    FORGED,
    CRISIS,
    "Haarlem",
    "zessen",
    # secrets
    TOKEN,
    TOKEN.split(":", 1)[1],
    SESSION_SECRET,
    WEBHOOK_SECRET,
)


def _forms(value: str) -> set[str]:
    """The ways a value could be written down: as is, JSON-escaped, URL-encoded."""
    forms = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        quote(value),
        quote(value, safe=""),
        quote_plus(value),
    }
    return {form.lower() for form in forms}


NEEDLES = {form: canary for canary in CANARIES for form in _forms(canary)}


def needles(canaries: tuple[str, ...]) -> dict[str, str]:
    """Every form of every canary, mapped to its canary (the WhatsApp canary uses its own)."""
    return {form: canary for canary in canaries for form in _forms(canary)}


def leaks(where: str, data: str | bytes, found_in: dict[str, str] = NEEDLES) -> list[str]:
    """Every canary (in any of its forms) found in ``data``."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.lower()
    return [f"{where}: {found_in[form]!r}" for form in found_in if form in text]


def redis_leaks(url: str, found_in: dict[str, str] = NEEDLES) -> list[str]:
    """Canaries in any Redis key or value, and keys without a time to live."""
    found: list[str] = []
    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(count=1000):
            name = key.decode("utf-8", "replace")
            found += leaks(f"redis key {name}", key, found_in)
            if client.ttl(key) < 0:
                found.append(f"redis key {name}: no TTL")
            kind = _bytes(client.type(key)).decode()
            values: list[Any]
            if kind == "string":
                values = [client.get(key)]
            elif kind == "hash":
                values = [*client.hgetall(key).items()]
            elif kind == "list":
                values = client.lrange(key, 0, -1)
            elif kind == "set":
                values = [*client.smembers(key)]
            elif kind == "zset":
                values = client.zrange(key, 0, -1)
            else:
                values = [kind]
            found += leaks(f"redis value {name}", repr(values).encode(), found_in)
            found += leaks(f"redis value {name}", b" ".join(_bytes(v) for v in values), found_in)
    finally:
        client.close()
    return found


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, tuple):
        return b" ".join(_bytes(v) for v in value)
    return str(value).encode()


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() or p.is_symlink())


_LABEL_VALUE = re.compile(r'="([^"]*)"')


async def converse(baken: Baken, chat: Chat) -> None:
    """The canary conversation; waits for each answer before the next update."""
    api = baken.api

    def callback_answered(call: Call) -> bool:
        return call.method == "answerCallbackQuery"

    def left_group(call: Call) -> bool:
        return call.method == "leaveChat" and call.params.get("chat_id") == GROUP_ID

    def text_is(text: str) -> Any:
        return lambda call: call.params.get("text") == text

    def has_113(call: Call) -> bool:
        return "113" in str(call.params.get("text", ""))

    await chat.start()
    await chat.say(TEXT)
    await chat.say(STORY)
    await chat.turn(api.edited_message_update(chat.id, EDITED, user=chat.user))
    contact = api.contact_update(chat.id, CONTACT_PHONE, user=chat.user, own=False)
    contact["message"]["contact"].update(first_name=CONTACT_FIRST, last_name=CONTACT_LAST)
    await chat.turn(contact)
    await chat.turn(api.location_update(chat.id, LATITUDE, LONGITUDE, user=chat.user))

    answered = len(api.calls_of("answerCallbackQuery"))
    assert await baken.deliver(chat.callback(FORGED)) == 200
    await api.wait_for(callback_answered, answered + 1, timeout=15)

    # An update PTB cannot read (a message without chat and date), in both modes.
    unreadable = {"message": {"message_id": 1, "from": chat.user, "text": TEXT}}
    assert await baken.deliver(unreadable) == 200
    await baken.wait_log("update_unreadable")
    if baken.mode == "webhook":  # and a body that is no JSON at all
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{baken.url}/telegram",
                data=f'{{"update_id": 5, "message": {{"text": "{TEXT}", "chat": {USER_ID}',
                headers={SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"},
            ) as reply,
        ):
            assert reply.status == 400

    group = api.group_text_update(GROUP_ID, TEXT, user=chat.user)
    assert await baken.deliver(group) == 200
    await api.wait_for(left_group, timeout=15)

    await chat.say(CRISIS, until=has_113)


async def run_canary(
    mode: str, level: str, tmp_path: Path, redis_url: str | None
) -> tuple[Baken, list[str]]:
    """Start baken, converse, stop it, and return it with every leak found."""
    cwd, tmpdir = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmpdir.mkdir()
    env = {
        "BAKEN_LOG_LEVEL": level,
        "BAKEN_SESSION_SECRET": SESSION_SECRET,
        "TMPDIR": str(tmpdir),
    }
    if redis_url is not None:
        env["BAKEN_REDIS_URL"] = redis_url
    found: list[str] = []
    async with StandinBotAPI(TOKEN) as api:
        baken = Baken(mode, api, cwd, **env)
        try:
            await baken.start()
            user = api.user(
                USER_ID, first_name=FIRST, last_name=LAST, username=USERNAME, language_code="nl"
            )
            chat = Chat(baken, USER_ID)
            chat.user = user
            await converse(baken, chat)
            if redis_url is not None:
                found += redis_leaks(redis_url)  # while the conversation is stored
            if mode == "webhook":
                async with aiohttp.ClientSession() as http, http.get(f"{baken.url}/metrics") as r:
                    page = await r.text()
                found += leaks("/metrics", page)
                for value in _LABEL_VALUE.findall(page):
                    if re.search(r"\d{5,}|\s", value):
                        found.append(f"/metrics label value {value!r}")
            await chat.command("/stop", until=lambda c: c.params.get("text") == ERASED)
        finally:
            with contextlib.suppress(Exception):
                assert await baken.stop() == 0
    found += leaks("stdout", bytes(baken.stdout))
    found += leaks("stderr", bytes(baken.stderr))
    for directory in (cwd, tmpdir):
        for path in files_under(directory):
            found.append(f"file written: {path.relative_to(tmp_path)}")
            found += leaks(str(path), path.read_bytes())
    if redis_url is not None:
        found += redis_leaks(redis_url)
    return baken, found


@pytest.mark.parametrize("store", ["memory", "redis"])
@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_no_canary_survives_anywhere(
    request: pytest.FixtureRequest, tmp_path: Path, mode: str, level: str, store: str
) -> None:
    """Zero hits for every canary and secret in output, files, Redis and /metrics."""
    url = request.getfixturevalue("redis_server").url if store == "redis" else None
    baken, found = await run_canary(mode, level, tmp_path, url)
    assert found == []
    assert baken.problems() == []  # and every stderr line was one of our JSON lines
    events = {entry.get("event") for entry in baken.logs}
    assert "update_unreadable" in events  # the run really went through the rough parts
