"""A real ``baken whatsapp`` process, and a person writing to it through the stand-in Cloud API.

Shared by tests/whatsapp/ and bench/whatsapp.py: the process is started with the stand-in's
token, secret and number id and its address as ``WHATSAPP_API_URL``; a :class:`Person` posts
signed notifications and waits for recorded Cloud API calls, never a sleep.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from testkit.cloudapi import Call, StandinCloudAPI, notifications
from testkit.processes import LoggedProcess, clean_environment

VERIFY_TOKEN = "e2e-verify-token-7c1d"
JSON = dict[str, Any]
Predicate = Callable[[Call], bool]

_numbers = itertools.count(31_600_000_001)


def new_number() -> str:
    """A phone number (wa_id) no other person in this process uses."""
    return str(next(_numbers))


class WhatsAppBaken(LoggedProcess):
    """One ``baken whatsapp`` process and what it logged."""

    def __init__(self, api: StandinCloudAPI, cwd: Path, **env: str) -> None:
        super().__init__("baken whatsapp")
        self.api = api
        self.cwd = cwd
        self.env = env

    @property
    def webhook(self) -> str:
        return f"{self.url}/whatsapp"

    async def start(self) -> None:
        env = clean_environment(
            WHATSAPP_TOKEN=self.api.token,
            WHATSAPP_APP_SECRET=self.api.app_secret,
            WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
            WHATSAPP_PHONE_NUMBER_ID=self.api.phone_number_id,
            WHATSAPP_API_URL=self.api.api_url,
            BAKEN_SESSION_SECRET="e2e-session-secret",
            BAKEN_LOG_LEVEL="INFO",
        )
        env.update(self.env)
        await self.spawn(["-m", "bot", "whatsapp", "--port", "0"], cwd=self.cwd, env=env)
        ready = await self.wait_log("whatsapp_listening", timeout=120)
        self.port = int(ready["port"])


def is_question(call: Call) -> bool:
    """A message the person answers with a button or a list row."""
    return call.kind in ("button", "list")


class Person:
    """Someone writing to the business number from their own phone."""

    def __init__(self, baken: WhatsAppBaken, wa_id: str | None = None, name: str = "Sam") -> None:
        self.baken = baken
        self.api = baken.api
        self.wa_id = wa_id or new_number()
        self.name = name

    def to_me(self, until: Predicate | None) -> Predicate:
        def predicate(call: Call) -> bool:
            return call.to == self.wa_id and call.ok and (until is None or until(call))

        return predicate

    async def send(
        self, message: JSON, *, until: Predicate | None = is_question, count: int = 1
    ) -> list[Call]:
        """Post a message from this person, then wait for ``count`` matching replies; the
        messages it got since (the rest of the turn may still be on its way)."""
        mark = len(self.api.calls)
        body = self.api.notification(self.wa_id, message, name=self.name)
        assert await self.api.post(self.baken.webhook, body) == 200
        await self.api.wait_for(self.to_me(until), count, since=mark)
        return [c for c in self.api.calls[mark:] if c.to == self.wa_id and c.ok]

    async def say(self, text: str, **wait: Any) -> list[Call]:
        return await self.send(notifications.text(text), **wait)

    async def press(self, label: str, **wait: Any) -> list[Call]:
        """Press the button or list row with this label on the newest question."""
        question = self.question()
        options = question.options
        if label not in options:
            raise AssertionError(f"no option {label!r} in {list(options)}")
        reply_id = options[label]
        if question.kind == "button":
            return await self.send(notifications.button_reply(reply_id, label), **wait)
        return await self.send(notifications.list_reply(reply_id, label[:24]), **wait)

    def question(self) -> Call:
        for call in reversed(self.api.sent(self.wa_id)):
            if is_question(call):
                return call
        raise AssertionError("no question sent to this person")

    def texts(self) -> list[str]:
        return [call.text for call in self.api.sent(self.wa_id)]
