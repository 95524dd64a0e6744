"""The stand-in Cloud API: it accepts what Meta documents and refuses what breaks a limit.

Requests go over real HTTP to 127.0.0.1, as baken's client sends them.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from testkit.cloudapi import StandinCloudAPI, notifications, problems

WA_ID = "31612345678"
JSON = dict[str, Any]


@pytest_asyncio.fixture
async def api() -> AsyncIterator[StandinCloudAPI]:
    async with StandinCloudAPI() as standin:
        yield standin


async def send(api: StandinCloudAPI, body: JSON, *, token: str | None = None) -> tuple[int, JSON]:
    url = f"{api.api_url}/{api.phone_number_id}/messages"
    headers = {"Authorization": f"Bearer {token or api.token}"}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        return r.status, await r.json()


def message(part: JSON, to: str = WA_ID) -> JSON:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **part}


def text(body: str) -> JSON:
    return message({"type": "text", "text": {"body": body, "preview_url": False}})


def buttons(*titles: str, body: str = "Vraag?") -> JSON:
    replies = [
        {"type": "reply", "reply": {"id": f"b{i}", "title": t}} for i, t in enumerate(titles)
    ]
    interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": replies}}
    return message({"type": "interactive", "interactive": interactive})


def rows(*rows: JSON, button: str = "Kies", body: str = "Vraag?") -> JSON:
    action = {"button": button, "sections": [{"rows": list(rows)}]}
    interactive = {"type": "list", "body": {"text": body}, "action": action}
    return message({"type": "interactive", "interactive": interactive})


def row(i: int, title: str = "Optie", description: str | None = None) -> JSON:
    found: JSON = {"id": f"r{i}", "title": title}
    if description is not None:
        found["description"] = description
    return found


def cta(display: str, url: str = "https://example.org/") -> JSON:
    parameters = {"display_text": display, "url": url}
    interactive = {
        "type": "cta_url",
        "body": {"text": "Fier"},
        "action": {"name": "cta_url", "parameters": parameters},
    }
    return message({"type": "interactive", "interactive": interactive})


FITS = {
    "text of 4096": text("a" * 4096),
    "3 buttons of 20": buttons("a" * 20, "b" * 20, "c" * 20),
    "body of 1024": buttons("Ja", body="a" * 1024),
    "10 rows, 24/72": rows(*(row(i, f"{i:02d}" + "t" * 22, "d" * 72) for i in range(10))),
    "a URL button of 20": cta("a" * 20),
}
BREAKS = {
    "text of 4097": text("a" * 4097),
    "4 buttons": buttons("a", "b", "c", "d"),
    "a button title of 21": buttons("a" * 21),
    "two buttons alike": buttons("Ja", "Ja"),
    "body of 1025": buttons("Ja", body="a" * 1025),
    "11 rows": rows(*(row(i) for i in range(11))),
    "a row title of 25": rows(row(1, "t" * 25)),
    "a description of 73": rows(row(1, "t", "d" * 73)),
    "a list button of 21": rows(row(1), button="k" * 21),
    "a URL button of 21": cta("a" * 21),
    "a URL that is no web address": cta("Open", "javascript:alert(1)"),
    "a template": message({"type": "template", "template": {"name": "hello_world"}}),
    "no recipient": {**text("hoi"), "to": "not a number"},
}


@pytest.mark.parametrize("name", FITS)
async def test_what_fits_is_accepted(api: StandinCloudAPI, name: str) -> None:
    """Right at every limit, a message is sent and kept for its recipient."""
    status, answer = await send(api, FITS[name])
    assert status == 200
    assert answer["messages"][0]["id"].startswith("wamid.")
    assert [c.body for c in api.sent(WA_ID)] == [FITS[name]]
    assert api.violations() == []


@pytest.mark.parametrize("name", BREAKS)
async def test_what_breaks_a_limit_is_refused(api: StandinCloudAPI, name: str) -> None:
    """One over any documented limit: Meta's error 100, nothing sent, the violation recorded."""
    status, answer = await send(api, BREAKS[name])
    assert status == 400
    assert answer["error"]["code"] == 100
    assert api.sent(WA_ID) == []
    assert len(api.violations()) == 1


def test_the_rules_name_what_is_wrong() -> None:
    assert problems(buttons("a" * 21)) == ["button title: 21 characters, at most 20"]
    assert problems(text("hoi")) == []


async def test_a_wrong_token_or_number_id_is_refused(api: StandinCloudAPI) -> None:
    status, answer = await send(api, text("hoi"), token="wrong")
    assert (status, answer["error"]["code"]) == (401, 190)
    url = f"{api.api_url}/999/messages"
    headers = {"Authorization": f"Bearer {api.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=text("hoi"), headers=headers) as r,
    ):
        assert r.status == 400
    assert api.sent(WA_ID) == []


async def test_faults_come_in_order_then_it_works_again(api: StandinCloudAPI) -> None:
    api.inject("throughput")
    api.inject("server")
    assert (await send(api, text("1")))[1]["error"]["code"] == 130429
    assert (await send(api, text("2")))[0] == 500
    assert (await send(api, text("3")))[0] == 200
    assert [c.text for c in api.sent(WA_ID)] == ["3"]
    assert [c.fault for c in api.calls] == ["throughput", "server", None]


async def test_a_dropped_connection_sends_nothing(api: StandinCloudAPI) -> None:
    api.inject("drop")
    with pytest.raises(aiohttp.ClientError):
        await send(api, text("1"))
    assert api.sent(WA_ID) == []


async def test_a_person_out_of_reach_gets_nothing(api: StandinCloudAPI) -> None:
    api.block(WA_ID, "window")
    status, answer = await send(api, text("hoi"))
    assert (status, answer["error"]["code"]) == (400, 131047)
    assert api.sent(WA_ID) == []


async def test_wait_for_sees_calls_made_while_waiting(api: StandinCloudAPI) -> None:
    mark = len(api.calls)
    waiting = asyncio.create_task(api.wait_for(lambda c: c.to == WA_ID, 2, since=mark))
    for body in ("a", "b"):
        await send(api, text(body))
    assert [c.text for c in await waiting] == ["a", "b"]


def test_message_ids_carry_the_phone_number() -> None:
    """As Meta's do: keeping a wamid is keeping a phone number (baken hashes them)."""
    found = notifications.wamid(WA_ID)
    assert WA_ID.encode() in base64.b64decode(found.removeprefix("wamid."))


def test_a_notification_looks_like_meta_s() -> None:
    body = notifications.envelope("42", WA_ID, notifications.text("hoi"), name="Sam")
    value = body["entry"][0]["changes"][0]["value"]
    assert value["metadata"]["phone_number_id"] == "42"
    assert value["contacts"][0] == {"profile": {"name": "Sam"}, "wa_id": WA_ID}
    assert value["messages"][0]["from"] == WA_ID
    assert value["messages"][0]["text"] == {"body": "hoi"}
