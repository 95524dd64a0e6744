"""Processes and load for the end-to-end benchmarks, all on 127.0.0.1.

- :class:`Standin`: the stand-in Bot API (testkit/botapi/) in its own process;
  the load is queued through its control API (``/_control/updates``) and replies are
  read back from ``/_control/calls``.
- :class:`Bot`: ``baken run`` / ``baken webhook`` or :mod:`bench.bare_bot` as a
  subprocess, with the environment the e2e tests use; its JSON log lines are kept.
- :func:`drive`: the load. Closed loop: each simulated user sends ``/start``, waits for
  the reply with answer buttons, presses one of them, waits again, and so on for
  ``turns`` updates; a reply without answer buttons (the end of a path) is followed by
  a new ``/start``. So every user has exactly one update in flight, and the bot is
  offered as many concurrent updates as there are users.

Replies are observed by polling the stand-in every few milliseconds; an update counts
as done when the stand-in records the ``sendMessage`` with answer buttons it caused.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout

from testkit.processes import LoggedProcess, ProcessEndedError, clean_environment, rss_kib

REPO = Path(__file__).resolve().parents[1]
# Fixed test credentials for processes on 127.0.0.1 only.
TOKEN = "123456789:AAStandin-Token_For-Tests-Only-00000000"  # noqa: S105
SESSION_SECRET = "bench-session-secret-0123456789abcdef"  # noqa: S105
WEBHOOK_SECRET = "bench-Webhook_secret-0123456789"  # noqa: S105
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105
JSON = dict[str, Any]


class Standin:
    """``python -m testkit.botapi`` in its own process."""

    def __init__(self, history: int = 5_000) -> None:
        self.history = history
        self.url = ""
        self.process = LoggedProcess("stand-in Bot API")
        self.http: ClientSession | None = None

    async def __aenter__(self) -> Standin:
        args = ("-m", "testkit.botapi", "--port", "0", "--token", TOKEN)
        await self.process.spawn((*args, "--history", str(self.history)), cwd=REPO, env=os.environ)
        try:
            line = await self.process.wait_output("READY ", timeout=20)
        except (ProcessEndedError, TimeoutError):
            await self.process.stop(10)
            raise RuntimeError(f"stand-in did not start: {bytes(self.process.stdout)!r}") from None
        self.url = line.split()[1]
        self.http = ClientSession(timeout=ClientTimeout(total=30))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.http is not None:
            await self.http.close()
        await self.process.stop(10)

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    async def control(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        assert self.http is not None
        async with self.http.request(
            method, f"{self.url}/_control/{path}", json=body, params=query or None
        ) as reply:
            payload = await reply.json()
        if not payload.get("ok"):
            raise RuntimeError(f"control {path}: {payload}")
        return payload["result"]

    async def queue(self, items: list[JSON]) -> None:
        if items:
            await self.control("POST", "updates", {"updates": items})

    async def new_calls(self, seen: int) -> tuple[list[JSON], int]:
        """The calls recorded after the first ``seen``, and the new total.

        Two small requests (how many, then just those) keep the stand-in's work per
        poll small; calls that arrive in between are picked up by asking again.
        """
        total = int((await self.calls(0))["total"])
        if total == seen:
            return [], seen
        limit = total - seen + 64
        while True:
            if limit > self.history:
                raise RuntimeError("stand-in history too short for the poll interval")
            info = await self.calls(limit)
            total = int(info["total"])
            recent: list[JSON] = info["recent"]
            if total - seen <= len(recent):
                return recent[len(recent) - (total - seen) :], total
            limit = 2 * (total - seen)

    async def reset(self) -> None:
        await self.control("POST", "reset")

    async def calls(self, limit: int) -> JSON:
        result: JSON = await self.control("GET", "calls", limit=limit)
        return result


class Bot(LoggedProcess):
    """A bot process: "baken-run", "baken-webhook", "bare" or "bare-aiohttp".

    ``repo``: the checkout whose bot runs (another one, to compare with it).
    """

    def __init__(
        self,
        kind: str,
        standin: Standin,
        env: dict[str, str] | None = None,
        repo: Path = REPO,
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        self.standin = standin
        self.env = dict(env or {})
        self.repo = repo
        self.started_at = 0.0

    def environment(self) -> dict[str, str]:
        return (
            clean_environment(
                TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_API_BASE_URL=self.standin.base_url,
                BAKEN_RATE_LIMIT="off",
                BAKEN_SESSION_SECRET=SESSION_SECRET,
                BAKEN_WEBHOOK_SECRET=WEBHOOK_SECRET,
                BAKEN_LOG_LEVEL="INFO",
                PTB_TIMEDELTA="true",
            )
            | self.env
        )

    async def start(self, ready: str | None = None) -> None:
        if self.kind.startswith("bare"):
            args = ["-m", "bench.bare_bot"]
            if self.kind == "bare-aiohttp":
                self.env.setdefault("BARE_TRANSPORT", "aiohttp")
        elif self.kind == "baken-run":
            args = ["-m", "bot", "run"]
        else:
            args = ["-m", "bot", "webhook", "--port", "0"]
        self.started_at = time.monotonic()
        await self.spawn(args, cwd=self.repo, env=self.environment())
        event = ready or ("webhook_listening" if self.kind == "baken-webhook" else "polling")
        entry = await self.wait_log(event, timeout=30.0)
        if self.kind == "baken-webhook":
            self.port = int(entry["port"])

    def rss(self) -> int:
        """Resident memory of the process in bytes (Linux /proc)."""
        kib = rss_kib(self.pid)
        if kib is None:
            raise RuntimeError("no VmRSS")
        return kib * 1024


def _buttons(params: JSON) -> list[str]:
    """Callback data of every inline button of a call (answers and global ones)."""
    markup = params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [
        b["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for b in row
        if "callback_data" in b
    ]


def turn_over(call: JSON) -> list[str] | None:
    """The buttons the person may press next, when this call ends a turn; else None.

    On the shipped flow the last message of every turn, and only that one, has
    buttons (a question's answers, or on a last screen only the global ones); a
    multiple-choice toggle instead edits the keyboard in place.
    """
    method = call["method"]
    if method not in ("sendMessage", "editMessageReplyMarkup"):
        return None
    buttons = _buttons(call["params"])
    answers = [b for b in buttons if not b.startswith("!")]
    if method == "sendMessage":
        return answers if buttons else None
    return answers or None


@dataclass
class LoadResult:
    users: int
    updates: int
    seconds: float
    latencies_ms: list[float]
    incomplete: int
    calls: dict[str, int]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return _pct(self.latencies_ms, 0.5)

    @property
    def p99_ms(self) -> float:
        return _pct(self.latencies_ms, 0.99)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


Deliver = Any  # async (list of update dicts or builds) -> None


async def drive(
    standin: Standin,
    *,
    users: int,
    turns: int,
    first_chat: int,
    deliver: Deliver | None = None,
    timeout: float = 120.0,  # noqa: ASYNC109
    poll: float = 0.01,
) -> LoadResult:
    """Closed-loop load (see the module docstring); returns when every user is done.

    ``deliver`` hands a batch of built updates to the bot; by default they are queued
    at the stand-in for getUpdates. For webhooks, pass a function that builds them
    there and POSTs them to the workers.
    """
    chats = list(range(first_chat, first_chat + users))
    done_turns = dict.fromkeys(chats, 0)
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    rotation = dict.fromkeys(chats, 0)
    deliver = deliver or standin.queue
    before = await standin.calls(0)
    seen = int(before["total"])

    def start(chat: int) -> JSON:
        return {"build": "command_update", "args": {"chat_id": chat, "command": "/start"}}

    started = time.monotonic()
    for chat in chats:
        sent_at[chat] = started
    await deliver([start(chat) for chat in chats])
    deadline = started + timeout
    finished_at = started
    while sent_at and time.monotonic() < deadline:
        await asyncio.sleep(poll)
        recent, seen = await standin.new_calls(seen)
        now = time.monotonic()
        batch: list[JSON] = []
        for call in recent:
            chat = call["params"].get("chat_id")
            if chat not in sent_at:
                continue
            answers = turn_over(call)
            if answers is None:
                continue
            latencies.append((now - sent_at.pop(chat)) * 1000)
            done_turns[chat] += 1
            finished_at = now
            if done_turns[chat] >= turns:
                continue
            sent_at[chat] = now
            if answers:
                rotation[chat] += 1
                data = answers[(chat + rotation[chat]) % len(answers)]
                batch.append({"build": "callback_update", "args": {"chat_id": chat, "data": data}})
            else:
                batch.append(start(chat))
        await deliver(batch)
    counts = (await standin.calls(0))["counts"]
    return LoadResult(
        users=users,
        updates=len(latencies),
        seconds=finished_at - started,
        latencies_ms=latencies,
        incomplete=len(sent_at),
        calls={k: int(v) - int(before["counts"].get(k, 0)) for k, v in counts.items()},
    )
